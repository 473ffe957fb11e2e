package compat_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
)

// badInputs are refused requests to every POST route: the status, and the
// request field the JSON error must name ("" for the body as a whole).
var badInputs = []struct {
	path, body string
	status     int
	field      string
}{
	{"/api/chargeNow", `{`, 400, ""},
	{"/api/chargeNow", `[16, 3600]`, 400, ""},
	{"/api/chargeNow", ``, 400, ""},
	{"/api/chargeNow", `null`, 400, ""},
	{"/api/chargeNow", `chargeNowRate=16&chargeNowDuration=3600`, 400, ""},
	{"/api/chargeNow", `{"chargeNowDuration": 3600}`, 400, "chargeNowRate"},
	{"/api/chargeNow", `{"chargeNowRate": 16}`, 400, "chargeNowDuration"},
	{"/api/chargeNow", `{"chargeNowRate": "sixteen", "chargeNowDuration": 3600}`, 400, "chargeNowRate"},
	{"/api/chargeNow", `{"chargeNowRate": true, "chargeNowDuration": 3600}`, 400, "chargeNowRate"},
	{"/api/chargeNow", `{"chargeNowRate": null, "chargeNowDuration": 3600}`, 400, "chargeNowRate"},
	{"/api/chargeNow", `{"chargeNowRate": "16.5", "chargeNowDuration": 3600}`, 400, "chargeNowRate"},
	{"/api/chargeNow", `{"chargeNowRate": 0, "chargeNowDuration": 3600}`, 400, "chargeNowRate"},
	{"/api/chargeNow", `{"chargeNowRate": -10, "chargeNowDuration": 3600}`, 400, "chargeNowRate"},
	{"/api/chargeNow", `{"chargeNowRate": 3, "chargeNowDuration": 3600}`, 400, "chargeNowRate"},
	{"/api/chargeNow", `{"chargeNowRate": 200, "chargeNowDuration": 3600}`, 400, "chargeNowRate"},
	{"/api/chargeNow", `{"chargeNowRate": 16, "chargeNowDuration": 0}`, 400, "chargeNowDuration"},
	{"/api/chargeNow", `{"chargeNowRate": 16, "chargeNowDuration": "-1"}`, 400, "chargeNowDuration"},
	{"/api/chargeNow", `{"chargeNowRate": 16, "chargeNowDuration": 99999999999}`, 400, "chargeNowDuration"},
	{"/api/chargeNow", `{"chargeNowRate": 16, "chargeNowDuration": [3600]}`, 400, "chargeNowDuration"},

	{"/api/addConsumptionOffset", `{"offsetValue": 500, "offsetUnit": "W"}`, 400, "offsetName"},
	{"/api/addConsumptionOffset", `{"offsetName": 5, "offsetValue": 500, "offsetUnit": "W"}`, 400, "offsetName"},
	{"/api/addConsumptionOffset", `{"offsetName": "` + strings.Repeat("x", 32) + `", "offsetValue": 500, "offsetUnit": "W"}`, 400, "offsetName"},
	{"/api/addConsumptionOffset", `{"offsetName": "pool/pump", "offsetValue": 500, "offsetUnit": "W"}`, 400, "offsetName"},
	{"/api/addConsumptionOffset", `{"offsetName": "pool", "offsetUnit": "W"}`, 400, "offsetValue"},
	{"/api/addConsumptionOffset", `{"offsetName": "pool", "offsetValue": 0, "offsetUnit": "W"}`, 400, "offsetValue"},
	{"/api/addConsumptionOffset", `{"offsetName": "pool", "offsetValue": "lots", "offsetUnit": "W"}`, 400, "offsetValue"},
	{"/api/addConsumptionOffset", `{"offsetName": "pool", "offsetValue": 1e9, "offsetUnit": "W"}`, 400, "offsetValue"},
	{"/api/addConsumptionOffset", `{"offsetName": "pool", "offsetValue": 1000, "offsetUnit": "A"}`, 400, "offsetValue"},
	{"/api/addConsumptionOffset", `{"offsetName": "pool", "offsetValue": 500}`, 400, "offsetUnit"},
	{"/api/addConsumptionOffset", `{"offsetName": "pool", "offsetValue": 500, "offsetUnit": "kW"}`, 400, "offsetUnit"},

	{"/api/deleteConsumptionOffset", `{}`, 400, "offsetName"},
	{"/api/deleteConsumptionOffset", `{"offsetName": 3}`, 400, "offsetName"},
	{"/api/deleteConsumptionOffset", `{"offsetName": "sauna"}`, 404, "offsetName"},

	{"/api/setConsumptionOffset", `{}`, 400, "offset"},
	{"/api/setConsumptionOffset", `{"offset": "some"}`, 400, "offset"},
	{"/api/setConsumptionOffset", `{"offset": 1000}`, 400, "offset"},

	{"/api/setScheduledChargingSettings", `{}`, 400, "enabled"},
	{"/api/setScheduledChargingSettings", `{"enabled": "maybe"}`, 400, "enabled"},
	{"/api/setScheduledChargingSettings", `{"enabled": true, "endingMinute": 360, "amps": 16, "monday": true}`, 400, "startingMinute"},
	{"/api/setScheduledChargingSettings", `{"enabled": true, "startingMinute": -1, "endingMinute": 360, "amps": 16, "monday": true}`, 400, "startingMinute"},
	{"/api/setScheduledChargingSettings", `{"enabled": true, "startingMinute": 1320, "endingMinute": 1440, "amps": 16, "monday": true}`, 400, "endingMinute"},
	{"/api/setScheduledChargingSettings", `{"enabled": true, "startingMinute": 360, "endingMinute": 360, "amps": 16, "monday": true}`, 400, "endingMinute"},
	{"/api/setScheduledChargingSettings", `{"enabled": true, "startingMinute": 1320, "endingMinute": 360, "amps": 0, "monday": true}`, 400, "amps"},
	{"/api/setScheduledChargingSettings", `{"enabled": true, "startingMinute": 1320, "endingMinute": 360, "amps": 100, "monday": true}`, 400, "amps"},
	{"/api/setScheduledChargingSettings", `{"enabled": true, "startingMinute": 1320, "endingMinute": 360, "amps": 3, "monday": true}`, 400, "amps"},
	{"/api/setScheduledChargingSettings", `{"enabled": true, "startingMinute": 1320, "endingMinute": 360, "amps": 16}`, 400, "monday"},
	{"/api/setScheduledChargingSettings", `{"enabled": true, "startingMinute": 1320, "endingMinute": 360, "amps": 16, "monday": "x"}`, 400, "monday"},
	{"/api/setScheduledChargingSettings", `{"enabled": true, "startingMinute": 1320, "endingMinute": 360, "amps": 16, "monday": true, "flexBatterySize": 500}`, 400, "flexBatterySize"},
	{"/api/setScheduledChargingSettings", `{"enabled": false, "flexStartEnabled": "perhaps"}`, 400, "flexStartEnabled"},
	{"/api/setScheduledChargingSettings", `{"enabled": false, "startingMinute": "ten"}`, 400, "startingMinute"},
	{"/api/setScheduledChargingSettings", `{"enabled": false, "friday": 2}`, 400, "friday"},

	{"/api/setPolicy", `{}`, 400, "policy"},
	{"/api/setPolicy", `{"policy": 5}`, 400, "policy"},
	{"/api/setPolicy", `{"policy": " "}`, 400, "policy"},
	{"/api/setPolicy", `{"policy": "Nonsense"}`, 400, "policy"},
	{"/api/setPolicy", `{"policy": "charge now"}`, 400, "policy"},

	{"/api/setLatLon", `{"lon": 13.4}`, 400, "lat"},
	{"/api/setLatLon", `{"lat": 52.5}`, 400, "lon"},
	{"/api/setLatLon", `{"lat": 91, "lon": 0}`, 400, "lat"},
	{"/api/setLatLon", `{"lat": 0, "lon": -181}`, 400, "lon"},
	{"/api/setLatLon", `{"lat": "north", "lon": 1}`, 400, "lat"},

	{"/api/setSetting", `{}`, 400, "setting"},
	{"/api/setSetting", `{"setting": "carApiBearerToken", "value": "x"}`, 400, "setting"},
	{"/api/setSetting", `{"setting": ["nonScheduledAmpsMax"], "value": 6}`, 400, "setting"},
	{"/api/setSetting", `{"setting": "nonScheduledAmpsMax"}`, 400, "value"},
	{"/api/setSetting", `{"setting": "nonScheduledAction", "value": 4}`, 400, "value"},
	{"/api/setSetting", `{"setting": "nonScheduledAction", "value": "1.5"}`, 400, "value"},
	{"/api/setSetting", `{"setting": "chargeNowAmps", "value": "100"}`, 400, "value"},
	{"/api/setSetting", `{"setting": "chargeNowAmps", "value": 3}`, 400, "value"},
	{"/api/setSetting", `{"setting": "scheduledAmpsDaysBitmap", "value": 200}`, 400, "value"},
	{"/api/setSetting", `{"setting": "scheduledAmpsStartHour", "value": "25"}`, 400, "value"},
	{"/api/setSetting", `{"setting": "scheduledAmpsEndHour", "value": "0"}`, 400, "value"},
	{"/api/setSetting", `{"setting": "homeLat", "value": "x"}`, 400, "value"},
	{"/api/setSetting", `{"setting": "chargeStopMode", "value": {"mode": 1}}`, 400, "value"},
	{"/api/setSetting", `{"setting": "scheduledAmpsFlexStart", "value": "sometimes"}`, 400, "value"},

	{"/api/sendDebugCommand", `{}`, 400, "commandName"},
	{"/api/sendDebugCommand", `{"commandName": 7}`, 400, "commandName"},
	{"/api/sendDebugCommand", `{"commandName": "Reboot"}`, 400, "commandName"},
	{"/api/sendDebugCommand", `{"commandName": "Custom"}`, 400, "customCommand"},
	{"/api/sendDebugCommand", `{"commandName": "Custom", "customCommand": "zz"}`, 400, "customCommand"},

	{"/api/sendTeslaAPICommand", `{}`, 400, ""},
	{"/api/sendTeslaAPICommand", `{`, 400, ""},
}

