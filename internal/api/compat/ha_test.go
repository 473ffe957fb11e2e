package compat_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jsonNumber and jsonString are the types Python's json module gives the
// integration: a number becomes an int or float, a string a str.
const (
	jsonNumber = "number"
	jsonString = "string"
)

func jsonType(v any) string {
	switch v.(type) {
	case float64:
		return jsonNumber
	case string:
		return jsonString
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return "?"
}

// haChargerFields are the keys the Home Assistant integration (twcmanager_ha
// through twcmanager-client) makes sensors of for each charger, with the
// type it reads, plus the ones it receives and ignores.
var haChargerFields = map[string]string{
	"carsCharging":       jsonNumber,
	"currentVIN":         jsonString,
	"lastAmpsOffered":    jsonNumber,
	"lastVIN":            jsonString,
	"lifetimekWh":        jsonNumber,
	"maxAmps":            jsonNumber,
	"reportedAmpsActual": jsonNumber,
	"state":              jsonNumber,
	"version":            jsonNumber,
	"voltsPhaseA":        jsonNumber,
	"voltsPhaseB":        jsonNumber,
	"voltsPhaseC":        jsonNumber,
	"TWCID":              jsonString,
	"chargerLoadInW":     jsonNumber,
	"lastHeartbeat":      jsonNumber,
	"chargeTime":         jsonString,
}

// haTotalFields are the keys of "total", which gets sensors too.
var haTotalFields = map[string]string{
	"carsCharging":       jsonNumber,
	"lastAmpsOffered":    jsonNumber,
	"lifetimekWh":        jsonNumber,
	"maxAmps":            jsonNumber,
	"reportedAmpsActual": jsonNumber,
	"TWCID":              jsonString,
}

var (
	twcID     = regexp.MustCompile(`^[0-9A-F]{4}$`)
	chargeDur = regexp.MustCompile(`^(--:--:--|(\d+ days?, )?\d+:\d{2}:\d{2})$`)
)

// Replays the Home Assistant integration: setup reads getUUID as text and
// keys every entity on it; its coordinator then polls getSlaveTWCs (through
// aiohttp's response.json(), which insists on application/json) and makes a
// sensor of each known key of each charger and of "total".
func TestHomeAssistantContract(t *testing.T) {
	t.Parallel()
	e := start(t)

	r := e.get(t, "/api/getUUID")
	if r.status != http.StatusOK || !strings.HasPrefix(r.ctype, "text/plain") {
		t.Fatalf("getUUID: %d %q %q", r.status, r.ctype, r.body)
	}
	uuid, err := strconv.ParseUint(r.body, 10, 64)
	if err != nil || uuid != e.b.DeviceID() {
		t.Fatalf("getUUID %q: want the decimal device ID %d (%v)", r.body, e.b.DeviceID(), err)
	}
	if again := e.get(t, "/api/getUUID").body; again != r.body {
		t.Fatalf("getUUID changed from %q to %q: the entities would be made again", r.body, again)
	}

	lastKWh := map[string]float64{}
	for poll := range 3 {
		var data map[string]map[string]any
		e.getJSON(t, "/api/getSlaveTWCs", &data)
		if len(data) != 3 || data["1839"] == nil || data["4580"] == nil || data["total"] == nil {
			t.Fatalf("poll %d: keys %v, want 1839, 4580 and total", poll, keys(data))
		}
		var sumKWh float64
		for id, props := range data {
			want := haChargerFields
			if id == "total" {
				want = haTotalFields
			} else {
				if !twcID.MatchString(id) {
					t.Errorf("charger key %q: want 4 upper-case hex digits", id)
				}
				sumKWh += props["lifetimekWh"].(float64)
				if !chargeDur.MatchString(props["chargeTime"].(string)) {
					t.Errorf("%s chargeTime %q", id, props["chargeTime"])
				}
				snap, _ := e.b.Snapshot().Charger(chargerID(t, id))
				if props["lifetimekWh"] != snap.Info.LifetimeKWh || props["maxAmps"] != float64(snap.Advertised) || props["version"] != float64(snap.Protocol) {
					t.Errorf("%s: %v does not match the bus (%v kWh, %v max, protocol %d)", id, props, snap.Info.LifetimeKWh, snap.Advertised, snap.Protocol)
				}
			}
			if props["TWCID"] != id {
				t.Errorf("%s: TWCID %v", id, props["TWCID"])
			}
			for k, typ := range want {
				v, ok := props[k]
				if !ok {
					t.Errorf("poll %d %s: no %s", poll, id, k)
				} else if jsonType(v) != typ {
					t.Errorf("poll %d %s.%s = %v: %s, want %s", poll, id, k, v, jsonType(v), typ)
				}
			}
			// lifetimekWh is a total_increasing sensor: it must never fall.
			if kwh := props["lifetimekWh"].(float64); kwh < lastKWh[id] {
				t.Errorf("%s lifetimekWh fell from %v to %v", id, lastKWh[id], kwh)
			} else {
				lastKWh[id] = kwh
			}
		}
		if total := data["total"]["lifetimekWh"].(float64); total != sumKWh || total < 1843+912 {
			t.Errorf("total lifetimekWh %v, want the sum %v", total, sumKWh)
		}
		if data["total"]["maxAmps"] != 32.0 {
			t.Errorf("total maxAmps %v, want 32 (the smallest charger maximum)", data["total"]["maxAmps"])
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
