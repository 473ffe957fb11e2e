package policy_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/twcsim"
)

// wishes records what the policy hands the car API, which can act when
// handles is set; it never does anything itself.
type wishes struct {
	mu      sync.Mutex // guards the fields below
	handles bool
	got     []wish
}

type wish struct {
	id               twc.ID
	vin              string
	charge, override bool
}

func (w *wishes) Want(id twc.ID, vin string, charge, override bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// Record changes only: the policy repeats its wish every evaluation.
	if n := len(w.got); n == 0 || w.got[n-1] != (wish{id, vin, charge, override}) {
		w.got = append(w.got, wish{id, vin, charge, override})
	}
}

func (w *wishes) Handles(twc.ID) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.handles
}

func (w *wishes) set(h bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.handles = h
}

func (w *wishes) list() []wish {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]wish(nil), w.got...)
}

// carRig runs a charger with profile p, a car that ignores 0 A, the bus
// master and the policy with the car API as stop method.
func carRig(t *testing.T, p twcsim.Profile, cars *wishes) (*twcsim.Charger, *bus.Master, *policy.Controller, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	link := twcsim.NewLink()
	sim := twcsim.New(link.SimPort(), twcsim.Config{Chargers: []twcsim.ChargerConfig{{ID: 0x1839, Sign: 1, MaxAmps: 32, Profile: p}}})
	sim.Charger(0).PlugIn(twcsim.Car{VIN: weekVIN, BatteryKWh: 80, SoC: 0.2, MaxAmps: 32, IgnoresZero: true})
	targets := &bus.TargetTable{}
	m := bus.New(bus.Config{Open: link.Open, Targets: targets, Limits: bus.Limits{PerCharger: 32, Shared: 32}})
	s := nowMode(16)
	s.Policy.StopMethod = config.StopCarAPI
	ctl, err := policy.NewController(policy.ControllerConfig{Settings: s, Targets: targets, Stopper: m, Cars: cars,
		Chargers: func() []policy.Charger { return policy.FromSnapshot(m.Snapshot()) }})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = sim.Run(ctx) })
	wg.Go(func() { _ = m.Run(ctx) })
	wg.Go(func() { _ = ctl.Run(ctx) })
	return sim.Charger(0), m, ctl, func() { cancel(); wg.Wait() }
}

func mode(ctl *policy.Controller, md config.Mode) error {
	s := ctl.Settings()
	s.Policy.Mode = md
	return ctl.SetSettings(s)
}

// With the car API able to act, a protocol-2 car is asked to stop instead of
// the charger stopping it, and asked to start (overriding its schedule in
// Now mode) when current is offered again; the VIN the charger reports goes
// with each wish.
func TestCarAPIStopsAndStarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cars := &wishes{handles: true}
		ch, m, ctl, stop := carRig(t, twcsim.Profile453, cars)
		defer stop()
		time.Sleep(time.Minute)
		if err := mode(ctl, config.ModeOff); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		snap, _ := m.Snapshot().Charger(0x1839)
		got := cars.list()
		if snap.Stop != bus.StopNone || got[len(got)-1] != (wish{0x1839, weekVIN, false, false}) {
			t.Fatalf("after Off: charger stop %v, wishes %+v", snap.Stop, got)
		}
		if a := ch.Status().Actual; a < 4 {
			t.Fatalf("the car stopped although nobody asked it: draws %v", a) // it ignores 0 A
		}
		ch.StopCar() // as the car API would
		if err := mode(ctl, config.ModeNow); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		if got := cars.list(); got[len(got)-1] != (wish{0x1839, weekVIN, true, true}) {
			t.Fatalf("after Now again: wishes %+v", got)
		}
	})
}

// When the car API cannot act, the charger stops the car: with its stop
// command on firmware 4.5.3, by offering 0 A on older firmware.
func TestCarAPIFallsBackToCharger(t *testing.T) {
	for _, tc := range []struct {
		p    twcsim.Profile
		want bus.StopMethod
	}{{twcsim.Profile453, bus.StopRelay}, {twcsim.ProfileV2, bus.StopZeroAmps}} {
		t.Run(tc.p.Name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cars := &wishes{}
				_, m, ctl, stop := carRig(t, tc.p, cars)
				defer stop()
				time.Sleep(time.Minute)
				if err := mode(ctl, config.ModeOff); err != nil {
					t.Fatal(err)
				}
				time.Sleep(10 * time.Second)
				snap, _ := m.Snapshot().Charger(0x1839)
				for _, w := range cars.list() {
					if !w.charge {
						t.Fatalf("the car API was asked to stop although it cannot: %+v", w)
					}
				}
				if snap.Stop != tc.want {
					t.Fatalf("charger stop %v, want %v", snap.Stop, tc.want)
				}
			})
		})
	}
}

// A car asked to stop that goes on drawing is stopped at the charger once
// the car API says it cannot act (its budget ran out), or, if it says it
// can, once its MinCycle and a grace have passed.
func TestCarAPIStopNotObeyed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after time.Duration
		lose  bool
	}{{"car API gives up", 40 * time.Second, true}, {"car does not obey", 15*time.Minute + 2*time.Minute + 40*time.Second, false}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cars := &wishes{handles: true}
				_, m, ctl, stop := carRig(t, twcsim.Profile453, cars)
				defer stop()
				time.Sleep(time.Minute)
				if err := mode(ctl, config.ModeOff); err != nil {
					t.Fatal(err)
				}
				time.Sleep(10 * time.Second)
				if tc.lose {
					cars.set(false)
				}
				time.Sleep(tc.after - 40*time.Second)
				if snap, _ := m.Snapshot().Charger(0x1839); snap.Stop != bus.StopNone {
					t.Fatalf("the charger stopped the car before it had to: %v", snap.Stop)
				}
				time.Sleep(40 * time.Second)
				if snap, _ := m.Snapshot().Charger(0x1839); snap.Stop != bus.StopRelay {
					t.Fatalf("charger stop %v, want the charger's stop command", snap.Stop)
				}
			})
		})
	}
}
