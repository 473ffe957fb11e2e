package settingsui_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/ui/uitest"
)

func carForm(conn, clientID, clientSecret string) url.Values {
	return url.Values{
		"vehicle.connection": {conn}, "vehicle.client_id": {clientID}, "vehicle.client_secret": {clientSecret},
		"vehicle.region": {"eu"}, "vehicle.domain": {"example.com"}, "vehicle.redirect_uri": {"https://example.com/callback"},
		"vehicle.monthly_budget_usd": {"5"}, "vehicle.min_cycle": {"900"}, "vehicle.cache_for": {"300"},
		"vehicle.respect_schedule": {"on"}, "policy.stop_method": {string(config.StopCarAPI)},
	}
}

// The car page saves the connection and its secret apart, shows the key to
// host and the enrolment link, and refuses what is wrong without saving.
func TestCarSettings(t *testing.T) {
	env := loggedIn(t)
	app := env.App.Web()
	before := app.Settings()
	body := refuses(t, env, "/settings/car", carForm(config.CarDirect, "", "SECRET-client"), "Client ID")
	uitest.Lacks(t, body, "SECRET-client")
	if s, _ := app.Secret(config.TeslaClientSecret); s.IsSet() {
		t.Fatal("a refused form stored the client secret")
	}
	if app.Settings().Vehicle != before.Vehicle {
		t.Fatal("a refused form changed the settings")
	}
	f := carForm(config.CarDirect, "my-client", "SECRET-client")
	f.Set("vehicle.monthly_budget_usd", "-1")
	refuses(t, env, "/settings/car", f, "Monthly budget")

	body = saves(t, env, "/settings/car", carForm(config.CarDirect, "my-client", "SECRET-client"))
	uitest.Lacks(t, body, "SECRET-client")
	uitest.Contains(t, body, "BEGIN PUBLIC KEY", "https://tesla.com/_ak/example.com",
		"https://example.com/.well-known/appspecific/com.tesla.3p.public-key.pem", `value="`+secret.Mask+`"`)
	v := app.Settings().Vehicle
	if v.Connection != config.CarDirect || v.ClientID != "my-client" || v.Region != "eu" || v.MonthlyBudget != 5 || app.Settings().Policy.StopMethod != config.StopCarAPI {
		t.Fatalf("settings %+v", v)
	}
	if s, _ := app.Secret(config.TeslaClientSecret); s.Reveal() != "SECRET-client" {
		t.Fatal("client secret not stored")
	}
	// The mask sent back keeps it.
	saves(t, env, "/settings/car", carForm(config.CarDirect, "my-client", secret.Mask))
	if s, _ := app.Secret(config.TeslaClientSecret); s.Reveal() != "SECRET-client" {
		t.Fatal("the mask replaced the client secret")
	}
	resp, err := env.Client.Get(env.Server.URL + "/settings/car/public-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(pem), "-----BEGIN PUBLIC KEY-----") || strings.Contains(string(pem), "PRIVATE") {
		t.Fatalf("public key download: %d %s", resp.StatusCode, pem)
	}
	// Finishing a login that was never opened is explained, not a 500.
	env.Get(t, "/settings/car")
	code, body, _ := post(t, env, "/settings/car/finish", url.Values{"paste": {"https://example.com/callback?code=abc&state=def"}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "Open the Tesla login")
}
