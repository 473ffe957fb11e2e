package ui_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/ui"
	"github.com/twcmanager/twcmanager/ui/uitest"
	"github.com/twcmanager/twcmanager/ui/web"
)

// home stands for the dashboard: a page behind the login and a form.
func home(mux *http.ServeMux, d web.Deps) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if web.SessionOf(r).Admin() {
			_, _ = w.Write([]byte("home for the admin"))
			return
		}
		_, _ = w.Write([]byte("public home"))
	})
	mux.HandleFunc("POST /change", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("changed")) })
	mux.HandleFunc("GET /setup", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("wizard")) })
}

var _ ui.Feature = home

func TestFirstBootGoesToTheWizard(t *testing.T) {
	env := uitest.Start(t, home)
	for _, p := range []string{"/", "/settings", "/login", "/history"} {
		resp, err := env.Client.Get(env.Server.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/setup" {
			t.Errorf("%s before setup: %d → %q, want the wizard", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if code, body := env.Get(t, "/setup"); code != 200 || body != "wizard" {
		t.Fatalf("wizard: %d %q", code, body)
	}
}

func TestLoginLogoutAndSameMessage(t *testing.T) {
	env := uitest.Start(t, home)
	env.Setup(t)
	if code, _ := env.Get(t, "/"); code != http.StatusSeeOther {
		t.Fatalf("home without login: %d", code)
	}
	env.Get(t, "/login")
	_, wrongPass := env.Post(t, "/login", url.Values{"user": {"admin"}, "password": {"wrong password!"}})
	env.Get(t, "/login")
	_, wrongUser := env.Post(t, "/login", url.Values{"user": {"root"}, "password": {uitest.Password}})
	if !strings.Contains(wrongPass, "Wrong user name or password.") || !strings.Contains(wrongUser, "Wrong user name or password.") {
		t.Fatalf("messages differ or missing:\n%s\n---\n%s", wrongPass, wrongUser)
	}
	if !strings.Contains(wrongUser, `value="root"`) {
		t.Fatal("the typed user name was not kept")
	}
	before := cookie(env, "twc_session")
	env.Login(t)
	if after := cookie(env, "twc_session"); after == before || after == "" {
		t.Fatal("the session id did not change at login")
	}
	if code, body := env.Get(t, "/"); code != 200 || body != "home for the admin" {
		t.Fatalf("after login: %d %q", code, body)
	}
	env.Get(t, "/login") // a page with the CSRF token of this session
	if code, _ := env.Post(t, "/logout", nil); code != http.StatusSeeOther {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := env.Get(t, "/"); code != http.StatusSeeOther {
		t.Fatalf("after logout: %d", code)
	}
}

func cookie(env *uitest.Env, name string) string {
	u, _ := url.Parse(env.Server.URL)
	for _, c := range env.Client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func TestPostWithoutCSRFRefused(t *testing.T) {
	env := uitest.Start(t, home)
	env.Setup(t)
	env.Login(t)
	env.Get(t, "/login") // the login replaced the session: take this one's token
	if code, body := env.Post(t, "/change", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden || strings.Contains(body, "changed") {
		t.Fatalf("forged token: %d %q", code, body)
	}
	resp, err := env.Client.Post(env.Server.URL+"/change", "application/x-www-form-urlencoded", strings.NewReader("x=1"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	// From another site: refused even with a token.
	req, _ := http.NewRequest("POST", env.Server.URL+"/change", strings.NewReader("csrf="+env.CSRF()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = env.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site: %d", resp.StatusCode)
	}
	if code, body := env.Post(t, "/change", nil); code != 200 || body != "changed" {
		t.Fatalf("with the token: %d %q", code, body)
	}
}

// Repeated failures from one address are slowed, right password or not.
func TestLoginSlowedAfterFailures(t *testing.T) {
	env := uitest.Start(t, home)
	env.Setup(t)
	for range 4 {
		env.Get(t, "/login")
		env.Post(t, "/login", url.Values{"user": {"admin"}, "password": {"guess guess guess"}})
	}
	env.Get(t, "/login")
	start := time.Now()
	env.Post(t, "/login", url.Values{"user": {"admin"}, "password": {uitest.Password}})
	if d := time.Since(start); d < time.Second {
		t.Fatalf("the fifth login after four failures answered in %v", d)
	}
}

func TestSecurityHeaders(t *testing.T) {
	env := uitest.Start(t, home)
	env.Setup(t)
	resp, err := env.Client.Get(env.Server.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers %v", h)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "twc_session" && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode) {
			t.Fatalf("session cookie %+v", c)
		}
	}
	resp, _ = env.Client.Get(env.Server.URL + "/static/vendor/htmx-2.0.11.min.js")
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("vendored script: %d %v", resp.StatusCode, resp.Header)
	}
}

// The dashboard can be made readable without login, from the local network,
// and only the dashboard.
func TestPublicDashboard(t *testing.T) {
	env := uitest.Start(t, home)
	env.Setup(t)
	s := env.App.Web().Settings()
	s.Web.PublicDashboard = true
	if err := env.App.Web().SetSettings(s); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	anon := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := anon.Get(env.Server.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("public dashboard: %d", resp.StatusCode)
	}
	resp, _ = anon.Get(env.Server.URL + "/settings")
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings without login: %d", resp.StatusCode)
	}
}
