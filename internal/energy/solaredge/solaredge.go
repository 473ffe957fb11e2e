// Package solaredge reads a SolarEdge site through the SolarEdge monitoring
// cloud (currentPowerFlow): PV, house load, grid and the StorEdge battery,
// all at once. The cloud gives magnitudes only; the direction of each flow
// comes from the answer's list of connections.
package solaredge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Name is the source kind.
const Name = "solaredge-cloud"

// DefaultBaseURL is the monitoring cloud.
const DefaultBaseURL = "https://monitoringapi.solaredge.com"

func init() {
	energy.RegisterKind(energy.Kind{
		Name: Name, Label: "SolarEdge monitoring cloud",
		Roles: []energy.Role{energy.RolePV, energy.RoleConsumption, energy.RoleGrid, energy.RoleBattery},
		// The cloud allows 300 calls a day per site and per key: one call
		// every 5 minutes is 288 a day, leaving a few for the wizard's test
		// button. The values are therefore up to 5 minutes old; a local
		// meter is better for following clouds.
		Interval: 5 * time.Minute,
	}, func(p Params) (energy.Source, error) { return New(p) })
}

// Params configures the source.
type Params struct {
	// SiteID is the site's number in the monitoring portal.
	SiteID string `json:"site_id"`
	// APIKey is the site API key (portal: Admin, Site Access, API Access).
	APIKey secret.String `json:"api_key"`
	// BaseURL replaces the cloud's address; empty means DefaultBaseURL.
	BaseURL string `json:"base_url,omitempty"`
}

var digits = regexp.MustCompile(`^[0-9]{1,12}$`)

// Validate names every bad field.
func (p Params) Validate() error {
	var c energy.Checks
	if !digits.MatchString(p.SiteID) {
		c.Fail("site_id", p.SiteID, "the site number from the monitoring portal, digits only, e.g. 1234567")
	}
	c.Required("api_key", p.APIKey.Reveal(), "the site API key from the monitoring portal (Admin, Site Access, API Access)")
	if p.BaseURL != "" {
		c.URL("base_url", p.BaseURL)
	}
	return c.Err()
}

// Source reads one SolarEdge site.
type Source struct {
	url    string // without the key
	client *http.Client
}

// New validates p and returns the source.
func New(p Params) (*Source, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	base := p.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	return &Source{
		url: strings.TrimSuffix(base, "/") + "/site/" + p.SiteID + "/currentPowerFlow",
		client: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &keyTransport{key: p.APIKey, base: http.DefaultTransport},
			// A redirect would carry the key in a URL we print in errors;
			// the API does not redirect, so treat one as an answer.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// keyTransport adds the API key to the query of a copy of each request. The
// key must travel in the URL (the API knows no header), but net/http quotes
// the request's URL in its errors; adding it here, below the client, keeps
// it out of every error message.
type keyTransport struct {
	key  secret.String
	base http.RoundTripper
}

func (t *keyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	q := r.URL.Query()
	q.Set("api_key", t.key.Reveal())
	r.URL.RawQuery = q.Encode()
	return t.base.RoundTrip(r)
}

type node struct {
	Status       string   `json:"status"`
	CurrentPower *float64 `json:"currentPower"`
	ChargeLevel  *float64 `json:"chargeLevel"` // STORAGE only, percent
}

// flow is the documented answer. Elements the site does not have (no
// meter: no GRID or LOAD; no battery: no STORAGE) are absent.
type flow struct {
	Site *struct {
		Unit        string `json:"unit"`
		Connections []struct {
			From string `json:"from"`
			To   string `json:"to"`
		} `json:"connections"`
		Grid    *node `json:"GRID"`
		Load    *node `json:"LOAD"`
		PV      *node `json:"PV"`
		Storage *node `json:"STORAGE"`
	} `json:"siteCurrentPowerFlow"`
}

// Read implements energy.Source.
func (s *Source) Read(ctx context.Context) (energy.Reading, error) {
	req, err := http.NewRequest(http.MethodGet, s.url, nil)
	if err != nil {
		return energy.Reading{}, fmt.Errorf("%s: %w", Name, err)
	}
	var f flow
	if err := energy.GetJSON(ctx, s.client, req, &f); err != nil {
		return energy.Reading{}, fmt.Errorf("%s: read power flow: %w", Name, explain(err))
	}
	r, err := f.reading()
	if err != nil {
		return energy.Reading{}, fmt.Errorf("%s: read power flow: %w", Name, err)
	}
	return r, nil
}

func (f flow) reading() (energy.Reading, error) {
	site := f.Site
	if site == nil || (site.Grid == nil && site.Load == nil && site.PV == nil) {
		return energy.Reading{}, errors.New("fields GRID, LOAD and PV missing; the site reports no power flow (is a SolarEdge meter installed?)")
	}
	var scale float64
	switch strings.ToLower(site.Unit) {
	case "w":
		scale = 1
	case "kw":
		scale = 1000
	case "mw":
		scale = 1e6
	default:
		return energy.Reading{}, fmt.Errorf("unknown power unit %q", site.Unit)
	}
	// Directions, from the connections. Names come in mixed case
	// ("GRID" → "Load", "LOAD" → "Grid"), so compare without case.
	var fromGrid, toGrid, fromStorage, toStorage bool
	for _, c := range site.Connections {
		from, to := strings.ToUpper(c.From), strings.ToUpper(c.To)
		fromGrid = fromGrid || from == "GRID"
		toGrid = toGrid || to == "GRID"
		fromStorage = fromStorage || from == "STORAGE"
		toStorage = toStorage || to == "STORAGE"
	}
	var r energy.Reading
	for _, e := range []struct {
		n    *node
		name string
		dst  *units.Watts
		has  *bool
	}{
		{site.PV, "PV", &r.Generation, &r.Has.Generation},
		{site.Load, "LOAD", &r.Consumption, &r.Has.Consumption},
		{site.Grid, "GRID", &r.Grid, &r.Has.Grid},
		{site.Storage, "STORAGE", &r.Battery, &r.Has.Battery},
	} {
		if e.n == nil {
			continue
		}
		if e.n.CurrentPower == nil {
			return energy.Reading{}, fmt.Errorf("field %s.currentPower missing", e.name)
		}
		*e.dst, *e.has = units.Watts(*e.n.CurrentPower*scale), true
	}
	// Grid positive means import. Power with no connection out of GRID or
	// into it has no stated direction: take it as import, the choice that
	// never invents surplus.
	if toGrid && !fromGrid {
		r.Grid = 0 - r.Grid // not -r.Grid: no "-0 W"
	}
	if st := site.Storage; st != nil {
		// Battery positive means discharging. Without a connection, fall
		// back on the status the cloud states.
		if toStorage || (!fromStorage && strings.EqualFold(st.Status, "Charging")) {
			r.Battery = 0 - r.Battery
		}
		if st.ChargeLevel != nil {
			r.BatterySoC, r.Has.BatterySoC = *st.ChargeLevel, true
		}
	}
	return r, nil
}

// explain adds what the cloud means by its refusals.
func explain(err error) error {
	var se *energy.StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%w; check the API key and that it belongs to this site ID", err)
	case http.StatusTooManyRequests:
		return fmt.Errorf("%w; the cloud's limit of 300 requests a day is used up, it resets at midnight (site time)", err)
	}
	return err
}
