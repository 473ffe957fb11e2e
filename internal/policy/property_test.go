package policy

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Property, over random settings, chargers, cars, readings and time: the
// targets never sum above the shared limit, each is at most min(per-charger
// limit, advertised maximum), and each is 0 or at least the charger's
// minimum. There is no transient sub-minimum offer in this engine, so the
// rule holds at every step.
func TestTargetsAlwaysSafe(t *testing.T) {
	const scenarios = 100_000
	rng := rand.New(rand.NewPCG(11, 12))
	pick := func(xs ...float64) float64 { return xs[rng.IntN(len(xs))] }
	for i := range scenarios {
		s := config.Defaults()
		s.Policy.Mode = config.Modes[rng.IntN(len(config.Modes))]
		s.Wiring.Shared = config.Circuit{Limit: units.Amps(6 + rng.IntN(120))}
		if rng.IntN(2) == 0 {
			s.Wiring.Shared = config.Circuit{Breaker: units.Amps(pick(16, 20, 32, 40, 63, 100))}
		}
		s.Wiring.Charger = config.Circuit{Limit: units.Amps(6 + rng.IntN(75))}
		s.Wiring.MinAmps = units.Amps(5 + rng.IntN(min(28, int(s.Wiring.Charger.Continuous())-4)))
		s.Electrical.Measure = rng.IntN(2) == 0
		s.Electrical.Phases = []int{1, 3}[rng.IntN(2)]
		s.Policy.ChargeNow = config.ChargeNow{Amps: units.Amps(pick(0, 6, 16, 32, 48, 80))}
		if s.Policy.ChargeNow.Amps != 0 && s.Policy.ChargeNow.Amps < s.Wiring.MinAmps {
			s.Policy.ChargeNow.Amps = s.Wiring.MinAmps
		}
		if s.Policy.Mode == config.ModeNow && s.Policy.ChargeNow.Amps == 0 {
			s.Policy.ChargeNow.Amps = 32
		}
		s.Policy.Schedule.Amps = max(s.Wiring.MinAmps, units.Amps(rng.IntN(81)))
		s.Policy.NonScheduled = config.NonScheduled{Action: []config.NonScheduledAction{config.ActionFixed, config.ActionOff, config.ActionSolar}[rng.IntN(3)], Amps: max(s.Wiring.MinAmps, units.Amps(rng.IntN(81)))}
		s.Policy.GridImportCap = units.Watts(pick(0, 0, 3000, 11000))
		s.Policy.Surplus.FlexAmps = units.Amps(rng.IntN(4))
		s.Policy.Surplus.StartDelay = time.Duration(rng.IntN(3)) * time.Minute
		s.Policy.Surplus.StopDelay = time.Duration(rng.IntN(4)) * time.Minute
		if s.Wiring.Chargers = nil; rng.IntN(4) == 0 {
			s.Wiring.Chargers = map[twc.ID]config.ChargerWiring{2: {Circuit: config.Circuit{Limit: units.Amps(6 + rng.IntN(20))}, MinAmps: units.Amps(5 + rng.IntN(2))}}
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("scenario %d: generator made invalid settings: %v", i, err)
		}

		n := 1 + rng.IntN(3)
		chargers := make([]Charger, n)
		for j := range chargers {
			chargers[j] = Charger{ID: twc.ID(j + 1), Advertised: units.Amps(pick(16, 32, 40, 80)),
				ProtocolMin: units.Amps(pick(5, 6)), State: twc.State(rng.IntN(11)), CarSoC: -1}
		}
		e := NewEngine()
		now := t0.Add(time.Duration(rng.IntN(7*24*60)) * time.Minute)
		for range 4 {
			for j := range chargers {
				c := &chargers[j]
				c.Actual = units.Amps(rng.Float64() * float64(c.Offered+1))
				if s.Electrical.Measure && rng.IntN(2) == 0 {
					c.Volts = [3]units.Volts{230, units.Volts(pick(0, 230)), units.Volts(pick(0, 230))}
					c.PhaseAmps = [3]units.Amps{c.Actual, units.Amps(pick(0, float64(c.Actual))), 0}
				}
			}
			r := Reading{At: now.Add(-time.Duration(rng.IntN(200)) * time.Second), Grid: units.Watts(rng.NormFloat64() * 5000),
				Generation: units.Watts(rng.Float64() * 10000), Consumption: units.Watts(rng.Float64() * 5000),
				Has: Has{Grid: rng.IntN(2) == 0, Generation: rng.IntN(2) == 0, Consumption: rng.IntN(2) == 0}}
			d := e.Decide(Inputs{Now: now, ClockGood: rng.IntN(4) > 0, Settings: s, Chargers: chargers, Energy: r})
			var sum units.Amps
			for j, c := range chargers {
				tg, ok := d.Target(c.ID)
				if !ok {
					t.Fatalf("scenario %d: no target for %s", i, c.ID)
				}
				limit := units.Min(s.Wiring.ChargerLimit(c.ID), c.Advertised)
				minimum := max(s.Wiring.ChargerMin(c.ID), c.ProtocolMin)
				if tg.Amps > limit {
					t.Fatalf("scenario %d: %s gets %v over its limit %v (%s)", i, c.ID, tg.Amps, limit, d.Explanation)
				}
				if tg.Amps != 0 && tg.Amps < minimum {
					t.Fatalf("scenario %d: %s gets %v under its minimum %v (%s)", i, c.ID, tg.Amps, minimum, d.Explanation)
				}
				if tg.Amps != tg.Amps.Whole() {
					t.Fatalf("scenario %d: fractional target %v", i, tg.Amps)
				}
				sum += tg.Amps
				chargers[j].Offered = tg.Amps
			}
			if shared := s.Wiring.Shared.Continuous(); sum > shared {
				t.Fatalf("scenario %d: targets sum to %v over the shared %v (%s)", i, sum, shared, d.Explanation)
			}
			now = now.Add(time.Duration(1+rng.IntN(120)) * time.Second)
		}
	}
}
