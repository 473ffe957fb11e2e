package sunspec

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
	"github.com/twcmanager/twcmanager/internal/units"
)

// A Fronius Symo with a Smart Meter as the Datamanager shows them, integer
// models: the inverter model 103 at 40070 (W at 40084), the meter model
// 203 at 40122 (W at 40140). 31205 × 10⁻¹ = 3120.5 W of PV; the meter sees
// −152 × 10¹ = −1520 W, that is export.
func fronius(srv *energytest.ModbusServer) {
	chain(srv, 1, 40000, common(66, "Fronius"), inverter(103, 31205, -1, 4),
		meter(203, -152, 1, [3]int16{523, -118, 12}, -2, [3]int16{2305, 2298, 2311}, -1))
}

func source(t *testing.T, p Params) *Source {
	t.Helper()
	s, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func read(t *testing.T, s *Source) energy.Reading {
	t.Helper()
	r, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestIntegerModels(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	fronius(srv)
	r := read(t, source(t, Params{Address: srv.Addr}))
	if r.Generation != 3120.5 || r.Grid != -1520 {
		t.Errorf("PV %v grid %v", r.Generation, r.Grid)
	}
	if r.PhaseVolts != [3]units.Volts{230.5, 229.8, 231.1} || r.PhaseAmps != [3]units.Amps{5.23, -1.18, 0.12} {
		t.Errorf("phases %v %v", r.PhaseVolts, r.PhaseAmps)
	}
	if r.Has != (energy.Has{Generation: true, Grid: true, Phases: true}) {
		t.Errorf("has %+v", r.Has)
	}
	// Export-positive meters: power and currents change sign.
	r = read(t, source(t, Params{Address: srv.Addr, MeterExportPositive: true}))
	if r.Grid != 1520 || r.PhaseAmps != [3]units.Amps{-5.23, 1.18, -0.12} || r.Generation != 3120.5 {
		t.Errorf("export positive: %v %v", r.Grid, r.PhaseAmps)
	}
}

// Float models at the third base, 50000; 40000 and 0 answer exceptions.
func TestFloatModelsAt50000(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	chain(srv, 1, 50000, common(66, "Fronius"), inverterFloat(113, 2750.5, 4),
		meterFloat(213, 812.25, [3]float32{1.25, 1.5, 0.75}, [3]float32{230.5, 231, 229.5}))
	r := read(t, source(t, Params{Address: srv.Addr}))
	if r.Generation != 2750.5 || r.Grid != 812.25 || !r.Has.Phases {
		t.Errorf("%+v", r)
	}
	if r.PhaseVolts != [3]units.Volts{230.5, 231, 229.5} || r.PhaseAmps != [3]units.Amps{1.25, 1.5, 0.75} {
		t.Errorf("phases %v %v", r.PhaseVolts, r.PhaseAmps)
	}
	if srv.Reads(1, 40000) != 1 || srv.Reads(1, 0) != 1 {
		t.Errorf("bases 40000 and 0 not tried first")
	}
}

// SMA, Kostal and Fronius put the meter on a unit id of its own.
func TestMeterOnItsOwnUnit(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	chain(srv, 1, 40000, common(66, "SMA"), inverter(101, 4200, 0, 4))
	chain(srv, 240, 40000, common(65, "Fronius"), meter(201, 73, 1, [3]int16{320, notImpl, notImpl}, -2, [3]int16{2301, notImpl, notImpl}, -1))
	r := read(t, source(t, Params{Address: srv.Addr, MeterUnitID: 240}))
	if r.Generation != 4200 || r.Grid != 730 || r.PhaseVolts != [3]units.Volts{230.1, 0, 0} || r.PhaseAmps != [3]units.Amps{3.2, 0, 0} {
		t.Errorf("%+v", r)
	}
	// A meter only: fine on the default unit, since either model may be absent.
	r = read(t, source(t, Params{Address: srv.Addr, UnitID: 240}))
	if r.Has.Generation || r.Grid != 730 {
		t.Errorf("meter only: %+v", r)
	}
	// A unit id given for the meter must have one.
	_, err := source(t, Params{Address: srv.Addr, MeterUnitID: 1}).Read(context.Background())
	energytest.CheckError(t, err, Name, "unit id 1 has no meter model", "its models are 1 at 40002, 101 at 40070")
}

func TestNotImplemented(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	m := meter(203, -152, 1, [3]int16{523, -118, 12}, notImpl, [3]int16{2305, 2298, 2311}, -1)
	chain(srv, 1, 40000, common(66, "Fronius"), inverter(103, notImpl, -1, 4), m)
	s := source(t, Params{Address: srv.Addr})
	_, err := s.Read(context.Background())
	energytest.CheckError(t, err, Name, "W (register 40084) is not available", "0x8000", "operating state 4")

	// Asleep at night: no power is 0 W. Without A_SF, no phases.
	srv.SetHolding(1, 40070+38, 2)
	r := read(t, s)
	if r.Generation != 0 || !r.Has.Generation || r.Grid != -1520 || r.Has.Phases {
		t.Errorf("%+v", r)
	}
	srv.SetHolding(1, 40122+18, 0x8000)
	_, err = s.Read(context.Background())
	energytest.CheckError(t, err, Name, "meter model 203", "W (register 40140) is not available")

	srv = energytest.NewModbusServer(t)
	chain(srv, 1, 40000, inverterFloat(111, float32(math.NaN()), 4))
	_, err = source(t, Params{Address: srv.Addr}).Read(context.Background())
	energytest.CheckError(t, err, Name, "inverter model 111", "register 40024", "0x7FC00000")
}

func TestNoSunSpec(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	srv.SetHolding(1, 40000, 0x1234, 0x5678)
	srv.SetHolding(1, 0, 0, 0)
	_, err := source(t, Params{Address: srv.Addr}).Read(context.Background())
	energytest.CheckError(t, err, Name, "no SunSpec device at "+srv.Addr+" unit id 1 (no SunS marker at 40000, 0 or 50000; 40000 holds 0x1234 0x5678, 0 holds 0x0000 0x0000; elsewhere the device answered modbus exception illegal data address)")
	// Nothing at all on unit 2: the exceptions hint at the unit id.
	_, err = source(t, Params{Address: srv.Addr, UnitID: 2}).Read(context.Background())
	energytest.CheckError(t, err, Name, "no SunS marker", "modbus exception illegal data address", "is unit id 2 right?")

	chain(srv, 3, 40000, common(66, "X"))
	_, err = source(t, Params{Address: srv.Addr, UnitID: 3}).Read(context.Background())
	energytest.CheckError(t, err, Name, "neither an inverter model", "its models are 1 at 40002")
}

// The chain is walked once per connection, again after a reconnection, and
// again when a model is no longer where it was.
func TestDiscoveryCache(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	fronius(srv)
	s := source(t, Params{Address: srv.Addr})
	read(t, s)
	read(t, s)
	if n := srv.Reads(1, 40000); n != 1 {
		t.Errorf("marker read %d times on one connection", n)
	}
	srv.Stop()
	srv.Start(t)
	read(t, s)
	if n := srv.Reads(1, 40000); n != 2 {
		t.Errorf("marker read %d times after a reconnection", n)
	}
	// After Close, reads still work, each on a connection of its own.
	s.Close()
	read(t, s)
	read(t, s)
	if n := srv.Reads(1, 40000); n != 4 {
		t.Errorf("marker read %d times after Close", n)
	}
	s = source(t, Params{Address: srv.Addr})
	read(t, s)
	// A firmware update shortens the common model: everything moves by one.
	chain(srv, 1, 40000, common(65, "Fronius"), inverter(103, 1000, 0, 4), meter(203, 5, 0, [3]int16{}, 0, [3]int16{}, 0))
	_, err := s.Read(context.Background())
	energytest.CheckError(t, err, Name, "register 40070 holds model 50, not an inverter model")
	if r := read(t, s); r.Generation != 1000 || r.Grid != 5 {
		t.Errorf("after the move: %+v", r)
	}
}

func TestFaults(t *testing.T) {
	energytest.CheckModbusFaults(t, Name, energytest.ModbusFaults(), fronius, func(addr string) energy.Source {
		return source(t, Params{Address: addr})
	})
}

func TestRecovers(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	fronius(srv)
	energytest.CheckModbusRecovery(t, srv, source(t, Params{Address: srv.Addr}))
}

// A read ends when its context does, though the library has no contexts.
func TestDeadline(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	fronius(srv)
	srv.Fault(energytest.ModbusSlow)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := source(t, Params{Address: srv.Addr}).Read(ctx)
	energytest.CheckError(t, err, Name, "no answer from "+srv.Addr+" in time")
	if d := time.Since(start); d > time.Second {
		t.Errorf("read took %v", d)
	}
}

func TestParams(t *testing.T) {
	for raw, field := range map[string]string{
		`{}`:                                        "address",
		`{"address": "x:99999"}`:                    "address",
		`{"address": "x", "unit_id": 248}`:          "unit_id",
		`{"address": "x", "meter_unit_id": -1}`:     "meter_unit_id",
		`{"address": "x", "inverter_unit_id": 300}`: "inverter_unit_id",
	} {
		_, _, err := energy.Build(Name, json.RawMessage(raw))
		if fe, ok := config.AsErrors(err); !ok || fe.Field(field) == nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
	if _, _, err := energy.Build(Name, json.RawMessage(`{"address": "x", "unitid": 2}`)); err == nil {
		t.Error("unknown field accepted")
	}
	for in, want := range map[string]string{"192.168.1.5": "192.168.1.5:502", "inverter.local:1502": "inverter.local:1502", "fe80::1": "[fe80::1]:502", "[fe80::1]": "[fe80::1]:502"} {
		if s := source(t, Params{Address: in}); s.conn.Addr() != want {
			t.Errorf("%s: address %s", in, s.conn.Addr())
		}
	}
	srv := energytest.NewModbusServer(t)
	fronius(srv)
	r, err := energy.Test(context.Background(), Name, json.RawMessage(`{"address": "`+srv.Addr+`"}`))
	if err != nil || r.Generation != 3120.5 {
		t.Fatalf("Test: %+v %v", r, err)
	}
}
