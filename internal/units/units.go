// Package units holds the physical quantities the appliance reasons about.
// The wire format has its own type (twc.Centiamps); conversion happens once,
// at the codec's edge.
package units

import (
	"fmt"
	"math"
)

// Amps is an electric current in amperes.
type Amps float64

// Volts is an electric potential in volts.
type Volts float64

// Watts is a power in watts.
type Watts float64

// WattHours is an energy in watt-hours.
type WattHours float64

func (a Amps) String() string      { return fmt.Sprintf("%.2f A", float64(a)) }
func (v Volts) String() string     { return fmt.Sprintf("%.0f V", float64(v)) }
func (w Watts) String() string     { return fmt.Sprintf("%.0f W", float64(w)) }
func (e WattHours) String() string { return fmt.Sprintf("%.3f kWh", float64(e)/1000) }

// Whole rounds a current down to whole amps: chargers are only ever offered
// integers, because alternating fractional offers confuse cars.
func (a Amps) Whole() Amps { return Amps(math.Floor(float64(a))) }

// Min returns the smallest of the given currents.
func Min(a Amps, more ...Amps) Amps {
	for _, b := range more {
		if b < a {
			a = b
		}
	}
	return a
}
