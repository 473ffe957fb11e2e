package twcsim

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
)

func twoChargers() Config {
	return Config{Chargers: []ChargerConfig{chargerCfg(idA, Profile453), chargerCfg(idB, Profile453)}}
}

// linkReadies returns the FD E2 frames from id.
func linkReadies(fs []frame, id twc.ID) []frame {
	var out []frame
	for _, f := range fs {
		if lr, ok := f.msg.(twc.SlaveLinkReady); ok && lr.Slave == id {
			out = append(out, f)
		}
	}
	return out
}

// A master that starts late finds its slaves by their FD E2, which they send
// every 10 s for as long as nobody talks to them.
func TestLinkReadyEveryTenSecondsWithoutMaster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, twoChargers())
		b.wait(45 * time.Second)
		fs := b.take()
		for _, id := range []twc.ID{idA, idB} {
			lrs := linkReadies(fs, id)
			if len(lrs) < 4 || len(lrs) > 5 {
				t.Fatalf("%v sent %d link-readies in 45 s, want 4 or 5", id, len(lrs))
			}
			for i, f := range lrs {
				lr := f.msg.(twc.SlaveLinkReady)
				if len(f.body) != 16 || lr.MaxAmps != 3200 || lr.Sign != byte(id) {
					t.Errorf("%v link-ready %x: want a 16-byte body, 32.00 A, sign %02X", id, f.body, byte(id))
				}
				if i > 0 {
					if gap := f.at.Sub(lrs[i-1].at); gap != 10*time.Second {
						t.Errorf("%v link-ready %d came %v after the previous one, want 10s", id, i, gap)
					}
				}
			}
		}
		if n := len(fs) - len(linkReadies(fs, idA)) - len(linkReadies(fs, idB)); n != 0 {
			t.Errorf("%d frames other than FD E2 without a master", n)
		}
	})
}

// Slaves ignore the first master link-ready 2 and answer the second with
// five FD E2 about 0.2 s later; a charger that already has a master does not.
func TestSecondLinkReady2TriggersBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, twoChargers())
		b.drive(hb(idB, twc.CmdNone, 0), 2*time.Second) // idB now has a master
		lr2 := twc.MasterLinkReady{Second: true, Master: masterID, Sign: 0x77}

		b.send(lr2)
		first := time.Now()
		b.wait(time.Second)
		if n := countBurst(linkReadies(b.take(), idA), first); n != 0 {
			t.Errorf("%d link-readies 0.15–0.5 s after the first FB E2, want none", n)
		}

		b.send(lr2)
		second := time.Now()
		b.wait(time.Second)
		fs := b.take()
		lrs := linkReadies(fs, idA)
		if n := countBurst(lrs, second); n != 5 {
			t.Fatalf("%d link-readies 0.15–0.5 s after the second FB E2, want 5 (got %d in all)", n, len(lrs))
		}
		if d := lrs[0].at.Sub(second); d < 150*time.Millisecond || d > 250*time.Millisecond {
			t.Errorf("burst began %v after the FB E2, want about 0.2 s", d)
		}
		if n := len(linkReadies(fs, idB)); n != 0 {
			t.Errorf("linked charger sent %d link-readies, want none", n)
		}
	})
}

func countBurst(lrs []frame, after time.Time) int {
	n := 0
	for _, f := range lrs {
		if d := f.at.Sub(after); d >= 150*time.Millisecond && d <= 500*time.Millisecond {
			n++
		}
	}
	return n
}

// Heartbeats silence the announcements; when they stop for 10 s the charger
// announces itself again so a restarted master can find it.
func TestLinkReadyStopsWhileLinkedAndResumes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, Config{Chargers: []ChargerConfig{chargerCfg(idA, Profile453)}})
		fs := b.drive(hb(idA, twc.CmdNone, 0), 30*time.Second)
		var hbs []time.Time
		for _, f := range fs {
			if _, ok := f.msg.(twc.SlaveHeartbeat); ok {
				hbs = append(hbs, f.at)
			}
		}
		if len(hbs) != 30 {
			t.Fatalf("%d heartbeat replies in 30 s, want 30", len(hbs))
		}
		// The charger may announce once before the first heartbeat, not after.
		for _, f := range linkReadies(fs, idA) {
			if f.at.After(hbs[0]) {
				t.Errorf("link-ready %v after the first heartbeat, want none while heartbeats flow", f.at.Sub(hbs[0]))
			}
		}
		b.wait(25 * time.Second)
		lrs := linkReadies(b.take(), idA)
		if len(lrs) < 2 {
			t.Fatalf("%d link-readies in 25 s after heartbeats stopped, want at least 2", len(lrs))
		}
		if d := lrs[0].at.Sub(hbs[len(hbs)-1]); d < 9*time.Second || d > 11*time.Second {
			t.Errorf("first link-ready %v after the last heartbeat, want about 10 s", d)
		}
	})
}

// A master link-ready carrying a charger's own ID is an ID conflict: the
// charger takes a new random ID and the old one stops answering.
func TestIDConflictPicksNewID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, twoChargers())
		b.send(twc.MasterLinkReady{Master: idA, Sign: 0x77})
		b.wait(time.Second)
		newID := b.sim.Charger(0).Status().ID
		if newID == idA {
			t.Fatalf("charger kept ID %v after a master claimed it", idA)
		}
		if id := b.sim.Charger(1).Status().ID; id != idB {
			t.Errorf("uninvolved charger changed ID to %v", id)
		}
		b.wait(12 * time.Second)
		fs := b.take()
		if n := len(linkReadies(fs, idA)); n != 0 {
			t.Errorf("%d link-readies under the old ID", n)
		}
		if n := len(linkReadies(fs, newID)); n == 0 {
			t.Errorf("no link-ready under the new ID %v", newID)
		}
		if n := len(only[twc.SlaveHeartbeat](b.ask(hb(idA, twc.CmdNone, 0)))); n != 0 {
			t.Errorf("old ID still answers heartbeats")
		}
		if n := len(replies(b.ask(hb(newID, twc.CmdNone, 0)), newID)); n != 1 {
			t.Errorf("new ID answered %d heartbeats, want 1", n)
		}
	})
}

// A silenced charger is a cut cable: it neither answers nor announces.
func TestSilenceIgnoresEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, Config{Chargers: []ChargerConfig{chargerCfg(idA, Profile453)}})
		c := b.sim.Charger(0)
		c.Silence(true)
		b.send(twc.MasterLinkReady{Second: true, Master: masterID}, twc.MasterLinkReady{Second: true, Master: masterID})
		b.send(hb(idA, twc.CmdSetLimit2, 16), req(twc.CodeFirmwareQuery, idA), req(twc.CodeMeterQuery, idA))
		b.wait(30 * time.Second)
		if fs := b.take(); len(fs) != 0 {
			t.Errorf("silenced charger sent %d frames, first %x", len(fs), fs[0].body)
		}
		if raw := b.takeRaw(); len(raw) != 0 {
			t.Errorf("silenced charger sent bytes %x", raw)
		}
		c.Silence(false)
		if n := len(only[twc.SlaveHeartbeat](b.ask(hb(idA, twc.CmdNone, 0)))); n != 1 {
			t.Errorf("after Silence(false) %d heartbeat replies, want 1", n)
		}
	})
}
