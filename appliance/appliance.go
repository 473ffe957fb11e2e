// Package appliance wires the parts of twcmanager together and runs them:
// the bus master on the RS-485 adapter (or, in demo mode, on simulated
// chargers behind an in-memory adapter) and the targets it serves.
//
// Entry points: New builds an Appliance from a Config; Run runs it until its
// context ends.
package appliance

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/bus/rs485"
	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Config configures the appliance.
type Config struct {
	// Demo runs against two simulated chargers, a car plugged into one.
	Demo bool
	// Port is the serial device; empty means auto-detect the adapter.
	Port string
	// Amps is the current offered to every charger until the charging policy
	// takes over; 0 keeps cars from charging.
	Amps units.Amps
	// Limits are the wiring limits every offer is clamped to.
	Limits bus.Limits
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
	sim     *twcsim.Sim
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
	if cfg.Limits.PerCharger <= 0 || cfg.Limits.Shared <= 0 {
		return nil, fmt.Errorf("appliance: wiring limits must be positive, got per charger %v, shared %v", cfg.Limits.PerCharger, cfg.Limits.Shared)
	}
	a := &Appliance{cfg: cfg, log: cfg.Logger, targets: &bus.TargetTable{}}
	a.targets.Set(cfg.Amps, nil)
	var open bus.Opener
	switch {
	case cfg.Demo:
		link := twcsim.NewLink()
		a.sim = twcsim.New(link.SimPort(), twcsim.Config{
			Chargers: DemoChargers(), Clock: cfg.Clock, Seed: uint64(time.Now().UnixNano()),
			Logger: cfg.Logger.With("component", "sim"),
		})
		a.sim.Charger(0).PlugIn(twcsim.Car{VIN: "5YJ3E7EB2LF000001", BatteryKWh: 75, SoC: 0.35, Limit: 0.9, MaxAmps: 32})
		open = link.Open
	case cfg.Port != "":
		if _, err := os.Stat(cfg.Port); errors.Is(err, fs.ErrNotExist) {
			_, err := rs485.Open(cfg.Port) // its error lists the adapters found
			return nil, err
		}
		open = rs485.Opener(cfg.Port)
	default:
		open = rs485.Opener("")
	}
	a.master = bus.New(bus.Config{
		Open: open, Clock: cfg.Clock, Targets: a.targets, Limits: cfg.Limits,
		Spike:  bus.Spike{Proactive: true, Reactive: true},
		Logger: cfg.Logger,
	})
	return a, nil
}

// DemoChargers are the simulated chargers of -demo: two EU units on firmware
// 4.5.3, one of them on a three-phase supply.
func DemoChargers() []twcsim.ChargerConfig {
	return []twcsim.ChargerConfig{
		{ID: 0x1839, Sign: 0x52, MaxAmps: 32, Profile: twcsim.Profile453, KWh: 1843},
		{ID: 0x4580, Sign: 0x31, MaxAmps: 32, Profile: twcsim.Profile453, KWh: 912, ThreePhase: true},
	}
}

// Master returns the bus master, for status and control.
func (a *Appliance) Master() *bus.Master { return a.master }

// Run runs until ctx ends, then shuts everything down.
func (a *Appliance) Run(ctx context.Context) error {
	a.log.Info("twcmanager starting", "demo", a.cfg.Demo, "port", a.cfg.Port, "amps", a.cfg.Amps.String(),
		"charger_limit", a.cfg.Limits.PerCharger.String(), "shared_limit", a.cfg.Limits.Shared.String())
	if a.cfg.Amps == 0 {
		a.log.Info("offering 0 A: chargers link, cars do not charge until a current is set")
	}
	var wg sync.WaitGroup
	if a.sim != nil {
		wg.Go(func() {
			if err := a.sim.Run(ctx); err != nil {
				a.log.Error("simulator stopped", "err", err)
			}
		})
	}
	if a.cfg.StatusEvery > 0 {
		wg.Go(func() { a.logStatus(ctx) })
	}
	err := a.master.Run(ctx)
	wg.Wait()
	a.log.Info("twcmanager stopped")
	return err
}

func (a *Appliance) logStatus(ctx context.Context) {
	t := a.cfg.Clock.NewTimer(a.cfg.StatusEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		snap := a.master.Snapshot()
		for _, c := range snap.Chargers {
			a.log.Info("charger status", "id", c.ID.String(), "state", c.State.String(), "offered", c.Offered.String(),
				"actual", c.Actual.String(), "kWh", c.Info.LifetimeKWh, "vin", c.Info.VIN)
		}
		for _, f := range snap.Faults {
			a.log.Warn("fault", "kind", string(f.Kind), "charger", chargerName(f.Charger), "what", f.Sentence)
		}
		t.Reset(a.cfg.StatusEvery)
	}
}

func chargerName(id twc.ID) string {
	if id == 0 {
		return ""
	}
	return id.String()
}
