package appliance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/store"
	"github.com/twcmanager/twcmanager/internal/vehicle"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla"
	"github.com/twcmanager/twcmanager/ui/web"
)

// cars holds the car connection: the Fleet API client built from the
// settings and secrets in force, rebuilt when they change, and the login
// under way between "open the Tesla login" and "finish the login".
type cars struct {
	a *Appliance

	mu     sync.Mutex
	key    string // what the client was built from
	client vehicle.API
	err    error // why no client could be built
	login  *tesla.Login
}

// TeslaServers replaces Tesla's servers, for tests against a fake.
type TeslaServers struct {
	Endpoints tesla.Endpoints
	// Client trusts the fake's TLS certificate.
	Client *http.Client
}

// secretsOf reads the named secrets through the web app (store or memory).
func (c *cars) secret(name string) secret.String {
	v, _ := c.a.web.Secret(name)
	return v
}

// tokenStore keeps the Tesla tokens as one secret, so the access and the
// rotated refresh token are always saved together.
type tokenStore struct{ w *webApp }

type storedTokens struct {
	Access  string    `json:"access"`
	Refresh string    `json:"refresh"`
	Expiry  time.Time `json:"expiry"`
	Scopes  []string  `json:"scopes,omitempty"`
}

func (t tokenStore) Load() (tesla.Tokens, error) {
	v, err := t.w.Secret(config.TeslaTokens)
	if err != nil || !v.IsSet() {
		return tesla.Tokens{}, err
	}
	var st storedTokens
	if err := json.Unmarshal([]byte(v.Reveal()), &st); err != nil {
		return tesla.Tokens{}, errors.New("appliance: the stored Tesla tokens cannot be read; log in again")
	}
	return tesla.Tokens{Access: secret.New(st.Access), Refresh: secret.New(st.Refresh), Expiry: st.Expiry, Scopes: st.Scopes}, nil
}

func (t tokenStore) Save(tk tesla.Tokens) error {
	if !tk.Refresh.IsSet() && !tk.Access.IsSet() {
		return t.w.SetSecret(config.TeslaTokens, secret.String{})
	}
	raw, err := json.Marshal(storedTokens{Access: tk.Access.Reveal(), Refresh: tk.Refresh.Reveal(), Expiry: tk.Expiry, Scopes: tk.Scopes})
	if err != nil {
		return err
	}
	return t.w.SetSecret(config.TeslaTokens, secret.New(string(raw)))
}

// app is the user's developer app from the settings.
func (c *cars) app(v config.Vehicle) (tesla.App, error) {
	app := tesla.App{ClientID: v.ClientID, ClientSecret: c.secret(config.TeslaClientSecret), RedirectURI: v.RedirectURI,
		Clock: c.a.cfg.Clock}
	if o := c.a.cfg.Tesla; o != nil {
		app.Endpoints, app.HTTPClient = o.Endpoints, o.Client
		return app, nil
	}
	var err error
	app.Endpoints, err = tesla.RegionEndpoints(v.Region)
	return app, err
}

// appKey is the app's private key, made on first use of a direct
// connection and kept in the secrets.
func (c *cars) appKey() (secret.String, error) {
	k := c.secret(config.TeslaAppKey)
	if k.IsSet() {
		return k, nil
	}
	priv, _, err := tesla.NewAppKey()
	if err != nil {
		return secret.String{}, err
	}
	if err := c.a.web.SetSecret(config.TeslaAppKey, priv); err != nil {
		return secret.String{}, err
	}
	return priv, nil
}

// api is the connection in force, nil without one. The manager asks for it
// before each piece of work; it is rebuilt only when its inputs change.
func (c *cars) api() vehicle.API {
	v := c.a.settingsNow().Vehicle
	if v.Connection == config.CarNone {
		return nil
	}
	key := fmt.Sprintf("%+v|%x|%x", v, c.secret(config.TeslaClientSecret).Reveal(), c.secret(config.TeslaProxyToken).Reveal())
	c.mu.Lock()
	defer c.mu.Unlock()
	if key == c.key && (c.client != nil || c.err != nil) {
		return c.client
	}
	c.key, c.client, c.err = key, nil, nil
	cfg := tesla.Config{Connection: v.Connection, Tokens: tokenStore{c.a.web}, ProxyURL: v.ProxyURL,
		ProxyToken: c.secret(config.TeslaProxyToken), ProxyCACert: v.ProxyCACert, ProxyInsecure: v.ProxyInsecure,
		Clock: c.a.cfg.Clock, Logger: c.a.log.With("component", "tesla")}
	if o := c.a.cfg.Tesla; o != nil {
		cfg.HTTPClient = o.Client
	}
	var err error
	if cfg.App, err = c.app(v); err == nil && v.Connection == config.CarDirect {
		cfg.PrivateKeyPEM, err = c.appKey()
	}
	if err == nil {
		var cl *tesla.Client
		if cl, err = tesla.New(cfg); err == nil {
			c.client = cl
		}
	}
	if err != nil {
		c.err = err
		c.a.log.Warn("car connection not available", "err", err)
		return nil
	}
	return c.client
}

// usageStore keeps the month's car API usage in the database.
type usageStore struct{ st *store.Store }

func (u usageStore) LoadUsage(month string) (vehicle.Usage, error) {
	var out vehicle.Usage
	_, err := u.st.GetJSON(store.Vehicle, "usage/"+month, &out)
	return out, err
}

func (u usageStore) SaveUsage(month string, v vehicle.Usage) error {
	return u.st.PutJSON(store.Vehicle, "usage/"+month, v)
}

