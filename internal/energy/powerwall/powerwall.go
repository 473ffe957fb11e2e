// Package powerwall reads a Tesla Powerwall 2 / Backup Gateway on the local
// network: grid, house load, PV and battery from /api/meters/aggregates,
// the battery's charge from /api/system_status/soe. The gateway wants a
// login first (the "customer" user); its session ends now and then, so a
// refused read logs in again once.
//
// The Powerwall 3 has no such local API; it is not supported here.
package powerwall

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Name is the source kind.
const Name = "powerwall"

func init() {
	energy.RegisterKind(energy.Kind{
		Name: Name, Label: "Tesla Powerwall gateway",
		Roles:    []energy.Role{energy.RolePV, energy.RoleConsumption, energy.RoleGrid, energy.RoleBattery},
		Interval: 5 * time.Second,
	}, func(p Params) (energy.Source, error) { return New(p) })
}

// Params configures the source.
type Params struct {
	// URL of the gateway, e.g. https://192.168.1.40.
	URL string `json:"url"`
	// Email is recorded by the gateway with the login; any address works.
	Email string `json:"email"`
	// Password is the gateway's customer password (on newer gateways the
	// last 5 characters of the password on its label).
	Password secret.String `json:"password"`
}

// Validate names every bad field.
func (p Params) Validate() error {
	var c energy.Checks
	c.URL("url", p.URL)
	if !strings.Contains(p.Email, "@") {
		c.Fail("email", p.Email, "an email address, e.g. your Tesla account's")
	}
	c.Required("password", p.Password.Reveal(), "the gateway's customer password")
	return c.Err()
}

// Source reads one gateway.
type Source struct {
	url      string
	email    string
	password secret.String
	client   *http.Client

	mu    sync.Mutex    // one read at a time, so one login at a time
	token secret.String // of the current session; empty before login
	// A refused login is not tried again before heldUntil: the gateway
	// locks the customer login after a few failures in a row.
	heldUntil time.Time
	heldErr   error
	now       func() time.Time
}

// loginHold is how long a refused password is not tried again.
const loginHold = 5 * time.Minute

// New validates p and returns the source.
func New(p Params) (*Source, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// The gateway serves HTTPS with a certificate it signed itself, which
	// nothing can verify. Verification is skipped for this device's client
	// only; the cost is that someone on the home network could pose as the
	// gateway and learn the password.
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // self-signed device certificate, see above
	jar, _ := cookiejar.New(nil)                               // keeps the AuthCookie the login sets
	return &Source{
		url: strings.TrimSuffix(p.URL, "/"), email: p.Email, password: p.Password, now: time.Now,
		client: &http.Client{Timeout: 30 * time.Second, Transport: tr, Jar: jar},
	}, nil
}

// Format prints the source without its password and token: fmt cannot call
// their own masking Format through unexported fields.
func (s *Source) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "%s source %s", Name, s.url) }

// meter is one entry of the aggregates. The gateway's signs are those of
// energy.Reading: site positive when importing, battery positive when
// discharging, load and solar positive.
type meter struct {
	InstantPower *float64 `json:"instant_power"`
}

type aggregates struct {
	Site, Load, Solar, Battery *meter
}

// Read implements energy.Source.
func (s *Source) Read(ctx context.Context) (energy.Reading, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.token.IsSet() {
		if err := s.login(ctx); err != nil {
			return energy.Reading{}, err
		}
	}
	r, err := s.read(ctx)
	var se *energy.StatusError
	if errors.As(err, &se) && (se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden) {
		// The session ended (gateway restart, expiry): log in again, once.
		s.token = secret.String{}
		if err := s.login(ctx); err != nil {
			return energy.Reading{}, err
		}
		r, err = s.read(ctx)
	}
	return r, err
}

func (s *Source) login(ctx context.Context) error {
	if s.now().Before(s.heldUntil) {
		return s.heldErr
	}
	body, _ := json.Marshal(map[string]any{
		"username": "customer", "password": s.password.Reveal(), "email": s.email, "force_sm_off": false,
	})
	req, err := http.NewRequest(http.MethodPost, s.url+"/api/login/Basic", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	var ans struct {
		Token string `json:"token"`
	}
	if err := energy.GetJSON(ctx, s.client, req, &ans); err != nil {
		var se *energy.StatusError
		if !errors.As(err, &se) {
			return fmt.Errorf("%s: login: %w", Name, err)
		}
		switch se.Code {
		case http.StatusUnauthorized, http.StatusForbidden:
			err = fmt.Errorf("%w; check the customer password and that the gateway's web login works", err)
		case http.StatusTooManyRequests:
			err = fmt.Errorf("%w; after failed logins the gateway refuses logins for a while", err)
		default:
			return fmt.Errorf("%s: login: %w", Name, err)
		}
		s.heldUntil = s.now().Add(loginHold)
		s.heldErr = fmt.Errorf("%s: login: %w (next try at %s)", Name, err, s.heldUntil.Format("15:04"))
		return s.heldErr
	}
	if ans.Token == "" {
		return fmt.Errorf("%s: login: field token missing in the answer", Name)
	}
	s.token = secret.New(ans.Token)
	return nil
}

func (s *Source) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		return err
	}
	// The gateway takes the token as a bearer token or as the AuthCookie
	// the jar sends; both go, as firmware versions differ.
	req.Header.Set("Authorization", "Bearer "+s.token.Reveal())
	return energy.GetJSON(ctx, s.client, req, v)
}

func (s *Source) read(ctx context.Context) (energy.Reading, error) {
	var a aggregates
	if err := s.get(ctx, "/api/meters/aggregates", &a); err != nil {
		return energy.Reading{}, fmt.Errorf("%s: read meters: %w", Name, err)
	}
	var r energy.Reading
	for _, m := range []struct {
		m        *meter
		name     string
		dst      *units.Watts
		has      *bool
		required bool
	}{
		{a.Site, "site", &r.Grid, &r.Has.Grid, true},
		{a.Load, "load", &r.Consumption, &r.Has.Consumption, true},
		{a.Solar, "solar", &r.Generation, &r.Has.Generation, false},
		{a.Battery, "battery", &r.Battery, &r.Has.Battery, false},
	} {
		switch {
		case m.m != nil && m.m.InstantPower != nil:
			*m.dst, *m.has = units.Watts(*m.m.InstantPower), true
		case m.required:
			return energy.Reading{}, fmt.Errorf("%s: read meters: field %s.instant_power missing", Name, m.name)
		}
	}
	var soe struct {
		Percentage *float64 `json:"percentage"`
	}
	if err := s.get(ctx, "/api/system_status/soe", &soe); err != nil {
		return energy.Reading{}, fmt.Errorf("%s: read battery charge: %w", Name, err)
	}
	if soe.Percentage == nil {
		return energy.Reading{}, fmt.Errorf("%s: read battery charge: field percentage missing", Name)
	}
	// The gateway's own figure, which counts the 5 % the app hides as
	// reserve: the app shows (p - 5) / 0.95. TWCManager compared this raw
	// figure too, so imported thresholds keep their meaning.
	r.BatterySoC, r.Has.BatterySoC = *soe.Percentage, true
	return r, nil
}
