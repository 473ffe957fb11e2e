package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

func TestDefaultsValidate(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Fatalf("Defaults() does not validate: %v", err)
	}
	// Every mode is valid with the defaults.
	for _, m := range Modes {
		s := Defaults()
		s.Policy.Mode = m
		if err := s.Validate(); err != nil {
			t.Errorf("Defaults() in mode %s: %v", m, err)
		}
	}
}

// Each case breaks exactly one rule of Validate.
func TestValidateRules(t *testing.T) {
	const id = twc.ID(0x1234)
	for _, tc := range []struct {
		name   string
		mutate func(*Settings)
		field  string
		value  any
	}{
		// Wiring.
		{"shared breaker", func(s *Settings) { s.Wiring.Shared = Circuit{Breaker: 250} }, "wiring.shared.breaker_amps", 250.0},
		{"shared limit", func(s *Settings) { s.Wiring.Shared = Circuit{Limit: 300} }, "wiring.shared.limit_amps", 300.0},
		{"shared neither", func(s *Settings) { s.Wiring.Shared = Circuit{} }, "wiring.shared", "neither a breaker rating nor a limit"},
		{"charger breaker", func(s *Settings) { s.Wiring.Charger = Circuit{Breaker: -10} }, "wiring.charger.breaker_amps", -10.0},
		{"charger limit", func(s *Settings) { s.Wiring.Charger = Circuit{Limit: 5}; s.Wiring.MinAmps = 5 }, "wiring.charger.limit_amps", 5.0},
		{"charger neither", func(s *Settings) { s.Wiring.Charger = Circuit{} }, "wiring.charger", "neither a breaker rating nor a limit"},
		{"charger over 80 A continuous", func(s *Settings) { s.Wiring.Charger = Circuit{Breaker: 150} }, "wiring.charger", "120 A continuous"},
		{"min amps range", func(s *Settings) { s.Wiring.MinAmps = 4 }, "wiring.min_amps", 4.0},
		{"min amps above charger", func(s *Settings) { s.Wiring.Charger = Circuit{Limit: 10}; s.Wiring.MinAmps = 12 }, "wiring.min_amps", 12.0},
		{"override breaker", func(s *Settings) {
			s.Wiring.Chargers = map[twc.ID]ChargerWiring{id: {Circuit: Circuit{Breaker: -10}}}
		}, "wiring.chargers.1234.circuit.breaker_amps", -10.0},
		{"override limit", func(s *Settings) {
			s.Wiring.Chargers = map[twc.ID]ChargerWiring{id: {Circuit: Circuit{Limit: 100}}}
		}, "wiring.chargers.1234.circuit.limit_amps", 100.0},
		{"override min amps", func(s *Settings) {
			s.Wiring.Chargers = map[twc.ID]ChargerWiring{id: {MinAmps: 3}}
		}, "wiring.chargers.1234.min_amps", 3.0},

		// Electrical.
		{"volts", func(s *Settings) { s.Electrical.Volts = 50 }, "electrical.volts", 50.0},
		{"phases", func(s *Settings) { s.Electrical.Phases = 2 }, "electrical.phases", 2},

		// Policy.
		{"mode", func(s *Settings) { s.Policy.Mode = "turbo" }, "policy.mode", "turbo"},
		{"charge now amps", func(s *Settings) { s.Policy.ChargeNow.Amps = 3 }, "policy.charge_now.amps", 3.0},
		{"charge now zero in Now mode", func(s *Settings) { s.Policy.Mode = ModeNow; s.Policy.ChargeNow.Amps = 0 }, "policy.charge_now.amps", 0.0},
		{"charge now then now", func(s *Settings) { s.Policy.ChargeNow.Then = ModeNow }, "policy.charge_now.then", "now"},
		{"charge now then unknown", func(s *Settings) { s.Policy.ChargeNow.Then = "later" }, "policy.charge_now.then", "later"},
		{"schedule start", func(s *Settings) { s.Policy.Schedule.StartMinute = -1 }, "policy.schedule.start_minute", -1},
		{"schedule end", func(s *Settings) { s.Policy.Schedule.EndMinute = 24 * 60 }, "policy.schedule.end_minute", 1440},
		{"schedule start equals end", func(s *Settings) { s.Policy.Schedule.StartMinute = s.Policy.Schedule.EndMinute }, "policy.schedule.end_minute", 360},
		{"schedule amps", func(s *Settings) { s.Policy.Schedule.Amps = 100 }, "policy.schedule.amps", 100.0},
		{"schedule battery", func(s *Settings) { s.Policy.Schedule.BatteryKWh = 500 }, "policy.schedule.battery_kwh", 500.0},
		{"schedule days", func(s *Settings) { s.Policy.Mode = ModeSchedule; s.Policy.Schedule.Days = [7]bool{} }, "policy.schedule.days", "no day"},
		{"non-scheduled amps", func(s *Settings) { s.Policy.NonScheduled = NonScheduled{Action: ActionFixed, Amps: 2} }, "policy.non_scheduled.amps", 2.0},
		{"non-scheduled action", func(s *Settings) { s.Policy.NonScheduled.Action = "maybe" }, "policy.non_scheduled.action", "maybe"},
		{"offset name empty", func(s *Settings) { s.Policy.Offsets = []Offset{{Name: " ", Value: 100, Unit: UnitWatts}} }, "policy.offsets[0].name", " "},
		{"offset name long", func(s *Settings) {
			s.Policy.Offsets = []Offset{{Name: strings.Repeat("x", MaxOffsetName+1), Value: 100, Unit: UnitWatts}}
		}, "policy.offsets[0].name", strings.Repeat("x", MaxOffsetName+1)},
		{"offset name duplicate", func(s *Settings) {
			s.Policy.Offsets = []Offset{{Name: "a", Value: 1, Unit: UnitWatts}, {Name: "a", Value: 2, Unit: UnitAmps}}
		}, "policy.offsets[1].name", "a"},
		{"offset watts zero", func(s *Settings) { s.Policy.Offsets = []Offset{{Name: "a", Value: 0, Unit: UnitWatts}} }, "policy.offsets[0].value", 0.0},
		{"offset watts range", func(s *Settings) { s.Policy.Offsets = []Offset{{Name: "a", Value: 200_000, Unit: UnitWatts}} }, "policy.offsets[0].value", 200_000.0},
		{"offset amps range", func(s *Settings) { s.Policy.Offsets = []Offset{{Name: "a", Value: -500, Unit: UnitAmps}} }, "policy.offsets[0].value", -500.0},
		{"offset unit", func(s *Settings) { s.Policy.Offsets = []Offset{{Name: "a", Value: 1, Unit: "kW"}} }, "policy.offsets[0].unit", "kW"},
		{"grid import cap", func(s *Settings) { s.Policy.GridImportCap = -1 }, "policy.grid_import_cap_w", -1.0},
		{"start threshold", func(s *Settings) { s.Policy.Surplus.StartThreshold = 60_000 }, "policy.surplus.start_threshold_w", 60_000.0},
		{"stop threshold", func(s *Settings) { s.Policy.Surplus.StopThreshold = -60_000 }, "policy.surplus.stop_threshold_w", -60_000.0},
		{"start delay", func(s *Settings) { s.Policy.Surplus.StartDelay = 31 * time.Minute }, "policy.surplus.start_delay", 31 * time.Minute},
		{"stop delay", func(s *Settings) { s.Policy.Surplus.StopDelay = -time.Second }, "policy.surplus.stop_delay", -time.Second},
		{"flex amps", func(s *Settings) { s.Policy.Surplus.FlexAmps = 33 }, "policy.surplus.flex_amps", 33.0},
		{"freshness", func(s *Settings) { s.Policy.Surplus.Freshness = 5 * time.Second }, "policy.surplus.freshness", 5 * time.Second},
		{"battery min SoC", func(s *Settings) { s.Policy.Surplus.BatteryMinSoC = 101 }, "policy.surplus.battery_min_soc", 101.0},
		{"stop method", func(s *Settings) { s.Policy.StopMethod = "magic" }, "policy.stop_method", "magic"},
		{"limit now", func(s *Settings) { s.Policy.Limits.Now = 49 }, "policy.charge_limits.now", 49},
		{"limit schedule", func(s *Settings) { s.Policy.Limits.Schedule = 101 }, "policy.charge_limits.schedule", 101},
		{"limit solar", func(s *Settings) { s.Policy.Limits.Solar = -1 }, "policy.charge_limits.solar", -1},
		{"limit other", func(s *Settings) { s.Policy.Limits.Other = 1 }, "policy.charge_limits.other", 1},
		{"interval", func(s *Settings) { s.Policy.Interval = time.Second }, "policy.interval", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Defaults()
			tc.mutate(&s)
			err := s.Validate()
			errs, ok := AsErrors(err)
			if !ok {
				t.Fatalf("Validate() = %v, want config.Errors", err)
			}
			if len(errs) != 1 {
				t.Fatalf("Validate() = %v, want exactly one error, for %s", errs, tc.field)
			}
			e := errs[0]
			if e.Field != tc.field {
				t.Errorf("field %q, want %q", e.Field, tc.field)
			}
			if !reflect.DeepEqual(e.Value, tc.value) {
				t.Errorf("value %#v (%T), want %#v (%T)", e.Value, e.Value, tc.value, tc.value)
			}
			if e.Allowed == "" {
				t.Error("Allowed is empty")
			}
			if errs.Field(tc.field) != e {
				t.Errorf("Errors.Field(%q) did not find the error", tc.field)
			}
			if !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), e.Allowed) {
				t.Errorf("message %q names neither the field nor what is allowed", err)
			}
		})
	}
}

