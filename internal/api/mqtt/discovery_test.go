package mqtt_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
)

// siteEntities and chargerEntities are how many entities the appliance and
// each charger announce.
const (
	siteEntities    = 7
	chargerEntities = 11
)

// discovered is a discovery message as Home Assistant reads it.
type discovered struct {
	topic, component string
	cfg              map[string]any
}

func (d discovered) str(key string) string { s, _ := d.cfg[key].(string); return s }

func (d discovered) device() map[string]any { m, _ := d.cfg["device"].(map[string]any); return m }

// configs parses every discovery message w holds, failing on one that is
// not JSON.
func configs(t *testing.T, w *watcher) map[string]discovered {
	t.Helper()
	out := map[string]discovered{}
	for topic, m := range w.latest() {
		if !strings.HasSuffix(topic, "/config") || m.payload == "" {
			continue
		}
		d := discovered{topic: topic, component: strings.Split(topic, "/")[1]}
		if err := json.Unmarshal([]byte(m.payload), &d.cfg); err != nil {
			t.Fatalf("%s: not JSON: %v\n%s", topic, err, m.payload)
		}
		out[d.str("unique_id")] = d
	}
	return out
}

// Home Assistant finds sensors for the site and both chargers and the
// controls, each well-formed, unique, bound to a topic the appliance
// publishes, and marked unavailable with the appliance; pressing the
// controls acts; its birth message brings every announcement again.
func TestDiscovery(t *testing.T) {
	t.Parallel()
	b := energytest.StartMosquitto(t)
	r := start(t, b, nil)
	state := watch(t, b, "", "", "TWC/#")
	ha := watch(t, b, "", "", "homeassistant/#")
	total := siteEntities + 2*chargerEntities
	waitFor(t, fmt.Sprintf("%d entities", total), func() bool { return len(configs(t, ha)) == total })
	state.waitTopics("TWC/1839/lifetimekWh", "TWC/4580/voltagePhaseC", "TWC/all/currentPolicy", "TWC/config/chargeNowAmps")

	node := fmt.Sprintf("twcmanager_%012x", r.a.API().DeviceID()&(1<<48-1))
	es := configs(t, ha)
	topics := map[string]bool{}
	published := state.latest()
	for uid, e := range es {
		if !strings.HasPrefix(uid, node+"_") {
			t.Errorf("%s: unique_id %q does not start with the appliance's %q", e.topic, uid, node)
		}
		if want := "homeassistant/" + e.component + "/" + node + "/" + strings.TrimPrefix(uid, node+"_") + "/config"; e.topic != want {
			t.Errorf("%s: want topic %s", e.topic, want)
		}
		topics[e.topic] = true
		if e.str("name") == "" || e.str("availability_topic") != "TWC/status" ||
			e.str("payload_available") != "online" || e.str("payload_not_available") != "offline" {
			t.Errorf("%s: name or availability missing: %v", uid, e.cfg)
		}
		if ids, _ := e.device()["identifiers"].([]any); len(ids) != 1 {
			t.Errorf("%s: device %v", uid, e.device())
		}
		switch e.component {
		case "sensor", "binary_sensor":
			if e.str("command_topic") != "" {
				t.Errorf("%s: a %s with a command topic", uid, e.component)
			}
		case "select", "button", "number":
			if !strings.HasPrefix(e.str("command_topic"), "TWC/control/") || e.cfg["retain"] != false {
				t.Errorf("%s: command_topic %q, retain %v", uid, e.str("command_topic"), e.cfg["retain"])
			}
		default:
			t.Errorf("%s: unexpected component %s", uid, e.component)
		}
		if st := e.str("state_topic"); e.component != "button" {
			if _, ok := published[st]; !ok {
				t.Errorf("%s: state_topic %q carries nothing", uid, st)
			}
		}
	}
	if len(topics) != len(es) {
		t.Errorf("%d entities on %d topics", len(es), len(topics))
	}

	for _, id := range []string{car, empty} {
		kwh := es[node+"_"+id+"_lifetime_kwh"]
		if kwh.str("device_class") != "energy" || kwh.str("state_class") != "total_increasing" || kwh.str("unit_of_measurement") != "kWh" ||
			kwh.str("state_topic") != "TWC/"+id+"/lifetimekWh" {
			t.Errorf("lifetime energy of %s: %v", id, kwh.cfg)
		}
		dev := kwh.device()
		if dev["via_device"] != node || dev["name"] != "TWC "+id || dev["serial_number"] == "" {
			t.Errorf("device of %s: %v", id, dev)
		}
		for _, key := range []string{"amps_in_use", "amps_max", "state", "charging", "voltage_phase_a", "voltage_phase_b", "voltage_phase_c", "charger_load_w", "current_vehicle_vin", "last_vehicle_vin"} {
			if _, ok := es[node+"_"+id+"_"+key]; !ok {
				t.Errorf("charger %s: no %s", id, key)
			}
		}
	}
	mode := es[node+"_mode"]
	if opts := fmt.Sprint(mode.cfg["options"]); mode.component != "select" || opts != "[off now minsolar solar schedule]" || mode.str("state_topic") != "TWC/all/mode" {
		t.Errorf("mode select: %v", mode.cfg)
	}
	amps := es[node+"_charge_now_amps"]
	if amps.component != "number" || amps.cfg["min"] != 6.0 || amps.cfg["max"] != 32.0 || amps.cfg["step"] != 1.0 {
		t.Errorf("Now current number: %v", amps.cfg)
	}
	pol := func() config.Policy { return r.a.API().Settings().Policy }

	// Home Assistant's controls, used as it uses them.
	b.Publish(mode.str("command_topic"), "minsolar", false)
	waitFor(t, "Min+solar from the select", func() bool { return pol().Mode == config.ModeMinSolar })
	state.waitValue(mode.str("state_topic"), "minsolar")
	b.Publish(amps.str("command_topic"), "12.0", false)
	waitFor(t, "12 A from the number", func() bool { return pol().ChargeNow.Amps == 12 })
	state.waitValue(amps.str("state_topic"), "12")
	press := es[node+"_charge_now"]
	b.Publish(press.str("command_topic"), press.str("payload_press"), false)
	waitFor(t, "Charge Now from the button", func() bool {
		p := pol()
		return p.Mode == config.ModeNow && p.ChargeNow.Amps == 12 && p.ChargeNow.Until.After(time.Now().Add(23*time.Hour))
	})
	end := es[node+"_charge_now_end"]
	b.Publish(end.str("command_topic"), "PRESS", false) // Home Assistant's default payload
	waitFor(t, "the end of Charge Now from the button", func() bool { return pol().Mode == config.ModeMinSolar })

	// The number's range follows the wiring.
	r.change(t, func(s *config.Settings) { s.Wiring.Shared = config.Circuit{Limit: 24} })
	waitFor(t, "the number's new maximum", func() bool { return configs(t, ha)[node+"_charge_now_amps"].cfg["max"] == 24.0 })

	isConfig := func(m msg) bool { return strings.HasSuffix(m.topic, "/config") }
	before := ha.count(isConfig)
	b.Publish("homeassistant/status", "online", false)
	waitFor(t, "the announcements again after Home Assistant's birth", func() bool { return ha.count(isConfig) >= before+total })
}
