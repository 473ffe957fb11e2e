package compat

import (
	"fmt"
	"net/http"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
)

// getStatus is TWCManager's status with its types: watts and amps as
// strings with two decimals, chargerLoadAmps a one-element array (a Python
// tuple by accident), consumption and generation amps an array when
// non-zero and a plain string when zero. Dashboards parse exactly that.
func (s *server) getStatus(w http.ResponseWriter, _ *http.Request) {
	set := s.b.Settings()
	snap := s.b.Snapshot()
	d, ok := s.lastDecision()
	el := set.Electrical

	cars := 0
	var load, amps float64
	for _, c := range snap.Chargers {
		load += power(c, el)
		amps += float64(c.Actual)
		if c.Charging {
			cars++
		}
	}
	name, green := activePolicy(d, ok, set.Policy)
	perAmp := float64(el.Volts) * float64(el.Phases)
	// What the rule shares among the chargers: a fixed rule's current, or
	// the current the power for charging buys (as the MQTT status says).
	divide := float64(d.Budget)
	if divide <= 0 && d.Available > 0 && perAmp > 0 {
		divide = float64(d.Available) / perAmp
	}
	data := map[string]any{
		"carsCharging":               cars,
		"chargerLoadWatts":           twoPlaces(load),
		"chargerLoadAmps":            []string{twoPlaces(amps)},
		"currentPolicy":              name,
		"maxAmpsToDivideAmongSlaves": twoPlaces(divide),
		"isGreenPolicy":              yesNo(green),
	}

	consumption, generation := s.site(set)
	data["consumptionWatts"], data["consumptionAmps"] = twoPlaces(consumption), quirkAmps(consumption, perAmp)
	data["generationWatts"], data["generationAmps"] = twoPlaces(generation), quirkAmps(generation, perAmp)

	p := set.Policy
	now := s.b.Now()
	if p.ActiveMode(now) == config.ModeNow {
		data["chargeNowAmps"] = float64(p.ChargeNow.Amps)
		if !p.ChargeNow.Until.IsZero() {
			data["chargeNowTimeEnd"] = p.ChargeNow.Until.Unix()
		}
	}
	for k, v := range scheduleStatus(p) {
		data[k] = v
	}
	api.WriteJSON(w, http.StatusOK, data)
}

// site is the house's consumption and generation in W, with the consumption
// offsets added the way TWCManager shows them: a positive total adds to the
// consumption, a negative one to the generation.
func (s *server) site(set config.Settings) (consumption, generation float64) {
	r := s.b.Energy().Reading
	if r.Has.Consumption {
		consumption = max(float64(r.Consumption), 0)
	}
	if r.Has.Generation {
		generation = max(float64(r.Generation), 0)
	}
	var offset float64
	for _, o := range set.Policy.Offsets {
		if o.Unit == config.UnitAmps {
			offset += o.Value * float64(set.Electrical.Volts)
		} else {
			offset += o.Value
		}
	}
	if offset > 0 {
		consumption += offset
	} else {
		generation -= offset
	}
	return consumption, generation
}

// scheduleStatus is getStatus's schedule part. A schedule counts as enabled
// when Schedule mode is chosen (or comes back after Charge Now); otherwise
// the window shows as TWCManager shows a cleared one: -1 and no day.
func scheduleStatus(p config.Policy) map[string]any {
	sc := p.Schedule
	base := p.Mode
	if base == config.ModeNow {
		base = p.AfterNow()
	}
	enabled := base == config.ModeSchedule && sc.Amps > 0
	var startHour, endHour any = -1, -1
	startMinute, endMinute := -1, -1
	var days [7]bool
	amps := 0.0
	if enabled {
		// TWCManager truncates the start hour to a whole number and keeps
		// the end hour as stored, a fraction when it is not on the hour.
		startHour, endHour = sc.StartMinute/60, float64(sc.EndMinute)/60
		startMinute, endMinute = sc.StartMinute, sc.EndMinute
		days, amps = sc.Days, float64(sc.Amps)
	}
	flexStart := 0
	if sc.FinishBy {
		flexStart = 1
	}
	c := map[string]any{
		"enabled":            enabled,
		"amps":               amps,
		"startingMinute":     startMinute,
		"endingMinute":       endMinute,
		"flexStartEnabled":   flexStart,
		"flexStartingMinute": startMinute,
		"flexEndingMinute":   endMinute,
		"flexBatterySize":    sc.BatteryKWh,
	}
	for _, d := range weekdays {
		c[d.key] = days[d.day]
		c["flex"+d.title] = days[d.day]
	}
	return map[string]any{
		"scheduledChargingStartHour": startHour,
		"scheduledChargingFlexStart": startHour,
		"scheduledChargingEndHour":   endHour,
		"ScheduledCharging":          c,
	}
}

func twoPlaces(x float64) string { return fmt.Sprintf("%.2f", x) }

// quirkAmps is TWCManager's consumptionAmps/generationAmps: a one-element
// array of a string when there is power, the bare string "0.00" when not.
func quirkAmps(watts, perAmp float64) any {
	if watts == 0 || perAmp <= 0 {
		return twoPlaces(0)
	}
	return []string{twoPlaces(watts / perAmp)}
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}
