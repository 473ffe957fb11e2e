package policy

import (
	"math"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Inputs is everything one evaluation looks at.
type Inputs struct {
	Now time.Time
	// ClockGood is false until the wall clock is known to be right; until
	// then schedules are not applied.
	ClockGood bool
	Settings  config.Settings
	Chargers  []Charger
	Energy    Reading
}

// Charger is a charger as the policy needs it.
type Charger struct {
	ID          twc.ID
	Protocol    twc.Protocol
	Advertised  units.Amps // maximum from its link-ready
	ProtocolMin units.Amps // 5 A (protocol 1) or 6 A
	State       twc.State
	Offered     units.Amps
	Actual      units.Amps
	// Volts and PhaseAmps come from the charger's meter when it reports
	// them (zero otherwise).
	Volts     [3]units.Volts
	PhaseAmps [3]units.Amps
	// CarSoC (0..1) and CarLimit (0..1) come from the car when known; -1 or 0
	// when not.
	CarSoC   float64
	CarLimit float64
	// VIN is the car's as the charger reports it (firmware 4.5.3); "" when
	// it reports none.
	VIN string
}

// CarPresent reports whether a car seems to be plugged in.
func (c Charger) CarPresent() bool { return c.State.CarPresent() || c.Actual >= 1 }

// Reading is the energy picture from the sources. Fields are in W; Grid is
// positive when importing, Battery positive when discharging.
type Reading struct {
	At          time.Time
	Generation  units.Watts
	Consumption units.Watts
	Grid        units.Watts
	Battery     units.Watts
	BatterySoC  float64 // percent
	Has         Has
	// Problem says why the reading is missing or partial, in words.
	Problem string
}

// Has says which fields of a Reading are present.
type Has struct {
	Generation, Consumption, Grid, Battery, BatterySoC bool
}

// Limits on what a reading may say before it is treated as garbage.
const maxPlausibleWatts = 1_000_000

func plausible(w units.Watts, signed bool) bool {
	v := float64(w)
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > maxPlausibleWatts {
		return false
	}
	return signed || v >= 0
}

// check drops the fields of r that are stale or implausible and says why.
func (r Reading) check(now time.Time, freshness time.Duration) (Reading, []string) {
	var notes []string
	if r.Problem != "" {
		notes = append(notes, r.Problem)
	}
	if r.At.IsZero() {
		if r.Has != (Has{}) || r.Problem == "" {
			notes = append(notes, "no energy reading yet")
		}
		return Reading{}, notes
	}
	if age := now.Sub(r.At); age > freshness {
		notes = append(notes, "energy reading is "+age.Round(time.Second).String()+" old (limit "+freshness.String()+"): treated as missing")
		return Reading{}, notes
	}
	drop := func(has *bool, w units.Watts, signed bool, name string) {
		if *has && !plausible(w, signed) {
			*has = false
			notes = append(notes, name+" reading "+w.String()+" is not plausible: treated as missing")
		}
	}
	drop(&r.Has.Generation, r.Generation, false, "generation")
	drop(&r.Has.Consumption, r.Consumption, false, "consumption")
	drop(&r.Has.Grid, r.Grid, true, "grid")
	drop(&r.Has.Battery, r.Battery, true, "battery")
	if r.Has.BatterySoC && (math.IsNaN(r.BatterySoC) || r.BatterySoC < 0 || r.BatterySoC > 100) {
		r.Has.BatterySoC = false
		notes = append(notes, "battery state of charge is not plausible: treated as missing")
	}
	return r, notes
}
