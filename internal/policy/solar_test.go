package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/units"
)

// step is one evaluation in a time series: the grid export at that moment
// (the car's own draw already included, as a grid meter sees it) and the
// target the charger should get.
type step struct {
	at     time.Duration
	export units.Watts
	want   units.Amps
}

// runSeries plays steps against one charger whose car draws what it was
// offered (less 0.8 A), so the grid reading reacts to the decisions.
func runSeries(t *testing.T, s config.Settings, steps []step) []Decision {
	t.Helper()
	e := NewEngine()
	var offered units.Amps
	var out []Decision
	for _, st := range steps {
		now := t0.Add(st.at)
		actual := units.Amps(0)
		if offered > 0 {
			actual = offered - 0.8
		}
		c := charging(1, offered, actual)
		// The meter sees the surplus minus what the car draws.
		r := export(st.export-units.Watts(float64(actual)*230), now)
		d := e.Decide(Inputs{Now: now, Settings: s, Chargers: []Charger{c}, Energy: r})
		if got := amps(t, d, 1); got != st.want {
			t.Fatalf("at %v with %v surplus: %v, want %v\n%s", st.at, st.export, got, st.want, d.Explanation)
		}
		offered = amps(t, d, 1)
		out = append(out, d)
	}
	return out
}

func TestSolarStartDelayAndStopDelay(t *testing.T) {
	s := settings(config.ModeSolar)
	s.Policy.Surplus.StartDelay = time.Minute
	s.Policy.Surplus.StopDelay = 3 * time.Minute
	ds := runSeries(t, s, []step{
		{0, 1000, 0},                  // 4 A: below the 6 A minimum
		{30 * time.Second, 2100, 0},   // 9 A: start timer begins
		{60 * time.Second, 2100, 0},   // waiting 30 s of 60 s
		{90 * time.Second, 2100, 9},   // started
		{120 * time.Second, 3000, 13}, // follows the surplus
		{150 * time.Second, 500, 6},   // gone: holds the minimum
		{240 * time.Second, 500, 6},   // still within the stop delay
		{330 * time.Second, 500, 0},   // 3 min after it went: paused
		{360 * time.Second, 3000, 0},  // restart waits for the start delay
		{420 * time.Second, 3000, 13}, // and starts again
		{450 * time.Second, 1500, 7},  // 6.5 A: a 7 A offer draws 6.2 A, within it
	})
	if !strings.Contains(ds[2].Explanation, "waiting 30s of 1m0s before starting") {
		t.Errorf("explanation while waiting: %q", ds[2].Explanation)
	}
	if !strings.Contains(ds[1].Explanation, "Solar: 2.1 kW available for charging") || !strings.Contains(ds[1].Explanation, "= 9 A") {
		t.Errorf("explanation: %q", ds[1].Explanation)
	}
	if tg, _ := ds[5].Target(1); !strings.Contains(tg.Reason, "pausing in") {
		t.Errorf("reason while pausing: %q", tg.Reason)
	}
}

// A surplus that dips below the minimum but within the flex amps keeps the
// car at its minimum without starting the stop delay.
func TestSolarFlexAmps(t *testing.T) {
	s := settings(config.ModeSolar)
	s.Policy.Surplus.StartDelay = 0
	s.Policy.Surplus.StopDelay = time.Minute
	s.Policy.Surplus.FlexAmps = 3
	runSeries(t, s, []step{
		{0, 2000, 8},
		{2 * time.Minute, 900, 6}, // 3.9 A + 3 A flex ≥ 6 A
		{5 * time.Minute, 900, 6},
		{6 * time.Minute, 500, 6}, // 2.2 A + 3 A < 6 A: stop delay starts
		{7 * time.Minute, 500, 0},
	})
}

// The spec's restart hold: never restart within a minute of stopping, even
// with no start delay.
func TestSolarRestartHold(t *testing.T) {
	s := settings(config.ModeSolar)
	s.Policy.Surplus.StartDelay = 0
	s.Policy.Surplus.StopDelay = 0
	runSeries(t, s, []step{
		{0, 3000, 13},
		{30 * time.Second, 3000, 13},
		{70 * time.Second, 200, 0},  // stop (ran ≥ 1 min, no stop delay)
		{80 * time.Second, 3000, 0}, // restart hold
		{130 * time.Second, 3000, 13},
	})
}

