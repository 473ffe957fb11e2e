package enphase

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
	"github.com/twcmanager/twcmanager/internal/secret"
)

// A made-up JWT of the shape entrez issues.
const token = "eyJraWQiOiI3ZDEwMDA1ZC03ODk5LTRkMGQtYmNiNC0yNDRmOThlZTE1NmIiLCJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJhdWQiOiIxMjIzMzQ0NTU2NjYiLCJpc3MiOiJFbnRyZXoiLCJlbnBoYXNlVXNlciI6Im93bmVyIn0.c2lnbmF0dXJl"

func metered(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/metered.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// gateway answers like firmware 7: body for production.json?details=1
// with the token, 401 without.
func gateway(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "", http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/production.json" || r.URL.Query().Get("details") != "1" {
			http.NotFound(w, r)
			return
		}
		energytest.JSON(body)(w, r)
	}
}

func source(t *testing.T, url, tok string) *Source {
	t.Helper()
	s, err := New(Params{URL: url, Token: secret.New(tok)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Firmware 7 over HTTPS with its self-signed certificate and a token; the
// meters show PV, house load and export.
func TestReadMeteredTLS(t *testing.T) {
	srv := energytest.NewServer(t, true, gateway(metered(t)))
	r, err := source(t, srv.URL, token).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// PV from the production meter, not the inverters (4187).
	if r.Generation != 4211.532 || r.Consumption != 1035.27 || r.Grid != -3176.262 {
		t.Fatalf("%+v", r)
	}
	if !r.Has.Generation || !r.Has.Consumption || !r.Has.Grid || r.Has.Battery || r.Has.BatterySoC || r.Has.Phases {
		t.Fatalf("has %+v", r.Has)
	}
}

// At night the production meter reads a few negative watts; the house
// imports.
func TestReadNight(t *testing.T) {
	night := `{"production": [{"type": "inverters", "activeCount": 18, "wNow": 0},
	  {"type": "eim", "activeCount": 1, "measurementType": "production", "wNow": -2.841}],
	 "consumption": [{"type": "eim", "activeCount": 1, "measurementType": "total-consumption", "wNow": 609.559},
	  {"type": "eim", "activeCount": 1, "measurementType": "net-consumption", "wNow": 612.4}]}`
	srv := energytest.NewServer(t, false, energytest.JSON(night))
	r, err := source(t, srv.URL+"/", "").Read(context.Background())
	if err != nil || r.Generation != 0 || !r.Has.Generation || r.Grid != 612.4 || r.Consumption != 609.559 {
		t.Fatalf("%+v %v", r, err)
	}
}

// Without meters (older firmware, plain Envoy-S) only the inverters count,
// and there is no load or grid value.
func TestReadInvertersOnly(t *testing.T) {
	plain := `{"production": [{"type": "inverters", "activeCount": 12, "readingTime": 1750500000, "wNow": 2950, "whLifetime": 9120345},
	  {"type": "eim", "activeCount": 0, "measurementType": "production", "readingTime": 1750500010, "wNow": 0.0}],
	 "consumption": [{"type": "eim", "activeCount": 0, "measurementType": "total-consumption", "wNow": 0.0},
	  {"type": "eim", "activeCount": 0, "measurementType": "net-consumption", "wNow": 0.0}],
	 "storage": [{"type": "acb", "activeCount": 0, "readingTime": 0, "wNow": 0, "whNow": 0, "state": "idle"}]}`
	srv := energytest.NewServer(t, false, energytest.JSON(plain))
	r, err := source(t, srv.URL, "").Read(context.Background())
	if err != nil || r.Generation != 2950 || r.Has.Grid || r.Has.Consumption {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestFaults(t *testing.T) {
	faults := append(energytest.HTTPFaults(`{"production": [], "consumption": []}`),
		energytest.Fault{Name: "token refused", Handler: energytest.Status(http.StatusUnauthorized), Want: []string{"401", "token missing or expired", "entrez.enphaseenergy.com"}},
	)
	energytest.CheckFaults(t, Name, faults, func(url string) energy.Source { return source(t, url, "") })
}

func TestExpiredTokenTLS(t *testing.T) {
	srv := energytest.NewServer(t, true, gateway(metered(t)))
	_, err := source(t, srv.URL, "expired.jwt.token").Read(context.Background())
	energytest.CheckError(t, err, Name, "401", "token missing or expired")
}

func TestRecovers(t *testing.T) {
	good := gateway(metered(t))
	srv := energytest.NewServer(t, true, good)
	energytest.CheckRecovery(t, srv, good, source(t, srv.URL, token))
}

func TestParams(t *testing.T) {
	for raw, field := range map[string]string{
		`{"url": "192.168.1.30"}`:         "url",
		`{}`:                              "url",
		`{"url": "https://192.168.1.30"}`: "token",
		`{"url": "http://192.168.1.30", "token": "x"}`: "url",
	} {
		_, _, err := energy.Build(Name, json.RawMessage(raw))
		fe, ok := config.AsErrors(err)
		if !ok || fe.Field(field) == nil {
			t.Errorf("%s: err %v, want a %s error", raw, err, field)
		}
	}
	if _, _, err := energy.Build(Name, json.RawMessage(`{"url": "http://x", "jwt": "x"}`)); err == nil {
		t.Error("unknown field accepted")
	}
	srv := energytest.NewServer(t, true, gateway(metered(t)))
	r, err := energy.Test(context.Background(), Name, json.RawMessage(`{"url": "`+srv.URL+`", "token": "`+token+`"}`))
	if err != nil || r.Generation != 4211.532 {
		t.Fatalf("Test: %+v %v", r, err)
	}
}

func TestTokenNeverShows(t *testing.T) {
	https := strings.Replace(energytest.RefusedURL(t), "http://", "https://", 1)
	var texts []string
	for _, url := range []string{
		https,
		energytest.NewServer(t, true, energytest.Status(http.StatusUnauthorized)).URL,
		energytest.NewServer(t, true, energytest.Status(http.StatusInternalServerError)).URL,
		energytest.NewServer(t, true, energytest.JSON(`{"production": [`)).URL,
	} {
		s := source(t, url, token)
		_, err := s.Read(context.Background())
		if err == nil {
			t.Fatalf("%s: read succeeded", url)
		}
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s))
	}
	p := Params{URL: "http://envoy.local", Token: secret.New(token)}
	b, _ := json.Marshal(p)
	_, err := New(p) // token with http: refused, quoting the URL only
	texts = append(texts, string(b), fmt.Sprintf("%+v", p), err.Error())
	for _, s := range texts {
		if strings.Contains(s, token) || strings.Contains(s, "c2lnbmF0dXJl") {
			t.Errorf("token shows in %q", s)
		}
	}
}
