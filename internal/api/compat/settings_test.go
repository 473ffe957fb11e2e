package compat_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
)

// setSetting writes the TWCManager settings that have an equivalent here,
// taking the strings TWCManager clients send as well as numbers; an unknown
// setting is refused with the list of supported ones.
func TestSetSetting(t *testing.T) {
	t.Parallel()
	e := start(t)
	for _, c := range []struct {
		setting string
		value   string // JSON
		check   func(config.Settings) bool
	}{
		{"nonScheduledAmpsMax", `"10"`, func(s config.Settings) bool { return s.Policy.NonScheduled.Amps == 10 }},
		{"nonScheduledAction", `1`, func(s config.Settings) bool { return s.Policy.NonScheduled.Action == config.ActionFixed }},
		{"nonScheduledAction", `"2"`, func(s config.Settings) bool { return s.Policy.NonScheduled.Action == config.ActionOff }},
		{"nonScheduledAction", `3`, func(s config.Settings) bool { return s.Policy.NonScheduled.Action == config.ActionSolar }},
		{"chargeNowAmps", `20`, func(s config.Settings) bool { return s.Policy.ChargeNow.Amps == 20 }},
		{"scheduledAmpsMax", `"24"`, func(s config.Settings) bool { return s.Policy.Schedule.Amps == 24 }},
		{"scheduledAmpsStartHour", `"22.5"`, func(s config.Settings) bool { return s.Policy.Schedule.StartMinute == 1350 }},
		{"scheduledAmpsEndHour", `7`, func(s config.Settings) bool { return s.Policy.Schedule.EndMinute == 420 }},
		{"scheduledAmpsDaysBitmap", `"65"`, func(s config.Settings) bool { // Monday 1 + Sunday 64
			return s.Policy.Schedule.Days == [7]bool{time.Sunday: true, time.Monday: true}
		}},
		{"scheduledAmpsFlexStart", `"1"`, func(s config.Settings) bool { return s.Policy.Schedule.FinishBy }},
		{"scheduledAmpsBatterySize", `100`, func(s config.Settings) bool { return s.Policy.Schedule.BatteryKWh == 100 }},
		{"chargeStopMode", `"2"`, func(s config.Settings) bool { return s.Policy.StopMethod == config.StopResponding }},
		{"chargeStopMode", `3`, func(s config.Settings) bool { return s.Policy.StopMethod == config.StopCommand }},
		{"homeLat", `"48.14"`, func(s config.Settings) bool { return s.Home.Lat == 48.14 }},
		{"homeLon", `11.58`, func(s config.Settings) bool { return s.Home.Lon == 11.58 }},
	} {
		r := e.post(t, "/api/setSetting", `{"setting": "`+c.setting+`", "value": `+c.value+`}`)
		if r.status != http.StatusNoContent || r.body != "" {
			t.Errorf("%s = %s: %d %s", c.setting, c.value, r.status, r.body)
		} else if !c.check(e.b.Settings()) {
			t.Errorf("%s = %s: settings %+v", c.setting, c.value, e.b.Settings().Policy)
		}
	}

	// chargeNowAmps 0 is TWCManager's way of ending Charge Now.
	if r := e.post(t, "/api/chargeNow", `{"chargeNowRate": 16, "chargeNowDuration": 600}`); r.status != http.StatusOK {
		t.Fatalf("chargeNow: %d %s", r.status, r.body)
	}
	if r := e.post(t, "/api/setSetting", `{"setting": "chargeNowAmps", "value": "0"}`); r.status != http.StatusNoContent || e.b.Settings().Policy.Mode != config.ModeSolar {
		t.Fatalf("chargeNowAmps 0: %d %s, mode %s", r.status, r.body, e.b.Settings().Policy.Mode)
	}

	r := e.post(t, "/api/setSetting", `{"setting": "webInterfaceTheme", "value": "Modern"}`)
	var body api.Error
	if r.status != http.StatusBadRequest || json.Unmarshal([]byte(r.body), &body) != nil || body.Field != "setting" ||
		!strings.Contains(body.Error, "nonScheduledAmpsMax") || !strings.Contains(body.Error, "scheduledAmpsDaysBitmap") {
		t.Fatalf("unknown setting: %d %s, want 400 listing the supported ones", r.status, r.body)
	}
}

// setLatLon sets the home location; numbers as strings are taken too.
func TestSetLatLon(t *testing.T) {
	t.Parallel()
	e := start(t)
	if r := e.post(t, "/api/setLatLon", `{"lat": "-33.86", "lon": 151.21}`); r.status != http.StatusNoContent || r.body != "" {
		t.Fatalf("setLatLon: %d %s", r.status, r.body)
	}
	if h := e.b.Settings().Home; h.Lat != -33.86 || h.Lon != 151.21 || h.RadiusM != 200 {
		t.Fatalf("home %+v", h)
	}
}
