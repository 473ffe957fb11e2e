package compat_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
)

// A schedule switched on puts the appliance in Schedule mode with the
// window, days and current sent; during Charge Now it becomes the mode
// Charge Now returns to. Switched off, Schedule mode gives way to what the
// time outside the window did.
func TestScheduledChargingSettings(t *testing.T) {
	t.Parallel()
	e := start(t)
	r := e.post(t, "/api/setScheduledChargingSettings", `{"enabled": true, "startingMinute": "1320", "endingMinute": 390, "amps": 20,
		"monday": true, "tuesday": 1, "wednesday": false, "saturday": "true", "flexBatterySize": 60, "flexStartEnabled": 1}`)
	if r.status != http.StatusAccepted || r.body != "" {
		t.Fatalf("enable: %d %q", r.status, r.body)
	}
	p := e.b.Settings().Policy
	want := config.Schedule{StartMinute: 1320, EndMinute: 390, Amps: 20, FinishBy: true, BatteryKWh: 60,
		Days: [7]bool{time.Monday: true, time.Tuesday: true, time.Saturday: true}}
	if p.Mode != config.ModeSchedule || p.Schedule != want {
		t.Fatalf("after enabling: mode %s, %+v", p.Mode, p.Schedule)
	}
	eventually(t, "the schedule mode decided", func() bool {
		var s map[string]any
		e.getJSON(t, "/api/getStatus", &s)
		name := s["currentPolicy"]
		return name == "Scheduled Charging" || name == "Track Green Energy" // outside the window the sun is followed
	})

	// Off: the non-scheduled action (the sun) becomes the mode; the window
	// stays stored, battery size and finish-by are updated as TWCManager does.
	if r := e.post(t, "/api/setScheduledChargingSettings", `{"enabled": false, "startingMinute": -1, "endingMinute": -1, "amps": -1, "flexBatterySize": 80}`); r.status != http.StatusAccepted {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	p = e.b.Settings().Policy
	if p.Mode != config.ModeSolar || p.Schedule.BatteryKWh != 80 || p.Schedule.StartMinute != 1320 {
		t.Fatalf("after disabling: mode %s, %+v", p.Mode, p.Schedule)
	}

	// During Charge Now the schedule is what comes after.
	if r := e.post(t, "/api/chargeNow", `{"chargeNowRate": 16, "chargeNowDuration": 600}`); r.status != http.StatusOK {
		t.Fatalf("chargeNow: %d %s", r.status, r.body)
	}
	if r := e.post(t, "/api/setScheduledChargingSettings", `{"enabled": true, "startingMinute": 0, "endingMinute": 300, "amps": 16, "sunday": true}`); r.status != http.StatusAccepted {
		t.Fatalf("enable during Charge Now: %d %s", r.status, r.body)
	}
	if p = e.b.Settings().Policy; p.Mode != config.ModeNow || p.ChargeNow.Then != config.ModeSchedule {
		t.Fatalf("enabled during Charge Now: mode %s then %s", p.Mode, p.ChargeNow.Then)
	}
	var s map[string]any
	e.getJSON(t, "/api/getStatus", &s)
	if sc := s["ScheduledCharging"].(map[string]any); sc["enabled"] != true || sc["sunday"] != true || sc["endingMinute"] != 300.0 {
		t.Fatalf("getStatus during Charge Now with a schedule after it: %v", sc)
	}
	if r := e.post(t, "/api/cancelChargeNow", ``); r.status != http.StatusOK || e.b.Settings().Policy.Mode != config.ModeSchedule {
		t.Fatalf("cancel: %d, mode %s", r.status, e.b.Settings().Policy.Mode)
	}

	// With "do not charge" outside the window, switching off means Off.
	e.change(t, func(s *config.Settings) { s.Policy.NonScheduled.Action = config.ActionOff })
	if r := e.post(t, "/api/setScheduledChargingSettings", `{"enabled": "off"}`); r.status != http.StatusAccepted || e.b.Settings().Policy.Mode != config.ModeOff {
		t.Fatalf("disable with action off: %d, mode %s", r.status, e.b.Settings().Policy.Mode)
	}
}
