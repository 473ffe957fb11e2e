package bus_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/testutil"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
)

// simMasterID is the simulated master charger's default ID.
const simMasterID twc.ID = 0x3D43

// countingPort counts what reaches the port, below the master's own guard.
type countingPort struct {
	io.ReadWriteCloser
	written *atomic.Int64
}

func (p countingPort) Write(b []byte) (int, error) {
	p.written.Add(int64(len(b)))
	return p.ReadWriteCloser.Write(b)
}

func countingOpener(open bus.Opener, n *atomic.Int64) bus.Opener {
	return func() (io.ReadWriteCloser, error) {
		p, err := open()
		if err != nil {
			return nil, err
		}
		return countingPort{p, n}, nil
	}
}

// A master charger drives two slaves; the appliance attaches in monitor
// mode once they are linked (so it hears no link-ready), learns both from
// their heartbeats, follows the master's offers and the replies to its
// queries, and never writes a byte.
func TestMonitorFollowsARealMaster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := twcsim.NewLink()
		ids := []twc.ID{0x1839, 0x2019}
		sim := twcsim.New(link.SimPort(), twcsim.Config{
			Chargers: []twcsim.ChargerConfig{charger(ids[0], twcsim.Profile453), charger(ids[1], twcsim.Profile453)},
			Master:   &twcsim.MasterConfig{Amps: 32, Queries: true}, Seed: 3,
		})
		sim.Charger(0).PlugIn(twcsim.Car{VIN: testVIN, BatteryKWh: 75, SoC: 0.2, MaxAmps: 32})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		wg.Go(func() { _ = sim.Run(ctx) })
		time.Sleep(40 * time.Second) // linked, announcements over, car 0 charging
		for _, c := range sim.Chargers() {
			if st := c.Status(); !st.Linked || st.Master != simMasterID {
				t.Fatalf("charger %s not driven by the simulated master: %+v", st.ID, st)
			}
		}

		var written atomic.Int64
		log := &testutil.Buffer{}
		m := bus.New(bus.Config{Open: countingOpener(link.Open, &written), Monitor: true, Logger: newLogger(log)})
		wg.Go(func() { _ = m.Run(ctx) })
		time.Sleep(20 * time.Second)
		const otherVIN = "5YJ3E7EB3KF000001"
		sim.Charger(1).PlugIn(twcsim.Car{VIN: otherVIN, BatteryKWh: 60, SoC: 0.5, MaxAmps: 32})
		time.Sleep(100 * time.Second)

		snap := m.Snapshot()
		if !snap.Monitor || !snap.Connected || snap.Master != simMasterID || len(snap.Faults) != 0 {
			t.Fatalf("monitor %v connected %v master %s faults %+v; log:\n%s", snap.Monitor, snap.Connected, snap.Master, snap.Faults, log)
		}
		for i, id := range ids {
			c, ok := snap.Charger(id)
			if !ok {
				t.Fatalf("charger %s not reported; log:\n%s", id, log)
			}
			if c.Offered != 16 || c.Reported != 16 || c.Actual < 14 || !c.Charging || c.Heartbeats < 50 {
				t.Errorf("charger %s: offered %v reported %v actual %v charging %v heartbeats %d", id, c.Offered, c.Reported, c.Actual, c.Charging, c.Heartbeats)
			}
			if c.MaxHeartbeatGap > 2*time.Second {
				t.Errorf("charger %s: the master's heartbeats came as much as %v apart", id, c.MaxHeartbeatGap)
			}
			if c.Info.LifetimeKWh < 1000 || c.Info.Volts[0] != 240 || (i == 1 && c.Info.PhaseAmps[0] < 14) {
				t.Errorf("charger %s: meter replies not read: %+v", id, c.Info)
			}
		}
		// Charger 0's car started before we listened: its VIN never passed.
		if c0, _ := snap.Charger(ids[0]); c0.Info.VIN != "" {
			t.Errorf("charger %s: VIN %q that was never on the bus while listening", ids[0], c0.Info.VIN)
		}
		if c1, _ := snap.Charger(ids[1]); c1.Info.VIN != otherVIN {
			t.Errorf("charger %s: VIN %q, want %q", ids[1], c1.Info.VIN, otherVIN)
		}

		if n := written.Load(); n != 0 || snap.Counters.WritesRefused != 0 || snap.Counters.HeartbeatsSent != 0 {
			t.Errorf("monitor mode wrote %d bytes (%d refused, %d heartbeats)", n, snap.Counters.WritesRefused, snap.Counters.HeartbeatsSent)
		}
		frames, err := m.Frames(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range frames {
			if f.Dir != bus.Rx {
				t.Fatalf("monitor mode logged a frame it sent: % X", f.Body)
			}
		}
		if snap.Counters.MasterFrames == 0 || snap.Counters.ForeignFrames != 0 {
			t.Errorf("master frames %d, foreign frames %d", snap.Counters.MasterFrames, snap.Counters.ForeignFrames)
		}

		// Nothing that would need a transmission is accepted.
		for name, err := range map[string]error{
			"stop":  m.Stop(ctx, ids[0], bus.StopZeroAmps),
			"start": m.Start(ctx, ids[0]),
			"query": m.Query(ctx, ids[0], twc.CodeMeterQuery),
		} {
			if !errors.Is(err, bus.ErrMonitor) {
				t.Errorf("%s in monitor mode: %v", name, err)
			}
		}
		if written.Load() != 0 {
			t.Error("a refused request reached the port")
		}
	})
}

