package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const password = "correct horse battery staple"

// do runs steps or fails the test, naming what it was doing.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitFor polls the text of sel until ok accepts it.
func waitFor(t *testing.T, ctx context.Context, sel, what string, within time.Duration, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		s, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			last = strings.TrimSpace(s)
			if ok(last) {
				return last
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: %s still reads %q after %v", what, sel, last, within)
	return ""
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The whole first boot in a real browser: the wizard against the demo's
// simulated chargers, then the dashboard following a mode switch live,
// logging out and in, and a forged POST refused. Every page is
// photographed at desktop and phone size.
func TestFirstBootInABrowser(t *testing.T) {
	s := startSite(t)
	ctx := browser(t)

	do(t, ctx, "open the appliance", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)))
	if !strings.HasSuffix(location(t, ctx), "/setup") {
		t.Fatalf("first visit went to %s, want the wizard", location(t, ctx))
	}
	screenshots(t, ctx, "setup-1-password")
	do(t, ctx, "choose the password",
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.SendKeys(chromedp.CSS(`input[name=repeat]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/setup"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[value=use]`)))
	screenshots(t, ctx, "setup-2-adapter")

	do(t, ctx, "look for chargers", chromedp.Click(chromedp.CSS(`button[value=use]`)), chromedp.WaitVisible(chromedp.CSS(`button[value=next]`)))
	waitFor(t, ctx, "main", "chargers found", 15*time.Second, func(s string) bool { return strings.Contains(s, "1839") && strings.Contains(s, "4580") })
	screenshots(t, ctx, "setup-2-adapter-found")
	do(t, ctx, "go on to the wiring", chromedp.Click(chromedp.CSS(`button[value=next]`)), chromedp.WaitVisible(chromedp.CSS(`form[action="/setup/wiring"]`)))
	screenshots(t, ctx, "setup-3-wiring")

	// The demo's settings already name its simulated site, so the energy
	// step opens at that source's form.
	do(t, ctx, "save the wiring", chromedp.Click(chromedp.CSS(`form[action="/setup/wiring"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`button[value=test]`)))
	if loc := location(t, ctx); !strings.HasSuffix(loc, "/setup/energy") {
		t.Fatalf("after the wiring: %s", loc)
	}
	screenshots(t, ctx, "setup-4-energy")
	do(t, ctx, "test the source", chromedp.Click(chromedp.CSS(`button[value=test]`)), chromedp.WaitVisible(chromedp.CSS(`button[value=save]`)))
	waitFor(t, ctx, "main", "live reading shown", 10*time.Second, func(s string) bool { return strings.Contains(s, " W") })
	screenshots(t, ctx, "setup-4-energy-tested")
	do(t, ctx, "save the source", chromedp.Click(chromedp.CSS(`button[value=save]`)), chromedp.WaitVisible(chromedp.CSS(`form[action="/setup/car"]`)))
	screenshots(t, ctx, "setup-5-car")
	do(t, ctx, "save the stop method", chromedp.Click(chromedp.CSS(`form[action="/setup/car"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`form[action="/setup/done"]`)))
	screenshots(t, ctx, "setup-6-done")
	do(t, ctx, "start", chromedp.Click(chromedp.CSS(`form[action="/setup/done"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=offered-1839]`)))
	if st := s.app.Web().Settings(); !st.SetupDone || len(st.Sources) != 1 || st.Sources[0].Kind != "simulated" {
		t.Fatalf("settings after the wizard: done %v sources %+v", st.SetupDone, st.Sources)
	}

	// The dashboard follows a mode switch without a reload.
	screenshots(t, ctx, "dashboard")
	do(t, ctx, "switch to Off", chromedp.Click(chromedp.CSS(`button[name=mode][value=off]:not(.default-submit)`)))
	waitFor(t, ctx, "[data-testid=offered-1839]", "offer after Off", 20*time.Second, func(s string) bool { return s == "0" })
	// The live update redraws the mode form once it shows Off: type after.
	waitFor(t, ctx, "[data-testid=mode-sentence]", "mode shown as Off", 10*time.Second, func(s string) bool { return strings.HasPrefix(s, "Off") })
	for try := 1; ; try++ {
		err := chromedp.Do(ctx,
			chromedp.SetValue(chromedp.CSS(`[data-testid=now-amps]`), ""),
			chromedp.SendKeys(chromedp.CSS(`[data-testid=now-amps]`), "20"),
			chromedp.Click(chromedp.CSS(`button[name=mode][value=now]:not(.default-submit)`)))
		if err == nil {
			break
		}
		// A redraw between finding the input and typing into it: again.
		if try == 3 || !strings.Contains(err.Error(), "No node") {
			t.Fatalf("charge now at 20 A: %v", err)
		}
	}
	waitFor(t, ctx, "[data-testid=offered-1839]", "offer after Now 20 A", 20*time.Second, func(s string) bool { return s == "20" })
	screenshots(t, ctx, "dashboard-now")

	// Every other page, photographed.
	for _, p := range []struct{ path, name string }{
		{"/history", "history"}, {"/diagnostics", "diagnostics"}, {"/settings", "settings"},
		{"/settings/wiring", "settings-wiring"}, {"/settings/electrical", "settings-electrical"},
		{"/settings/adapter", "settings-adapter"}, {"/settings/policy", "settings-charging"},
		{"/settings/schedule", "settings-schedule"}, {"/settings/offsets", "settings-offsets"},
		{"/settings/sources", "settings-sources"}, {"/settings/web", "settings-web"}, {"/settings/integrations", "settings-integrations"}, {"/settings/password", "settings-password"},
	} {
		do(t, ctx, "open "+p.path, chromedp.Navigate(s.url+p.path), chromedp.WaitVisible(chromedp.CSS("h1")))
		if loc := location(t, ctx); !strings.HasSuffix(loc, p.path) {
			t.Fatalf("%s ended at %s", p.path, loc)
		}
		screenshots(t, ctx, p.name)
	}

	// A POST without the CSRF token is refused, even from the page itself.
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`fetch("/mode", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "mode=off"}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if err != nil || status != 403 {
		t.Fatalf("POST without a CSRF token: %d, %v", status, err)
	}
	if st := s.app.Web().Settings(); st.Policy.Mode != "now" {
		t.Fatalf("the refused POST changed the mode to %s", st.Policy.Mode)
	}

	// Log out, and in again.
	do(t, ctx, "log out", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)))
	do(t, ctx, "try the dashboard logged out", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)))
	do(t, ctx, "log in",
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=offered-1839]`)))
}
