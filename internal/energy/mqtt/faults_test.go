package mqtt

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
)

func TestBrokerUnreachable(t *testing.T) {
	addr := strings.TrimPrefix(energytest.RefusedURL(t), "http://")
	s := newSource(t, nil, Params{Broker: "mqtt://" + addr, GridTopic: "home/grid"})
	start := time.Now()
	_, err := read(s)
	energytest.CheckError(t, err, Name, "not connected to mqtt://"+addr, "refused")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a refused connection took %v to report", d) // not the whole first-read wait
	}
}

// payloadFault publishes payload on the grid topic and checks the error.
func payloadFault(t *testing.T, p Params, payload string, want ...string) error {
	t.Helper()
	b := energytest.StartMosquitto(t)
	b.Publish("home/grid", payload, true)
	p.GridTopic = "home/grid"
	_, err := read(newSource(t, b, p))
	energytest.CheckError(t, err, Name, append(want, "home/grid")...)
	return err
}

func TestPayloadFaults(t *testing.T) {
	t.Run("not a number", func(t *testing.T) {
		payloadFault(t, Params{}, "on", `"on" is not a number`)
	})
	t.Run("NaN", func(t *testing.T) {
		payloadFault(t, Params{}, "NaN", "not a number")
	})
	t.Run("JSON without a path", func(t *testing.T) {
		payloadFault(t, Params{}, `{"power": 5}`, "is json", "grid_path")
	})
	t.Run("JSON path missing", func(t *testing.T) {
		payloadFault(t, Params{GridPath: "ENERGY.Power"}, `{"StatusSNS": {}}`, "field ENERGY")
	})
	t.Run("not JSON", func(t *testing.T) {
		payloadFault(t, Params{GridPath: "power"}, `12 W`, "not json")
	})
	t.Run("empty", func(t *testing.T) {
		payloadFault(t, Params{}, " ", "empty message")
	})
	t.Run("long payload is cut", func(t *testing.T) {
		err := payloadFault(t, Params{}, strings.Repeat("x", 5000), "not a number")
		if strings.Contains(err.Error(), strings.Repeat("x", maxExcerpt+1)) || !strings.Contains(err.Error(), "…") {
			t.Errorf("payload not cut to %d characters: %v", maxExcerpt, err)
		}
	})
	t.Run("charge beyond 100 %", func(t *testing.T) {
		b := energytest.StartMosquitto(t)
		b.Publish("soc", "0.8e3", true)
		_, err := read(newSource(t, b, Params{BatterySoCTopic: "soc"}))
		energytest.CheckError(t, err, Name, "topic soc", "not a percentage")
	})
}

func TestNoMessageYet(t *testing.T) {
	b := energytest.StartMosquitto(t)
	b.Publish("home/pv", "10", true)
	s := newSource(t, b, Params{PVTopic: "home/pv", GridTopic: "home/grid"})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := s.Read(ctx)
	energytest.CheckError(t, err, Name, "no message yet on topic home/grid")
	if strings.Contains(err.Error(), "home/pv") {
		t.Errorf("error names the topic that has a value: %v", err)
	}
}

func TestTopicSilent(t *testing.T) {
	b := energytest.StartMosquitto(t)
	s := newSource(t, b, Params{GridTopic: "home/grid"})
	s.maxAge = 200 * time.Millisecond
	b.Publish("home/grid", "5", true)
	if _, err := read(s); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	_, err := read(s)
	energytest.CheckError(t, err, Name, "topic home/grid silent for")

	// The wording users see with the default limit.
	s.maxAge = defaultMaxAge
	s.mu.Lock()
	s.values[0].at = time.Now().Add(-2 * time.Minute)
	s.mu.Unlock()
	_, err = read(s)
	energytest.CheckError(t, err, Name, "topic home/grid silent for 2m0s")

	b.Publish("home/grid", "6", false) // the topic speaks again
	readUntil(t, s, "fresh value", func(r energy.Reading, err error) bool { return err == nil && r.Grid == 6 })
}

func TestBadPassword(t *testing.T) {
	b := energytest.StartMosquittoAuth(t, "meter", "right-horse")
	b.Publish("home/grid", "9", true)
	_, err := read(newSource(t, b, Params{Username: "meter", Password: secretOf("wrong-battery"), GridTopic: "home/grid"}))
	energytest.CheckError(t, err, Name, "not connected", "refused the login", "check username and password")
	if strings.Contains(err.Error(), "wrong-battery") {
		t.Fatalf("error shows the password: %v", err)
	}
	r, err := read(newSource(t, b, Params{Username: "meter", Password: secretOf("right-horse"), GridTopic: "home/grid"}))
	if err != nil || r.Grid != 9 {
		t.Fatalf("%+v %v", r, err)
	}
}
