package policy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Stopper is the stop mechanism the controller drives when a charging car's
// target falls to 0: the bus master's charger-side methods now, the car's
// API once the vehicle integration exists.
type Stopper interface {
	Stop(ctx context.Context, id twc.ID, method bus.StopMethod) error
	Start(ctx context.Context, id twc.ID) error
}

// ControllerConfig wires a Controller.
type ControllerConfig struct {
	Settings config.Settings
	Clock    clock.Clock
	// Chargers returns the chargers as the bus sees them now; it must not block.
	Chargers func() []Charger
	// Energy returns the latest reading; it must not block.
	Energy func() Reading
	// ClockGood reports whether the wall clock is trustworthy.
	ClockGood func() bool
	Targets   *bus.TargetTable
	Stopper   Stopper
	Logger    *slog.Logger
	// Keep is how many decisions are kept for the UI (default 300).
	Keep int
	// Watch is how often the chargers are checked for a change that calls
	// for an evaluation before the timer (default 1 s).
	Watch time.Duration
}

// Controller runs the policy.
type Controller struct {
	cfg      ControllerConfig
	log      *slog.Logger
	settings atomic.Pointer[config.Settings]
	trigger  chan struct{}
	engine   *Engine
	stopped  map[twc.ID]bus.StopMethod // owned by Run

	mu     sync.Mutex // guards recent
	recent []Decision
}

// NewController validates the settings and returns a controller.
func NewController(cfg ControllerConfig) (*Controller, error) {
	if err := cfg.Settings.Validate(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 300
	}
	if cfg.Watch <= 0 {
		cfg.Watch = time.Second
	}
	if cfg.Energy == nil {
		cfg.Energy = func() Reading { return Reading{} }
	}
	if cfg.ClockGood == nil {
		cfg.ClockGood = func() bool { return true }
	}
	c := &Controller{cfg: cfg, log: cfg.Logger, trigger: make(chan struct{}, 1),
		engine: NewEngine(), stopped: map[twc.ID]bus.StopMethod{}}
	s := cfg.Settings
	c.settings.Store(&s)
	return c, nil
}

// Settings returns the settings in force.
func (c *Controller) Settings() config.Settings { return *c.settings.Load() }

// SetSettings validates s and, if it is valid, puts it in force and
// evaluates at once. An invalid s changes nothing.
func (c *Controller) SetSettings(s config.Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	c.settings.Store(&s)
	c.Trigger()
	return nil
}

// Trigger asks for an evaluation now (a user action). It never blocks.
func (c *Controller) Trigger() {
	select {
	case c.trigger <- struct{}{}:
	default:
	}
}

// Recent returns up to n of the latest decisions, newest last.
func (c *Controller) Recent(n int) []Decision {
	c.mu.Lock()
	defer c.mu.Unlock()
	n = min(n, len(c.recent))
	return append([]Decision(nil), c.recent[len(c.recent)-n:]...)
}

// Last returns the latest decision.
func (c *Controller) Last() (Decision, bool) {
	d := c.Recent(1)
	if len(d) == 0 {
		return Decision{}, false
	}
	return d[0], true
}

// Run evaluates until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	var sig string
	c.evaluate(ctx)
	next := c.cfg.Clock.Now().Add(c.Settings().Policy.Interval)
	watch := c.cfg.Clock.NewTimer(c.cfg.Watch)
	defer watch.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.trigger:
		case <-watch.C():
			watch.Reset(c.cfg.Watch)
			now := c.cfg.Clock.Now()
			s := signature(c.cfg.Chargers())
			if s == sig && now.Before(next) {
				continue
			}
			sig = s
		}
		c.evaluate(ctx)
		next = c.cfg.Clock.Now().Add(c.Settings().Policy.Interval)
	}
}

// signature changes when a charger appears, goes, or a car comes or leaves:
// reasons to decide again without waiting for the timer.
func signature(cs []Charger) string {
	s := ""
	for _, c := range cs {
		s += fmt.Sprintf("%s:%v:%v;", c.ID, c.CarPresent(), c.State == twc.StateError)
	}
	return s
}

func (c *Controller) evaluate(ctx context.Context) {
	s := c.Settings()
	chargers := c.cfg.Chargers()
	d := c.engine.Decide(Inputs{
		Now: c.cfg.Clock.Now(), ClockGood: c.cfg.ClockGood(), Settings: s,
		Chargers: chargers, Energy: c.cfg.Energy(),
	})
	byID := map[twc.ID]units.Amps{}
	for _, t := range d.Targets {
		byID[t.ID] = t.Amps
	}
	c.cfg.Targets.Set(0, byID)
	c.stopStart(ctx, s, chargers, d)
	c.log.Debug("policy decision", "rule", string(d.Rule), "explanation", d.Explanation, "targets", len(d.Targets))
	c.mu.Lock()
	c.recent = append(c.recent, d)
	if len(c.recent) > c.cfg.Keep {
		c.recent = append([]Decision(nil), c.recent[len(c.recent)-c.cfg.Keep:]...)
	}
	c.mu.Unlock()
}

// stopStart uses the stop mechanism for cars whose target fell to 0 while
// they were drawing, and ends it when current is offered again. Protocol 1
// chargers stop reliably at 0 A and need nothing more.
func (c *Controller) stopStart(ctx context.Context, s config.Settings, chargers []Charger, d Decision) {
	if c.cfg.Stopper == nil {
		return
	}
	for _, ch := range chargers {
		t, _ := d.Target(ch.ID)
		method, stopped := c.stopped[ch.ID]
		switch {
		case t.Amps == 0 && !stopped && ch.Actual >= 1 && ch.Protocol == twc.Protocol2:
			m := stopMethod(s.Policy.StopMethod)
			if m == bus.StopNone {
				continue
			}
			err := c.cfg.Stopper.Stop(ctx, ch.ID, m)
			if err != nil && m != bus.StopZeroAmps {
				c.log.Warn("policy: stop method failed; falling back to offering 0 A", "id", ch.ID.String(), "method", m.String(), "err", err)
				m, err = bus.StopZeroAmps, c.cfg.Stopper.Stop(ctx, ch.ID, bus.StopZeroAmps)
			}
			if err == nil {
				c.stopped[ch.ID] = m
			}
		case t.Amps > 0 && stopped:
			if err := c.cfg.Stopper.Start(ctx, ch.ID); err != nil && !errors.Is(err, context.Canceled) {
				c.log.Warn("policy: could not end the stop", "id", ch.ID.String(), "method", method.String(), "err", err)
				continue
			}
			delete(c.stopped, ch.ID)
		}
	}
}

// stopMethod maps the setting to a bus mechanism. The car's API is not wired
// yet; until it is, those cars get 0 A offered.
func stopMethod(m config.StopMethod) bus.StopMethod {
	switch m {
	case config.StopCommand:
		return bus.StopRelay
	case config.StopResponding:
		return bus.StopSilence
	case config.StopOfferZero:
		return bus.StopNone
	}
	return bus.StopZeroAmps
}

// FromSnapshot turns the bus master's snapshot into the policy's view.
func FromSnapshot(s bus.Snapshot) []Charger {
	out := make([]Charger, 0, len(s.Chargers))
	for _, c := range s.Chargers {
		out = append(out, Charger{
			ID: c.ID, Protocol: c.Protocol, Advertised: c.Advertised, ProtocolMin: c.MinAmps,
			State: c.State, Offered: c.Offered, Actual: c.Actual,
			Volts: c.Info.Volts, PhaseAmps: c.Info.PhaseAmps, CarSoC: -1,
		})
	}
	return out
}
