package tesla_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/vehicle"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla/teslatest"
)

func TestCarsAndChargeState(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	start := r.clk.Now().Add(3 * time.Hour).Truncate(time.Second)
	r.fake.UpdateCar(vin1, func(c *teslatest.Car) {
		c.Charging, c.Amps, c.RequestAmps = "Charging", 15, 16
		c.ScheduledStart = start
		c.Lat, c.Lon, c.HasLocation = 52.52, 13.405, true
	})
	r.fake.UpdateCar(vin2, func(c *teslatest.Car) { c.Asleep = true })
	c := r.direct(t)

	cars, err := c.Cars(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []vehicle.Car{{VIN: vin1, Name: "Red", Online: true}, {VIN: vin2, Name: "Blue", Online: false}}
	if len(cars) != 2 || cars[0] != want[0] || cars[1] != want[1] {
		t.Errorf("Cars = %+v, want %+v", cars, want)
	}

	st, err := c.ChargeState(ctx(t), vin1)
	if err != nil {
		t.Fatal(err)
	}
	if st.SoC != 55 || st.Limit != 90 || st.Charging != "Charging" || st.Amps != 15 || st.RequestAmps != 16 {
		t.Errorf("charge state %+v", st)
	}
	if !st.ScheduledStart.Equal(start) {
		t.Errorf("scheduled start %v, want %v", st.ScheduledStart, start)
	}
	if !st.HasLocation || st.Lat != 52.52 || st.Lon != 13.405 {
		t.Errorf("location %v,%v (%v)", st.Lat, st.Lon, st.HasLocation)
	}
	if d := st.At.Sub(r.clk.Now()); d < -time.Second || d > time.Second {
		t.Errorf("At %v, want about %v", st.At, r.clk.Now())
	}
	if n := r.fake.Billed(teslatest.Data); n != 2 {
		t.Errorf("%d billed data calls, want 2", n)
	}
}

func TestChargeStateWithoutLocationScope(t *testing.T) {
	r := newRig(t, teslatest.Options{GrantScopes: []string{"openid", "offline_access", "vehicle_device_data", "vehicle_charging_cmds"}})
	r.fake.UpdateCar(vin1, func(c *teslatest.Car) { c.Lat, c.Lon, c.HasLocation = 1, 2, true })
	st, err := r.direct(t).ChargeState(ctx(t), vin1)
	if err != nil {
		t.Fatal(err)
	}
	if st.HasLocation || st.SoC != 55 {
		t.Errorf("without vehicle_location: %+v", st)
	}
}

func TestUnknownVIN(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	if _, err := c.ChargeState(ctx(t), "5YJ3E1EA7KF999999"); !errors.Is(err, vehicle.ErrUnknownVIN) {
		t.Errorf("a VIN not on the account: %v, want ErrUnknownVIN", err)
	}
	before := r.fake.Calls(teslatest.Data)
	if _, err := c.ChargeState(ctx(t), "../../oauth2"); !errors.Is(err, vehicle.ErrUnknownVIN) {
		t.Errorf("not a VIN: %v, want ErrUnknownVIN", err)
	}
	if r.fake.Calls(teslatest.Data) != before {
		t.Error("a malformed VIN was sent to Tesla")
	}
}

func TestAsleepThenWake(t *testing.T) {
	r := newRig(t, teslatest.Options{WakeDelay: 20 * time.Second})
	r.fake.UpdateCar(vin1, func(c *teslatest.Car) { c.Asleep = true })
	c := r.direct(t)
	if _, err := c.ChargeState(ctx(t), vin1); !errors.Is(err, vehicle.ErrAsleep) {
		t.Fatalf("asleep: %v, want ErrAsleep", err)
	}
	if err := c.Wake(ctx(t), vin1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ChargeState(ctx(t), vin1); !errors.Is(err, vehicle.ErrAsleep) {
		t.Fatalf("still waking: %v, want ErrAsleep", err)
	}
	r.clk.Advance(20 * time.Second)
	st, err := c.ChargeState(ctx(t), vin1)
	if err != nil || st.SoC != 55 {
		t.Fatalf("awake: %+v, %v", st, err)
	}
	if w, d := r.fake.Billed(teslatest.Wake), r.fake.Billed(teslatest.Data); w != 1 || d != 3 {
		t.Errorf("billed %d wakes and %d data calls, want 1 and 3", w, d)
	}
}

func TestRateLimitHoldsEveryCall(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	r.fake.Fail(teslatest.Failure{Kind: teslatest.Data, Status: http.StatusTooManyRequests, RetryAfter: "30"})
	_, err := c.ChargeState(ctx(t), vin1)
	var rl *vehicle.RateLimited
	if !errors.As(err, &rl) || rl.RetryAfter != 30*time.Second {
		t.Fatalf("429: %v, want RateLimited for 30s", err)
	}
	calls := r.fake.Calls(teslatest.Data) + r.fake.Calls(teslatest.Wake) + r.fake.Calls(teslatest.Command)
	r.clk.Advance(10 * time.Second)
	for name, call := range map[string]func() error{
		"cars":    func() error { _, err := c.Cars(ctx(t)); return err },
		"wake":    func() error { return c.Wake(ctx(t), vin1) },
		"command": func() error { return c.Command(ctx(t), vin1, vehicle.Command{Kind: vehicle.ChargeStart}) },
	} {
		err := call()
		if !errors.As(err, &rl) || rl.RetryAfter != 20*time.Second {
			t.Errorf("%s during the hold: %v, want RateLimited for the 20s left", name, err)
		}
	}
	if now := r.fake.Calls(teslatest.Data) + r.fake.Calls(teslatest.Wake) + r.fake.Calls(teslatest.Command); now != calls {
		t.Errorf("%d calls reached Tesla during the hold", now-calls)
	}
	r.clk.Advance(20 * time.Second)
	if _, err := c.ChargeState(ctx(t), vin1); err != nil {
		t.Fatalf("after the hold: %v", err)
	}
}

func TestRateLimitRetryAfterDate(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	at := r.clk.Now().Add(2 * time.Minute).UTC()
	r.fake.Fail(teslatest.Failure{Kind: teslatest.Wake, Status: http.StatusTooManyRequests, RetryAfter: at.Format(http.TimeFormat)})
	err := c.Wake(ctx(t), vin1)
	var rl *vehicle.RateLimited
	if !errors.As(err, &rl) || rl.RetryAfter < 119*time.Second || rl.RetryAfter > 2*time.Minute {
		t.Fatalf("429 with a date: %v, want RateLimited for about 2 min", err)
	}
}

func TestServerErrorIsUnreachable(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	r.fake.Fail(teslatest.Failure{Kind: teslatest.Data, Status: http.StatusBadGateway})
	if _, err := c.Cars(ctx(t)); !errors.Is(err, vehicle.ErrUnreachable) {
		t.Fatalf("502: %v, want ErrUnreachable", err)
	}
	if r.fake.Billed(teslatest.Data) != 0 {
		t.Error("a 502 counted as billed")
	}
}

func TestSlowAnswerTimesOut(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	if err := r.fake.Enroll(vin1, r.public); err != nil {
		t.Fatal(err)
	}
	cfg := r.config(tesla.Direct)
	cfg.Timeout, cfg.CommandTimeout = 200*time.Millisecond, 300*time.Millisecond
	c := r.client(t, cfg)
	r.fake.Fail(teslatest.Failure{Delay: 10 * time.Second, Times: 2})
	began := time.Now()
	if _, err := c.ChargeState(ctx(t), vin1); !errors.Is(err, vehicle.ErrUnreachable) {
		t.Errorf("slow data call: %v, want ErrUnreachable", err)
	}
	if err := c.Command(ctx(t), vin1, vehicle.Command{Kind: vehicle.ChargeStart}); !errors.Is(err, vehicle.ErrUnreachable) {
		t.Errorf("slow command: %v, want ErrUnreachable", err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("the calls took %v despite their timeouts", d)
	}
}

func TestWrongRegion(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	r.fake.Fail(teslatest.Failure{Kind: teslatest.Data, Status: http.StatusMisdirectedRequest,
		Message: "user out of region, use base URL: https://fleet-api.prd.eu.vn.cloud.tesla.com, see https://developer.tesla.com/docs/fleet-api#endpoints-and-regional-requirements"})
	_, err := c.Cars(ctx(t))
	if err == nil || !containsAll(err.Error(), "fleet-api.prd.eu.vn.cloud.tesla.com", "change the region") {
		t.Fatalf("421: %v", err)
	}
}
