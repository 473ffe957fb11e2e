package mqtt_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/twcmanager/twcmanager/internal/energy/energytest"
)

// Both demo chargers and the site appear under TWCManager's topics, with
// payloads shaped as TWCManager prints them, and every value is retained,
// so a client that subscribes later (Home Assistant after a restart) gets
// them at once.
func TestStatusTopics(t *testing.T) {
	t.Parallel()
	b := energytest.StartMosquitto(t)
	start(t, b, nil)
	live := watch(t, b, "", "", "TWC/#")

	pyFloat := regexp.MustCompile(`^\d+\.\d+$`)
	integer := regexp.MustCompile(`^\d+$`)
	decimal := regexp.MustCompile(`^\d+(\.\d+)?$`)
	bit := regexp.MustCompile(`^[01]$`)
	shapes := map[string]*regexp.Regexp{
		"ampsInUse": pyFloat, "ampsMax": pyFloat, "state": integer, "carsCharging": bit,
		"lifetimekWh": integer, "voltagePhaseA": integer, "voltagePhaseB": integer, "voltagePhaseC": integer,
		"chargerLoadInW": integer,
	}
	var want []string
	for _, id := range []string{car, empty} {
		for key := range shapes {
			want = append(want, "TWC/"+id+"/"+key)
		}
	}
	site := map[string]*regexp.Regexp{
		"TWC/all/totalAmpsInUse": pyFloat, "TWC/all/maxAmpsForSlaves": decimal,
		"TWC/all/currentPolicy":    regexp.MustCompile(`^Track Green Energy$`), // the demo follows the sun
		"TWC/all/mode":             regexp.MustCompile(`^solar$`),
		"TWC/config/minAmpsPerTWC": regexp.MustCompile(`^6$`), "TWC/config/chargeNowAmps": regexp.MustCompile(`^32$`),
		"TWC/status": regexp.MustCompile(`^online$`),
	}
	for topic := range site {
		want = append(want, topic)
	}
	live.waitTopics(want...)

	later := watch(t, b, "", "", "TWC/#")
	later.waitTopics(want...)
	got := later.latest()
	for _, topic := range want {
		if !got[topic].retain {
			t.Errorf("%s is not retained", topic)
		}
	}
	for _, id := range []string{car, empty} {
		for key, re := range shapes {
			if v := got["TWC/"+id+"/"+key].payload; !re.MatchString(v) {
				t.Errorf("TWC/%s/%s = %q, want %v", id, key, v, re)
			}
		}
	}
	for topic, re := range site {
		if v := got[topic].payload; !re.MatchString(v) {
			t.Errorf("%s = %q, want %v", topic, v, re)
		}
	}
	// The demo's meters: 1839 is single-phase at 240 V, 4580 three-phase.
	for topic, want := range map[string]string{
		"TWC/1839/voltagePhaseA": "240", "TWC/1839/voltagePhaseB": "0",
		"TWC/4580/voltagePhaseA": "230", "TWC/4580/voltagePhaseB": "231", "TWC/4580/voltagePhaseC": "229",
	} {
		if v := got[topic].payload; v != want {
			t.Errorf("%s = %q, want %q", topic, v, want)
		}
	}
	for topic, least := range map[string]int{"TWC/1839/lifetimekWh": 1843, "TWC/4580/lifetimekWh": 912} {
		if n, _ := strconv.Atoi(got[topic].payload); n < least {
			t.Errorf("%s = %q, want at least %d", topic, got[topic].payload, least)
		}
	}
	if v := got["TWC/4580/carsCharging"].payload; v != "0" {
		t.Errorf("the charger without a car: carsCharging %q", v)
	}
	if v, ok := got["TWC/4580/currentVehicleVIN"]; ok && v.payload != "" {
		t.Errorf("the charger without a car names a vehicle: %q", v.payload)
	}
}
