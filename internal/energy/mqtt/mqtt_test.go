package mqtt

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
)

// newSource builds a source for broker b (unless p names one) that retries
// quickly and is closed when the test ends.
func newSource(t *testing.T, b *energytest.Broker, p Params) *Source {
	t.Helper()
	if p.Broker == "" {
		p.Broker = b.URL()
	}
	s, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	s.backoff = func(n int) time.Duration { return time.Duration(min(n, 1)) * 50 * time.Millisecond }
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func read(s *Source) (energy.Reading, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return s.Read(ctx)
}

// readUntil reads until ok accepts the result, failing after 5 s.
func readUntil(t *testing.T, s *Source, what string, ok func(energy.Reading, error) bool) energy.Reading {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := read(s)
		if ok(r, err) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 5 s; last read %+v, %v", what, r, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// connected waits until the source is subscribed, so that messages
// published afterwards reach it.
func connected(t *testing.T, s *Source) {
	t.Helper()
	s.Start(context.Background())
	waitFor(t, "connection", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.connected })
}

// arrived waits until value i has a message.
func arrived(t *testing.T, s *Source, i int) {
	t.Helper()
	waitFor(t, "message", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return !s.values[i].at.IsZero() })
}

func TestPlainNumbers(t *testing.T) {
	b := energytest.StartMosquitto(t)
	b.Publish("home/pv", "5120", true)
	b.Publish("home/load", " 797.5\n", true)
	b.Publish("home/grid", "-1502.5", true)
	b.Publish("home/battery", "-820", true)
	b.Publish("home/soc", "64.5", true)
	s := newSource(t, b, Params{PVTopic: "home/pv", ConsumptionTopic: "home/load", GridTopic: "home/grid", BatteryTopic: "home/battery", BatterySoCTopic: "home/soc"})
	r, err := read(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Generation != 5120 || r.Consumption != 797.5 || r.Grid != -1502.5 || r.Battery != -820 || r.BatterySoC != 64.5 {
		t.Fatalf("%+v", r)
	}
	if !r.Has.Generation || !r.Has.Consumption || !r.Has.Grid || !r.Has.Battery || !r.Has.BatterySoC || r.Has.Phases {
		t.Fatalf("has %+v", r.Has)
	}
}

// Reading.At is the arrival of the oldest value, so that a topic that has
// stopped ages the whole reading.
func TestAtIsOldestValue(t *testing.T) {
	b := energytest.StartMosquitto(t)
	s := newSource(t, b, Params{PVTopic: "home/pv", GridTopic: "home/grid"})
	connected(t, s)
	b.Publish("home/pv", "100", false)
	arrived(t, s, 0)
	between := time.Now()
	time.Sleep(20 * time.Millisecond)
	b.Publish("home/grid", "200", false)
	r := readUntil(t, s, "both values", func(_ energy.Reading, err error) bool { return err == nil })
	if !r.At.Before(between) || time.Since(r.At) > 5*time.Second {
		t.Fatalf("At %v, want the pv message's arrival before %v", r.At, between)
	}
}

func TestJSONPaths(t *testing.T) {
	b := energytest.StartMosquitto(t)
	s := newSource(t, b, Params{
		PVTopic: "tele/inverter/SENSOR", PVPath: "ENERGY.Power",
		GridTopic: "meter/state", GridPath: "$.meters[1].power",
		// Two values from one message on one topic.
		BatteryTopic: "battery/state", BatteryPath: "power", BatterySoCTopic: "battery/state", BatterySoCPath: "soc",
	})
	connected(t, s)
	b.Publish("tele/inverter/SENSOR", `{"Time":"2026-06-21T12:00:00","ENERGY":{"Power":3210,"Voltage":231}}`, false)
	b.Publish("meter/state", `{"meters":[{"power":1},{"power":"-450.5"}]}`, false)
	b.Publish("battery/state", `{"power":-1200,"soc":"81"}`, false)
	r := readUntil(t, s, "values", func(_ energy.Reading, err error) bool { return err == nil })
	if r.Generation != 3210 || r.Grid != -450.5 || r.Battery != -1200 || r.BatterySoC != 81 || r.Has.Consumption {
		t.Fatalf("%+v", r)
	}
}

func TestKilowattsAndGridSign(t *testing.T) {
	b := energytest.StartMosquitto(t)
	b.Publish("pv", "2.25", true)
	b.Publish("grid", "1.5", true) // exporting 1.5 kW, published as positive
	b.Publish("soc", "80", true)
	s := newSource(t, b, Params{PVTopic: "pv", GridTopic: "grid", BatterySoCTopic: "soc", Unit: "kW", GridExportPositive: true})
	r, err := read(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Generation != 2250 || r.Grid != -1500 || r.BatterySoC != 80 {
		t.Fatalf("%+v", r)
	}
}

func TestWildcardTopic(t *testing.T) {
	b := energytest.StartMosquitto(t)
	s := newSource(t, b, Params{GridTopic: "home/+/grid"})
	connected(t, s)
	b.Publish("home/meter2/grid", "42", false)
	readUntil(t, s, "value", func(r energy.Reading, err error) bool { return err == nil && r.Grid == 42 })
}

// The wizard builds a source and reads it once: a retained message must be
// there for that read.
func TestWizardReadsRetained(t *testing.T) {
	b := energytest.StartMosquitto(t)
	b.Publish("home/grid", "-300", true)
	raw, _ := json.Marshal(map[string]any{"broker": b.Addr(), "grid_topic": "home/grid"})
	r, err := energy.Test(context.Background(), Name, raw)
	if err != nil || r.Grid != -300 || !r.Has.Grid {
		t.Fatalf("Test: %+v %v", r, err)
	}
}

// A topic published every few seconds, not retained, also works in the
// wizard: its first read waits for the next message.
func TestFirstReadWaitsForMessage(t *testing.T) {
	b := energytest.StartMosquitto(t)
	s := newSource(t, b, Params{GridTopic: "home/grid"})
	type result struct {
		r   energy.Reading
		err error
	}
	got := make(chan result)
	go func() { r, err := read(s); got <- result{r, err} }()
	time.Sleep(300 * time.Millisecond)
	b.Publish("home/grid", "77", false) // Publish must run on the test's goroutine
	res := <-got
	if res.err != nil || res.r.Grid != 77 {
		t.Fatalf("%+v %v", res.r, res.err)
	}
}
