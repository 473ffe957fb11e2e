package appliance

import (
	"context"

	"github.com/twcmanager/twcmanager/internal/twcsim"
)

// Monitor mode (Settings → Adapter): a charger stays set as master and the
// bus master only listens. Nothing may act on the chargers or the cars then,
// so the policy does not run; history is recorded as usual.

// setMonitor switches monitor mode at the bus master, the demo's simulated
// bus and the policy.
func (a *Appliance) setMonitor(on bool) {
	a.log.Info("monitor mode", "on", on)
	a.master.SetMonitor(on)
	if a.sim != nil {
		a.sim.SetMaster(demoMaster(on))
	}
	select {
	case a.modeChanged <- struct{}{}:
	default: // runPolicy has a change to read already
	}
}

// demoMaster is the demo's master charger in monitor mode: without one there
// would be nothing to listen to. It asks for the meter and VIN, so that the
// demo shows them.
func demoMaster(monitor bool) *twcsim.MasterConfig {
	if !monitor {
		return nil
	}
	return &twcsim.MasterConfig{Amps: 32, Queries: true}
}

// runPolicy runs the policy while the appliance controls the bus, and stops
// it in monitor mode: it would otherwise stop and start cars through their
// API, which is controlling charging too.
func (a *Appliance) runPolicy(ctx context.Context) {
	for {
		pctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		if a.settingsNow().Bus.Monitor {
			close(done)
		} else {
			go func() {
				defer close(done)
				_ = a.policy.Run(pctx)
			}()
		}
		select {
		case <-ctx.Done():
		case <-a.modeChanged:
		}
		cancel()
		<-done
		if ctx.Err() != nil {
			return
		}
	}
}
