// Package enphase reads an Enphase Envoy / IQ Gateway on the local network
// (production.json?details=1): PV from the production meter or the
// microinverters, and house load and grid from the consumption meters when
// they are installed.
//
// Firmware 7 and later answer only over HTTPS and only with a JWT from
// entrez.enphaseenergy.com (an owner token lasts a year).
package enphase

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Name is the source kind.
const Name = "enphase"

func init() {
	energy.RegisterKind(energy.Kind{
		Name: Name, Label: "Enphase Envoy / IQ Gateway",
		Roles: []energy.Role{energy.RolePV, energy.RoleConsumption, energy.RoleGrid},
		// The gateway is a small computer that answers slowly under load;
		// its meters update about every second, so 10 s loses little.
		Interval: 10 * time.Second,
	}, func(p Params) (energy.Source, error) { return New(p) })
}

// Params configures the source.
type Params struct {
	// URL of the gateway, e.g. https://192.168.1.30 (firmware 7+) or
	// http://envoy.local (older firmware).
	URL string `json:"url"`
	// Token is the JWT from entrez.enphaseenergy.com; required with https.
	Token secret.String `json:"token,omitempty"`
}

// Validate names every bad field.
func (p Params) Validate() error {
	var c energy.Checks
	c.URL("url", p.URL)
	https := strings.HasPrefix(strings.ToLower(p.URL), "https://")
	switch {
	case https && !p.Token.IsSet():
		c.Fail("token", "empty", "the token from entrez.enphaseenergy.com, which firmware 7 and later require")
	case !https && p.Token.IsSet():
		// Firmware 7 redirects http to https; the token would cross the
		// network in clear first.
		c.Fail("url", p.URL, "an https:// URL when a token is set, so the token is never sent unencrypted")
	}
	return c.Err()
}

// Source reads one gateway.
type Source struct {
	url    string
	token  secret.String
	client *http.Client
}

// New validates p and returns the source.
func New(p Params) (*Source, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// The gateway serves HTTPS with a certificate it signed itself, for a
	// name no CA vouches for, so it cannot be verified. Verification is
	// skipped for this device's client only; the cost is that someone on
	// the home network could pose as the gateway.
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // self-signed device certificate, see above
	return &Source{
		url:    strings.TrimSuffix(p.URL, "/") + "/production.json?details=1",
		token:  p.Token,
		client: &http.Client{Timeout: 30 * time.Second, Transport: tr},
	}, nil
}

// Format prints the source without its token: fmt cannot call the token's
// own masking Format through an unexported field, so it would print it.
func (s *Source) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "%s source %s", Name, s.url) }

// meter is one entry of the production or consumption list. Entries of
// meters that are not installed are present with activeCount 0.
type meter struct {
	Type            string   `json:"type"`
	ActiveCount     int      `json:"activeCount"`
	MeasurementType string   `json:"measurementType"`
	WNow            *float64 `json:"wNow"`
}

type production struct {
	Production  []meter `json:"production"`
	Consumption []meter `json:"consumption"`
}

// find returns the active entry of type typ (and measurement type mt, if
// given) that has a power value.
func find(ms []meter, typ, mt string) (units.Watts, bool) {
	for _, m := range ms {
		if m.Type == typ && (mt == "" || m.MeasurementType == mt) && m.ActiveCount > 0 && m.WNow != nil {
			return units.Watts(*m.WNow), true
		}
	}
	return 0, false
}

// Read implements energy.Source.
func (s *Source) Read(ctx context.Context) (energy.Reading, error) {
	req, err := http.NewRequest(http.MethodGet, s.url, nil)
	if err != nil {
		return energy.Reading{}, fmt.Errorf("%s: %w", Name, err)
	}
	if s.token.IsSet() {
		req.Header.Set("Authorization", "Bearer "+s.token.Reveal())
	}
	var p production
	if err := energy.GetJSON(ctx, s.client, req, &p); err != nil {
		var se *energy.StatusError
		if errors.As(err, &se) && se.Code == http.StatusUnauthorized {
			err = fmt.Errorf("%w (token missing or expired: firmware 7 and later need a token from entrez.enphaseenergy.com, with an https:// URL)", err)
		}
		return energy.Reading{}, fmt.Errorf("%s: read production: %w", Name, err)
	}
	var r energy.Reading
	// The production meter (CT) is exact and current; the microinverters
	// report only every few minutes, so they are the fallback for
	// gateways without a production meter.
	if w, ok := find(p.Production, "eim", "production"); ok {
		// The meter shows the inverters' night draw as a few negative
		// watts; generation is never below zero.
		r.Generation, r.Has.Generation = max(w, 0), true
	} else if w, ok := find(p.Production, "inverters", ""); ok {
		r.Generation, r.Has.Generation = w, true
	} else {
		return energy.Reading{}, fmt.Errorf("%s: read production: field production[].wNow missing for both the production meter and the inverters", Name)
	}
	// Consumption meters are optional. Net consumption is what flows
	// through the grid connection, positive when importing: the same
	// sign as Reading.Grid.
	if w, ok := find(p.Consumption, "eim", "total-consumption"); ok {
		r.Consumption, r.Has.Consumption = w, true
	}
	if w, ok := find(p.Consumption, "eim", "net-consumption"); ok {
		r.Grid, r.Has.Grid = w, true
	}
	return r, nil
}
