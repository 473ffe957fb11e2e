package bus_test

import (
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
)

// With 1 % of bytes corrupted in both directions, an echoing adapter and the
// chargers' trailing junk byte, no charger is dropped in a simulated hour, and
// the checksum errors are counted where the UI can show them.
func TestCorruptionAndEchoForAnHour(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfgs := []twcsim.ChargerConfig{charger(0x1839, twcsim.Profile453), charger(0x2019, twcsim.ProfileV2), charger(0x4580, twcsim.ProfileV1)}
		r := newRig(t, twcsim.Config{Chargers: cfgs, Seed: 7, Faults: twcsim.Faults{CorruptRate: 0.01, Echo: true, TrailingJunk: true}}, bus.Config{})
		defer r.stop()
		r.targets.Set(10, nil)
		r.sim.Charger(0).PlugIn(twcsim.Car{BatteryKWh: 75, SoC: 0.1, MaxAmps: 32})
		time.Sleep(time.Hour)
		snap := r.master.Snapshot()
		if len(snap.Chargers) != 3 || snap.Counters.Dropped != 0 {
			t.Fatalf("%d chargers, %d dropped; log:\n%s", len(snap.Chargers), snap.Counters.Dropped, r.log)
		}
		c := snap.Counters
		if c.Checksum == 0 || c.Echoes == 0 || c.StrayBytes == 0 {
			t.Fatalf("corruption not visible in counters: %+v", c)
		}
		t.Logf("checksum errors %d, other drops %d, echoes %d, stray bytes %d, replies %d/%d",
			c.Checksum, c.Errors()-c.Checksum, c.Echoes, c.StrayBytes, c.HeartbeatReplies, c.HeartbeatsSent)
	})
}

// A real charger left in master mode shows up as a named fault with the fix.
func TestSecondMasterIsAFault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, twcsim.Config{Chargers: []twcsim.ChargerConfig{charger(0x1839, twcsim.Profile453)}}, bus.Config{})
		defer r.stop()
		time.Sleep(12 * time.Second)
		foreign, _ := twc.Encode(twc.MasterHeartbeat{Master: 0xABCD, Slave: 0x1839, Protocol: twc.Protocol2})
		_, _ = r.link.SimPort().Write(foreign)
		time.Sleep(time.Second)
		snap := r.master.Snapshot()
		if len(snap.Faults) != 1 || snap.Faults[0].Kind != bus.FaultSecondMaster ||
			!strings.Contains(snap.Faults[0].Sentence, "rotary switch to F") {
			t.Fatalf("faults = %+v", snap.Faults)
		}
		time.Sleep(2 * time.Minute)
		if f := r.master.Snapshot().Faults; len(f) != 0 {
			t.Fatalf("fault did not clear once the other master went quiet: %+v", f)
		}
	})
}

// A charger announcing the master's own ID makes the master announce itself
// again, which makes that charger pick a new ID; it is never linked as 7777.
func TestIDConflictReannounces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex // lr1 is written by the simulator's goroutine
		var lr1 []time.Time
		sim := twcsim.Config{
			Chargers: []twcsim.ChargerConfig{charger(0x1839, twcsim.Profile453)},
			OnMasterFrame: func(at time.Time, m twc.Message) {
				if l, ok := m.(twc.MasterLinkReady); ok && !l.Second {
					mu.Lock()
					lr1 = append(lr1, at)
					mu.Unlock()
				}
			},
		}
		r := newRig(t, sim, bus.Config{})
		defer r.stop()
		time.Sleep(15 * time.Second)
		conflictAt := time.Now()
		clash, _ := twc.Encode(twc.SlaveLinkReady{Slave: 0x7777, Sign: 1, MaxAmps: 3200, Protocol: twc.Protocol2})
		_, _ = r.link.SimPort().Write(clash)
		time.Sleep(5 * time.Second)
		again := 0
		mu.Lock()
		for _, at := range lr1 {
			if at.After(conflictAt) {
				again++
			}
		}
		mu.Unlock()
		snap := r.master.Snapshot()
		if again != 5 {
			t.Errorf("%d link-ready 1 frames after the conflict, want a burst of 5", again)
		}
		if _, ok := snap.Charger(0x7777); ok || len(snap.Chargers) != 1 {
			t.Errorf("chargers %+v", snap.Chargers)
		}
		if !strings.Contains(r.log.String(), "charger has our ID") {
			t.Errorf("conflict not logged:\n%s", r.log)
		}
	})
}