// The spec's keep-charging hold: no stop within a minute of starting.
func TestSolarMinimumRunTime(t *testing.T) {
	s := settings(config.ModeSolar)
	s.Policy.Surplus.StartDelay = 0
	s.Policy.Surplus.StopDelay = 0
	runSeries(t, s, []step{
		{0, 3000, 13},
		{20 * time.Second, 100, 6},
		{50 * time.Second, 100, 6},
		{61 * time.Second, 100, 0},
	})
}

// A stale or missing reading counts as no surplus: the car drops to its
// minimum at once and pauses after the stop delay, never jumping from full
// current to nothing.
func TestSolarStaleReadingRampsDown(t *testing.T) {
	s := settings(config.ModeSolar)
	s.Policy.Surplus.StartDelay = 0
	s.Policy.Surplus.StopDelay = 2 * time.Minute
	s.Policy.Surplus.Freshness = time.Minute
	e := NewEngine()
	fresh := export(5000, t0)
	d := e.Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{charging(1, 0, 0)}, Energy: fresh})
	if amps(t, d, 1) != 21 {
		t.Fatalf("start: %v", amps(t, d, 1))
	}
	c := charging(1, 21, 20.2)
	d = e.Decide(Inputs{Now: t0.Add(61 * time.Second), Settings: s, Chargers: []Charger{c}, Energy: fresh})
	if amps(t, d, 1) != 6 || !strings.Contains(strings.Join(d.Notes, " "), "old (limit 1m0s): treated as missing") {
		t.Fatalf("stale: %v %v", amps(t, d, 1), d.Notes)
	}
	d = e.Decide(Inputs{Now: t0.Add(4 * time.Minute), Settings: s, Chargers: []Charger{charging(1, 6, 5.2)}})
	if amps(t, d, 1) != 0 || !strings.Contains(d.Explanation, "no energy reading") {
		t.Fatalf("after the stop delay: %v %q", amps(t, d, 1), d.Explanation)
	}
}

func TestImplausibleReadingsAreMissing(t *testing.T) {
	s := settings(config.ModeSolar)
	for name, r := range map[string]Reading{
		"negative generation": {At: t0, Generation: -50, Consumption: 300, Has: Has{Generation: true, Consumption: true}},
		"absurd grid":         {At: t0, Grid: -5e7, Has: Has{Grid: true}},
		"future is fine, NaN": {At: t0, Grid: units.Watts(nan()), Has: Has{Grid: true}},
	} {
		d := NewEngine().Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{charging(1, 0, 0)}, Energy: r})
		if amps(t, d, 1) != 0 || d.SurplusKnown || !strings.Contains(strings.Join(d.Notes, " "), "not plausible") {
			t.Errorf("%s: %v known=%v notes %v", name, amps(t, d, 1), d.SurplusKnown, d.Notes)
		}
	}
}

func TestMinSolarNeverPauses(t *testing.T) {
	s := settings(config.ModeMinSolar)
	runSeries(t, s, []step{
		{0, 0, 6},
		{30 * time.Second, 3000, 13},
		{60 * time.Second, -2000, 6},
		{10 * time.Minute, 0, 6},
	})
	d := NewEngine().Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{charging(1, 6, 5.2)}})
	if amps(t, d, 1) != 6 || !strings.Contains(d.Explanation, "charging at the minimum") {
		t.Fatalf("no reading: %v %q", amps(t, d, 1), d.Explanation)
	}
}

