package shelly

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
	"github.com/twcmanager/twcmanager/internal/units"
)

func load(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// device answers body on the path of its generation, 404 elsewhere.
func device(gen, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if gen == "gen1" && r.URL.Path == "/status" || gen == "gen2" && r.URL.Path == "/rpc/EM.GetStatus" && r.URL.Query().Get("id") == "0" {
			energytest.JSON(body)(w, r)
			return
		}
		http.NotFound(w, r)
	}
}

func read(t *testing.T, p Params, body string) energy.Reading {
	t.Helper()
	srv := energytest.NewServer(t, false, device(p.Generation, body))
	p.URL = srv.URL
	s, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func near(a units.Watts, b float64) bool { return math.Abs(float64(a)-b) < 1e-9 }

func ptr(i int) *int { return &i }

// A 3EM on the grid connection: two phases export, one imports; the total
// is their sum, negative: exporting.
func TestGen1ThreePhaseGrid(t *testing.T) {
	r := read(t, Params{Generation: "gen1", Role: "grid"}, load(t, "3em.json"))
	if !near(r.Grid, -712.35+245.10-698.02) || !r.Has.Grid || r.Has.Generation || !r.Has.Phases {
		t.Fatalf("%+v", r)
	}
	if r.PhaseVolts != [3]units.Volts{232.41, 231.87, 233.05} || r.PhaseAmps != [3]units.Amps{3.12, 1.22, 3.05} {
		t.Fatalf("phases %v %v", r.PhaseVolts, r.PhaseAmps)
	}
}

func TestGen1ThreePhasePV(t *testing.T) {
	r := read(t, Params{Generation: "gen1", Role: "pv"}, load(t, "3em.json"))
	if !near(r.Generation, 712.35-245.10+698.02) || !r.Has.Generation || r.Has.Grid || r.Has.Phases {
		t.Fatalf("%+v", r)
	}
}

// A Shelly EM with the grid on clamp 0 and the PV inverter on clamp 1.
func TestGen1EMChannels(t *testing.T) {
	em := load(t, "em.json")
	if r := read(t, Params{Generation: "gen1", Role: "grid", Channel: ptr(0)}, em); r.Grid != 1520.44 || r.Has.Phases {
		t.Errorf("grid clamp: %+v", r)
	}
	if r := read(t, Params{Generation: "gen1", Role: "pv", Channel: ptr(1)}, em); r.Generation != 3810.70 {
		t.Errorf("PV clamp: %+v", r)
	}
	// Two clamps of an EM are not phases.
	if r := read(t, Params{Generation: "gen1", Role: "grid"}, em); !near(r.Grid, 1520.44-3810.70) || r.Has.Phases {
		t.Errorf("sum: %+v", r)
	}
}

func TestGen2Pro3EM(t *testing.T) {
	body := load(t, "pro3em.json")
	r := read(t, Params{Generation: "gen2", Role: "grid"}, body)
	if r.Grid != 715.526 || !r.Has.Phases || r.PhaseVolts != [3]units.Volts{236.1, 236.201, 236.402} || r.PhaseAmps != [3]units.Amps{4.029, 4.027, 3.03} {
		t.Fatalf("%+v", r)
	}
	exporting := `{"id": 0, "a_current": 1.2, "a_voltage": 230, "b_current": 1.1, "b_voltage": 231, "c_current": 1.3, "c_voltage": 229, "total_act_power": -812.5}`
	if r := read(t, Params{Generation: "gen2", Role: "pv"}, exporting); r.Generation != 812.5 || r.Has.Grid {
		t.Fatalf("%+v", r)
	}
}

func build(t *testing.T, p Params) func(url string) energy.Source {
	return func(url string) energy.Source {
		p.URL = url
		s, err := New(p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

var authOn = energytest.Fault{Name: "authentication on", Handler: energytest.Status(http.StatusUnauthorized), Want: []string{"401", "not supported", "turn off"}}

func TestFaultsGen1(t *testing.T) {
	faults := append(energytest.HTTPFaults(`{"wifi_sta": {"connected": true}, "relays": []}`), authOn,
		energytest.Fault{Name: "no power", Handler: energytest.JSON(`{"emeters": [{"voltage": 230, "is_valid": true}]}`), Want: []string{"emeters[0].power missing"}},
		energytest.Fault{Name: "invalid", Handler: energytest.JSON(`{"emeters": [{"power": 0, "is_valid": true}, {"power": 0, "is_valid": false}]}`), Want: []string{"channel 1 invalid"}},
	)
	energytest.CheckFaults(t, Name, faults, build(t, Params{Generation: "gen1", Role: "grid"}))
	energytest.CheckFaults(t, Name, []energytest.Fault{{Name: "no such clamp", Handler: energytest.JSON(`{"emeters": [{"power": 1}]}`), Want: []string{"channel 2"}}},
		build(t, Params{Generation: "gen1", Role: "pv", Channel: ptr(2)}))
}

func TestFaultsGen2(t *testing.T) {
	// A Pro 3EM in its single-phase profile has no EM component.
	faults := append(energytest.HTTPFaults(`{"id": 0}`), authOn,
		energytest.Fault{Name: "single-phase profile", Handler: energytest.Status(http.StatusNotFound), Want: []string{"404"}})
	energytest.CheckFaults(t, Name, faults, build(t, Params{Generation: "gen2", Role: "grid"}))
}

func TestRecovers(t *testing.T) {
	good := device("gen2", load(t, "pro3em.json"))
	srv := energytest.NewServer(t, false, good)
	energytest.CheckRecovery(t, srv, good, build(t, Params{Generation: "gen2", Role: "grid"})(srv.URL))
}

func TestParams(t *testing.T) {
	for raw, field := range map[string]string{
		`{"generation": "gen1", "role": "grid"}`:                                   "url",
		`{"url": "http://x", "generation": "gen3", "role": "grid"}`:                "generation",
		`{"url": "http://x", "role": "grid"}`:                                      "generation",
		`{"url": "http://x", "generation": "gen1", "role": "battery"}`:             "role",
		`{"url": "http://x", "generation": "gen1"}`:                                "role",
		`{"url": "http://x", "generation": "gen1", "role": "pv", "channel": 3}`:    "channel",
		`{"url": "http://x", "generation": "gen2", "role": "grid", "channel": 0}`:  "channel",
		`{"url": "http://x", "generation": "gen1", "role": "grid", "channel": -1}`: "channel",
	} {
		_, _, err := energy.Build(Name, json.RawMessage(raw))
		fe, ok := config.AsErrors(err)
		if !ok || fe.Field(field) == nil {
			t.Errorf("%s: err %v, want a %s error", raw, err, field)
		}
	}
	// Logging in is not supported: a password is an unknown setting.
	if _, _, err := energy.Build(Name, json.RawMessage(`{"url": "http://x", "generation": "gen2", "role": "grid", "password": "p"}`)); err == nil {
		t.Error("unknown field accepted")
	}
	srv := energytest.NewServer(t, false, device("gen1", load(t, "em.json")))
	r, err := energy.Test(context.Background(), Name, json.RawMessage(`{"url": "`+srv.URL+`", "generation": "gen1", "role": "grid", "channel": 0}`))
	if err != nil || r.Grid != 1520.44 {
		t.Fatalf("Test: %+v %v", r, err)
	}
}
