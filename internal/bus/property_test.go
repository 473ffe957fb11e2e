package bus_test

import (
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Property over the wire: for random target sequences, charger ratings and
// limits, no heartbeat that leaves the master carries more than
// min(per-charger limit, the charger's maximum), and the limits in force at
// the chargers never add up to more than the shared limit.
func TestNoHeartbeatExceedsLimits(t *testing.T) {
	const scenarios = 60
	for i := range scenarios {
		rng := rand.New(rand.NewPCG(uint64(i), 99))
		synctest.Test(t, func(t *testing.T) {
			n := 1 + rng.IntN(3)
			ratings := map[twc.ID]units.Amps{}
			var cfgs []twcsim.ChargerConfig
			profiles := []twcsim.Profile{twcsim.ProfileV1, twcsim.ProfileV2, twcsim.Profile453}
			for j := range n {
				id := twc.ID(0x1000 * (j + 1))
				c := charger(id, profiles[rng.IntN(3)])
				c.MaxAmps = []units.Amps{32, 80, 16}[rng.IntN(3)]
				ratings[id] = c.MaxAmps
				cfgs = append(cfgs, c)
			}
			limits := bus.Limits{PerCharger: units.Amps(6 + rng.IntN(75)), Shared: units.Amps(6 + rng.IntN(120))}
			inForce := map[twc.ID]units.Amps{}
			var violation string
			sim := twcsim.Config{Chargers: cfgs, Seed: uint64(i), OnMasterFrame: func(_ time.Time, m twc.Message) {
				hb, ok := m.(twc.MasterHeartbeat)
				if !ok || !hb.Command.CarriesLimit() || violation != "" {
					return
				}
				a := hb.Amps.Amps()
				if max := units.Min(limits.PerCharger, ratings[hb.Slave]); a > max {
					violation = "heartbeat to " + hb.Slave.String() + " carries " + a.String() + " over " + max.String()
				}
				inForce[hb.Slave] = a
				sum := units.Amps(0)
				for _, v := range inForce {
					sum += v
				}
				if sum > limits.Shared {
					violation = "limits in force sum to " + sum.String() + " over the shared " + limits.Shared.String()
				}
			}}
			r := newRig(t, sim, bus.Config{Limits: limits, Spike: bus.Spike{Proactive: rng.IntN(2) == 0, Reactive: rng.IntN(2) == 0}})
			defer r.stop()
			for j := range n {
				if rng.IntN(2) == 0 {
					r.sim.Charger(j).PlugIn(twcsim.Car{BatteryKWh: 80, SoC: 0.3, MaxAmps: units.Amps(10 + rng.IntN(70))})
				}
			}
			for range 40 {
				byID := map[twc.ID]units.Amps{}
				for id := range ratings {
					byID[id] = units.Amps(rng.Float64() * 120)
				}
				r.targets.Set(units.Amps(rng.Float64()*100), byID)
				time.Sleep(time.Duration(1+rng.IntN(15)) * time.Second)
			}
			r.stop()
			if violation != "" {
				t.Fatalf("scenario %d (limits %+v): %s", i, limits, violation)
			}
			if len(inForce) == 0 {
				t.Fatalf("scenario %d: no limit was ever sent", i)
			}
		})
	}
}
