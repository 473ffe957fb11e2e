package ui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/ui"
	"github.com/twcmanager/twcmanager/ui/uitest"
	"github.com/twcmanager/twcmanager/ui/web"
)

// No page, fragment, event or download ever contains a secret: the scan
// sets secrets of every kind and reads everything a browser can fetch.
func TestNoPageShowsASecret(t *testing.T) {
	env := uitest.Start(t, ui.Features()...)
	env.Setup(t)
	const (
		haToken   = "eyJhbGciOiJIUzI1NiJ9.SECRET-home-assistant-token"
		mqttPass  = "SECRET-mqtt-password-93"
		extraName = "setup/progress"
	)
	s := env.App.Web().Settings()
	s.Sources = append(s.Sources,
		config.Source{Name: "ha", Kind: "homeassistant", Roles: []string{"grid"},
			Params: json.RawMessage(`{"url": "http://127.0.0.1:9", "token": "` + haToken + `", "grid_entity": "sensor.grid"}`)},
		config.Source{Name: "broker", Kind: "mqtt", Roles: []string{"battery"},
			Params: json.RawMessage(`{"broker": "mqtt://127.0.0.1:9", "password": "` + mqttPass + `", "battery_topic": "home/battery"}`)})
	if err := env.App.Web().SetSettings(s); err != nil {
		t.Fatal(err)
	}
	const brokerPass = "SECRET-integration-broker-pw"
	if err := env.App.Web().SetSecret(config.MQTTPasswordSecret, secret.New(brokerPass)); err != nil {
		t.Fatal(err)
	}
	apiToken, err := env.App.Web().NewAPIToken()
	if err != nil {
		t.Fatal(err)
	}
	// The car connection's secrets, as a Tesla login and a proxy leave them.
	const (
		teslaAccess  = "SECRET-tesla-access-eyJhbGciOi"
		teslaRefresh = "SECRET-tesla-refresh-NA_1234"
		clientSecret = "SECRET-tesla-client-secret"
		proxyToken   = "SECRET-tesla-proxy-token"
	)
	for name, v := range map[string]string{
		config.TeslaTokens:       `{"access": "` + teslaAccess + `", "refresh": "` + teslaRefresh + `", "expiry": "2030-01-01T00:00:00Z"}`,
		config.TeslaClientSecret: clientSecret, config.TeslaProxyToken: proxyToken,
	} {
		if err := env.App.Web().SetSecret(name, secret.New(v)); err != nil {
			t.Fatal(err)
		}
	}
	cs := env.App.Web().Settings()
	cs.Vehicle.Connection, cs.Vehicle.ClientID, cs.Vehicle.Domain = config.CarDirect, "client-id", "example.com"
	if err := env.App.Web().SetSettings(cs); err != nil {
		t.Fatal(err)
	}
	_ = env.App.Web().Car() // makes the app key
	appKey, _ := env.App.Web().Secret(config.TeslaAppKey)
	if !appKey.IsSet() {
		t.Fatal("no app key made for a direct connection")
	}
	tokenHash, _ := env.App.Web().Secret(api.TokenSecret)
	hash, _ := env.App.Web().Secret(web.AdminHashSecret)
	secrets := []string{haToken, mqttPass, brokerPass, apiToken, tokenHash.Reveal(), uitest.Password, hash.Reveal(), "SECRET-",
		appKeyBody(appKey.Reveal())}
	env.Login(t)

	pages := []string{"/", "/history", "/history?period=day", "/history?period=year", "/history/sessions.csv", "/history/daily.csv",
		"/diagnostics", "/diagnostics?frames=all", "/settings", "/settings/wiring", "/settings/electrical", "/settings/adapter",
		"/settings/policy", "/settings/schedule", "/settings/offsets", "/settings/sources", "/settings/web", "/settings/integrations", "/settings/car", "/settings/password",
		"/settings/sources/edit?name=ha", "/settings/sources/edit?name=broker", "/settings/sources/new?kind=homeassistant",
		"/setup", "/setup/adapter", "/setup/wiring", "/setup/energy", "/setup/car", "/setup/done", "/login"}
	for _, p := range pages {
		code, body := env.Get(t, p)
		if code >= 500 {
			t.Errorf("%s: %d", p, code)
		}
		scan(t, p, body, secrets)
	}
	// The live event stream, for a while.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, env.Server.URL+"/events", nil)
	resp, err := env.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	events, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(events), "event:") {
		t.Fatalf("no events read: %q", events)
	}
	scan(t, "/events", string(events), secrets)
	// And what the settings API of the appliance hands the pages.
	b, _ := json.Marshal(env.App.Web().Settings())
	scan(t, "App.Settings", string(b), secrets)
}

func scan(t *testing.T, where, body string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(body, s) {
			t.Errorf("%s shows a secret (%.12s…)", where, s)
		}
	}
}

// appKeyBody is the base64 of a PEM private key, without its armour lines
// (the public key's armour is on the pages, rightly).
func appKeyBody(pem string) string {
	var body []string
	for _, l := range strings.Split(pem, "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			body = append(body, l)
		}
	}
	if len(body) == 0 {
		return ""
	}
	return body[0]
}
