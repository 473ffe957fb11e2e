package solaredgemodbus

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Register names and addresses as SolarEdge's SunSpec technical note lists
// them, for a three-phase inverter (model 103) with a WattNode meter
// (model 203) as meter 1.
const (
	cSunSpecID        = 40000 // "SunS"
	cCommon           = 40002 // model 1, length 65
	iModel            = 40069 // 103, length 50
	iACCurrent        = 40071 // then phases A-C, I_AC_Current_SF at 40075
	iACVoltageAN      = 40079 // BN, CN follow; I_AC_Voltage_SF at 40082
	iACPower          = 40083
	iACPowerSF        = 40084
	iStatus           = 40107
	mCommon           = 40121 // meter 1 common block, length 65
	mModel            = 40188 // 203, length 105
	mACCurrent        = 40190 // then phases A-C, M_AC_Current_SF at 40194
	mACVoltageLNPhase = 40196 // A-C; M_AC_Voltage_SF at 40203
	mACPower          = 40206
	mACPowerSF        = 40210
)

func solarEdge(srv *energytest.ModbusServer) {
	srv.SetHolding(1, cSunSpecID, 0x5375, 0x6E53)
	srv.SetHolding(1, cCommon, 1, 65)
	srv.SetHolding(1, cCommon+2, make([]uint16, 65)...)
	srv.SetHolding(1, cCommon+2, 0x536F, 0x6C61, 0x7245, 0x6467, 0x6500) // "SolarEdge"
	srv.SetHolding(1, iModel, 103, 50)
	srv.SetHolding(1, iModel+2, make([]uint16, 50)...)
	srv.SetHolding(1, iACCurrent, 1125, 375, 376, 374, 0xFFFE)
	srv.SetHolding(1, iACVoltageAN, 2312, 2305, 2299, 0xFFFF)
	srv.SetHolding(1, iACPower, 25893, 0xFFFF) // 2589.3 W
	srv.SetHolding(1, iStatus, 4)              // MPPT
	srv.SetHolding(1, mCommon, 1, 65)
	srv.SetHolding(1, mCommon+2, make([]uint16, 65)...)
	srv.SetHolding(1, mModel, 203, 105)
	srv.SetHolding(1, mModel+2, make([]uint16, 105)...)
	srv.SetHolding(1, mACCurrent, 0xFFF8, 0xFF4B, 0x003C, 0xFFF9, 0xFFFE) // -8, -181, 60, -7 × 0.01 A
	srv.SetHolding(1, mACVoltageLNPhase, 2313, 2301, 2320)
	srv.SetHolding(1, mACVoltageLNPhase+7, 0xFFFF) // M_AC_Voltage_SF -1
	srv.SetHolding(1, mACPower, 1250)              // exported, SolarEdge counts it positive
	srv.SetHolding(1, mACPowerSF, 0)
	srv.SetHolding(1, mModel+107, 0xFFFF, 0) // end of the chain
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

func TestRead(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	solarEdge(srv)
	r, err := source(t, Params{Address: srv.Addr}).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Generation != 2589.3 || r.Grid != -1250 {
		t.Errorf("PV %v grid %v", r.Generation, r.Grid)
	}
	if r.PhaseVolts != [3]units.Volts{231.3, 230.1, 232} || r.PhaseAmps != [3]units.Amps{1.81, -0.6, 0.07} {
		t.Errorf("phases %v %v", r.PhaseVolts, r.PhaseAmps)
	}
	if r.Has != (energy.Has{Generation: true, Grid: true, Phases: true}) {
		t.Errorf("has %+v", r.Has)
	}
}

func TestSecondMeterAndNight(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	solarEdge(srv)
	srv.SetHolding(1, iACPower, 0x8000) // not implemented while asleep
	srv.SetHolding(1, iStatus, 2)       // SLEEPING
	srv.SetHolding(1, 40362, 201, 105)  // meter 2: single phase
	srv.SetHolding(1, 40364, make([]uint16, 105)...)
	srv.SetHolding(1, 40362+18, 0xFF9C) // -100 W: importing
	r, err := source(t, Params{Address: srv.Addr, Meter: 2}).Read(context.Background())
	if err != nil || r.Generation != 0 || !r.Has.Generation || r.Grid != 100 {
		t.Fatalf("%+v %v", r, err)
	}
}

// Without a meter the inverter still gives PV.
func TestNoMeter(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	solarEdge(srv)
	srv.SetHolding(1, mModel, 0xFFFF, 0)
	r, err := source(t, Params{Address: srv.Addr}).Read(context.Background())
	if err != nil || r.Generation != 2589.3 || r.Has.Grid {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = source(t, Params{Address: srv.Addr, Meter: 3}).Read(context.Background()) // nothing at 40536
	if err != nil || r.Has.Grid {
		t.Fatalf("meter 3: %+v %v", r, err)
	}
}

func TestWrongDevice(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	solarEdge(srv)
	srv.SetHolding(1, iModel, 1) // another vendor's chain
	_, err := source(t, Params{Address: srv.Addr}).Read(context.Background())
	energytest.CheckError(t, err, Name, "register 40069 holds model 1, not an inverter model")
	_, err = source(t, Params{Address: srv.Addr, UnitID: 2}).Read(context.Background())
	energytest.CheckError(t, err, Name, "read inverter model at 40069: modbus exception illegal data address; is unit id 2 right")
}

func TestFaults(t *testing.T) {
	energytest.CheckModbusFaults(t, Name, energytest.ModbusFaults(), solarEdge, func(addr string) energy.Source {
		return source(t, Params{Address: addr})
	})
}

func TestRecovers(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	solarEdge(srv)
	energytest.CheckModbusRecovery(t, srv, source(t, Params{Address: srv.Addr}))
}

func TestParams(t *testing.T) {
	for raw, field := range map[string]string{
		`{}`:                                "address",
		`{"address": "se:0"}`:               "address",
		`{"address": "se", "unit_id": 300}`: "unit_id",
		`{"address": "se", "meter": 4}`:     "meter",
	} {
		_, _, err := energy.Build(Name, json.RawMessage(raw))
		if fe, ok := config.AsErrors(err); !ok || fe.Field(field) == nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
	if s := source(t, Params{Address: "192.168.1.30"}); s.conn.Addr() != "192.168.1.30:1502" {
		t.Errorf("default port: %s", s.conn.Addr())
	}
	srv := energytest.NewModbusServer(t)
	solarEdge(srv)
	r, err := energy.Test(context.Background(), Name, json.RawMessage(`{"address": "`+srv.Addr+`"}`))
	if err != nil || r.Grid != -1250 {
		t.Fatalf("Test: %+v %v", r, err)
	}
}
