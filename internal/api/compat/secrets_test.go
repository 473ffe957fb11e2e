package compat_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/ui/web"
)

// No answer of any route carries a secret. TWCManager's getConfig scrubbed
// only "password" and "apiKey" and leaked tokens and database passwords;
// here every kind of secret the appliance keeps is set, every route is
// called, good requests and bad, and no body or header may hold one.
func TestNoRouteShowsASecret(t *testing.T) {
	t.Parallel()
	e := start(t)

	const (
		mqttPassword = "mqtt-pass-8f2c1e"
		mqttUser     = "mqtt-user-77ab"
		adminPass    = "admin-pass-c0ffee"
		haToken      = "ha-long-lived-token-5d1f9a"
	)
	e.change(t, func(s *config.Settings) {
		s.MQTT.Broker, s.MQTT.Username = "broker.invalid:1883", mqttUser
		s.Sources = append(s.Sources, config.Source{Name: "ha", Kind: "homeassistant", Roles: []string{"grid"},
			Params: json.RawMessage(`{"url": "http://127.0.0.1:9", "token": "` + haToken + `", "grid_entity": "sensor.grid"}`)})
	})
	if err := e.b.SetSecret(config.MQTTPasswordSecret, secret.New(mqttPassword)); err != nil {
		t.Fatal(err)
	}
	hash, err := web.HashPassword(adminPass)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.b.SetSecret(web.AdminHashSecret, hash); err != nil {
		t.Fatal(err)
	}
	tokenHash, err := e.b.Secret(api.TokenSecret)
	if err != nil || !tokenHash.IsSet() {
		t.Fatalf("API token hash: %v", err)
	}
	secrets := map[string]string{
		"MQTT password": mqttPassword, "MQTT user name": mqttUser,
		"admin password": adminPass, "admin password hash": hash.Reveal(),
		"API token": strings.TrimPrefix(e.auth, "Bearer "), "API token hash": tokenHash.Reveal(),
	}
	// Each stored secret, read back by name, proves it was really set.
	for name, want := range map[string]string{
		config.MQTTPasswordSecret:           mqttPassword,
		web.SourceSecretName("ha", "token"): haToken,
		web.AdminHashSecret:                 hash.Reveal(),
	} {
		got, err := e.b.Secret(name)
		if err != nil || got.Reveal() != want {
			t.Fatalf("secret %s not stored: %v", name, err)
		}
		secrets["stored "+name] = want
	}

	check := func(what string, r reply, h http.Header) {
		t.Helper()
		for name, v := range secrets {
			if strings.Contains(r.body, v) {
				t.Errorf("%s: the body shows the %s: %s", what, name, r.body)
			}
			for k, vs := range h {
				if strings.Contains(strings.Join(vs, " "), v) {
					t.Errorf("%s: header %s shows the %s", what, k, name)
				}
			}
		}
	}
	call := func(method, path, auth, body string) {
		t.Helper()
		req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r := e.readReply(t, resp)
		check(method+" "+path, r, resp.Header)
	}
	for p, m := range twcManagerRoutes {
		if m == "GET" {
			call("GET", p, "", "")
		}
	}
	for _, w := range goodWrites {
		call("POST", w.path, e.auth, w.body)
		call("POST", w.path, "", w.body)
		call("POST", w.path, e.auth, `{"setting": "carApiBearerToken", "commandName": "Custom", "customCommand": "FC19"}`)
	}
	for _, c := range badInputs {
		call("POST", c.path, e.auth, c.body)
	}
	for p, m := range twcManagerRoutes {
		if m == "GET" {
			call("GET", p, "", "")
		}
	}
	call("GET", "/api/getSecrets", "", "")
}
