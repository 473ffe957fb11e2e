package dashboard_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/ui/uitest"
)

// In monitor mode the dashboard says at the top, in plain words, that
// twcmanager cannot control charging; the offers shown are the master
// charger's, and "why this current" names the master instead of a decision.
func TestDashboardInMonitorMode(t *testing.T) {
	env := start(t)
	_, body := env.Get(t, "/")
	uitest.Lacks(t, body, `data-testid="monitor-banner"`)

	s := env.App.Web().Settings()
	s.Bus.Monitor = true
	if err := env.App.Web().SetSettings(s); err != nil {
		t.Fatal(err)
	}
	uitest.Eventually(t, 15*time.Second, func() string {
		_, body = env.Get(t, "/")
		got := offered(body)
		if len(got) != 2 || got["1839"] != 16 || got["4580"] != 16 {
			return fmt.Sprintf("offers %v; want the demo master's 16 A each", got)
		}
		if !strings.Contains(body, "The master is charger ") {
			return "the master is not named"
		}
		return ""
	})
	uitest.Contains(t, body,
		"Monitor mode: twcmanager only listens to the bus. It cannot control charging in this mode; the master charger decides the currents.",
		`data-testid="monitor-banner"`, "offered by the master", "Change in Settings → Adapter")
	why := body[strings.Index(body, `data-testid="explanation"`):]
	uitest.Contains(t, why[:200], "Monitor mode: twcmanager only listens")
}
