package energy

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Assignment says which roles a site takes from which poller.
type Assignment struct {
	Poller *Poller
	Roles  []Role
}

// Site combines pollers by role.
type Site struct {
	byRole map[Role]*Poller
}

// NewSite checks that every role is taken from at most one source and that
// each source can fill the roles it is given.
func NewSite(as []Assignment) (*Site, error) {
	s := &Site{byRole: map[Role]*Poller{}}
	for _, a := range as {
		for _, r := range a.Roles {
			if !slices.Contains(Roles, r) {
				return nil, fmt.Errorf("energy: %s: unknown role %q; roles are pv, consumption, grid, battery", a.Poller.Name(), r)
			}
			if other, dup := s.byRole[r]; dup {
				return nil, fmt.Errorf("energy: role %s is given to both %s and %s; give each role to one source", r, other.Name(), a.Poller.Name())
			}
			s.byRole[r] = a.Poller
		}
	}
	return s, nil
}

// Combined is a site's reading: each field from the source given its role,
// fields whose source is stale or failing left out, and the problems in
// words.
type Combined struct {
	Reading
	Problems []string
}

// Reading combines the latest statuses. A role's value is used only if its
// source's last good reading is at most freshness old.
func (s *Site) Reading(now time.Time, freshness time.Duration) Combined {
	var c Combined
	for _, role := range Roles {
		p, ok := s.byRole[role]
		if !ok {
			continue
		}
		st := p.Status()
		r := st.Reading
		fresh := !r.At.IsZero() && now.Sub(r.At) <= freshness
		switch {
		case fresh && r.provides(role):
			take(&c.Reading, r, role)
			if c.At.IsZero() || r.At.Before(c.At) {
				c.At = r.At
			}
			continue
		case st.Err != nil:
			c.Problems = append(c.Problems, fmt.Sprintf("%s (%s): %v, since %s", p.Name(), role, st.Err, st.ErrSince.Format("15:04:05")))
		case r.At.IsZero():
			c.Problems = append(c.Problems, fmt.Sprintf("%s (%s): no reading yet", p.Name(), role))
		case !fresh:
			c.Problems = append(c.Problems, fmt.Sprintf("%s (%s): last reading is %v old", p.Name(), role, now.Sub(r.At).Round(time.Second)))
		default:
			c.Problems = append(c.Problems, fmt.Sprintf("%s does not report %s values", p.Name(), role))
		}
	}
	c.Problems = slices.Compact(c.Problems)
	return c
}

// Problem joins the problems into one sentence.
func (c Combined) Problem() string { return strings.Join(c.Problems, "; ") }

func take(dst *Reading, r Reading, role Role) {
	switch role {
	case RolePV:
		dst.Generation, dst.Has.Generation = r.Generation, true
	case RoleConsumption:
		dst.Consumption, dst.Has.Consumption = r.Consumption, true
	case RoleGrid:
		dst.Grid, dst.Has.Grid = r.Grid, true
		if r.Has.Phases {
			dst.PhaseVolts, dst.PhaseAmps, dst.Has.Phases = r.PhaseVolts, r.PhaseAmps, true
		}
	case RoleBattery:
		dst.Battery, dst.Has.Battery = r.Battery, r.Has.Battery
		dst.BatterySoC, dst.Has.BatterySoC = r.BatterySoC, r.Has.BatterySoC
	}
}
