package mqtt

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/version"
)

// Home Assistant MQTT discovery: one retained config message per entity at
// <discovery prefix>/<component>/<node>/<object>/config. The node is the
// appliance (twcmanager_<device id>), so the entities keep their identity
// when the topic prefix changes; each charger is a device of its own,
// connected via the appliance's.

// entity is one discovery config message. Field names are Home
// Assistant's; empty fields are left out so its defaults apply.
type entity struct {
	Name          string   `json:"name"`
	UniqueID      string   `json:"unique_id"`
	StateTopic    string   `json:"state_topic,omitempty"`
	CommandTopic  string   `json:"command_topic,omitempty"`
	ValueTemplate string   `json:"value_template,omitempty"`
	Unit          string   `json:"unit_of_measurement,omitempty"`
	DeviceClass   string   `json:"device_class,omitempty"`
	StateClass    string   `json:"state_class,omitempty"`
	Category      string   `json:"entity_category,omitempty"`
	Icon          string   `json:"icon,omitempty"`
	Options       []string `json:"options,omitempty"`       // select
	PayloadPress  string   `json:"payload_press,omitempty"` // button
	PayloadOn     string   `json:"payload_on,omitempty"`    // binary_sensor
	PayloadOff    string   `json:"payload_off,omitempty"`
	Min           *float64 `json:"min,omitempty"` // number
	Max           *float64 `json:"max,omitempty"`
	Step          *float64 `json:"step,omitempty"`
	Mode          string   `json:"mode,omitempty"`
	// Commands are events: a retained one would be replayed.
	Retain *bool `json:"retain,omitempty"`

	AvailabilityTopic   string `json:"availability_topic"`
	PayloadAvailable    string `json:"payload_available"`
	PayloadNotAvailable string `json:"payload_not_available"`
	Device              device `json:"device"`
	Origin              origin `json:"origin"`

	component, object string
}

type device struct {
	Identifiers  []string `json:"identifiers"`
	Name         string   `json:"name"`
	Manufacturer string   `json:"manufacturer"`
	Model        string   `json:"model"`
	SWVersion    string   `json:"sw_version,omitempty"`
	SerialNumber string   `json:"serial_number,omitempty"`
	ViaDevice    string   `json:"via_device,omitempty"`
}

type origin struct {
	Name      string `json:"name"`
	SWVersion string `json:"sw_version,omitempty"`
}

// discovery is every discovery message for the appliance and the chargers
// linked now; a charger that links later is announced at the next sample.
func (s *Service) discovery(t target) []item {
	node := fmt.Sprintf("twcmanager_%012x", s.b.DeviceID()&(1<<48-1))
	set := s.b.Settings()
	ver := version.String()
	site := device{Identifiers: []string{node}, Name: "TWCManager", Manufacturer: "TWCManager", Model: "Load-sharing master", SWVersion: ver}
	p := t.prefix + "/"
	es := siteEntities(p, set.Wiring)
	for i := range es {
		es[i].Device = site
	}
	for _, c := range s.b.Snapshot().Chargers {
		dev := device{
			Identifiers: []string{node + "_" + c.ID.String()}, Name: "TWC " + c.ID.String(),
			Manufacturer: "Tesla", Model: "Wall Connector Gen 2", SWVersion: c.Info.Firmware,
			SerialNumber: c.Info.Serial, ViaDevice: node,
		}
		for _, e := range chargerEntities(p, c) {
			e.Device = dev
			es = append(es, e)
		}
	}
	out := make([]item, 0, len(es))
	for _, e := range es {
		e.UniqueID = node + "_" + e.object
		e.AvailabilityTopic, e.PayloadAvailable, e.PayloadNotAvailable = t.prefix+"/status", online, offline
		e.Origin = origin{Name: "twcmanager", SWVersion: ver}
		b, err := json.Marshal(e)
		if err != nil { // cannot happen: only strings, numbers and bools
			s.log.Error("mqtt: discovery message", "entity", e.object, "err", err)
			continue
		}
		topic := strings.Join([]string{t.discoveryPrefix, e.component, node, e.object, "config"}, "/")
		out = append(out, item{topic, string(b), announce})
	}
	return out
}