func TestValidateRejectsNaN(t *testing.T) {
	nan := math.NaN()
	const id = twc.ID(0xABCD)
	for _, tc := range []struct {
		field  string
		mutate func(*Settings)
	}{
		{"wiring.shared.breaker_amps", func(s *Settings) { s.Wiring.Shared.Breaker = units.Amps(nan) }},
		{"wiring.shared.limit_amps", func(s *Settings) { s.Wiring.Shared = Circuit{Limit: units.Amps(nan)} }},
		{"wiring.charger.breaker_amps", func(s *Settings) { s.Wiring.Charger.Breaker = units.Amps(nan) }},
		{"wiring.charger.limit_amps", func(s *Settings) { s.Wiring.Charger = Circuit{Limit: units.Amps(nan)} }},
		{"wiring.min_amps", func(s *Settings) { s.Wiring.MinAmps = units.Amps(nan) }},
		{"wiring.chargers.ABCD.circuit.limit_amps", func(s *Settings) {
			s.Wiring.Chargers = map[twc.ID]ChargerWiring{id: {Circuit: Circuit{Limit: units.Amps(nan)}}}
		}},
		{"wiring.chargers.ABCD.min_amps", func(s *Settings) { s.Wiring.Chargers = map[twc.ID]ChargerWiring{id: {MinAmps: units.Amps(nan)}} }},
		{"electrical.volts", func(s *Settings) { s.Electrical.Volts = units.Volts(nan) }},
		{"policy.charge_now.amps", func(s *Settings) { s.Policy.ChargeNow.Amps = units.Amps(nan) }},
		{"policy.schedule.amps", func(s *Settings) { s.Policy.Schedule.Amps = units.Amps(nan) }},
		{"policy.schedule.battery_kwh", func(s *Settings) { s.Policy.Schedule.BatteryKWh = nan }},
		{"policy.non_scheduled.amps", func(s *Settings) { s.Policy.NonScheduled = NonScheduled{Action: ActionFixed, Amps: units.Amps(nan)} }},
		{"policy.offsets[0].value", func(s *Settings) { s.Policy.Offsets = []Offset{{Name: "w", Value: nan, Unit: UnitWatts}} }},
		{"policy.offsets[0].value", func(s *Settings) { s.Policy.Offsets = []Offset{{Name: "a", Value: nan, Unit: UnitAmps}} }},
		{"policy.grid_import_cap_w", func(s *Settings) { s.Policy.GridImportCap = units.Watts(nan) }},
		{"policy.surplus.start_threshold_w", func(s *Settings) { s.Policy.Surplus.StartThreshold = units.Watts(nan) }},
		{"policy.surplus.stop_threshold_w", func(s *Settings) { s.Policy.Surplus.StopThreshold = units.Watts(nan) }},
		{"policy.surplus.flex_amps", func(s *Settings) { s.Policy.Surplus.FlexAmps = units.Amps(nan) }},
		{"policy.surplus.battery_min_soc", func(s *Settings) { s.Policy.Surplus.BatteryMinSoC = nan }},
	} {
		s := Defaults()
		tc.mutate(&s)
		errs, ok := AsErrors(s.Validate())
		if !ok {
			t.Errorf("%s = NaN: accepted", tc.field)
			continue
		}
		e := errs.Field(tc.field)
		if e == nil {
			t.Errorf("%s = NaN: errors %v do not name it", tc.field, errs)
			continue
		}
		if f, ok := e.Value.(float64); !ok || !math.IsNaN(f) {
			t.Errorf("%s = NaN: value %#v, want NaN", tc.field, e.Value)
		}
	}
}

