package settingsui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/internal/history"
	settingsui "github.com/twcmanager/twcmanager/ui/settings"
	"github.com/twcmanager/twcmanager/ui/setup"
	"github.com/twcmanager/twcmanager/ui/uitest"
	"github.com/twcmanager/twcmanager/ui/web"
)

func TestFactoryReset(t *testing.T) {
	env := uitest.Start(t, setup.Register, settingsui.Register)
	env.Setup(t)
	env.Login(t)
	db := env.App.Web().History()
	if _, err := db.StartSession(historySession()); err != nil {
		t.Fatal(err)
	}
	env.Get(t, "/settings/reset")
	code, body := env.Post(t, "/settings/reset", url.Values{"confirm": {"reset"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "type RESET in capitals") || !strings.Contains(body, `value="reset"`) {
		t.Fatalf("unconfirmed reset: %d\n%s", code, body)
	}
	if h, _ := env.App.Web().Secret(web.AdminHashSecret); !h.IsSet() {
		t.Fatal("an unconfirmed reset wiped the password")
	}
	code, _ = env.Post(t, "/settings/reset", url.Values{"confirm": {"RESET"}})
	if code != http.StatusSeeOther {
		t.Fatalf("reset: %d", code)
	}
	if h, _ := env.App.Web().Secret(web.AdminHashSecret); h.IsSet() {
		t.Fatal("the admin password survived the reset")
	}
	if s := env.App.Web().Settings(); s.SetupDone {
		t.Fatal("setup still marked done")
	}
	if ss, _ := db.OpenSessions(); len(ss) != 0 {
		t.Fatalf("history survived: %+v", ss)
	}
	resp, err := env.Client.Get(env.Server.URL + "/settings")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Location") != "/setup" {
		t.Fatalf("after the reset /settings goes to %q, want the wizard", resp.Header.Get("Location"))
	}
}

func historySession() history.Session { return history.Session{Charger: 0x1839, ClockPending: true} }
