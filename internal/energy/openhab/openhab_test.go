package openhab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
	"github.com/twcmanager/twcmanager/internal/secret"
)

const token = "oh.twcmanager.Q2hhcmdlci1zZWNyZXQtdG9rZW4tdmFsdWU"

// openHAB serves item states as text, as its REST API does; with a token
// set it refuses requests without it.
func openHAB(tok string, states map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if tok != "" && r.Header.Get("Authorization") != "Bearer "+tok {
			http.Error(w, "", http.StatusUnauthorized)
			return
		}
		item, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/rest/items/"), "/state")
		st, known := states[item]
		if !ok || !known {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = fmt.Fprintf(w, `{"error":{"message":"Item %s does not exist!","http-code":404}}`, item)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(st))
	}
}

var states = map[string]string{"PV_Power": "5120.5 W", "House_Load": "0.75 kW", "Grid_Power": "-1502.5 W", "Plain": "412"}

func source(t *testing.T, p Params) *Source {
	t.Helper()
	s, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRead(t *testing.T) {
	srv := energytest.NewServer(t, false, openHAB("", states))
	r, err := source(t, Params{URL: srv.URL, PVItem: "PV_Power", ConsumptionItem: "House_Load", GridItem: "Grid_Power"}).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Generation != 5120.5 || r.Consumption != 750 || r.Grid != -1502.5 {
		t.Fatalf("%+v", r)
	}
	if !r.Has.Generation || !r.Has.Consumption || !r.Has.Grid || r.Has.Battery || r.Has.BatterySoC || r.Has.Phases {
		t.Fatalf("has %+v", r.Has)
	}
}

// A plain Number item (no unit) is taken as W; a meter counting export
// positive is turned around; the token goes along as a bearer token.
func TestReadPlainExportPositiveToken(t *testing.T) {
	srv := energytest.NewServer(t, false, openHAB(token, states))
	r, err := source(t, Params{URL: srv.URL + "/", Token: secret.New(token), GridItem: "Plain", GridExportPositive: true}).Read(context.Background())
	if err != nil || r.Grid != -412 || r.Has.Generation {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestFaults(t *testing.T) {
	text := func(s string) http.HandlerFunc { return openHAB("", map[string]string{"PV_Power": s}) }
	// The shared faults, with an empty answer as the missing field and a
	// state that is not a number standing for malformed JSON.
	faults := energytest.HTTPFaults("")
	for i := range faults {
		if faults[i].Name == "malformed JSON" {
			faults[i].Want = []string{"not a number"}
		}
	}
	faults = append(faults,
		energytest.Fault{Name: "NULL", Handler: text("NULL"), Want: []string{"pv_power is null"}},
		energytest.Fault{Name: "UNDEF", Handler: text("UNDEF"), Want: []string{"pv_power is undef"}},
		energytest.Fault{Name: "not a number", Handler: text("ON"), Want: []string{`"on"`, "not a number"}},
		energytest.Fault{Name: "energy, not power", Handler: text("12.5 kWh"), Want: []string{`"kwh"`, "w or kw"}},
		energytest.Fault{Name: "token needed", Handler: energytest.Status(http.StatusUnauthorized), Want: []string{"401", "api token"}},
		energytest.Fault{Name: "no such item", Handler: openHAB("", nil), Want: []string{"404", "pv_power does not exist"}},
		energytest.Fault{Name: "huge answer", Handler: text(strings.Repeat("9", 5000)), Want: []string{"larger than"}},
	)
	energytest.CheckFaults(t, Name, faults, func(url string) energy.Source { return source(t, Params{URL: url, PVItem: "PV_Power"}) })
}

func TestRecovers(t *testing.T) {
	good := openHAB(token, states)
	srv := energytest.NewServer(t, false, good)
	energytest.CheckRecovery(t, srv, good, source(t, Params{URL: srv.URL, Token: secret.New(token), PVItem: "PV_Power", GridItem: "Grid_Power"}))
}

func TestParams(t *testing.T) {
	for raw, field := range map[string]string{
		`{"pv_item": "PV"}`:                                                     "url",
		`{"url": "http://oh:8080"}`:                                             "pv_item",
		`{"url": "http://oh:8080", "pv_item": "PV Power"}`:                      "pv_item",
		`{"url": "http://oh:8080", "grid_item": "a/b"}`:                         "grid_item",
		`{"url": "http://oh:8080", "consumption_item": "1x", "grid_item": "G"}`: "consumption_item",
	} {
		_, _, err := energy.Build(Name, json.RawMessage(raw))
		fe, ok := config.AsErrors(err)
		if !ok || fe.Field(field) == nil {
			t.Errorf("%s: err %v, want a %s error", raw, err, field)
		}
	}
	if _, _, err := energy.Build(Name, json.RawMessage(`{"url": "http://oh", "pv_item": "PV", "battery_item": "B"}`)); err == nil {
		t.Error("unknown field accepted")
	}
	srv := energytest.NewServer(t, false, openHAB("", states))
	r, err := energy.Test(context.Background(), Name, json.RawMessage(`{"url": "`+srv.URL+`", "consumption_item": "House_Load"}`))
	if err != nil || r.Consumption != 750 {
		t.Fatalf("Test: %+v %v", r, err)
	}
}

func TestTokenNeverShows(t *testing.T) {
	var texts []string
	for _, url := range []string{
		energytest.RefusedURL(t),
		energytest.NewServer(t, false, energytest.Status(http.StatusUnauthorized)).URL,
		energytest.NewServer(t, false, openHAB(token, map[string]string{"PV_Power": "UNDEF"})).URL,
	} {
		s := source(t, Params{URL: url, Token: secret.New(token), PVItem: "PV_Power"})
		_, err := s.Read(context.Background())
		if err == nil {
			t.Fatalf("%s: read succeeded", url)
		}
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s))
	}
	p := Params{URL: "http://oh", Token: secret.New(token), PVItem: "PV"}
	b, _ := json.Marshal(p)
	texts = append(texts, string(b), fmt.Sprintf("%+v", p))
	for _, s := range texts {
		if strings.Contains(s, token) {
			t.Errorf("token shows in %q", s)
		}
	}
}
