//go:build linux

package appliance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/bus/rs485"
	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
)

// countingPTY is the simulator's end of the pseudo-terminal; it counts every
// byte the appliance's end wrote.
type countingPTY struct {
	*os.File
	read atomic.Int64
}

func (p *countingPTY) Read(b []byte) (int, error) {
	n, err := p.File.Read(b)
	p.read.Add(int64(n))
	return n, err
}

// The acceptance test of monitor mode: a simulated master charger runs two
// slaves on one end of a real pseudo-terminal; the appliance, in monitor
// mode, opens the other end as its RS-485 adapter. It reports both slaves
// and their currents through GET /api/v1/state, records their sessions, and
// writes not one byte to the port.
func TestMonitorModeOverPseudoTerminal(t *testing.T) {
	ptm, pts, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer ptm.Close()
	defer pts.Close()
	// Raw mode before the simulator writes: a fresh pty echoes, which would
	// hand the simulator its own bytes back as if the appliance sent them.
	if p, err := rs485.Open(pts.Name()); err != nil {
		t.Fatal(err)
	} else if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	clk := clock.Scaled(5)
	port := &countingPTY{File: ptm}
	ids := []twc.ID{0x1839, 0x2019}
	sim := twcsim.New(port, twcsim.Config{
		Chargers: []twcsim.ChargerConfig{
			{ID: ids[0], Sign: 0x52, MaxAmps: 32, Profile: twcsim.Profile453, KWh: 1843},
			{ID: ids[1], Sign: 0x31, MaxAmps: 32, Profile: twcsim.ProfileV2, KWh: 912},
		},
		Master: &twcsim.MasterConfig{Amps: 32, Queries: true}, Clock: clk, Seed: 8,
	})
	sim.Charger(0).PlugIn(twcsim.Car{VIN: "5YJ3E7EB3KF000001", BatteryKWh: 75, SoC: 0.3, MaxAmps: 32})
	sim.Charger(1).PlugIn(twcsim.Car{BatteryKWh: 60, SoC: 0.5, MaxAmps: 32})

	s := config.Defaults()
	s.Bus.Monitor = true
	a, err := New(Config{Port: pts.Name(), Settings: s, Clock: clk, Listen: "127.0.0.1:0", DataDir: t.TempDir(),
		ClockGood: func() bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = sim.Run(ctx) })
	wg.Go(func() { _ = a.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	var st api.State
	deadline := time.Now().Add(30 * time.Second)
	for {
		st = getState(t, a)
		if problem := monitorStateProblem(st, ids); problem == "" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("%s; state: %+v", problem, st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !st.Monitor || st.Master != "3D43" || st.Explanation != api.MonitorSentence || len(st.Faults) != 0 {
		t.Errorf("monitor %v master %q explanation %q faults %+v", st.Monitor, st.Master, st.Explanation, st.Faults)
	}

	// History goes on: both charging sessions are open, marked as watched.
	deadline = time.Now().Add(10 * time.Second)
	for {
		open, err := history.New(a.Store()).OpenSessions()
		if err != nil {
			t.Fatal(err)
		}
		modes := map[twc.ID]string{}
		for _, s := range open {
			modes[s.Charger] = s.Mode
		}
		if modes[ids[0]] == "monitor" && modes[ids[1]] == "monitor" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("open sessions %+v", open)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The policy does not run, and nothing reached the port.
	if _, ok := a.Policy().Last(); ok {
		t.Error("the policy decided in monitor mode")
	}
	snap := a.Master().Snapshot()
	if n := port.read.Load(); n != 0 || snap.Counters.WritesRefused != 0 || snap.Counters.HeartbeatsSent != 0 {
		t.Errorf("the appliance wrote %d bytes to the port in monitor mode (%d refused)", n, snap.Counters.WritesRefused)
	}
	for _, c := range sim.Chargers() {
		if st := c.Status(); st.Master != 0x3D43 {
			t.Errorf("charger %s answers %s, not the master charger", st.ID, st.Master)
		}
	}
}

// monitorStateProblem says what the state still lacks: both chargers, each
// offered half of the master's 32 A and drawing from it.
func monitorStateProblem(st api.State, ids []twc.ID) string {
	if len(st.Chargers) != len(ids) {
		return fmt.Sprintf("%d chargers reported", len(st.Chargers))
	}
	for _, id := range ids {
		found := false
		for _, c := range st.Chargers {
			if c.ID != id.String() {
				continue
			}
			found = true
			if c.OfferedAmps != 16 || c.ActualAmps < 14 || !c.Charging {
				return fmt.Sprintf("charger %s: offered %v A, actual %v A", c.ID, c.OfferedAmps, c.ActualAmps)
			}
		}
		if !found {
			return "charger " + id.String() + " not reported"
		}
	}
	return ""
}

func getState(t *testing.T, a *Appliance) api.State {
	t.Helper()
	var addr string
	for range 100 {
		if addr = a.ListenAddr(); addr != "" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr + "/api/v1/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/state: %s", resp.Status)
	}
	var st api.State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// Switching monitor mode in the settings stops the policy and the bus's
// transmissions, and the demo's simulated bus gains a master charger to
// listen to; switching back hands control to the appliance again.
func TestMonitorModeSwitchInTheDemo(t *testing.T) {
	a, err := New(Config{Demo: true, Settings: DemoSettings(), Clock: clock.Scaled(10)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	waitFor(t, 10*time.Second, func() string {
		if n := len(a.Master().Snapshot().Chargers); n != 2 {
			return fmt.Sprintf("%d chargers linked", n)
		}
		return ""
	})

	s := a.Policy().Settings()
	s.Bus.Monitor = true
	if err := a.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() string {
		snap := a.Master().Snapshot()
		if !snap.Monitor || snap.Master == 0 || len(snap.Chargers) != 2 {
			return fmt.Sprintf("monitor %v, master %s, %d chargers", snap.Monitor, snap.Master, len(snap.Chargers))
		}
		return ""
	})
	sent := a.Master().Snapshot().Counters.HeartbeatsSent
	decided := len(a.Policy().Recent(1000))
	time.Sleep(time.Second)
	if snap := a.Master().Snapshot(); snap.Counters.HeartbeatsSent != sent || snap.Counters.WritesRefused != 0 {
		t.Errorf("heartbeats sent in monitor mode: %d more, %d refused", snap.Counters.HeartbeatsSent-sent, snap.Counters.WritesRefused)
	}
	if n := len(a.Policy().Recent(1000)); n != decided {
		t.Errorf("the policy decided %d times in monitor mode", n-decided)
	}

	s.Bus.Monitor = false
	if err := a.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() string {
		snap := a.Master().Snapshot()
		if snap.Monitor || len(snap.Chargers) != 2 || snap.Counters.HeartbeatsSent == sent || len(snap.Faults) != 0 {
			return fmt.Sprintf("back in control: monitor %v, %d chargers, faults %+v", snap.Monitor, len(snap.Chargers), snap.Faults)
		}
		if n := len(a.Policy().Recent(1000)); n == decided {
			return "the policy has not decided again"
		}
		return ""
	})
}

func waitFor(t *testing.T, within time.Duration, f func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
