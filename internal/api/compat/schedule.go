package compat

import (
	"net/http"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/units"
)

// weekdays are TWCManager's day fields, Monday first as in its bitmap.
var weekdays = []struct {
	key, title string
	day        time.Weekday
}{
	{"monday", "Monday", time.Monday},
	{"tuesday", "Tuesday", time.Tuesday},
	{"wednesday", "Wednesday", time.Wednesday},
	{"thursday", "Thursday", time.Thursday},
	{"friday", "Friday", time.Friday},
	{"saturday", "Saturday", time.Saturday},
	{"sunday", "Sunday", time.Sunday},
}

// setScheduledChargingSettings sets the weekly window and switches Schedule
// mode on ({enabled: true, startingMinute, endingMinute, amps, monday …
// sunday, flexStartEnabled, flexBatterySize}) or off ({enabled: false}).
// TWCManager clears the window when anything is invalid; here an invalid
// request is refused with the field named, and changes nothing.
func (s *server) setScheduledChargingSettings(w http.ResponseWriter, _ *http.Request, body []byte) error {
	f, err := parseFields(body)
	if err != nil {
		return err
	}
	enabled, hasEnabled, err := f.boolean("enabled")
	if err != nil {
		return err
	}
	if !hasEnabled {
		return missing("enabled", "true to charge on the schedule, false to stop using it")
	}
	flexStart, hasFlexStart, err := f.boolean("flexStartEnabled")
	if err != nil {
		return err
	}
	battery, hasBattery, err := f.integer("flexBatterySize", "75")
	if err != nil {
		return err
	}
	// The window is read even when the schedule is switched off: a value
	// of the wrong type is refused either way, but only an enabled window
	// must be complete and in range (TWCManager's page sends -1 then).
	sc, err := readWindow(f, enabled)
	if err != nil {
		return err
	}
	err = api.Change(s.b, func(set *config.Settings) error {
		p := &set.Policy
		if hasFlexStart {
			p.Schedule.FinishBy = flexStart
		}
		if hasBattery {
			p.Schedule.BatteryKWh = float64(battery)
		}
		if enabled {
			p.Schedule.StartMinute, p.Schedule.EndMinute = sc.start, sc.end
			p.Schedule.Amps, p.Schedule.Days = sc.amps, sc.days
			setBaseMode(p, config.ModeSchedule)
			return nil
		}
		if baseMode(*p) == config.ModeSchedule {
			setBaseMode(p, withoutSchedule(p.NonScheduled.Action))
		}
		return nil
	})
	if err := settingsError(err, scheduleField); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

type scheduleRequest struct {
	start, end int
	amps       units.Amps
	days       [7]bool
}

// readWindow reads the window; when enabled, every part must be there and
// valid.
func readWindow(f fields, enabled bool) (scheduleRequest, error) {
	var sc scheduleRequest
	for _, m := range []struct {
		name string
		to   *int
	}{{"startingMinute", &sc.start}, {"endingMinute", &sc.end}} {
		v, present, err := f.integer(m.name, "1320")
		switch {
		case err != nil:
			return sc, err
		case !enabled:
		case !present:
			return sc, missing(m.name, "minutes after midnight, 0 to 1439")
		case v < 0 || v >= 24*60:
			return sc, badField(m.name, "%d: want minutes after midnight, 0 to 1439", v)
		}
		*m.to = int(v)
	}
	amps, present, err := f.integer("amps", "16")
	switch {
	case err != nil:
		return sc, err
	case !enabled:
	case sc.start == sc.end:
		return sc, badField("endingMinute", "%d: the window must end at a time different from its start", sc.end)
	case !present:
		return sc, missing("amps", "the current in amps while the schedule runs")
	case amps <= 0:
		return sc, badField("amps", "%d: must be positive", amps)
	case amps > 80:
		return sc, badField("amps", "%d: no Wall Connector takes more than 80 A", amps)
	}
	sc.amps = units.Amps(amps)
	someDay := false
	for _, d := range weekdays {
		on, _, err := f.boolean(d.key)
		if err != nil {
			return sc, err
		}
		sc.days[d.day] = on
		someDay = someDay || on
	}
	if enabled && !someDay {
		return sc, badField("monday", "no weekday is set: set at least one of %s to true", dayKeys())
	}
	return sc, nil
}

func dayKeys() string {
	keys := make([]string, len(weekdays))
	for i, d := range weekdays {
		keys[i] = d.key
	}
	return strings.Join(keys, ", ")
}

// baseMode is the mode in force apart from Charge Now: the one Charge Now
// returns to.
func baseMode(p config.Policy) config.Mode {
	if p.Mode == config.ModeNow {
		return p.AfterNow()
	}
	return p.Mode
}

// setBaseMode changes the mode, or, during Charge Now, the mode it returns
// to: Charge Now keeps priority, as in TWCManager's policy.
func setBaseMode(p *config.Policy, m config.Mode) {
	if p.Mode == config.ModeNow {
		p.ChargeNow.Then = m
		return
	}
	p.Mode = m
}

// withoutSchedule is the mode that follows a schedule switched off: what
// the non-scheduled action did outside the window. A fixed current has no
// mode of its own without a window; TWCManager's default policy then
// follows the sun by day.
func withoutSchedule(a config.NonScheduledAction) config.Mode {
	if a == config.ActionOff {
		return config.ModeOff
	}
	return config.ModeSolar
}

func scheduleField(path string) string {
	switch path {
	case "policy.schedule.start_minute":
		return "startingMinute"
	case "policy.schedule.end_minute":
		return "endingMinute"
	case "policy.schedule.amps":
		return "amps"
	case "policy.schedule.battery_kwh":
		return "flexBatterySize"
	case "policy.schedule.days":
		return "monday"
	}
	return ""
}
