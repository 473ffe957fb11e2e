package dashboard_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/ui/dashboard"
	"github.com/twcmanager/twcmanager/ui/uitest"
	"github.com/twcmanager/twcmanager/ui/web"
)

func TestModeSwitchChangesTheSettingsAndTheOffer(t *testing.T) {
	env := start(t)
	env.Get(t, "/")
	before := time.Now()
	code, body := env.Post(t, "/mode", url.Values{"mode": {"now"}, "amps": {"10"}, "duration": {"1h"}})
	if code != http.StatusSeeOther {
		t.Fatalf("POST /mode now: %d\n%s", code, body)
	}
	p := env.App.Web().Settings().Policy
	if p.Mode != config.ModeNow || p.ChargeNow.Amps != 10 {
		t.Fatalf("settings after Now at 10 A: mode %q, %v", p.Mode, p.ChargeNow.Amps)
	}
	if end := p.ChargeNow.Until; end.Before(before.Add(59*time.Minute)) || end.After(time.Now().Add(time.Hour)) {
		t.Errorf("Now for 1 hour ends at %v, started %v", end, before)
	}
	if p.ChargeNow.Then != config.ModeSolar {
		t.Errorf("Now returns to %q, want the previous mode solar", p.ChargeNow.Then)
	}
	// The car on 1839 is offered the 10 A and starts charging.
	uitest.Eventually(t, 10*time.Second, func() string {
		if a, _ := offerOf(env, 0x1839); a != 10 {
			return fmt.Sprintf("charger 1839 is offered %d A, want 10", a)
		}
		return ""
	})
	uitest.Eventually(t, 15*time.Second, func() string {
		_, body := env.Get(t, "/")
		if got := offered(body)["1839"]; got != 10 {
			return fmt.Sprintf("the dashboard shows %d A offered to 1839, want 10", got)
		}
		if !strings.Contains(body, `data-testid="status-1839">charging<`) {
			return "1839 is not shown charging"
		}
		// The car is named by its VIN once the charger has told it.
		car := "unknown car"
		if c, _ := env.App.Web().Snapshot().Charger(0x1839); c.Info.VIN != "" {
			car = c.Info.VIN
		}
		if !strings.Contains(body, `<dd class="vin">`+car+`</dd>`) {
			return fmt.Sprintf("the car is not shown as %q", car)
		}
		if !strings.Contains(body, `value="now" title="Charge at once at the current set below" aria-pressed="true"`) ||
			!strings.Contains(body, "Now: charging at 10 A until") {
			return "Now is not shown as the mode in force"
		}
		return ""
	})

	code, body = env.Post(t, "/mode", url.Values{"mode": {"off"}})
	if code != http.StatusSeeOther {
		t.Fatalf("POST /mode off: %d\n%s", code, body)
	}
	p = env.App.Web().Settings().Policy
	if p.Mode != config.ModeOff || !p.ChargeNow.Until.IsZero() {
		t.Fatalf("after Off: mode %q, Now until %v", p.Mode, p.ChargeNow.Until)
	}
	if p.ChargeNow.Amps != 10 {
		t.Errorf("Off forgot Now's current: %v", p.ChargeNow.Amps)
	}
	uitest.Eventually(t, 10*time.Second, func() string {
		if a, _ := offerOf(env, 0x1839); a != 0 {
			return fmt.Sprintf("charger 1839 is offered %d A in Off mode", a)
		}
		return ""
	})
}

func TestModeSwitchWithHtmxAnswersTheSection(t *testing.T) {
	env := start(t)
	env.Get(t, "/")
	code, body := htmxPost(t, env, "/mode", url.Values{"mode": {"minsolar"}, "amps": {"16"}, "duration": {"4h"}})
	if code != http.StatusOK {
		t.Fatalf("htmx POST /mode: %d\n%s", code, body)
	}
	if env.App.Web().Settings().Policy.Mode != config.ModeMinSolar {
		t.Fatalf("mode is %q", env.App.Web().Settings().Policy.Mode)
	}
	if strings.Contains(body, "<html") || !strings.HasPrefix(strings.TrimSpace(body), `<section id="mode"`) {
		t.Errorf("htmx got more than the mode section:\n%s", body)
	}
	if !strings.Contains(body, `value="minsolar" title="Always charge at the minimum, more when the sun makes more" aria-pressed="true"`) {
		t.Errorf("the answer does not mark Min+Solar:\n%s", body)
	}
	// Until I change it: no end, nothing to return to.
	code, body = htmxPost(t, env, "/mode", url.Values{"mode": {"now"}, "amps": {"12"}, "duration": {"until"}})
	p := env.App.Web().Settings().Policy
	if code != http.StatusOK || p.Mode != config.ModeNow || !p.ChargeNow.Until.IsZero() || p.ChargeNow.Amps != 12 {
		t.Fatalf("Now until changed: %d, %+v\n%s", code, p, body)
	}
	if !strings.Contains(body, "Now: charging at 12 A until you change the mode.") {
		t.Errorf("the answer does not say Now runs until changed:\n%s", body)
	}
}

