package compat_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/units"
)

// getConfig is TWCManager's config.json shape made from the typed settings.
func TestGetConfig(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.change(t, func(s *config.Settings) {
		s.Wiring.Shared = config.Circuit{Breaker: 50} // 40 A continuous
		s.Wiring.Charger = config.Circuit{Limit: 24}
		s.Wiring.MinAmps = 8
		s.Electrical.Phases = 3
		s.Policy.GridImportCap = units.Watts(11040) // 16 A × 230 V × 3
		s.Policy.Limits.Now = 90
		s.MQTT.Broker, s.MQTT.TLS = "broker.local", true
	})
	var got struct {
		Config    map[string]any `json:"config"`
		Interface struct {
			RS485 map[string]any `json:"RS485"`
		} `json:"interface"`
		Control struct {
			HTTP map[string]any `json:"HTTP"`
			MQTT map[string]any `json:"MQTT"`
		} `json:"control"`
		Policy struct {
			Engine map[string]any `json:"engine"`
		} `json:"policy"`
		Sources map[string]map[string]any `json:"sources"`
	}
	e.getJSON(t, "/api/getConfig", &got)
	want := map[string]any{
		"wiringMaxAmpsAllTWCs": 40.0, "wiringMaxAmpsPerTWC": 24.0, "minAmpsPerTWC": 8.0,
		"defaultVoltage": 230.0, "numberOfPhases": 3.0, "maxAmpsAllowedFromGrid": 16.0,
		"chargeNowLimit": 90.0, "scheduledLimit": -1.0, "startStopDelay": 180.0, "fakeMaster": 1.0,
		"subtractChargerLoad": false, "greenEnergyFlexAmps": 0.0,
	}
	for k, v := range want {
		if got.Config[k] != v {
			t.Errorf("config.%s = %#v, want %#v", k, got.Config[k], v)
		}
	}
	_, port, _ := net.SplitHostPort(e.a.CompatAddr())
	if p, _ := strconv.Atoi(port); got.Control.HTTP["listenPort"] != float64(p) || got.Control.HTTP["enabled"] != true {
		t.Errorf("control.HTTP %v, want port %s", got.Control.HTTP, port)
	}
	if m := got.Control.MQTT; m["brokerIP"] != "broker.local" || m["brokerPort"] != 8883.0 || m["brokerTLS"] != true || m["topicPrefix"] != "TWC" {
		t.Errorf("control.MQTT %v", m)
	}
	if got.Policy.Engine["policyCheckInterval"] != 30.0 || got.Interface.RS485["baud"] != 9600.0 {
		t.Errorf("policy %v, interface %v", got.Policy, got.Interface)
	}
	if src := got.Sources["simulated site"]; src["kind"] != "simulated" || src["enabled"] != true {
		t.Errorf("sources %v", got.Sources)
	}
}

// getPolicy lists our modes as TWCManager rules, with the current settings.
func TestGetPolicy(t *testing.T) {
	t.Parallel()
	e := start(t)
	var rules []struct {
		Name       string   `json:"name"`
		Match      []string `json:"match"`
		Condition  []string `json:"condition"`
		Value      []any    `json:"value"`
		ChargeAmps *float64 `json:"charge_amps"`
		Background string   `json:"background_task"`
	}
	e.getJSON(t, "/api/getPolicy", &rules)
	names := map[string]int{}
	for _, r := range rules {
		names[r.Name]++
		if len(r.Match) == 0 || len(r.Match) != len(r.Condition) || len(r.Match) != len(r.Value) {
			t.Errorf("rule %s: match, condition and value must be parallel lists: %+v", r.Name, r)
		}
		if (r.ChargeAmps == nil) == (r.Background == "") {
			t.Errorf("rule %s: want either charge_amps or the green background task", r.Name)
		}
	}
	if names["Track Green Energy"] != 3 {
		t.Errorf("%d rules named Track Green Energy, want 3: solar, outside the schedule, and min+solar", names["Track Green Energy"])
	}
	for _, n := range []string{"Charge Now", "Scheduled Charging", "Track Green Energy", "Non Scheduled Charging", "Off"} {
		if names[n] == 0 {
			t.Errorf("no rule %q in %v", n, names)
		}
		// Every listed name is one setPolicy accepts.
		if r := e.post(t, "/api/setPolicy", `{"policy": "`+n+`"}`); r.status != 200 {
			t.Errorf("setPolicy %q: %d %s", n, r.status, r.body)
		}
	}
	if *rules[0].ChargeAmps != 32 || rules[0].Name != "Charge Now" {
		t.Errorf("first rule %+v, want Charge Now at the settings' 32 A", rules[0])
	}
}
