package bench

import (
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
)

func hbFrame(t *testing.T, at time.Time, slave twc.ID) bus.Frame {
	t.Helper()
	body := twc.Body(twc.MasterHeartbeat{Master: 0x7777, Slave: slave, Command: twc.CmdSetLimit2, Amps: 1600, Protocol: twc.Protocol2})
	return bus.Frame{At: at, Dir: bus.Tx, Body: body}
}

// Overlapping reads of the frame log count each frame once, intervals are
// per charger, and frames before the start are left out.
func TestFrameCollector(t *testing.T) {
	t0 := time.Date(2026, 6, 21, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	a, b := twc.ID(0x1839), twc.ID(0x4580)
	all := []bus.Frame{
		hbFrame(t, at(-500), a), // before the start
		hbFrame(t, at(0), a), hbFrame(t, at(500), b),
		hbFrame(t, at(1000), a), hbFrame(t, at(1600), b),
		hbFrame(t, at(2300), a),
	}
	c := newFrameCollector()
	c.add(all[:4], t0)
	c.add(all[2:], t0) // overlaps the first read
	if c.frames != 5 {
		t.Errorf("frames = %d, want 5", c.frames)
	}
	want := map[twc.ID][]float64{a: {1000, 1300}, b: {1100}}
	for id, w := range want {
		got := c.intervals[id]
		if len(got) != len(w) {
			t.Fatalf("%v: intervals %v, want %v", id, got, w)
		}
		for i := range w {
			if got[i] != w[i] {
				t.Errorf("%v: intervals %v, want %v", id, got, w)
			}
		}
	}
	if c.overruns != 0 {
		t.Errorf("overruns = %d", c.overruns)
	}
	wire := wireSize(all[1])
	if wire < 18 || c.wire != int64(5*wire) {
		t.Errorf("wire bytes %d for 5 frames of %d", c.wire, wire)
	}
}
