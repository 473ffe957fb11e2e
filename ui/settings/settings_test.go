package settingsui_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/ui/settings"
	"github.com/twcmanager/twcmanager/ui/setup"
	"github.com/twcmanager/twcmanager/ui/uitest"
	"github.com/twcmanager/twcmanager/ui/web"
)

// loggedIn is a finished appliance with the client logged in.
func loggedIn(t *testing.T) *uitest.Env {
	t.Helper()
	env := uitest.Start(t, setup.Register, settingsui.Register)
	env.Setup(t)
	env.Login(t)
	return env
}

// post sends form after fetching page (for its CSRF token) and returns the
// answer and where it redirects.
func post(t *testing.T, env *uitest.Env, path string, form url.Values) (int, string, string) {
	t.Helper()
	form.Set("csrf", env.CSRF())
	resp, err := env.Client.PostForm(env.Server.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

// saves posts form to path, expects the redirect back with "Saved", and
// shows the page it leads to.
func saves(t *testing.T, env *uitest.Env, path string, form url.Values) string {
	t.Helper()
	env.Get(t, path)
	code, body, loc := post(t, env, path, form)
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, path+"?saved=") {
		t.Fatalf("POST %s: %d → %q\n%s", path, code, loc, body)
	}
	code, body = env.Get(t, loc)
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Saved")
	return body
}

// refuses posts form to path and expects 422 with every message in want.
func refuses(t *testing.T, env *uitest.Env, path string, form url.Values, want ...string) string {
	t.Helper()
	env.Get(t, path)
	code, body, _ := post(t, env, path, form)
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, want...)
	uitest.Lacks(t, body, "Saved")
	return body
}

func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func TestSettingsNeedTheLogin(t *testing.T) {
	env := uitest.Start(t, setup.Register, settingsui.Register)
	env.Setup(t)
	for _, p := range []string{"/settings", "/settings/wiring", "/settings/sources", "/settings/password"} {
		resp, err := env.Client.Get(env.Server.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
			t.Errorf("%s: %d → %q, want the login", p, resp.StatusCode, loc)
		}
	}
}

func TestOverview(t *testing.T) {
	env := loggedIn(t)
	code, body := env.Get(t, "/settings")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, `href="/static/settings.css"`, `<nav class="tabs"`, "Wiring", "Electrical", "Adapter", "Charging", "Schedule",
		"Offsets", "Energy sources", "Web", "Password", "Together the chargers never draw more than 32 A; each one at most 32 A.",
		"230 V, single-phase.", "Mode: Solar.", "simulated site (Simulated PV and house (demo))", "00:00 to 06:00, Mon, Tue, Wed, Thu, Fri.")
	uitest.Lacks(t, body, "style=")
}

