// Package vehicletest is a fake car API (vehicle.API) for tests: cars that
// charge at simulated chargers (package twcsim) or keep their own charging
// state, fall asleep when idle, answer ErrAsleep until woken, and count every
// call as Tesla bills it.
package vehicletest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/twcsim"
	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// Plug is the simulated charger a fake car is plugged into;
// *twcsim.Charger is one.
type Plug interface {
	Status() twcsim.Status
	StopCar() bool
	StartCar() bool
}

// Car describes one fake car.
type Car struct {
	VIN, Name string
	// Plug is where the car charges; nil makes the fake keep the car's
	// charging state itself (SetCharging), starting as Charging.
	Plug Plug
	// Lat and Lon are where the car is, unless NoLocation.
	Lat, Lon   float64
	NoLocation bool
	// SleepAfter is how long the car stays awake without charging or a
	// call (default 15 minutes); WakeTime how long a wake takes (default
	// 10 seconds).
	SleepAfter time.Duration
	WakeTime   time.Duration
	// Asleep starts the car asleep (and, without a Plug, stopped).
	Asleep bool
}

// Call is one call the fake answered.
type Call struct {
	At time.Time
	// Kind is "cars", "charge_state", "wake_up" or the command.
	Kind string
	VIN  string
	Err  error
}

// Calls counts the calls as Tesla bills them.
type Calls struct {
	Cars, States, Wakes int
	Commands            map[vehicle.CommandKind]int
}

// Data is the number of data requests.
func (c Calls) Data() int { return c.Cars + c.States }

// CommandCount is the number of commands of every kind.
func (c Calls) CommandCount() int {
	n := 0
	for _, v := range c.Commands {
		n += v
	}
	return n
}

// Cost is what the calls cost at Tesla's prices, in US dollars.
func (c Calls) Cost() float64 {
	return vehicle.Usage{Commands: c.CommandCount(), Data: c.Data(), Wakes: c.Wakes}.Cost()
}

// Fake is the fake API. Its methods are safe for concurrent use.
type Fake struct {
	clk clock.Clock

	mu          sync.Mutex // guards everything below
	cars        map[string]*car
	order       []string
	calls       Calls
	log         []Call
	fail        error
	failCommand error
	hang        chan struct{} // non-nil while calls hang; closed to release them
}

type car struct {
	cfg        Car
	own        string // charging state without a Plug
	lastActive time.Time
	wakeAt     time.Time // online from then; zero when not waking
	sleptAt    time.Time // put to sleep then
	schedule   time.Time
}

// New returns a fake with cars, its clock being clk (nil: real time).
func New(clk clock.Clock, cars ...Car) *Fake {
	if clk == nil {
		clk = clock.Real()
	}
	f := &Fake{clk: clk, cars: map[string]*car{}, calls: Calls{Commands: map[vehicle.CommandKind]int{}}}
	now := clk.Now()
	for _, c := range cars {
		if c.SleepAfter == 0 {
			c.SleepAfter = 15 * time.Minute
		}
		if c.WakeTime == 0 {
			c.WakeTime = 10 * time.Second
		}
		fc := &car{cfg: c, own: vehicle.StateCharging, lastActive: now}
		if c.Asleep {
			fc.own, fc.sleptAt = vehicle.StateStopped, now
		}
		f.cars[c.VIN] = fc
		f.order = append(f.order, c.VIN)
	}
	return f
}

// Calls returns the counts so far.
func (f *Fake) Calls() Calls {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	c.Commands = maps.Clone(c.Commands)
	return c
}

// Log returns every call so far, in order.
func (f *Fake) Log() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// Fail makes every call answer err (counted, as Tesla bills it) until
// Fail(nil).
func (f *Fake) Fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

// FailCommands makes commands alone answer err until FailCommands(nil).
func (f *Fake) FailCommands(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failCommand = err
}

// Hang makes calls wait until their context ends (on) or lets them go.
func (f *Fake) Hang(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case on && f.hang == nil:
		f.hang = make(chan struct{})
	case !on && f.hang != nil:
		close(f.hang)
		f.hang = nil
	}
}

// Move puts the car at lat, lon.
func (f *Fake) Move(vin string, lat, lon float64) {
	f.with(vin, func(c *car) { c.cfg.Lat, c.cfg.Lon = lat, lon })
}

// SetSchedule makes the car wait for its own scheduled charging at t
// (zero: no schedule).
func (f *Fake) SetSchedule(vin string, t time.Time) { f.with(vin, func(c *car) { c.schedule = t }) }

// SetCharging sets the charging state of a car without a Plug.
func (f *Fake) SetCharging(vin, state string) { f.with(vin, func(c *car) { c.own = state }) }

// Sleep puts the car to sleep now.
func (f *Fake) Sleep(vin string) {
	f.with(vin, func(c *car) { c.sleptAt, c.wakeAt = f.clk.Now(), time.Time{} })
}

// Asleep reports whether the car sleeps now.
func (f *Fake) Asleep(vin string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cars[vin]
	return c != nil && !f.awake(c, f.clk.Now())
}

func (f *Fake) with(vin string, fn func(*car)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.cars[vin]; c != nil {
		fn(c)
	}
}

// Cars implements vehicle.API.
func (f *Fake) Cars(ctx context.Context) ([]vehicle.Car, error) {
	var out []vehicle.Car
	err := f.answer(ctx, "cars", "", func(now time.Time) error {
		for _, vin := range f.order {
			c := f.cars[vin]
			out = append(out, vehicle.Car{VIN: vin, Name: c.cfg.Name, Online: f.awake(c, now)})
		}
		return nil
	})
	return out, err
}

