package vehicle_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// The evening stop costs a read and a command; the next morning's start
// finds the car asleep, wakes it once, reads it and starts it. Nothing is
// read while nothing is wanted in between.
func TestStopAtNightStartInTheMorning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, settings(), nil, atHome(vinA, "Red"))
		defer r.stop()
		r.calls(1, 0, 0, 0) // the car list, read at the start
		if !r.m.Handles(idA) {
			t.Fatalf("Handles is false: %+v", r.m.Status())
		}
		r.want(idA, vinA, false, false)
		r.calls(2, 0, 1, 0)
		c := r.car(vinA)
		if c.StoppedAt.IsZero() || c.LastCommand != vehicle.ChargeStop || c.LastResult != "done" || !c.Matched || c.Charger != idA || c.Where != "home" {
			t.Fatalf("after the stop: %+v", c)
		}
		sleep(10 * time.Hour)
		r.calls(2, 0, 1, 0)
		if !r.fake.Asleep(vinA) {
			t.Fatal("the fake car did not fall asleep")
		}
		r.want(idA, vinA, true, false)
		sleep(time.Minute)
		r.calls(4, 1, 1, 1)
		if c := r.car(vinA); !c.StoppedAt.IsZero() || c.LastCommand != vehicle.ChargeStart || c.Asleep {
			t.Fatalf("after the start: %+v", c)
		}
		u := r.m.Status().Usage
		want := 4*vehicle.DataPrice + vehicle.WakePrice + 2*vehicle.CommandPrice
		if u.Data != 4 || u.Wakes != 1 || u.Commands != 2 || u.Cost < want-1e-9 || u.Cost > want+1e-9 || u.Budget != 10 {
			t.Fatalf("usage %+v, want cost %.4f", u, want)
		}
	})
}

// Repeating a wish costs nothing; a car this appliance did not stop is not
// started (nor even read) when charging is wished.
func TestRepeatedWishesCostNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, settings(), nil, atHome(vinA, "Red"))
		defer r.stop()
		for range 50 {
			r.want(idA, vinA, true, false)
		}
		r.calls(1, 0, 0, 0)
		for range 50 {
			r.want(idA, vinA, false, false)
			sleep(time.Second)
		}
		r.calls(2, 0, 1, 0)
	})
}

// A stop for a sleeping car costs the one read that finds it asleep: it is
// not charging, so it is neither woken nor commanded.
func TestStopOfSleepingCar(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		car := atHome(vinA, "Red")
		car.Asleep = true
		r := newRig(t, settings(), nil, car)
		defer r.stop()
		r.want(idA, vinA, false, false)
		r.calls(2, 0, 0, 0)
		if n := r.charger(idA).Note; !strings.Contains(n, "asleep") {
			t.Fatalf("note %q", n)
		}
	})
}

// The charge state is read again only after CacheFor: a stop wished twice
// within it for a car that is not charging reads it once.
func TestChargeStateCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, settings(), nil, atHome(vinA, "Red"))
		defer r.stop()
		r.fake.SetCharging(vinA, vehicle.StateStopped) // the owner stopped it in the app
		r.want(idA, vinA, false, false)
		r.calls(2, 0, 0, 0)
		r.want(idA, vinA, true, false)
		sleep(4 * time.Minute)
		r.want(idA, vinA, false, false)
		r.calls(2, 0, 0, 0)
		r.want(idA, vinA, true, false)
		sleep(2 * time.Minute) // past the 5 minutes
		r.want(idA, vinA, false, false)
		r.calls(3, 0, 0, 0)
		if c := r.car(vinA); !c.HasState || c.StateAge != 0 || c.State.Charging != vehicle.StateStopped {
			t.Fatalf("car %+v", c)
		}
	})
}

// A car that does not wake gets at most one wake per MinCycle, with a few
// reads after each, and ever fewer as it keeps not waking: never a storm.
func TestWakeAtMostOncePerCycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		car := atHome(vinA, "Red")
		car.WakeTime = 48 * time.Hour // a car out of reach of the network
		r := newRig(t, settings(), nil, car)
		defer r.stop()
		r.want(idA, vinA, false, false) // stopped, then it falls asleep
		sleep(time.Hour)
		r.want(idA, vinA, true, false)
		sleep(14 * time.Minute)
		c := r.fake.Calls()
		if c.Wakes != 1 || c.States != 1+1+1+3 || c.Commands[vehicle.ChargeStart] != 0 {
			t.Fatalf("within one cycle: %+v, want 1 wake and 6 reads", c)
		}
		if n := r.charger(idA).Note; !strings.Contains(n, "did not wake; waking it again at 01:15") {
			t.Fatalf("note %q", n)
		}
		sleep(45 * time.Minute)
		if c := r.fake.Calls(); c.Wakes != 3 {
			t.Fatalf("after an hour: %d wakes, want 3 (at 0, 15 and 45 minutes)", c.Wakes)
		}
		sleep(23 * time.Hour)
		c = r.fake.Calls()
		if c.Wakes != 10 || c.Commands[vehicle.ChargeStart] != 0 || c.Cost() > 0.35 {
			t.Fatalf("after a day: %+v costing $%.2f, want 10 wakes", c, c.Cost())
		}
	})
}

