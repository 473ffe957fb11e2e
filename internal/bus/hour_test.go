package bus_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
)

const maxHeartbeatGap = 1500 * time.Millisecond

// One simulated hour with three 4.5.3 chargers: all are found, each gets a
// heartbeat at least every 1.5 s, a silenced one is dropped after 26 s and
// re-added when it speaks again, and firmware, serial, VIN, kWh and voltages
// are read.
func TestSimulatedHour(t *testing.T) {
	wall := time.Now()
	defer func() { t.Logf("wall time for the simulated hour: %v", time.Since(wall).Round(time.Millisecond)) }()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now() // fake time inside the bubble
		ids := []twc.ID{0x1839, 0x2019, 0x4580}
		var cfgs []twcsim.ChargerConfig
		for _, id := range ids {
			cfgs = append(cfgs, charger(id, twcsim.Profile453))
		}
		cfgs[2].ThreePhase = true
		r := newRig(t, twcsim.Config{Chargers: cfgs, Seed: 1}, bus.Config{})
		defer r.stop()
		r.targets.Set(16, nil)
		r.sim.Charger(0).PlugIn(twcsim.Car{VIN: testVIN, BatteryKWh: 75, SoC: 0.2, MaxAmps: 32})
		r.sim.Charger(2).PlugIn(twcsim.Car{BatteryKWh: 60, SoC: 0.5, MaxAmps: 16, Phases: 3})

		time.Sleep(15 * time.Second)
		snap := r.master.Snapshot()
		if len(snap.Chargers) != 3 {
			t.Fatalf("after 15 s: %d chargers linked, want 3; log:\n%s", len(snap.Chargers), r.log)
		}

		time.Sleep(10 * time.Minute)
		// Cut charger 2's cable: dropped after 26 s of silence, not before.
		silenced := r.sim.Charger(1)
		silenced.Silence(true)
		cutAt := time.Now()
		time.Sleep(25 * time.Second)
		if _, ok := r.master.Snapshot().Charger(ids[1]); !ok {
			t.Fatalf("charger dropped after only 25 s of silence")
		}
		time.Sleep(3 * time.Second)
		if _, ok := r.master.Snapshot().Charger(ids[1]); ok {
			t.Fatalf("charger still listed %v after it went silent", time.Since(cutAt))
		}
		silenced.Silence(false)
		time.Sleep(12 * time.Second) // it announces itself within its 10 s period
		if _, ok := r.master.Snapshot().Charger(ids[1]); !ok {
			t.Fatalf("charger not re-added 12 s after it spoke again")
		}

		time.Sleep(time.Hour - time.Since(start))
		snap = r.master.Snapshot()
		if len(snap.Chargers) != 3 {
			t.Fatalf("at the end: %d chargers", len(snap.Chargers))
		}
		for i, c := range r.sim.Chargers() {
			st := c.Status()
			if st.MaxGap > maxHeartbeatGap || st.MaxGap == 0 {
				t.Errorf("charger %s: longest heartbeat gap %v, want (0, 1.5 s]", st.ID, st.MaxGap)
			}
			mc, _ := snap.Charger(ids[i])
			if mc.MaxHeartbeatGap > maxHeartbeatGap {
				t.Errorf("master sent %s heartbeats up to %v apart", ids[i], mc.MaxHeartbeatGap)
			}
			if mc.Info.Firmware != "4.5.3.2" || mc.Info.Serial != "A18G000"+ids[i].String() {
				t.Errorf("charger %s info %+v", ids[i], mc.Info)
			}
			if mc.Info.LifetimeKWh < 1000 || mc.Info.Volts[0] < 200 || mc.Info.MeterAt.IsZero() {
				t.Errorf("charger %s meter %+v", ids[i], mc.Info)
			}
		}
		c0, _ := snap.Charger(ids[0])
		if c0.Info.VIN != testVIN {
			t.Errorf("VIN = %q, want %q", c0.Info.VIN, testVIN)
		}
		if c0.Info.LifetimeKWh < 1003 || !c0.Charging || c0.Actual < 14 {
			t.Errorf("charging car: kWh %.0f charging %v actual %v", c0.Info.LifetimeKWh, c0.Charging, c0.Actual)
		}
		c2, _ := snap.Charger(ids[2])
		if c2.Info.Volts[1] < 200 || c2.Info.PhaseAmps[1] < 10 {
			t.Errorf("three-phase charger meter: volts %v amps %v", c2.Info.Volts, c2.Info.PhaseAmps)
		}
		if snap.Counters.Errors() != 0 || snap.Counters.Dropped != 1 {
			t.Errorf("counters %+v", snap.Counters)
		}
		t.Logf("simulated %v: %d heartbeats sent, %d queries, %d replies",
			time.Since(start).Round(time.Second), snap.Counters.HeartbeatsSent, snap.Counters.QueriesSent,
			snap.Counters.HeartbeatReplies)
	})
}
