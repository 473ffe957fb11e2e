package bench

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/energy/sim"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Policy names a controller that sets the chargers' targets in a day run.
type Policy string

// The policies a day profile is run with.
const (
	// Ours is internal/policy in Solar mode with the default settings, on a
	// bus master configured as the appliance configures it.
	Ours Policy = "ours"
	// TWCManager is TWCManagerGreen with TWCManager's defaults, spikes
	// included.
	TWCManager Policy = "twcmanager"
	// TWCManagerNoSpike is TWCManager with spikeAmpsProactively off (the
	// setting the appliance's bus uses): it shows how much of the
	// baseline's import the proactive spike causes.
	TWCManagerNoSpike Policy = "twcmanager-nospike"
	// OursQuick is our policy with two settings changed: the stop delay
	// of TWCManager's startStopDelay (1 min instead of 3) and an
	// evaluation every 10 s instead of 30 s. It shows what our defaults
	// trade for fewer stops and fewer changes.
	OursQuick Policy = "ours-quick"
)

// Policies lists the policies each profile is run with.
var Policies = []Policy{Ours, TWCManager, TWCManagerNoSpike, OursQuick}

// The site every day runs on: single-phase chargers at 240 V behind a 40 A
// breaker (32 A continuous), shared by all chargers.
const (
	siteVolts   = 240
	carOffset   = 0.8 // twcsim's cars draw this far below the offer
	meterPeriod = 5 * time.Second
	// margin is how much of the night each run covers on either side of
	// the sun.
	margin = 30 * time.Minute
)

// chargerIDs are the simulated chargers' IDs, in order.
var chargerIDs = []twc.ID{0x1839, 0x4580, 0x2A17}

// Profile is one simulated day at the site.
type Profile struct {
	Name  string  `json:"name"`
	Title string  `json:"title"`
	Day   sim.Day `json:"day"`
	// Cars are plugged in before sunrise, one per charger; they never
	// fill up within the day.
	Cars []twcsim.Car `json:"cars"`
	Seed uint64       `json:"seed"`
}

// bigCar is a car that cannot fill up in a day: its battery stays out of
// the comparison.
func bigCar(maxAmps units.Amps) twcsim.Car {
	return twcsim.Car{BatteryKWh: 200, SoC: 0.05, MaxAmps: maxAmps}
}

// Profiles are the standard day profiles. The two-car day is the broken
// clouds day with a 32 A car and a 16 A car sharing the 32 A circuit.
func Profiles() []Profile {
	one := []twcsim.Car{bigCar(32)}
	return []Profile{
		{Name: "clear", Title: "Clear summer day", Day: sim.ClearSummer, Cars: one, Seed: 42},
		{Name: "clouds", Title: "Broken clouds", Day: sim.BrokenClouds, Cars: one, Seed: 42},
		{Name: "overcast", Title: "Overcast", Day: sim.Overcast, Cars: one, Seed: 42},
		{Name: "winter", Title: "Short winter day", Day: sim.Winter, Cars: one, Seed: 42},
		{Name: "evening", Title: "Evening load spikes", Day: sim.EveningSpikes, Cars: one, Seed: 42},
		{Name: "twocars", Title: "Two cars on two chargers (broken clouds)", Day: sim.BrokenClouds,
			Cars: []twcsim.Car{bigCar(32), bigCar(16)}, Seed: 42},
	}
}

// Window is the part of the day a run covers, as offsets from midnight:
// from half an hour before sunrise to half an hour after sunset.
func (p Profile) Window() (from, to time.Duration) {
	return p.Day.Sunrise - margin, p.Day.Sunset + margin
}

// CarResult is what one car got.
type CarResult struct {
	ChargedWh float64 `json:"charged_wh"`
	// Changes counts changes of the current offered to it, as the charger
	// received them (spikes count twice: up and down).
	Changes int `json:"changes"`
	// Starts counts the times it started drawing (1 A or more): one start
	// and stop cycle each.
	Starts int `json:"starts"`
	// MaxHeartbeatGap is the longest time between two heartbeats to its
	// charger, as the master sent them and as the charger received them;
	// virtual time in a synctest bubble, so only a check of the schedule.
	MaxHeartbeatGap     time.Duration `json:"max_heartbeat_gap"`
	MaxHeartbeatGapSeen time.Duration `json:"max_heartbeat_gap_seen"`
}

