package appliance

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/policy"
)

// The demo charges its car from the simulated sun within a few minutes, and
// a settings change reaches both the policy and the bus master's clamps.
func TestDemoChargesFromTheSun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, err := New(Config{Demo: true, Settings: DemoSettings()})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { _ = a.Run(ctx) })
		defer func() { cancel(); wg.Wait() }()

		time.Sleep(3 * time.Minute)
		d, ok := a.Policy().Last()
		if !ok || d.Rule != policy.RuleSolar || !d.SurplusKnown {
			t.Fatalf("decision %+v", d)
		}
		car, ok := a.Master().Snapshot().Charger(DemoChargers()[0].ID)
		if !ok || car.Offered < 6 || !car.Charging {
			t.Fatalf("demo car after 3 min: %+v (%s)", car, d.Explanation)
		}

		s := DemoSettings()
		s.Policy.Mode = config.ModeNow
		s.Policy.ChargeNow.Amps = 32
		s.Wiring.Charger = config.Circuit{Limit: 10}
		if err := a.SetSettings(s); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		car, _ = a.Master().Snapshot().Charger(DemoChargers()[0].ID)
		if car.Offered != 10 || car.Limit != 10 {
			t.Fatalf("after lowering the charger limit to 10 A: offered %v, limit %v", car.Offered, car.Limit)
		}

		bad := s
		bad.Wiring.Shared = config.Circuit{Limit: 1}
		if err = a.SetSettings(bad); err == nil {
			t.Fatal("invalid settings accepted")
		}
		if a.Policy().Settings().Wiring.Shared.Continuous() != 32 {
			t.Fatal("rejected settings changed the policy")
		}

		// A source the energy package refuses is refused as a whole, with
		// the source named; the running sources stay.
		bad = s
		bad.Sources = []config.Source{{Name: "roof", Kind: "fronius", Roles: []string{"pv"}, Params: []byte(`{"url": "192.168.1.20"}`)}}
		err = a.SetSettings(bad)
		if err == nil || !strings.Contains(err.Error(), `sources[0] "roof"`) || !strings.Contains(err.Error(), "url") {
			t.Fatalf("bad source: %v", err)
		}
		if got := a.Policy().Settings().Sources; len(got) != 1 || got[0].Kind != "simulated" {
			t.Fatalf("sources after a refused change: %+v", got)
		}
		time.Sleep(time.Minute)
		if d, _ := a.Policy().Last(); d.Rule != policy.RuleChargeNow {
			t.Fatalf("last decision %+v", d)
		}
	})
}
