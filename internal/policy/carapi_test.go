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
	"github.com/twcmanager/twcmanager/internal/vehicle"
	"github.com/twcmanager/twcmanager/internal/vehicle/vehicletest"
)

const weekVIN = "5YJ3E1EA2KF317000"

// carDay is what one simulated day (midnight to midnight) saw.
type carDay struct {
	stops, starts, wakes, data int
	stopAt, startAt            []time.Duration // after midnight
	daytimeKWh, nightKWh       float64
}

// carRun is what a run of simulated days saw; its last day ends at noon.
type carRun struct {
	days   []carDay
	total  vehicletest.Calls
	log    []vehicletest.Call
	status vehicle.Status
}

// runCarDays runs the bus master, a protocol-2 charger (firmware 4.5.3, so
// it reports the VIN) whose car ignores 0 A, the policy in Solar mode with
// the car API as stop method, the vehicle Manager over a fake Fleet API
// driving that car, and a house with days of profile, from midnight to noon
// of day n.
func runCarDays(t *testing.T, profile sim.Day, n int) carRun {
	run := carRun{days: make([]carDay, n+1)}
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()

		link := twcsim.NewLink()
		s := twcsim.New(link.SimPort(), twcsim.Config{Seed: 7, Chargers: []twcsim.ChargerConfig{
			{ID: 0x1839, Sign: 1, MaxAmps: 32, Profile: twcsim.Profile453, KWh: 100}}})
		charger := s.Charger(0)
		// A battery this large does not fill in a week of sun, so every
		// evening has a car to stop.
		charger.PlugIn(twcsim.Car{VIN: weekVIN, BatteryKWh: 2000, SoC: 0.05, MaxAmps: 32, IgnoresZero: true})
		targets := &bus.TargetTable{}
		m := bus.New(bus.Config{Open: link.Open, Targets: targets, Limits: bus.Limits{PerCharger: 32, Shared: 32},
			Spike: bus.Spike{Reactive: true}})

		settings := config.Defaults()
		settings.Policy.Mode = config.ModeSolar
		settings.Policy.StopMethod = config.StopCarAPI
		settings.Electrical.Volts = 240
		settings.Vehicle.Connection, settings.Vehicle.ProxyURL = config.CarProxy, "https://proxy.local:4443"
		settings.Home = config.Home{Lat: 52.52, Lon: 13.40, RadiusM: 200}
		fake := vehicletest.New(nil, vehicletest.Car{VIN: weekVIN, Name: "Model 3", Plug: charger, Lat: 52.5201, Lon: 13.4001})
		cars := vehicle.New(vehicle.Config{
			API:      func() vehicle.API { return fake },
			Settings: func() config.Settings { return settings },
		})

		// Each day has its own clouds and kettles.
		houses := make([]*sim.House, n+1)
		for d := range houses {
			houses[d] = sim.NewHouse(profile, uint64(100+d))
		}
		day0 := time.Now()
		dayOf := func(at time.Time) int { return int(at.Sub(day0) / (24 * time.Hour)) }
		var reading atomic.Pointer[policy.Reading]
		reading.Store(&policy.Reading{})
		ctl, err := policy.NewController(policy.ControllerConfig{
			Settings: settings, Targets: targets, Stopper: m, Cars: cars,
			Chargers: func() []policy.Charger { return policy.FromSnapshot(m.Snapshot()) },
			Energy:   func() policy.Reading { return *reading.Load() },
		})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { _ = s.Run(ctx) })
		wg.Go(func() { _ = m.Run(ctx) })
		wg.Go(func() { _ = cars.Run(ctx) })
		wg.Go(func() { _ = ctl.Run(ctx) })
		// The grid meter, read every 5 s as an energy poller would.
		wg.Go(func() {
			for ctx.Err() == nil {
				now := time.Now()
				pv, load := houses[dayOf(now)].At(now.UTC())
				grid := load + float64(charger.Status().Power) - pv
				reading.Store(&policy.Reading{At: now, Grid: units.Watts(grid), Has: policy.Has{Grid: true}})
				time.Sleep(5 * time.Second)
			}
		})

		const step = 10 * time.Second
		for time.Since(day0) < time.Duration(n)*24*time.Hour+12*time.Hour {
			time.Sleep(step)
			tod := time.Since(day0) % (24 * time.Hour)
			kwh := float64(charger.Status().Power) * step.Hours() / 1000
			d := &run.days[dayOf(time.Now())]
			if tod >= profile.Sunrise && tod < profile.Sunset {
				d.daytimeKWh += kwh
			} else {
				d.nightKWh += kwh
			}
		}
		run.total, run.status, run.log = fake.Calls(), cars.Status(), fake.Log()
		for _, c := range run.log {
			d := &run.days[dayOf(c.At)]
			tod := c.At.Sub(day0) % (24 * time.Hour)
			switch c.Kind {
			case string(vehicle.ChargeStop):
				d.stops++
				d.stopAt = append(d.stopAt, tod)
			case string(vehicle.ChargeStart):
				d.starts++
				d.startAt = append(d.startAt, tod)
			case "wake_up":
				d.wakes++
			default:
				d.data++
			}
		}
	})
	for d, w := range run.days {
		t.Logf("day %d: stops at %v, starts at %v, %d wakes, %d data requests; %.1f kWh by day, %.2f kWh by night",
			d, w.stopAt, w.startAt, w.wakes, w.data, w.daytimeKWh, w.nightKWh)
	}
	t.Logf("%d data requests, %d wakes, %d commands: $%.3f", run.total.Data(), run.total.Wakes, run.total.CommandCount(), run.total.Cost())
	return run
}

