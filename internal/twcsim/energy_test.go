package twcsim

import (
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
)

// meter asks for FD EB and returns the reply and its body length.
func meter(t *testing.T, b *bench) (twc.Meter, int) {
	t.Helper()
	fs := b.ask(req(twc.CodeMeterQuery, idA))
	if len(fs) != 1 {
		t.Fatalf("FB EB got %d frames, want one FD EB", len(fs))
	}
	m, ok := fs[0].msg.(twc.Meter)
	if !ok || m.Slave != idA {
		t.Fatalf("FB EB answered with %x", fs[0].body)
	}
	return m, len(fs[0].body)
}

// An hour at 16 A offered (15.2 A drawn) on 240 V is 3.65 kWh; the meter's
// whole-kWh counter moves on from the configured lifetime total.
func TestLifetimeEnergySinglePhase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := chargerCfg(idA, Profile453)
		cfg.KWh = 100
		b := start(t, Config{Chargers: []ChargerConfig{cfg}})
		c := b.sim.Charger(0)
		c.PlugIn(teslaCar())
		b.drive(hb(idA, twc.CmdSetLimit2, 16), time.Hour)
		got := c.Status().KWh - 100
		if math.Abs(got-3.65)/3.65 > 0.05 {
			t.Errorf("one hour at 16 A, 240 V: %.3f kWh, want 3.65 ±5%%", got)
		}
		m, n := meter(t, b)
		want := twc.Meter{Slave: idA, KWh: 103, Volts: [3]uint16{240, 0, 0}, HalfAmps: [3]uint8{30, 0, 0}, Long: true}
		if n != 20 || m != want {
			t.Errorf("meter %+v in %d bytes, want %+v in 20", m, n, want)
		}
	})
}

// Power is Σ V·I over the phases the car uses: a three-phase car on a
// three-phase charger counts all three, a single-phase car only L1.
func TestLifetimeEnergyThreePhase(t *testing.T) {
	for _, tc := range []struct {
		name     string
		phases   int
		watts    float64
		halfAmps [3]uint8
	}{
		{"three-phase car", 3, 15.2 * (230 + 231 + 229), [3]uint8{30, 30, 30}},
		{"single-phase car", 1, 15.2 * 230, [3]uint8{30, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := chargerCfg(idA, Profile453)
				cfg.ThreePhase = true
				b := start(t, Config{Chargers: []ChargerConfig{cfg}})
				c := b.sim.Charger(0)
				car := teslaCar()
				car.Phases = tc.phases
				c.PlugIn(car)
				b.drive(hb(idA, twc.CmdSetLimit2, 16), time.Minute) // past the ramp
				before := c.Status()
				b.drive(hb(idA, twc.CmdSetLimit2, 16), 10*time.Minute)
				after := c.Status()
				if !near(float64(after.Power), tc.watts, 1) {
					t.Errorf("power %v, want %.0f W", after.Power, tc.watts)
				}
				if got, want := after.KWh-before.KWh, tc.watts/6000; math.Abs(got-want)/want > 0.01 {
					t.Errorf("10 minutes: %.4f kWh, want %.4f", got, want)
				}
				m, n := meter(t, b)
				if n != 20 || m.Volts != [3]uint16{230, 231, 229} || m.HalfAmps != tc.halfAmps {
					t.Errorf("meter %+v in %d bytes, want 230/231/229 V and half-amps %v", m, n, tc.halfAmps)
				}
			})
		})
	}
}

// Older protocol-2 firmware answers FD EB without currents; protocol 1 does
// not answer at all.
func TestMeterByProfile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := chargerCfg(idA, ProfileV2)
		cfg.KWh = 1234.9
		b := start(t, Config{Chargers: []ChargerConfig{cfg}})
		m, n := meter(t, b)
		if want := (twc.Meter{Slave: idA, KWh: 1234, Volts: [3]uint16{240, 0, 0}}); n != 16 || m != want {
			t.Errorf("v2 meter %+v in %d bytes, want %+v in 16", m, n, want)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		b := start(t, oneCharger(ProfileV1))
		if fs := b.ask(req(twc.CodeMeterQuery, idA)); len(fs) != 0 {
			t.Errorf("v1 answered FB EB with %x", fs[0].body)
		}
	})
}

// A car stops drawing when its state of charge reaches its limit, and stays
// plugged in, not charging.
func TestCarStopsWhenFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, oneCharger(Profile453))
		c := b.sim.Charger(0)
		c.PlugIn(Car{BatteryKWh: 10, SoC: 0.795, Limit: 0.8, MaxAmps: 32})
		hbs := replies(b.drive(hb(idA, twc.CmdSetLimit2, 16), 3*time.Minute), idA)
		charged := false
		for _, h := range hbs {
			charged = charged || h.State == twc.StateCharging
		}
		if !charged {
			t.Fatal("the car never charged")
		}
		if h := lastHB(t, hbs); h.State != twc.StatePluggedIdle || h.ActualAmps != 0 {
			t.Errorf("after reaching the limit: state %02X, %v; want 03, 0 A", byte(h.State), h.ActualAmps)
		}
		if st := c.Status(); st.CarSoC < 0.8 || st.CarSoC > 0.801 {
			t.Errorf("SoC %.4f, want just at the 0.8 limit", st.CarSoC)
		}
	})
}
