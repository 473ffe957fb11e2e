package twcsim

import (
	"bytes"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
)

func withFaults(f Faults) Config {
	cfg := twoChargers()
	cfg.Faults = f
	return cfg
}

// An adapter without direction control hands the master its own bytes back,
// ahead of the reply.
func TestEchoReturnsMasterBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, withFaults(Faults{Echo: true}))
		b.wait(15 * time.Second)
		b.takeRaw()
		b.take()
		m := hb(idA, twc.CmdSetLimit2, 16)
		sent, _ := twc.Encode(m)
		fs := b.ask(m)
		if raw := b.takeRaw(); !bytes.HasPrefix(raw, sent) {
			t.Errorf("received %x, want it to start with the heartbeat sent, %x", raw, sent)
		}
		if len(fs) != 2 || fs[0].msg != twc.Message(m) || len(replies(fs, idA)) != 1 {
			t.Errorf("frames %v, want the echoed FB E0 then the FD E0", fs)
		}
	})
}

// Real chargers send an FE after each frame; the master must skip it.
func TestTrailingJunkAfterFrames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, withFaults(Faults{TrailingJunk: true}))
		b.wait(15 * time.Second)
		b.takeRaw()
		stray := b.stats().StrayBytes
		fs := b.ask(hb(idA, twc.CmdSetLimit2, 16))
		want, _ := twc.Encode(twc.SlaveHeartbeat{Slave: idA, Master: masterID, MaxAmps: 1600, Protocol: twc.Protocol2})
		want = append(want, 0xFE)
		if raw := b.takeRaw(); !bytes.Equal(raw, want) {
			t.Errorf("received %x, want %x", raw, want)
		}
		if len(replies(fs, idA)) != 1 || b.stats().StrayBytes != stray+1 {
			t.Errorf("decoded %v with %d stray bytes, want the reply and one stray byte", fs, b.stats().StrayBytes-stray)
		}
	})
}

// With every byte corrupted nothing on the bus decodes, in either direction.
// Not even a C0 delimiter survives, so the master mostly sees stray bytes.
func TestCorruptEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, withFaults(Faults{CorruptRate: 1}))
		b.drive(hb(idA, twc.CmdSetLimit2, 16), 45*time.Second)
		st := b.stats()
		if st.Frames != 0 || st.BytesSeen < 4*16 {
			t.Errorf("decoder %+v: want many bytes and no valid frame", st)
		}
		if got := b.sim.Charger(0).Status().Heartbeats; got != 0 {
			t.Errorf("charger understood %d corrupted heartbeats", got)
		}
	})
}

// Occasional corruption costs some frames, which the decoder counts, and
// lets the rest through.
func TestCorruptSome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, withFaults(Faults{CorruptRate: 0.02}))
		b.wait(10 * time.Minute) // 120 link-readies
		st := b.stats()
		if st.Frames < 60 || st.Frames >= 120 || st.Errors() == 0 {
			t.Errorf("decoder %+v: want most of 120 frames through and some dropped as errors", st)
		}
	})
}

// A dropped frame is one the charger never heard: no reply, but it is still
// on the bus announcing itself.
func TestDropEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, withFaults(Faults{DropRate: 1}))
		fs := b.drive(hb(idA, twc.CmdSetLimit2, 16), 25*time.Second)
		for _, q := range []twc.Code{twc.CodeMeterQuery, twc.CodeFirmwareQuery} {
			b.send(req(q, idA))
		}
		b.wait(time.Second)
		fs = append(fs, b.take()...)
		for _, f := range fs {
			if _, ok := f.msg.(twc.SlaveLinkReady); !ok {
				t.Errorf("got %x, want only link-readies", f.body)
			}
		}
		if len(linkReadies(fs, idA)) < 2 {
			t.Errorf("%d link-readies from %v in 26 s, want the charger alive and announcing", len(linkReadies(fs, idA)), idA)
		}
	})
}
