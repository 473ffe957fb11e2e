package compat_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
)

// Every POST route is a write: without the API token it answers 401 and
// changes nothing, unless the setting opens writes to TWCManager clients
// (which cannot send a token); with the token it works. Reads stay open.
func TestEveryWriteNeedsTheToken(t *testing.T) {
	t.Parallel()
	e := start(t)
	for p, m := range twcManagerRoutes {
		if m == "GET" {
			if r := e.get(t, p); r.status != http.StatusOK {
				t.Errorf("GET %s without a token: %d %s", p, r.status, r.body)
			}
		}
	}
	refused := func(what, auth string) {
		t.Helper()
		for _, w := range goodWrites {
			before := e.settingsJSON(t)
			r := e.do(t, "POST", w.path, auth, w.body)
			var body api.Error
			if r.status != http.StatusUnauthorized || json.Unmarshal([]byte(r.body), &body) != nil || body.Field != "Authorization" || body.Error == "" {
				t.Errorf("%s %s: %d %s, want 401 naming the Authorization header", what, w.path, r.status, r.body)
			}
			if e.settingsJSON(t) != before {
				t.Errorf("%s %s changed the settings", what, w.path)
			}
		}
	}
	refused("no token", "")
	refused("a wrong token", "Bearer twc_not-the-token")
	refused("a malformed header", "Basic dXNlcjpwYXNz")

	accepted := func(what, auth string) {
		t.Helper()
		for _, w := range goodWrites {
			if r := e.do(t, "POST", w.path, auth, w.body); r.status != w.status {
				t.Errorf("%s %s: %d %s, want %d", what, w.path, r.status, r.body, w.status)
			}
		}
	}
	accepted("with the token", e.auth)

	e.change(t, func(s *config.Settings) { s.API.CompatOpenWrites = true })
	accepted("open writes, no token", "")
	e.change(t, func(s *config.Settings) { s.API.CompatOpenWrites = false })
	refused("writes closed again", "")
}

// With writes open, a page on another site must not make a visitor's
// browser change the charging: browsers say where a request comes from,
// programs such as openWB do not.
func TestCrossSiteBrowserWritesRefused(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.change(t, func(s *config.Settings) { s.API.CompatOpenWrites = true })
	before := e.settingsJSON(t)
	req, err := http.NewRequest("POST", e.url+"/api/chargeNow", strings.NewReader(`{"chargeNowRate": 16, "chargeNowDuration": 60}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || e.settingsJSON(t) != before {
		t.Fatalf("cross-site chargeNow: %d, settings changed %v", resp.StatusCode, e.settingsJSON(t) != before)
	}
}
