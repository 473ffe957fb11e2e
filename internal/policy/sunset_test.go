package policy_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/energy/energytest"
	"github.com/twcmanager/twcmanager/internal/energy/fronius"
	"github.com/twcmanager/twcmanager/internal/energy/sim"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/twcsim"
	"github.com/twcmanager/twcmanager/internal/units"
)

// The inverter switches itself off mid-charge at sunset. Within one policy
// cycle after the reading passes its freshness limit the offer is what the
// mode does without sun (the minimum; then, in Solar, nothing after the stop
// delay), and it never goes up again on the way.
func TestInverterGoesAtSunset(t *testing.T) {
	for _, mode := range []config.Mode{config.ModeSolar, config.ModeMinSolar} {
		t.Run(string(mode), func(t *testing.T) { sunset(t, mode) })
	}
}

func sunset(t *testing.T, mode config.Mode) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()

		link := twcsim.NewLink()
		s := twcsim.New(link.SimPort(), twcsim.Config{Chargers: []twcsim.ChargerConfig{{ID: 0x1839, Sign: 1, MaxAmps: 32, Profile: twcsim.Profile453}}})
		car := s.Charger(0)
		car.PlugIn(twcsim.Car{BatteryKWh: 100, SoC: 0.2, MaxAmps: 32})
		targets := &bus.TargetTable{}
		m := bus.New(bus.Config{Open: link.Open, Targets: targets, Limits: bus.Limits{PerCharger: 32, Shared: 32}})

		// A Fronius Datamanager serving the documented power flow of a house
		// whose clock starts at 17:00 on a clear summer day.
		house := sim.NewHouse(sim.ClearSummer, 9)
		start := time.Now()
		siteTime := func() time.Time { return time.Date(2026, 6, 21, 17, 0, 0, 0, time.UTC).Add(time.Since(start)) }
		dev := energytest.NewInProcess(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			pv, load := house.At(siteTime())
			total := load + float64(car.Status().Power)
			fmt.Fprintf(w, `{"Body":{"Data":{"Site":{"P_Grid":%.1f,"P_Load":%.1f,"P_PV":%.1f,"P_Akku":null}}},"Head":{"Status":{"Code":0}}}`,
				total-pv, -total, pv)
		}))
		src, err := fronius.NewWithClient(fronius.Params{URL: "http://fronius.local"}, dev.Client)
		if err != nil {
			t.Fatal(err)
		}
		poller := energy.NewPoller("inverter", src, energy.PollerConfig{Interval: 5 * time.Second})
		site, _ := energy.NewSite([]energy.Assignment{{Poller: poller, Roles: []energy.Role{energy.RolePV, energy.RoleGrid}}})

		settings := config.Defaults()
		settings.Policy.Mode = mode
		su := settings.Policy.Surplus
		ctl, err := policy.NewController(policy.ControllerConfig{
			Settings: settings, Targets: targets, Stopper: m,
			Chargers: func() []policy.Charger { return policy.FromSnapshot(m.Snapshot()) },
			Energy: func() policy.Reading {
				c := site.Reading(time.Now(), su.Freshness)
				return policy.Reading{At: c.At, Generation: c.Generation, Grid: c.Grid, Problem: c.Problem(),
					Has: policy.Has{Generation: c.Has.Generation, Grid: c.Has.Grid}}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, run := range []func(context.Context){func(c context.Context) { _ = s.Run(c) }, func(c context.Context) { _ = m.Run(c) },
			func(c context.Context) { _ = ctl.Run(c) }, poller.Run} {
			wg.Go(func() { run(ctx) })
		}

		time.Sleep(10 * time.Minute)
		if a := car.Status().Offered; a < 10 {
			t.Fatalf("not charging from the evening sun before sunset: %v", a)
		}
		dev.Down(true) // the inverter sleeps; the Datamanager with it
		off := time.Now()
		lastGood := poller.Status().Reading.At

		// Record every offer from here on.
		var offers []units.Amps
		var times []time.Duration
		for time.Since(off) < 10*time.Minute {
			time.Sleep(time.Second)
			offers = append(offers, car.Status().Offered)
			times = append(times, time.Since(off))
		}
		settled := lastGood.Add(su.Freshness).Add(settings.Policy.Interval).Sub(off) + 2*time.Second
		for i, a := range offers {
			if i > 0 && a > offers[i-1] {
				t.Fatalf("offer rose from %v to %v at %v after the inverter went: oscillation", offers[i-1], a, times[i])
			}
			if times[i] >= settled && a > 6 {
				t.Fatalf("%v after the inverter went (freshness %v + one cycle %v): still offering %v", times[i], su.Freshness, settings.Policy.Interval, a)
			}
		}
		want := units.Amps(6)
		if mode == config.ModeSolar {
			want = 0 // the stop delay has long passed
		}
		if got := offers[len(offers)-1]; got != want {
			t.Fatalf("after 10 minutes without the inverter: %v, want %v", got, want)
		}
		d, _ := ctl.Last()
		if notes := strings.Join(d.Notes, "; "); !strings.Contains(notes, "inverter (pv): fronius: read power flow: cannot reach") || !strings.Contains(notes, "refused") {
			t.Fatalf("decision does not say why: %q", notes)
		}
		t.Logf("%s: %v at the outage, ≤ 6 A from %v on, %v at the end; %s", mode, offers[0], settled.Round(time.Second), offers[len(offers)-1], d.Explanation)
	})
}
