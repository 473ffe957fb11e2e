package api

import (
	"fmt"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/units"
)

// The actions every integration offers. Each changes the settings in force
// through Backend.SetSettings, so the policy acts on it at once and it
// survives a restart; an invalid request changes nothing.

// MaxChargeNowDuration is the longest Charge Now accepted with an end (a
// year); longer means "until changed", which SetMode(ModeNow) gives.
const MaxChargeNowDuration = 366 * 24 * time.Hour

// ChargeNow charges at amps (shared by the chargers, clamped by the wiring as
// always) for d, then returns to the mode in force before. d 0 charges until
// the mode is changed.
func ChargeNow(b Backend, amps units.Amps, d time.Duration) error {
	s := b.Settings()
	if d < 0 || d > MaxChargeNowDuration {
		return &config.FieldError{Field: "duration", Value: d.String(), Allowed: "0 (until changed) to 366 days"}
	}
	if lo, hi := s.Wiring.MinAmps, units.Amps(80); amps < lo || amps > hi {
		return &config.FieldError{Field: "amps", Value: float64(amps), Allowed: fmt.Sprintf("%g to %g A", float64(lo), float64(hi))}
	}
	p := &s.Policy
	if p.Mode != config.ModeNow {
		p.ChargeNow.Then = p.Mode
	}
	p.Mode = config.ModeNow
	p.ChargeNow.Amps = amps
	p.ChargeNow.Until = time.Time{}
	if d > 0 {
		p.ChargeNow.Until = b.Now().Add(d).Truncate(time.Second)
	}
	return b.SetSettings(s)
}

// CancelChargeNow ends Charge Now, back to the mode it interrupted. Outside
// Charge Now it changes nothing.
func CancelChargeNow(b Backend) error {
	s := b.Settings()
	if s.Policy.Mode != config.ModeNow {
		return nil
	}
	s.Policy.Mode = s.Policy.AfterNow()
	s.Policy.ChargeNow.Until = time.Time{}
	return b.SetSettings(s)
}

// SetMode switches to mode m. Switching to Now keeps the Now current and
// charges until the mode is changed again.
func SetMode(b Backend, m config.Mode) error {
	s := b.Settings()
	if m == config.ModeNow {
		if s.Policy.Mode != config.ModeNow {
			s.Policy.ChargeNow.Then = s.Policy.Mode
		}
		s.Policy.ChargeNow.Until = time.Time{}
	}
	s.Policy.Mode = m
	return b.SetSettings(s)
}

// SetNonScheduled sets what Schedule mode does outside its window, and the
// current of the fixed action (0 keeps the current one).
func SetNonScheduled(b Backend, action config.NonScheduledAction, amps units.Amps) error {
	s := b.Settings()
	s.Policy.NonScheduled.Action = action
	if amps > 0 {
		s.Policy.NonScheduled.Amps = amps
	}
	return b.SetSettings(s)
}

// SetSchedule replaces the weekly window.
func SetSchedule(b Backend, sc config.Schedule) error {
	s := b.Settings()
	s.Policy.Schedule = sc
	return b.SetSettings(s)
}

// Change applies fn to the settings in force and saves the result: for
// integrations that change a field no action above covers.
func Change(b Backend, fn func(*config.Settings) error) error {
	s := b.Settings()
	if err := fn(&s); err != nil {
		return err
	}
	return b.SetSettings(s)
}