func TestWiring(t *testing.T) {
	env := loggedIn(t)
	code, body := env.Get(t, "/settings/wiring")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "A 40 A breaker allows 32 A for hours (80 % rule).", `hx-post="/settings/wiring/preview"`, `aria-current="page">Wiring`)

	body = saves(t, env, "/settings/wiring", url.Values{"wiring.shared.breaker_amps": {"63"}, "wiring.charger.limit_amps": {"24"}, "wiring.min_amps": {"8"}})
	uitest.Contains(t, body, "A 63 A breaker allows 50 A for hours (80 % rule).", "You entered the limit directly: 24 A for hours.")
	w := env.App.Web().Settings().Wiring
	if w.Shared.Breaker != 63 || w.Charger.Breaker != 0 || w.Charger.Limit != 24 || w.MinAmps != 8 {
		t.Fatalf("wiring: %+v", w)
	}

	refuses(t, env, "/settings/wiring", url.Values{"wiring.shared.breaker_amps": {"500"}, "wiring.charger.breaker_amps": {"40"}, "wiring.min_amps": {"2"}},
		"Breaker of the shared circuit: 500 is not allowed. Allowed: 6 to 200 A.", "Minimum current: 2 is not allowed. Allowed: 5 to 32 A.",
		`value="500"`, `value="2"`)
	refuses(t, env, "/settings/wiring", url.Values{"wiring.shared.breaker_amps": {"40"}, "wiring.charger.limit_amps": {"90"}, "wiring.min_amps": {"6"}},
		"Or: continuous limit of each charger: 90 is not allowed. Allowed: 6 to 80 A.", `value="90"`)
	refuses(t, env, "/settings/wiring", url.Values{"wiring.shared.breaker_amps": {"40"}, "wiring.charger.breaker_amps": {"16"}, "wiring.min_amps": {"13"}},
		"Minimum current: 13 is not allowed. Allowed: at most the charger limit, 12 A.")
	refuses(t, env, "/settings/wiring", url.Values{"wiring.shared.breaker_amps": {"40"}, "wiring.charger.breaker_amps": {"40"}, "wiring.min_amps": {"6"},
		"charger": {"1839"}, "wiring.chargers.1839.circuit.breaker_amps": {"300"}, "wiring.chargers.1839.min_amps": {"40"}},
		"Charger 1839: breaker: 300 is not allowed. Allowed: 6 to 200 A.", "Charger 1839: minimum current: 40 is not allowed. Allowed: 0 (not set) or 5 to 32 A.")
	refuses(t, env, "/settings/wiring", url.Values{"wiring.shared.breaker_amps": {"40"}, "wiring.charger.breaker_amps": {"40"}, "wiring.min_amps": {"6"},
		"charger": {"1839"}, "wiring.chargers.1839.circuit.limit_amps": {"6"}, "wiring.chargers.1839.min_amps": {"8"}},
		"Charger 1839: minimum current: 8 is not allowed. Allowed: at most this charger's limit, 6 A.")
	if got := env.App.Web().Settings().Wiring; got.Shared.Breaker != 63 || len(got.Chargers) != 0 {
		t.Fatalf("a refused form changed the wiring: %+v", got)
	}

	code, body, _ = post(t, env, "/settings/wiring/preview", url.Values{"wiring.shared.breaker_amps": {"25"}, "wiring.charger.breaker_amps": {"20"}, "wiring.min_amps": {"6"}})
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "A 25 A breaker allows 20 A for hours (80 % rule).", "A 20 A breaker allows 16 A for hours (80 % rule).")
}

func TestElectrical(t *testing.T) {
	env := loggedIn(t)
	code, body := env.Get(t, "/settings/electrical")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, `name="electrical.volts"`, `value="230"`, "Three-phase")

	saves(t, env, "/settings/electrical", url.Values{"electrical.volts": {"240"}, "electrical.phases": {"3"}})
	e := env.App.Web().Settings().Electrical
	if e.Volts != 240 || e.Phases != 3 || e.Measure {
		t.Fatalf("electrical: %+v", e)
	}
	refuses(t, env, "/settings/electrical", url.Values{"electrical.volts": {"50"}, "electrical.phases": {"2"}, "electrical.measure": {"on"}},
		"Voltage: 50 is not allowed. Allowed: 100 to 280 V.", "Phases: 2 is not allowed. Allowed: 1 or 3.", `value="50"`)
	refuses(t, env, "/settings/electrical", url.Values{"electrical.volts": {""}, "electrical.phases": {"3"}},
		"Voltage: nothing entered. Allowed: 100 to 280 V.")
	if e := env.App.Web().Settings().Electrical; e.Volts != 240 {
		t.Fatalf("a refused form changed the voltage: %+v", e)
	}
}

