package twcsim

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
)

func oneCharger(p Profile) Config { return Config{Chargers: []ChargerConfig{chargerCfg(idA, p)}} }

func teslaCar() Car { return Car{VIN: testVIN, BatteryKWh: 75, SoC: 0.2, Limit: 0.9, MaxAmps: 32} }

// The reply mirrors the offered limit whatever the car does; that is how the
// master learns the limit took effect.
func TestHeartbeatReplyMirrorsOffer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, oneCharger(Profile453))
		fs := b.ask(hb(idA, twc.CmdSetLimit2, 16))
		if len(fs) != 1 {
			t.Fatalf("got %d frames, want one FD E0", len(fs))
		}
		want := twc.SlaveHeartbeat{Slave: idA, Master: masterID, State: twc.StateReady, MaxAmps: 1600, Protocol: twc.Protocol2}
		if got, ok := fs[0].msg.(twc.SlaveHeartbeat); !ok || got != want || len(fs[0].body) != 16 {
			t.Errorf("reply %x = %+v, want %+v in 16 bytes", fs[0].body, fs[0].msg, want)
		}
		// A heartbeat for another slave is not ours to answer.
		if fs := b.ask(hb(idB, twc.CmdSetLimit2, 16)); len(fs) != 0 {
			t.Errorf("answered a heartbeat for another ID: %x", fs[0].body)
		}
	})
}

// A car starts in state 08 at about 1.3 A for a few seconds, then charges
// (01) and settles 0.8 A below the offer.
func TestCarRampsThroughStarting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, oneCharger(Profile453))
		b.sim.Charger(0).PlugIn(teslaCar())
		hbs := replies(b.drive(hb(idA, twc.CmdSetLimit2, 16), 30*time.Second), idA)
		if len(hbs) != 30 {
			t.Fatalf("%d replies in 30 s, want 30", len(hbs))
		}
		// The first reply is left out: see TestFirstReplyAfterOfferIsStarting.
		starting := 0
		for i, h := range hbs[1:] {
			switch {
			case h.MaxAmps != 1600:
				t.Errorf("reply %d: max %v, want 16.00 A", i+1, h.MaxAmps)
			case h.State == twc.StateStarting && starting == i:
				starting++
				if h.ActualAmps > 130 {
					t.Errorf("reply %d: drawing %v while starting, want at most 1.30 A", i+1, h.ActualAmps)
				}
			case h.State != twc.StateCharging:
				t.Errorf("reply %d: state %02X after %d starting, want 08 then 01", i+1, byte(h.State), starting)
			}
		}
		if starting < 2 || starting > 4 {
			t.Errorf("%d replies in state 08, want about 3 s worth", starting)
		}
		if got := lastHB(t, hbs).ActualAmps; got != 1520 {
			t.Errorf("settled at %v, want 15.20 A (0.8 A below the offer)", got)
		}
		if st := b.sim.Charger(0).Status(); st.State != twc.StateCharging || !near(float64(st.Actual), 15.2, 0.01) {
			t.Errorf("Status = %+v, want charging at 15.2 A", st)
		}
	})
}

// Below 5 A a car does not charge: plugged in, not charging, 0 A.
func TestOfferBelowFiveAmps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, oneCharger(Profile453))
		b.sim.Charger(0).PlugIn(teslaCar())
		for _, h := range replies(b.drive(hb(idA, twc.CmdSetLimit2, 4), 10*time.Second), idA)[1:] {
			if h.State != twc.StatePluggedIdle || h.ActualAmps != 0 || h.MaxAmps != 400 {
				t.Fatalf("offer 4 A: %+v, want state 03, 0 A drawn, max 4.00 A", h)
			}
		}
		// And a charging car sheds its current when the offer drops below 5 A.
		b.drive(hb(idA, twc.CmdSetLimit2, 16), 20*time.Second)
		h := lastHB(t, replies(b.drive(hb(idA, twc.CmdSetLimit2, 4.5), 3*time.Second), idA))
		if h.State != twc.StatePluggedIdle || h.ActualAmps != 0 {
			t.Errorf("offer dropped to 4.5 A: state %02X, %v drawn; want 03, 0 A", byte(h.State), h.ActualAmps)
		}
	})
}

