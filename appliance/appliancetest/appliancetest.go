// Package appliancetest runs a real appliance for a test: built from the
// given configuration, running until the test ends, and stopped cleanly
// before its temporary directory is removed.
package appliancetest

import (
	"context"
	"sync"
	"testing"

	"github.com/twcmanager/twcmanager/appliance"
)

// Run builds the appliance of cfg and runs it until t ends.
func Run(t testing.TB, cfg appliance.Config) *appliance.Appliance {
	t.Helper()
	a, err := appliance.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return a
}

// Demo runs the demo appliance (simulated chargers and sun) with its
// database in a temporary directory; with listen set it serves the web
// interface and the TWCManager-compatible API on free local ports.
func Demo(t testing.TB, listen bool) *appliance.Appliance {
	t.Helper()
	cfg := appliance.Config{Demo: true, DataDir: t.TempDir(), Settings: appliance.DemoSettings()}
	if listen {
		cfg.Listen, cfg.CompatListen = "127.0.0.1:0", "127.0.0.1:0"
	}
	return Run(t, cfg)
}