func TestAdapter(t *testing.T) {
	env := loggedIn(t)
	code, body := env.Get(t, "/settings/adapter")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Detect automatically", "PL2303")
	code, body, _ = post(t, env, "/settings/adapter", url.Values{"action": {"use"}, "port": {""}})
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Saved: twcmanager now uses the adapter it detects automatically.", "1839", "4580")
	env.Get(t, "/settings/adapter")
	code, body, _ = post(t, env, "/settings/adapter", url.Values{"action": {"use"}, "port": {"/etc/passwd"}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "Adapter: /etc/passwd is not allowed.")
	if p := env.App.Web().Settings().Bus.Port; p != "" {
		t.Fatalf("port %q", p)
	}
}

// policyForm is a complete, valid charging form.
func policyForm() url.Values {
	return url.Values{
		"policy.mode": {"minsolar"}, "policy.charge_now.amps": {"20"}, "policy.charge_now.until": {"2031-05-04T18:30"},
		"policy.charge_now.then": {"solar"}, "policy.grid_import_cap_w": {"7000"},
		"policy.surplus.start_threshold_w": {"200"}, "policy.surplus.stop_threshold_w": {"-100"},
		"policy.surplus.start_delay": {"90"}, "policy.surplus.stop_delay": {"240"}, "policy.surplus.flex_amps": {"2"},
		"policy.surplus.meter_includes_charger": {"on"}, "policy.surplus.freshness": {"60"}, "policy.surplus.battery_min_soc": {"40"},
		"policy.stop_method": {"charger-command"}, "policy.charge_limits.now": {"90"}, "policy.charge_limits.schedule": {"80"},
		"policy.charge_limits.solar": {"100"}, "policy.charge_limits.other": {""}, "policy.interval": {"20"},
	}
}

func TestPolicy(t *testing.T) {
	env := loggedIn(t)
	code, body := env.Get(t, "/settings/policy")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Min + Solar", "Offer 0 A", "Stop responding", `name="policy.surplus.start_delay"`, `value="60"`, `value="180"`)

	saves(t, env, "/settings/policy", policyForm())
	p := env.App.Web().Settings().Policy
	until := time.Date(2031, 5, 4, 18, 30, 0, 0, time.Local)
	if p.Mode != config.ModeMinSolar || p.ChargeNow.Amps != 20 || !p.ChargeNow.Until.Equal(until) || p.ChargeNow.Then != config.ModeSolar ||
		p.GridImportCap != 7000 || p.Surplus.StartThreshold != 200 || p.Surplus.StopThreshold != -100 ||
		p.Surplus.StartDelay != 90*time.Second || p.Surplus.StopDelay != 4*time.Minute || p.Surplus.FlexAmps != 2 ||
		!p.Surplus.MeterIncludesCharger || p.Surplus.Freshness != time.Minute || p.Surplus.BatteryMinSoC != 40 ||
		p.StopMethod != config.StopCommand || p.Limits != (config.ChargeLimits{Now: 90, Schedule: 80, Solar: 100}) || p.Interval != 20*time.Second {
		t.Fatalf("policy: %+v", p)
	}
	code, body = env.Get(t, "/settings/policy")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, `value="2031-05-04T18:30"`, `value="charger-command" checked`, `value="90"`)

	bad := with(policyForm(),
		"policy.mode", "turbo", "policy.charge_now.amps", "3", "policy.charge_now.until", "tomorrow", "policy.charge_now.then", "now",
		"policy.grid_import_cap_w", "-5", "policy.surplus.start_threshold_w", "60000", "policy.surplus.stop_threshold_w", "lots",
		"policy.surplus.start_delay", "4000", "policy.surplus.stop_delay", "-1", "policy.surplus.flex_amps", "40",
		"policy.surplus.freshness", "5", "policy.surplus.battery_min_soc", "150", "policy.stop_method", "pull-the-plug",
		"policy.charge_limits.now", "30", "policy.charge_limits.other", "101", "policy.interval", "1")
	refuses(t, env, "/settings/policy", bad,
		"Mode: turbo is not allowed. Allowed: off, now, minsolar, solar, schedule.",
		"Current in Now mode: 3 is not allowed. Allowed: 0 or 6 to 80 A.",
		"Now mode ends at: tomorrow is not allowed. Allowed: a date and time such as 2025-06-01 18:00, or nothing.",
		"Then switch to: now is not allowed. Allowed: off, minsolar, solar or schedule.",
		"Grid import cap: -5 is not allowed. Allowed: 0 to 100000 W.",
		"Start threshold: 60000 is not allowed. Allowed: -50000 to 50000 W.",
		"Stop threshold: lots is not allowed. Allowed: -50000 to 50000 W.",
		"Start delay: 4000 is not allowed. Allowed: 0 to 1800 seconds.",
		"Stop delay: -1 is not allowed. Allowed: 0 to 1800 seconds.",
		"Flex current: 40 is not allowed. Allowed: 0 to 32 A.",
		"Oldest usable reading: 5 is not allowed. Allowed: 10 to 1800 seconds.",
		"Home battery first, up to: 150 is not allowed. Allowed: 0 to 100 %.",
		"How to stop a charging car: pull-the-plug is not allowed. Allowed: car-api, charger-command, stop-responding or none.",
		"Car charge limit in Now mode: 30 is not allowed. Allowed: 0 (leave the car's limit) or 50 to 100 %.",
		"Car charge limit otherwise: 101 is not allowed.",
		"Decide every: 1 is not allowed. Allowed: 5 to 600 seconds.",
		`value="tomorrow"`, `value="lots"`, `value="4000"`, `value="40"`)
	refuses(t, env, "/settings/policy", with(policyForm(), "policy.mode", "now", "policy.charge_now.amps", "0"),
		"Current in Now mode: 0 is not allowed. Allowed: 6 to 80 in Now mode.")
	if got := env.App.Web().Settings().Policy; got.Mode != config.ModeMinSolar || got.Interval != 20*time.Second {
		t.Fatalf("a refused form changed the policy: %+v", got)
	}
}

