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

// Stopper is the charger-side stop mechanism the controller drives when a
// charging car's target falls to 0: the bus master's methods.
type Stopper interface {
	Stop(ctx context.Context, id twc.ID, method bus.StopMethod) error
	Start(ctx context.Context, id twc.ID) error
}

// Cars is the car's own API (package vehicle's Manager), preferred over the
// charger to stop a car when the stop method is config.StopCarAPI. Neither
// method may block: the calls to the car happen elsewhere.
type Cars interface {
	// Want hands over the wish for the car at charger id (vin as the charger
	// reports it): charge or not; override when the user asked to charge now,
	// which overrides the car's own schedule.
	Want(id twc.ID, vin string, charge, override bool)
	// Handles reports whether the car API can act for that charger's car now.
	Handles(id twc.ID) bool
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
	// Cars, if set, stops and starts cars through their own API when the
	// stop method is config.StopCarAPI and it can act for the car.
	Cars   Cars
	Logger *slog.Logger
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
	stopped  map[twc.ID]stop // owned by Run

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
		engine: NewEngine(), stopped: map[twc.ID]stop{}}
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
		Now: c.cfg.Clock.Now(), ClockGood: c.cfg.ClockGood(), Settings: carAPIDelays(s, c.cfg.Cars != nil),
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

// stop is a stop in force at one charger: through the car's own API
// (byCar, asked at at), or by the charger-side method.
type stop struct {
	byCar  bool
	at     time.Time
	method bus.StopMethod
}

// carStopGrace is how long, beyond the car API's least time between a start
// and a stop, a car asked to stop may go on drawing before the charger stops
// it instead.
const carStopGrace = 2 * time.Minute

// stopStart uses the stop mechanism for cars whose target fell to 0 while
// they were drawing, and ends it when current is offered again. Protocol 1
// chargers stop reliably at 0 A and need nothing more. With the car API
// chosen, the car is asked first; the charger stops it when the car API
// cannot act for it.
func (c *Controller) stopStart(ctx context.Context, s config.Settings, chargers []Charger, d Decision) {
	if c.cfg.Stopper == nil && c.cfg.Cars == nil {
		return
	}
	cars := c.cfg.Cars
	carAPI := s.Policy.StopMethod == config.StopCarAPI && cars != nil
	override := d.Mode == config.ModeNow
	for _, ch := range chargers {
		t, _ := d.Target(ch.ID)
		st, stopped := c.stopped[ch.ID]
		drawing := ch.Actual >= 1 && ch.Protocol == twc.Protocol2
		switch {
		case t.Amps == 0 && !stopped && drawing:
			if carAPI && cars.Handles(ch.ID) {
				cars.Want(ch.ID, ch.VIN, false, false)
				c.stopped[ch.ID] = stop{byCar: true, at: d.At}
				c.log.Info("policy: asking the car to stop", "id", ch.ID.String(), "vin", ch.VIN)
				continue
			}
			c.chargerStop(ctx, s, ch)
		case t.Amps == 0 && stopped && st.byCar && drawing &&
			(!carAPI || !cars.Handles(ch.ID) || d.At.Sub(st.at) > s.Vehicle.MinCycle+carStopGrace):
			// The car API cannot act after all (budget spent, login gone,
			// car not identified), or the car did not obey: the charger
			// stops it instead.
			c.log.Warn("policy: the car API did not stop the car; stopping it at the charger", "id", ch.ID.String())
			delete(c.stopped, ch.ID)
			c.chargerStop(ctx, s, ch)
		case t.Amps > 0 && stopped && st.byCar:
			delete(c.stopped, ch.ID)
			cars.Want(ch.ID, ch.VIN, true, override && carAPI)
			c.log.Info("policy: asking the car to start", "id", ch.ID.String(), "vin", ch.VIN)
			continue
		case t.Amps > 0 && stopped:
			if c.cfg.Stopper == nil {
				delete(c.stopped, ch.ID)
				break
			}
			if err := c.cfg.Stopper.Start(ctx, ch.ID); err != nil && !errors.Is(err, context.Canceled) {
				c.log.Warn("policy: could not end the stop", "id", ch.ID.String(), "method", st.method.String(), "err", err)
				continue
			}
			delete(c.stopped, ch.ID)
		}
		// While current is offered, the car may charge: said every time, so
		// that a car stopped through its API (also before a restart, or
		// before a fallback to the charger) is started again; repeating
		// the wish costs nothing. Only with the car API chosen does Now
		// mode override the car's own schedule.
		if cars != nil && t.Amps > 0 && ch.CarPresent() {
			cars.Want(ch.ID, ch.VIN, true, override && carAPI)
		}
	}
}

// chargerStop stops the car at ch with the charger-side method the settings
// choose, falling back to offering 0 A when that fails.
func (c *Controller) chargerStop(ctx context.Context, s config.Settings, ch Charger) {
	m := stopMethod(s.Policy.StopMethod)
	if m == bus.StopNone || c.cfg.Stopper == nil {
		return
	}
	err := c.cfg.Stopper.Stop(ctx, ch.ID, m)
	if err != nil && m != bus.StopZeroAmps {
		c.log.Warn("policy: stop method failed; falling back to offering 0 A", "id", ch.ID.String(), "method", m.String(), "err", err)
		m, err = bus.StopZeroAmps, c.cfg.Stopper.Stop(ctx, ch.ID, bus.StopZeroAmps)
	}
	if err == nil {
		c.stopped[ch.ID] = stop{method: m}
	}
}

// carAPIDelays stretches the start and stop delays to the car API's least
// cycle. Each stop and start through the car's API is billed and a car is
// not stopped and started more than once per Vehicle.MinCycle anyway: a
// cloud shorter than that would only cost a stop and leave the car idle in
// the sun that follows, and a gap in the clouds shorter than that would
// only cost a start. The minimum current keeps flowing meanwhile, as with
// the stop delay itself.
func carAPIDelays(s config.Settings, cars bool) config.Settings {
	if cars && s.Policy.StopMethod == config.StopCarAPI && s.Vehicle.Connection != config.CarNone {
		su := &s.Policy.Surplus
		su.StopDelay = max(su.StopDelay, s.Vehicle.MinCycle)
		su.StartDelay = max(su.StartDelay, s.Vehicle.MinCycle)
	}
	return s
}

// stopMethod maps the setting to a bus mechanism. When the car API cannot
// act, its fallback is the charger's stop command (firmware 4.5.3), and
// offering 0 A where that fails.
func stopMethod(m config.StopMethod) bus.StopMethod {
	switch m {
	case config.StopCommand, config.StopCarAPI:
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
			Volts: c.Info.Volts, PhaseAmps: c.Info.PhaseAmps, CarSoC: -1, VIN: c.Info.VIN,
		})
	}
	return out
}
