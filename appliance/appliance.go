// Package appliance wires the parts of twcmanager together and runs them:
// the bus master on the RS-485 adapter (or, in demo mode, on simulated
// chargers behind an in-memory adapter and a simulated sunny house) and the
// charging policy that sets its targets.
//
// Entry points: New builds an Appliance from a Config; Run runs it until its
// context ends.
package appliance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api/compat"
	"github.com/twcmanager/twcmanager/internal/api/mqtt"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/bus/rs485"
	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/store"
	"github.com/twcmanager/twcmanager/internal/timesync"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
	"github.com/twcmanager/twcmanager/internal/units"
	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// Config configures the appliance.
type Config struct {
	// Demo runs against two simulated chargers, a car plugged into one, and
	// a simulated house with solar panels.
	Demo bool
	// DemoCount is how many simulated chargers the demo has, 1 to 3; 0
	// means 2.
	DemoCount int
	// Port is the serial device; empty means auto-detect the adapter.
	Port string
	// DataDir holds the database; empty keeps nothing (tests).
	DataDir string
	// Settings are the settings to start with when the database has none.
	Settings config.Settings
	// Override changes the settings after they are loaded (command-line
	// flags the user gave); the result is saved.
	Override func(*config.Settings)
	// ClockGood reports whether the wall clock can be trusted; by default
	// the time syncer says (synced, or the host keeps its own clock).
	ClockGood func() bool
	// ManageClock makes the appliance set the system clock from NTP, as on
	// the SD-card image; elsewhere the host keeps its own.
	ManageClock bool
	// Listen is the web interface's address; empty serves none.
	Listen string
	// CompatListen is the address of the TWCManager-compatible API (port
	// 8080 on the appliance); empty serves it only under /api/ on Listen.
	CompatListen string
	// MDNSName announces the web interface as <name>.local; empty does not.
	MDNSName string
	// Console is where the address is printed at start (the appliance's
	// serial console, /dev/console); empty prints nothing there.
	Console string
	// Tesla points the car connection at other servers (tests' fake Fleet
	// API); nil uses Tesla's own for the region in the settings.
	Tesla *TeslaServers
	// StatusEvery is how often a status line is logged; 0 means never.
	StatusEvery time.Duration
	Logger      *slog.Logger
	Clock       clock.Clock
}

// Appliance is a configured, not yet running, twcmanager.
type Appliance struct {
	cfg     Config
	log     *slog.Logger
	master  *bus.Master
	targets *bus.TargetTable
	policy  *policy.Controller
	sim     *twcsim.Sim
	energy  atomic.Pointer[energyPipe]
	store   *store.Store // nil without a DataDir
	history *history.Recorder
	web     *webApp
	clock   *timesync.Syncer

	mqtt     *mqtt.Service
	cars     *cars
	vehicles *vehicle.Manager
	compat   http.Handler // TWCManager's API: one, so both addresses share its memory

	listenAddr atomic.Value // string, once listening
	compatAddr atomic.Value // string, once listening

	// modeChanged tells runPolicy that monitor mode was switched.
	modeChanged chan struct{}

	mu     sync.Mutex // guards runCtx
	runCtx context.Context
}

