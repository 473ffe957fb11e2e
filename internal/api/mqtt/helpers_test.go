package mqtt_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/twcmanager/twcmanager/appliance"
	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api/mqtt"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
	"github.com/twcmanager/twcmanager/internal/testutil"
)

// The tests run the real demo appliance (two simulated chargers, a car in
// 1839, a simulated sunny house) against a real mosquitto, and look at the
// broker the way Home Assistant or a script would.

// waitLimit bounds every wait: the demo's chargers link within two seconds
// and the service's periods are shortened to a fraction of a second.
const waitLimit = 15 * time.Second

// The demo chargers.
const (
	car   = "1839" // a car is plugged in
	empty = "4580" // three-phase, no car
)

// rig is a running demo appliance whose MQTT service talks to a broker.
type rig struct {
	a    *appliance.Appliance
	svc  *mqtt.Service
	logs *testutil.Buffer
	stop func()
}

// start runs the demo appliance with MQTT enabled on b, after mod changes
// the settings, and stops it when the test ends.
func start(t *testing.T, b *energytest.Broker, mod func(*config.Settings)) *rig {
	t.Helper()
	s := appliance.DemoSettings()
	s.MQTT.Enabled = true
	s.MQTT.Broker = b.URL()
	if mod != nil {
		mod(&s)
	}
	logs := &testutil.Buffer{}
	a, err := appliance.New(appliance.Config{Demo: true, DataDir: t.TempDir(), Settings: s, Logger: newLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	svc := a.MQTT()
	svc.SetTimingForTest(mqtt.Config{
		Recheck: 100 * time.Millisecond, Sample: 50 * time.Millisecond, MinGap: 300 * time.Millisecond,
		Backoff: func(n int) time.Duration { return time.Duration(min(n, 1)) * 100 * time.Millisecond },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.Run(ctx); err != nil {
			t.Errorf("appliance: %v", err)
		}
	}()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("appliance log:\n%s", logs.String())
		}
	})
	return &rig{a: a, svc: svc, logs: logs, stop: stop}
}

func newLogger(w *testutil.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// change applies fn to the appliance's settings.
func (r *rig) change(t *testing.T, fn func(*config.Settings)) {
	t.Helper()
	s := r.a.API().Settings()
	fn(&s)
	if err := r.a.API().SetSettings(s); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls ok until it holds, failing after waitLimit with what.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, waitLimit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// msg is one message a watcher received.
type msg struct {
	topic, payload string
	retain         bool
}

// watcher is an MQTT client that records every message on its filters.
type watcher struct {
	t   *testing.T
	cli *paho.Client

	mu   sync.Mutex // guards all and last
	all  []msg
	last map[string]msg
}

var watcherID atomic.Int64

// watch subscribes to filters on b, logging in as user when not empty.
// It returns once the broker has confirmed the subscription, so retained
// messages are on their way.
func watch(t *testing.T, b *energytest.Broker, user, password string, filters ...string) *watcher {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	w := &watcher{t: t, last: map[string]msg{}}
	w.cli = paho.NewClient(paho.ClientConfig{Conn: conn, OnPublishReceived: []func(paho.PublishReceived) (bool, error){
		func(pr paho.PublishReceived) (bool, error) {
			m := msg{pr.Packet.Topic, string(pr.Packet.Payload), pr.Packet.Retain}
			w.mu.Lock()
			w.all = append(w.all, m)
			w.last[m.topic] = m
			w.mu.Unlock()
			return true, nil
		},
	}})
	cp := &paho.Connect{ClientID: fmt.Sprintf("watcher-%d", watcherID.Add(1)), CleanStart: true, KeepAlive: 30}
	if user != "" {
		cp.Username, cp.UsernameFlag, cp.Password, cp.PasswordFlag = user, true, []byte(password), true
	}
	if _, err := w.cli.Connect(ctx, cp); err != nil {
		t.Fatalf("watcher: connect: %v", err)
	}
	t.Cleanup(func() { _ = w.cli.Disconnect(&paho.Disconnect{}) })
	subs := make([]paho.SubscribeOptions, len(filters))
	for i, f := range filters {
		subs[i] = paho.SubscribeOptions{Topic: f, QoS: 1}
	}
	if _, err := w.cli.Subscribe(ctx, &paho.Subscribe{Subscriptions: subs}); err != nil {
		t.Fatalf("watcher: subscribe: %v", err)
	}
	return w
}

// value is the latest payload on topic; ok is false when none came or
// the last one cleared the topic.
func (w *watcher) value(topic string) (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m, ok := w.last[topic]
	return m.payload, ok && m.payload != ""
}

// latest returns a copy of the latest message per topic.
func (w *watcher) latest() map[string]msg {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]msg, len(w.last))
	for k, v := range w.last {
		out[k] = v
	}
	return out
}

// messages returns every message so far.
func (w *watcher) messages() []msg {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]msg(nil), w.all...)
}

// waitValue waits until topic carries want.
func (w *watcher) waitValue(topic, want string) {
	w.t.Helper()
	waitFor(w.t, fmt.Sprintf("%q on %s", want, topic), func() bool { v, _ := w.value(topic); return v == want })
}

// waitTopics waits until every topic has a value.
func (w *watcher) waitTopics(topics ...string) {
	w.t.Helper()
	waitFor(w.t, "values on "+strings.Join(topics, ", "), func() bool {
		for _, topic := range topics {
			if _, ok := w.value(topic); !ok {
				return false
			}
		}
		return true
	})
}

// count is how many messages so far satisfy ok.
func (w *watcher) count(ok func(msg) bool) int {
	n := 0
	for _, m := range w.messages() {
		if ok(m) {
			n++
		}
	}
	return n
}
