package compat_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
)

// Replays openWB 1.9's twcmanager charge point, which sends no token: it
// reads the first charger's current and phase voltages, the total lifetime
// energy and getStatus's chargerLoadWatts (a string it parses as a float),
// sets the current with chargeNow for 24 h and ends it with cancelChargeNow
// (curl -d ”, an empty body) when it wants 0 A.
func TestOpenWBContract(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.change(t, func(s *config.Settings) { s.API.CompatOpenWrites = true })
	before := e.b.Settings().Policy.Mode

	read := func() (amps float64, volts [3]float64, kwh, watts float64) {
		t.Helper()
		var slaves map[string]map[string]any
		e.getJSON(t, "/api/getSlaveTWCs", &slaves)
		ids := keys(slaves)
		sort.Strings(ids)
		first := slaves[ids[0]]
		for i, k := range []string{"voltsPhaseA", "voltsPhaseB", "voltsPhaseC"} {
			volts[i] = first[k].(float64)
		}
		var status map[string]any
		e.getJSON(t, "/api/getStatus", &status)
		w, err := strconv.ParseFloat(status["chargerLoadWatts"].(string), 64)
		if err != nil {
			t.Fatalf("chargerLoadWatts %q: %v", status["chargerLoadWatts"], err)
		}
		return first["reportedAmpsActual"].(float64), volts, slaves["total"]["lifetimekWh"].(float64), w
	}
	if _, volts, kwh, _ := read(); volts[0] != 240 || kwh != 1843+912 {
		t.Fatalf("first charger volts %v, total %v kWh; want 1839's 240 V and 2755 kWh", volts, kwh)
	}

	sent := time.Now()
	r := e.do(t, "POST", "/api/chargeNow", "", `{ "chargeNowRate": 16, "chargeNowDuration": 86400 }`)
	var ok struct {
		Status   string `json:"status"`
		Rate     int    `json:"rate"`
		Duration int    `json:"duration"`
	}
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &ok) != nil || ok.Status != "success" || ok.Rate != 16 || ok.Duration != 86400 {
		t.Fatalf("chargeNow: %d %s", r.status, r.body)
	}
	p := e.b.Settings().Policy
	if p.Mode != config.ModeNow || p.ChargeNow.Amps != 16 || p.ChargeNow.Then != before {
		t.Fatalf("after chargeNow: mode %s, %v A, then %s", p.Mode, p.ChargeNow.Amps, p.ChargeNow.Then)
	}
	if end := p.ChargeNow.Until; end.Before(sent.Add(24*time.Hour-time.Second)) || end.After(time.Now().Add(24*time.Hour)) {
		t.Fatalf("Charge Now ends %v, want 24 h after %v", end, sent)
	}
	eventually(t, "the car at 1839 offered 16 A and drawing it", func() bool {
		c, _ := e.b.Snapshot().Charger(0x1839)
		return c.Offered == 16 && c.Actual >= 1
	})
	eventually(t, "openWB reading the current and the power", func() bool {
		amps, _, _, watts := read()
		return amps >= 1 && watts > 1000
	})
	var status map[string]any
	e.getJSON(t, "/api/getStatus", &status)
	if status["currentPolicy"] != "Charge Now" || status["chargeNowAmps"] != 16.0 || status["chargeNowTimeEnd"] != float64(p.ChargeNow.Until.Unix()) {
		t.Errorf("getStatus during Charge Now: %v", status)
	}
	// The session shows in chargeTime once the history has opened it.
	eventually(t, "chargeTime counting", func() bool {
		var slaves map[string]map[string]any
		e.getJSON(t, "/api/getSlaveTWCs", &slaves)
		ct := slaves["1839"]["chargeTime"].(string)
		return ct != "--:--:--" && chargeDur.MatchString(ct) && slaves["1839"]["carsCharging"] == 1.0
	})

	r = e.do(t, "POST", "/api/cancelChargeNow", "", "")
	if r.status != http.StatusOK || r.body != "{\"status\":\"success\"}\n" {
		t.Fatalf("cancelChargeNow: %d %q", r.status, r.body)
	}
	if m := e.b.Settings().Policy.Mode; m != before {
		t.Fatalf("after cancelChargeNow: mode %s, want %s again", m, before)
	}
	eventually(t, "Charge Now over in getStatus", func() bool {
		var status map[string]any
		e.getJSON(t, "/api/getStatus", &status)
		_, still := status["chargeNowAmps"]
		return !still && status["currentPolicy"] != "Charge Now"
	})
}
