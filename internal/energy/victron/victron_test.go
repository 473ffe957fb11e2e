package victron

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
)

// com.victronenergy.system on unit 100 as the CCGX Modbus TCP register
// list documents it: a three-phase ESS with an AC-coupled PV inverter on
// the output (L1 only) and one on the input, an MPPT, exporting on L1, the
// battery charging at 1850 W.
func system(srv *energytest.ModbusServer) {
	srv.SetHolding(100, 800, 0x3438, 0x3866, 0x6537, 0x6136, 0x6230, 0x6300) // serial "48e7a6b0c"
	srv.SetHolding(100, 806, 0, 0)                                           // relays
	srv.SetHolding(100, 808, 1500, 0, 0)                                     // PV AC-coupled on output L1-L3
	srv.SetHolding(100, 811, 400, 410, 420)                                  // PV AC-coupled on input L1-L3
	srv.SetHolding(100, 814, 0, 0, 0)                                        // PV on generator
	srv.SetHolding(100, 817, 640, 310, 505)                                  // AC consumption L1-L3
	srv.SetHolding(100, 820, 0xFEC0, 115, 0xFFD8)                            // grid L1-L3: -320, 115, -40
	srv.SetHolding(100, 823, 0, 0, 0, 1)                                     // genset, active input: grid
	srv.SetHolding(100, 840, 531, 348, 1850, 76, 1)                          // 53.1 V, 34.8 A, 1850 W, 76 %, charging
	srv.SetHolding(100, 850, 2100, 395)                                      // DC PV 2100 W, 39.5 A
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

func TestRead(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	system(srv)
	r := read(t, source(t, Params{Address: srv.Addr}))
	// PV: 1500 + 400 + 410 + 420 AC-coupled, 2100 DC-coupled.
	if r.Generation != 4830 || r.Consumption != 1455 || r.Grid != -245 || r.Battery != -1850 || r.BatterySoC != 76 {
		t.Errorf("%+v", r)
	}
	if r.Has != (energy.Has{Generation: true, Consumption: true, Grid: true, Battery: true, BatterySoC: true}) {
		t.Errorf("has %+v", r.Has)
	}
	// Discharging at night, importing.
	srv.SetHolding(100, 808, 0, 0, 0, 0, 0, 0)
	srv.SetHolding(100, 820, 230, 0, 0)
	srv.SetHolding(100, 842, 0xFC18, 41) // -1000 W
	srv.SetHolding(100, 850, 0)
	if r = read(t, source(t, Params{Address: srv.Addr})); r.Generation != 0 || r.Grid != 230 || r.Battery != 1000 || r.BatterySoC != 41 {
		t.Errorf("night: %+v", r)
	}
}

func TestNotAvailable(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	system(srv)
	srv.SetHolding(100, 808, 1500, 0xFFFF, 0xFFFF)
	srv.SetHolding(100, 820, 0xFEC0, 0x8000, 0x8000)
	srv.SetHolding(100, 842, 0x8000, 0xFFFF)
	r := read(t, source(t, Params{Address: srv.Addr}))
	if r.Generation != 4830 || r.Grid != -320 || r.Has.Battery || r.Has.BatterySoC {
		t.Errorf("%+v", r)
	}
}

func TestMissingRegisters(t *testing.T) {
	srv := energytest.NewModbusServer(t) // a system without grid registers
	srv.SetHolding(100, 808, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	srv.SetHolding(100, 842, 0, 50)
	srv.SetHolding(100, 850, 0)
	_, err := source(t, Params{Address: srv.Addr}).Read(context.Background())
	if want := "victron: read grid (registers 820-822): modbus exception illegal data address; is unit id 100 right?"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}

	system(srv)
	srv.SetHolding(7, 808, 0, 0, 0, 0, 0, 0) // another unit with only PV registers
	_, err = source(t, Params{Address: srv.Addr, UnitID: 7}).Read(context.Background())
	want := "victron: read AC consumption (registers 817-819): modbus exception illegal data address; is unit id 7 right?"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	_, err = source(t, Params{Address: srv.Addr, UnitID: 8}).Read(context.Background())
	energytest.CheckError(t, err, Name, "read PV on AC output and input (registers 808-813)", "is unit id 8 right?")
}

func TestFaults(t *testing.T) {
	energytest.CheckModbusFaults(t, Name, energytest.ModbusFaults(), system, func(addr string) energy.Source {
		return source(t, Params{Address: addr})
	})
}

func TestRecovers(t *testing.T) {
	srv := energytest.NewModbusServer(t)
	system(srv)
	energytest.CheckModbusRecovery(t, srv, source(t, Params{Address: srv.Addr}))
}

func TestParams(t *testing.T) {
	for raw, field := range map[string]string{
		`{}`:                      "address",
		`{"address": "gx:70000"}`: "address",
		`{"address": "venus.local", "unit_id": 248}`: "unit_id",
	} {
		_, _, err := energy.Build(Name, json.RawMessage(raw))
		if fe, ok := config.AsErrors(err); !ok || fe.Field(field) == nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
	if _, _, err := energy.Build(Name, json.RawMessage(`{"address": "gx", "unit": 100}`)); err == nil {
		t.Error("unknown field accepted")
	}
	if s := source(t, Params{Address: "venus.local"}); s.conn.Addr() != "venus.local:502" || s.unit != 100 {
		t.Errorf("defaults: %s unit %d", s.conn.Addr(), s.unit)
	}
	srv := energytest.NewModbusServer(t)
	system(srv)
	r, err := energy.Test(context.Background(), Name, json.RawMessage(`{"address": "`+srv.Addr+`", "unit_id": 100}`))
	if err != nil || r.Battery != -1850 {
		t.Fatalf("Test: %+v %v", r, err)
	}
}
