package settingsui_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/twcmanager/twcmanager/ui/uitest"
)

// Settings → Adapter switches monitor mode on and off at once, saying
// plainly what monitor mode cannot do; the overview names the mode.
func TestAdapterMonitorMode(t *testing.T) {
	env := loggedIn(t)
	code, body := env.Get(t, "/settings/adapter")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Monitor only (listen-only)", "In this mode twcmanager cannot control charging.")

	code, body, _ = post(t, env, "/settings/adapter", url.Values{"action": {"use"}, "port": {""}, "bus.monitor": {"monitor"}})
	uitest.Status(t, code, http.StatusOK, body)
	uitest.Contains(t, body, "It only listens to the bus (monitor mode).", "Found 2 chargers.")
	if !env.App.Web().Snapshot().Monitor {
		t.Fatal("the bus master is not in monitor mode")
	}
	_, body = env.Get(t, "/settings")
	uitest.Contains(t, body, "Monitor only (listen-only).")

	env.Get(t, "/settings/adapter")
	code, body, _ = post(t, env, "/settings/adapter", url.Values{"action": {"use"}, "port": {""}, "bus.monitor": {"control"}})
	uitest.Status(t, code, http.StatusOK, body)
	uitest.Lacks(t, body, "monitor mode)")
	if s := env.App.Web().Settings(); s.Bus.Monitor {
		t.Fatal("monitor mode still set")
	}
	_, body = env.Get(t, "/settings")
	uitest.Contains(t, body, `<p data-testid="bus-mode">Control.</p>`)
}
