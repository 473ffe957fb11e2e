package tesla

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// Cars lists the account's cars: one data request.
func (c *Client) Cars(ctx context.Context) ([]vehicle.Car, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var out struct {
		Response []struct {
			VIN   string `json:"vin"`
			Name  string `json:"display_name"`
			State string `json:"state"`
		} `json:"response"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/1/vehicles", nil, &out); err != nil {
		return nil, fmt.Errorf("tesla: list the cars: %w", err)
	}
	cars := make([]vehicle.Car, 0, len(out.Response))
	for _, v := range out.Response {
		cars = append(cars, vehicle.Car{VIN: v.VIN, Name: v.Name, Online: v.State == "online"})
	}
	return cars, nil
}

// chargeStateJSON is the part of vehicle_data the appliance reads.
type chargeStateJSON struct {
	State       string `json:"state"`
	ChargeState *struct {
		BatteryLevel   float64 `json:"battery_level"`
		ChargeLimitSOC float64 `json:"charge_limit_soc"`
		ChargingState  string  `json:"charging_state"`
		ActualCurrent  float64 `json:"charger_actual_current"`
		CurrentRequest float64 `json:"charge_current_request"`
		// Scheduled charging: pending while the car waits for its own
		// start time (StartAt) or for the start it computed from a
		// departure time (DepartBy). Times are Unix seconds.
		ScheduledPending   bool     `json:"scheduled_charging_pending"`
		ScheduledStartTime *float64 `json:"scheduled_charging_start_time"`
		ScheduledDeparture *float64 `json:"scheduled_departure_time"`
		Timestamp          int64    `json:"timestamp"` // Unix milliseconds
	} `json:"charge_state"`
	DriveState *struct {
		Latitude  *float64 `json:"latitude"`
		Longitude *float64 `json:"longitude"`
	} `json:"drive_state"`
}

// ChargeState reads one car's charging and location: one data request.
// A sleeping car gives vehicle.ErrAsleep; reading does not wake it.
func (c *Client) ChargeState(ctx context.Context, vin string) (vehicle.ChargeState, error) {
	if !validVIN(vin) {
		return vehicle.ChargeState{}, fmt.Errorf("tesla: charge state of %q: %w", vin, vehicle.ErrUnknownVIN)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var out struct {
		Response chargeStateJSON `json:"response"`
	}
	path := "/api/1/vehicles/" + vin + "/vehicle_data?endpoints=charge_state%3Blocation_data"
	if err := c.call(ctx, http.MethodGet, path, nil, &out); err != nil {
		return vehicle.ChargeState{}, fmt.Errorf("tesla: charge state of %s: %w", vin, err)
	}
	r := out.Response
	if r.ChargeState == nil {
		return vehicle.ChargeState{}, fmt.Errorf("tesla: charge state of %s: the answer has no charge_state; it is read again later", vin)
	}
	cs := r.ChargeState
	st := vehicle.ChargeState{
		At:          c.clk.Now(),
		SoC:         cs.BatteryLevel,
		Limit:       cs.ChargeLimitSOC,
		Charging:    cs.ChargingState,
		Amps:        cs.ActualCurrent,
		RequestAmps: cs.CurrentRequest,
	}
	if cs.Timestamp > 0 {
		st.At = time.UnixMilli(cs.Timestamp)
	}
	if cs.ScheduledPending {
		switch {
		case cs.ScheduledStartTime != nil && *cs.ScheduledStartTime > 0:
			st.ScheduledStart = time.Unix(int64(*cs.ScheduledStartTime), 0)
		case cs.ScheduledDeparture != nil && *cs.ScheduledDeparture > 0:
			st.ScheduledStart = time.Unix(int64(*cs.ScheduledDeparture), 0)
		default:
			// Waiting, but for a time the car does not say: mark it
			// waiting from now so the schedule is still respected.
			st.ScheduledStart = st.At
		}
	}
	if d := r.DriveState; d != nil && d.Latitude != nil && d.Longitude != nil {
		st.Lat, st.Lon, st.HasLocation = *d.Latitude, *d.Longitude, true
	}
	return st, nil
}

// Wake asks Tesla to wake a car: one wake request. The car takes some
// seconds to come online; until then ChargeState and Command return
// vehicle.ErrAsleep, and asking again would be billed again.
func (c *Client) Wake(ctx context.Context, vin string) error {
	if !validVIN(vin) {
		return fmt.Errorf("tesla: wake %q: %w", vin, vehicle.ErrUnknownVIN)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var out struct {
		Response struct {
			State string `json:"state"`
		} `json:"response"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/1/vehicles/"+vin+"/wake_up", nil, &out); err != nil {
		return fmt.Errorf("tesla: wake %s: %w", vin, err)
	}
	c.log.Debug("tesla: wake sent", "vin", vin, "state", out.Response.State)
	return nil
}

// validVIN reports whether s is a 17-character VIN; checking it first
// also keeps anything else out of request paths.
func validVIN(s string) bool {
	if len(s) != 17 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}
