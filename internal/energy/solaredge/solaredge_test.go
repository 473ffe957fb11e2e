package solaredge

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/units"
)

const key = "L4QLVQ1LOKCQX2193VSEICXW61NP6B1O"

func load(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cloud answers like the monitoring API: body for the site's power flow
// with the right key, 403 otherwise.
func cloud(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("api_key") != key {
			http.Error(w, "Invalid token", http.StatusForbidden)
			return
		}
		if r.URL.Path != "/site/1234567/currentPowerFlow" {
			http.NotFound(w, r)
			return
		}
		energytest.JSON(body)(w, r)
	}
}

func source(t *testing.T, url string) *Source {
	t.Helper()
	s, err := New(Params{SiteID: "1234567", APIKey: secret.New(key), BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func read(t *testing.T, body string) energy.Reading {
	t.Helper()
	srv := energytest.NewServer(t, false, cloud(body))
	r, err := source(t, srv.URL).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func near(a units.Watts, b float64) bool { return math.Abs(float64(a)-b) < 1e-6 }

// At noon PV feeds the house, charges the battery and exports the rest;
// the cloud says so in kW with LOAD→Grid and PV→Storage connections.
func TestReadExportCharging(t *testing.T) {
	r := read(t, load(t, "midday.json"))
	if !near(r.Generation, 5150) || !near(r.Consumption, 840) || !near(r.Grid, -2310) || !near(r.Battery, -2000) || r.BatterySoC != 57 {
		t.Fatalf("%+v", r)
	}
	if !r.Has.Generation || !r.Has.Consumption || !r.Has.Grid || !r.Has.Battery || !r.Has.BatterySoC || r.Has.Phases {
		t.Fatalf("has %+v", r.Has)
	}
}

// In the evening the house imports and the battery discharges, in W.
func TestReadImportDischarging(t *testing.T) {
	r := read(t, load(t, "evening.json"))
	if r.Generation != 0 || r.Consumption != 1620 || r.Grid != 410 || r.Battery != 1210 || r.BatterySoC != 81 {
		t.Fatalf("%+v", r)
	}
}

// A site without meter or battery reports PV only.
func TestReadPVOnly(t *testing.T) {
	r := read(t, `{"siteCurrentPowerFlow": {"updateRefreshRate": 3, "unit": "kW", "connections": [], "PV": {"status": "Active", "currentPower": 3.5}}}`)
	if r.Generation != 3500 || !r.Has.Generation || r.Has.Grid || r.Has.Consumption || r.Has.Battery || r.Has.BatterySoC {
		t.Fatalf("%+v", r)
	}
}

// Without a storage connection the status gives the direction.
func TestReadStorageStatus(t *testing.T) {
	r := read(t, `{"siteCurrentPowerFlow": {"unit": "W", "connections": [{"from": "GRID", "to": "Load"}],
	  "GRID": {"status": "Active", "currentPower": 100}, "LOAD": {"status": "Active", "currentPower": 100},
	  "STORAGE": {"status": "Charging", "currentPower": 30, "chargeLevel": 12}}}`)
	if r.Battery != -30 || r.Grid != 100 || r.Has.Generation {
		t.Fatalf("%+v", r)
	}
}

func TestFaults(t *testing.T) {
	faults := append(energytest.HTTPFaults(`{"siteCurrentPowerFlow": {"updateRefreshRate": 3}}`),
		energytest.Fault{Name: "key refused", Handler: energytest.Status(http.StatusForbidden), Want: []string{"403", "api key"}},
		energytest.Fault{Name: "daily limit", Handler: energytest.Status(http.StatusTooManyRequests), Want: []string{"429", "300 requests"}},
		energytest.Fault{Name: "unknown unit", Handler: energytest.JSON(`{"siteCurrentPowerFlow": {"unit": "hp", "PV": {"currentPower": 1}}}`), Want: []string{`unit "hp"`}},
		energytest.Fault{Name: "no power value", Handler: energytest.JSON(`{"siteCurrentPowerFlow": {"unit": "W", "GRID": {"status": "Active"}}}`), Want: []string{"grid.currentpower missing"}},
	)
	energytest.CheckFaults(t, Name, faults, func(url string) energy.Source { return source(t, url) })
}

func TestRecovers(t *testing.T) {
	good := cloud(load(t, "midday.json"))
	srv := energytest.NewServer(t, false, good)
	energytest.CheckRecovery(t, srv, good, source(t, srv.URL))
}

func TestParams(t *testing.T) {
	for raw, field := range map[string]string{
		`{"site_id": "12a", "api_key": "k"}`: "site_id",
		`{"api_key": "k"}`:                   "site_id",
		`{"site_id": "1"}`:                   "api_key",
		`{"site_id": "1", "api_key": ""}`:    "api_key",
		`{"site_id": "1", "api_key": "k", "base_url": "monitoringapi.x"}`: "base_url",
	} {
		_, _, err := energy.Build(Name, json.RawMessage(raw))
		fe, ok := config.AsErrors(err)
		if !ok || fe.Field(field) == nil {
			t.Errorf("%s: err %v, want a %s error", raw, err, field)
		}
	}
	if _, _, err := energy.Build(Name, json.RawMessage(`{"site_id": "1", "api_key": "k", "siteid": "1"}`)); err == nil {
		t.Error("unknown field accepted")
	}
	if s, _, err := energy.Build(Name, json.RawMessage(`{"site_id": "1", "api_key": "k"}`)); err != nil || !strings.HasPrefix(s.(*Source).url, DefaultBaseURL+"/site/1/") {
		t.Errorf("default base URL: %v", err)
	}
	srv := energytest.NewServer(t, false, cloud(load(t, "evening.json")))
	r, err := energy.Test(context.Background(), Name, json.RawMessage(`{"site_id": "1234567", "api_key": "`+key+`", "base_url": "`+srv.URL+`"}`))
	if err != nil || r.Consumption != 1620 {
		t.Fatalf("Test: %+v %v", r, err)
	}
}

// The key travels in the URL, which net/http quotes in its errors: it must
// show in none of them, nor in the source or its settings.
func TestKeyNeverShows(t *testing.T) {
	redirect := func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, r.URL.String(), http.StatusFound) }
	var texts []string
	for _, url := range []string{
		energytest.RefusedURL(t),
		energytest.NewServer(t, false, energytest.Status(http.StatusForbidden)).URL,
		energytest.NewServer(t, false, redirect).URL,
	} {
		s := source(t, url)
		_, err := s.Read(context.Background())
		if err == nil {
			t.Fatalf("%s: read succeeded", url)
		}
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s))
	}
	p := Params{SiteID: "1", APIKey: secret.New(key)}
	b, _ := json.Marshal(p)
	_, err := New(Params{APIKey: secret.New(key)})
	texts = append(texts, string(b), fmt.Sprintf("%+v", p), err.Error())
	for _, s := range texts {
		if strings.Contains(s, key) {
			t.Errorf("key shows in %q", s)
		}
	}
}
