package powerwall

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
	"github.com/twcmanager/twcmanager/internal/secret"
)

const (
	password = "Xq7Ba"
	// Tokens the fake gateway issues start like this.
	tokenPrefix = "OgiGHjoNvwx17SRIaYFIOWPJSaKBYwmMGc5K4tTz57EziltPYsdtjU_DJ08tJqaW=="
	soe         = `{"percentage": 69.1}`
)

// gateway fakes the Powerwall gateway's login and session handling.
type gateway struct {
	mu         sync.Mutex
	token      string // the valid session token; "" when none
	logins     int
	aggregates string
	sawCookie  bool
	refuseAll  bool // refuse every session, as a gateway in trouble might
}

func newGateway(t *testing.T) *gateway {
	b, err := os.ReadFile("testdata/aggregates.json")
	if err != nil {
		t.Fatal(err)
	}
	return &gateway{aggregates: string(b)}
}

func (g *gateway) handle(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.URL.Path == "/api/login/Basic" {
		var in struct {
			Username, Password, Email string
			ForceSMOff                *bool `json:"force_sm_off"`
		}
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&in) != nil || in.ForceSMOff == nil || in.Email == "" {
			http.Error(w, `{"code":400,"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		if in.Username != "customer" || in.Password != password {
			http.Error(w, `{"code":401,"error":"bad credentials","message":"Login Error"}`, http.StatusUnauthorized)
			return
		}
		g.logins++
		g.token = fmt.Sprintf("%s%d", tokenPrefix, g.logins)
		http.SetCookie(w, &http.Cookie{Name: "AuthCookie", Value: g.token, Path: "/", HttpOnly: true})
		energytest.JSON(`{"email":"`+in.Email+`","firstname":"Tesla","lastname":"Energy","roles":["Home_Owner"],"token":"`+g.token+`","provider":"Basic","loginTime":"2026-06-21T12:00:00+02:00"}`)(w, r)
		return
	}
	c, _ := r.Cookie("AuthCookie")
	g.sawCookie = g.sawCookie || (c != nil && c.Value == g.token)
	if g.refuseAll || g.token == "" || r.Header.Get("Authorization") != "Bearer "+g.token {
		http.Error(w, `{"code":401,"error":"token invalid","message":"Invalid bearer token"}`, http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case "/api/meters/aggregates":
		energytest.JSON(g.aggregates)(w, r)
	case "/api/system_status/soe":
		energytest.JSON(soe)(w, r)
	default:
		http.NotFound(w, r)
	}
}

func source(t *testing.T, url, pw string) *Source {
	t.Helper()
	s, err := New(Params{URL: url, Email: "owner@example.com", Password: secret.New(pw)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRead(t *testing.T) {
	g := newGateway(t)
	srv := energytest.NewServer(t, true, g.handle)
	s := source(t, srv.URL, password)
	for range 2 {
		r, err := s.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// Exporting while PV charges the battery: the gateway's signs are
		// already those of Reading.
		if r.Grid != -1840.449996948242 || r.Consumption != 1546.2712597712405 || r.Generation != 5736.72 || r.Battery != -2350 || r.BatterySoC != 69.1 {
			t.Fatalf("%+v", r)
		}
		if !r.Has.Generation || !r.Has.Consumption || !r.Has.Grid || !r.Has.Battery || !r.Has.BatterySoC || r.Has.Phases {
			t.Fatalf("has %+v", r.Has)
		}
	}
	if g.logins != 1 || !g.sawCookie {
		t.Errorf("%d logins, cookie sent %v; want one login for both reads, with the cookie", g.logins, g.sawCookie)
	}
}

// When the session ends the source logs in again, once, and reads.
func TestRelogin(t *testing.T) {
	g := newGateway(t)
	srv := energytest.NewServer(t, true, g.handle)
	s := source(t, srv.URL, password)
	if _, err := s.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	g.token = "" // gateway restarted
	g.mu.Unlock()
	r, err := s.Read(context.Background())
	if err != nil || r.Battery != -2350 || g.logins != 2 {
		t.Fatalf("%+v %v after %d logins", r, err, g.logins)
	}
	// A gateway that refuses even the new session: one retry, then the error.
	g.mu.Lock()
	g.refuseAll = true
	g.mu.Unlock()
	_, err = s.Read(context.Background())
	energytest.CheckError(t, err, Name, "read meters", "401")
	if g.logins != 3 {
		t.Errorf("%d logins, want 3", g.logins)
	}
}

// A refused password is not tried again for a while: the gateway would
// lock the login.
func TestWrongPassword(t *testing.T) {
	g := newGateway(t)
	srv := energytest.NewServer(t, true, g.handle)
	s := source(t, srv.URL, "wrong")
	now := time.Date(2026, 6, 21, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	for range 3 {
		_, err := s.Read(context.Background())
		energytest.CheckError(t, err, Name, "login", "401", "customer password", "next try at 12:05")
	}
	if n := srv.Hits.Load(); n != 1 {
		t.Fatalf("%d requests while the login is held, want 1", n)
	}
	now = now.Add(loginHold)
	_, err := s.Read(context.Background())
	energytest.CheckError(t, err, Name, "login", "401", "next try at 12:10")
	if n := srv.Hits.Load(); n != 2 {
		t.Fatalf("%d requests after the hold, want 2", n)
	}
}

func TestFaults(t *testing.T) {
	// Every request gets the same body: the login finds its token, the
	// aggregates lack the load.
	faults := append(energytest.HTTPFaults(`{"token": "t", "site": {"instant_power": 1}}`),
		energytest.Fault{Name: "no token", Handler: energytest.JSON(`{"provider": "Basic"}`), Want: []string{"login", "token missing"}},
		energytest.Fault{Name: "login refused", Handler: energytest.Status(http.StatusUnauthorized), Want: []string{"login", "401", "password"}},
		energytest.Fault{Name: "locked out", Handler: energytest.Status(http.StatusTooManyRequests), Want: []string{"login", "429", "for a while"}},
		energytest.Fault{Name: "no charge", Handler: energytest.JSON(`{"token": "t", "site": {"instant_power": 1}, "load": {"instant_power": 1}}`), Want: []string{"charge", "percentage missing"}},
	)
	// A server notices a client giving up only once it has read the request
	// body; energytest.Slow does not read the login's body, so drain it.
	for i, f := range faults {
		if h := f.Handler; h != nil {
			faults[i].Handler = func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body); h(w, r) }
		}
	}
	energytest.CheckFaults(t, Name, faults, func(url string) energy.Source { return source(t, url, password) })
}

func TestRecovers(t *testing.T) {
	g := newGateway(t)
	srv := energytest.NewServer(t, true, g.handle)
	energytest.CheckRecovery(t, srv, g.handle, source(t, srv.URL, password))
}

func TestParams(t *testing.T) {
	for raw, field := range map[string]string{
		`{"email": "a@b.c", "password": "p"}`:                        "url",
		`{"url": "https://pw", "password": "p"}`:                     "email",
		`{"url": "https://pw", "email": "a@b.c"}`:                    "password",
		`{"url": "https://pw", "email": "a@b.c", "password": "   "}`: "password",
	} {
		_, _, err := energy.Build(Name, json.RawMessage(raw))
		fe, ok := config.AsErrors(err)
		if !ok || fe.Field(field) == nil {
			t.Errorf("%s: err %v, want a %s error", raw, err, field)
		}
	}
	if _, _, err := energy.Build(Name, json.RawMessage(`{"url": "https://pw", "email": "a@b.c", "password": "p", "min_soc": 20}`)); err == nil {
		t.Error("unknown field accepted")
	}
	srv := energytest.NewServer(t, true, newGateway(t).handle)
	r, err := energy.Test(context.Background(), Name, json.RawMessage(`{"url": "`+srv.URL+`", "email": "a@b.c", "password": "`+password+`"}`))
	if err != nil || r.BatterySoC != 69.1 {
		t.Fatalf("Test: %+v %v", r, err)
	}
}

func TestSecretsNeverShow(t *testing.T) {
	g := newGateway(t)
	g.aggregates = `{"site": {}}`
	srv := energytest.NewServer(t, true, g.handle)
	var texts []string
	for _, url := range []string{
		srv.URL, // logs in, then fails: the source holds a token
		energytest.RefusedURL(t),
		energytest.NewServer(t, true, energytest.Status(http.StatusUnauthorized)).URL,
	} {
		s := source(t, url, password)
		_, err := s.Read(context.Background())
		if err == nil {
			t.Fatalf("%s: read succeeded", url)
		}
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s))
	}
	if g.logins != 1 {
		t.Fatalf("%d logins", g.logins)
	}
	p := Params{URL: "https://pw", Email: "a@b.c", Password: secret.New(password)}
	b, _ := json.Marshal(p)
	texts = append(texts, string(b), fmt.Sprintf("%+v", p))
	for _, s := range texts {
		if strings.Contains(s, password) || strings.Contains(s, tokenPrefix) {
			t.Errorf("secret shows in %q", s)
		}
	}
}
