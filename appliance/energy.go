package appliance

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/energy"
	_ "github.com/twcmanager/twcmanager/internal/energy/all" // registers every source kind
	"github.com/twcmanager/twcmanager/internal/policy"
)

// energyPipe is one set of running sources: a poller per source and the
// site that combines them by role.
type energyPipe struct {
	site    *energy.Site
	pollers []*energy.Poller
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// buildEnergy makes the sources of srcs. An error names the source and its
// bad setting; nothing runs until start.
func buildEnergy(srcs []config.Source, clk clock.Clock, log *slog.Logger) (*energyPipe, error) {
	p := &energyPipe{}
	var as []energy.Assignment
	for i, sc := range srcs {
		src, kind, err := energy.Build(sc.Kind, sc.Params)
		if err != nil {
			return nil, fmt.Errorf("sources[%d] %q: %w", i, sc.Name, err)
		}
		interval := kind.Interval
		if sc.Interval > 0 {
			interval = sc.Interval
		}
		poller := energy.NewPoller(sc.Name, src, energy.PollerConfig{Interval: interval, Timeout: kind.Timeout, Clock: clk, Logger: log})
		roles := make([]energy.Role, len(sc.Roles))
		for j, r := range sc.Roles {
			roles[j] = energy.Role(r)
		}
		p.pollers = append(p.pollers, poller)
		as = append(as, energy.Assignment{Poller: poller, Roles: roles})
	}
	site, err := energy.NewSite(as)
	if err != nil {
		return nil, err
	}
	p.site = site
	return p, nil
}

func (p *energyPipe) start(ctx context.Context) {
	ctx, p.cancel = context.WithCancel(ctx)
	for _, pl := range p.pollers {
		p.wg.Go(func() { pl.Run(ctx) })
	}
}

func (p *energyPipe) stop() {
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
	for _, pl := range p.pollers {
		energy.Close(pl.Source())
	}
}

// energyReading is the policy's view of the site now.
func (a *Appliance) energyReading() policy.Reading {
	p := a.energy.Load()
	if p == nil || len(p.pollers) == 0 {
		return policy.Reading{Problem: "no energy source is configured"}
	}
	c := p.site.Reading(a.cfg.Clock.Now(), a.policy.Settings().Policy.Surplus.Freshness)
	return policy.Reading{
		At: c.At, Generation: c.Generation, Consumption: c.Consumption, Grid: c.Grid,
		Battery: c.Battery, BatterySoC: c.BatterySoC, Problem: c.Problem(),
		Has: policy.Has{Generation: c.Has.Generation, Consumption: c.Has.Consumption, Grid: c.Has.Grid,
			Battery: c.Has.Battery, BatterySoC: c.Has.BatterySoC},
	}
}
