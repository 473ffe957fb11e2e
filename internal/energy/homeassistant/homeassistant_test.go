package homeassistant

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
)

const token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiI0ZjE3MzE1YjU2In0.LongLivedSecretPart"

// hass serves the entities of testdata/states.json, with states replaced
// as given, to requests that carry the token.
func hass(t *testing.T, states map[string]string) http.HandlerFunc {
	b, err := os.ReadFile("testdata/states.json")
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]map[string]any
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	for id, st := range states {
		all[id]["state"] = st
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "401: Unauthorized", http.StatusUnauthorized)
			return
		}
		e, ok := all[strings.TrimPrefix(r.URL.Path, "/api/states/")]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message": "Entity not found."}`))
			return
		}
		_ = json.NewEncoder(w).Encode(e)
	}
}

var all = Params{
	PVEntity: "sensor.solaredge_current_power", ConsumptionEntity: "sensor.house_load", GridEntity: "sensor.grid_power",
	BatteryEntity: "sensor.battery_power", BatterySoCEntity: "sensor.battery_state_of_charge",
}

func source(t *testing.T, url string, p Params) *Source {
	t.Helper()
	p.URL, p.Token = url, secret.New(token)
	s, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReadAll(t *testing.T) {
	srv := energytest.NewServer(t, false, hass(t, nil))
	r, err := source(t, srv.URL, all).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Load comes in kW; grid and battery already have Reading's signs.
	if r.Generation != 5120 || math.Abs(float64(r.Consumption)-847.2) > 1e-9 || r.Grid != -1502.5 || r.Battery != -820 || r.BatterySoC != 64.5 {
		t.Fatalf("%+v", r)
	}
	if !r.Has.Generation || !r.Has.Consumption || !r.Has.Grid || !r.Has.Battery || !r.Has.BatterySoC || r.Has.Phases {
		t.Fatalf("has %+v", r.Has)
	}
}

// Integrations that count export and charging positive: the flags turn
// their signs into Reading's.
func TestSigns(t *testing.T) {
	srv := energytest.NewServer(t, false, hass(t, map[string]string{"sensor.grid_power": "1502.5", "sensor.battery_power": "820"}))
	p := all
	p.GridExportPositive, p.BatteryChargePositive = true, true
	r, err := source(t, srv.URL, p).Read(context.Background())
	if err != nil || r.Grid != -1502.5 || r.Battery != -820 || r.Generation != 5120 {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestReadOne(t *testing.T) {
	srv := energytest.NewServer(t, false, hass(t, nil))
	r, err := source(t, srv.URL+"/", Params{GridEntity: "sensor.grid_power"}).Read(context.Background())
	if err != nil || r.Grid != -1502.5 || !r.Has.Grid || r.Has.Generation || r.Has.Consumption || r.Has.Battery || r.Has.BatterySoC {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestFaults(t *testing.T) {
	state := func(s, unit string) string {
		return `{"entity_id": "sensor.pv", "state": "` + s + `", "attributes": {"unit_of_measurement": "` + unit + `"}}`
	}
	faults := append(energytest.HTTPFaults(`{"entity_id": "sensor.pv", "attributes": {"unit_of_measurement": "W"}}`),
		energytest.Fault{Name: "unavailable", Handler: energytest.JSON(state("unavailable", "W")), Want: []string{"sensor.pv", "unavailable"}},
		energytest.Fault{Name: "unknown", Handler: energytest.JSON(state("unknown", "W")), Want: []string{"sensor.pv is unknown"}},
		energytest.Fault{Name: "not a number", Handler: energytest.JSON(state("on", "")), Want: []string{`"on"`, "not a number"}},
		energytest.Fault{Name: "energy, not power", Handler: energytest.JSON(state("12.5", "kWh")), Want: []string{`"kwh"`, "w or kw"}},
		energytest.Fault{Name: "token refused", Handler: energytest.Status(http.StatusUnauthorized), Want: []string{"401", "token"}},
		energytest.Fault{Name: "no such entity", Handler: energytest.Status(http.StatusNotFound), Want: []string{"404", "sensor.pv does not exist"}},
	)
	energytest.CheckFaults(t, Name, faults, func(url string) energy.Source { return source(t, url, Params{PVEntity: "sensor.pv"}) })
	energytest.CheckFaults(t, Name, []energytest.Fault{{Name: "charge in W", Handler: energytest.JSON(state("50", "W")), Want: []string{"sensor.soc", "%"}}},
		func(url string) energy.Source { return source(t, url, Params{BatterySoCEntity: "sensor.soc"}) })
}

func TestRecovers(t *testing.T) {
	good := hass(t, nil)
	srv := energytest.NewServer(t, false, good)
	energytest.CheckRecovery(t, srv, good, source(t, srv.URL, all))
}

func TestParams(t *testing.T) {
	for raw, field := range map[string]string{
		`{"token": "t", "pv_entity": "sensor.pv"}`:                                    "url",
		`{"url": "http://ha:8123", "pv_entity": "sensor.pv"}`:                         "token",
		`{"url": "http://ha:8123", "token": "t"}`:                                     "pv_entity",
		`{"url": "http://ha:8123", "token": "t", "pv_entity": "pv"}`:                  "pv_entity",
		`{"url": "http://ha:8123", "token": "t", "grid_entity": "Sensor.Grid"}`:       "grid_entity",
		`{"url": "http://ha:8123", "token": "t", "battery_soc_entity": "sensor.a b"}`: "battery_soc_entity",
		`{"url": "http://ha:8123", "token": "t", "consumption_entity": "sensor."}`:    "consumption_entity",
		`{"url": "http://ha:8123", "token": "t", "battery_entity": "sensor.x/../y"}`:  "battery_entity",
	} {
		_, _, err := energy.Build(Name, json.RawMessage(raw))
		fe, ok := config.AsErrors(err)
		if !ok || fe.Field(field) == nil {
			t.Errorf("%s: err %v, want a %s error", raw, err, field)
		}
	}
	if _, _, err := energy.Build(Name, json.RawMessage(`{"url": "http://ha", "token": "t", "pv_entity": "sensor.pv", "generation_entity": "sensor.x"}`)); err == nil {
		t.Error("unknown field accepted")
	}
	srv := energytest.NewServer(t, false, hass(t, nil))
	r, err := energy.Test(context.Background(), Name, json.RawMessage(`{"url": "`+srv.URL+`", "token": "`+token+`", "battery_soc_entity": "sensor.battery_state_of_charge"}`))
	if err != nil || r.BatterySoC != 64.5 {
		t.Fatalf("Test: %+v %v", r, err)
	}
}

func TestTokenNeverShows(t *testing.T) {
	var texts []string
	for _, url := range []string{
		energytest.RefusedURL(t),
		energytest.NewServer(t, false, energytest.Status(http.StatusUnauthorized)).URL,
		energytest.NewServer(t, false, energytest.JSON(`{"state": "unavailable"}`)).URL,
	} {
		s := source(t, url, all)
		_, err := s.Read(context.Background())
		if err == nil {
			t.Fatalf("%s: read succeeded", url)
		}
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s))
	}
	p := all
	p.Token = secret.New(token)
	b, _ := json.Marshal(p)
	texts = append(texts, string(b), fmt.Sprintf("%+v", p))
	for _, s := range texts {
		if strings.Contains(s, token) || strings.Contains(s, "LongLivedSecretPart") {
			t.Errorf("token shows in %q", s)
		}
	}
}
