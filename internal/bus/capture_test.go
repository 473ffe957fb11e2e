package bus_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/bus/capture"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
)

var update = flag.Bool("update", false, "record testdata/*.twccap again from the simulator")

// hexBodies lists bodies for a failure message.
func hexBodies(bs [][]byte) string {
	var out []string
	for _, b := range bs {
		out = append(out, fmt.Sprintf("% X", b))
	}
	return strings.Join(out, "\n")
}

// replayInto plays c into a fresh decoder, as a listener on the bus, and
// returns the bodies it decodes and how long the replay took.
func replayInto(t *testing.T, c *capture.Capture, cfg twcsim.ReplayConfig) ([][]byte, time.Duration) {
	t.Helper()
	pr, pw := io.Pipe()
	var got [][]byte
	done := make(chan struct{})
	go func() {
		defer close(done)
		var d twc.Decoder
		buf := make([]byte, 256)
		for {
			n, err := pr.Read(buf)
			for _, b := range buf[:n] {
				if body, _ := d.Feed(time.Now(), b); body != nil {
					got = append(got, bytes.Clone(body))
				}
			}
			if err != nil {
				return
			}
		}
	}()
	began := time.Now()
	if err := twcsim.Replay(context.Background(), pw, c, cfg); err != nil {
		t.Fatal(err)
	}
	took := time.Since(began)
	_ = pw.Close() // ends the reader
	<-done
	return got, took
}

// Capture → file → replay → the same decoded frames: what the master
// decoded and sent during the capture is in the file, and a fresh decoder
// makes exactly those frames of the file played back, with the original
// timing or faster.
func TestCaptureFileReplaysTheSameFrames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, twcsim.Config{Chargers: []twcsim.ChargerConfig{charger(0x1839, twcsim.Profile453), charger(0x2019, twcsim.ProfileV2)},
			Seed: 7, Faults: twcsim.Faults{TrailingJunk: true}}, bus.Config{})
		defer r.stop()
		r.targets.Set(16, nil)
		r.sim.Charger(0).PlugIn(twcsim.Car{VIN: testVIN, BatteryKWh: 75, SoC: 0.2, MaxAmps: 32})
		ctx := context.Background()
		if _, _, err := r.master.CaptureFile(ctx); !errors.Is(err, bus.ErrNoCapture) {
			t.Fatalf("download before any capture: %v", err)
		}
		time.Sleep(2 * time.Second) // mid-startup: link-readies, first heartbeats
		if err := r.master.StartCapture(ctx, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		st, err := r.master.CaptureStatus(ctx)
		if err != nil || !st.Recording || st.Bytes == 0 || !st.End.Equal(st.Start.Add(30*time.Second)) {
			t.Fatalf("while recording: %+v, %v", st, err)
		}
		if _, _, err := r.master.CaptureFile(ctx); !errors.Is(err, bus.ErrNoCapture) || !strings.Contains(err.Error(), "recording until") {
			t.Fatalf("download while recording: %v", err)
		}
		if err := r.master.StartCapture(ctx, time.Minute); err == nil || !strings.Contains(err.Error(), "already recording") {
			t.Fatalf("second capture: %v", err)
		}
		time.Sleep(25 * time.Second)
		file, st, err := r.master.CaptureFile(ctx)
		if err != nil || st.Recording || st.Size != len(file) || st.Dropped != 0 || st.End.Sub(st.Start) != 30*time.Second {
			t.Fatalf("finished: %+v, %v", st, err)
		}

		path := filepath.Join(t.TempDir(), "case"+capture.Extension)
		if err := os.WriteFile(path, file, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := capture.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if c.Bytes() != st.Bytes || !c.Start.Equal(st.Start) || c.Length != 30*time.Second {
			t.Fatalf("file: %d bytes from %v for %v; status %+v", c.Bytes(), c.Start, c.Length, st)
		}

		frames, err := r.master.Frames(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Frames at the very instants the capture started and ended may fall
		// either side of it; those strictly inside must all be there.
		inside := func(at time.Duration) bool { return at > 0 && at < c.Length }
		var live, fromFile, all [][]byte
		sent := 0
		for _, f := range frames {
			if f.Err == "" && inside(f.At.Sub(st.Start)) {
				live = append(live, f.Body)
				if f.Dir == bus.Tx {
					sent++
				}
			}
		}
		if len(frames) == 200 || len(live) < 100 || sent == 0 {
			t.Fatalf("%d frames in the log, %d in the capture's time, %d sent", len(frames), len(live), sent)
		}
		for _, f := range c.Frames() {
			all = append(all, f.Body)
			if inside(f.At) {
				fromFile = append(fromFile, f.Body)
			}
		}
		if !slices.EqualFunc(live, fromFile, bytes.Equal) {
			t.Fatalf("frames in the file differ from those decoded live\nlive:\n%s\nfile:\n%s", hexBodies(live), hexBodies(fromFile))
		}

		got, took := replayInto(t, c, twcsim.ReplayConfig{})
		if !slices.EqualFunc(all, got, bytes.Equal) {
			t.Fatalf("replayed frames differ from the file's\nfile:\n%s\nreplayed:\n%s", hexBodies(all), hexBodies(got))
		}
		if last := c.Records[len(c.Records)-1].At; took < last || took > last+time.Millisecond {
			t.Errorf("replay took %v; the last record is at %v", took, last)
		}

		// Ten times faster, only what the chargers said.
		got, took = replayInto(t, c, twcsim.ReplayConfig{Speed: 10, ReceivedOnly: true})
		received := 0
		for _, b := range all {
			if b[0] == 0xFD {
				received++
			}
		}
		if len(got) != received || took > 3100*time.Millisecond {
			t.Errorf("received-only replay at 10×: %d frames in %v, want %d in about 3 s", len(got), took, received)
		}
		for _, b := range got {
			if b[0] != 0xFD {
				t.Fatalf("received-only replay has a master's frame % X", b)
			}
		}
	})
}