// Protocol 1 units use 14-byte bodies (7 heartbeat data bytes), report the
// 0.25 A calibration offset when idle, and honour 05 at any time.
func TestProfileV1(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, oneCharger(ProfileV1))
		v1 := func(cmd twc.Command, amps float64) twc.MasterHeartbeat {
			m := hb(idA, cmd, 0)
			m.Amps, m.Protocol = twc.Centiamps(amps*100), twc.Protocol1
			return m
		}
		fs := b.ask(v1(twc.CmdSetLimit, 16))
		if len(fs) != 1 || len(fs[0].body) != 14 {
			t.Fatalf("reply %v, want one 14-byte FD E0", fs)
		}
		if h := fs[0].msg.(twc.SlaveHeartbeat); h.Protocol != twc.Protocol1 || h.ActualAmps != 25 || h.MaxAmps != 1600 {
			t.Errorf("idle v1 reply %+v, want protocol 1, max 16.00 A, actual 0.25 A", h)
		}
		b.sim.Charger(0).PlugIn(teslaCar())
		b.drive(v1(twc.CmdSetLimit, 16), 20*time.Second)
		h := lastHB(t, replies(b.drive(v1(twc.CmdSetLimit, 10), 5*time.Second), idA))
		if h.MaxAmps != 1000 || h.ActualAmps != 920 {
			t.Errorf("05 to 10 A while charging: max %v actual %v, want 10.00 A and 9.20 A", h.MaxAmps, h.ActualAmps)
		}
		b.wait(20 * time.Second) // let a link-ready through
		for _, f := range b.take() {
			if len(f.body) != 14 {
				t.Errorf("v1 sent a %d-byte %v", len(f.body), f.msg.Code())
			}
		}
	})
}

// Older protocol-2 firmware takes 05 only before the car charges; while
// charging only 09 changes the limit.
func TestProfileV2SetLimitOnlyBeforeCharging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, oneCharger(ProfileV2))
		b.sim.Charger(0).PlugIn(teslaCar())
		h := lastHB(t, replies(b.drive(hb(idA, twc.CmdSetLimit, 16), 20*time.Second), idA))
		if h.MaxAmps != 1600 || h.ActualAmps != 1520 {
			t.Fatalf("05 16 A before charging: max %v actual %v, want 16.00 A and 15.20 A", h.MaxAmps, h.ActualAmps)
		}
		h = lastHB(t, replies(b.drive(hb(idA, twc.CmdSetLimit, 10), 5*time.Second), idA))
		if h.MaxAmps != 1600 || h.ActualAmps != 1520 {
			t.Errorf("05 10 A while charging: max %v actual %v, want it ignored", h.MaxAmps, h.ActualAmps)
		}
		h = lastHB(t, replies(b.drive(hb(idA, twc.CmdSetLimit2, 10), 5*time.Second), idA))
		if h.MaxAmps != 1000 || h.ActualAmps != 920 {
			t.Errorf("09 10 A while charging: max %v actual %v, want 10.00 A and 9.20 A", h.MaxAmps, h.ActualAmps)
		}
	})
}

// A slave whose master falls silent for 30 s stops the car, and announces
// itself again (checked in TestLinkReadyStopsWhileLinkedAndResumes).
func TestNoHeartbeatFor30sStopsCar(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, oneCharger(Profile453))
		c := b.sim.Charger(0)
		c.PlugIn(teslaCar())
		b.drive(hb(idA, twc.CmdSetLimit2, 16), 20*time.Second)
		lastSent := time.Now().Add(-time.Second)
		b.wait(28 * time.Second)
		if st := c.Status(); !st.Linked || !near(float64(st.Actual), 15.2, 0.01) {
			t.Errorf("29 s without heartbeats: %+v, want still linked and charging", st)
		}
		// The car sheds current at 10 A/s once the slave gives up at 30 s.
		time.Sleep(lastSent.Add(32 * time.Second).Sub(time.Now()))
		synctest.Wait()
		if st := c.Status(); st.Linked || st.Actual != 0 || st.Power != 0 {
			t.Errorf("32 s without heartbeats: %+v, want unlinked and 0 A", st)
		}
		// The car tolerates a lost master: heartbeats bring the current back.
		h := lastHB(t, replies(b.drive(hb(idA, twc.CmdSetLimit2, 16), 25*time.Second), idA))
		if h.State != twc.StateCharging || h.ActualAmps != 1520 {
			t.Errorf("heartbeats resumed: state %02X, %v; want charging at 15.20 A", byte(h.State), h.ActualAmps)
		}
	})
}

// The first reply after a usable offer should already say "starting" (08):
// the car is about to draw. The simulator says "charging" (01) with 0 A,
// because state() reads startedAt before advance has set it.
func TestFirstReplyAfterOfferIsStarting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, oneCharger(Profile453))
		b.sim.Charger(0).PlugIn(teslaCar())
		h := lastHB(t, replies(b.ask(hb(idA, twc.CmdSetLimit2, 16)), idA))
		if h.State != twc.StateStarting {
			t.Errorf("first reply state %02X with %v drawn, want 08 (starting)", byte(h.State), h.ActualAmps)
		}
	})
}
