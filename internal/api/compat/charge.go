package compat

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/units"
)

// busTimeout bounds a start or stop request to the bus master; it answers
// between two heartbeats, well within it.
const busTimeout = 5 * time.Second

// chargeNow is openWB's way to set the current: {chargeNowRate (A),
// chargeNowDuration (s)}, both positive.
func (s *server) chargeNow(w http.ResponseWriter, _ *http.Request, body []byte) error {
	f, err := parseFields(body)
	if err != nil {
		return err
	}
	rate, hasRate, err := f.integer("chargeNowRate", "16")
	if err != nil {
		return err
	}
	durn, hasDurn, err := f.integer("chargeNowDuration", "3600")
	if err != nil {
		return err
	}
	switch {
	case !hasRate:
		return missing("chargeNowRate", "the current in amps, e.g. 16")
	case !hasDurn:
		return missing("chargeNowDuration", "how long to charge, in seconds, e.g. 86400")
	case rate <= 0:
		return badField("chargeNowRate", "%d: must be positive; to stop Charge Now, POST /api/cancelChargeNow", rate)
	case durn <= 0:
		return badField("chargeNowDuration", "%d: must be positive (seconds)", durn)
	case durn > int64(api.MaxChargeNowDuration/time.Second):
		return badField("chargeNowDuration", "%d s is longer than allowed; allowed: 1 to %d s (366 days)", durn, int64(api.MaxChargeNowDuration/time.Second))
	}
	err = api.ChargeNow(s.b, units.Amps(rate), time.Duration(durn)*time.Second)
	if err := settingsError(err, chargeNowField); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"status": "success", "rate": rate, "duration": durn})
	return nil
}

func chargeNowField(path string) string {
	switch path {
	case "amps", "policy.charge_now.amps":
		return "chargeNowRate"
	case "duration", "policy.charge_now.until":
		return "chargeNowDuration"
	}
	return ""
}

// cancelChargeNow ends Charge Now; outside it nothing changes, and the answer
// is the same.
func (s *server) cancelChargeNow(w http.ResponseWriter, _ *http.Request, _ []byte) error {
	if err := settingsError(api.CancelChargeNow(s.b), noField); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, map[string]string{"status": "success"})
	return nil
}

func noField(string) string { return "" }

// sendStartCommand lets every linked charger charge again after a stop.
func (s *server) sendStartCommand(w http.ResponseWriter, r *http.Request, _ []byte) error {
	return s.everyCharger(w, r, "start", func(ctx context.Context, c bus.ChargerState) error {
		return s.b.StartCharging(ctx, c.ID)
	})
}

// sendStopCommand stops every linked charger the way the settings say cars
// are stopped, where the bus can: the relay command needs firmware 4.5.3,
// and there is no car API yet. Otherwise the charger is offered 0 A.
func (s *server) sendStopCommand(w http.ResponseWriter, r *http.Request, _ []byte) error {
	method := stopMethod(s.b.Settings().Policy.StopMethod)
	return s.everyCharger(w, r, "stop", func(ctx context.Context, c bus.ChargerState) error {
		err := s.b.StopCharging(ctx, c.ID, method)
		if err != nil && method != bus.StopZeroAmps && ctx.Err() == nil {
			s.log.Warn("compat: stop method refused; offering 0 A instead", "id", c.ID.String(), "method", method.String(), "err", err)
			err = s.b.StopCharging(ctx, c.ID, bus.StopZeroAmps)
		}
		return err
	})
}

func stopMethod(m config.StopMethod) bus.StopMethod {
	switch m {
	case config.StopCommand:
		return bus.StopRelay
	case config.StopResponding:
		return bus.StopSilence
	}
	return bus.StopZeroAmps
}

// everyCharger runs fn on each linked charger and answers TWCManager's 200
// with an empty body, or 503 naming the chargers the bus refused.
func (s *server) everyCharger(w http.ResponseWriter, r *http.Request, what string, fn func(context.Context, bus.ChargerState) error) error {
	ctx, cancel := context.WithTimeout(r.Context(), busTimeout)
	defer cancel()
	var failed []string
	for _, c := range s.b.Snapshot().Chargers {
		if err := fn(ctx, c); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", c.ID, err))
		}
	}
	if len(failed) > 0 {
		return &httpError{status: http.StatusServiceUnavailable, msg: "compat: could not " + what + " " + strings.Join(failed, "; ")}
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
