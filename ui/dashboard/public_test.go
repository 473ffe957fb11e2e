package dashboard_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/ui/uitest"
)

var headerTokenRE = regexp.MustCompile(`hx-headers="([^"]+)"`)

func TestPublicDashboardIsReadOnly(t *testing.T) {
	env := start(t)
	s := env.App.Web().Settings()
	s.Web.PublicDashboard = true
	if err := env.App.Web().SetSettings(s); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	anon := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string) {
		resp, err := anon.Get(env.Server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var body string
	uitest.Eventually(t, 10*time.Second, func() string {
		var code int
		code, body = get("/")
		if code != http.StatusOK {
			return "the public dashboard answers " + http.StatusText(code)
		}
		if len(offered(body)) != 2 {
			return "the public dashboard does not show both chargers' offers"
		}
		return ""
	})
	for _, no := range []string{`name="mode"`, `action="/mode"`, `name="amps"`, "Log out", `name="csrf"`} {
		if strings.Contains(body, no) {
			t.Errorf("the public dashboard shows %q", no)
		}
	}
	if !strings.Contains(body, `data-testid="mode-sentence">Solar:`) || !strings.Contains(body, `href="/login"`) {
		t.Error("the public dashboard does not say the mode or offer a login")
	}
	// Changing the mode needs the login, even with this session's token.
	m := headerTokenRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no hx-headers on the page")
	}
	token := strings.TrimSuffix(strings.TrimPrefix(html.UnescapeString(m[1]), `{"X-CSRF-Token": "`), `"}`)
	for _, form := range []url.Values{{"mode": {"off"}}, {"mode": {"off"}, "csrf": {token}}} {
		resp, err := anon.PostForm(env.Server.URL+"/mode", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
			t.Errorf("an anonymous POST /mode (token %v): %d", form.Has("csrf"), resp.StatusCode)
		}
	}
	if m := env.App.Web().Settings().Policy.Mode; m != config.ModeSolar {
		t.Fatalf("an anonymous visitor changed the mode to %q", m)
	}
	// The live updates are public too, and have no buttons either.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp := openEvents(t, ctx, anon, env.Server.URL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("public /events: %d", resp.StatusCode)
	}
	evs := readEvents(t, resp, func(evs []event) bool { return evs[len(evs)-1].name == "mode" })
	if mode := evs[len(evs)-1].data; strings.Contains(mode, "<button") || !strings.Contains(mode, "Solar:") {
		t.Errorf("the public mode event:\n%s", mode)
	}
	// Once the dashboard is private again, the stream ends.
	s.Web.PublicDashboard = false
	if err := env.App.Web().SetSettings(s); err != nil {
		t.Fatal(err)
	}
	readEvents(t, resp, func([]event) bool { return false })
	if ctx.Err() != nil {
		t.Error("the anonymous stream went on after the dashboard was made private")
	}
	s.Web.PublicDashboard = true
	if err := env.App.Web().SetSettings(s); err != nil {
		t.Fatal(err)
	}
	// The rest stays behind the login.
	for _, p := range []string{"/history", "/diagnostics", "/history/sessions.csv"} {
		if code, _ := get(p); code != http.StatusSeeOther {
			t.Errorf("anonymous GET %s: %d, want a redirect to the login", p, code)
		}
	}
}

func TestPrivateDashboardNeedsTheLogin(t *testing.T) {
	env := uitest.Start(t, registerAll...)
	env.Setup(t)
	for _, p := range []string{"/", "/events"} {
		if code, _ := env.Get(t, p); code != http.StatusSeeOther {
			t.Errorf("GET %s without login: %d", p, code)
		}
	}
}