func TestSchedule(t *testing.T) {
	env := loggedIn(t)
	code, body := env.Get(t, "/settings/schedule")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, `type="time"`, `value="00:00"`, `value="06:00"`, "Monday", "Sunday", "Follow the sun", "The Schedule mode is not on now")

	form := url.Values{"policy.schedule.days": {"1", "3", "0"}, "policy.schedule.start_minute": {"22:30"}, "policy.schedule.end_minute": {"06:15"},
		"policy.schedule.amps": {"16"}, "policy.schedule.finish_by": {"on"}, "policy.schedule.battery_kwh": {"60"},
		"policy.non_scheduled.action": {"fixed"}, "policy.non_scheduled.amps": {"10"}}
	body = saves(t, env, "/settings/schedule", form)
	uitest.Contains(t, body, `value="22:30"`, `value="06:15"`)
	sc := env.App.Web().Settings().Policy.Schedule
	if sc.Days != [7]bool{true, true, false, true, false, false, false} || sc.StartMinute != 22*60+30 || sc.EndMinute != 6*60+15 ||
		sc.Amps != 16 || !sc.FinishBy || sc.BatteryKWh != 60 {
		t.Fatalf("schedule: %+v", sc)
	}
	if ns := env.App.Web().Settings().Policy.NonScheduled; ns.Action != config.ActionFixed || ns.Amps != 10 {
		t.Fatalf("non-scheduled: %+v", ns)
	}

	refuses(t, env, "/settings/schedule", with(form, "policy.schedule.start_minute", "25:99", "policy.schedule.amps", "3",
		"policy.schedule.battery_kwh", "400", "policy.non_scheduled.amps", "2"),
		"Start: 25:99 is not allowed. Allowed: a time of day such as 22:30.",
		"Current in the schedule: 3 is not allowed. Allowed: 0 or 6 to 80 A.",
		"Car battery size: 400 is not allowed. Allowed: 0 to 300 kWh.",
		"Current outside the schedule: 2 is not allowed. Allowed: 0 or 6 to 80 A.", `value="25:99"`, `value="400"`)
	refuses(t, env, "/settings/schedule", with(form, "policy.schedule.end_minute", "22:30"),
		"End: 22:30 is not allowed. Allowed: a time different from the start.")
	refuses(t, env, "/settings/schedule", with(form, "policy.non_scheduled.action", "panic"),
		"Outside the schedule: panic is not allowed. Allowed: fixed, off or solar.")

	// In Schedule mode a schedule needs a day.
	s := env.App.Web().Settings()
	s.Policy.Mode = config.ModeSchedule
	if err := env.App.Web().SetSettings(s); err != nil {
		t.Fatal(err)
	}
	noDays := with(form)
	noDays.Del("policy.schedule.days")
	refuses(t, env, "/settings/schedule", noDays, "Days: no day. Allowed: at least one weekday in Schedule mode.")
	if got := env.App.Web().Settings().Policy.Schedule; got.StartMinute != 22*60+30 || got.Amps != 16 {
		t.Fatalf("a refused form changed the schedule: %+v", got)
	}
}

