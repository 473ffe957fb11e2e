package settingsui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/secret"
	"github.com/twcmanager/twcmanager/ui/uitest"
)

func integrationsForm(broker, password string) url.Values {
	return url.Values{
		"api.compat_open_writes": {"on"}, "mqtt.enabled": {"on"}, "mqtt.broker": {broker}, "mqtt.username": {"twc"},
		"mqtt.password": {password}, "mqtt.prefix": {"TWC"}, "mqtt.discovery": {"on"}, "mqtt.discovery_prefix": {"homeassistant"},
	}
}

// The MQTT password is a secret: stored apart, shown as the mask, kept when
// the mask comes back, and nothing is saved with a bad broker.
func TestIntegrationsMQTT(t *testing.T) {
	env := loggedIn(t)
	app := env.App.Web()
	body := saves(t, env, "/settings/integrations", integrationsForm("broker.local:1883", "s3cret-pass"))
	uitest.Lacks(t, body, "s3cret-pass")
	uitest.Contains(t, body, `value="`+secret.Mask+`"`)
	s := app.Settings()
	if !s.API.CompatOpenWrites || !s.MQTT.Enabled || s.MQTT.Broker != "broker.local:1883" || s.MQTT.Username != "twc" {
		t.Fatalf("settings %+v %+v", s.API, s.MQTT)
	}
	if pw, _ := app.Secret(config.MQTTPasswordSecret); pw.Reveal() != "s3cret-pass" {
		t.Fatalf("password %q", pw.Reveal())
	}
	saves(t, env, "/settings/integrations", integrationsForm("broker.local:1884", secret.Mask))
	if pw, _ := app.Secret(config.MQTTPasswordSecret); pw.Reveal() != "s3cret-pass" {
		t.Fatalf("the mask replaced the password: %q", pw.Reveal())
	}
	before := app.Settings()
	body = refuses(t, env, "/settings/integrations", integrationsForm("", "other-pass"), "Broker")
	uitest.Lacks(t, body, "other-pass")
	refuses(t, env, "/settings/integrations", integrationsForm("ftp://x", "other-pass"), "Broker")
	f := integrationsForm("broker.local", "other-pass")
	f.Set("mqtt.prefix", "TWC/#")
	refuses(t, env, "/settings/integrations", f, "Topic prefix")
	if pw, _ := app.Secret(config.MQTTPasswordSecret); pw.Reveal() != "s3cret-pass" {
		t.Fatalf("a refused form changed the password: %q", pw.Reveal())
	}
	if after := app.Settings(); after.MQTT != before.MQTT || after.API != before.API {
		t.Fatalf("a refused form changed the settings: %+v", after.MQTT)
	}
	// Emptying the field removes the password.
	saves(t, env, "/settings/integrations", integrationsForm("broker.local", ""))
	if pw, _ := app.Secret(config.MQTTPasswordSecret); pw.IsSet() {
		t.Fatal("password kept after the field was emptied")
	}
}

var tokenRE = regexp.MustCompile(`id="api-token"[^>]*>(twc_[A-Za-z0-9_-]+)<`)

// A token is shown once, works for writes, and stops working when removed
// or replaced.
func TestAPIToken(t *testing.T) {
	env := loggedIn(t)
	code, body := env.Get(t, "/settings/integrations")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "No token exists yet")
	code, body, _ = post(t, env, "/settings/integrations/token", url.Values{})
	uitest.Status(t, code, 200, body)
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no token on the page:\n%s", body)
	}
	tok := m[1]
	b := env.App.API()
	if !api.ValidToken(b, tok) {
		t.Fatal("the token shown does not work")
	}
	_, body = env.Get(t, "/settings/integrations")
	uitest.Lacks(t, body, tok)
	uitest.Contains(t, body, "A token exists")
	// A second token replaces the first.
	_, body, _ = post(t, env, "/settings/integrations/token", url.Values{})
	if m2 := tokenRE.FindStringSubmatch(body); m2 == nil || m2[1] == tok || api.ValidToken(b, tok) || !api.ValidToken(b, m2[1]) {
		t.Fatal("a new token did not replace the old one")
	}
	env.Get(t, "/settings/integrations")
	code, _, loc := post(t, env, "/settings/integrations/token/revoke", url.Values{})
	if code != http.StatusSeeOther || !strings.Contains(loc, "token=revoked") || api.HasToken(b) {
		t.Fatalf("revoke: %d %q", code, loc)
	}
}
