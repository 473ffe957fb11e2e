package policy_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/twcsim"
	"github.com/twcmanager/twcmanager/internal/units"
)

type ctlRig struct {
	sim    *twcsim.Sim
	master *bus.Master
	ctl    *policy.Controller
	stop   func()
}

func newCtlRig(t *testing.T, p twcsim.Profile, s config.Settings) *ctlRig {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	link := twcsim.NewLink()
	r := &ctlRig{sim: twcsim.New(link.SimPort(), twcsim.Config{Chargers: []twcsim.ChargerConfig{{ID: 0x1839, Sign: 1, MaxAmps: 32, Profile: p, KWh: 10}}})}
	targets := &bus.TargetTable{}
	r.master = bus.New(bus.Config{Open: link.Open, Targets: targets, Limits: bus.Limits{PerCharger: 32, Shared: 32}})
	var err error
	r.ctl, err = policy.NewController(policy.ControllerConfig{Settings: s, Targets: targets, Stopper: r.master,
		Chargers: func() []policy.Charger { return policy.FromSnapshot(r.master.Snapshot()) }, Keep: 5})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = r.sim.Run(ctx) })
	wg.Go(func() { _ = r.master.Run(ctx) })
	wg.Go(func() { _ = r.ctl.Run(ctx) })
	r.stop = func() { cancel(); wg.Wait() }
	return r
}

func nowMode(amps units.Amps) config.Settings {
	s := config.Defaults()
	s.Policy.Mode = config.ModeNow
	s.Policy.ChargeNow.Amps = amps
	return s
}

// A user action takes effect at once, not at the next 30 s tick; an invalid
// change is refused with the field named and the old settings stay.
func TestControllerUserAction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newCtlRig(t, twcsim.Profile453, nowMode(16))
		defer r.stop()
		r.sim.Charger(0).PlugIn(twcsim.Car{BatteryKWh: 80, SoC: 0.2, MaxAmps: 32})
		time.Sleep(20 * time.Second)
		if a := r.sim.Charger(0).Status().Offered; a != 16 {
			t.Fatalf("offered %v", a)
		}
		bad := nowMode(16)
		bad.Wiring.MinAmps = 2
		err := r.ctl.SetSettings(bad)
		fe, ok := config.AsErrors(err)
		if !ok || fe.Field("wiring.min_amps") == nil {
			t.Fatalf("err = %v", err)
		}
		if r.ctl.Settings().Wiring.MinAmps != 6 {
			t.Fatal("rejected settings were put in force")
		}
		if err := r.ctl.SetSettings(nowMode(24)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		if a := r.sim.Charger(0).Status().Offered; a != 24 {
			t.Fatalf("3 s after the change: offered %v, want 24 A", a)
		}
		d, _ := r.ctl.Last()
		if !strings.HasPrefix(d.Explanation, "Charge now: 24.00 A") {
			t.Fatalf("explanation %q", d.Explanation)
		}
		time.Sleep(5 * time.Minute)
		if n := len(r.ctl.Recent(100)); n != 5 {
			t.Fatalf("kept %d decisions, want the last 5", n)
		}
	})
}

// Going to Off stops a protocol-2 car with the configured mechanism (here
// the relay command, which this charger lacks, so 0 A is offered instead),
// and charging resumes when current is offered again.
func TestControllerStopAndStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := nowMode(16)
		s.Policy.StopMethod = config.StopCommand
		r := newCtlRig(t, twcsim.ProfileV2, s)
		defer r.stop()
		r.sim.Charger(0).PlugIn(twcsim.Car{BatteryKWh: 80, SoC: 0.2, MaxAmps: 32})
		time.Sleep(time.Minute)
		if a := r.sim.Charger(0).Status().Actual; a < 14 {
			t.Fatalf("not charging: %v", a)
		}
		off := s
		off.Policy.Mode = config.ModeOff
		if err := r.ctl.SetSettings(off); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		st := r.sim.Charger(0).Status()
		snap, _ := r.master.Snapshot().Charger(0x1839)
		if st.Offered != 0 || snap.Stop != bus.StopZeroAmps {
			t.Fatalf("after Off: offered %v, stop %v", st.Offered, snap.Stop)
		}
		if err := r.ctl.SetSettings(s); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Second)
		snap, _ = r.master.Snapshot().Charger(0x1839)
		if st := r.sim.Charger(0).Status(); st.Actual < 14 || snap.Stop != bus.StopNone {
			t.Fatalf("after Now again: %+v stop %v", st, snap.Stop)
		}
	})
}

func TestNewControllerRejectsInvalidSettings(t *testing.T) {
	s := config.Defaults()
	s.Policy.Interval = time.Millisecond
	_, err := policy.NewController(policy.ControllerConfig{Settings: s, Targets: &bus.TargetTable{}})
	var fe config.Errors
	if !errors.As(err, &fe) || fe.Field("policy.interval") == nil {
		t.Fatalf("err = %v", err)
	}
}
