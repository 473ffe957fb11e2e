package bus_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/testutil"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
)

// A valid VIN (check digit X) for the simulated car.
const testVIN = "1M8GDM9AXKP042788"

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func charger(id twc.ID, p twcsim.Profile) twcsim.ChargerConfig {
	return twcsim.ChargerConfig{ID: id, Sign: byte(id), MaxAmps: 32, Profile: p, KWh: 1000}
}

// rig is a master and a simulator joined by an in-memory link.
type rig struct {
	link    *twcsim.Link
	sim     *twcsim.Sim
	master  *bus.Master
	targets *bus.TargetTable
	log     *testutil.Buffer
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

func newRig(t *testing.T, simCfg twcsim.Config, cfg bus.Config) *rig {
	t.Helper()
	r := &rig{link: twcsim.NewLink(), targets: &bus.TargetTable{}, log: &testutil.Buffer{}}
	if cfg.Limits.PerCharger == 0 {
		cfg.Limits = bus.Limits{PerCharger: 32, Shared: 64}
	}
	cfg.Open = r.link.Open
	if cfg.Targets == nil {
		cfg.Targets = r.targets
	}
	cfg.Logger = newLogger(r.log)
	r.sim = twcsim.New(r.link.SimPort(), simCfg)
	r.master = bus.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.done.Add(2)
	go func() { defer r.done.Done(); _ = r.sim.Run(ctx) }()
	go func() { defer r.done.Done(); _ = r.master.Run(ctx) }()
	return r
}

func (r *rig) stop() {
	r.cancel()
	r.done.Wait()
}