// ChargeState implements vehicle.API.
func (f *Fake) ChargeState(ctx context.Context, vin string) (vehicle.ChargeState, error) {
	var st vehicle.ChargeState
	err := f.answer(ctx, "charge_state", vin, func(now time.Time) error {
		c, err := f.awakeCar(vin, now)
		if err != nil {
			return err
		}
		st = f.state(c, now)
		return nil
	})
	return st, err
}

// Wake implements vehicle.API.
func (f *Fake) Wake(ctx context.Context, vin string) error {
	return f.answer(ctx, "wake_up", vin, func(now time.Time) error {
		c := f.cars[vin]
		if c == nil {
			return fmt.Errorf("fake: %s: %w", vin, vehicle.ErrUnknownVIN)
		}
		if !f.awake(c, now) && c.wakeAt.IsZero() {
			c.wakeAt = now.Add(c.cfg.WakeTime)
		}
		return nil
	})
}

// Command implements vehicle.API.
func (f *Fake) Command(ctx context.Context, vin string, cmd vehicle.Command) error {
	return f.answer(ctx, string(cmd.Kind), vin, func(now time.Time) error {
		if f.failCommand != nil {
			return f.failCommand
		}
		c, err := f.awakeCar(vin, now)
		if err != nil {
			return err
		}
		switch cmd.Kind {
		case vehicle.ChargeStop:
			if c.cfg.Plug != nil {
				c.cfg.Plug.StopCar()
			} else if c.own == vehicle.StateCharging || c.own == vehicle.StateStarting {
				c.own = vehicle.StateStopped
			}
		case vehicle.ChargeStart:
			if c.cfg.Plug != nil {
				if !c.cfg.Plug.StartCar() {
					return fmt.Errorf("fake: %s: charge_start: the car is not plugged in", vin)
				}
			} else if c.own == vehicle.StateStopped {
				c.own = vehicle.StateCharging
			}
		}
		return nil
	})
}

// answer runs one call: it hangs or fails as told, logs and counts it.
func (f *Fake) answer(ctx context.Context, kind, vin string, fn func(now time.Time) error) error {
	f.mu.Lock()
	hang := f.hang
	f.mu.Unlock()
	if hang != nil {
		select {
		case <-ctx.Done():
			return fmt.Errorf("fake: %s: %w", kind, ctx.Err())
		case <-hang:
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clk.Now()
	switch kind {
	case "cars":
		f.calls.Cars++
	case "charge_state":
		f.calls.States++
	case "wake_up":
		f.calls.Wakes++
	default:
		f.calls.Commands[vehicle.CommandKind(kind)]++
	}
	err := f.fail
	if err == nil {
		err = fn(now)
	}
	f.log = append(f.log, Call{At: now, Kind: kind, VIN: vin, Err: err})
	return err
}

// awakeCar returns the car if it is awake, and marks it active.
func (f *Fake) awakeCar(vin string, now time.Time) (*car, error) {
	c := f.cars[vin]
	if c == nil {
		return nil, fmt.Errorf("fake: %s: %w", vin, vehicle.ErrUnknownVIN)
	}
	if !f.awake(c, now) {
		return nil, fmt.Errorf("fake: %s: %w", vin, vehicle.ErrAsleep)
	}
	c.lastActive = now
	return c, nil
}

// awake reports whether c is awake at now: a car sleeps once it has neither
// charged nor been called for SleepAfter (or when put to sleep), and a wake
// takes WakeTime.
func (f *Fake) awake(c *car, now time.Time) bool {
	if !c.wakeAt.IsZero() {
		if now.Before(c.wakeAt) {
			return false
		}
		c.lastActive, c.wakeAt = c.wakeAt, time.Time{}
	}
	// Charging wakes a car and keeps it awake.
	last := c.lastActive
	if p := c.cfg.Plug; p != nil {
		st := p.Status()
		if st.Actual >= 1 {
			return true
		}
		last = clock.Later(last, st.LastDraw)
	} else if c.own == vehicle.StateCharging {
		return true
	}
	if !c.sleptAt.IsZero() && !c.sleptAt.Before(last) {
		return false
	}
	return now.Sub(last) < c.cfg.SleepAfter
}

// state is the car's charge state.
func (f *Fake) state(c *car, now time.Time) vehicle.ChargeState {
	st := vehicle.ChargeState{At: now, Limit: 90, Charging: c.own, Lat: c.cfg.Lat, Lon: c.cfg.Lon, HasLocation: !c.cfg.NoLocation}
	if c.schedule.After(now) {
		st.ScheduledStart = c.schedule
	}
	if p := c.cfg.Plug; p != nil {
		s := p.Status()
		st.SoC, st.Amps, st.RequestAmps = 100*s.CarSoC, float64(s.Actual), float64(s.Offered)
		switch {
		case !s.CarPresent:
			st.Charging = vehicle.StateDisconnected
		case s.CarStopped:
			st.Charging = vehicle.StateStopped
		case s.CarFull:
			st.Charging = vehicle.StateComplete
		case s.Actual >= 1:
			st.Charging = vehicle.StateCharging
		case s.Offered < 5:
			st.Charging = vehicle.StateNoPower
		default:
			st.Charging = vehicle.StateStarting
		}
	} else if c.own == vehicle.StateCharging {
		st.Amps = 16
	}
	return st
}