func TestOffsets(t *testing.T) {
	env := loggedIn(t)
	code, body := env.Get(t, "/settings/offsets")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Add an offset", `name="rows" value="1"`, `name="policy.offsets[0].name"`)

	saves(t, env, "/settings/offsets", url.Values{"rows": {"1"}, "policy.offsets[0].name": {"heat pump"}, "policy.offsets[0].value": {"1500"}, "policy.offsets[0].unit": {"W"}})
	body = saves(t, env, "/settings/offsets", url.Values{"rows": {"2"},
		"policy.offsets[0].name": {"heat pump"}, "policy.offsets[0].value": {"1500"}, "policy.offsets[0].unit": {"W"},
		"policy.offsets[1].name": {"reserve"}, "policy.offsets[1].value": {"-2"}, "policy.offsets[1].unit": {"A"}})
	uitest.Contains(t, body, `value="heat pump"`, `value="reserve"`, `value="-2"`, `name="rows" value="3"`, "Remove")
	want := []config.Offset{{Name: "heat pump", Value: 1500, Unit: "W"}, {Name: "reserve", Value: -2, Unit: "A"}}
	if got := env.App.Web().Settings().Policy.Offsets; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("offsets: %+v", got)
	}

	// Remove the first.
	saves(t, env, "/settings/offsets", url.Values{"rows": {"3"}, "remove": {"0"},
		"policy.offsets[0].name": {"heat pump"}, "policy.offsets[0].value": {"1500"}, "policy.offsets[0].unit": {"W"},
		"policy.offsets[1].name": {"reserve"}, "policy.offsets[1].value": {"-2"}, "policy.offsets[1].unit": {"A"},
		"policy.offsets[2].name": {""}, "policy.offsets[2].value": {""}, "policy.offsets[2].unit": {"W"}})
	if got := env.App.Web().Settings().Policy.Offsets; len(got) != 1 || got[0] != want[1] {
		t.Fatalf("after removing: %+v", got)
	}

	refuses(t, env, "/settings/offsets", url.Values{"rows": {"4"},
		"policy.offsets[0].name": {"reserve"}, "policy.offsets[0].value": {"0"}, "policy.offsets[0].unit": {"A"},
		"policy.offsets[1].name": {"reserve"}, "policy.offsets[1].value": {"lots"}, "policy.offsets[1].unit": {"kW"},
		"policy.offsets[2].name": {""}, "policy.offsets[2].value": {"300"}, "policy.offsets[2].unit": {"W"},
		"policy.offsets[3].name": {strings.Repeat("x", 40)}, "policy.offsets[3].value": {"500"}, "policy.offsets[3].unit": {"W"}},
		"Offset 1: amount: 0 is not allowed. Allowed: -400 to 400, not 0.",
		"Offset 2: name: reserve is not allowed. Allowed: a name no other offset has.",
		"Offset 2: unit: kW is not allowed. Allowed: W or A.",
		"Offset 3: name: nothing entered. Allowed: 1 to 31 characters.",
		"Offset 4: name: "+strings.Repeat("x", 40)+" is not allowed. Allowed: 1 to 31 characters.",
		`value="lots"`, `value="300"`, `name="rows" value="5"`)
	// Rows are renumbered: an empty row and a removed one go, and the
	// error lands at the row it is about.
	refuses(t, env, "/settings/offsets", url.Values{"rows": {"3"}, "remove": {"1"},
		"policy.offsets[0].name": {""}, "policy.offsets[0].value": {""}, "policy.offsets[0].unit": {"W"},
		"policy.offsets[1].name": {"gone"}, "policy.offsets[1].value": {"5"}, "policy.offsets[1].unit": {"W"},
		"policy.offsets[2].name": {"late"}, "policy.offsets[2].value": {"0"}, "policy.offsets[2].unit": {"W"}},
		"Offset 1: amount: 0 is not allowed. Allowed: -100000 to 100000, not 0.",
		`name="policy.offsets[0].name" value="late"`, `name="rows" value="2"`)
	if got := env.App.Web().Settings().Policy.Offsets; len(got) != 1 || got[0] != want[1] {
		t.Fatalf("a refused form changed the offsets: %+v", got)
	}
}

