package sim

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Name is the source kind of the simulated site.
const Name = "simulated"

// Profiles names the standard days.
var Profiles = map[string]Day{"clear": ClearSummer, "clouds": BrokenClouds, "overcast": Overcast, "winter": Winter, "evening": EveningSpikes}

func init() {
	energy.RegisterKind(energy.Kind{
		Name: Name, Label: "Simulated PV and house (demo)",
		Roles:    []energy.Role{energy.RolePV, energy.RoleConsumption},
		Interval: 5 * time.Second,
	}, func(p Params) (energy.Source, error) { return New(p, clock.Real()) })
}

// Params configures the simulated site.
type Params struct {
	Profile string `json:"profile"` // clear, clouds, overcast, winter or evening (default clouds)
	Seed    uint64 `json:"seed"`
	// DayStart is the time of day the simulation shows when it starts, e.g.
	// "10:00", so that a demo has sun at any hour; empty follows the clock.
	DayStart string `json:"day_start"`
}

// Source is the simulated PV array and house. It reports generation and the
// house's own load; the chargers are not in it, so the policy counts them
// separately.
type Source struct {
	house  *House
	clk    clock.Clock
	origin time.Time
	shift  time.Duration
}

// New builds the source.
func New(p Params, clk clock.Clock) (*Source, error) {
	var c energy.Checks
	if p.Profile == "" {
		p.Profile = "clouds"
	}
	day, ok := Profiles[p.Profile]
	if !ok {
		c.Fail("profile", p.Profile, ProfileNames())
	}
	var start time.Duration
	if p.DayStart != "" {
		t, err := time.Parse("15:04", p.DayStart)
		if err != nil {
			c.Fail("day_start", p.DayStart, "a time of day as HH:MM, e.g. 10:00")
		}
		start = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	}
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	s := &Source{house: NewHouse(day, p.Seed), clk: clk, origin: clk.Now()}
	if p.DayStart != "" {
		y, m, d := s.origin.Date()
		midnight := time.Date(y, m, d, 0, 0, 0, 0, s.origin.Location())
		s.shift = start - s.origin.Sub(midnight)
	}
	return s, nil
}

// Read implements energy.Source.
func (s *Source) Read(ctx context.Context) (energy.Reading, error) {
	if err := ctx.Err(); err != nil {
		return energy.Reading{}, fmt.Errorf("%s: %w", Name, err)
	}
	pv, load := s.house.At(s.clk.Now().Add(s.shift))
	return energy.Reading{Generation: units.Watts(pv), Consumption: units.Watts(load),
		Has: energy.Has{Generation: true, Consumption: true}}, nil
}

// ProfileNames lists the profiles for forms and errors.
func ProfileNames() string {
	return strings.Join([]string{"clear", "clouds", "overcast", "winter", "evening"}, ", ")
}