// checkCarRun checks what holds on any weather: the car stops at sunset
// and starts in the morning through its API, once woken; it draws nothing
// overnight although it ignores 0 A, and charges every day; commands
// alternate, at most one per MinCycle, only in daylight; every read is for
// a decision; and the Manager counted what the API saw.
func checkCarRun(t *testing.T, profile sim.Day, run carRun) {
	t.Helper()
	last := len(run.days) - 1
	for d, w := range run.days {
		wantStarts := w.stops // every pause of the day ends the same day
		switch d {
		case 0:
			wantStarts = w.stops - 1 // it began charging by itself
		case last:
			wantStarts = w.stops + 1 // the run ends at noon
		}
		if w.starts != wantStarts || d < last && w.stops < 1 {
			t.Errorf("day %d: %d stops and %d starts, want a stop at sunset and a start for every other stop", d, w.stops, w.starts)
		}
		if want := min(d, 1); w.wakes != want {
			t.Errorf("day %d: %d wakes, want %d (one for the first start of a morning)", d, w.wakes, want)
		}
		for _, at := range append(append([]time.Duration{}, w.stopAt...), w.startAt...) {
			if at < profile.Sunrise || at > profile.Sunset {
				t.Errorf("day %d: a command at %v, outside daylight (%v to %v)", d, at, profile.Sunrise, profile.Sunset)
			}
		}
		if w.nightKWh > 0.01 {
			t.Errorf("day %d: %.2f kWh drawn at night: the stop did not hold", d, w.nightKWh)
		}
		if d < last && w.daytimeKWh < 40 {
			t.Errorf("day %d: only %.1f kWh charged: the start did not work", d, w.daytimeKWh)
		}
	}
	var prev vehicletest.Call
	for _, c := range run.log {
		if c.Kind != string(vehicle.ChargeStop) && c.Kind != string(vehicle.ChargeStart) {
			continue
		}
		if c.Err != nil {
			t.Errorf("%v: %s failed: %v", c.At, c.Kind, c.Err)
		}
		if prev.Kind == c.Kind {
			t.Errorf("%v: %s twice in a row", c.At, c.Kind)
		}
		if gap := c.At.Sub(prev.At); prev.Kind != "" && gap < 15*time.Minute {
			t.Errorf("%v: %s only %v after the %s before: more than one stop/start pair per MinCycle", c.At, c.Kind, gap, prev.Kind)
		}
		prev = c
	}
	// The car list once at the start, then at most one read per command
	// (the cache serves the rest) and the read that finds the car asleep
	// before each wake.
	if tot := run.total; tot.Cars != 1 || tot.Data() > 1+tot.CommandCount()+tot.Wakes {
		t.Errorf("%d car lists and %d data requests for %d commands and %d wakes", tot.Cars, tot.Data(), tot.CommandCount(), tot.Wakes)
	}
	if u := run.status.Usage; u.Data != run.total.Data() || u.Wakes != run.total.Wakes || u.Commands != run.total.CommandCount() ||
		math.Abs(u.Cost-run.total.Cost()) > 1e-9 {
		t.Errorf("the Manager counted %+v, the API saw %+v", u, run.total)
	}
}

// Clear days: exactly one stop through the car's API each evening and one
// start each morning, for three data requests and one wake a day.
func TestCarAPIClearDays(t *testing.T) {
	const n = 3
	p := sim.ClearSummer
	run := runCarDays(t, p, n)
	checkCarRun(t, p, run)
	for d, w := range run.days {
		stops, starts, data := 1, 1, 3
		switch d {
		case 0:
			starts, data = 0, 2 // the car list, and the evening's read
		case n:
			stops, data = 0, 2
		}
		if w.stops != stops || w.starts != starts || w.data != data {
			t.Errorf("day %d: %d stops, %d starts, %d data requests; want %d, %d, %d", d, w.stops, w.starts, w.data, stops, starts, data)
		}
		for _, at := range w.stopAt {
			if at < p.Sunset-2*time.Hour {
				t.Errorf("day %d: stopped at %v, before the evening", d, at)
			}
		}
		for _, at := range w.startAt {
			if at > p.Sunrise+2*time.Hour {
				t.Errorf("day %d: started at %v, after the morning", d, at)
			}
		}
	}
}

// A week of passing clouds: with the car API the policy waits out clouds
// and gaps shorter than MinCycle, so each evening the car is stopped once
// through its API and each morning started once, with one wake, and the
// week costs a small part of Tesla's $10 monthly credit.
func TestCarAPIWeekOfClouds(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulated week takes about a minute under the race detector")
	}
	const n = 7
	p := sim.BrokenClouds
	run := runCarDays(t, p, n)
	checkCarRun(t, p, run)
	for d, w := range run.days {
		stops, starts := 1, 1
		switch d {
		case 0:
			starts = 0 // the run begins in the afternoon, the car charging
		case n:
			stops = 0 // and ends the next morning
		}
		if w.stops != stops || w.starts != starts {
			t.Errorf("day %d: stops at %v, starts at %v; want %d stop and %d start", d, w.stopAt, w.startAt, stops, starts)
		}
	}
	if cost := run.total.Cost(); cost/(n+0.5)*31 > 2 {
		t.Errorf("the week cost $%.3f: $%.2f a month, want well within the $10 credit", cost, cost/(n+0.5)*31)
	}
}
