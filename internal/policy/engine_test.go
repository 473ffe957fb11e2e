package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

var t0 = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC) // a Monday noon

func settings(mode config.Mode) config.Settings {
	s := config.Defaults()
	s.Policy.Mode = mode
	s.Electrical.Measure = false
	return s
}

// charging is a charger with a car drawing amps of an offer.
func charging(id twc.ID, offered, actual units.Amps) Charger {
	st := twc.StateCharging
	if actual < 1 {
		st = twc.StatePluggedIdle
	}
	return Charger{ID: id, Advertised: 32, ProtocolMin: 6, State: st, Offered: offered, Actual: actual, CarSoC: -1}
}

func empty(id twc.ID) Charger {
	return Charger{ID: id, Advertised: 32, ProtocolMin: 6, State: twc.StateReady, Actual: 0.25, CarSoC: -1}
}

func export(w units.Watts, at time.Time) Reading {
	return Reading{At: at, Grid: -w, Has: Has{Grid: true}}
}

func amps(t *testing.T, d Decision, id twc.ID) units.Amps {
	t.Helper()
	tg, ok := d.Target(id)
	if !ok {
		t.Fatalf("no target for %s in %+v", id, d)
	}
	return tg.Amps
}

func TestOffOffersNothing(t *testing.T) {
	e := NewEngine()
	d := e.Decide(Inputs{Now: t0, Settings: settings(config.ModeOff), Chargers: []Charger{charging(1, 16, 15)}})
	if amps(t, d, 1) != 0 || d.Rule != RuleOff || d.Explanation != "Off: not charging." {
		t.Fatalf("%+v", d)
	}
	if len(d.Chargers) != 1 || d.Chargers[0].Actual != 15 {
		t.Fatalf("decision does not record its inputs: %+v", d.Chargers)
	}
}

func TestChargeNowSharesFairly(t *testing.T) {
	s := settings(config.ModeNow)
	s.Policy.ChargeNow = config.ChargeNow{Amps: 32, Until: t0.Add(time.Hour), Then: config.ModeOff}
	e := NewEngine()
	d := e.Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{charging(1, 16, 15), charging(2, 16, 15)}})
	if amps(t, d, 1) != 16 || amps(t, d, 2) != 16 {
		t.Fatalf("%+v", d.Targets)
	}
	if !strings.Contains(d.Explanation, "Charge now: 32.00 A shared by 2 cars until 13:00") {
		t.Fatalf("explanation %q", d.Explanation)
	}
	// After the end time the mode falls back to Then.
	d = e.Decide(Inputs{Now: t0.Add(time.Hour), Settings: s, Chargers: []Charger{charging(1, 16, 15), charging(2, 16, 15)}})
	if d.Mode != config.ModeOff || amps(t, d, 1) != 0 || len(d.Notes) == 0 {
		t.Fatalf("after the end: %+v", d)
	}
}

// A 16 A car on a 32 A charger leaves the rest to the other charger.
func TestUntakenCurrentGoesToOthers(t *testing.T) {
	s := settings(config.ModeNow)
	s.Policy.ChargeNow.Amps = 40
	s.Wiring.Shared = config.Circuit{Limit: 40}
	e := NewEngine()
	in := Inputs{Now: t0, Settings: s, Chargers: []Charger{charging(1, 20, 15.2), charging(2, 20, 19.2)}}
	d := e.Decide(in)
	if amps(t, d, 1) != 20 || amps(t, d, 2) != 20 {
		t.Fatalf("first: %+v", d.Targets)
	}
	in.Now = t0.Add(2 * time.Minute)
	d = e.Decide(in)
	if a, b := amps(t, d, 1), amps(t, d, 2); a != 18 || b != 22 {
		t.Fatalf("limited car %v, other %v; want 18 and 22", a, b)
	}
}

func TestEmptyChargerGetsMinimumWhenThereIsRoom(t *testing.T) {
	s := settings(config.ModeNow)
	s.Policy.ChargeNow.Amps = 32
	e := NewEngine()
	// A car that takes the whole budget gets it; an empty charger only gets
	// what is left over.
	d := e.Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{charging(1, 16, 15), empty(2)}})
	if amps(t, d, 1) != 32 || amps(t, d, 2) != 0 {
		t.Fatalf("%+v", d.Targets)
	}
	d = e.Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{charging(1, 20, 15.1), empty(2)}})
	e.Decide(Inputs{Now: t0.Add(2 * time.Minute), Settings: s, Chargers: []Charger{charging(1, 20, 15.1), empty(2)}})
	d = e.Decide(Inputs{Now: t0.Add(3 * time.Minute), Settings: s, Chargers: []Charger{charging(1, 20, 15.1), empty(2)}})
	if amps(t, d, 1) != 18 || amps(t, d, 2) != 6 {
		t.Fatalf("a 15 A car leaves room: %+v", d.Targets)
	}
	s.Policy.ChargeNow.Amps = 30
	s.Wiring.Shared = config.Circuit{Limit: 30}
	d = e.Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{charging(1, 16, 15), charging(2, 16, 15), empty(3)}})
	if amps(t, d, 1) != 15 || amps(t, d, 2) != 15 || amps(t, d, 3) != 0 {
		t.Fatalf("full circuit: %+v", d.Targets)
	}
}