// Every bad request is refused with a JSON error naming the field, and
// changes nothing.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	e := start(t)
	// deleteConsumptionOffset answers 404 for a name it does not have only
	// when there are offsets at all.
	e.change(t, func(s *config.Settings) {
		s.Policy.Offsets = []config.Offset{{Name: "heat pump", Value: 800, Unit: config.UnitWatts}}
	})
	for _, c := range badInputs {
		before := e.settingsJSON(t)
		r := e.post(t, c.path, c.body)
		var body api.Error
		err := json.Unmarshal([]byte(r.body), &body)
		if r.status != c.status || r.ctype != "application/json" || err != nil || body.Field != c.field || body.Error == "" {
			t.Errorf("%s %s: %d %q %s; want %d naming field %q", c.path, c.body, r.status, r.ctype, r.body, c.status, c.field)
		}
		if c.field != "" && !strings.Contains(body.Error, c.field) {
			t.Errorf("%s %s: error %q does not name %s", c.path, c.body, body.Error, c.field)
		}
		if after := e.settingsJSON(t); after != before {
			t.Errorf("%s %s changed the settings:\n%s\n%s", c.path, c.body, before, after)
		}
	}

	// A body past the limit is refused before it is read in full.
	before := e.settingsJSON(t)
	big := `{"chargeNowRate": 16, "chargeNowDuration": 3600, "pad": "` + strings.Repeat("x", 20<<10) + `"}`
	if r := e.post(t, "/api/chargeNow", big); r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "16 KiB") {
		t.Errorf("20 KiB body: %d %s", r.status, r.body)
	}
	if e.settingsJSON(t) != before {
		t.Error("an oversized body changed the settings")
	}
	// The numeric strings Python's int() takes are accepted.
	if r := e.post(t, "/api/chargeNow", `{"chargeNowRate": " 12 ", "chargeNowDuration": "600"}`); r.status != http.StatusOK || e.b.Settings().Policy.ChargeNow.Amps != 12 {
		t.Errorf("numeric strings: %d %s", r.status, r.body)
	}
}
