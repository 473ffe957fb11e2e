package compat_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/twcmanager/twcmanager/config"
)

// Consumption offsets: added, replaced by name, listed as {name: {value,
// unit}}, deleted (404 for a name that is not there), and TWCManager's
// single legacy offset in A; getStatus adds them to the consumption.
func TestConsumptionOffsets(t *testing.T) {
	t.Parallel()
	e := start(t)
	offsets := func() map[string]struct {
		Value float64 `json:"value"`
		Unit  string  `json:"unit"`
	} {
		var m map[string]struct {
			Value float64 `json:"value"`
			Unit  string  `json:"unit"`
		}
		e.getJSON(t, "/api/getConsumptionOffsets", &m)
		return m
	}
	if m := offsets(); len(m) != 0 {
		t.Fatalf("offsets at start: %v", m)
	}
	if r := e.post(t, "/api/deleteConsumptionOffset", `{"offsetName": "pool"}`); r.status != http.StatusNotFound {
		t.Fatalf("delete with no offsets: %d %s", r.status, r.body)
	}

	r := e.post(t, "/api/addConsumptionOffset", `{"offsetName": "heat pump", "offsetValue": "1500", "offsetUnit": "W"}`)
	if r.status != http.StatusOK || r.body != `{"offsetName":"heat pump","offsetUnit":"W","offsetValue":1500,"status":"success"}`+"\n" {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	if r := e.post(t, "/api/addConsumptionOffset", `{"offsetName": "reserve", "offsetValue": -2, "offsetUnit": "A"}`); r.status != http.StatusOK {
		t.Fatalf("add reserve: %d %s", r.status, r.body)
	}
	// The same name replaces the offset.
	if r := e.post(t, "/api/addConsumptionOffset", `{"offsetName": "heat pump", "offsetValue": 2000, "offsetUnit": "W"}`); r.status != http.StatusOK {
		t.Fatalf("replace: %d %s", r.status, r.body)
	}
	m := offsets()
	if len(m) != 2 || m["heat pump"].Value != 2000 || m["heat pump"].Unit != "W" || m["reserve"].Value != -2 || m["reserve"].Unit != "A" {
		t.Fatalf("offsets: %v", m)
	}
	got := e.b.Settings().Policy.Offsets
	if len(got) != 2 || got[0] != (config.Offset{Name: "heat pump", Value: 2000, Unit: config.UnitWatts}) {
		t.Fatalf("settings offsets: %+v", got)
	}

	// getStatus shows consumption with the offsets: 2000 W − 2 A × 230 V.
	// The meter is read on both sides of the request, as the simulated
	// house changes.
	raw1 := float64(e.b.Energy().Reading.Consumption)
	var s map[string]any
	e.getJSON(t, "/api/getStatus", &s)
	raw2 := float64(e.b.Energy().Reading.Consumption)
	shown, _ := strconv.ParseFloat(s["consumptionWatts"].(string), 64)
	if lo, hi := min(raw1, raw2)+1540-0.01, max(raw1, raw2)+1540+0.01; shown < lo || shown > hi {
		t.Errorf("consumptionWatts %v with offsets, want the meter (%v…%v) + 1540", shown, raw1, raw2)
	}

	if r := e.post(t, "/api/deleteConsumptionOffset", `{"offsetName": "reserve"}`); r.status != http.StatusOK || r.body != `{"offsetName":"reserve","status":"success"}`+"\n" {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := e.post(t, "/api/deleteConsumptionOffset", `{"offsetName": "reserve"}`); r.status != http.StatusNotFound {
		t.Fatalf("delete again: %d %s", r.status, r.body)
	}

	if r := e.post(t, "/api/setConsumptionOffset", `{"offset": "2.5"}`); r.status != http.StatusNoContent || r.body != "" {
		t.Fatalf("setConsumptionOffset: %d %s", r.status, r.body)
	}
	if m := offsets(); m["greenEnergyAmpsOffset"].Value != 2.5 || m["greenEnergyAmpsOffset"].Unit != "A" || len(m) != 2 {
		t.Fatalf("after setConsumptionOffset: %v", m)
	}
	if r := e.post(t, "/api/setConsumptionOffset", `{"offset": 0}`); r.status != http.StatusNoContent {
		t.Fatalf("setConsumptionOffset 0: %d %s", r.status, r.body)
	}
	if m := offsets(); len(m) != 1 || m["heat pump"].Value != 2000 {
		t.Fatalf("after removing the legacy offset: %v", m)
	}
}
