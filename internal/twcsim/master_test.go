package twcsim

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
)

// The real-master profile, seen from the port as a listen-only monitor sees
// it: the link-ready burst, the slaves' answers, then heartbeats to each
// slave about once a second with an even share of the current, which the
// slaves apply.
func TestRealMasterDrivesItsSlaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, Config{Chargers: []ChargerConfig{chargerCfg(idA, Profile453), chargerCfg(idB, ProfileV1)},
			Master: &MasterConfig{Amps: 40}})
		b.sim.Charger(0).PlugIn(Car{VIN: testVIN, BatteryKWh: 75, SoC: 0.2, MaxAmps: 32})
		b.wait(2 * time.Second)
		var lr1, lr2, slaveLR int
		for _, f := range b.take() {
			switch m := f.msg.(type) {
			case twc.MasterLinkReady:
				if m.Master != 0x3D43 || m.Sign != 0x5A {
					t.Errorf("link-ready from %s sign %02X", m.Master, m.Sign)
				}
				if m.Second {
					lr2++
				} else {
					lr1++
				}
			case twc.SlaveLinkReady:
				slaveLR++
			}
		}
		if lr1 != 5 || lr2 != 5 || slaveLR < 10 {
			t.Fatalf("%d link-ready 1, %d link-ready 2, %d slave link-readies; want 5, 5 and at least 5 from each slave", lr1, lr2, slaveLR)
		}

		b.wait(60 * time.Second)
		frames := b.take()
		hbs := map[twc.ID][]time.Time{}
		for _, f := range frames {
			switch m := f.msg.(type) {
			case twc.MasterHeartbeat:
				wantCmd, wantProto := twc.CmdSetLimit2, twc.Protocol2
				if m.Slave == idB {
					wantCmd, wantProto = twc.CmdSetLimit, twc.Protocol1
				}
				if m.Master != 0x3D43 || m.Command != wantCmd || m.Protocol != wantProto || m.Amps != 2000 {
					t.Fatalf("heartbeat %+v", m)
				}
				hbs[m.Slave] = append(hbs[m.Slave], f.at)
			case twc.Request:
				t.Fatalf("a master without Queries asked %s", m.Op)
			}
		}
		for _, id := range []twc.ID{idA, idB} {
			ts := hbs[id]
			if len(ts) < 58 || len(ts) > 61 {
				t.Errorf("%s: %d heartbeats in a minute", id, len(ts))
			}
			for i := 1; i < len(ts); i++ {
				if gap := ts[i].Sub(ts[i-1]); gap > 1100*time.Millisecond {
					t.Errorf("%s: heartbeats %v apart", id, gap)
				}
			}
		}
		for _, c := range b.sim.Chargers() {
			if st := c.Status(); !st.Linked || st.Master != 0x3D43 || st.Offered != 20 {
				t.Errorf("charger %s: %+v", st.ID, st)
			}
		}
		if st := b.sim.Charger(0).Status(); st.Actual < 19 {
			t.Errorf("the car draws %v of 20 A offered", st.Actual)
		}
	})
}

// With Queries the master asks for meters every minute and for the VIN when
// a car starts; taken away, its slaves announce themselves again.
func TestRealMasterQueriesAndLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, Config{Chargers: []ChargerConfig{chargerCfg(idA, Profile453)}, Master: &MasterConfig{Queries: true}})
		b.wait(30 * time.Second)
		b.take()
		b.sim.Charger(0).PlugIn(Car{VIN: testVIN, BatteryKWh: 75, SoC: 0.2, MaxAmps: 32})
		b.wait(90 * time.Second)
		counts := map[twc.Code]int{}
		var vin [3]twc.VINPart
		for _, f := range b.take() {
			counts[f.msg.Code()]++
			if p, ok := f.msg.(twc.VINPart); ok {
				vin[p.Part] = p
			}
			if hb, ok := f.msg.(twc.MasterHeartbeat); ok && hb.Amps != 3200 {
				t.Fatalf("a lone 32 A slave is offered %v of 32 A", hb.Amps)
			}
		}
		if got, err := twc.AssembleVIN(vin); err != nil || got != testVIN {
			t.Errorf("VIN on the bus %q (%v)", got, err)
		}
		if counts[twc.CodeMeterQuery] < 1 || counts[twc.CodeMeterQuery] > 2 || counts[twc.CodeMeter] != counts[twc.CodeMeterQuery] {
			t.Errorf("meter queries and replies in 90 s: %v", counts)
		}
		if counts[twc.CodeVIN1Query] != 1 || counts[twc.CodeVIN3] != 1 {
			t.Errorf("VIN queries: %v", counts)
		}

		b.sim.SetMaster(nil)
		b.wait(25 * time.Second)
		counts = map[twc.Code]int{}
		for _, f := range b.take() {
			counts[f.msg.Code()]++
		}
		if counts[twc.CodeMasterHeartbeat] != 0 || counts[twc.CodeSlaveLinkReady] < 1 {
			t.Errorf("after the master left: %v", counts)
		}
	})
}