// Below the minimum for everyone: some get the minimum, the rest 0, never 1–5 A.
func TestMinimumOrNothing(t *testing.T) {
	s := settings(config.ModeNow)
	s.Policy.ChargeNow.Amps = 14
	e := NewEngine()
	d := e.Decide(Inputs{Now: t0, Settings: s, Chargers: []Charger{charging(1, 6, 5), charging(2, 6, 5), charging(3, 6, 5)}})
	got := []units.Amps{amps(t, d, 1), amps(t, d, 2), amps(t, d, 3)}
	nonzero := 0
	for _, a := range got {
		if a != 0 && a < 6 {
			t.Fatalf("sub-minimum offer in %v", got)
		}
		if a > 0 {
			nonzero++
		}
	}
	if nonzero != 2 || d.Total() > 14 {
		t.Fatalf("targets %v", got)
	}
}

func TestScheduleWindow(t *testing.T) {
	s := settings(config.ModeSchedule)
	s.Policy.Schedule = config.Schedule{Days: [7]bool{time.Monday: true}, StartMinute: 22 * 60, EndMinute: 6 * 60, Amps: 20}
	s.Policy.NonScheduled = config.NonScheduled{Action: config.ActionOff}
	chargers := []Charger{charging(1, 0, 0)}
	cases := []struct {
		at    time.Time
		clock bool
		want  units.Amps
		rule  Rule
	}{
		{time.Date(2026, 6, 15, 21, 59, 0, 0, time.UTC), true, 0, RuleNonScheduled}, // Monday before
		{time.Date(2026, 6, 15, 22, 0, 0, 0, time.UTC), true, 20, RuleSchedule},     // Monday start
		{time.Date(2026, 6, 16, 5, 59, 0, 0, time.UTC), true, 20, RuleSchedule},     // over midnight into Tuesday
		{time.Date(2026, 6, 16, 6, 0, 0, 0, time.UTC), true, 0, RuleNonScheduled},   // end
		{time.Date(2026, 6, 16, 22, 30, 0, 0, time.UTC), true, 0, RuleNonScheduled}, // Tuesday not selected
		{time.Date(2026, 6, 15, 23, 0, 0, 0, time.UTC), false, 0, RuleNonScheduled}, // clock not good
	}
	for _, tc := range cases {
		d := NewEngine().Decide(Inputs{Now: tc.at, ClockGood: tc.clock, Settings: s, Chargers: chargers})
		if amps(t, d, 1) != tc.want || d.Rule != tc.rule {
			t.Errorf("%v clock=%v: %v (%s), want %v (%s); %s", tc.at, tc.clock, amps(t, d, 1), d.Rule, tc.want, tc.rule, d.Explanation)
		}
	}
}

func TestScheduleFinishBy(t *testing.T) {
	s := settings(config.ModeSchedule)
	s.Policy.Schedule = config.Schedule{Days: [7]bool{true, true, true, true, true, true, true},
		StartMinute: 0, EndMinute: 7 * 60, Amps: 16, FinishBy: true, BatteryKWh: 60}
	s.Policy.NonScheduled = config.NonScheduled{Action: config.ActionOff}
	c := charging(1, 0, 0)
	c.CarSoC, c.CarLimit = 0.7, 0.8 // 6 kWh at 16 A × 230 V ≈ 98 min + 15 min
	at := func(h, m int) time.Time { return time.Date(2026, 6, 15, h, m, 0, 0, time.UTC) }
	for _, tc := range []struct {
		at   time.Time
		want units.Amps
	}{{at(4, 0), 0}, {at(5, 0), 0}, {at(5, 10), 16}, {at(6, 59), 16}} {
		d := NewEngine().Decide(Inputs{Now: tc.at, ClockGood: true, Settings: s, Chargers: []Charger{c}})
		if amps(t, d, 1) != tc.want {
			t.Errorf("%v: %v, want %v (%v)", tc.at.Format("15:04"), amps(t, d, 1), tc.want, d.Notes)
		}
	}
}

func TestNonScheduledFixed(t *testing.T) {
	s := settings(config.ModeSchedule)
	s.Policy.NonScheduled = config.NonScheduled{Action: config.ActionFixed, Amps: 10}
	d := NewEngine().Decide(Inputs{Now: t0, ClockGood: true, Settings: s, Chargers: []Charger{charging(1, 0, 0)}})
	if amps(t, d, 1) != 10 || d.Rule != RuleNonScheduled {
		t.Fatalf("%+v", d)
	}
}

func nan() float64 { var z float64; return z / z }
