package bus_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
)

func chargingRig(t *testing.T, p twcsim.Profile, legacy bool, frames func(time.Time, twc.Message)) *rig {
	r := newRig(t, twcsim.Config{Chargers: []twcsim.ChargerConfig{charger(0x1839, p)}, OnMasterFrame: frames}, bus.Config{})
	r.targets.Set(16, nil)
	r.sim.Charger(0).PlugIn(twcsim.Car{BatteryKWh: 75, SoC: 0.2, MaxAmps: 32, LegacyMode: legacy})
	time.Sleep(time.Minute)
	if a := r.sim.Charger(0).Status().Actual; a < 14 {
		t.Fatalf("car not charging before the stop: %v", a)
	}
	return r
}

func TestStopZeroAmpsOnProtocol1(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := chargingRig(t, twcsim.ProfileV1, false, nil)
		defer r.stop()
		if err := r.master.Stop(context.Background(), 0x1839, bus.StopZeroAmps); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		st := r.sim.Charger(0).Status()
		if st.Actual != 0 || st.Offered != 0 || st.State != twc.StatePluggedIdle {
			t.Fatalf("after stop: %+v", st)
		}
		if err := r.master.Start(context.Background(), 0x1839); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Second)
		if st := r.sim.Charger(0).Status(); st.Actual < 14 {
			t.Fatalf("after start: %+v", st)
		}
	})
}

func TestStopRelayCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b1, b2 int
		r := chargingRig(t, twcsim.Profile453, true, func(_ time.Time, m twc.Message) {
			switch m.Code() {
			case twc.CodeStopCharging:
				b2++
			case twc.CodeStartCharging:
				b1++
			}
		})
		defer r.stop()
		if err := r.master.Stop(context.Background(), 0x1839, bus.StopRelay); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		if st := r.sim.Charger(0).Status(); st.Actual != 0 {
			t.Fatalf("relay stop left the car drawing %v", st.Actual)
		}
		if b2 < 3 {
			t.Fatalf("FC B2 sent %d times, want a burst of 3", b2)
		}
		if err := r.master.Start(context.Background(), 0x1839); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Second)
		if st := r.sim.Charger(0).Status(); st.Actual < 14 || b1 != 3 {
			t.Fatalf("after FC B1 ×%d: %+v", b1, st)
		}
	})
}

func TestStopRelayNeedsFirmware453(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := chargingRig(t, twcsim.ProfileV2, false, nil)
		defer r.stop()
		err := r.master.Stop(context.Background(), 0x1839, bus.StopRelay)
		if err == nil || !strings.Contains(err.Error(), "4.5.3") {
			t.Fatalf("err = %v", err)
		}
		if err := r.master.Stop(context.Background(), 0x9999, bus.StopZeroAmps); err == nil || !strings.Contains(err.Error(), "9999") {
			t.Fatalf("unknown charger: %v", err)
		}
	})
}

func TestStopResponding(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := chargingRig(t, twcsim.ProfileV2, false, nil)
		defer r.stop()
		if err := r.master.Stop(context.Background(), 0x1839, bus.StopSilence); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // a heartbeat already on the wire still lands
		before := r.sim.Charger(0).Status().Heartbeats
		time.Sleep(45 * time.Second)
		st := r.sim.Charger(0).Status()
		if st.Heartbeats != before || st.Actual != 0 {
			t.Fatalf("during silence: %d new heartbeats, actual %v", st.Heartbeats-before, st.Actual)
		}
		if _, ok := r.master.Snapshot().Charger(0x1839); !ok {
			t.Fatal("charger dropped while deliberately silenced")
		}
		time.Sleep(30 * time.Second)
		if st := r.sim.Charger(0).Status(); st.Heartbeats == before || st.Offered != 0 {
			t.Fatalf("after the silence heartbeats should resume with 0 A: %+v", st)
		}
		if r.master.Snapshot().Counters.Dropped != 0 {
			t.Fatal("charger dropped when heartbeats resumed")
		}
	})
}
