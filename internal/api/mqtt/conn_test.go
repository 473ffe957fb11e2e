package mqtt_test

import (
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
	"github.com/twcmanager/twcmanager/internal/secret"
)

// statuses are the payloads on TWC/status in order, empty ones included.
func statuses(w *watcher, topic string) []string {
	var out []string
	for _, m := range w.messages() {
		if m.topic == topic {
			out = append(out, m.payload)
		}
	}
	return out
}

// A connection that dies without a goodbye leaves the broker to publish the
// last will, offline; the service reconnects and is online again. A
// retained command is not replayed by the reconnection. Stopping the
// appliance says offline itself.
func TestLastWillAndGoodbye(t *testing.T) {
	t.Parallel()
	b := energytest.StartMosquitto(t)
	r := start(t, b, nil)
	w := watch(t, b, "", "", "TWC/status")
	w.waitValue("TWC/status", "online")

	// Retained by mistake: applied now, as it is sent, but never again.
	b.Publish("TWC/control/mode", "off", true)
	waitFor(t, "Off", func() bool { return r.a.API().Settings().Policy.Mode == config.ModeOff })
	b.Publish("TWC/control/mode", "solar", false)
	waitFor(t, "Solar", func() bool { return r.a.API().Settings().Policy.Mode == config.ModeSolar })
	received := r.svc.Status().Received

	r.svc.DropConnectionForTest()
	waitFor(t, "offline, online again", func() bool {
		s := strings.Join(statuses(w, "TWC/status"), " ")
		return strings.Contains(s, "online offline online")
	})
	waitFor(t, "the service connected again", func() bool { return r.svc.Status().Connected })
	time.Sleep(300 * time.Millisecond) // time enough for a replayed command to arrive and be applied
	if m := r.a.API().Settings().Policy.Mode; m != config.ModeSolar || r.svc.Status().Received != received {
		t.Fatalf("after reconnecting: mode %s, %d control messages (had %d): a retained command was replayed", m, r.svc.Status().Received, received)
	}

	r.stop()
	waitFor(t, "offline after stopping", func() bool {
		got := statuses(w, "TWC/status")
		return got[len(got)-1] == "offline"
	})
	later := watch(t, b, "", "", "TWC/status")
	later.waitValue("TWC/status", "offline")
	if st := r.svc.Status(); st.Enabled || st.Connected {
		t.Errorf("stopped service: %+v", st)
	}
}

// When the broker goes away the status says so and what to do; when it
// is back, the service reconnects and publishes everything again, even
// though the broker lost its retained messages.
func TestReconnectAfterBrokerRestart(t *testing.T) {
	t.Parallel()
	b := energytest.StartMosquitto(t)
	r := start(t, b, nil)
	w := watch(t, b, "", "", "TWC/#", "homeassistant/#")
	w.waitTopics("TWC/status", "TWC/1839/ampsInUse")
	waitFor(t, "discovery", func() bool { return len(configs(t, w)) == siteEntities+2*chargerEntities })
	waitFor(t, "connected", func() bool { return r.svc.Status().Connected })

	b.Stop()
	waitFor(t, "the connection noticed down", func() bool { return !r.svc.Status().Connected })
	waitFor(t, "a problem saying what to do", func() bool {
		p := r.svc.Status().Problem
		return strings.Contains(p, b.Addr()) && strings.Contains(p, "check that it is running")
	})
	down := r.svc.Status()
	if !down.Enabled || down.Since.IsZero() {
		t.Errorf("while down: %+v", down)
	}

	b.Start()
	waitFor(t, "the connection back", func() bool { return r.svc.Status().Connected })
	if st := r.svc.Status(); st.Problem != "" || !st.Since.After(down.Since) {
		t.Errorf("after reconnecting: %+v", st)
	}
	again := watch(t, b, "", "", "TWC/#", "homeassistant/#")
	again.waitTopics("TWC/status", "TWC/1839/ampsInUse", "TWC/4580/lifetimekWh", "TWC/all/mode")
	again.waitValue("TWC/status", "online")
	waitFor(t, "discovery again", func() bool { return len(configs(t, again)) == siteEntities+2*chargerEntities })
}

