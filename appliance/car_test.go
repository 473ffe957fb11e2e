package appliance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/appliance"
	"github.com/twcmanager/twcmanager/appliance/appliancetest"
	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/vehicle"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla"
	"github.com/twcmanager/twcmanager/internal/vehicle/tesla/teslatest"
)

// The whole car connection as a user sets it up, against a fake Fleet API:
// the settings, the Tesla login pasted back, the key enrolled, then Off
// mode stops the demo's charging car through a signed command, once.
func TestCarConnectionEndToEnd(t *testing.T) {
	fake := teslatest.New(teslatest.Options{})
	defer fake.Close()
	const vin = "5YJ3E7EB1LF000001" // the demo car at charger 1839
	fake.AddCar(teslatest.Car{VIN: vin, Name: "Blue", SoC: 40, Limit: 90, Charging: "Charging", Amps: 16, RequestAmps: 16, MaxAmps: 32})

	s := appliance.DemoSettings()
	s.Policy.Mode = config.ModeNow
	s.Policy.ChargeNow.Amps = 16
	s.Policy.Interval = 5 * time.Second
	a := appliancetest.Run(t, appliance.Config{Demo: true, DataDir: t.TempDir(), Settings: s,
		Tesla: &appliance.TeslaServers{Client: fake.Client(),
			Endpoints: tesla.Endpoints{Authorize: fake.AuthorizeURL(), Token: fake.TokenURL(), FleetAPI: fake.URL()}}})
	ctx := t.Context()
	w := a.Web()

	s = w.Settings()
	s.Vehicle.Connection, s.Vehicle.ClientID, s.Vehicle.RedirectURI, s.Vehicle.Domain = config.CarDirect, fake.ClientID(), fake.RedirectURI(), "example.com"
	s.Policy.StopMethod = config.StopCarAPI
	if err := w.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	view := w.Car()
	if view.LoggedIn || !strings.Contains(view.PublicKeyPEM, "BEGIN PUBLIC KEY") || view.EnrollURL != tesla.EnrollURL("example.com") {
		t.Fatalf("before login: %+v", view)
	}
	// A pasted address without a login started is explained.
	if err := w.CarLoginFinish(ctx, "https://appliance.example/callback?code=x&state=y"); err == nil {
		t.Fatal("finish without a login started: no error")
	}
	u, err := w.CarLoginURL()
	if err != nil {
		t.Fatal(err)
	}
	pasted, err := fake.Approve(u)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.CarLoginFinish(ctx, pasted); err != nil {
		t.Fatalf("finish: %v", err)
	}
	if !w.Car().LoggedIn {
		t.Fatal("not logged in after the login")
	}
	// Not enrolled yet: the test lists the car (a data call needs no key).
	found, err := w.CarTest(ctx)
	if err != nil || !strings.Contains(found, vin) {
		t.Fatalf("test: %q %v", found, err)
	}
	if err := fake.Enroll(vin, w.Car().PublicKeyPEM); err != nil {
		t.Fatal(err)
	}
	// Wait for the car charging at 1839 and known by the VIN its charger
	// reports, then switch off.
	deadline := time.Now().Add(30 * time.Second)
	for !charging(a) || !a.Vehicles().Handles(0x1839) {
		if time.Now().After(deadline) {
			t.Fatalf("the demo car never charged as a known car: %+v", a.Vehicles().Status().Chargers)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s = w.Settings()
	s.Policy.Mode = config.ModeOff
	if err := w.SetSettings(s); err != nil {
		t.Fatal(err)
	}
	for {
		var stops int
		for _, c := range fake.Commands() {
			if c.VIN == vin && c.Kind == string(vehicle.ChargeStop) {
				stops++
			}
		}
		if stops == 1 {
			break
		}
		if stops > 1 || time.Now().After(deadline.Add(10*time.Second)) {
			t.Fatalf("%d stop commands; recorded %+v; status %+v", stops, fake.Commands(), a.Vehicles().Status())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if u := a.Vehicles().Status().Usage; u.Commands < 1 || u.Cost <= 0 {
		t.Errorf("usage %+v", u)
	}
	if !strings.Contains(w.Car().Usage, "commands") {
		t.Errorf("usage sentence %q", w.Car().Usage)
	}
}

func charging(a *appliance.Appliance) bool {
	for _, c := range a.Master().Snapshot().Chargers {
		if c.ID == 0x1839 && c.Actual >= 1 {
			return true
		}
	}
	return false
}
