package mqtt

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
)

func TestReconnectsAfterBrokerRestart(t *testing.T) {
	b := energytest.StartMosquitto(t)
	s := newSource(t, b, Params{GridTopic: "home/grid"})
	connected(t, s)
	b.Publish("home/grid", "100", false)
	readUntil(t, s, "first value", func(r energy.Reading, err error) bool { return err == nil && r.Grid == 100 })

	b.Stop()
	_, err := read(s)
	for i := 0; err == nil && i < 500; i++ { // until the client notices
		time.Sleep(10 * time.Millisecond)
		_, err = read(s)
	}
	energytest.CheckError(t, err, Name, "not connected to "+b.URL())

	b.Start()
	connected(t, s)
	b.Publish("home/grid", "200", false)
	readUntil(t, s, "value after the restart", func(r energy.Reading, err error) bool { return err == nil && r.Grid == 200 })
}

// A poller over the source sees the outage and the recovery.
func TestPollerRecovers(t *testing.T) {
	b := energytest.StartMosquitto(t)
	b.Publish("home/grid", "1", true)
	s := newSource(t, b, Params{GridTopic: "home/grid"})
	p := energy.NewPoller("mqtt", s, energy.PollerConfig{Interval: 10 * time.Millisecond, Timeout: time.Second, MaxBackoff: 40 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "a reading", func() bool { return p.Status().Reading.Grid == 1 })
	b.Stop()
	waitFor(t, "the outage", func() bool {
		err := p.Status().Err
		return err != nil && strings.Contains(err.Error(), "not connected")
	})
	b.Start()
	b.Publish("home/grid", "2", true) // the restarted broker has forgotten the old one
	waitFor(t, "recovery", func() bool { st := p.Status(); return st.Err == nil && st.Reading.Grid == 2 })
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 5 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A source nobody reads lets go of its connection and takes it up again on
// the next Read.
func TestIdleDisconnectsAndResumes(t *testing.T) {
	b := energytest.StartMosquitto(t)
	b.Publish("home/grid", "3", true)
	s := newSource(t, b, Params{GridTopic: "home/grid"})
	s.idle = 100 * time.Millisecond
	if _, err := read(s); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "idle stop", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return !s.running })
	r, err := read(s)
	if err != nil || r.Grid != 3 {
		t.Fatalf("after idle: %+v %v", r, err)
	}
}

func TestClose(t *testing.T) {
	b := energytest.StartMosquitto(t)
	b.Publish("home/grid", "3", true)
	s := newSource(t, b, Params{GridTopic: "home/grid"})
	if _, err := read(s); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_ = s.Close() // twice is harmless
	_, err := read(s)
	energytest.CheckError(t, err, Name, "closed")
}

// When the context given to Start ends, the next Read connects again.
func TestStartContextEnds(t *testing.T) {
	b := energytest.StartMosquitto(t)
	b.Publish("home/grid", "4", true)
	s := newSource(t, b, Params{GridTopic: "home/grid"})
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	connected(t, s)
	cancel()
	waitFor(t, "stop", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return !s.running })
	r, err := read(s)
	if err != nil || r.Grid != 4 {
		t.Fatalf("after restart: %+v %v", r, err)
	}
}