// A fourth charger is refused with a fault rather than dropping one in use.
func TestFourthChargerRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cfgs []twcsim.ChargerConfig
		for _, id := range []twc.ID{0x1111, 0x2222, 0x3333, 0x4444} {
			cfgs = append(cfgs, charger(id, twcsim.Profile453))
		}
		r := newRig(t, twcsim.Config{Chargers: cfgs}, bus.Config{})
		defer r.stop()
		time.Sleep(30 * time.Second)
		snap := r.master.Snapshot()
		if len(snap.Chargers) != 3 {
			t.Fatalf("%d chargers linked", len(snap.Chargers))
		}
		found := false
		for _, f := range snap.Faults {
			found = found || f.Kind == bus.FaultTooMany
		}
		if !found {
			t.Fatalf("no too-many fault: %+v", snap.Faults)
		}
	})
}

// Unknown codes are counted every time and logged once per code.
func TestUnknownCodeLoggedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, twcsim.Config{}, bus.Config{})
		defer r.stop()
		body := make([]byte, 19)
		body[0], body[1] = 0xFB, 0xA4
		wire, _ := twc.AppendFramed(nil, body)
		time.Sleep(100 * time.Millisecond) // the master opens the link first
		for range 3 {
			_, _ = r.link.SimPort().Write(wire)
			time.Sleep(time.Second)
		}
		if n := r.master.Snapshot().Counters.UnknownCodes; n != 3 {
			t.Fatalf("unknown codes counted %d, want 3", n)
		}
		if n := strings.Count(r.log.String(), "unknown message code"); n != 1 {
			t.Fatalf("logged %d times:\n%s", n, r.log)
		}
	})
}

// Unplugging the adapter is reported in words; the master keeps running and
// picks the chargers up again when it returns.
func TestAdapterUnplugged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, twcsim.Config{Chargers: []twcsim.ChargerConfig{charger(0x1839, twcsim.Profile453)}}, bus.Config{})
		defer r.stop()
		time.Sleep(15 * time.Second)
		r.link.Unplug()
		time.Sleep(5 * time.Second)
		snap := r.master.Snapshot()
		if snap.Connected || len(snap.Faults) != 1 || snap.Faults[0].Kind != bus.FaultAdapter ||
			!strings.Contains(snap.Faults[0].Sentence, "adapter disconnected") {
			t.Fatalf("snapshot while unplugged: connected %v faults %+v", snap.Connected, snap.Faults)
		}
		r.link.Plug()
		time.Sleep(5 * time.Second)
		snap = r.master.Snapshot()
		if !snap.Connected || len(snap.Faults) != 0 || len(snap.Chargers) != 1 || snap.Counters.Dropped != 0 {
			t.Fatalf("after re-plug: connected %v faults %+v chargers %d dropped %d",
				snap.Connected, snap.Faults, len(snap.Chargers), snap.Counters.Dropped)
		}
	})
}

// Protocol 1 chargers get 7 data bytes and command 05; protocol 2 get 09.
func TestHeartbeatFormPerProtocol(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		seen := map[twc.ID]twc.MasterHeartbeat{}
		sim := twcsim.Config{
			Chargers: []twcsim.ChargerConfig{charger(0x1111, twcsim.ProfileV1), charger(0x2222, twcsim.ProfileV2)},
			OnMasterFrame: func(_ time.Time, m twc.Message) {
				if hb, ok := m.(twc.MasterHeartbeat); ok {
					seen[hb.Slave] = hb
				}
			},
		}
		r := newRig(t, sim, bus.Config{})
		defer r.stop()
		r.targets.Set(12, nil)
		time.Sleep(30 * time.Second)
		r.stop()
		v1, v2 := seen[0x1111], seen[0x2222]
		if v1.Protocol != twc.Protocol1 || v1.Command != twc.CmdSetLimit || v1.Amps.Amps() != 12 {
			t.Errorf("v1 heartbeat %+v", v1)
		}
		if v2.Protocol != twc.Protocol2 || v2.Command != twc.CmdSetLimit2 || v2.Amps.Amps() != 12 {
			t.Errorf("v2 heartbeat %+v", v2)
		}
	})
}
