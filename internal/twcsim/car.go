package twcsim

import (
	"time"

	"github.com/twcmanager/twcmanager/internal/units"
)

// Car is a simulated vehicle at a charger.
type Car struct {
	VIN        string // empty for a car that reports none (non-Tesla, CAN off)
	BatteryKWh float64
	SoC        float64 // 0..1 at plug-in
	Limit      float64 // stop at this SoC (0..1); 0 means 1
	MaxAmps    units.Amps
	// Phases the on-board charger uses: 1, or 3 on a three-phase supply.
	Phases int
	// LegacyMode is a car whose CAN link to the charger is off (DIP switch 2
	// down): FC B1 restarts it. In Tesla mode a relay stop needs a re-plug.
	LegacyMode bool
	// Stopped is the car's own charging switch, set through its app or API
	// (Charger.StopCar): a stopped car draws nothing whatever is offered,
	// until it is started again.
	Stopped bool
	// IgnoresZero is a car that, once charging on a protocol-2 charger,
	// keeps drawing about 5 A when 0 A is offered, as many do (protocol spec
	// §3.10): only its own stop, or the charger's relay, ends it.
	IgnoresZero bool
}

// Physics of the car model.
const (
	// carOffset is how far below the offer a car draws.
	carOffset = 0.8
	// carMinAmps: below this offer a car stops drawing.
	carMinAmps = 5.0
	// ignoredZeroAmps is the offer a car that ignores 0 A behaves as if given.
	ignoredZeroAmps = 6.0
	// startingTime is spent in state 08 while the car ramps to startAmps.
	startingTime = 3 * time.Second
	startAmps    = 1.3
	rampUpPerSec = 1.0
	// Cars shed current quickly when the offer drops.
	rampDownPerSec = 10.0
	efficiency     = 0.9
)

func (c *Car) full() bool {
	limit := c.Limit
	if limit <= 0 || limit > 1 {
		limit = 1
	}
	return c.SoC >= limit
}
