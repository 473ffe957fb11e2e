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
}

// Status returns the charger's present state.
func (c *Charger) Status() Status {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	now := c.s.clk.Now()
	c.advance(now)
	st := Status{ID: c.id, Linked: c.linked, Master: c.master, State: c.state(now),
		Offered: c.offered.Amps(), Actual: units.Amps(c.actual), Power: units.Watts(c.power()),
		KWh: c.wh / 1000, Heartbeats: c.heartbeats, MaxGap: c.maxGap}
	if c.car != nil {
		st.CarSoC = c.car.SoC
	}
	return st
}
