package appliance

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/energy/sim"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/twcsim"
	"github.com/twcmanager/twcmanager/internal/units"
)

// demoSite is the simulated house of -demo: a grid meter read every 5 s.
// Its day starts at 10:00 whenever the demo starts, so that there is sun to
// follow at any hour.
type demoSite struct {
	house   *sim.House
	sim     *twcsim.Sim
	clk     clock.Clock
	start   time.Time
	reading atomic.Pointer[policy.Reading]
}

func newDemoSite(s *twcsim.Sim, clk clock.Clock) *demoSite {
	d := &demoSite{house: sim.NewHouse(sim.BrokenClouds, uint64(time.Now().UnixNano())), sim: s, clk: clk, start: clk.Now()}
	d.reading.Store(&policy.Reading{})
	return d
}

// siteTime maps the wall clock to the demo's day.
func (d *demoSite) siteTime(now time.Time) time.Time {
	day := time.Date(2026, 6, 21, 10, 0, 0, 0, time.UTC)
	return day.Add(now.Sub(d.start))
}

func (d *demoSite) poll(ctx context.Context) {
	every(ctx, d.clk, 0, 5*time.Second, func() {
		now := d.clk.Now()
		pv, load := d.house.At(d.siteTime(now))
		var cars float64
		for _, c := range d.sim.Chargers() {
			cars += float64(c.Status().Power)
		}
		d.reading.Store(&policy.Reading{At: now, Grid: units.Watts(load + cars - pv),
			Generation: units.Watts(pv), Consumption: units.Watts(load + cars),
			Has: policy.Has{Grid: true}})
	})
}

func (d *demoSite) latest() policy.Reading { return *d.reading.Load() }
