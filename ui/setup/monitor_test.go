package setup_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/twcmanager/twcmanager/ui/uitest"
)

// The wizard's adapter step offers monitor mode with the plain sentence
// that it cannot control charging; choosing it saves it, the demo bus gains
// a master charger, the chargers are found by listening, and the last step
// says so.
func TestAdapterStepMonitorMode(t *testing.T) {
	env := withPassword(t)
	code, body := env.Get(t, "/setup/adapter")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Control the chargers (twcmanager is the master)", "Monitor only (listen-only)",
		"In this mode twcmanager cannot control charging.", `name="bus.monitor" value="control" checked`)
	uitest.Lacks(t, body, `data-testid="monitor-warning"`)

	code, body = env.Post(t, "/setup/adapter", url.Values{"action": {"use"}, "port": {""}, "bus.monitor": {"listen"}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, `What twcmanager does on the bus: "listen" is not allowed. Allowed: control or monitor.`)
	if env.App.Web().Settings().Bus.Monitor {
		t.Fatal("a refused mode was saved")
	}

	env.Get(t, "/setup/adapter")
	code, body = env.Post(t, "/setup/adapter", url.Values{"action": {"use"}, "port": {""}, "bus.monitor": {"monitor"}})
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "It only listens to the bus (monitor mode). In this mode twcmanager cannot control charging.",
		"Found 2 chargers.", "Monitor mode: these chargers are heard, not controlled.", `name="bus.monitor" value="monitor" checked`,
		`data-testid="monitor-warning"`)
	if !env.App.Web().Settings().Bus.Monitor || !env.App.Web().Snapshot().Monitor {
		t.Fatal("monitor mode not in force")
	}
	// A form without the field (a page from before) keeps the mode.
	code, body = env.Post(t, "/setup/adapter", url.Values{"action": {"use"}, "port": {""}})
	uitest.Status(t, code, 200, body)
	if !env.App.Web().Settings().Bus.Monitor {
		t.Fatal("a form without the mode switched monitor mode off")
	}

	code, body = env.Get(t, "/setup/done")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "On the bus", "Monitor only (listen-only)", "Monitor mode: twcmanager only listens. In this mode twcmanager cannot control charging.")
}
