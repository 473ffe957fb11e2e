package energy

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/units"
)

// fake is a source whose answers a test scripts; it stands for a device.
type fake struct {
	mu    sync.Mutex // guards r, err, reads
	r     Reading
	err   error
	reads int
	delay time.Duration
}

func (f *fake) set(r Reading, err error) {
	f.mu.Lock()
	f.r, f.err = r, err
	f.mu.Unlock()
}

func (f *fake) Read(ctx context.Context) (Reading, error) {
	f.mu.Lock()
	r, err, d := f.r, f.err, f.delay
	f.reads++
	f.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return Reading{}, errors.New("fake: no answer in time")
		}
	}
	return r, err
}

func grid(w float64) Reading { return Reading{Grid: units.Watts(w), Has: Has{Grid: true}} }

func TestPollerBacksOffAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fake{}
		f.set(grid(100), nil)
		p := NewPoller("meter", f, PollerConfig{Interval: 5 * time.Second, MaxBackoff: time.Minute})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { p.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()

		time.Sleep(time.Second)
		if st := p.Status(); st.Err != nil || st.Reading.Grid != 100 || st.Reading.At.IsZero() {
			t.Fatalf("first read: %+v", st)
		}
		f.set(Reading{}, errors.New("meter: cannot reach 10.0.0.2: connection refused"))
		time.Sleep(10 * time.Minute)
		f.mu.Lock()
		reads := f.reads
		f.mu.Unlock()
		// 5 s, then 10, 20, 40, 60, 60 … s: about a dozen tries in ten minutes.
		if reads < 8 || reads > 16 {
			t.Fatalf("%d reads in 10 minutes of failure; backoff not applied", reads)
		}
		st := p.Status()
		if st.Err == nil || st.Failures < 5 || st.Reading.Grid != 100 || time.Since(st.Reading.At) < 9*time.Minute {
			t.Fatalf("while failing: %+v", st)
		}
		f.set(grid(-2500), nil)
		time.Sleep(61 * time.Second)
		if st := p.Status(); st.Err != nil || st.Reading.Grid != -2500 || st.Failures != 0 {
			t.Fatalf("after recovery: %+v", st)
		}
	})
}

func TestPollerTimeoutAndPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fake{delay: time.Hour}
		p := NewPoller("slow", f, PollerConfig{Timeout: 2 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		go p.Run(ctx)
		time.Sleep(3 * time.Second)
		if st := p.Status(); st.Err == nil || !strings.Contains(st.Err.Error(), "in time") {
			t.Fatalf("slow source: %+v", st)
		}
		cancel()
		synctest.Wait()

		p = NewPoller("broken", panicky{}, PollerConfig{})
		ctx, cancel = context.WithCancel(context.Background())
		defer cancel()
		go p.Run(ctx)
		time.Sleep(time.Second)
		if st := p.Status(); st.Err == nil {
			t.Fatal("a panicking source did not report an error")
		}
	})
}

type panicky struct{}

func (panicky) Read(context.Context) (Reading, error) {
	var m map[string]int
	m["x"]++
	return Reading{}, nil
}

// Roles are explicit: each value comes from the source given its role, and
// a stale or failing source leaves its values out with the reason.
func TestSiteRoles(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	inverter := NewPoller("inverter", nil, PollerConfig{})
	meter := NewPoller("meter", nil, PollerConfig{})
	inverter.status.Store(&Status{Reading: Reading{At: now.Add(-5 * time.Second), Generation: 4000, Grid: 999, Has: Has{Generation: true, Grid: true}}})
	meter.status.Store(&Status{Reading: Reading{At: now.Add(-2 * time.Second), Grid: -1500, Consumption: 800, Has: Has{Grid: true, Consumption: true}}})
	site, err := NewSite([]Assignment{{inverter, []Role{RolePV}}, {meter, []Role{RoleGrid, RoleConsumption}}})
	if err != nil {
		t.Fatal(err)
	}
	c := site.Reading(now, time.Minute)
	if c.Generation != 4000 || c.Grid != -1500 || c.Consumption != 800 || !c.At.Equal(now.Add(-5*time.Second)) || len(c.Problems) != 0 {
		t.Fatalf("combined %+v", c)
	}
	// The inverter's own grid value is never summed in.
	if c.Grid == 999-1500 {
		t.Fatal("values were summed")
	}
	inverter.status.Store(&Status{Reading: Reading{At: now.Add(-3 * time.Minute), Generation: 4000, Has: Has{Generation: true}},
		Err: errors.New("fronius: read power flow: cannot reach 10.0.0.5: connection refused"), ErrSince: now.Add(-2 * time.Minute)})
	c = site.Reading(now, time.Minute)
	if c.Has.Generation || !c.Has.Grid || !strings.Contains(c.Problem(), "inverter (pv): fronius: read power flow: cannot reach") {
		t.Fatalf("failing inverter: %+v %q", c.Reading, c.Problem())
	}

	if _, err := NewSite([]Assignment{{inverter, []Role{RoleGrid}}, {meter, []Role{RoleGrid}}}); err == nil || !strings.Contains(err.Error(), "both inverter and meter") {
		t.Fatalf("two sources for one role: %v", err)
	}
	if _, err := NewSite([]Assignment{{inverter, []Role{"sun"}}}); err == nil {
		t.Fatal("unknown role accepted")
	}
}