// A monitor records only what it hears; a capture ended early is ready at
// once, and a capture longer than allowed is refused.
func TestCaptureInMonitorMode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := twcsim.NewLink()
		sim := twcsim.New(link.SimPort(), twcsim.Config{Chargers: []twcsim.ChargerConfig{charger(0x1839, twcsim.ProfileV2)}, Master: &twcsim.MasterConfig{}, Seed: 2})
		m := bus.New(bus.Config{Open: link.Open, Monitor: true})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		wg.Go(func() { _ = sim.Run(ctx) })
		wg.Go(func() { _ = m.Run(ctx) })
		for _, d := range []time.Duration{0, -time.Minute, bus.MaxCapture + time.Second} {
			if err := m.StartCapture(ctx, d); err == nil || !strings.Contains(err.Error(), "at most 30m0s") {
				t.Errorf("capture of %v: %v", d, err)
			}
		}
		if err := m.StopCapture(ctx); err == nil {
			t.Error("stopping with no capture running was accepted")
		}
		if err := m.StartCapture(ctx, bus.MaxCapture); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Second)
		if err := m.StopCapture(ctx); err != nil {
			t.Fatal(err)
		}
		file, st, err := m.CaptureFile(ctx)
		if err != nil || st.End.Sub(st.Start) != 20*time.Second {
			t.Fatalf("%+v, %v", st, err)
		}
		c, err := capture.Parse(file)
		if err != nil {
			t.Fatal(err)
		}
		codes := map[twc.Code]int{}
		for _, r := range c.Records {
			if r.Dir != capture.Received {
				t.Fatalf("monitor capture has a %s record", r.Dir)
			}
		}
		for _, f := range c.Frames() {
			codes[twc.CodeOf(f.Body)]++
		}
		if codes[twc.CodeMasterHeartbeat] < 15 || codes[twc.CodeSlaveHeartbeat] < 15 {
			t.Errorf("frames in the capture: %v", codes)
		}
	})
}

// The golden capture is a bus run by a master charger with two slaves, as a
// user in monitor mode would send it in: a charging car on one, a car whose
// VIN passes on the other. Replayed into a monitor it must always read the
// same. go test -run Golden -update records it again from the simulator.
func TestGoldenMonitorCapture(t *testing.T) {
	const golden = "testdata/monitor-two-slaves" + capture.Extension
	if *update {
		recordGolden(t, golden)
	}
	c, err := capture.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		link := twcsim.NewLink()
		m := bus.New(bus.Config{Open: link.Open, Monitor: true})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		wg.Go(func() { _ = m.Run(ctx) })
		time.Sleep(time.Second)
		if err := twcsim.Replay(ctx, link.SimPort(), c, twcsim.ReplayConfig{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		snap := m.Snapshot()
		if snap.Master != simMasterID || len(snap.Chargers) != 2 || snap.Counters.Errors() != 0 || snap.Counters.Malformed != 0 {
			t.Fatalf("master %s, %d chargers, counters %+v", snap.Master, len(snap.Chargers), snap.Counters)
		}
		c1, _ := snap.Charger(0x1839)
		c2, _ := snap.Charger(0x2019)
		if c1.Offered != 16 || c1.Actual < 14 || !c1.Charging || c1.Info.LifetimeKWh < 1000 {
			t.Errorf("1839: %+v", c1)
		}
		if c2.Offered != 16 || c2.Info.VIN != testVIN {
			t.Errorf("2019: offered %v, VIN %q", c2.Offered, c2.Info.VIN)
		}
	})
}

// recordGolden runs the simulated master and slaves and records them with a
// monitor.
func recordGolden(t *testing.T, path string) {
	synctest.Test(t, func(t *testing.T) {
		link := twcsim.NewLink()
		sim := twcsim.New(link.SimPort(), twcsim.Config{
			Chargers: []twcsim.ChargerConfig{charger(0x1839, twcsim.Profile453), charger(0x2019, twcsim.Profile453)},
			Master:   &twcsim.MasterConfig{Queries: true}, Seed: 11, Faults: twcsim.Faults{TrailingJunk: true},
		})
		sim.Charger(0).PlugIn(twcsim.Car{BatteryKWh: 75, SoC: 0.2, MaxAmps: 32})
		m := bus.New(bus.Config{Open: link.Open, Monitor: true})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		wg.Go(func() { _ = sim.Run(ctx) })
		time.Sleep(30 * time.Second)
		wg.Go(func() { _ = m.Run(ctx) })
		if err := m.StartCapture(ctx, 70*time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		sim.Charger(1).PlugIn(twcsim.Car{VIN: testVIN, BatteryKWh: 60, SoC: 0.5, MaxAmps: 32})
		time.Sleep(61 * time.Second)
		file, _, err := m.CaptureFile(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, file, 0o644); err != nil {
			t.Fatal(err)
		}
	})
}
