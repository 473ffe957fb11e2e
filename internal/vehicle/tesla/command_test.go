package tesla_test

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/internal/vehicle"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla/teslatest"
)

var (
	start = vehicle.Command{Kind: vehicle.ChargeStart}
	stop  = vehicle.Command{Kind: vehicle.ChargeStop}
)

func amps(n int) vehicle.Command { return vehicle.Command{Kind: vehicle.SetAmps, Amps: n} }

func TestDirectCommandsAreSignedForTheCar(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	for _, cmd := range []vehicle.Command{start, amps(12), stop} {
		if err := c.Command(ctx(t), vin1, cmd); err != nil {
			t.Fatalf("%s: %v", cmd.Kind, err)
		}
	}
	want := []teslatest.Recorded{
		{VIN: vin1, Via: "signed_command", Domain: "infotainment", Auth: "hmac", Kind: "charge_start"},
		{VIN: vin1, Via: "signed_command", Domain: "infotainment", Auth: "hmac", Kind: "set_charging_amps", Amps: 12},
		{VIN: vin1, Via: "signed_command", Domain: "infotainment", Auth: "hmac", Kind: "charge_stop"},
	}
	got := r.fake.Commands()
	if len(got) != len(want) {
		t.Fatalf("the car received %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("command %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	car := r.fake.Car(vin1)
	if car.Charging != "Stopped" || car.RequestAmps != 12 {
		t.Errorf("car after the commands: %+v", car)
	}
	// One handshake, then the cached session: four signed_command calls.
	if h, n := r.fake.Handshakes(), r.fake.Billed(teslatest.Command); h != 1 || n != 4 {
		t.Errorf("%d handshakes and %d command calls, want 1 and 4", h, n)
	}
}

func TestDirectCommandAlreadyDoneIsNoError(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	if err := c.Command(ctx(t), vin1, stop); err != nil {
		t.Errorf("stopping a car that does not charge: %v", err)
	}
	if err := c.Command(ctx(t), vin1, start); err != nil {
		t.Fatal(err)
	}
	if err := c.Command(ctx(t), vin1, start); err != nil {
		t.Errorf("starting a car that charges: %v", err)
	}
	r.fake.UpdateCar(vin1, func(car *teslatest.Car) { car.Charging = "Disconnected" })
	if err := c.Command(ctx(t), vin1, start); err == nil || !strings.Contains(err.Error(), "not plugged in") {
		t.Errorf("starting an unplugged car: %v", err)
	}
}

func TestDirectCommandNotEnrolled(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.client(t, r.config(tesla.Direct)) // key not enrolled
	err := c.Command(ctx(t), vin1, start)
	if !errors.Is(err, vehicle.ErrNotEnrolled) {
		t.Fatalf("unenrolled key: %v, want ErrNotEnrolled", err)
	}
	if len(r.fake.Commands()) != 0 {
		t.Error("a car obeyed an unknown key")
	}
	// The user approves the key; the next command goes through.
	if err := r.fake.Enroll(vin1, r.public); err != nil {
		t.Fatal(err)
	}
	if err := c.Command(ctx(t), vin1, start); err != nil {
		t.Fatalf("after enrolment: %v", err)
	}
}

// TestDirectSessionSurvivesReboot: a car that rebooted since the last
// command rejects the cached session with fresh session info, and the
// command goes through without a new handshake.
func TestDirectSessionSurvivesReboot(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	if err := c.Command(ctx(t), vin1, start); err != nil {
		t.Fatal(err)
	}
	r.fake.Reboot(vin1)
	if err := c.Command(ctx(t), vin1, stop); err != nil {
		t.Fatalf("after a reboot: %v", err)
	}
	if r.fake.Car(vin1).Charging != "Stopped" || r.fake.Handshakes() != 1 {
		t.Errorf("car %+v after %d handshakes", r.fake.Car(vin1), r.fake.Handshakes())
	}
}

func TestDirectCommandToSleepingCar(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	r.fake.UpdateCar(vin1, func(car *teslatest.Car) { car.Asleep = true })
	if err := r.direct(t).Command(ctx(t), vin1, start); !errors.Is(err, vehicle.ErrAsleep) {
		t.Fatalf("sleeping car: %v, want ErrAsleep", err)
	}
}

func TestDirectLegacyCarGetsRESTCommand(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	r.fake.UpdateCar(vin1, func(car *teslatest.Car) { car.Legacy = true })
	if err := r.direct(t).Command(ctx(t), vin1, amps(10)); err != nil {
		t.Fatal(err)
	}
	got := r.fake.Commands()
	if len(got) != 1 || got[0] != (teslatest.Recorded{VIN: vin1, Via: "rest", Kind: "set_charging_amps", Amps: 10}) {
		t.Errorf("the car received %+v", got)
	}
}

func TestCommandRefusedBeforeBilling(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	c := r.direct(t)
	for _, cmd := range []vehicle.Command{amps(0), amps(81), {Kind: "honk"}} {
		if err := c.Command(ctx(t), vin1, cmd); err == nil {
			t.Errorf("%+v was accepted", cmd)
		}
	}
	if n := r.fake.Calls(teslatest.Command); n != 0 {
		t.Errorf("%d command calls for commands no car takes", n)
	}
}

// proxyRig is a rig whose proxy wants its own token, like a hosted one.
func proxyRig(t *testing.T) (*rig, tesla.Config) {
	r := newRig(t, teslatest.Options{ProxyToken: "proxy-token-7f3a"})
	cfg := r.config(tesla.Proxy)
	cfg.ProxyURL = r.fake.ProxyURL()
	cfg.ProxyToken = secret.New("proxy-token-7f3a")
	cfg.Tokens, cfg.PrivateKeyPEM = nil, secret.String{}
	return r, cfg
}

func TestProxyCommandsWithItsToken(t *testing.T) {
	r, cfg := proxyRig(t)
	c := r.client(t, cfg)
	for _, cmd := range []vehicle.Command{start, amps(20), start, stop} {
		if err := c.Command(ctx(t), vin1, cmd); err != nil {
			t.Fatalf("%s: %v", cmd.Kind, err)
		}
	}
	got := r.fake.Commands()
	if len(got) != 4 || got[1] != (teslatest.Recorded{VIN: vin1, Via: "proxy", Domain: "infotainment", Kind: "set_charging_amps", Amps: 20}) {
		t.Errorf("the car received %+v", got)
	}
	if st, err := c.ChargeState(ctx(t), vin1); err != nil || st.RequestAmps != 20 || st.Charging != "Stopped" {
		t.Errorf("charge state through the proxy: %+v, %v", st, err)
	}
	cfg.ProxyToken = secret.New("wrong")
	if err := r.client(t, cfg).Command(ctx(t), vin1, start); !errors.Is(err, vehicle.ErrLogin) || !strings.Contains(err.Error(), "proxy token") {
		t.Errorf("wrong proxy token: %v, want ErrLogin naming the proxy token", err)
	}
}

func TestProxyReportsCarFaults(t *testing.T) {
	r, cfg := proxyRig(t)
	c := r.client(t, cfg)
	r.fake.SetProxyKeyEnrolled(false)
	if err := c.Command(ctx(t), vin1, start); !errors.Is(err, vehicle.ErrNotEnrolled) {
		t.Errorf("proxy key not on the car: %v, want ErrNotEnrolled", err)
	}
	r.fake.SetProxyKeyEnrolled(true)
	r.fake.UpdateCar(vin1, func(car *teslatest.Car) { car.Asleep = true })
	if err := c.Command(ctx(t), vin1, start); !errors.Is(err, vehicle.ErrAsleep) {
		t.Errorf("sleeping car through the proxy: %v, want ErrAsleep", err)
	}
	if err := c.Command(ctx(t), vin2, start); err == nil || !strings.Contains(err.Error(), "not plugged in") {
		t.Errorf("unplugged car through the proxy: %v", err)
	}
}

// TestProxyWithUserLoginAndCA is tesla-http-proxy: the user's Tesla token
// passes through, and the proxy's self-made certificate is trusted
// through the pasted CA.
func TestProxyWithUserLoginAndCA(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	cfg := r.config(tesla.Proxy)
	cfg.ProxyURL = r.fake.ProxyURL()
	cfg.HTTPClient = nil
	cfg.PrivateKeyPEM = secret.String{}

	_, err := r.client(t, cfg).Cars(ctx(t))
	if !errors.Is(err, vehicle.ErrUnreachable) {
		t.Fatalf("untrusted proxy certificate: %v, want ErrUnreachable", err)
	}
	cfg.ProxyCACert = r.fake.CertPEM()
	c := r.client(t, cfg)
	if err := c.Command(ctx(t), vin1, start); err != nil {
		t.Fatal(err)
	}
	if !r.fake.Seen(r.login.Access) {
		t.Error("the user's token did not reach the proxy")
	}
	cfg.ProxyCACert, cfg.ProxyInsecure = "", true
	if err := r.client(t, cfg).Command(ctx(t), vin1, stop); err != nil {
		t.Fatalf("insecure proxy: %v", err)
	}
	if got := r.fake.Commands(); len(got) != 2 || got[0].Via != "proxy" {
		t.Errorf("the car received %+v", got)
	}
}

// TestProxyInsecureNeverCoversTheLogin: skipping the check of a home
// proxy's certificate must not skip it for Tesla's login service, which
// gets the refresh token.
func TestProxyInsecureNeverCoversTheLogin(t *testing.T) {
	r := newRig(t, teslatest.Options{})
	cfg := r.config(tesla.Proxy)
	cfg.ProxyURL, cfg.ProxyInsecure = r.fake.ProxyURL(), true
	cfg.HTTPClient, cfg.App.HTTPClient = nil, nil
	c := r.client(t, cfg)
	if _, err := c.Cars(ctx(t)); err != nil {
		t.Fatalf("insecure proxy: %v", err)
	}
	r.clk.Advance(9 * time.Hour)
	if _, err := c.Cars(ctx(t)); !errors.Is(err, vehicle.ErrUnreachable) {
		t.Fatalf("renewal against an untrusted login service: %v, want ErrUnreachable", err)
	}
	if n := r.fake.Calls(teslatest.Token); n != 0 {
		t.Errorf("the refresh token went to a server whose certificate was not checked (%d calls)", n)
	}
}

func TestProxyUnreachable(t *testing.T) {
	r, cfg := proxyRig(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ProxyURL = "https://" + l.Addr().String()
	_ = l.Close() // nothing listens there now
	err = r.client(t, cfg).Command(ctx(t), vin1, start)
	if !errors.Is(err, vehicle.ErrUnreachable) || !strings.Contains(err.Error(), "proxy") {
		t.Fatalf("closed proxy: %v, want ErrUnreachable naming the proxy", err)
	}
}
