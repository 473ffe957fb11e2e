package compat_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/internal/api/compat"
)

// twcManagerRoutes is TWCManager's HTTP API: 9 GET and 16 POST routes.
var twcManagerRoutes = map[string]string{
	"/api/getConfig":                    "GET",
	"/api/getConsumptionOffsets":        "GET",
	"/api/getLastTWCResponse":           "GET",
	"/api/getPolicy":                    "GET",
	"/api/getSlaveTWCs":                 "GET",
	"/api/getStatus":                    "GET",
	"/api/getActivePolicyAction":        "GET",
	"/api/getHistory":                   "GET",
	"/api/getUUID":                      "GET",
	"/api/chargeNow":                    "POST",
	"/api/cancelChargeNow":              "POST",
	"/api/addConsumptionOffset":         "POST",
	"/api/deleteConsumptionOffset":      "POST",
	"/api/setConsumptionOffset":         "POST",
	"/api/setScheduledChargingSettings": "POST",
	"/api/setPolicy":                    "POST",
	"/api/setLatLon":                    "POST",
	"/api/setSetting":                   "POST",
	"/api/saveSettings":                 "POST",
	"/api/sendStartCommand":             "POST",
	"/api/sendStopCommand":              "POST",
	"/api/sendDebugCommand":             "POST",
	"/api/sendTeslaAPICommand":          "POST",
	"/api/checkArrival":                 "POST",
	"/api/checkDeparture":               "POST",
}

// goodWrites are a valid request to every POST route, in an order where
// each can succeed (the offset is added before it is deleted), and the
// status TWCManager answers it with.
var goodWrites = []struct {
	path, body string
	status     int
}{
	{"/api/chargeNow", `{"chargeNowRate": 16, "chargeNowDuration": 3600}`, http.StatusOK},
	{"/api/cancelChargeNow", ``, http.StatusOK},
	{"/api/addConsumptionOffset", `{"offsetName": "heat pump", "offsetValue": 500, "offsetUnit": "W"}`, http.StatusOK},
	{"/api/deleteConsumptionOffset", `{"offsetName": "heat pump"}`, http.StatusOK},
	{"/api/setConsumptionOffset", `{"offset": 1.5}`, http.StatusNoContent},
	{"/api/setScheduledChargingSettings", `{"enabled": true, "startingMinute": 1320, "endingMinute": 360, "amps": 16, "monday": true, "friday": true, "flexBatterySize": 75, "flexStartEnabled": false}`, http.StatusAccepted},
	{"/api/setPolicy", `{"policy": "Track Green Energy"}`, http.StatusOK},
	{"/api/setLatLon", `{"lat": 52.52, "lon": 13.40}`, http.StatusNoContent},
	{"/api/setSetting", `{"setting": "nonScheduledAmpsMax", "value": "10"}`, http.StatusNoContent},
	{"/api/saveSettings", ``, http.StatusNoContent},
	{"/api/sendStopCommand", ``, http.StatusOK},
	{"/api/sendStartCommand", ``, http.StatusOK},
	{"/api/sendDebugCommand", `{"commandName": "Custom", "customCommand": "FBEC"}`, http.StatusNoContent},
	// There is no car connection: the answer is TWCManager's 400 for a
	// command the Tesla API refused, after the token was accepted.
	{"/api/sendTeslaAPICommand", `{"commandName": "wakeVehicle", "vehicleID": "1", "parameters": ""}`, http.StatusBadRequest},
	{"/api/checkArrival", ``, http.StatusAccepted},
	{"/api/checkDeparture", ``, http.StatusAccepted},
}

// The handler serves exactly TWCManager's 25 routes, and the test tables
// cover every POST route.
func TestRoutesAreTWCManagers(t *testing.T) {
	var want []string
	for p := range twcManagerRoutes {
		want = append(want, p)
	}
	slices.Sort(want)
	if got := compat.Routes(); !slices.Equal(got, want) {
		t.Fatalf("routes:\n got %v\nwant %v", got, want)
	}
	var posts []string
	for _, w := range goodWrites {
		posts = append(posts, w.path)
	}
	for p, m := range twcManagerRoutes {
		if m == "POST" && !slices.Contains(posts, p) {
			t.Errorf("goodWrites has no request for %s", p)
		}
	}
}

// Unknown paths answer 404 with an empty body, as TWCManager does; a known
// path asked with the other method answers 405 naming the right one.
func TestUnknownRoutesAndMethods(t *testing.T) {
	e := start(t)
	for _, p := range []string{"/api/nothing", "/api/getstatus", "/api/", "/api/getStatus/extra"} {
		for _, m := range []string{"GET", "POST"} {
			r := e.do(t, m, p, e.auth, `{}`)
			if r.status != http.StatusNotFound || r.body != "" {
				t.Errorf("%s %s: %d %q, want 404 and no body", m, p, r.status, r.body)
			}
		}
	}
	for p, m := range twcManagerRoutes {
		other := map[string]string{"GET": "POST", "POST": "GET"}[m]
		before := e.settingsJSON(t)
		r := e.do(t, other, p, e.auth, `{"chargeNowRate": 16, "chargeNowDuration": 60}`)
		if r.status != http.StatusMethodNotAllowed || !strings.Contains(r.body, m) {
			t.Errorf("%s %s: %d %s, want 405 naming %s", other, p, r.status, r.body, m)
		}
		if e.settingsJSON(t) != before {
			t.Errorf("%s %s changed the settings", other, p)
		}
	}
	r := e.do(t, "HEAD", "/api/getStatus", "", "")
	if r.status != http.StatusOK {
		t.Errorf("HEAD /api/getStatus: %d", r.status)
	}
}