// siteEntities are the appliance's own: site totals, the policy, and the
// controls.
func siteEntities(p string, w config.Wiring) []entity {
	modes := make([]string, len(config.Modes))
	for i, m := range config.Modes {
		modes[i] = string(m)
	}
	lo, hi, step, no := float64(w.MinAmps), float64(max(w.Shared.Continuous(), w.MinAmps)), 1.0, false
	return []entity{
		{component: "sensor", object: "total_amps_in_use", Name: "Total current in use", StateTopic: p + "all/totalAmpsInUse",
			Unit: "A", DeviceClass: "current", StateClass: "measurement"},
		{component: "sensor", object: "max_amps_for_slaves", Name: "Current for chargers", StateTopic: p + "all/maxAmpsForSlaves",
			Unit: "A", DeviceClass: "current", StateClass: "measurement"},
		{component: "sensor", object: "current_policy", Name: "Policy", StateTopic: p + "all/currentPolicy", Icon: "mdi:format-list-checks"},
		{component: "select", object: "mode", Name: "Mode", StateTopic: p + "all/mode", CommandTopic: p + "control/mode",
			Options: modes, Icon: "mdi:ev-station", Retain: &no},
		{component: "button", object: "charge_now", Name: "Charge now", CommandTopic: p + "control/chargeNowStart",
			PayloadPress: strconv.Itoa(int(pressDuration.Seconds())), Icon: "mdi:lightning-bolt", Retain: &no},
		{component: "button", object: "charge_now_end", Name: "End charge now", CommandTopic: p + "control/chargeNowEnd",
			Icon: "mdi:lightning-bolt-outline", Retain: &no},
		{component: "number", object: "charge_now_amps", Name: "Charge now current", StateTopic: p + "config/chargeNowAmps",
			CommandTopic: p + "control/chargeNowAmps", Min: &lo, Max: &hi, Step: &step, Mode: "box",
			Unit: "A", DeviceClass: "current", Retain: &no},
	}
}

// chargerEntities are one charger's sensors.
func chargerEntities(p string, c bus.ChargerState) []entity {
	id := c.ID.String()
	base := p + id + "/"
	o := func(key string) string { return id + "_" + key }
	es := []entity{
		{component: "sensor", object: o("amps_in_use"), Name: "Current in use", StateTopic: base + "ampsInUse",
			Unit: "A", DeviceClass: "current", StateClass: "measurement"},
		{component: "sensor", object: o("amps_max"), Name: "Current offered", StateTopic: base + "ampsMax",
			Unit: "A", DeviceClass: "current", StateClass: "measurement"},
		{component: "sensor", object: o("state"), Name: "State", StateTopic: base + "state", ValueTemplate: stateTemplate, Icon: "mdi:ev-plug-type2"},
		{component: "binary_sensor", object: o("charging"), Name: "Charging", StateTopic: base + "carsCharging",
			PayloadOn: "1", PayloadOff: "0", DeviceClass: "battery_charging"},
		{component: "sensor", object: o("lifetime_kwh"), Name: "Lifetime energy", StateTopic: base + "lifetimekWh",
			Unit: "kWh", DeviceClass: "energy", StateClass: "total_increasing"},
	}
	for _, ph := range []string{"A", "B", "C"} {
		es = append(es, entity{component: "sensor", object: o("voltage_phase_" + strings.ToLower(ph)), Name: "Voltage phase " + ph,
			StateTopic: base + "voltagePhase" + ph, Unit: "V", DeviceClass: "voltage", StateClass: "measurement", Category: "diagnostic"})
	}
	return append(es,
		entity{component: "sensor", object: o("charger_load_w"), Name: "Power", StateTopic: base + "chargerLoadInW",
			Unit: "W", DeviceClass: "power", StateClass: "measurement"},
		entity{component: "sensor", object: o("current_vehicle_vin"), Name: "Vehicle VIN", StateTopic: base + "currentVehicleVIN", Icon: "mdi:car"},
		entity{component: "sensor", object: o("last_vehicle_vin"), Name: "Last vehicle VIN", StateTopic: base + "lastVehicleVIN",
			Icon: "mdi:car-clock", Category: "diagnostic"},
	)
}

// stateTemplate turns the heartbeat state code into words in Home
// Assistant, leaving codes it does not know as they are.
var stateTemplate = func() string {
	var b strings.Builder
	b.WriteString("{{ {")
	for code := twc.StateReady; code <= twc.StateAdjusted; code++ {
		if code > twc.StateReady {
			b.WriteString(", ")
		}
		words := code.String()
		fmt.Fprintf(&b, "'%d': '%s'", int(code), strings.ToUpper(words[:1])+words[1:])
	}
	b.WriteString("}.get(value, value) }}")
	return b.String()
}()
