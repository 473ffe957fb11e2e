// Package homeassistant reads power values from Home Assistant sensors
// through its REST API (GET /api/states/<entity_id>), one entity per value:
// whatever integration feeds Home Assistant can feed the charger.
package homeassistant

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Name is the source kind.
const Name = "homeassistant"

func init() {
	energy.RegisterKind(energy.Kind{
		Name: Name, Label: "Home Assistant sensors",
		Roles: []energy.Role{energy.RolePV, energy.RoleConsumption, energy.RoleGrid, energy.RoleBattery},
	}, func(p Params) (energy.Source, error) { return New(p) })
}

// Params configures the source. Each entity is optional; at least one is
// needed.
type Params struct {
	// URL of Home Assistant, e.g. http://homeassistant.local:8123.
	URL string `json:"url"`
	// Token is a long-lived access token (user profile, Security).
	Token              secret.String `json:"token"`
	PVEntity           string        `json:"pv_entity,omitempty"`
	ConsumptionEntity  string        `json:"consumption_entity,omitempty"`
	GridEntity         string        `json:"grid_entity,omitempty"`
	BatteryEntity      string        `json:"battery_entity,omitempty"`
	BatterySoCEntity   string        `json:"battery_soc_entity,omitempty"` // percent
	GridExportPositive bool          `json:"grid_export_positive,omitempty"`
	// BatteryChargePositive is for integrations whose battery power is
	// positive when charging.
	BatteryChargePositive bool `json:"battery_charge_positive,omitempty"`
}

// entityID is Home Assistant's form: domain.object_id, lower case.
var entityID = regexp.MustCompile(`^[a-z0-9_]+\.[a-z0-9_]+$`)

// Validate names every bad field.
func (p Params) Validate() error {
	var c energy.Checks
	c.URL("url", p.URL)
	c.Required("token", p.Token.Reveal(), "a long-lived access token (Home Assistant: your profile, Security)")
	set := 0
	for _, e := range p.entities() {
		if *e.id != "" {
			set++
			if !entityID.MatchString(*e.id) {
				c.Fail(e.field, *e.id, "an entity ID such as sensor.grid_power (lower case, as Home Assistant shows it)")
			}
		}
	}
	if set == 0 {
		c.Fail("pv_entity", "empty", "at least one of pv_entity, consumption_entity, grid_entity, battery_entity, battery_soc_entity")
	}
	return c.Err()
}

type value int

const (
	pv value = iota
	consumption
	grid
	battery
	soc
)

type entity struct {
	field string
	id    *string
	value value
}

func (p *Params) entities() []entity {
	return []entity{
		{"pv_entity", &p.PVEntity, pv},
		{"consumption_entity", &p.ConsumptionEntity, consumption},
		{"grid_entity", &p.GridEntity, grid},
		{"battery_entity", &p.BatteryEntity, battery},
		{"battery_soc_entity", &p.BatterySoCEntity, soc},
	}
}

// Source reads one Home Assistant's sensors.
type Source struct {
	base     string
	token    secret.String
	entities []entity // the configured ones
	// Signs to turn the sensors' into Reading's (+1 or -1).
	gridSign, batterySign float64
}

// New validates p and returns the source.
func New(p Params) (*Source, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	s := &Source{base: strings.TrimSuffix(p.URL, "/") + "/api/states/", token: p.Token, gridSign: 1, batterySign: 1}
	for _, e := range p.entities() {
		if *e.id != "" {
			s.entities = append(s.entities, e)
		}
	}
	if p.GridExportPositive {
		s.gridSign = -1 // Reading: grid positive when importing
	}
	if p.BatteryChargePositive {
		s.batterySign = -1 // Reading: battery positive when discharging
	}
	return s, nil
}

// Format prints the source without its token: fmt cannot call the token's
// own masking Format through an unexported field.
func (s *Source) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "%s source %s", Name, s.base) }

// state is the documented answer, of which the state and its unit matter.
type state struct {
	State      *string `json:"state"`
	Attributes struct {
		Unit string `json:"unit_of_measurement"`
	} `json:"attributes"`
}

// Read implements energy.Source. Entities are read one after another;
// Home Assistant answers each from memory.
func (s *Source) Read(ctx context.Context) (energy.Reading, error) {
	var r energy.Reading
	for _, e := range s.entities {
		v, err := s.get(ctx, *e.id, e.value == soc)
		if err != nil {
			return energy.Reading{}, fmt.Errorf("%s: read %s: %w", Name, *e.id, err)
		}
		switch e.value {
		case pv:
			r.Generation, r.Has.Generation = units.Watts(v), true
		case consumption:
			r.Consumption, r.Has.Consumption = units.Watts(v), true
		case grid:
			r.Grid, r.Has.Grid = units.Watts(s.gridSign*v+0), true // + 0: never -0
		case battery:
			r.Battery, r.Has.Battery = units.Watts(s.batterySign*v+0), true
		case soc:
			r.BatterySoC, r.Has.BatterySoC = v, true
		}
	}
	return r, nil
}

// get reads one entity: watts for a power sensor, percent for charge.
func (s *Source) get(ctx context.Context, id string, percent bool) (float64, error) {
	req, err := http.NewRequest(http.MethodGet, s.base+url.PathEscape(id), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token.Reveal())
	var st state
	if err := energy.GetJSON(ctx, nil, req, &st); err != nil {
		var se *energy.StatusError
		switch {
		case errors.As(err, &se) && se.Code == http.StatusNotFound:
			return 0, fmt.Errorf("HTTP %s: entity %s does not exist in Home Assistant", se.Status, id)
		case errors.As(err, &se) && se.Code == http.StatusUnauthorized:
			return 0, fmt.Errorf("%w; create a new long-lived access token", err)
		}
		return 0, err
	}
	if st.State == nil {
		return 0, errors.New("field state missing")
	}
	if *st.State == "unavailable" || *st.State == "unknown" {
		return 0, fmt.Errorf("entity %s is %s in Home Assistant; is its device or integration running?", id, *st.State)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(*st.State), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("state %q of %s is not a number", *st.State, id)
	}
	unit := st.Attributes.Unit
	switch {
	case percent && (unit == "%" || unit == ""):
		return v, nil
	case percent:
		return 0, fmt.Errorf("%s is in unit %q; a charge in %% is needed", id, unit)
	case unit == "W" || unit == "": // template sensors often lack a unit: take W
		return v, nil
	case unit == "kW":
		return v * 1000, nil
	}
	return 0, fmt.Errorf("%s is in unit %q; a power sensor in W or kW is needed", id, unit)
}
