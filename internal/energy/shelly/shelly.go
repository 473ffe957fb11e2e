// Package shelly reads a Shelly energy meter on the local network: the
// first-generation EM and 3EM (/status) or the Pro 3EM and later
// (/rpc/EM.GetStatus). The meter sits either on the grid connection or on
// the PV feed; the user says which.
package shelly

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Name is the source kind.
const Name = "shelly"

func init() {
	energy.RegisterKind(energy.Kind{
		Name: Name, Label: "Shelly energy meter",
		Roles: []energy.Role{energy.RoleGrid, energy.RolePV},
		// The meter measures every second; its small processor should not
		// be asked much more often than this.
		Interval: 5 * time.Second,
	}, func(p Params) (energy.Source, error) { return New(p) })
}

// Params configures the source.
type Params struct {
	// URL of the meter, e.g. http://192.168.1.50.
	URL string `json:"url"`
	// Generation is "gen1" (EM, 3EM) or "gen2" (Pro 3EM and later, in
	// three-phase profile).
	Generation string `json:"generation"`
	// Role is what the meter measures: "grid" (the grid connection) or
	// "pv" (the feed of the PV inverter).
	Role string `json:"role"`
	// Channel, for gen1 only, takes one clamp instead of the sum of all:
	// a Shelly EM often measures the grid on one clamp and PV on the other.
	Channel *int `json:"channel,omitempty"`
}

// Validate names every bad field.
func (p Params) Validate() error {
	var c energy.Checks
	c.URL("url", p.URL)
	if p.Generation != "gen1" && p.Generation != "gen2" {
		c.Fail("generation", p.Generation, `"gen1" (Shelly EM, 3EM) or "gen2" (Shelly Pro 3EM and later)`)
	}
	if p.Role != string(energy.RoleGrid) && p.Role != string(energy.RolePV) {
		c.Fail("role", p.Role, `"grid" (meter on the grid connection) or "pv" (meter on the PV feed)`)
	}
	if p.Channel != nil && (p.Generation != "gen1" || *p.Channel < 0 || *p.Channel > 2) {
		c.Fail("channel", *p.Channel, "0 to 2, with generation gen1 only; leave it out to sum all clamps")
	}
	return c.Err()
}

// Source reads one meter.
type Source struct {
	url     string
	gen2    bool
	pv      bool
	channel int // -1: all
}

// New validates p and returns the source.
func New(p Params) (*Source, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	s := &Source{url: strings.TrimSuffix(p.URL, "/"), gen2: p.Generation == "gen2", pv: p.Role == string(energy.RolePV), channel: -1}
	if p.Channel != nil {
		s.channel = *p.Channel
	}
	if s.gen2 {
		s.url += "/rpc/EM.GetStatus?id=0"
	} else {
		s.url += "/status"
	}
	return s, nil
}

// status1 is a first-generation /status, of which only the meters matter.
// The EM gives no current per clamp.
type status1 struct {
	Emeters *[]struct {
		Power   *float64 `json:"power"`
		Voltage *float64 `json:"voltage"`
		Current *float64 `json:"current"`
		IsValid *bool    `json:"is_valid"`
	} `json:"emeters"`
}

// status2 is EM.GetStatus of a three-phase meter.
type status2 struct {
	Total *float64 `json:"total_act_power"`
	AV    *float64 `json:"a_voltage"`
	AI    *float64 `json:"a_current"`
	BV    *float64 `json:"b_voltage"`
	BI    *float64 `json:"b_current"`
	CV    *float64 `json:"c_voltage"`
	CI    *float64 `json:"c_current"`
}

// Read implements energy.Source.
func (s *Source) Read(ctx context.Context) (energy.Reading, error) {
	req, err := http.NewRequest(http.MethodGet, s.url, nil)
	if err != nil {
		return energy.Reading{}, fmt.Errorf("%s: %w", Name, err)
	}
	read := s.read1
	if s.gen2 {
		read = s.read2
	}
	power, volts, amps, err := read(ctx, req)
	if err != nil {
		return energy.Reading{}, fmt.Errorf("%s: read meter: %w", Name, err)
	}
	if s.pv {
		// A clamp on the PV feed reads positive or negative depending on
		// which way it was put on; generation is the magnitude.
		return energy.Reading{Generation: units.Watts(math.Abs(power)), Has: energy.Has{Generation: true}}, nil
	}
	// On the grid connection the meter reads positive when importing and
	// negative when exporting, the sign of Reading.Grid.
	r := energy.Reading{Grid: units.Watts(power), Has: energy.Has{Grid: true}}
	phases := true
	for i := range 3 {
		if volts[i] == nil || amps[i] == nil {
			phases = false
			break
		}
		r.PhaseVolts[i], r.PhaseAmps[i] = units.Volts(*volts[i]), units.Amps(*amps[i])
	}
	if phases {
		r.Has.Phases = true
	} else {
		r.PhaseVolts, r.PhaseAmps = [3]units.Volts{}, [3]units.Amps{}
	}
	return r, nil
}

func (s *Source) read1(ctx context.Context, req *http.Request) (power float64, volts, amps [3]*float64, err error) {
	var st status1
	if err = get(ctx, req, &st); err != nil {
		return
	}
	if st.Emeters == nil || len(*st.Emeters) == 0 {
		return 0, volts, amps, errors.New("field emeters missing; is this a Shelly EM or 3EM?")
	}
	ms := *st.Emeters
	if s.channel >= len(ms) {
		return 0, volts, amps, fmt.Errorf("channel %d asked for, the meter has %d", s.channel, len(ms))
	}
	for i, m := range ms {
		if s.channel >= 0 && i != s.channel {
			continue
		}
		if m.Power == nil {
			return 0, volts, amps, fmt.Errorf("field emeters[%d].power missing", i)
		}
		if m.IsValid != nil && !*m.IsValid {
			return 0, volts, amps, fmt.Errorf("the meter marks channel %d invalid (clamp or voltage not connected?)", i)
		}
		power += *m.Power
	}
	// Three clamps of a 3EM are the three phases; an EM's two clamps are
	// two circuits, not phases.
	if len(ms) == 3 && s.channel < 0 {
		for i, m := range ms {
			volts[i], amps[i] = m.Voltage, m.Current
		}
	}
	return power, volts, amps, nil
}

func (s *Source) read2(ctx context.Context, req *http.Request) (power float64, volts, amps [3]*float64, err error) {
	var st status2
	if err = get(ctx, req, &st); err != nil {
		return
	}
	if st.Total == nil {
		return 0, volts, amps, errors.New("field total_act_power missing; is the meter in its three-phase profile?")
	}
	return *st.Total, [3]*float64{st.AV, st.BV, st.CV}, [3]*float64{st.AI, st.BI, st.CI}, nil
}

func get(ctx context.Context, req *http.Request, v any) error {
	err := energy.GetJSON(ctx, nil, req, v)
	var se *energy.StatusError
	if errors.As(err, &se) && se.Code == http.StatusUnauthorized {
		return fmt.Errorf("%w; logging in to a Shelly is not supported yet: turn off its authentication (restricted login) in the device's settings", err)
	}
	return err
}
