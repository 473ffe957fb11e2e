package twcsim

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
)

// A car stopped through its own app or API draws nothing however much is
// offered, and charges again once started; LastDraw keeps the last moment it
// drew.
func TestCarOwnStopAndStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, Config{Chargers: []ChargerConfig{chargerCfg(idA, Profile453)}})
		c := b.sim.Charger(0)
		c.PlugIn(teslaCar())
		b.drive(hb(idA, twc.CmdSetLimit2, 16), time.Minute)
		if st := c.Status(); st.Actual < 14 || st.CarStopped || !st.CarPresent {
			t.Fatalf("before the stop: %+v", st)
		}
		if !c.StopCar() {
			t.Fatal("StopCar found no car")
		}
		stoppedAt := time.Now()
		b.drive(hb(idA, twc.CmdSetLimit2, 16), time.Minute)
		st := c.Status()
		if st.Actual != 0 || !st.CarStopped || st.State != twc.StatePluggedIdle {
			t.Fatalf("a minute after the car's own stop at 16 A offered: %+v", st)
		}
		if st.LastDraw.After(stoppedAt.Add(2*time.Second)) || st.LastDraw.Before(stoppedAt.Add(-2*time.Second)) {
			t.Fatalf("LastDraw %v, want about %v", st.LastDraw, stoppedAt)
		}
		c.StartCar()
		b.drive(hb(idA, twc.CmdSetLimit2, 16), time.Minute)
		if st := c.Status(); st.Actual < 14 || st.CarStopped {
			t.Fatalf("a minute after the car's start: %+v", st)
		}
		c.Unplug()
		if c.StopCar() || c.Status().CarPresent {
			t.Fatal("StopCar acted without a car")
		}
	})
}

// A car that ignores 0 A keeps drawing about 5 A on a protocol-2 charger
// offering 0 A, until the car itself stops; a car that does not, stops.
func TestCarIgnoresZeroOffer(t *testing.T) {
	for _, ignores := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			b := start(t, Config{Chargers: []ChargerConfig{chargerCfg(idA, Profile453)}})
			c := b.sim.Charger(0)
			car := teslaCar()
			car.IgnoresZero = ignores
			c.PlugIn(car)
			b.drive(hb(idA, twc.CmdSetLimit2, 16), time.Minute)
			b.drive(hb(idA, twc.CmdSetLimit2, 0), time.Minute)
			a := c.Status().Actual
			switch {
			case ignores && !near(float64(a), 5.2, 0.1):
				t.Fatalf("ignoring 0 A: draws %v, want 5.2 A", a)
			case !ignores && a != 0:
				t.Fatalf("obeying 0 A: draws %v", a)
			}
			c.StopCar()
			b.drive(hb(idA, twc.CmdSetLimit2, 0), time.Minute)
			if a := c.Status().Actual; a != 0 {
				t.Fatalf("after its own stop: draws %v", a)
			}
		})
	}
}