func TestWeb(t *testing.T) {
	env := loggedIn(t)
	code, body := env.Get(t, "/settings/web")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Show the dashboard without login on my home network", "Changing anything still needs the password")
	saves(t, env, "/settings/web", url.Values{"web.public_dashboard": {"on"}})
	if !env.App.Web().Settings().Web.PublicDashboard {
		t.Fatal("not saved")
	}
	body = saves(t, env, "/settings/web", url.Values{})
	uitest.Lacks(t, body, "checked")
	if env.App.Web().Settings().Web.PublicDashboard {
		t.Fatal("unticking was not saved")
	}
	// Settings that no longer fit are named: none can be made wrong from
	// here, so check the guard directly: a form without the CSRF token.
	resp, err := env.Client.PostForm(env.Server.URL+"/settings/web", url.Values{"web.public_dashboard": {"on"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || env.App.Web().Settings().Web.PublicDashboard {
		t.Fatalf("a form without the token: %d", resp.StatusCode)
	}
}

func TestPassword(t *testing.T) {
	env := loggedIn(t)
	code, body := env.Get(t, "/settings/password")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, `name="current"`, `name="new"`, `name="new_repeat"`)

	const next = "an entirely new password"
	body = refuses(t, env, "/settings/password", url.Values{"current": {"not the password"}, "new": {next}, "new_repeat": {next}},
		"Current password: this is not the admin password. Allowed: the password you log in with.", `value="`+next+`"`)
	uitest.Lacks(t, body, `value="not the password"`)
	refuses(t, env, "/settings/password", url.Values{"current": {uitest.Password}, "new": {"short"}, "new_repeat": {"short"}},
		"New password: 5 characters is too short. Allowed: at least 10 characters.")
	refuses(t, env, "/settings/password", url.Values{"current": {uitest.Password}, "new": {next}, "new_repeat": {next + "!"}},
		"Repeat the new password: it does not match the new password. Allowed: the same password again.")
	h, _ := env.App.Web().Secret(web.AdminHashSecret)
	if !web.CheckLogin(h, web.AdminUser, uitest.Password) {
		t.Fatal("a refused change changed the password")
	}

	saves(t, env, "/settings/password", url.Values{"current": {uitest.Password}, "new": {next}, "new_repeat": {next}})
	h, _ = env.App.Web().Secret(web.AdminHashSecret)
	if !web.CheckLogin(h, web.AdminUser, next) || web.CheckLogin(h, web.AdminUser, uitest.Password) {
		t.Fatal("the new password is not in force")
	}
	// Still logged in, on a new session.
	code, body = env.Get(t, "/settings")
	uitest.Status(t, code, 200, body)
}

const token = "sekrit-token-0123456789"

// haForm is a Home Assistant source with a token (a secret parameter).
func haForm(name, orig, tok string) url.Values {
	return url.Values{"kind": {"homeassistant"}, "orig": {orig}, "name": {name}, "roles": {"grid"},
		"params.url": {"http://127.0.0.1:9"}, "params.token": {tok}, "params.grid_entity": {"sensor.grid_power"}, "action": {"save"}}
}

func TestSources(t *testing.T) {
	env := loggedIn(t)
	code, body := env.Get(t, "/settings/sources")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "simulated site", "Simulated PV and house (demo)", "Provides: Solar generation (PV), House consumption",
		`href="/settings/sources/edit?name=simulated+site"`, "Add a source", "Home Assistant sensors")

	code, body = env.Get(t, "/settings/sources/new?kind=homeassistant")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Add an energy source", `name="params.token"`, `type="password"`, `name="params.grid_export_positive"`,
		`type="checkbox"`, `value="grid" checked`)
	uitest.Lacks(t, body, `value="pv" checked`) // the simulated source has PV

	// Errors: a missing token, a bad entity, a role another source has, a
	// name taken.
	env.Get(t, "/settings/sources/new?kind=homeassistant")
	refuses(t, env, "/settings/sources/save", with(haForm("home", "", ""), "params.grid_entity", "Grid Power"),
		"Token: nothing entered. Allowed: a long-lived access token (Home Assistant: your profile, Security).",
		"Grid entity: Grid Power is not allowed. Allowed: an entity ID such as sensor.grid_power", `value="Grid Power"`, `value="home"`)
	refuses(t, env, "/settings/sources/save", with(haForm("home", "", token), "roles", "pv"),
		"What it measures: pv. Allowed: a role no other source has (simulated site already has pv).")
	refuses(t, env, "/settings/sources/save", haForm("simulated site", "", token),
		"Name: simulated site is not allowed. Allowed: a name no other source has.")
	refuses(t, env, "/settings/sources/save", with(haForm("home", "", token), "interval", "7200"),
		"Read every: 7200 is not allowed. Allowed: 1 to 3600 seconds.")

	// Saved: the secret goes to the store and never to a page.
	env.Get(t, "/settings/sources")
	code, body, loc := post(t, env, "/settings/sources/save", haForm("home", "", token))
	if code != http.StatusSeeOther || loc != "/settings/sources?saved=home" {
		t.Fatalf("save: %d → %q\n%s", code, loc, body)
	}
	stored := func() string {
		s, err := env.App.Store().Secret("source/home/token")
		if err != nil {
			t.Fatal(err)
		}
		return s.Reveal()
	}
	if stored() != token {
		t.Fatalf("stored token %q", stored())
	}
	code, body = env.Get(t, loc)
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Saved: home.", "Home Assistant sensors", "Provides: Grid import and export")
	code, body = env.Get(t, "/settings/sources/edit?name=home")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, `placeholder="(stored — leave empty to keep)"`, `value="sensor.grid_power"`, `name="orig" value="home"`)

	// Saved with the token left empty: the stored one stays.
	code, body, loc = post(t, env, "/settings/sources/save", with(haForm("home", "home", ""), "params.grid_entity", "sensor.meter_power", "params.grid_export_positive", "on"))
	if code != http.StatusSeeOther {
		t.Fatalf("save without the token: %d\n%s", code, body)
	}
	if stored() != token {
		t.Fatalf("the token was lost: %q", stored())
	}
	src := env.App.Web().Settings().Sources[1]
	var params map[string]any
	_ = json.Unmarshal(src.Params, &params)
	if params["grid_entity"] != "sensor.meter_power" || params["grid_export_positive"] != true {
		t.Fatalf("params: %s", src.Params)
	}

	// Tested with the stored token: the answer says what failed, and shows
	// no token.
	env.Get(t, "/settings/sources/edit?name=home")
	code, body, _ = post(t, env, "/settings/sources/save", with(haForm("home", "home", ""), "action", "test"))
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "The test did not get a reading:")

	// Renamed without typing the token again: refused, as the stored one
	// belongs to the old name.
	refuses(t, env, "/settings/sources/save", haForm("house", "home", ""),
		`Token: nothing entered. Allowed: the token again, because the stored one belongs to the old name "home".`)

	// A new token replaces the stored one.
	const saved = "another-token-9876"
	env.Get(t, "/settings/sources/edit?name=home")
	if code, body, _ = post(t, env, "/settings/sources/save", haForm("home", "home", saved)); code != http.StatusSeeOther {
		t.Fatalf("new token: %d\n%s", code, body)
	}
	if stored() != saved {
		t.Fatalf("stored %q, want the new token", stored())
	}

	// No page shows a secret.
	for _, p := range []string{"/settings", "/settings/sources", "/settings/sources/edit?name=home", "/settings/wiring", "/settings/policy",
		"/settings/schedule", "/settings/offsets", "/settings/web", "/settings/electrical", "/settings/password", "/setup/energy", "/setup/done"} {
		code, body := env.Get(t, p)
		uitest.Status(t, code, 200, body)
		uitest.Lacks(t, body, token, saved)
	}

	// Testing the simulated source shows its reading.
	env.Get(t, "/settings/sources/edit?name=simulated+site")
	code, body, _ = post(t, env, "/settings/sources/save", url.Values{"kind": {"simulated"}, "orig": {"simulated site"}, "name": {"simulated site"},
		"roles": {"pv", "consumption"}, "params.profile": {"clear"}, "params.day_start": {"11:00"}, "action": {"test"}})
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "The test worked.", "Solar (PV)", "House")

	// A Fronius without a scheme: the error is at the URL field.
	env.Get(t, "/settings/sources/new?kind=fronius")
	refuses(t, env, "/settings/sources/save", url.Values{"kind": {"fronius"}, "orig": {""}, "name": {"inverter"}, "roles": {"battery"},
		"params.url": {"192.168.1.2"}, "action": {"save"}},
		"URL: 192.168.1.2 is not allowed. Allowed: an http:// or https:// URL with a host, e.g. http://192.168.1.20.", `value="192.168.1.2"`)

	// Removed.
	env.Get(t, "/settings/sources")
	code, body, loc = post(t, env, "/settings/sources/remove", url.Values{"name": {"home"}})
	if code != http.StatusSeeOther || loc != "/settings/sources?removed=home" {
		t.Fatalf("remove: %d → %q\n%s", code, loc, body)
	}
	if srcs := env.App.Web().Settings().Sources; len(srcs) != 1 || srcs[0].Name != "simulated site" {
		t.Fatalf("after removing: %+v", srcs)
	}
	code, body, _ = post(t, env, "/settings/sources/remove", url.Values{"name": {"home"}})
	uitest.Status(t, code, http.StatusNotFound, body)
	uitest.Contains(t, body, `There is no energy source "home".`)
	code, body = env.Get(t, "/settings/sources/edit?name=nobody")
	uitest.Status(t, code, http.StatusNotFound, body)
	code, body = env.Get(t, "/settings/sources/new?kind=nonsense")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, `There is no source type "nonsense"`)
}
