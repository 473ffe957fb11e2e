package vehicletest

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// A car that stops charging falls asleep after SleepAfter without calls,
// answers ErrAsleep (billed) until a wake has had WakeTime, and is counted
// call by call.
func TestFakeSleepsAndWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		const vin = "5YJ3E1EA8KF000001"
		f := New(nil, Car{VIN: vin, Name: "Red", SleepAfter: 10 * time.Minute, WakeTime: 20 * time.Second})
		if err := f.Command(ctx, vin, vehicle.Command{Kind: vehicle.ChargeStop}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(9 * time.Minute)
		if st, err := f.ChargeState(ctx, vin); err != nil || st.Charging != vehicle.StateStopped {
			t.Fatalf("9 minutes after the stop: %+v, %v", st, err)
		}
		time.Sleep(10 * time.Minute) // the read kept it awake until now
		if _, err := f.ChargeState(ctx, vin); !errors.Is(err, vehicle.ErrAsleep) {
			t.Fatalf("10 minutes idle: %v, want ErrAsleep", err)
		}
		if err := f.Command(ctx, vin, vehicle.Command{Kind: vehicle.ChargeStart}); !errors.Is(err, vehicle.ErrAsleep) {
			t.Fatalf("command to a sleeping car: %v", err)
		}
		if err := f.Wake(ctx, vin); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		if !f.Asleep(vin) {
			t.Fatal("awake before WakeTime")
		}
		time.Sleep(10 * time.Second)
		if err := f.Command(ctx, vin, vehicle.Command{Kind: vehicle.ChargeStart}); err != nil {
			t.Fatal(err)
		}
		if st, _ := f.ChargeState(ctx, vin); st.Charging != vehicle.StateCharging {
			t.Fatalf("after the start: %+v", st)
		}
		c := f.Calls()
		if c.States != 3 || c.Wakes != 1 || c.Commands[vehicle.ChargeStop] != 1 || c.Commands[vehicle.ChargeStart] != 2 ||
			c.Data() != 3 || c.CommandCount() != 3 {
			t.Fatalf("calls %+v", c)
		}
		want := 3*vehicle.DataPrice + vehicle.WakePrice + 3*vehicle.CommandPrice
		if d := c.Cost() - want; d > 1e-9 || d < -1e-9 {
			t.Fatalf("cost %v, want %v", c.Cost(), want)
		}
		if n := len(f.Log()); n != 7 {
			t.Fatalf("%d calls logged, want 7", n)
		}
	})
}

// Injected failures are answered (and counted) until cleared; a hanging
// call ends with its context.
func TestFakeFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const vin = "5YJ3E1EA8KF000001"
		f := New(nil, Car{VIN: vin})
		f.Fail(vehicle.ErrLogin)
		if _, err := f.Cars(context.Background()); !errors.Is(err, vehicle.ErrLogin) {
			t.Fatalf("Cars: %v", err)
		}
		f.Fail(nil)
		f.FailCommands(vehicle.ErrNotEnrolled)
		if _, err := f.ChargeState(context.Background(), vin); err != nil {
			t.Fatalf("a read while commands fail: %v", err)
		}
		if err := f.Command(context.Background(), vin, vehicle.Command{Kind: vehicle.ChargeStop}); !errors.Is(err, vehicle.ErrNotEnrolled) {
			t.Fatalf("Command: %v", err)
		}
		f.Hang(true)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		if _, err := f.Cars(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Minute {
			t.Fatalf("hanging Cars: %v after %v", err, time.Since(start))
		}
		if c := f.Calls(); c.Cars != 1 || c.States != 1 || c.CommandCount() != 1 {
			t.Fatalf("calls %+v", c)
		}
	})
}
