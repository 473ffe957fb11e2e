package vehicle

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twcmanager/twcmanager/config"
)

// refusal says why no car can be commanded at a charger, and whether the
// user can fix it (rather than it being how things are: the car is away).
type refusal struct {
	why string
	fix bool
}

// match finds the car at ch: the VIN the charger reports, or else the only
// car of the account at home. no says, when no car can be commanded, why
// not; err is a failed call.
func (m *Manager) match(ctx context.Context, api API, s config.Settings, ch *charger) (vin string, no *refusal, err error) {
	now := m.clk.Now()
	if v := ch.w.vin; v != "" {
		if c := m.cars[v]; (c == nil || !c.listed) && (m.listAt.IsZero() || now.Sub(m.listAt) >= unknownRefresh) {
			err := m.readCars(ctx, api)
			switch {
			case errors.Is(err, errBudget):
				// The list only confirms the VIN; a call to a car not on
				// the account fails by itself. The reserve is for starting.
				return v, nil, nil
			case err != nil:
				return "", nil, err
			}
		}
		if c := m.cars[v]; c == nil || !c.listed {
			return "", &refusal{fmt.Sprintf("the car at charger %s (VIN %s) is not on the Tesla account", ch.id, v), true}, nil
		}
		return v, nil, nil
	}
	if !s.Home.Set() {
		return "", &refusal{fmt.Sprintf("charger %s does not report its car's VIN (that needs charger firmware 4.5.3) and no home location is set, so the car cannot be identified: set the home location", ch.id), true}, nil
	}
	// With two chargers not reporting a VIN, the car at home could be at
	// either: a guess could stop the wrong car.
	taken := map[string]bool{}
	for _, o := range m.chargers {
		if o == ch || now.Sub(o.seen) > seenWindow {
			continue
		}
		if o.w.vin == "" {
			return "", &refusal{fmt.Sprintf("chargers %s and %s do not report their cars' VINs, so which car is at which cannot be told", ch.id, o.id), false}, nil
		}
		taken[o.w.vin] = true
	}
	if m.listAt.IsZero() || now.Sub(m.listAt) >= carsMaxAge {
		if err := m.readCars(ctx, api); err != nil {
			return "", nil, err
		}
	}
	var home, unknown []string
	for _, v := range m.order {
		c := m.cars[v]
		if taken[v] {
			continue
		}
		st, err := m.state(ctx, api, c, false)
		if errors.Is(err, ErrAsleep) {
			// A sleeping car has not moved since it was last read.
			if c.stateAt.IsZero() {
				unknown = append(unknown, c.label())
				continue
			}
			st, err = c.state, nil
		}
		if err != nil {
			return "", nil, err
		}
		switch at, known := where(s.Home, st); {
		case !known:
			unknown = append(unknown, c.label())
		case at:
			home = append(home, v)
		}
	}
	switch {
	case len(home) == 1 && len(unknown) == 0:
		return home[0], nil, nil
	case len(home) > 1:
		return "", &refusal{fmt.Sprintf("charger %s does not report its car's VIN and %d cars are at home, so which one is there cannot be told", ch.id, len(home)), false}, nil
	case len(unknown) > 0:
		return "", &refusal{fmt.Sprintf("charger %s does not report its car's VIN and where %s is cannot be told, so the car cannot be identified", ch.id, strings.Join(unknown, " and ")), false}, nil
	}
	return "", &refusal{fmt.Sprintf("charger %s does not report its car's VIN and no car on the Tesla account is at home: the car there is not one this appliance can command", ch.id), false}, nil
}
