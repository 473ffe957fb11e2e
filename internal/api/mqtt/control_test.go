package mqtt_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// TWCManager's control topics act on the simulated chargers through the
// settings, as a click in the web interface would.
func TestControlTopics(t *testing.T) {
	t.Parallel()
	b := energytest.StartMosquitto(t)
	r := start(t, b, nil)
	w := watch(t, b, "", "", "TWC/#")
	w.waitTopics("TWC/status", "TWC/1839/ampsInUse")
	pol := func() config.Policy { return r.a.API().Settings().Policy }

	sent := time.Now()
	b.Publish("TWC/control/chargeNow", "16,3600", false)
	waitFor(t, "Charge Now at 16 A", func() bool { p := pol(); return p.Mode == config.ModeNow && p.ChargeNow.Amps == 16 })
	if p := pol(); p.ChargeNow.Then != config.ModeSolar || p.ChargeNow.Until.Before(sent.Add(3599*time.Second)) || p.ChargeNow.Until.After(time.Now().Add(3600*time.Second)) {
		t.Fatalf("Charge Now for an hour: %+v", p.ChargeNow)
	}
	waitFor(t, "16 A offered to the car", func() bool {
		c, ok := r.a.API().Snapshot().Charger(twc.ID(0x1839))
		return ok && c.Offered == 16
	})
	w.waitValue("TWC/all/mode", "now")
	w.waitValue("TWC/all/currentPolicy", "Charge Now")
	w.waitValue("TWC/all/maxAmpsForSlaves", "16")

	b.Publish("TWC/control/chargeNowEnd", "", false)
	waitFor(t, "the end of Charge Now", func() bool { return pol().Mode == config.ModeSolar })
	w.waitValue("TWC/all/mode", "solar")

	b.Publish("TWC/control/mode", "Schedule", false)
	waitFor(t, "Schedule mode", func() bool { return pol().Mode == config.ModeSchedule })
	for payload, want := range map[string]config.NonScheduledAction{"2": config.ActionOff, " 1 ": config.ActionFixed, "3": config.ActionSolar} {
		b.Publish("TWC/control/nonScheduledAction", payload, false)
		waitFor(t, "non-scheduled action "+string(want), func() bool { return pol().NonScheduled.Action == want })
	}
	b.Publish("TWC/control/nonScheduledAmpsMax", "12", false)
	waitFor(t, "non-scheduled 12 A", func() bool { return pol().NonScheduled.Amps == 12 })

	b.Publish("TWC/control/chargeNowAmps", "20", false)
	waitFor(t, "a Now current of 20 A", func() bool { return pol().ChargeNow.Amps == 20 })
	w.waitValue("TWC/config/chargeNowAmps", "20")
	if pol().Mode != config.ModeSchedule {
		t.Fatal("setting the Now current changed the mode")
	}
	b.Publish("TWC/control/chargeNowStart", "", false)
	waitFor(t, "Charge Now at the Now current", func() bool { return pol().Mode == config.ModeNow })
	if p := pol(); p.ChargeNow.Amps != 20 || p.ChargeNow.Then != config.ModeSchedule ||
		p.ChargeNow.Until.Before(time.Now().Add(23*time.Hour)) || p.ChargeNow.Until.After(time.Now().Add(24*time.Hour)) {
		t.Fatalf("Charge Now for a day: %+v", p.ChargeNow)
	}
	b.Publish("TWC/control/mode", "off", false)
	waitFor(t, "Off", func() bool { return pol().Mode == config.ModeOff })
	waitFor(t, "nothing offered", func() bool {
		c, ok := r.a.API().Snapshot().Charger(twc.ID(0x1839))
		return ok && c.Offered == 0
	})
}

// A bad control message changes nothing, says what was wrong on
// <prefix>/control/error, and leaves the connection up; control/stop, which
// quits TWCManager, leaves the appliance running.
func TestBadControlChangesNothing(t *testing.T) {
	t.Parallel()
	b := energytest.StartMosquitto(t)
	r := start(t, b, nil)
	errs := watch(t, b, "", "", "TWC/control/error", "TWC/status")
	errs.waitValue("TWC/status", "online")
	before, _ := json.Marshal(r.a.API().Settings())

	bad := []struct{ topic, payload, says string }{
		{"chargeNow", "16", "amps,seconds"},
		{"chargeNow", "abc,3600", "not a whole number"},
		{"chargeNow", "16,soon", "not a whole number"},
		{"chargeNow", "2,3600", "amps"},         // below the wiring minimum
		{"chargeNow", "16,0", "at least 1"},     // TWCManager would do nothing; we say so
		{"chargeNow", "16,99999999999", "most"}, // beyond a year
		{"chargeNow", "500,60", "amps"},
		{"chargeNowAmps", "lots", "current in amps"},
		{"chargeNowAmps", "2", "below"},
		{"chargeNowAmps", "99", "charge_now.amps"},
		{"chargeNowAmps", "NaN", "current in amps"},
		{"mode", "turbo", "off, now, minsolar, solar, schedule"},
		{"nonScheduledAction", "4", "1 (charge at a fixed rate)"},
		{"nonScheduledAction", "one", "not a whole number"},
		{"nonScheduledAmpsMax", "-1", "0 or more"},
		{"nonScheduledAmpsMax", "81", "at most 32 A"},
		{"chargeNowStart", "tomorrow", "not a whole number"},
		{"selfDestruct", "1", "unknown control topic"},
	}
	for i, c := range bad {
		b.Publish("TWC/control/"+c.topic, c.payload, false)
		waitFor(t, "the refusal of "+c.topic+" "+c.payload, func() bool { return r.svc.Status().Rejected == uint64(i+1) })
	}
	waitFor(t, "every refusal on control/error", func() bool {
		return errs.count(func(m msg) bool { return m.topic == "TWC/control/error" }) == len(bad)
	})
	var reports []string
	for _, m := range errs.messages() {
		if m.topic == "TWC/control/error" {
			reports = append(reports, m.payload)
		}
	}
	for i, c := range bad {
		if !strings.HasPrefix(reports[i], c.topic+" ") || !strings.Contains(reports[i], c.says) {
			t.Errorf("%s %q: reported %q, want it to mention %q", c.topic, c.payload, reports[i], c.says)
		}
	}

	b.Publish("TWC/control/stop", "", false)
	waitFor(t, "control/stop to arrive", func() bool { return r.svc.Status().Received == uint64(len(bad)+1) })
	if !strings.Contains(r.logs.String(), "control/stop quits TWCManager") {
		t.Error("control/stop was not logged as ignored")
	}
	if st := r.svc.Status(); st.Rejected != uint64(len(bad)) || !st.Connected || st.Problem != "" {
		t.Errorf("after the bad messages: %+v", st)
	}
	after, _ := json.Marshal(r.a.API().Settings())
	if string(before) != string(after) {
		t.Fatalf("bad control messages changed the settings:\nbefore %s\nafter  %s", before, after)
	}
	// Still running and charging from the sun: a good message still works.
	b.Publish("TWC/control/chargeNow", "10,60", false)
	waitFor(t, "Charge Now after the bad messages", func() bool {
		p := r.a.API().Settings().Policy
		return p.Mode == config.ModeNow && p.ChargeNow.Amps == units.Amps(10)
	})
}