// One stop/start pair per MinCycle: a start wished a minute after a stop is
// sent 15 minutes after the stop, and a stop right after that start waits
// 15 minutes too.
func TestDebounce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, settings(), nil, atHome(vinA, "Red"))
		defer r.stop()
		r.want(idA, vinA, false, false)
		stopped := time.Now()
		sleep(time.Minute)
		r.want(idA, vinA, true, false)
		sleep(13 * time.Minute)
		r.calls(2, 0, 1, 0)
		if n := r.charger(idA).Note; !strings.Contains(n, "at most one stop and start per 15m0s") {
			t.Fatalf("note %q", n)
		}
		sleep(stopped.Add(15 * time.Minute).Sub(time.Now()))
		r.calls(3, 0, 1, 1)
		started := time.Now()
		r.want(idA, vinA, false, false)
		sleep(14 * time.Minute)
		r.calls(3, 0, 1, 1)
		sleep(started.Add(15 * time.Minute).Sub(time.Now()))
		r.calls(4, 0, 2, 1)
	})
}

// A car waiting for its own scheduled charging is not started when the sun
// comes back (Status says so), but is when the user asks to charge now.
func TestRespectsCarSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, settings(), nil, atHome(vinA, "Red"))
		defer r.stop()
		r.want(idA, vinA, false, false)
		r.fake.SetSchedule(vinA, time.Now().Add(5*time.Hour))
		sleep(time.Hour)
		r.want(idA, vinA, true, false)
		sleep(time.Minute)
		r.calls(4, 1, 1, 0) // it slept: read, wake, read; no start
		if n := r.car(vinA).Note; !strings.Contains(n, "waits for its own scheduled charging at 05:00") {
			t.Fatalf("note %q", n)
		}
		r.want(idA, vinA, true, true) // Now mode
		sleep(time.Minute)
		r.calls(4, 1, 1, 1)
	})
}

// Now mode starts a car waiting for its own schedule that the appliance
// never stopped; without Now it is not even read.
func TestNowOverridesSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, settings(), nil, atHome(vinA, "Red"))
		defer r.stop()
		r.fake.SetCharging(vinA, vehicle.StateStopped)
		r.fake.SetSchedule(vinA, time.Now().Add(3*time.Hour))
		r.want(idA, vinA, true, false)
		r.calls(1, 0, 0, 0)
		r.want(idA, vinA, true, true)
		r.calls(2, 0, 0, 1)
		r.want(idA, vinA, true, true)
		r.calls(2, 0, 0, 1)
	})
}

// Without RespectSchedule the car is started even while it waits for its
// schedule.
func TestScheduleIgnoredWhenNotRespected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := settings()
		s.Vehicle.RespectSchedule = false
		r := newRig(t, s, nil, atHome(vinA, "Red"))
		defer r.stop()
		r.want(idA, vinA, false, false)
		r.fake.SetSchedule(vinA, time.Now().Add(5*time.Hour))
		sleep(16 * time.Minute)
		r.want(idA, vinA, true, false)
		r.calls(3, 0, 1, 1)
	})
}

// After a restart the car stopped before it is started: the stop is kept
// with the month's usage, and so are the month's counts.
func TestRestartStillStartsStoppedCar(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, settings(), nil, atHome(vinA, "Red"))
		r.want(idA, vinA, false, false)
		sleep(time.Hour)
		r.stop()
		r.start()
		defer r.stop()
		if u := r.m.Status().Usage; u.Data != 3 || u.Commands != 1 {
			t.Fatalf("usage after the restart %+v", u)
		}
		if r.car(vinA).StoppedAt.IsZero() {
			t.Fatal("the restart forgot the stop")
		}
		r.want(idA, vinA, true, false)
		sleep(time.Minute)
		r.calls(5, 1, 1, 1)
	})
}

// A Manager with no connection handles nothing, calls nothing and says
// why; when one is chosen but not complete (not logged in), Status asks to
// finish it.
func TestNoConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := settings()
		s.Vehicle.Connection = config.CarNone
		r := rigFor(t, s, nil, atHome(vinA, "Red"))
		r.off.Store(true)
		r.start()
		defer r.stop()
		r.want(idA, vinA, false, false)
		st := r.m.Status()
		if r.m.Handles(idA) || st.State != vehicle.ConnectionNone || st.Problem != "" ||
			!strings.Contains(r.charger(idA).Why, "no car connection is set up") {
			t.Fatalf("status %+v", st)
		}
		r.set(func(s *config.Settings) { s.Vehicle.Connection = config.CarDirect })
		if st := r.m.Status(); r.m.Handles(idA) || st.State != vehicle.ConnectionNone ||
			!strings.HasPrefix(st.Problem, "The car connection is not complete (log in to Tesla") {
			t.Fatalf("status %+v", st)
		}
		r.calls(0, 0, 0, 0)
	})
}
