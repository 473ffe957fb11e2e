package fronius

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
)

// Shaped as the Solar API v1 documents GetPowerFlowRealtimeData for a Symo
// GEN24 with a BYD battery and a Smart Meter.
const hybrid = `{
  "Body": {"Data": {
    "Inverters": {"1": {"Battery_Mode": "normal", "DT": 1, "E_Day": null, "P": 3120, "SOC": 64.5}},
    "Site": {"BatteryStandby": false, "E_Day": null, "Meter_Location": "grid", "Mode": "bidirectional",
             "P_Akku": -820.3, "P_Grid": -1502.5, "P_Load": -797.2, "P_PV": 5120.0,
             "rel_Autonomy": 100.0, "rel_SelfConsumption": 62.3},
    "Version": "12"}},
  "Head": {"RequestArguments": {}, "Status": {"Code": 0, "Reason": "", "UserMessage": ""}, "Timestamp": "2026-06-21T12:00:00+02:00"}
}`

// At night the inverter sleeps: P_PV is null, the Datamanager still answers.
const night = `{"Body": {"Data": {"Inverters": {}, "Site": {"Mode": "meter", "P_Akku": null, "P_Grid": 412.0, "P_Load": -412.0, "P_PV": null}}},
  "Head": {"Status": {"Code": 0, "Reason": ""}}}`

func TestReadHybrid(t *testing.T) {
	srv := energytest.NewServer(t, false, energytest.JSON(hybrid))
	s, err := New(Params{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Generation != 5120 || r.Consumption != 797.2 || r.Grid != -1502.5 || r.Battery != -820.3 || r.BatterySoC != 64.5 {
		t.Fatalf("%+v", r)
	}
	if !r.Has.Generation || !r.Has.Consumption || !r.Has.Grid || !r.Has.Battery || !r.Has.BatterySoC {
		t.Fatalf("has %+v", r.Has)
	}
}

func TestReadNight(t *testing.T) {
	srv := energytest.NewServer(t, false, energytest.JSON(night))
	s, _ := New(Params{URL: srv.URL + "/"})
	r, err := s.Read(context.Background())
	if err != nil || r.Generation != 0 || !r.Has.Generation || r.Grid != 412 || r.Has.Battery {
		t.Fatalf("%+v, %v", r, err)
	}
}

func TestFaults(t *testing.T) {
	missing := `{"Body": {"Data": {"Site": {"P_PV": 100}}}, "Head": {"Status": {"Code": 0}}}`
	faults := append(energytest.HTTPFaults(missing),
		energytest.Fault{Name: "device status", Handler: energytest.JSON(`{"Head": {"Status": {"Code": 255, "Reason": "Unknown"}}}`), Want: []string{"status 255"}})
	energytest.CheckFaults(t, Name, faults, func(url string) energy.Source {
		s, err := New(Params{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestRecovers(t *testing.T) {
	srv := energytest.NewServer(t, false, energytest.JSON(hybrid))
	s, _ := New(Params{URL: srv.URL})
	energytest.CheckRecovery(t, srv, energytest.JSON(hybrid), s)
}

func TestParams(t *testing.T) {
	for _, raw := range []string{`{"url": "192.168.1.20"}`, `{"url": "ftp://x"}`, `{}`} {
		_, _, err := energy.Build(Name, json.RawMessage(raw))
		fe, ok := config.AsErrors(err)
		if !ok || fe.Field("url") == nil {
			t.Errorf("%s: err %v", raw, err)
		}
	}
	if _, _, err := energy.Build(Name, json.RawMessage(`{"url": "http://x", "ur1": "typo"}`)); err == nil {
		t.Error("unknown field accepted")
	}
	srv := energytest.NewServer(t, false, energytest.JSON(hybrid))
	r, err := energy.Test(context.Background(), Name, json.RawMessage(`{"url": "`+srv.URL+`"}`))
	if err != nil || r.Generation != 5120 {
		t.Fatalf("Test: %+v %v", r, err)
	}
}
