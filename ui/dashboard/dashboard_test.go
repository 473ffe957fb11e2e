package dashboard_test

import (
	"fmt"
	"github.com/twcmanager/twcmanager/ui/uitest"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var submitRE = regexp.MustCompile(`<button type="submit" name="mode" value="([a-z]+)"`)

var sseSwapRE = regexp.MustCompile(`sse-swap="[a-z]+"[^>]*`)

// voltsRE is a three-phase charger's voltages.
var voltsRE = regexp.MustCompile(`<dd>\d+ / \d+ / \d+ V</dd>`)

func TestDashboardShowsBothChargersWithTheirOffers(t *testing.T) {
	env := start(t)
	var body string
	uitest.Eventually(t, 10*time.Second, func() string {
		var code int
		code, body = env.Get(t, "/")
		if code != http.StatusOK {
			return fmt.Sprintf("GET /: %d", code)
		}
		got := offered(body)
		for _, id := range []string{"1839", "4580"} {
			if _, ok := got[id]; !ok {
				return fmt.Sprintf("no offered amps for charger %s on the dashboard:\n%s", id, body)
			}
		}
		// The page shows what the bus master offers (it may have just moved).
		snap := env.App.Web().Snapshot()
		for _, c := range snap.Chargers {
			if want := int(c.Offered); got[c.ID.String()] != want {
				return fmt.Sprintf("charger %s: page says %d A offered, the bus master %d A", c.ID, got[c.ID.String()], want)
			}
		}
		if !voltsRE.MatchString(body) {
			return "the three phase voltages of 4580 are not shown"
		}
		return ""
	})
	for _, want := range []string{
		`data-testid="status-1839"`, "Charger 4580", "Why this current?", `data-testid="flow-solar"`,
		`data-testid="flow-grid"`, `sse-connect="/events"`, `sse-swap="chargers"`, `href="/static/pages.css"`,
		`name="mode" value="now"`, `name="amps"`, "until I change it", "car plugged in", "no car",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	// Each live section swaps only itself: without its own target it would
	// inherit the mode form's hx-target and replace the whole form.
	swaps := sseSwapRE.FindAllString(body, -1)
	if len(swaps) != 5 {
		t.Errorf("%d live sections, want 5: %q", len(swaps), swaps)
	}
	for _, s := range swaps {
		if !strings.HasSuffix(s, `hx-target="this" hx-swap="innerHTML"`) {
			t.Errorf("a live section without its own target: %s", s)
		}
	}
	ds := env.App.Web().Decisions(1)
	if len(ds) == 0 {
		t.Fatal("no decision")
	}
	uitest.Eventually(t, 5*time.Second, func() string {
		_, body := env.Get(t, "/")
		d := env.App.Web().Decisions(1)[0]
		if !strings.Contains(body, html.EscapeString(d.Explanation)) {
			return fmt.Sprintf("the latest explanation %q is not shown", d.Explanation)
		}
		for _, tg := range d.Targets {
			if !strings.Contains(body, "Charger "+tg.ID.String()+":") {
				return fmt.Sprintf("no reason shown for charger %s", tg.ID)
			}
		}
		return ""
	})
}

func TestDashboardShowsTheCurrentMode(t *testing.T) {
	env := start(t)
	_, body := env.Get(t, "/")
	// The demo starts in Solar mode.
	if !strings.Contains(body, `value="solar" title="Charge only from solar power the house does not use" aria-pressed="true"`) {
		t.Errorf("Solar is not marked as the mode in force:\n%s", body)
	}
	if strings.Count(body, `aria-pressed="true"`) != 1 {
		t.Errorf("%d modes marked as in force, want 1", strings.Count(body, `aria-pressed="true"`))
	}
	// Enter in the amps field presses the form's first button: it must be Now.
	form := body[strings.Index(body, `<form method="post" action="/mode"`):]
	if first := submitRE.FindStringSubmatch(form); first == nil || first[1] != "now" {
		t.Errorf("the mode form's default button is %v, want now", first)
	}
	if !strings.Contains(body, "Solar: only from solar power") {
		t.Error("the mode is not explained in words")
	}
	// Now's current defaults to the one saved.
	if want := fmt.Sprintf(`name="amps" type="number" inputmode="decimal" step="any" value="%g"`, float64(env.App.Web().Settings().Policy.ChargeNow.Amps)); !strings.Contains(body, want) {
		t.Errorf("Now's amps do not default to the saved %q", want)
	}
}
