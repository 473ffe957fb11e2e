package appliance

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// A demo asked for three chargers links all three; more than three is an
// error at New.
func TestDemoThreeChargers(t *testing.T) {
	if _, err := New(Config{Demo: true, DemoCount: 4, Settings: DemoSettings()}); err == nil {
		t.Fatal("a demo with 4 chargers was accepted")
	}
	synctest.Test(t, func(t *testing.T) {
		a, err := New(Config{Demo: true, DemoCount: 3, Settings: DemoSettings()})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { _ = a.Run(ctx) })
		defer func() { cancel(); wg.Wait() }()

		time.Sleep(30 * time.Second)
		want, _ := DemoChargerSet(3)
		snap := a.Master().Snapshot()
		for _, c := range want {
			if _, ok := snap.Charger(c.ID); !ok {
				t.Errorf("charger %v not linked; linked: %d", c.ID, len(snap.Chargers))
			}
		}
	})
}
