//go:build linux

package bus_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/bus/rs485"
	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/testutil"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
)

// The simulated-hour scenario over a real pseudo-terminal pair: the simulator
// holds the pty master, the bus master opens the pts path with go.bug.st/serial
// at 9600 8N1. Bytes cross the kernel, so time runs on a clock ten times faster
// than the wall rather than in a synctest bubble.
func TestOverPseudoTerminal(t *testing.T) {
	ptm, pts, err := pty.Open()
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	path := pts.Name()
	defer ptm.Close()
	defer pts.Close()

	clk := clock.Scaled(10)
	ids := []twc.ID{0x1839, 0x2019, 0x4580}
	var cfgs []twcsim.ChargerConfig
	for _, id := range ids {
		cfgs = append(cfgs, charger(id, twcsim.Profile453))
	}
	sim := twcsim.New(ptm, twcsim.Config{Chargers: cfgs, Clock: clk, Seed: 5})
	sim.Charger(0).PlugIn(twcsim.Car{VIN: testVIN, BatteryKWh: 75, SoC: 0.2, MaxAmps: 32})
	targets := &bus.TargetTable{}
	targets.Set(16, nil)
	log := &testutil.Buffer{}
	m := bus.New(bus.Config{Open: rs485.Opener(path), Clock: clk, Targets: targets,
		Limits: bus.Limits{PerCharger: 32, Shared: 64}, Logger: newLogger(log)})

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = sim.Run(ctx) }()
	go func() { defer wg.Done(); _ = m.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()

	// sleep waits for d of scaled time.
	sleep := func(d time.Duration) {
		tm := clk.NewTimer(d)
		<-tm.C()
	}
	sleep(15 * time.Second)
	if n := len(m.Snapshot().Chargers); n != 3 {
		t.Fatalf("%d chargers linked over %s; log:\n%s", n, path, log)
	}
	sleep(60 * time.Second)
	sim.Charger(1).Silence(true)
	sleep(22 * time.Second)
	if _, ok := m.Snapshot().Charger(ids[1]); !ok {
		t.Fatal("charger dropped before 26 s of silence")
	}
	sleep(8 * time.Second)
	if _, ok := m.Snapshot().Charger(ids[1]); ok {
		t.Fatal("silent charger still listed after 30 s")
	}
	sim.Charger(1).Silence(false)
	sleep(14 * time.Second)
	if _, ok := m.Snapshot().Charger(ids[1]); !ok {
		t.Fatal("charger not re-added after it spoke again")
	}
	sleep(20 * time.Second)

	snap := m.Snapshot()
	for i, c := range sim.Chargers() {
		st := c.Status()
		if st.MaxGap == 0 || st.MaxGap > maxHeartbeatGap {
			t.Errorf("charger %s: longest heartbeat gap %v", st.ID, st.MaxGap)
		}
		mc, ok := snap.Charger(ids[i])
		if !ok || mc.Info.Firmware != "4.5.3.2" || mc.Info.Serial == "" || mc.Info.LifetimeKWh < 1000 || mc.Info.Volts[0] < 200 {
			t.Errorf("charger %s: %+v", ids[i], mc.Info)
		}
	}
	if c0, _ := snap.Charger(ids[0]); c0.Info.VIN != testVIN {
		t.Errorf("VIN %q", c0.Info.VIN)
	}
	if !snap.Connected || snap.Counters.Errors() != 0 {
		t.Errorf("connected %v counters %+v", snap.Connected, snap.Counters)
	}
}
