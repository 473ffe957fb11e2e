package api

import (
	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/units"
)

// The appliance as one charger of evcc's "custom" type (docs/evcc.yaml):
// evcc decides the current, the appliance shares it among its chargers and
// clamps it to the wiring as always. evcc's enable maps to Now mode (on) and
// Off (off); its maxcurrent to the Now current.

// EVCC is the answer of GET /api/v1/evcc.
type EVCC struct {
	// Status is IEC 61851's: A no car, B car connected, C charging.
	Status  string  `json:"status"`
	Enabled bool    `json:"enabled"`
	PowerW  float64 `json:"power_w"`
	// EnergyKWh is the chargers' lifetime meters together.
	EnergyKWh  float64    `json:"energy_kwh"`
	MaxCurrent float64    `json:"max_current"`
	Currents   [3]float64 `json:"currents"`
}

func evccState(b Backend) EVCC {
	s := b.Settings()
	snap := b.Snapshot()
	out := EVCC{Status: "A", Enabled: s.Policy.ActiveMode(b.Now()) == config.ModeNow, MaxCurrent: float64(s.Policy.ChargeNow.Amps)}
	for i, c := range policy.FromSnapshot(snap) {
		switch {
		case c.Actual >= 1 || snap.Chargers[i].Charging:
			out.Status = "C"
		case c.CarPresent() && out.Status == "A":
			out.Status = "B"
		}
		out.PowerW += policy.Power(c, s.Electrical)
		out.EnergyKWh += snap.Chargers[i].Info.LifetimeKWh
		out.Currents[0] += float64(c.Actual)
	}
	if s.Electrical.Phases == 3 {
		out.Currents[1], out.Currents[2] = out.Currents[0], out.Currents[0]
	}
	return out
}

func evccEnable(b Backend, on bool) (EVCC, error) {
	m := config.ModeOff
	if on {
		m = config.ModeNow
	}
	if err := SetMode(b, m); err != nil {
		return EVCC{}, err
	}
	return evccState(b), nil
}

func evccMaxCurrent(b Backend, amps units.Amps) (EVCC, error) {
	err := Change(b, func(s *config.Settings) error {
		if lo := s.Wiring.MinAmps; amps < lo || amps > 80 {
			return &config.FieldError{Field: "amps", Value: float64(amps), Allowed: "the minimum current (" + lo.String() + ") to 80 A"}
		}
		s.Policy.ChargeNow.Amps = amps
		return nil
	})
	if err != nil {
		return EVCC{}, err
	}
	return evccState(b), nil
}
