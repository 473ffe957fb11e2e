package bus_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
)

func TestFrameLogAndSafeQueries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, twcsim.Config{Chargers: []twcsim.ChargerConfig{charger(0x1839, twcsim.Profile453)}}, bus.Config{})
		defer r.stop()
		r.sim.Charger(0).PlugIn(twcsim.Car{BatteryKWh: 50, SoC: 0.5, MaxAmps: 32})
		time.Sleep(10 * time.Second)
		ctx := context.Background()
		frames, err := r.master.Frames(ctx)
		if err != nil || len(frames) < 10 {
			t.Fatalf("%d frames, %v", len(frames), err)
		}
		var tx, rx int
		for i, f := range frames {
			if i > 0 && f.At.Before(frames[i-1].At) {
				t.Fatal("frames out of order")
			}
			if _, err := f.Message(); err != nil && f.Err == "" {
				t.Fatalf("logged frame does not decode: % X", f.Body)
			}
			switch f.Dir {
			case bus.Tx:
				tx++
			case bus.Rx:
				rx++
			}
		}
		if tx == 0 || rx == 0 {
			t.Fatalf("tx %d rx %d", tx, rx)
		}
		if err := r.master.Query(ctx, 0x1839, twc.CodePlugQuery); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		c, _ := r.master.Snapshot().Charger(0x1839)
		if !c.Info.PlugKnown || c.Info.Plug == 0 {
			t.Fatalf("plug state not read: %+v", c.Info)
		}
		for _, op := range []twc.Code{0xFC19, 0xFC1A, 0xFBE8, twc.CodeStopCharging, twc.CodeMasterHeartbeat} {
			if err := r.master.Query(ctx, 0x1839, op); !errors.Is(err, bus.ErrUnsafe) {
				t.Errorf("%s: %v", op, err)
			}
		}
	})
}

func TestSwitchAdapter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, twcsim.Config{Chargers: []twcsim.ChargerConfig{charger(0x1839, twcsim.Profile453)}}, bus.Config{})
		defer r.stop()
		time.Sleep(15 * time.Second)
		// A second bus behind another adapter.
		other := twcsim.NewLink()
		sim2 := twcsim.New(other.SimPort(), twcsim.Config{Chargers: []twcsim.ChargerConfig{charger(0x2222, twcsim.ProfileV2)}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = sim2.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		if err := r.master.SetOpener(context.Background(), other.Open); err != nil {
			t.Fatal(err)
		}
		time.Sleep(40 * time.Second)
		snap := r.master.Snapshot()
		if _, ok := snap.Charger(0x2222); !ok || !snap.Connected || len(snap.Faults) != 0 {
			t.Fatalf("after switching: %+v", snap)
		}
		if _, ok := snap.Charger(0x1839); ok {
			t.Fatal("the first bus's charger is still listed after 40 s")
		}
	})
}
