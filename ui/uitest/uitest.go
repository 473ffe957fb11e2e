// Package uitest runs the real appliance in demo mode behind the real web
// interface for tests: simulated chargers and sun, a real database in a
// temporary directory, a real HTTP server, and a client that keeps its
// cookies and knows its CSRF token.
package uitest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/appliance"
	"github.com/twcmanager/twcmanager/appliance/appliancetest"
	"github.com/twcmanager/twcmanager/ui"
	"github.com/twcmanager/twcmanager/ui/web"
)

// Password is the admin password Env sets.
const Password = "correct horse battery"

// Env is a running appliance with its web interface.
type Env struct {
	App    *appliance.Appliance
	Server *httptest.Server
	Client *http.Client
	csrf   string
}

// Start runs a demo appliance and serves features. The first-boot state is
// kept (no password) unless the test calls Setup.
func Start(t testing.TB, features ...ui.Feature) *Env {
	t.Helper()
	a := appliancetest.Demo(t, false)
	h := ui.New(a.Web(), ui.Options{Features: features, PublicPaths: ui.PublicPaths})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close) // before the appliance stops: cleanups run last first
	jar, _ := cookiejar.New(nil)
	e := &Env{App: a, Server: srv, Client: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	return e
}

// Setup sets the admin password and marks the wizard done, as after a
// finished first boot.
func (e *Env) Setup(t testing.TB) {
	t.Helper()
	h, err := web.HashPassword(Password)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.App.Web().SetSecret(web.AdminHashSecret, h); err != nil {
		t.Fatal(err)
	}
	s := e.App.Web().Settings()
	s.SetupDone = true
	if err := e.App.Web().SetSettings(s); err != nil {
		t.Fatal(err)
	}
}

// Login logs the client in.
func (e *Env) Login(t testing.TB) {
	t.Helper()
	e.Get(t, "/login")
	code, body := e.Post(t, "/login", url.Values{"user": {web.AdminUser}, "password": {Password}})
	if code != http.StatusSeeOther {
		t.Fatalf("login: %d\n%s", code, body)
	}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// Get fetches path and remembers the page's CSRF token.
func (e *Env) Get(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, err := e.Client.Get(e.Server.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return e.read(t, resp)
}

// Post sends a form with the CSRF token of the last page fetched.
func (e *Env) Post(t testing.TB, path string, form url.Values) (int, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", e.csrf)
	}
	resp, err := e.Client.Post(e.Server.URL+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	return e.read(t, resp)
}

// CSRF is the token of the last page fetched.
func (e *Env) CSRF() string { return e.csrf }

func (e *Env) read(t testing.TB, resp *http.Response) (int, string) {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if m := csrfRE.FindSubmatch(b); m != nil {
		e.csrf = string(m[1])
	}
	return resp.StatusCode, string(b)
}