func TestValidateDoesNotModify(t *testing.T) {
	build := func() Settings {
		s := Defaults()
		s.Wiring.Chargers = map[twc.ID]ChargerWiring{
			0x0001: {Circuit: Circuit{Breaker: 300}, MinAmps: 3},
			0x0002: {Circuit: Circuit{Limit: 16}},
		}
		s.Policy.Offsets = []Offset{{Name: "b", Value: 0, Unit: "kW"}, {Name: "a", Value: 1, Unit: UnitWatts}, {Name: "a", Value: 2, Unit: UnitAmps}}
		s.Policy.Mode = "bogus"
		s.Electrical.Phases = 2
		s.Policy.ChargeNow = ChargeNow{Amps: 16, Until: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Then: ModeSolar}
		return s
	}
	s, want := build(), build()
	if s.Validate() == nil {
		t.Fatal("test bug: the settings are valid")
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Validate changed its receiver:\n got %+v\nwant %+v", s, want)
	}

	valid := Defaults()
	valid.Wiring.Chargers = map[twc.ID]ChargerWiring{0x0002: {Circuit: Circuit{Limit: 16}}}
	wantValid := Defaults()
	wantValid.Wiring.Chargers = map[twc.ID]ChargerWiring{0x0002: {Circuit: Circuit{Limit: 16}}}
	if err := valid.Validate(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(valid, wantValid) {
		t.Error("Validate changed a valid receiver")
	}
}

func TestValidateErrorsSortedAndComplete(t *testing.T) {
	s := Defaults()
	s.Policy.Interval = 0
	s.Electrical.Volts = 0
	s.Wiring.MinAmps = 0
	s.Policy.StopMethod = ""
	errs, ok := AsErrors(s.Validate())
	if !ok {
		t.Fatal("no errors")
	}
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	want := []string{"electrical.volts", "policy.interval", "policy.stop_method", "wiring.min_amps"}
	if !slices.Equal(fields, want) {
		t.Errorf("fields %q, want %q", fields, want)
	}
	if !strings.HasPrefix(errs.Error(), "config: electrical.volts: 0 is not allowed; allowed: 100 to 280; ") {
		t.Errorf("message %q", errs.Error())
	}
	if errs.Field("policy.mode") != nil {
		t.Error("Field found an error that is not there")
	}

	wrapped := fmt.Errorf("saving: %w", errs)
	if got, ok := AsErrors(wrapped); !ok || len(got) != len(errs) {
		t.Errorf("AsErrors(wrapped) = %v, %v", got, ok)
	}
	if _, ok := AsErrors(errors.New("other")); ok {
		t.Error("AsErrors accepted an unrelated error")
	}
}

// Rules added by the proposed validate.go patch.
func TestValidateChargerOverrides(t *testing.T) {
	const id = twc.ID(0x0001)
	for _, tc := range []struct {
		name   string
		mutate func(*Settings)
		field  string
		value  any
	}{
		{"override breaker over 80 A continuous", func(s *Settings) {
			s.Wiring.Chargers = map[twc.ID]ChargerWiring{id: {Circuit: Circuit{Breaker: 150}}}
		}, "wiring.chargers.0001.circuit", "120 A continuous"},
		{"override min above override limit", func(s *Settings) {
			s.Wiring.Chargers = map[twc.ID]ChargerWiring{id: {Circuit: Circuit{Limit: 10}, MinAmps: 20}}
		}, "wiring.chargers.0001.min_amps", 20.0},
		{"shared min above override limit", func(s *Settings) {
			s.Wiring.MinAmps = 10
			s.Wiring.Chargers = map[twc.ID]ChargerWiring{id: {Circuit: Circuit{Limit: 6}}}
		}, "wiring.chargers.0001.min_amps", 10.0},
		{"charger limit over 80 A reported once", func(s *Settings) { s.Wiring.Charger = Circuit{Limit: 90} }, "wiring.charger.limit_amps", 90.0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Defaults()
			tc.mutate(&s)
			errs, ok := AsErrors(s.Validate())
			if !ok || len(errs) != 1 || errs[0].Field != tc.field || !reflect.DeepEqual(errs[0].Value, tc.value) {
				t.Fatalf("Validate() = %v, want one error for %s = %v", errs, tc.field, tc.value)
			}
		})
	}
	s := Defaults()
	s.Policy.Offsets = []Offset{{Name: "Wärmepumpe Garage Ostseite äöü", Value: 1, Unit: UnitWatts}} // 30 characters, 36 bytes
	if err := s.Validate(); err != nil {
		t.Errorf("a 30-character name with umlauts: %v", err)
	}
}

func TestValidateSources(t *testing.T) {
	s := Defaults()
	s.Sources = []Source{
		{Name: "inverter", Kind: "fronius", Roles: []string{"pv", "grid"}},
		{Name: "meter", Kind: "shelly", Roles: []string{"grid", "sun"}},
		{Name: "inverter", Kind: "", Roles: nil, Interval: time.Millisecond},
	}
	fe, ok := AsErrors(s.Validate())
	if !ok {
		t.Fatal("invalid sources accepted")
	}
	for _, field := range []string{"sources[1].roles", "sources[2].name", "sources[2].kind", "sources[2].interval"} {
		if fe.Field(field) == nil {
			t.Errorf("no error for %s in %v", field, fe)
		}
	}
	if e := fe.Field("sources[1].roles"); e == nil || !strings.Contains(fmt.Sprint(fe), "inverter already has grid") {
		t.Errorf("duplicate role not explained: %v", fe)
	}
	s.Sources = []Source{{Name: "inverter", Kind: "fronius", Roles: []string{"pv"}}, {Name: "meter", Kind: "shelly", Roles: []string{"grid"}, Interval: 5 * time.Second}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}
