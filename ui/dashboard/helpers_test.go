package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/ui"
	"github.com/twcmanager/twcmanager/ui/dashboard"
	"github.com/twcmanager/twcmanager/ui/diagnostics"
	historyui "github.com/twcmanager/twcmanager/ui/history"
	"github.com/twcmanager/twcmanager/ui/uitest"
)

var registerAll = []ui.Feature{dashboard.Register, historyui.Register, diagnostics.Register}

// start runs the demo appliance with every page of this work, logged in.
func start(t *testing.T) *uitest.Env {
	t.Helper()
	env := uitest.Start(t, registerAll...)
	env.Setup(t)
	env.Login(t)
	return env
}

var offeredRE = regexp.MustCompile(`data-testid="offered-([0-9A-F]{4})">([0-9]+)<`)

// offered reads each charger's offered amps from a page or fragment.
func offered(body string) map[string]int {
	out := map[string]int{}
	for _, m := range offeredRE.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[2])
		out[m[1]] = n
	}
	return out
}

// offerOf is the offer the bus master makes to id now.
func offerOf(env *uitest.Env, id twc.ID) (int, bool) {
	c, ok := env.App.Web().Snapshot().Charger(id)
	return int(c.Offered), ok
}

// htmxPost sends a form as htmx does: with the CSRF header.
func htmxPost(t *testing.T, env *uitest.Env, path string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.Server.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", env.CSRF())
	resp, err := env.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// openEvents opens the event stream with client; the stream ends with ctx.
func openEvents(t *testing.T, ctx context.Context, client *http.Client, base string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