func TestModeFormErrors(t *testing.T) {
	env := start(t)
	// With no schedule day, Schedule mode is refused by the settings' own
	// validation; Solar is fine.
	s := env.App.Web().Settings()
	s.Policy.Schedule.Days = [7]bool{}
	if err := env.App.Web().SetSettings(s); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		form url.Values
		want []string
	}{
		{"amps below the minimum", url.Values{"mode": {"now"}, "amps": {"3"}, "duration": {"1h"}},
			[]string{"Amps: 3 A is not allowed; allowed: 6 to 80 A.", `name="amps" type="number" inputmode="decimal" step="any" value="3" aria-invalid="true"`}},
		{"amps above the maximum", url.Values{"mode": {"now"}, "amps": {"90"}, "duration": {"1h"}},
			[]string{"Amps: 90 A is not allowed; allowed: 6 to 80 A.", `value="90"`}},
		{"amps not a number", url.Values{"mode": {"now"}, "amps": {"lots"}, "duration": {"2h"}},
			[]string{"Amps: &#34;lots&#34; is not a number; allowed: 6 to 80 A.", `value="lots"`, `<option value="2h" selected>`}},
		{"amps missing", url.Values{"mode": {"now"}, "duration": {"2h"}},
			[]string{"Amps: enter a current; allowed: 6 to 80 A."}},
		{"duration unknown", url.Values{"mode": {"now"}, "amps": {"16"}, "duration": {"3h"}},
			[]string{"For how long: &#34;3h&#34; is not one of the choices; allowed: 1 hour, 2 hours, 4 hours, 8 hours, until I change it.", `value="16"`}},
		{"mode unknown", url.Values{"mode": {"turbo"}},
			[]string{"Mode: &#34;turbo&#34; is not a mode; allowed: off, now, minsolar, solar, schedule."}},
		{"mode missing", url.Values{},
			[]string{"Mode: &#34;&#34; is not a mode; allowed: off, now, minsolar, solar, schedule."}},
		{"schedule without days", url.Values{"mode": {"schedule"}},
			[]string{"Schedule cannot be used with the settings as they are: policy.schedule.days", "at least one weekday in Schedule mode", "Change it in Settings."}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env.Get(t, "/")
			code, body := env.Post(t, "/mode", c.form)
			if code != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", code)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("the answer lacks %q:\n%s", w, body)
				}
			}
			if !strings.Contains(body, `role="alert"`) {
				t.Error("the error is not marked as an alert")
			}
			if m := env.App.Web().Settings().Policy.Mode; m != config.ModeSolar {
				t.Errorf("a refused form changed the mode to %q", m)
			}
			// htmx gets the same errors in the section, with 200 so that it swaps.
			code, body = htmxPost(t, env, "/mode", c.form)
			if code != http.StatusOK || strings.Contains(body, "<html") {
				t.Errorf("htmx: %d\n%s", code, body)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("the htmx answer lacks %q", w)
				}
			}
		})
	}
}

// failingSettings is an App whose settings cannot be saved.
type failingSettings struct{ web.App }

func (failingSettings) SetSettings(config.Settings) error { return errors.New("store: disk full") }

func TestModeNotSaved(t *testing.T) {
	env := uitest.Start(t, func(mux *http.ServeMux, d web.Deps) {
		d.App = failingSettings{d.App}
		dashboard.Register(mux, d)
	})
	env.Setup(t)
	env.Login(t)
	env.Get(t, "/")
	code, body := env.Post(t, "/mode", url.Values{"mode": {"off"}})
	if code != http.StatusInternalServerError || !strings.Contains(body, "The mode could not be saved: store: disk full") {
		t.Fatalf("%d\n%s", code, body)
	}
	if a, _ := offerOf(env, twc.ID(0x1839)); env.App.Web().Settings().Policy.Mode != config.ModeSolar {
		t.Errorf("mode changed although it was not saved (offer %d A)", a)
	}
}