func TestGenerationMinusConsumption(t *testing.T) {
	s := settings(config.ModeMinSolar)
	c := charging(1, 10, 10) // 2300 W
	r := Reading{At: t0, Generation: 5000, Consumption: 3300, Has: Has{Generation: true, Consumption: true}}
	// The meter does not see the charger: 1.7 kW is surplus on top of it.
	d := NewEngine().Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{c}, Energy: r})
	if amps(t, d, 1) != 7 {
		t.Fatalf("excluding charger: %v (%s)", amps(t, d, 1), d.Explanation)
	}
	s.Policy.Surplus.MeterIncludesCharger = true
	d = NewEngine().Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{c}, Energy: r})
	if amps(t, d, 1) != 17 {
		t.Fatalf("including charger: %v (%s)", amps(t, d, 1), d.Explanation)
	}
}

func TestOffsetsAndHomeBattery(t *testing.T) {
	s := settings(config.ModeMinSolar)
	s.Policy.Offsets = []config.Offset{{Name: "heat pump", Value: 460, Unit: config.UnitWatts}, {Name: "reserve", Value: 1, Unit: config.UnitAmps}}
	d := NewEngine().Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{charging(1, 0, 0)}, Energy: export(4600, t0)})
	if amps(t, d, 1) != 17 { // 20 A − 2 A − 1 A
		t.Fatalf("offsets: %v", amps(t, d, 1))
	}
	s.Policy.Offsets = nil
	s.Policy.Surplus.BatteryMinSoC = 80
	battery := func(w units.Watts, soc float64) Reading {
		r := export(0, t0)
		r.Battery, r.BatterySoC, r.Has.Battery, r.Has.BatterySoC = w, soc, true, true
		return r
	}
	for _, tc := range []struct {
		r    Reading
		want units.Amps
	}{
		{battery(-2300, 90), 10}, // charging above its minimum: the car may take it
		{battery(-2300, 50), 6},  // below: the battery first (Min+Solar floor)
		{battery(2300, 90), 6},   // discharging into the house: not surplus
	} {
		d := NewEngine().Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{charging(1, 0, 0)}, Energy: tc.r})
		if amps(t, d, 1) != tc.want {
			t.Errorf("battery %v at %v%%: %v, want %v", tc.r.Battery, tc.r.BatterySoC, amps(t, d, 1), tc.want)
		}
	}
}

func TestGridImportCap(t *testing.T) {
	s := settings(config.ModeNow)
	s.Policy.ChargeNow.Amps = 32
	s.Policy.GridImportCap = 5000
	c := charging(1, 20, 20)                               // 4600 W
	r := Reading{At: t0, Grid: 6000, Has: Has{Grid: true}} // 1 kW over the cap
	d := NewEngine().Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{c}, Energy: r})
	if amps(t, d, 1) != 15 || !strings.Contains(d.Explanation, "grid import capped at 5000 W") {
		t.Fatalf("%v %q", amps(t, d, 1), d.Explanation)
	}
	d = NewEngine().Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{c}})
	if amps(t, d, 1) != 6 || !strings.Contains(d.Explanation, "grid reading missing") {
		t.Fatalf("without a grid reading: %v %q", amps(t, d, 1), d.Explanation)
	}
}

// Power is Σ V·I per phase: a single-phase car on a three-phase charger is
// counted once, so it gets three times the amps of a three-phase car.
func TestPerPhasePower(t *testing.T) {
	s := settings(config.ModeMinSolar)
	s.Electrical.Measure = true
	one := charging(1, 10, 10)
	one.Volts, one.PhaseAmps = [3]units.Volts{230, 230, 230}, [3]units.Amps{10, 0, 0}
	three := charging(2, 10, 10)
	three.Volts, three.PhaseAmps = [3]units.Volts{230, 230, 230}, [3]units.Amps{10, 10, 10}
	r := export(0, t0) // all surplus is in use by the cars
	d := NewEngine().Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{one}, Energy: r})
	if amps(t, d, 1) != 10 {
		t.Fatalf("single-phase car: %v (%s)", amps(t, d, 1), d.Explanation)
	}
	d = NewEngine().Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{three}, Energy: export(6900, t0)})
	if amps(t, d, 2) != 20 { // 6.9 kW draw + 6.9 kW export = 20 A on three phases
		t.Fatalf("three-phase car: %v (%s)", amps(t, d, 2), d.Explanation)
	}
}