func TestJSONPath(t *testing.T) {
	var doc any
	_ = json.Unmarshal([]byte(`{"a": {"b": [1, {"c": "12.5"}, null]}, "x": true, "n": 3}`), &doc)
	for path, want := range map[string]float64{"a.b[0]": 1, "$.a.b[1].c": 12.5, "n": 3} {
		p, err := ParsePath(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := p.Number(doc); err != nil || got != want {
			t.Errorf("%s = %v, %v", path, got, err)
		}
	}
	for path, frag := range map[string]string{"a.b[2]": "null", "a.z": "missing", "x": "not a number", "a.b[9]": "missing"} {
		p, _ := ParsePath(path)
		if _, err := p.Number(doc); err == nil || !strings.Contains(err.Error(), frag) {
			t.Errorf("%s: %v", path, err)
		}
	}
	for _, bad := range []string{"", "a..b", "a[x]", "a[1]b", "a[-1]"} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if p, _ := ParsePath("a.b[1][2].c"); p.String() != "a.b[1][2].c" {
		t.Errorf("round trip %q", p.String())
	}
}

func TestChecks(t *testing.T) {
	var c Checks
	c.URL("url", "192.168.1.2")
	c.HostPort("address", "10.0.0.1")
	c.UnitID("unit_id", 300)
	c.Topic("topic", "a/#/b")
	c.Path("path", "a..b")
	c.Required("entity", " ", "an entity id")
	c.Host("host", "a b")
	fe, ok := config.AsErrors(c.Err())
	if !ok || len(fe) != 7 {
		t.Fatalf("%v", c.Err())
	}
	var good Checks
	good.URL("url", "https://envoy.local")
	good.HostPort("address", "[fe80::1]:502")
	good.UnitID("unit_id", 1)
	good.Topic("topic", "home/+/power")
	good.Topic("topic", "home/#")
	good.Path("path", "Body.Data[0]")
	good.Host("host", "192.168.1.5")
	if err := good.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestRegistry(t *testing.T) {
	if _, err := Lookup("test-kind"); err == nil {
		t.Skip("registered by an earlier run in this process (-count > 1)")
	}
	Register(Kind{Name: "test-kind", Label: "Test", New: func(raw json.RawMessage) (Source, error) {
		p, err := DecodeParams[struct {
			Level int `json:"level"`
		}]("test-kind", raw)
		if err != nil {
			return nil, err
		}
		f := &fake{}
		f.set(grid(float64(p.Level)), nil)
		return f, nil
	}})
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate registration accepted")
		}
	}()
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), `unknown source type "nope"; known types:`) {
		t.Fatalf("%v", err)
	}
	r, err := Test(context.Background(), "test-kind", json.RawMessage(`{"level": 7}`))
	if err != nil || r.Grid != 7 {
		t.Fatalf("%+v %v", r, err)
	}
	if _, _, err := Build("test-kind", json.RawMessage(`{"levle": 7}`)); err == nil || !strings.Contains(err.Error(), "levle") {
		t.Fatalf("typo accepted: %v", err)
	}
	if _, _, err := Build("test-kind", json.RawMessage(`{"level": "x"}`)); err == nil || !strings.Contains(err.Error(), `"level" must be int`) {
		t.Fatalf("wrong type: %v", err)
	}
	Register(Kind{Name: "test-kind"})
}
