package vehicle_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/vehicle"
	"github.com/twcmanager/twcmanager/internal/vehicle/vehicletest"
)

const (
	vinA        = "5YJ3E1EA8KF000001"
	vinB        = "5YJ3E1EAXKF000002"
	idA  twc.ID = 0x1839
	idB  twc.ID = 0x2A4B
)

// Home and two places: in the drive (50 m away) and at work (3 km).
var (
	home             = config.Home{Lat: 52.52, Lon: 13.40, RadiusM: 200}
	driveLat, driveL = 52.52045, 13.40
	workLat, workLon = 52.547, 13.40
)

// rig is a Manager over a fake API, run inside a synctest bubble.
type rig struct {
	t     *testing.T
	m     *vehicle.Manager
	fake  *vehicletest.Fake
	usage *vehicle.MemoryUsage
	s     atomic.Pointer[config.Settings]
	off   atomic.Bool // no connection
	stop  func()
}

func settings() config.Settings {
	s := config.Defaults()
	s.Vehicle.Connection, s.Vehicle.ProxyURL = config.CarProxy, "https://proxy.local:4443"
	s.Home = home
	s.Policy.StopMethod = config.StopCarAPI
	return s
}

// atHome is a fake car with its own charging state, charging in the drive;
// it sleeps after half an hour without charging or calls.
func atHome(vin, name string) vehicletest.Car {
	return vehicletest.Car{VIN: vin, Name: name, Lat: driveLat, Lon: driveL, SleepAfter: 30 * time.Minute}
}

// newRig starts a Manager with usage (nil: none yet) over cars. Call it
// inside a bubble and defer stop.
func newRig(t *testing.T, s config.Settings, usage *vehicle.MemoryUsage, cars ...vehicletest.Car) *rig {
	t.Helper()
	r := rigFor(t, s, usage, cars...)
	r.start()
	return r
}

// rigFor is newRig without starting the Manager.
func rigFor(t *testing.T, s config.Settings, usage *vehicle.MemoryUsage, cars ...vehicletest.Car) *rig {
	if usage == nil {
		usage = &vehicle.MemoryUsage{}
	}
	r := &rig{t: t, fake: vehicletest.New(nil, cars...), usage: usage}
	r.s.Store(&s)
	return r
}

// start runs a new Manager over the rig's fake and usage store, as the
// appliance does after a restart.
func (r *rig) start() {
	r.m = vehicle.New(vehicle.Config{
		API: func() vehicle.API {
			if r.off.Load() {
				return nil
			}
			return r.fake
		},
		Settings: func() config.Settings { return *r.s.Load() },
		Usage:    r.usage,
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.m.Run(ctx) })
	r.stop = func() { cancel(); wg.Wait() }
	synctest.Wait()
}

// set changes the settings in force.
func (r *rig) set(change func(*config.Settings)) {
	s := *r.s.Load()
	change(&s)
	r.s.Store(&s)
}

// want hands over a wish and lets the Manager act on it.
func (r *rig) want(id twc.ID, vin string, charge, override bool) {
	r.m.Want(id, vin, charge, override)
	synctest.Wait()
}

// calls checks the counts: data requests, wakes, stops and starts.
func (r *rig) calls(data, wakes, stops, starts int) {
	r.t.Helper()
	c := r.fake.Calls()
	if c.Data() != data || c.Wakes != wakes || c.Commands[vehicle.ChargeStop] != stops || c.Commands[vehicle.ChargeStart] != starts {
		r.t.Fatalf("calls: %d data, %d wakes, %d stops, %d starts; want %d, %d, %d, %d\n%v",
			c.Data(), c.Wakes, c.Commands[vehicle.ChargeStop], c.Commands[vehicle.ChargeStart], data, wakes, stops, starts, r.fake.Log())
	}
}

// car returns the Status of the car with vin.
func (r *rig) car(vin string) vehicle.CarStatus {
	r.t.Helper()
	for _, c := range r.m.Status().Cars {
		if c.VIN == vin {
			return c
		}
	}
	r.t.Fatalf("no car %s in the status", vin)
	return vehicle.CarStatus{}
}

// charger returns the Status of charger id.
func (r *rig) charger(id twc.ID) vehicle.ChargerStatus {
	r.t.Helper()
	for _, c := range r.m.Status().Chargers {
		if c.ID == id {
			return c
		}
	}
	r.t.Fatalf("no charger %s in the status", id)
	return vehicle.ChargerStatus{}
}

// sleep lets simulated time pass.
func sleep(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}
