package compat_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/config"
)

var twoDecimals = regexp.MustCompile(`^-?\d+\.\d\d$`)

// checkTwoDecimals fails unless v is a string such as "305.66".
func checkTwoDecimals(t *testing.T, key string, v any) {
	t.Helper()
	if s, ok := v.(string); !ok || !twoDecimals.MatchString(s) {
		t.Errorf("%s = %#v: want a string with two decimals", key, v)
	}
}

// checkQuirkAmps checks TWCManager's consumptionAmps/generationAmps: a
// one-element array of a two-decimal string when the watts are not zero,
// the bare string "0.00" when they are.
func checkQuirkAmps(t *testing.T, key string, v any, watts string) {
	t.Helper()
	if watts == "0.00" {
		if v != "0.00" {
			t.Errorf("%s = %#v with %s W: want the string \"0.00\"", key, v, watts)
		}
		return
	}
	a, ok := v.([]any)
	if !ok || len(a) != 1 {
		t.Errorf("%s = %#v with %s W: want a one-element array", key, v, watts)
		return
	}
	checkTwoDecimals(t, key+"[0]", a[0])
}

// getStatus keeps TWCManager's types, Python quirks included: dashboards and
// openWB parse the strings, and MagicMirror reads carsCharging as a number.
func TestGetStatusTypes(t *testing.T) {
	t.Parallel()
	e := start(t)
	var s map[string]any
	e.getJSON(t, "/api/getStatus", &s)

	if jsonType(s["carsCharging"]) != jsonNumber {
		t.Errorf("carsCharging = %#v: want a number", s["carsCharging"])
	}
	for _, k := range []string{"chargerLoadWatts", "maxAmpsToDivideAmongSlaves", "consumptionWatts", "generationWatts"} {
		checkTwoDecimals(t, k, s[k])
	}
	if a, ok := s["chargerLoadAmps"].([]any); !ok || len(a) != 1 {
		t.Errorf("chargerLoadAmps = %#v: want a one-element array (TWCManager's tuple)", s["chargerLoadAmps"])
	} else {
		checkTwoDecimals(t, "chargerLoadAmps[0]", a[0])
	}
	// The demo's sun and house are up: both are non-zero.
	if s["generationWatts"] == "0.00" || s["consumptionWatts"] == "0.00" {
		t.Fatalf("demo site without power: %v", s)
	}
	checkQuirkAmps(t, "consumptionAmps", s["consumptionAmps"], s["consumptionWatts"].(string))
	checkQuirkAmps(t, "generationAmps", s["generationAmps"], s["generationWatts"].(string))
	if s["currentPolicy"] != "Track Green Energy" || s["isGreenPolicy"] != "Yes" {
		t.Errorf("solar mode: currentPolicy %v, isGreenPolicy %v", s["currentPolicy"], s["isGreenPolicy"])
	}
	for _, k := range []string{"scheduledChargingStartHour", "scheduledChargingEndHour", "scheduledChargingFlexStart"} {
		if s[k] != -1.0 {
			t.Errorf("%s = %#v outside Schedule mode: want -1", k, s[k])
		}
	}
	sc, ok := s["ScheduledCharging"].(map[string]any)
	if !ok {
		t.Fatalf("ScheduledCharging = %#v", s["ScheduledCharging"])
	}
	types := map[string]string{"enabled": "bool", "amps": jsonNumber, "startingMinute": jsonNumber, "endingMinute": jsonNumber,
		"flexStartEnabled": jsonNumber, "flexStartingMinute": jsonNumber, "flexEndingMinute": jsonNumber, "flexBatterySize": jsonNumber}
	for _, d := range []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"} {
		types[strings.ToLower(d[:1])+d[1:]] = "bool"
		types["flex"+d] = "bool"
	}
	for k, typ := range types {
		if jsonType(sc[k]) != typ {
			t.Errorf("ScheduledCharging.%s = %#v: want %s", k, sc[k], typ)
		}
	}
	if len(sc) != len(types) {
		t.Errorf("ScheduledCharging has %d keys, want %d: %v", len(sc), len(types), keys(sc))
	}
	if sc["enabled"] != false || sc["startingMinute"] != -1.0 {
		t.Errorf("ScheduledCharging outside Schedule mode: %v", sc)
	}

	// With a schedule on, the window shows: the start hour as TWCManager's
	// whole number, the end hour as a fraction.
	r := e.post(t, "/api/setScheduledChargingSettings", `{"enabled": true, "startingMinute": 1350, "endingMinute": 390, "amps": 16, "tuesday": true, "sunday": "on"}`)
	if r.status != http.StatusAccepted {
		t.Fatalf("setScheduledChargingSettings: %d %s", r.status, r.body)
	}
	e.getJSON(t, "/api/getStatus", &s)
	sc = s["ScheduledCharging"].(map[string]any)
	if s["scheduledChargingStartHour"] != 22.0 || s["scheduledChargingEndHour"] != 6.5 || sc["enabled"] != true ||
		sc["startingMinute"] != 1350.0 || sc["endingMinute"] != 390.0 || sc["amps"] != 16.0 ||
		sc["tuesday"] != true || sc["sunday"] != true || sc["monday"] != false {
		t.Errorf("schedule on: %v / %v", s, sc)
	}

	// Without any energy source the watts are zero, and the amps become
	// the bare string.
	e.change(t, func(s *config.Settings) { s.Sources = nil })
	e.getJSON(t, "/api/getStatus", &s)
	for _, k := range []string{"consumption", "generation"} {
		if s[k+"Watts"] != "0.00" {
			t.Fatalf("%sWatts without a source: %v", k, s[k+"Watts"])
		}
		checkQuirkAmps(t, k+"Amps", s[k+"Amps"], "0.00")
	}
}

// getActivePolicyAction is 3 while following the sun, 1 at a fixed current
// and 2 when not charging.
func TestActivePolicyAction(t *testing.T) {
	t.Parallel()
	e := start(t)
	action := func() any {
		var v any
		e.getJSON(t, "/api/getActivePolicyAction", &v)
		return v
	}
	if a := action(); a != 3.0 {
		t.Fatalf("solar: %v, want 3", a)
	}
	for _, c := range []struct {
		policy string
		want   float64
		name   string
	}{
		{"Charge Now", 1, "Charge Now"},
		{"Off", 2, "Off"},
		{"Track Green Energy", 3, "Track Green Energy"},
	} {
		if r := e.post(t, "/api/setPolicy", `{"policy": "`+c.policy+`"}`); r.status != http.StatusOK || r.body != `{"policy":"`+c.policy+`","status":"success"}`+"\n" {
			t.Fatalf("setPolicy %s: %d %s", c.policy, r.status, r.body)
		}
		eventually(t, c.policy+" in force", func() bool {
			var s map[string]any
			e.getJSON(t, "/api/getStatus", &s)
			return s["currentPolicy"] == c.name && action() == c.want
		})
	}
	// Min+solar has no TWCManager name: it follows the sun, so it is
	// reported as Track Green Energy, as on MQTT.
	e.change(t, func(s *config.Settings) { s.Policy.Mode = config.ModeMinSolar })
	eventually(t, "min+solar reported as green", func() bool {
		var s map[string]any
		e.getJSON(t, "/api/getStatus", &s)
		return s["currentPolicy"] == "Track Green Energy" && s["isGreenPolicy"] == "Yes" && action() == 3.0 && e.b.Decisions(1)[0].Mode == config.ModeMinSolar
	})
}
