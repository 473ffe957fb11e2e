package energy

import (
	"fmt"
	"time"

	"github.com/twcmanager/twcmanager/internal/units"
)

// Reading is what a source measured. Grid is positive when importing,
// Battery positive when discharging; Has says which fields are present.
type Reading struct {
	At          time.Time
	Generation  units.Watts
	Consumption units.Watts
	Grid        units.Watts
	Battery     units.Watts
	BatterySoC  float64 // percent
	// Per-phase grid values, when the meter gives them.
	PhaseVolts [3]units.Volts
	PhaseAmps  [3]units.Amps
	Has        Has
}

// Has says which fields of a Reading are present.
type Has struct {
	Generation, Consumption, Grid, Battery, BatterySoC, Phases bool
}

func (r Reading) String() string {
	s := ""
	add := func(ok bool, name string, v any) {
		if ok {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%s %v", name, v)
		}
	}
	add(r.Has.Generation, "PV", r.Generation)
	add(r.Has.Consumption, "house", r.Consumption)
	add(r.Has.Grid, "grid", r.Grid)
	add(r.Has.Battery, "battery", r.Battery)
	add(r.Has.BatterySoC, "battery charge", fmt.Sprintf("%.0f %%", r.BatterySoC))
	if s == "" {
		return "no values"
	}
	return s
}

// Role is what a site takes from a source.
type Role string

// Roles.
const (
	RolePV          Role = "pv"          // generation
	RoleConsumption Role = "consumption" // house load
	RoleGrid        Role = "grid"        // import/export at the meter
	RoleBattery     Role = "battery"     // home battery power and charge
)

// Roles lists every role.
var Roles = []Role{RolePV, RoleConsumption, RoleGrid, RoleBattery}

// provides reports whether r carries the values of role.
func (r Reading) provides(role Role) bool {
	switch role {
	case RolePV:
		return r.Has.Generation
	case RoleConsumption:
		return r.Has.Consumption
	case RoleGrid:
		return r.Has.Grid
	case RoleBattery:
		return r.Has.Battery || r.Has.BatterySoC
	}
	return false
}