// Result is one day of one policy at one profile. Energies are in Wh.
type Result struct {
	Profile string `json:"profile"`
	Policy  Policy `json:"policy"` // "oracle" for Oracle's
	// SurplusWh is the solar surplus over the house's own load: what the
	// cars could take without importing.
	SurplusWh float64 `json:"surplus_wh"`
	ChargedWh float64 `json:"charged_wh"`
	// SolarWh is the part of ChargedWh the surplus covered; ImportWh the
	// rest, taken from the grid.
	SolarWh  float64 `json:"solar_wh"`
	ImportWh float64 `json:"import_wh"`
	// ImportAtMinWh is the part of ImportWh taken while every drawing car
	// was offered its minimum (the start and stop holds); the rest came
	// while tracking above the minimum.
	ImportAtMinWh float64 `json:"import_at_min_wh"`
	// UnusedWh is surplus no car took: UnusedIdleWh while no car drew,
	// the rest while charging below the surplus.
	UnusedWh     float64     `json:"unused_wh"`
	UnusedIdleWh float64     `json:"unused_idle_wh"`
	Cars         []CarResult `json:"cars"`
}

// SolarShare is the part of the charged energy the sun covered.
func (r Result) SolarShare() float64 { return Ratio(r.SolarWh, r.ChargedWh) }

// ImportShare is grid import as a part of the charged energy.
func (r Result) ImportShare() float64 { return Ratio(r.ImportWh, r.ChargedWh) }

// siteReading is the simulated meter's last reading.
type siteReading struct {
	At                  time.Time
	PV, House, Chargers float64 // W
}

// offerLog counts the changes of offered current each charger receives.
type offerLog struct {
	mu      sync.Mutex
	last    map[twc.ID]twc.Centiamps
	changes map[twc.ID]int
}

func (l *offerLog) see(_ time.Time, m twc.Message) {
	hb, ok := m.(twc.MasterHeartbeat)
	if !ok || (hb.Command != twc.CmdSetLimit && hb.Command != twc.CmdSetLimit2) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, seen := l.last[hb.Slave]; seen && prev != hb.Amps {
		l.changes[hb.Slave]++
	}
	l.last[hb.Slave] = hb.Amps
}

func (l *offerLog) count(id twc.ID) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changes[id]
}

// OurSettings are the settings our policy runs with: the defaults, Solar
// mode, 240 V.
func OurSettings() config.Settings {
	s := config.Defaults()
	s.Policy.Mode = config.ModeSolar
	s.Electrical.Volts = siteVolts
	return s
}

// RunDay runs profile p for one day with policy pol and returns what the
// cars got. It uses the real clock: run it inside a testing/synctest bubble,
// where the day passes in virtual time. The run starts at the next
// Window().from after the present time (midnight UTC in a new bubble).
func RunDay(p Profile, pol Policy) (Result, error) {
	settings := OurSettings()
	if pol == OursQuick {
		settings.Policy.Surplus.StopDelay = time.Minute
		settings.Policy.Interval = 10 * time.Second
	}
	res := Result{Profile: p.Name, Policy: pol, Cars: make([]CarResult, len(p.Cars))}
	if len(p.Cars) == 0 || len(p.Cars) > len(chargerIDs) {
		return res, fmt.Errorf("bench: profile %s has %d cars; 1 to %d allowed", p.Name, len(p.Cars), len(chargerIDs))
	}
	from, to := p.Window()
	time.Sleep(time.Until(nextTimeOfDay(time.Now().UTC(), from)))

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()

	link := twcsim.NewLink()
	offers := &offerLog{last: map[twc.ID]twc.Centiamps{}, changes: map[twc.ID]int{}}
	var ccs []twcsim.ChargerConfig
	for i := range p.Cars {
		ccs = append(ccs, twcsim.ChargerConfig{ID: chargerIDs[i], Sign: byte(0x41 + i), MaxAmps: 32, Profile: twcsim.Profile453, KWh: 100})
	}
	s := twcsim.New(link.SimPort(), twcsim.Config{Seed: p.Seed, Chargers: ccs, OnMasterFrame: offers.see})
	for i, car := range p.Cars {
		s.Charger(i).PlugIn(car)
	}
	targets := &bus.TargetTable{}
	bc := bus.Config{Open: link.Open, Targets: targets,
		Limits: bus.Limits{PerCharger: settings.Wiring.Charger.Continuous(), Shared: settings.Wiring.Shared.Continuous()}}
	switch pol {
	case Ours, OursQuick:
		bc.Spike = bus.Spike{Reactive: true} // as appliance.New sets it
	case TWCManager:
		bc.Spike, bc.LimitOnChangeOnly = bus.Spike{Proactive: true, Reactive: true}, true
	case TWCManagerNoSpike:
		bc.Spike, bc.LimitOnChangeOnly = bus.Spike{Reactive: true}, true
	default:
		return res, fmt.Errorf("bench: unknown policy %q", pol)
	}
	m := bus.New(bc)

	house := sim.NewHouse(p.Day, p.Seed)
	var reading atomic.Pointer[siteReading]
	reading.Store(&siteReading{})
	chargersW := func() float64 {
		var w float64
		for _, c := range s.Chargers() {
			w += float64(c.Status().Power)
		}
		return w
	}
	// The site meter, read every 5 s as an energy poller would.
	wg.Go(func() {
		for ctx.Err() == nil {
			now := time.Now().UTC()
			pv, load := house.At(now)
			reading.Store(&siteReading{At: now, PV: pv, House: load, Chargers: chargersW()})
			time.Sleep(meterPeriod)
		}
	})
	wg.Go(func() { _ = s.Run(ctx) })
	wg.Go(func() { _ = m.Run(ctx) })
	if err := startPolicy(ctx, &wg, pol, settings, m, targets, &reading); err != nil {
		return res, err
	}

	minAmps := settings.Wiring.MinAmps
	drawing := make([]bool, len(p.Cars))
	for range int((to - from) / time.Second) {
		time.Sleep(time.Second)
		pv, load := house.At(time.Now().UTC())
		surplus := math.Max(pv-load, 0)
		var total float64
		atMin, anyDrawing := true, false
		for i, c := range s.Chargers() {
			st := c.Status()
			w := float64(st.Power)
			total += w
			res.Cars[i].ChargedWh += w / 3600
			now := st.Actual >= 1
			if now && !drawing[i] {
				res.Cars[i].Starts++
			}
			drawing[i] = now
			if now {
				anyDrawing = true
				atMin = atMin && st.Offered <= minAmps
			}
		}
		res.add(surplus, total, atMin, anyDrawing)
	}
	snap := m.Snapshot()
	for i, c := range s.Chargers() {
		res.Cars[i].Changes = offers.count(chargerIDs[i])
		res.Cars[i].MaxHeartbeatGapSeen = c.Status().MaxGap
		if cs, ok := snap.Charger(chargerIDs[i]); ok {
			res.Cars[i].MaxHeartbeatGap = cs.MaxHeartbeatGap
		}
	}
	return res, nil
}