// Switching modes at run time: control mode drives the chargers; monitor
// mode stops every transmission at once and, with no master left on the
// bus, says so and hears the chargers announce themselves; control mode
// takes over again.
func TestMonitorModeSwitch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := twcsim.NewLink()
		sim := twcsim.New(link.SimPort(), twcsim.Config{Chargers: []twcsim.ChargerConfig{charger(0x1839, twcsim.ProfileV2)}, Seed: 9})
		var written atomic.Int64
		log := &testutil.Buffer{}
		targets := &bus.TargetTable{}
		targets.Set(10, nil)
		m := bus.New(bus.Config{Open: countingOpener(link.Open, &written), Targets: targets,
			Limits: bus.Limits{PerCharger: 32, Shared: 32}, Logger: newLogger(log)})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		wg.Go(func() { _ = sim.Run(ctx) })
		wg.Go(func() { _ = m.Run(ctx) })
		time.Sleep(20 * time.Second)
		if c, ok := m.Snapshot().Charger(0x1839); !ok || c.Offered != 10 || written.Load() == 0 {
			t.Fatalf("control mode: %+v, %d bytes written", c, written.Load())
		}

		m.SetMonitor(true)
		time.Sleep(time.Second)
		before := written.Load()
		time.Sleep(45 * time.Second)
		snap := m.Snapshot()
		if written.Load() != before || !snap.Monitor {
			t.Fatalf("monitor mode wrote %d bytes after the switch", written.Load()-before)
		}
		c, ok := snap.Charger(0x1839)
		if !ok || c.Advertised != 32 || c.Heartbeats != 0 {
			t.Errorf("the charger announcing itself was not heard: %+v", c)
		}
		if len(snap.Faults) != 1 || snap.Faults[0].Kind != bus.FaultNoMaster || !strings.Contains(snap.Faults[0].Sentence, "no master charger heard") {
			t.Errorf("faults %+v", snap.Faults)
		}
		if st := sim.Charger(0).Status(); st.Linked {
			t.Errorf("the charger still has a master: %+v", st)
		}

		m.SetMonitor(false)
		time.Sleep(20 * time.Second)
		snap = m.Snapshot()
		if c, ok := snap.Charger(0x1839); snap.Monitor || !ok || c.Offered != 10 || c.Heartbeats == 0 || written.Load() == before {
			t.Errorf("back in control mode: monitor %v, %+v", snap.Monitor, c)
		}
		if len(snap.Faults) != 0 {
			t.Errorf("faults in control mode: %+v", snap.Faults)
		}
	})
}

// A charger's master seen by the appliance in control mode is a second
// master; in monitor mode it is the one to follow, and a second one beside
// it is named.
func TestMonitorNamesASecondMaster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := twcsim.NewLink()
		sim := twcsim.New(link.SimPort(), twcsim.Config{
			Chargers: []twcsim.ChargerConfig{charger(0x1839, twcsim.Profile453)},
			Master:   &twcsim.MasterConfig{}, Seed: 4,
		})
		m := bus.New(bus.Config{Open: link.Open, Monitor: true})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		wg.Go(func() { _ = sim.Run(ctx) })
		wg.Go(func() { _ = m.Run(ctx) })
		time.Sleep(10 * time.Second)
		if snap := m.Snapshot(); snap.Master != simMasterID || len(snap.Faults) != 0 {
			t.Fatalf("master %s faults %+v", snap.Master, snap.Faults)
		}
		sim.SetMaster(&twcsim.MasterConfig{ID: 0x7777})
		time.Sleep(5 * time.Second)
		snap := m.Snapshot()
		if len(snap.Faults) != 1 || snap.Faults[0].Kind != bus.FaultSecondMaster ||
			!strings.Contains(snap.Faults[0].Sentence, "two masters (IDs 3D43 and 7777)") {
			t.Errorf("faults %+v", snap.Faults)
		}
	})
}