// New checks cfg and builds the appliance. A -port that does not exist is an
// error here, naming the path and the adapters that do exist.
func New(cfg Config) (*Appliance, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	a := &Appliance{cfg: cfg, log: cfg.Logger, targets: &bus.TargetTable{}, modeChanged: make(chan struct{}, 1)}
	a.web = &webApp{a: a}
	if err := a.openStore(); err != nil {
		return nil, err
	}
	if err := a.cfg.Settings.Validate(); err != nil {
		return nil, err
	}
	var open bus.Opener
	switch {
	case cfg.Demo:
		chargers, err := DemoChargerSet(cfg.DemoCount)
		if err != nil {
			return nil, err
		}
		link := twcsim.NewLink()
		a.sim = twcsim.New(link.SimPort(), twcsim.Config{
			Chargers: chargers, Clock: cfg.Clock, Seed: uint64(time.Now().UnixNano()),
			Logger: cfg.Logger.With("component", "sim"), Master: demoMaster(a.cfg.Settings.Bus.Monitor),
		})
		a.sim.Charger(0).PlugIn(twcsim.Car{VIN: "5YJ3E7EB1LF000001", BatteryKWh: 75, SoC: 0.35, Limit: 0.9, MaxAmps: 32})
		open = link.Open
	case cfg.Port != "":
		if _, err := os.Stat(cfg.Port); errors.Is(err, fs.ErrNotExist) {
			_, err := rs485.Open(cfg.Port) // its error lists the adapters found
			return nil, err
		}
		open = rs485.Opener(cfg.Port)
	case a.cfg.Settings.Bus.Port != "":
		// Chosen in the wizard; if it has gone, the master reports it.
		open = rs485.Opener(a.cfg.Settings.Bus.Port)
	default:
		open = rs485.Opener("")
	}
	a.master = bus.New(bus.Config{
		Open: open, Clock: cfg.Clock, Targets: a.targets, Limits: busLimits(cfg.Settings.Wiring),
		// The proactive spike costs grid import on every small rise while
		// following the sun; the reactive one still rescues a stuck car.
		Spike:   bus.Spike{Reactive: true},
		Logger:  cfg.Logger,
		Monitor: a.cfg.Settings.Bus.Monitor,
	})
	a.startClock()
	pipe, err := buildEnergy(cfg.Settings.Sources, cfg.Clock, cfg.Logger)
	if err != nil {
		return nil, err
	}
	a.energy.Store(pipe)
	a.cars = &cars{a: a}
	var usage vehicle.UsageStore
	if a.store != nil {
		usage = usageStore{a.store}
	}
	a.vehicles = vehicle.New(vehicle.Config{API: a.cars.api, Settings: a.settingsNow, Clock: cfg.Clock, Usage: usage,
		Logger: cfg.Logger.With("component", "vehicle")})
	a.policy, err = policy.NewController(policy.ControllerConfig{
		Settings: a.cfg.Settings, Clock: cfg.Clock, Targets: a.targets, Stopper: a.master, Cars: a.vehicles, ClockGood: a.cfg.ClockGood,
		Chargers: func() []policy.Charger { return policy.FromSnapshot(a.master.Snapshot()) },
		Energy:   a.energyReading, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	a.startHistory()
	a.mqtt = mqtt.New(a.API(), mqtt.Config{Logger: cfg.Logger.With("component", "mqtt")})
	a.compat = compat.Handler(a.API(), compat.Options{Logger: cfg.Logger.With("component", "compat")})
	return a, nil
}

// openStore opens the database, takes the stored settings (or the given
// ones on first start), applies the overrides and saves the result.
func (a *Appliance) openStore() error {
	if a.cfg.DataDir == "" {
		if a.cfg.Override != nil {
			a.cfg.Override(&a.cfg.Settings)
		}
		return nil
	}
	st, err := store.Open(a.cfg.DataDir)
	if err != nil {
		return err
	}
	s, found, err := loadSettings(st)
	if err != nil {
		st.Close()
		return fmt.Errorf("appliance: stored settings in %s: %w", st.Path(), err)
	}
	if found {
		a.cfg.Settings = s
		a.log.Info("settings loaded", "file", st.Path())
	}
	if a.cfg.Override != nil {
		a.cfg.Override(&a.cfg.Settings)
	}
	if err := saveSettings(st, a.cfg.Settings); err != nil {
		st.Close()
		return err
	}
	a.store = st
	return nil
}

// startClock prepares the time syncer; the clock is good when it says so,
// unless the caller decides.
func (a *Appliance) startClock() {
	state := ""
	if a.cfg.DataDir != "" {
		state = timesync.StateFileIn(a.cfg.DataDir)
	}
	a.clock = timesync.New(timesync.Config{
		Servers:   func() []string { return a.settingsNow().Clock.Servers },
		TryRouter: a.cfg.ManageClock, SetSystem: a.cfg.ManageClock, StateFile: state, Logger: a.log,
	})
	if a.cfg.ClockGood == nil {
		a.cfg.ClockGood = a.clock.Good
	}
}

// settingsNow is the settings in force, before and after the policy exists.
func (a *Appliance) settingsNow() config.Settings {
	if a.policy != nil {
		return a.policy.Settings()
	}
	return a.cfg.Settings
}

// Clock returns the time syncer, for its state.
func (a *Appliance) Clock() *timesync.Syncer { return a.clock }

// startHistory prepares the recorder when there is a database.
func (a *Appliance) startHistory() {
	if a.store == nil {
		return
	}
	a.history = history.NewRecorder(history.RecorderConfig{
		DB: history.New(a.store), Clock: a.cfg.Clock, ClockGood: a.cfg.ClockGood, Logger: a.log,
		Chargers: func() []history.ChargerView {
			el := a.policy.Settings().Electrical
			snap := a.master.Snapshot()
			out := make([]history.ChargerView, 0, len(snap.Chargers))
			for i, c := range policy.FromSnapshot(snap) {
				info := snap.Chargers[i].Info
				out = append(out, history.ChargerView{ID: c.ID, CarPresent: c.CarPresent(), Actual: c.Actual,
					Watts: policy.Power(c, el), VIN: info.VIN, LifetimeKWh: info.LifetimeKWh})
			}
			return out
		},
		Site: func() history.SiteView {
			r := a.energyReading()
			return history.SiteView{Generation: float64(r.Generation), Consumption: float64(r.Consumption), Grid: float64(r.Grid),
				Has:                  history.SampleHas{Generation: r.Has.Generation, Consumption: r.Has.Consumption, Grid: r.Has.Grid},
				MeterIncludesCharger: a.policy.Settings().Policy.Surplus.MeterIncludesCharger}
		},
		Mode: func() string {
			if a.master.Snapshot().Monitor {
				return "monitor" // the master charger decides, not a mode of ours
			}
			if d, ok := a.policy.Last(); ok {
				return string(d.Mode)
			}
			return ""
		},
	})
}

// History returns the history recorder, nil without a database.
func (a *Appliance) History() *history.Recorder { return a.history }

// Store returns the database, nil without a DataDir.
func (a *Appliance) Store() *store.Store { return a.store }

// busLimits are the wiring limits the bus master clamps every offer to.
func busLimits(w config.Wiring) bus.Limits {
	l := bus.Limits{PerCharger: w.Charger.Continuous(), Shared: w.Shared.Continuous(), ByID: map[twc.ID]units.Amps{}}
	for id := range w.Chargers {
		l.ByID[id] = w.ChargerLimit(id)
	}
	return l
}

// SetSettings validates s and puts it in force: wiring limits at the bus
// master, everything else in the policy. Invalid settings change nothing.
func (a *Appliance) SetSettings(s config.Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	var pipe *energyPipe
	if !sameSources(a.policy.Settings().Sources, s.Sources) {
		var err error
		if pipe, err = buildEnergy(s.Sources, a.cfg.Clock, a.log); err != nil {
			return err
		}
	}
	if a.store != nil {
		if err := saveSettings(a.store, s); err != nil {
			return err
		}
	}
	monitor := a.policy.Settings().Bus.Monitor
	if err := a.policy.SetSettings(s); err != nil {
		return err
	}
	a.master.SetLimits(busLimits(s.Wiring))
	if s.Bus.Monitor != monitor {
		a.setMonitor(s.Bus.Monitor)
	}
	if pipe != nil {
		a.mu.Lock()
		if a.runCtx != nil {
			pipe.start(a.runCtx)
		}
		old := a.energy.Swap(pipe)
		a.mu.Unlock()
		old.stop()
	}
	return nil
}

func sameSources(a, b []config.Source) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// Vehicles returns the car connection's manager, for its state.
func (a *Appliance) Vehicles() *vehicle.Manager { return a.vehicles }

// MQTT returns the MQTT service, for its state.
func (a *Appliance) MQTT() *mqtt.Service { return a.mqtt }

// Sim returns the demo's simulated chargers, nil outside the demo.
func (a *Appliance) Sim() *twcsim.Sim { return a.sim }

// Policy returns the policy controller, for its decisions.
func (a *Appliance) Policy() *policy.Controller { return a.policy }

// DemoChargers are the simulated chargers of -demo: two EU units on firmware
// 4.5.3, one of them on a three-phase supply.
func DemoChargers() []twcsim.ChargerConfig {
	return []twcsim.ChargerConfig{
		{ID: 0x1839, Sign: 0x52, MaxAmps: 32, Profile: twcsim.Profile453, KWh: 1843},
		{ID: 0x4580, Sign: 0x31, MaxAmps: 32, Profile: twcsim.Profile453, KWh: 912, ThreePhase: true},
	}
}

// DemoChargerSet returns the first n (1 to 3) simulated chargers of the
// demo: those of DemoChargers and a third EU unit on a single-phase supply.
// n = 0 means the two of DemoChargers.
func DemoChargerSet(n int) ([]twcsim.ChargerConfig, error) {
	all := append(DemoChargers(), twcsim.ChargerConfig{ID: 0x2A17, Sign: 0x64, MaxAmps: 32, Profile: twcsim.Profile453, KWh: 377})
	switch {
	case n == 0:
		n = 2
	case n < 1 || n > bus.MaxSlaves:
		return nil, fmt.Errorf("appliance: the demo has 1 to %d chargers, not %d", bus.MaxSlaves, n)
	}
	return all[:n], nil
}

// Master returns the bus master, for status and control.
func (a *Appliance) Master() *bus.Master { return a.master }

// Run runs until ctx ends, then shuts everything down.
func (a *Appliance) Run(ctx context.Context) error {
	w, p := a.cfg.Settings.Wiring, a.cfg.Settings.Policy
	a.log.Info("twcmanager starting", "demo", a.cfg.Demo, "port", a.cfg.Port, "mode", string(p.Mode),
		"charger_limit", w.Charger.Continuous().String(), "shared_limit", w.Shared.Continuous().String())
	var wg sync.WaitGroup
	if a.sim != nil {
		wg.Go(func() {
			if err := a.sim.Run(ctx); err != nil {
				a.log.Error("simulator stopped", "err", err)
			}
		})
	}
	a.mu.Lock()
	a.runCtx = ctx
	a.energy.Load().start(ctx)
	a.mu.Unlock()
	defer func() { a.energy.Load().stop() }()
	wg.Go(func() { a.runPolicy(ctx) })
	wg.Go(func() { a.clock.Run(ctx) })
	if a.history != nil {
		wg.Go(func() { a.history.Run(ctx) })
		defer a.store.Close()
	}
	if a.cfg.StatusEvery > 0 {
		wg.Go(func() { a.logStatus(ctx) })
	}
	wg.Go(func() { a.mqtt.Run(ctx) })
	wg.Go(func() { _ = a.vehicles.Run(ctx) })
	if a.cfg.Listen != "" {
		wg.Go(func() {
			a.serve(ctx, "web interface", a.cfg.Listen, a.webHandler(), &a.listenAddr, func(addr string) { a.announce(ctx, addr) })
		})
	}
	if a.cfg.CompatListen != "" {
		wg.Go(func() {
			a.serve(ctx, "TWCManager-compatible API", a.cfg.CompatListen, a.compatHandler(), &a.compatAddr, nil)
		})
	}
	err := a.master.Run(ctx)
	wg.Wait()
	a.log.Info("twcmanager stopped")
	return err
}

func (a *Appliance) logStatus(ctx context.Context) {
	every(ctx, a.cfg.Clock, a.cfg.StatusEvery, a.cfg.StatusEvery, func() {
		snap := a.master.Snapshot()
		if d, ok := a.policy.Last(); ok && !snap.Monitor {
			a.log.Info("policy", "decision", d.Explanation)
		}
		for _, c := range snap.Chargers {
			a.log.Info("charger status", "id", c.ID.String(), "state", c.State.String(), "offered", c.Offered.String(),
				"actual", c.Actual.String(), "kWh", c.Info.LifetimeKWh, "vin", c.Info.VIN)
		}
		for _, f := range snap.Faults {
			a.log.Warn("fault", "kind", string(f.Kind), "charger", chargerName(f.Charger), "what", f.Sentence)
		}
	})
}

func chargerName(id twc.ID) string {
	if id == 0 {
		return ""
	}
	return id.String()
}

// every calls fn after first and then every period until ctx ends.
func every(ctx context.Context, clk clock.Clock, first, period time.Duration, fn func()) {
	t := clk.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		fn()
		t.Reset(period)
	}
}

// DemoSettings are the defaults plus the demo's simulated site: PV with
// passing clouds and a house, its day starting at 10:00 whenever the demo
// starts, so there is sun to follow at any hour.
func DemoSettings() config.Settings {
	s := config.Defaults()
	s.Sources = []config.Source{{Name: "simulated site", Kind: "simulated", Roles: []string{"pv", "consumption"},
		Params: json.RawMessage(`{"profile": "clouds", "day_start": "10:00"}`)}}
	return s
}