// A broker that wants a login gets the username from the settings and the
// password from the secrets; a missing or wrong one is a problem that says
// so, and setting it connects without a restart.
func TestLogin(t *testing.T) {
	t.Parallel()
	b := energytest.StartMosquittoAuth(t, "twc", "garage-door-42")
	r := start(t, b, func(s *config.Settings) { s.MQTT.Username = "twc" })
	waitFor(t, "a login problem", func() bool {
		p := r.svc.Status().Problem
		return strings.Contains(p, "refused the login") && strings.Contains(p, "username and password")
	})
	if err := r.a.API().SetSecret(config.MQTTPasswordSecret, secret.New("wrong")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // a recheck or two: the service picks the new password up
	if r.svc.Status().Connected {
		t.Fatal("connected with the wrong password")
	}
	if err := r.a.API().SetSecret(config.MQTTPasswordSecret, secret.New("garage-door-42")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the connection with the right password", func() bool { return r.svc.Status().Connected })
	w := watch(t, b, "twc", "garage-door-42", "TWC/#")
	w.waitValue("TWC/status", "online")
	w.waitTopics("TWC/1839/ampsInUse")
	if strings.Contains(r.logs.String(), "garage-door-42") {
		t.Error("the password is in the log")
	}
}

// A new prefix moves every topic: the old ones are cleared from the
// broker, the new ones published, control listens there, and Home
// Assistant's entities follow.
func TestPrefixChange(t *testing.T) {
	t.Parallel()
	b := energytest.StartMosquitto(t)
	r := start(t, b, nil)
	w := watch(t, b, "", "", "#")
	w.waitTopics("TWC/status", "TWC/1839/ampsInUse", "TWC/all/mode")
	waitFor(t, "discovery", func() bool { return len(configs(t, w)) == siteEntities+2*chargerEntities })

	r.change(t, func(s *config.Settings) { s.MQTT.Prefix = "garage/twc" })
	w.waitTopics("garage/twc/status", "garage/twc/1839/ampsInUse", "garage/twc/4580/chargerLoadInW", "garage/twc/all/mode")
	w.waitValue("garage/twc/status", "online")
	waitFor(t, "entities on the new topics", func() bool {
		for _, e := range configs(t, w) {
			if !strings.HasPrefix(e.str("availability_topic"), "garage/twc/") {
				return false
			}
		}
		return true
	})
	if n := len(configs(t, w)); n != siteEntities+2*chargerEntities {
		t.Errorf("%d entities after the move", n)
	}
	for topic, m := range w.latest() {
		if strings.HasPrefix(topic, "TWC/") && m.payload != "" {
			t.Errorf("%s still holds %q", topic, m.payload)
		}
	}
	fresh := watch(t, b, "", "", "TWC/#")
	time.Sleep(200 * time.Millisecond) // retained messages follow the subscription at once
	if old := fresh.messages(); len(old) != 0 {
		t.Errorf("retained under the old prefix: %v", old)
	}

	received := r.svc.Status().Received
	b.Publish("TWC/control/mode", "off", false)
	b.Publish("garage/twc/control/mode", "minsolar", false)
	waitFor(t, "control on the new prefix", func() bool { return r.a.API().Settings().Policy.Mode == config.ModeMinSolar })
	if got := r.svc.Status().Received; got != received+1 {
		t.Errorf("%d control messages, want the new prefix's only", got-received)
	}
}

// Turning MQTT off says offline and disconnects; turning it on again
// connects.
func TestDisableAndEnable(t *testing.T) {
	t.Parallel()
	b := energytest.StartMosquitto(t)
	r := start(t, b, nil)
	w := watch(t, b, "", "", "TWC/status")
	w.waitValue("TWC/status", "online")

	r.change(t, func(s *config.Settings) { s.MQTT.Enabled = false })
	w.waitValue("TWC/status", "offline")
	waitFor(t, "the service idle", func() bool { st := r.svc.Status(); return !st.Enabled && !st.Connected && st.Problem == "" })

	r.change(t, func(s *config.Settings) { s.MQTT.Enabled = true })
	w.waitValue("TWC/status", "online")
	waitFor(t, "connected", func() bool { return r.svc.Status().Connected })
}

// Settings that cannot work are a problem in words, and nothing else
// suffers: the appliance keeps charging.
func TestSettingsProblems(t *testing.T) {
	t.Parallel()
	b := energytest.StartMosquitto(t)
	refused := strings.TrimPrefix(energytest.RefusedURL(t), "http://")
	r := start(t, b, func(s *config.Settings) { s.MQTT.Broker = refused })
	waitFor(t, "an unreachable broker's problem", func() bool {
		p := r.svc.Status().Problem
		return strings.Contains(p, "Cannot reach the MQTT broker at mqtt://"+refused) && strings.Contains(p, "connection refused")
	})
	if st := r.svc.Status(); !st.Enabled || st.Connected || st.Broker != "mqtt://"+refused {
		t.Errorf("unreachable: %+v", st)
	}

	r.change(t, func(s *config.Settings) {
		s.MQTT.Broker = b.URL()
		s.MQTT.CACert = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"
	})
	waitFor(t, "a bad certificate's problem", func() bool {
		return strings.Contains(r.svc.Status().Problem, "CA certificate in the MQTT settings could not be read")
	})

	r.change(t, func(s *config.Settings) { s.MQTT.CACert = "" })
	waitFor(t, "connected once the settings are right", func() bool { st := r.svc.Status(); return st.Connected && st.Problem == "" })
	waitFor(t, "the policy deciding meanwhile", func() bool {
		d := r.a.API().Decisions(1)
		return len(d) == 1 && d[0].Mode == config.ModeSolar
	})
}
