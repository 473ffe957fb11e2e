package twcsim

import (
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// PlugIn connects car to the charger.
func (c *Charger) PlugIn(car Car) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.advance(c.s.clk.Now())
	if car.Phases == 0 {
		car.Phases = 1
	}
	c.car, c.needReplug, c.losses, c.relayOpen = &car, false, 0, false
}

// Unplug disconnects the car.
func (c *Charger) Unplug() {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.advance(c.s.clk.Now())
	c.car, c.needReplug, c.actual = nil, false, 0
}

// StopCar stops the plugged-in car as its app or API would (it then draws
// nothing until StartCar); StartCar lets it charge again. Both report
// whether a car is plugged in.
func (c *Charger) StopCar() bool { return c.setCarStopped(true) }

// StartCar undoes StopCar.
func (c *Charger) StartCar() bool { return c.setCarStopped(false) }

func (c *Charger) setCarStopped(on bool) bool {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.advance(c.s.clk.Now())
	if c.car == nil {
		return false
	}
	c.car.Stopped = on
	return true
}

// Silence makes the charger deaf and mute (a cut cable), or restores it.
func (c *Charger) Silence(on bool) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.silent = on
	if on {
		c.linked = false
	}
}

// Reset clears a forced error, as the reset button does.
func (c *Charger) Reset() {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.errored = false
}

// Status is a snapshot of a simulated charger for tests and the demo.
type Status struct {
	ID         twc.ID
	Linked     bool
	Master     twc.ID
	State      twc.State
	Offered    units.Amps
	Actual     units.Amps
	Power      units.Watts
	KWh        float64
	CarSoC     float64
	Heartbeats int
	// MaxGap is the longest time between two heartbeats while linked.
	MaxGap time.Duration
	// CarPresent, CarStopped (by the car itself) and CarFull describe the
	// plugged-in car; LastDraw is when a car last drew 1 A or more.
	CarPresent, CarStopped, CarFull bool
	LastDraw                        time.Time
}

// Status returns the charger's present state.
func (c *Charger) Status() Status {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	now := c.s.clk.Now()
	c.advance(now)
	st := Status{ID: c.id, Linked: c.linked, Master: c.master, State: c.state(now),
		Offered: c.offered.Amps(), Actual: units.Amps(c.actual), Power: units.Watts(c.power()),
		KWh: c.wh / 1000, Heartbeats: c.heartbeats, MaxGap: c.maxGap, LastDraw: c.lastDraw}
	if c.car != nil {
		st.CarSoC, st.CarPresent, st.CarStopped, st.CarFull = c.car.SoC, true, c.car.Stopped, c.car.full()
	}
	return st
}
