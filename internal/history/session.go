package history

import (
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Energy sources of a session.
const (
	FromMeter      = "meter"      // the charger's lifetime counter (whole kWh)
	FromIntegrated = "integrated" // volts × amps over time
)

// Session is one charging session at one charger.
type Session struct {
	ID      uint64    `json:"id"`
	Charger twc.ID    `json:"charger"`
	Start   time.Time `json:"start,omitzero"`
	End     time.Time `json:"end,omitzero"` // zero while charging
	Updated time.Time `json:"updated,omitzero"`
	VIN     string    `json:"vin,omitempty"`
	// EnergyWh is the session's energy from EnergySource.
	EnergyWh     float64 `json:"energy_wh"`
	EnergySource string  `json:"energy_source"`
	IntegratedWh float64 `json:"integrated_wh"`
	// The charger's lifetime counter at start and end, when it reports one.
	MeterStartKWh float64    `json:"meter_start_kwh,omitempty"`
	MeterEndKWh   float64    `json:"meter_end_kwh,omitempty"`
	PeakAmps      units.Amps `json:"peak_amps"`
	Mode          string     `json:"mode,omitempty"`
	// SolarWh is the part of the integrated energy the sun covered.
	SolarWh float64 `json:"solar_wh"`
	// ClockPending marks a session that began before the clock was good:
	// its Start is not known yet.
	ClockPending bool `json:"clock_pending,omitempty"`
	// EndUnknown marks a session a crash cut off before any time could be
	// stamped on it: it is over, but when is not known.
	EndUnknown bool `json:"end_unknown,omitempty"`
}

// Open reports whether the session is still running.
func (s Session) Open() bool { return s.End.IsZero() && !s.EndUnknown }

// SolarShare is the fraction (0..1) of the energy that came from surplus.
func (s Session) SolarShare() float64 {
	if s.IntegratedWh <= 0 {
		return 0
	}
	return min(s.SolarWh/s.IntegratedWh, 1)
}

// Duration is how long it ran (so far).
func (s Session) Duration(now time.Time) time.Duration {
	if s.Start.IsZero() {
		return 0
	}
	end := s.End
	if end.IsZero() {
		end = now
	}
	return end.Sub(s.Start)
}

// settle picks the energy figure: the lifetime counter when it reported at
// both ends, the integration otherwise.
func (s *Session) settle() {
	if s.MeterStartKWh > 0 && s.MeterEndKWh >= s.MeterStartKWh {
		s.EnergyWh, s.EnergySource = (s.MeterEndKWh-s.MeterStartKWh)*1000, FromMeter
		return
	}
	s.EnergyWh, s.EnergySource = s.IntegratedWh, FromIntegrated
}