// view is the car connection for the UI.
func (c *cars) view() web.CarView {
	s := c.a.settingsNow()
	v := s.Vehicle
	st := c.a.vehicles.Status()
	out := web.CarView{Connection: v.Connection, Problem: st.Problem}
	if tk, err := (tokenStore{c.a.web}).Load(); err == nil && tk.Refresh.IsSet() {
		out.LoggedIn = true
	}
	c.mu.Lock()
	if c.err != nil && v.Connection != config.CarNone {
		out.Problem = c.err.Error()
	}
	c.mu.Unlock()
	if v.Connection == config.CarDirect {
		if k := c.secret(config.TeslaAppKey); k.IsSet() {
			out.PublicKeyPEM, _ = tesla.PublicKeyPEM(k)
		} else if k, err := c.appKey(); err == nil {
			out.PublicKeyPEM, _ = tesla.PublicKeyPEM(k)
		}
		if v.Domain != "" {
			out.PublicKeyURL, out.EnrollURL = tesla.PublicKeyURL(v.Domain), tesla.EnrollURL(v.Domain)
		}
	}
	for _, car := range st.Cars {
		line := web.CarLine{VIN: car.VIN, Name: car.Name, Where: car.Where}
		if car.Matched {
			line.Charger = car.Charger.String()
		}
		switch {
		case car.Problem != "":
			line.State = car.Problem
		case car.Asleep:
			line.State = "asleep"
		case car.HasState:
			line.State = fmt.Sprintf("%s, %.0f %% (limit %.0f %%), read %s ago", strings.ToLower(car.State.Charging), car.State.SoC, car.State.Limit, car.StateAge.Round(time.Second))
		}
		if car.Note != "" {
			line.State += "; " + car.Note
		}
		out.Cars = append(out.Cars, line)
	}
	u := st.Usage
	if v.Connection != config.CarNone {
		out.Usage = fmt.Sprintf("This month: %d commands, %d status reads, %d wake-ups: $%.2f", u.Commands, u.Data, u.Wakes, u.Cost)
		if u.Budget > 0 {
			out.Usage += fmt.Sprintf(" of the $%.2f budget", u.Budget)
		}
		out.Usage += "."
	}
	return out
}

// loginURL starts a Tesla login and keeps what finishing it needs.
func (c *cars) loginURL() (string, error) {
	v := c.a.settingsNow().Vehicle
	if v.Connection != config.CarDirect {
		return "", errors.New("choose “My own Tesla developer app” and save first")
	}
	if v.RedirectURI == "" {
		return "", errors.New("enter your app's redirect URL and save first")
	}
	app, err := c.app(v)
	if err != nil {
		return "", err
	}
	l, err := app.AuthURL()
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.login = &l
	c.mu.Unlock()
	return l.URL, nil
}

// loginFinish exchanges the pasted address for tokens and saves them.
func (c *cars) loginFinish(ctx context.Context, pasted string) error {
	c.mu.Lock()
	l := c.login
	c.mu.Unlock()
	if l == nil {
		return errors.New("open the Tesla login from this page first (it was not opened, or the appliance restarted since)")
	}
	app, err := c.app(c.a.settingsNow().Vehicle)
	if err != nil {
		return err
	}
	tk, err := app.Exchange(ctx, pasted, *l)
	if err != nil {
		return err
	}
	if err := (tokenStore{c.a.web}).Save(tk); err != nil {
		return fmt.Errorf("the login worked but could not be saved: %w", err)
	}
	c.mu.Lock()
	c.login, c.key = nil, "" // a new client picks up the new tokens
	c.mu.Unlock()
	c.a.vehicles.Retry()
	return nil
}

// test has the manager read the car list again (one data request, counted
// like every other) and says what it found.
func (c *cars) test(ctx context.Context) (string, error) {
	if c.api() == nil {
		c.mu.Lock()
		err := c.err
		c.mu.Unlock()
		if err != nil {
			return "", err
		}
		return "", errors.New("no car connection is chosen")
	}
	before := c.a.vehicles.Status()
	c.a.vehicles.Retry()
	ctx, cancel := context.WithTimeout(ctx, 50*time.Second)
	defer cancel()
	for {
		st := c.a.vehicles.Status()
		switch {
		case st.LastOK.After(before.LastOK):
			if len(st.Cars) == 0 {
				return "Connected, but the account has no cars.", nil
			}
			var names []string
			for _, car := range st.Cars {
				n := car.VIN
				if car.Name != "" {
					n = car.Name + " (" + car.VIN + ")"
				}
				names = append(names, n)
			}
			return "Connected: " + strings.Join(names, ", ") + ".", nil
		case st.Problem != "" && st.Problem != before.Problem:
			return "", errors.New(st.Problem)
		}
		select {
		case <-ctx.Done():
			if st.Problem != "" {
				return "", errors.New(st.Problem)
			}
			return "", errors.New("no answer from the car connection in 50 s: check the network, then try again")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *cars) logout() error {
	if err := (tokenStore{c.a.web}).Save(tesla.Tokens{}); err != nil {
		return err
	}
	c.mu.Lock()
	c.key = ""
	c.mu.Unlock()
	return nil
}

// The web app's car methods.

func (w *webApp) Car() web.CarView                            { return w.a.cars.view() }
func (w *webApp) CarLoginURL() (string, error)                { return w.a.cars.loginURL() }
func (w *webApp) CarLogout() error                            { return w.a.cars.logout() }
func (w *webApp) CarTest(ctx context.Context) (string, error) { return w.a.cars.test(ctx) }
func (w *webApp) CarLoginFinish(ctx context.Context, pasted string) error {
	return w.a.cars.loginFinish(ctx, pasted)
}
