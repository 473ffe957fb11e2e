package policy_test

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/energy/sim"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/twcsim"
	"github.com/twcmanager/twcmanager/internal/units"
)

// loopResult is what a simulated day delivered.
type loopResult struct {
	charged, captured, imported, oracle float64 // Wh
	changes                             int
}

// carOffset is how far below its offer the simulated car draws.
const carOffset = 0.8

// oracleWatts is what a perfect controller could put into the same car from
// surplus: the best whole-amp offer, 0 or at least min, whose draw fits.
func oracleWatts(surplus, volts float64, min, limit, carMax int) float64 {
	for k := limit; k >= min; k-- {
		draw := (math.Min(float64(k), float64(carMax)) - carOffset) * volts
		if draw <= surplus {
			return draw
		}
	}
	return 0
}

// runDay runs the bus master, a simulated charger and car, the policy and a
// simulated house for one day in Solar mode.
func runDay(t *testing.T, day sim.Day, seed uint64) loopResult {
	var res loopResult
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()

		link := twcsim.NewLink()
		s := twcsim.New(link.SimPort(), twcsim.Config{Seed: seed, Chargers: []twcsim.ChargerConfig{
			{ID: 0x1839, Sign: 1, MaxAmps: 32, Profile: twcsim.Profile453, KWh: 100}}})
		car := s.Charger(0)
		car.PlugIn(twcsim.Car{BatteryKWh: 200, SoC: 0.05, MaxAmps: 32})
		targets := &bus.TargetTable{}
		m := bus.New(bus.Config{Open: link.Open, Targets: targets, Limits: bus.Limits{PerCharger: 32, Shared: 32},
			Spike: bus.Spike{Reactive: true}})

		house := sim.NewHouse(day, seed)
		var reading atomic.Pointer[policy.Reading]
		reading.Store(&policy.Reading{})
		settings := config.Defaults()
		settings.Policy.Mode = config.ModeSolar
		settings.Electrical.Volts = 240
		ctl, err := policy.NewController(policy.ControllerConfig{
			Settings: settings, Targets: targets, Stopper: m,
			Chargers: func() []policy.Charger { return policy.FromSnapshot(m.Snapshot()) },
			Energy:   func() policy.Reading { return *reading.Load() },
		})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { _ = s.Run(ctx) })
		wg.Go(func() { _ = m.Run(ctx) })
		wg.Go(func() { _ = ctl.Run(ctx) })
		// The grid meter, read every 5 s as an energy poller would.
		wg.Go(func() {
			for ctx.Err() == nil {
				now := time.Now()
				pv, load := house.At(now)
				grid := load + float64(car.Status().Power) - pv
				reading.Store(&policy.Reading{At: now, Grid: units.Watts(grid), Has: policy.Has{Grid: true}})
				time.Sleep(5 * time.Second)
			}
		})

		day0 := time.Now() // midnight in the bubble
		time.Sleep(5 * time.Hour)
		var lastOffer units.Amps
		for time.Since(day0) < 21*time.Hour+30*time.Minute {
			time.Sleep(time.Second)
			pv, load := house.At(time.Now())
			st := car.Status()
			p, surplus := float64(st.Power), math.Max(pv-load, 0)
			res.charged += p / 3600
			res.captured += math.Min(p, surplus) / 3600
			res.imported += math.Max(p-surplus, 0) / 3600
			res.oracle += oracleWatts(surplus, 240, 6, 32, 32) / 3600
			if st.Offered != lastOffer {
				res.changes++
				lastOffer = st.Offered
			}
		}
	})
	return res
}

// In Solar mode the car takes at least 90 % of the surplus a perfect
// controller could have put into it, and grid import stays within 3 % of the
// energy charged, on a day of passing clouds and kettle spikes.
func TestClosedLoopSolarDay(t *testing.T) {
	for _, tc := range []struct {
		name string
		day  sim.Day
	}{{"clear", sim.ClearSummer}, {"broken clouds", sim.BrokenClouds}} {
		t.Run(tc.name, func(t *testing.T) {
			r := runDay(t, tc.day, 42)
			capture := r.captured / r.oracle
			imports := r.imported / r.charged
			t.Logf("%s: charged %.1f kWh, captured %.1f of the oracle's %.1f kWh (%.1f %%), grid import %.2f kWh (%.2f %% of charged), %d offer changes",
				tc.name, r.charged/1000, r.captured/1000, r.oracle/1000, 100*capture, r.imported/1000, 100*imports, r.changes)
			if capture < 0.90 {
				t.Errorf("captured %.1f %% of the oracle's surplus, want ≥ 90 %%", 100*capture)
			}
			if imports > 0.03 {
				t.Errorf("grid import %.2f %% of charged energy, want ≤ 3 %%", 100*imports)
			}
		})
	}
}
