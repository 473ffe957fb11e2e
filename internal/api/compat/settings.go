package compat

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/units"
)

// setting is a TWCManager settings.json key setSetting can write, and how
// its value lands in our settings.
type setting struct {
	name, allowed string
	apply         func(p *config.Settings, v string) error
}

// twcSettings are the TWCManager keys with an equivalent here, by name.
var twcSettings = []setting{
	{"chargeNowAmps", "the Charge Now current in A; 0 ends Charge Now", func(s *config.Settings, v string) error {
		a, err := parseNumber(v, 0, 80)
		s.Policy.ChargeNow.Amps = units.Amps(a)
		return err
	}},
	{"chargeStopMode", "1 (car API), 2 (stop responding) or 3 (charger stop command)", func(s *config.Settings, v string) error {
		n, err := parseChoice(v, 1, 3)
		s.Policy.StopMethod = []config.StopMethod{config.StopCarAPI, config.StopResponding, config.StopCommand}[n-1]
		return err
	}},
	{"homeLat", "-90 to 90 degrees", func(s *config.Settings, v string) error {
		x, err := parseNumber(v, -90, 90)
		s.Home.Lat = x
		return err
	}},
	{"homeLon", "-180 to 180 degrees", func(s *config.Settings, v string) error {
		x, err := parseNumber(v, -180, 180)
		s.Home.Lon = x
		return err
	}},
	{"nonScheduledAction", "1 (charge at nonScheduledAmpsMax), 2 (do not charge) or 3 (track green energy)", func(s *config.Settings, v string) error {
		n, err := parseChoice(v, 1, 3)
		s.Policy.NonScheduled.Action = []config.NonScheduledAction{config.ActionFixed, config.ActionOff, config.ActionSolar}[n-1]
		return err
	}},
	{"nonScheduledAmpsMax", "the current outside the schedule in A, 0 to 80", func(s *config.Settings, v string) error {
		a, err := parseNumber(v, 0, 80)
		s.Policy.NonScheduled.Amps = units.Amps(a)
		return err
	}},
	{"scheduledAmpsBatterySize", "the car's battery in kWh, 0 to 300", func(s *config.Settings, v string) error {
		x, err := parseNumber(v, 0, 300)
		s.Policy.Schedule.BatteryKWh = x
		return err
	}},
	{"scheduledAmpsDaysBitmap", "0 to 127: Monday 1, Tuesday 2, … Sunday 64, added", func(s *config.Settings, v string) error {
		n, err := parseChoice(v, 0, 127)
		for _, d := range weekdays {
			s.Policy.Schedule.Days[d.day] = n&dayBit(d.day) != 0
		}
		return err
	}},
	{"scheduledAmpsEndHour", "the hour the schedule ends, 0 to 24 (22.5 is 22:30)", func(s *config.Settings, v string) error {
		h, err := parseNumber(v, 0, 24)
		s.Policy.Schedule.EndMinute = hourMinutes(h)
		return err
	}},
	{"scheduledAmpsFlexStart", "true or false: start late enough to finish at the end hour", func(s *config.Settings, v string) error {
		b, err := parseFlag(v)
		s.Policy.Schedule.FinishBy = b
		return err
	}},
	{"scheduledAmpsMax", "the scheduled current in A, 0 to 80", func(s *config.Settings, v string) error {
		a, err := parseNumber(v, 0, 80)
		s.Policy.Schedule.Amps = units.Amps(a)
		return err
	}},
	{"scheduledAmpsStartHour", "the hour the schedule starts, 0 to 24 (22.5 is 22:30)", func(s *config.Settings, v string) error {
		h, err := parseNumber(v, 0, 24)
		s.Policy.Schedule.StartMinute = hourMinutes(h)
		return err
	}},
}

// setSetting writes one TWCManager setting {setting, value}. TWCManager
// stores any key as text; here only the keys in twcSettings are known, the
// value is checked, and an unknown key is refused with the list.
func (s *server) setSetting(w http.ResponseWriter, _ *http.Request, body []byte) error {
	f, err := parseFields(body)
	if err != nil {
		return err
	}
	name, hasName, err := f.text("setting")
	if err != nil {
		return err
	}
	value, hasValue, err := f.scalar("value")
	switch {
	case err != nil:
		return err
	case !hasName || name == "":
		return missing("setting", "one of "+settingNames())
	}
	i := slices.IndexFunc(twcSettings, func(x setting) bool { return x.name == name })
	if i < 0 {
		return badField("setting", "%q is not a setting this appliance has; the supported ones are %s", name, settingNames())
	}
	def := twcSettings[i]
	if !hasValue {
		return missing("value", name+": "+def.allowed)
	}
	valueField := func(string) string { return "value" }
	if def.name == "chargeNowAmps" {
		if a, err := parseNumber(value, 0, 80); err == nil && a == 0 {
			// TWCManager's Charge Now rule needs chargeNowAmps > 0.
			if err := settingsError(api.CancelChargeNow(s.b), valueField); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	err = api.Change(s.b, func(set *config.Settings) error {
		if err := def.apply(set, value); err != nil {
			return badField("value", "%s: %q is not allowed; allowed: %s", name, value, def.allowed)
		}
		return nil
	})
	if err := settingsError(err, valueField); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func settingNames() string {
	names := make([]string, len(twcSettings))
	for i, x := range twcSettings {
		names[i] = x.name
	}
	return strings.Join(names, ", ")
}

// errValue is a value outside what a setting takes; setSetting words it.
type errValue struct{}

func (errValue) Error() string { return "value not allowed" }

func parseNumber(v string, lo, hi float64) (float64, error) {
	x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(x) || x < lo || x > hi {
		return 0, errValue{}
	}
	return x, nil
}

// parseChoice reads a whole number in lo..hi; on error it returns lo, so
// callers may index with it before checking the error.
func parseChoice(v string, lo, hi int) (int, error) {
	x, err := parseNumber(v, float64(lo), float64(hi))
	if err != nil || x != math.Trunc(x) {
		return lo, errValue{}
	}
	return int(x), nil
}

func parseFlag(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "on", "yes":
		return true, nil
	case "false", "0", "off", "no":
		return false, nil
	}
	return false, errValue{}
}

// hourMinutes converts TWCManager's hours (22.5) to minutes after midnight
// (1350); 24 is midnight.
func hourMinutes(h float64) int { return int(math.Round(h*60)) % (24 * 60) }

// dayBit is a weekday's bit in TWCManager's day bitmap (Monday 1 … Sunday 64).
func dayBit(d time.Weekday) int { return 1 << ((int(d) + 6) % 7) }

// setLatLon sets the home location {lat, lon}.
func (s *server) setLatLon(w http.ResponseWriter, _ *http.Request, body []byte) error {
	f, err := parseFields(body)
	if err != nil {
		return err
	}
	var at [2]float64
	for i, c := range []struct {
		name    string
		example string
		lim     float64
	}{{"lat", "51.5", 90}, {"lon", "-0.12", 180}} {
		x, present, err := f.number(c.name, c.example)
		switch {
		case err != nil:
			return err
		case !present:
			return missing(c.name, "the home location in degrees")
		case x < -c.lim || x > c.lim:
			return badField(c.name, "%g is out of range; allowed: %g to %g degrees", x, -c.lim, c.lim)
		}
		at[i] = x
	}
	err = api.Change(s.b, func(set *config.Settings) error {
		set.Home.Lat, set.Home.Lon = at[0], at[1]
		return nil
	})
	if err := settingsError(err, func(path string) string { return map[string]string{"home.lat": "lat", "home.lon": "lon"}[path] }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
