package metrics_test

import (
	"context"
	"math"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twcmanager/twcmanager/appliance"
	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/api/metrics"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/version"
)

// The demo's car is plugged into its first charger; it charges at demoAmps.
const (
	demoCar  = twc.ID(0x1839)
	demoAmps = 16
)

// startDemo runs the demo appliance until the test ends and waits until
// both demo chargers are linked and have been heard, both have answered a
// meter query, the energy source has read and the policy has decided: the
// state every metric family has something to show for.
func startDemo(t *testing.T) api.Backend {
	t.Helper()
	// Charging now rather than from the simulated sun, so that the car
	// draws within seconds and the currents are not all zero.
	s := appliance.DemoSettings()
	s.Policy.Mode = config.ModeNow
	s.Policy.ChargeNow.Amps = demoAmps
	a, err := appliance.New(appliance.Config{Demo: true, DataDir: t.TempDir(), Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	b := a.API()
	ready := func() bool {
		snap := b.Snapshot()
		if car, ok := snap.Charger(demoCar); !ok || !car.Charging || car.Actual < 1 {
			return false
		}
		for _, c := range appliance.DemoChargers() {
			st, ok := snap.Charger(c.ID)
			if !ok || st.Heartbeats == 0 || st.Info.MeterAt.IsZero() {
				return false
			}
		}
		e := b.Energy()
		return len(b.Decisions(1)) == 1 && len(e.Sources) == 1 && e.Sources[0].Age(b.Now()) >= 0
	}
	deadline := time.Now().Add(time.Minute)
	for !ready() {
		if time.Now().After(deadline) {
			t.Fatalf("demo not ready after a minute: %+v", b.Snapshot())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return b
}

// A scrape of the running demo shows the bus snapshot, the energy sources
// and the latest decision as they are, and the collector passes the linter.
func TestScrapeDemo(t *testing.T) {
	b := startDemo(t)
	// The appliance mounts one handler on each of its addresses; each has
	// its own registry, so the second must not clash with the first.
	web := httptest.NewServer(metrics.Handler(b))
	defer web.Close()
	compat := httptest.NewServer(metrics.Handler(b))
	defer compat.Close()

	fams, snap, d := stableScrape(t, b, web.URL+"/metrics")

	t.Run("chargers", func(t *testing.T) {
		if len(snap.Chargers) != 2 {
			t.Fatalf("%d chargers linked, want 2", len(snap.Chargers))
		}
		car := []string{"charger", demoCar.String()}
		if fams.one(t, "twcmanager_charger_offered_amperes", gauge, car...) != demoAmps ||
			fams.one(t, "twcmanager_charger_actual_amperes", gauge, car...) < 1 ||
			fams.one(t, "twcmanager_charger_charging", gauge, car...) != 1 {
			t.Errorf("the demo car does not show charging at %d A", demoAmps)
		}
		for _, c := range snap.Chargers {
			id := c.ID.String()
			ch := []string{"charger", id}
			for name, want := range map[string]float64{
				"twcmanager_charger_offered_amperes":           float64(c.Offered),
				"twcmanager_charger_actual_amperes":            float64(c.Actual),
				"twcmanager_charger_reported_amperes":          float64(c.Reported),
				"twcmanager_charger_limit_amperes":             float64(c.Limit),
				"twcmanager_charger_advertised_max_amperes":    float64(c.Advertised),
				"twcmanager_charger_state_code":                float64(c.State),
				"twcmanager_charger_max_heartbeat_gap_seconds": c.MaxHeartbeatGap.Seconds(),
			} {
				if got := fams.one(t, name, gauge, ch...); got != want {
					t.Errorf("%s{charger=%q} = %v, want %v", name, id, got, want)
				}
			}
			if got, want := fams.one(t, "twcmanager_charger_charging", gauge, ch...), c.Charging; (got == 1) != want {
				t.Errorf("charger %s charging = %v, snapshot says %v", id, got, want)
			}
			hb := fams.one(t, "twcmanager_charger_heartbeats_sent_total", counter, ch...)
			if hb != float64(c.Heartbeats) || hb == 0 {
				t.Errorf("charger %s heartbeats = %v, snapshot %d", id, hb, c.Heartbeats)
			}
			if age := fams.one(t, "twcmanager_charger_last_seen_age_seconds", gauge, ch...); age < 0 || age > 26 {
				t.Errorf("charger %s last seen %v s ago", id, age)
			}
			if kwh := fams.one(t, "twcmanager_charger_energy_joules_total", counter, ch...) / 3.6e6; kwh != c.Info.LifetimeKWh || kwh < 900 {
				t.Errorf("charger %s lifetime energy %v kWh, snapshot %v kWh", id, kwh, c.Info.LifetimeKWh)
			}

			states := fams.series(t, "twcmanager_charger_state", gauge, ch...)
			on := fams.sum(t, "twcmanager_charger_state", gauge, ch...)
			if len(states) < 11 || on != 1 {
				t.Errorf("charger %s state one-hot: %d series summing to %v", id, len(states), on)
			}
			if c.State == twc.StateCharging && fams.one(t, "twcmanager_charger_state", gauge, "charger", id, "state", "charging") != 1 {
				t.Errorf("charger %s charges but state{state=\"charging\"} is not 1", id)
			}

			var phases []string
			for i, v := range c.Info.Volts {
				if v > 0 {
					p := string(rune('A' + i))
					phases = append(phases, p)
					if got := fams.one(t, "twcmanager_charger_voltage_volts", gauge, "charger", id, "phase", p); got != float64(v) {
						t.Errorf("charger %s phase %s: %v V, snapshot %v", id, p, got, v)
					}
				}
			}
			if got := fams.series(t, "twcmanager_charger_voltage_volts", gauge, ch...); len(got) != len(phases) {
				t.Errorf("charger %s: %d voltage series, want phases %v", id, len(got), phases)
			}
			if got := fams.series(t, "twcmanager_charger_phase_current_amperes", gauge, ch...); len(got) != len(phases) {
				t.Errorf("charger %s: %d phase current series, want phases %v", id, len(got), phases)
			}
			// The second demo charger is on three phases: every one reports.
			if c.ID == 0x4580 && len(phases) != 3 {
				t.Errorf("three-phase charger 4580 reports phases %v", phases)
			}

			info := fams.series(t, "twcmanager_charger_info", gauge, "charger", id, "protocol", "2", "firmware", c.Info.Firmware, "serial", c.Info.Serial)
			if len(info) != 1 || value(info[0]) != 1 {
				t.Errorf("charger %s info: %v", id, info)
			}
		}
	})

	t.Run("bus", func(t *testing.T) {
		k := snap.Counters
		if fams.one(t, "twcmanager_bus_adapter_connected", gauge) != 1 {
			t.Error("adapter not connected")
		}
		if got := fams.one(t, "twcmanager_bus_chargers_linked", gauge); got != 2 {
			t.Errorf("chargers linked = %v", got)
		}
		for name, want := range map[string]uint64{
			"twcmanager_bus_frames_received_total":     k.Frames,
			"twcmanager_bus_bytes_received_total":      k.BytesSeen,
			"twcmanager_bus_heartbeats_sent_total":     k.HeartbeatsSent,
			"twcmanager_bus_heartbeat_replies_total":   k.HeartbeatReplies,
			"twcmanager_bus_queries_sent_total":        k.QueriesSent,
			"twcmanager_bus_query_timeouts_total":      k.QueryTimeouts,
			"twcmanager_bus_echo_frames_total":         k.Echoes,
			"twcmanager_bus_stray_bytes_total":         k.StrayBytes,
			"twcmanager_bus_malformed_frames_total":    k.Malformed,
			"twcmanager_bus_unknown_code_frames_total": k.UnknownCodes,
			"twcmanager_bus_foreign_frames_total":      k.ForeignFrames,
			"twcmanager_bus_chargers_dropped_total":    k.Dropped,
			"twcmanager_bus_reconnects_total":          k.Reconnects,
		} {
			if got := fams.one(t, name, counter); got != float64(want) {
				t.Errorf("%s = %v, want %d", name, got, want)
			}
		}
		if k.Frames == 0 || k.HeartbeatsSent == 0 || k.QueriesSent == 0 {
			t.Errorf("the demo bus is idle: %+v", k)
		}
		for reason, want := range map[string]uint64{
			"checksum": k.Checksum, "length": k.Length, "escape": k.Escape,
			"timeout": k.Timeouts, "overrun": k.Overruns, "resync": k.Resyncs,
		} {
			if got := fams.one(t, "twcmanager_bus_frames_dropped_total", counter, "reason", reason); got != float64(want) {
				t.Errorf("frames dropped for %s = %v, want %d", reason, got, want)
			}
		}
		if got := fams.sum(t, "twcmanager_bus_faults", gauge); got != float64(len(snap.Faults)) {
			t.Errorf("faults sum to %v; snapshot has %v", got, snap.Faults)
		}
		if got := fams.series(t, "twcmanager_bus_faults", gauge, "kind", string(bus.FaultSecondMaster)); len(got) != 1 {
			t.Errorf("fault kind %s not sent while absent", bus.FaultSecondMaster)
		}
	})

	t.Run("energy", func(t *testing.T) {
		e := b.Energy()
		for name, has := range map[string]bool{
			"twcmanager_site_generation_watts":     e.Reading.Has.Generation,
			"twcmanager_site_consumption_watts":    e.Reading.Has.Consumption,
			"twcmanager_site_grid_watts":           e.Reading.Has.Grid,
			"twcmanager_site_battery_watts":        e.Reading.Has.Battery,
			"twcmanager_site_battery_charge_ratio": e.Reading.Has.BatterySoC,
		} {
			if has {
				// Grid and battery are signed; none may be NaN.
				if v := fams.one(t, name, gauge); math.IsNaN(v) {
					t.Errorf("%s = %v", name, v)
				}
			} else {
				fams.absent(t, name)
			}
		}
		// The demo site has solar panels and a house; no grid meter.
		if !e.Reading.Has.Generation || !e.Reading.Has.Consumption {
			t.Errorf("demo reading %+v lacks generation or consumption", e.Reading)
		}
		if v := fams.one(t, "twcmanager_site_consumption_watts", gauge); v <= 0 {
			t.Errorf("the demo house uses %v W", v)
		}
		if age := fams.one(t, "twcmanager_site_reading_age_seconds", gauge); age < 0 || age > 60 {
			t.Errorf("site reading %v s old", age)
		}
		src := []string{"source", "simulated site"}
		if fams.one(t, "twcmanager_energy_source_up", gauge, src...) != 1 {
			t.Error("demo source not up")
		}
		if got := fams.one(t, "twcmanager_energy_source_consecutive_failures", gauge, src...); got != 0 {
			t.Errorf("demo source failures = %v", got)
		}
		if age := fams.one(t, "twcmanager_energy_source_reading_age_seconds", gauge, src...); age < 0 || age > 60 {
			t.Errorf("demo source reading %v s old", age)
		}
		if fams.one(t, "twcmanager_energy_source_info", gauge, "source", "simulated site", "kind", "simulated", "roles", "pv,consumption") != 1 {
			t.Error("demo source info is not 1")
		}
	})

	t.Run("policy", func(t *testing.T) {
		modes := fams.series(t, "twcmanager_policy_mode", gauge)
		if len(modes) != len(config.Modes) || fams.sum(t, "twcmanager_policy_mode", gauge) != 1 {
			t.Errorf("mode one-hot: %v", modes)
		}
		if d.Mode != config.ModeNow || fams.one(t, "twcmanager_policy_mode", gauge, "mode", string(config.ModeNow)) != 1 {
			t.Errorf("mode %q in force; want the one set, %q, with its series at 1", d.Mode, config.ModeNow)
		}
		if fams.sum(t, "twcmanager_policy_rule", gauge) != 1 || fams.one(t, "twcmanager_policy_rule", gauge, "rule", string(d.Rule)) != 1 {
			t.Errorf("rule one-hot does not show %q", d.Rule)
		}
		for name, want := range map[string]float64{
			"twcmanager_policy_budget_amperes":       float64(d.Budget),
			"twcmanager_policy_available_watts":      float64(d.Available),
			"twcmanager_policy_shared_limit_amperes": float64(d.SharedLimit),
			"twcmanager_policy_input_problems":       float64(len(d.Notes)),
		} {
			if got := fams.one(t, name, gauge); got != want {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
		if d.SurplusKnown {
			if got := fams.one(t, "twcmanager_policy_surplus_watts", gauge); got != float64(d.Surplus) {
				t.Errorf("surplus %v, decision %v", got, d.Surplus)
			}
		} else {
			fams.absent(t, "twcmanager_policy_surplus_watts")
		}
		if tg, ok := d.Target(demoCar); !ok || tg.Amps != demoAmps {
			t.Fatalf("decision %+v does not give the demo car %d A", d.Targets, demoAmps)
		}
		for _, tg := range d.Targets {
			if got := fams.one(t, "twcmanager_policy_target_amperes", gauge, "charger", tg.ID.String()); got != float64(tg.Amps) {
				t.Errorf("target of %s = %v, decision %v", tg.ID, got, tg.Amps)
			}
		}
		if age := fams.one(t, "twcmanager_policy_last_decision_age_seconds", gauge); age < 0 || age > 60 {
			t.Errorf("last decision %v s ago", age)
		}
	})

	t.Run("process", func(t *testing.T) {
		if fams.one(t, "twcmanager_build_info", gauge, "version", version.String()) != 1 {
			t.Error("build_info is not 1")
		}
		if fams.one(t, "go_goroutines", gauge) < 1 {
			t.Error("no goroutines")
		}
		if fams.one(t, "process_start_time_seconds", gauge) <= 0 {
			t.Error("no process start time")
		}
		// Counted after each scrape is served, so this one is not yet.
		fams.one(t, "promhttp_metric_handler_requests_total", counter, "code", "200")
	})

	t.Run("compat address", func(t *testing.T) {
		other := scrape(t, compat.URL+"/metrics")
		if got := other.sum(t, "twcmanager_charger_heartbeats_sent_total", counter); got < 2 {
			t.Errorf("heartbeats on the compat address: %v", got)
		}
	})

	t.Run("lint", func(t *testing.T) {
		c := metrics.NewCollector(b)
		if n := testutil.CollectAndCount(c); n < 100 {
			t.Fatalf("only %d samples to lint", n)
		}
		problems, err := testutil.CollectAndLint(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	})
}
