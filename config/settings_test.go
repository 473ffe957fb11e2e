package config

import (
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

func TestCircuitContinuous(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Circuit
		want units.Amps
	}{
		{"40 A breaker", Circuit{Breaker: 40}, 32},
		{"50 A breaker", Circuit{Breaker: 50}, 40},
		{"20 A breaker", Circuit{Breaker: 20}, 16},
		{"100 A breaker", Circuit{Breaker: 100}, 80},
		{"32 A breaker rounds down", Circuit{Breaker: 32}, 25}, // 25.6
		{"16 A breaker rounds down", Circuit{Breaker: 16}, 12}, // 12.8
		{"limit entered directly", Circuit{Limit: 32}, 32},
		{"limit kept as entered", Circuit{Limit: 24.5}, 24.5},
		{"breaker wins over limit", Circuit{Breaker: 40, Limit: 10}, 32},
		{"nothing", Circuit{}, 0},
	} {
		if got := tc.c.Continuous(); got != tc.want {
			t.Errorf("%s: %+v.Continuous() = %v, want %v", tc.name, tc.c, got, tc.want)
		}
	}

	// The 80 % rule never loses an amp to floating point: floor(b × 4 / 5).
	for b := 1; b <= 200; b++ {
		want := units.Amps(b * 4 / 5)
		if got := (Circuit{Breaker: units.Amps(b)}).Continuous(); got != want {
			t.Errorf("Circuit{Breaker: %d}.Continuous() = %v, want %v", b, got, want)
		}
	}
}

func TestWiringPerCharger(t *testing.T) {
	const (
		plain      = twc.ID(0x0001) // not listed: the shared defaults
		ownBreaker = twc.ID(0x0002)
		ownLimit   = twc.ID(0x0003)
		onlyMin    = twc.ID(0x0004)
		empty      = twc.ID(0x0005)
	)
	w := Wiring{
		Shared:  Circuit{Breaker: 63},
		Charger: Circuit{Breaker: 40},
		MinAmps: 6,
		Chargers: map[twc.ID]ChargerWiring{
			ownBreaker: {Circuit: Circuit{Breaker: 20}, MinAmps: 8},
			ownLimit:   {Circuit: Circuit{Limit: 13}},
			onlyMin:    {MinAmps: 10},
			empty:      {},
		},
	}
	for _, tc := range []struct {
		id         twc.ID
		limit, min units.Amps
	}{
		{plain, 32, 6},
		{ownBreaker, 16, 8},
		{ownLimit, 13, 6},
		{onlyMin, 32, 10},
		{empty, 32, 6},
	} {
		if got := w.ChargerLimit(tc.id); got != tc.limit {
			t.Errorf("ChargerLimit(%v) = %v, want %v", tc.id, got, tc.limit)
		}
		if got := w.ChargerMin(tc.id); got != tc.min {
			t.Errorf("ChargerMin(%v) = %v, want %v", tc.id, got, tc.min)
		}
	}

	// Without overrides every charger gets the shared defaults.
	bare := Wiring{Charger: Circuit{Limit: 24}, MinAmps: 5}
	if got := bare.ChargerLimit(plain); got != 24 {
		t.Errorf("ChargerLimit without overrides = %v, want 24", got)
	}
	if got := bare.ChargerMin(plain); got != 5 {
		t.Errorf("ChargerMin without overrides = %v, want 5", got)
	}
}

func TestDefaultsWiring(t *testing.T) {
	w := Defaults().Wiring
	if got := w.Shared.Continuous(); got != 32 {
		t.Errorf("default shared continuous = %v, want 32", got)
	}
	if got := w.ChargerLimit(0x1234); got != 32 {
		t.Errorf("default charger limit = %v, want 32", got)
	}
	if got := w.ChargerMin(0x1234); got != 6 {
		t.Errorf("default charger min = %v, want 6", got)
	}
}

// Charge Now with an end counts as the mode it interrupted once the end has
// passed; without Then, that is Solar.
func TestActiveMode(t *testing.T) {
	end := time.Date(2026, 11, 21, 18, 0, 0, 0, time.UTC)
	p := Policy{Mode: ModeNow, ChargeNow: ChargeNow{Until: end, Then: ModeMinSolar}}
	if m := p.ActiveMode(end.Add(-time.Second)); m != ModeNow {
		t.Errorf("before the end: %s", m)
	}
	if m := p.ActiveMode(end); m != ModeMinSolar {
		t.Errorf("at the end: %s", m)
	}
	p.ChargeNow.Then = ""
	if m := p.ActiveMode(end); m != ModeSolar || p.AfterNow() != ModeSolar {
		t.Errorf("without Then: %s", m)
	}
	p.ChargeNow.Until = time.Time{}
	if m := p.ActiveMode(end.Add(time.Hour)); m != ModeNow {
		t.Errorf("without an end: %s", m)
	}
}
