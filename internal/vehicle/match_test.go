package vehicle_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/vehicle"
	"github.com/twcmanager/twcmanager/internal/vehicle/vehicletest"
)

// The car to command is the one whose VIN the charger reports; without one,
// the only car of the account at home; otherwise none, and Handles says so.
func TestCarMatching(t *testing.T) {
	away := func(vin, name string) vehicletest.Car {
		c := atHome(vin, name)
		c.Lat, c.Lon = workLat, workLon
		return c
	}
	for _, tc := range []struct {
		name      string
		noHome    bool
		cars      []vehicletest.Car
		reported  string
		stopped   string // VIN of the car that gets charge_stop, "" for none
		why       string // in the charger's Status when not handled
		fix       bool   // the user can fix it: Status's Problem says so
		extraData int    // reads beyond the car list and the stopped car's
	}{
		{name: "VIN reported", cars: []vehicletest.Car{atHome(vinA, "Red"), atHome(vinB, "Blue")}, reported: vinB, stopped: vinB},
		{name: "only car at home", cars: []vehicletest.Car{atHome(vinA, "Red"), away(vinB, "Blue")}, stopped: vinA, extraData: 1},
		{name: "two cars at home", cars: []vehicletest.Car{atHome(vinA, "Red"), atHome(vinB, "Blue")},
			why: "2 cars are at home", extraData: 2},
		{name: "the only car is away", cars: []vehicletest.Car{away(vinA, "Red")},
			why: "no car on the Tesla account is at home", extraData: 1},
		{name: "reported car is away", cars: []vehicletest.Car{away(vinA, "Red")}, reported: vinA,
			why: "Red is away from home", extraData: 1},
		{name: "no home to tell", noHome: true, cars: []vehicletest.Car{atHome(vinA, "Red")},
			why: "no home location is set", fix: true},
		{name: "VIN not on the account", cars: []vehicletest.Car{atHome(vinA, "Red")}, reported: vinB,
			why: "(VIN " + vinB + ") is not on the Tesla account", fix: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := settings()
				if tc.noHome {
					s.Home = config.Home{}
				}
				r := newRig(t, s, nil, tc.cars...)
				defer r.stop()
				r.want(idA, tc.reported, false, false)
				data := 1 + tc.extraData
				if tc.stopped != "" {
					data++
				}
				c := r.fake.Calls()
				if c.Data() != data || c.Wakes != 0 {
					t.Fatalf("%d data requests and %d wakes, want %d and none: %v", c.Data(), c.Wakes, data, r.fake.Log())
				}
				var stops []string
				for _, l := range r.fake.Log() {
					if l.Kind == string(vehicle.ChargeStop) {
						stops = append(stops, l.VIN)
					}
				}
				ch := r.charger(idA)
				if tc.stopped != "" {
					if len(stops) != 1 || stops[0] != tc.stopped || !r.m.Handles(idA) || ch.Car != tc.stopped {
						t.Fatalf("stops %v, charger %+v; want one stop of %s", stops, ch, tc.stopped)
					}
					return
				}
				if len(stops) != 0 || r.m.Handles(idA) || ch.Handled || !strings.Contains(ch.Why, tc.why) {
					t.Fatalf("stops %v, charger %+v; want none, not handled because %q", stops, ch, tc.why)
				}
				if p := r.m.Status().Problem; strings.EqualFold(strings.TrimSuffix(p, "."), ch.Why) != tc.fix {
					t.Fatalf("problem %q, want it to say %q only if the user can fix it (%v)", p, ch.Why, tc.fix)
				}
				// The verdict stands: another stop costs nothing.
				r.want(idA, tc.reported, true, false)
				r.want(idA, tc.reported, false, false)
				if n := r.fake.Calls().Data(); n != data {
					t.Fatalf("asking again read %d more times", n-data)
				}
			})
		})
	}
}

// Two chargers that report no VIN: the car at home could be at either, so
// neither is commanded.
func TestTwoChargersWithoutVIN(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, settings(), nil, atHome(vinA, "Red"))
		defer r.stop()
		r.want(idB, "", true, false) // a car charges at the other charger too
		r.want(idA, "", false, false)
		r.calls(1, 0, 0, 0)
		if ch := r.charger(idA); ch.Handled || !strings.Contains(ch.Why, "do not report their cars' VINs") {
			t.Fatalf("charger %+v", ch)
		}
	})
}

// A car away from home is never commanded, even when the charger's VIN is
// stale; once it is home again (and the pause is over) it is.
func TestAwayCarComesHome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		car := atHome(vinA, "Red")
		car.Lat, car.Lon = workLat, workLon
		r := newRig(t, settings(), nil, car)
		defer r.stop()
		r.want(idA, vinA, false, false)
		if r.m.Handles(idA) || r.car(vinA).Where != "away" {
			t.Fatalf("away car handled: %+v", r.car(vinA))
		}
		r.fake.Move(vinA, driveLat, driveL)
		sleep(time.Hour)
		if !r.m.Handles(idA) {
			t.Fatal("still not handled an hour later")
		}
		r.want(idA, vinA, true, false)
		r.want(idA, vinA, false, false)
		r.calls(3, 0, 1, 0)
		if r.car(vinA).Where != "home" {
			t.Fatalf("car %+v", r.car(vinA))
		}
	})
}