// add accounts for one second in which the cars drew totalW from a surplus
// of surplusW.
func (r *Result) add(surplusW, totalW float64, atMin, anyDrawing bool) {
	r.SurplusWh += surplusW / 3600
	r.ChargedWh += totalW / 3600
	r.SolarWh += math.Min(totalW, surplusW) / 3600
	imp := math.Max(totalW-surplusW, 0) / 3600
	r.ImportWh += imp
	if atMin && anyDrawing {
		r.ImportAtMinWh += imp
	}
	unused := math.Max(surplusW-totalW, 0) / 3600
	r.UnusedWh += unused
	if !anyDrawing {
		r.UnusedIdleWh += unused
	}
}

// startPolicy starts the controller under test.
func startPolicy(ctx context.Context, wg *sync.WaitGroup, pol Policy, settings config.Settings, m *bus.Master,
	targets *bus.TargetTable, reading *atomic.Pointer[siteReading]) error {
	if pol == TWCManager || pol == TWCManagerNoSpike {
		cfg := DefaultTWCManagerConfig()
		cfg.WiringMaxAmpsAllTWCs = settings.Wiring.Shared.Continuous()
		g := NewTWCManagerGreen(cfg, nil, targets,
			func() []bus.ChargerState { return m.Snapshot().Chargers },
			func() Meter {
				r := reading.Load()
				return Meter{At: r.At, Generation: r.PV, Consumption: r.House + r.Chargers}
			})
		wg.Go(func() { _ = g.Run(ctx) })
		return nil
	}
	ctl, err := policy.NewController(policy.ControllerConfig{
		Settings: settings, Targets: targets, Stopper: m,
		Chargers: func() []policy.Charger { return policy.FromSnapshot(m.Snapshot()) },
		// A grid meter: import positive.
		Energy: func() policy.Reading {
			r := reading.Load()
			return policy.Reading{At: r.At, Grid: units.Watts(r.House + r.Chargers - r.PV), Has: policy.Has{Grid: true}}
		},
	})
	if err != nil {
		return fmt.Errorf("bench: our policy: %w", err)
	}
	wg.Go(func() { _ = ctl.Run(ctx) })
	return nil
}

// nextTimeOfDay returns the first time at or after now that is tod past a
// midnight (UTC).
func nextTimeOfDay(now time.Time, tod time.Duration) time.Time {
	y, mo, d := now.Date()
	t := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).Add(tod)
	if t.Before(now) {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// Days is the day profiles' results, as TestDayProfiles writes them.
type Days struct {
	Profiles []Profile `json:"profiles"`
	Results  []Result  `json:"results"`
	// Elapsed is the wall time all runs took together.
	Elapsed time.Duration `json:"elapsed"`
}

// Find returns the result of policy pol at profile name.
func (d Days) Find(name string, pol Policy) (Result, bool) {
	for _, r := range d.Results {
		if r.Profile == name && r.Policy == pol {
			return r, true
		}
	}
	return Result{}, false
}
