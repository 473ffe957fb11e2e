package setup_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/ui/setup"
	"github.com/twcmanager/twcmanager/ui/uitest"
	"github.com/twcmanager/twcmanager/ui/web"
)

const goodPassword = "a long enough password"

// location posts form to path and returns where it redirects.
func location(t *testing.T, env *uitest.Env, path string, form url.Values) string {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", env.CSRF())
	resp, err := env.Client.PostForm(env.Server.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		var b strings.Builder
		buf := make([]byte, 1<<16)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		t.Fatalf("POST %s: %d, want a redirect\n%s", path, resp.StatusCode, b.String())
	}
	return resp.Header.Get("Location")
}

// started returns an appliance in its first-boot state, the wizard at its
// password step.
func started(t *testing.T) *uitest.Env {
	t.Helper()
	return uitest.Start(t, setup.Register)
}

// withPassword runs the password step, leaving the client logged in.
func withPassword(t *testing.T) *uitest.Env {
	t.Helper()
	env := started(t)
	env.Get(t, "/setup")
	if loc := location(t, env, "/setup", url.Values{"password": {goodPassword}, "repeat": {goodPassword}}); loc != "/setup/adapter" {
		t.Fatalf("after the password: %q", loc)
	}
	return env
}

func TestPasswordStep(t *testing.T) {
	env := started(t)
	code, body := env.Get(t, "/setup")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Choose the admin password", `<ul class="steps">`, `class="current"`, `name="password"`, `name="repeat"`)

	code, body = env.Post(t, "/setup", url.Values{"password": {"first try here"}, "repeat": {"first try HERE"}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "Repeat the password: it does not match the password. Allowed: the same password again.",
		`value="first try here"`, `value="first try HERE"`)

	code, body = env.Post(t, "/setup", url.Values{"password": {"short"}, "repeat": {"short"}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "Password: 5 characters is too short. Allowed: at least 10 characters.", `value="short"`, `aria-invalid="true"`)

	long := strings.Repeat("é", 40) // 80 bytes: more than bcrypt takes
	code, body = env.Post(t, "/setup", url.Values{"password": {long}, "repeat": {long}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "Password: too long. Allowed: at most 72 bytes")

	if h, _ := env.App.Web().Secret(web.AdminHashSecret); h.IsSet() {
		t.Fatal("an invalid password was stored")
	}

	// Steps after the password are not open before it exists.
	resp, err := env.Client.Get(env.Server.URL + "/setup/wiring")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/setup" {
		t.Fatalf("wiring before the password: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	if loc := location(t, env, "/setup", url.Values{"password": {goodPassword}, "repeat": {goodPassword}}); loc != "/setup/adapter" {
		t.Fatalf("after the password: %q", loc)
	}
	h, _ := env.App.Web().Secret(web.AdminHashSecret)
	if !web.CheckLogin(h, web.AdminUser, goodPassword) {
		t.Fatal("the stored hash does not match the password")
	}
	// Logged in: the next step opens, and /setup continues there.
	code, body = env.Get(t, "/setup/adapter")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Connect to the chargers", `<li class="done">1. Password</li>`)
	if loc := getLocation(t, env, "/setup"); loc != "/setup/adapter" {
		t.Fatalf("/setup with a password goes to %q", loc)
	}
	// The password step cannot replace the password once there is one.
	if loc := location(t, env, "/setup", url.Values{"password": {"another password!"}, "repeat": {"another password!"}}); loc != "/setup/adapter" {
		t.Fatalf("second password post: %q", loc)
	}
	h, _ = env.App.Web().Secret(web.AdminHashSecret)
	if !web.CheckLogin(h, web.AdminUser, goodPassword) {
		t.Fatal("the wizard replaced the password")
	}
}

func getLocation(t *testing.T, env *uitest.Env, path string) string {
	t.Helper()
	resp, err := env.Client.Get(env.Server.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET %s: %d, want a redirect", path, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func TestOthersCannotUseTheWizardAfterThePassword(t *testing.T) {
	env := withPassword(t)
	// Another browser, without the session.
	stranger := &http.Client{CheckRedirect: env.Client.CheckRedirect}
	for _, p := range []string{"/setup", "/setup/adapter", "/setup/wiring", "/setup/energy", "/setup/car", "/setup/done"} {
		resp, err := stranger.Get(env.Server.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
			t.Errorf("%s without login: %d → %q, want the login", p, resp.StatusCode, loc)
		}
	}
}

func TestAdapterStep(t *testing.T) {
	env := withPassword(t)
	code, body := env.Get(t, "/setup/adapter")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Detect automatically", "PL2303 adapters cannot be used", `value="use"`)

	code, body = env.Post(t, "/setup/adapter", url.Values{"action": {"use"}, "port": {""}})
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Saved: twcmanager now uses the adapter it detects automatically.", "Found 2 chargers.", "1839", "4580", "32 A", "Protocol")

	code, body = env.Post(t, "/setup/adapter", url.Values{"action": {"test"}})
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "1839", "4580")

	code, body = env.Post(t, "/setup/adapter", url.Values{"action": {"use"}, "port": {"/dev/ttyNOPE9"}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "Adapter: /dev/ttyNOPE9 is not allowed. Allowed: one of the supported adapters listed, or detect automatically.")

	if loc := location(t, env, "/setup/adapter", url.Values{"action": {"next"}}); loc != "/setup/wiring" {
		t.Fatalf("next: %q", loc)
	}
	if loc := getLocation(t, env, "/setup"); loc != "/setup/wiring" {
		t.Fatalf("/setup after the adapter step → %q, want the wiring", loc)
	}
}

// found waits, as the adapter step does, until the demo chargers are on the bus.
func found(t *testing.T, env *uitest.Env) {
	t.Helper()
	env.Get(t, "/setup/adapter")
	code, body := env.Post(t, "/setup/adapter", url.Values{"action": {"test"}})
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Found 2 chargers.")
}

func TestWiringStep(t *testing.T) {
	env := withPassword(t)
	found(t, env)
	code, body := env.Get(t, "/setup/wiring")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "A 40 A breaker allows 32 A for hours (80 % rule).", "Charger 1839", "Charger 4580",
		`name="wiring.shared.breaker_amps"`, `value="40"`, `hx-post="/setup/wiring/preview"`)

	// Out of range: the message names the field and the allowed values,
	// and the typed values stay.
	form := url.Values{"wiring.shared.breaker_amps": {"500"}, "wiring.charger.breaker_amps": {"32"}, "wiring.min_amps": {"2"},
		"charger": {"1839", "4580"}, "wiring.chargers.1839.circuit.breaker_amps": {"20"}}
	code, body = env.Post(t, "/setup/wiring", form)
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body,
		"Breaker of the shared circuit: 500 is not allowed. Allowed: 6 to 200 A.",
		"Minimum current: 2 is not allowed. Allowed: 5 to 32 A.",
		`value="500"`, `value="2"`, `value="20"`, `value="32"`, `aria-invalid="true"`,
		"Nothing was saved: please correct the 2 fields marked below.")
	if got := env.App.Web().Settings().Wiring.Shared.Breaker; got != 40 {
		t.Fatalf("an invalid wiring was saved: shared breaker %v", got)
	}

	// Not a number, a breaker too big for any charger, and a circuit with
	// neither breaker nor limit.
	code, body = env.Post(t, "/setup/wiring", url.Values{"wiring.shared.breaker_amps": {"forty"}, "wiring.charger.breaker_amps": {"125"}, "wiring.min_amps": {"6"}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "Breaker of the shared circuit: forty is not allowed. Allowed: 6 to 200 A.", `value="forty"`,
		"Each charger's circuit: 100 A continuous. Allowed: at most 80 A continuous")
	code, body = env.Post(t, "/setup/wiring", url.Values{"wiring.charger.breaker_amps": {"40"}, "wiring.min_amps": {"6"}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "Shared circuit: neither a breaker rating nor a limit. Allowed: a breaker of 6 to 200 A, or a limit of 6 to 200 A.")

	// A setting on another page that no longer fits is named at the top.
	code, body = env.Post(t, "/setup/wiring", url.Values{"wiring.shared.breaker_amps": {"40"}, "wiring.charger.breaker_amps": {"40"}, "wiring.min_amps": {"20"}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "the change does not fit with these settings", "Current in the schedule: 16 is not allowed. Allowed: 0 or 20 to 80 A.")

	// The live 80 % rule text.
	code, body = env.Post(t, "/setup/wiring/preview", url.Values{"wiring.shared.breaker_amps": {"50"}, "wiring.charger.limit_amps": {"16"},
		"wiring.min_amps": {"6"}, "charger": {"1839"}, "wiring.chargers.1839.circuit.breaker_amps": {"20"}})
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "A 50 A breaker allows 40 A for hours (80 % rule).", "You entered the limit directly: 16 A for hours.",
		"A 20 A breaker allows 16 A for hours (80 % rule).", `hx-swap-oob="true"`, "Together the chargers never draw more than 40 A; each one at most 16 A.")

	// Valid: saved, with the override for one charger.
	form = url.Values{"wiring.shared.breaker_amps": {"50"}, "wiring.charger.breaker_amps": {"32"}, "wiring.min_amps": {"6"},
		"charger": {"1839", "4580"}, "wiring.chargers.1839.circuit.breaker_amps": {"20"}, "wiring.chargers.4580.min_amps": {""}}
	if loc := location(t, env, "/setup/wiring", form); loc != "/setup/energy" {
		t.Fatalf("after the wiring: %q", loc)
	}
	w := env.App.Web().Settings().Wiring
	if w.Shared.Breaker != 50 || w.Charger.Breaker != 32 || w.MinAmps != 6 || len(w.Chargers) != 1 || w.Chargers[twc.ID(0x1839)].Circuit.Breaker != 20 {
		t.Fatalf("saved wiring: %+v", w)
	}
	code, body = env.Get(t, "/setup/wiring")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "A 20 A breaker allows 16 A for hours (80 % rule).", "A 32 A breaker allows 25 A for hours (80 % rule).")
}

func TestEnergyStep(t *testing.T) {
	env := withPassword(t)
	// The demo has a simulated source: the step edits it.
	code, body := env.Get(t, "/setup/energy")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Simulated PV and house (demo)", `name="params.profile"`, `value="clouds"`, `name="params.day_start"`)

	code, body = env.Get(t, "/setup/energy?choose=1")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Fronius Solar API", "Simulated PV and house (demo)", "No energy source: charge at a fixed current")

	code, body = env.Get(t, "/setup/energy?kind=simulated")
	uitest.Status(t, code, 200, body)
	sim := url.Values{"kind": {"simulated"}, "orig": {"simulated site"}, "name": {"my sun"}, "roles": {"pv", "consumption"},
		"params.profile": {"clear"}, "params.seed": {"7"}, "params.day_start": {"12:00"}}
	test := cloneWith(sim, "action", "test")
	code, body = env.Post(t, "/setup/energy", test)
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "The test worked.", "Solar (PV)", " W", `value="my sun"`, `value="12:00"`)
	uitest.Lacks(t, body, "Solar (PV)</dt><dd>not provided")

	// A field error from the source type lands next to its field.
	bad := cloneWith(sim, "params.day_start", "noon")
	code, body = env.Post(t, "/setup/energy", cloneWith(bad, "action", "test"))
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "Day start: noon is not allowed. Allowed: a time of day as HH:MM, e.g. 10:00.", `value="noon"`)
	code, body = env.Post(t, "/setup/energy", cloneWith(cloneWith(sim, "params.seed", "-3"), "action", "save"))
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "Seed: -3 is not a number. Allowed: a whole number, 0 or more.")

	if loc := location(t, env, "/setup/energy", cloneWith(sim, "action", "save")); loc != "/setup/car" {
		t.Fatalf("after saving: %q", loc)
	}
	srcs := env.App.Web().Settings().Sources
	if len(srcs) != 1 || srcs[0].Name != "my sun" || srcs[0].Kind != "simulated" || strings.Join(srcs[0].Roles, ",") != "pv,consumption" {
		t.Fatalf("sources: %+v", srcs)
	}
	var p map[string]any
	_ = json.Unmarshal(srcs[0].Params, &p)
	if p["profile"] != "clear" || p["day_start"] != "12:00" || p["seed"] != 7.0 {
		t.Fatalf("params: %s", srcs[0].Params)
	}

	// Fronius with an address that is no URL: the error names the field.
	code, body = env.Get(t, "/setup/energy?kind=fronius")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Fronius Solar API", `name="params.url"`)
	fr := url.Values{"kind": {"fronius"}, "orig": {"my sun"}, "name": {"inverter"}, "roles": {"pv", "grid"}, "params.url": {"192.168.1.2"}, "action": {"save"}}
	code, body = env.Post(t, "/setup/energy", fr)
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "URL: 192.168.1.2 is not allowed. Allowed: an http:// or https:// URL with a host, e.g. http://192.168.1.20.",
		`id="f-params-url-err"`, `value="192.168.1.2"`)
	code, body = env.Post(t, "/setup/energy", cloneWith(fr, "action", "test"))
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "URL: 192.168.1.2 is not allowed.")
	// No role ticked.
	code, body = env.Post(t, "/setup/energy", url.Values{"kind": {"fronius"}, "orig": {"my sun"}, "name": {"inverter"}, "params.url": {"http://192.168.1.2"}, "action": {"save"}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "What it measures: none. Allowed: at least one of pv, consumption, grid, battery.")
	if got := env.App.Web().Settings().Sources[0].Kind; got != "simulated" {
		t.Fatalf("an invalid source was saved: %s", got)
	}

	// An unknown type.
	code, body = env.Post(t, "/setup/energy", url.Values{"kind": {"nonsense"}, "action": {"save"}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, `There is no source type "nonsense"`)

	// No source at all.
	code, body = env.Get(t, "/setup/energy?kind=none")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Continue without an energy source", "The energy source set up before is removed.")
	if loc := location(t, env, "/setup/energy", url.Values{"action": {"none"}}); loc != "/setup/car" {
		t.Fatalf("after no source: %q", loc)
	}
	if n := len(env.App.Web().Settings().Sources); n != 0 {
		t.Fatalf("%d sources left", n)
	}
}

func cloneWith(v url.Values, key, value string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	out.Set(key, value)
	return out
}

func TestCarStep(t *testing.T) {
	env := withPassword(t)
	code, body := env.Get(t, "/setup/car")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Offer 0 A", "Charger command", "firmware 4.5.3 or later", "re-plug", "Stop responding", "about 3 times per plug-in",
		"My own Tesla developer app", "A command proxy")
	uitest.Lacks(t, body, "without a token", "Ask the car")

	code, body = env.Post(t, "/setup/car", url.Values{"policy.stop_method": {"shout"}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "How to stop a charging car: shout is not allowed. Allowed: car-api, charger-command, stop-responding or none.")

	if loc := location(t, env, "/setup/car", url.Values{"policy.stop_method": {"stop-responding"}}); loc != "/setup/done" {
		t.Fatalf("after the car: %q", loc)
	}
	if got := env.App.Web().Settings().Policy.StopMethod; got != config.StopResponding {
		t.Fatalf("stop method %q", got)
	}

	// With a connection, the step stays to show what remains to do: the key
	// to host, the login, the enrolment link; Continue moves on.
	env.Get(t, "/setup/car")
	if loc := location(t, env, "/setup/car", url.Values{"vehicle.connection": {"direct"}, "vehicle.client_id": {"my-app"},
		"vehicle.region": {"na"}, "vehicle.domain": {"example.org"}, "vehicle.redirect_uri": {"https://example.org/cb"},
		"policy.stop_method": {"car-api"}}); loc != "/setup/car?saved=1" {
		t.Fatalf("after saving a connection: %q", loc)
	}
	code, body = env.Get(t, "/setup/car?saved=1")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "BEGIN PUBLIC KEY", "https://tesla.com/_ak/example.org", "Open the Tesla login", "Ask the car")
	if loc := location(t, env, "/setup/car/next", url.Values{}); loc != "/setup/done" {
		t.Fatalf("continue: %q", loc)
	}
}

func TestDoneStep(t *testing.T) {
	env := withPassword(t)
	found(t, env)
	code, body := env.Get(t, "/setup/done")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, "Summary", "detected automatically", "1839", "4580", "A 40 A breaker allows 32 A for hours (80 % rule).",
		"simulated site (Simulated PV and house (demo)): pv, consumption", "Offer 0 A", `value="solar" checked`, "Min + Solar", "Start")

	code, body = env.Post(t, "/setup/done", url.Values{"policy.mode": {"fast"}})
	uitest.Status(t, code, http.StatusUnprocessableEntity, body)
	uitest.Contains(t, body, "Start charging in this mode: fast is not allowed. Allowed: off, now, minsolar, solar, schedule.")
	if env.App.Web().Settings().SetupDone {
		t.Fatal("an invalid last step finished the setup")
	}

	if loc := location(t, env, "/setup/done", url.Values{"policy.mode": {"minsolar"}}); loc != "/" {
		t.Fatalf("start: %q", loc)
	}
	s := env.App.Web().Settings()
	if !s.SetupDone || s.Policy.Mode != config.ModeMinSolar {
		t.Fatalf("after start: done %v, mode %q", s.SetupDone, s.Policy.Mode)
	}
	// The wizard is finished: /setup leads home.
	if loc := getLocation(t, env, "/setup"); loc != "/" {
		t.Fatalf("/setup after the end → %q", loc)
	}
}

func TestProgressSurvivesANewLogin(t *testing.T) {
	env := withPassword(t)
	env.Get(t, "/setup/adapter")
	location(t, env, "/setup/adapter", url.Values{"action": {"next"}})
	env.Get(t, "/setup/wiring")
	location(t, env, "/setup/wiring", url.Values{"wiring.shared.breaker_amps": {"40"}, "wiring.charger.breaker_amps": {"40"}, "wiring.min_amps": {"6"}})
	// Log out and in again: the wizard goes on at the energy step.
	env.Get(t, "/setup/energy")
	location(t, env, "/logout", nil)
	env.Get(t, "/login")
	if loc := location(t, env, "/login", url.Values{"user": {web.AdminUser}, "password": {goodPassword}}); loc != "/setup" {
		t.Fatalf("login during the setup → %q", loc)
	}
	if loc := getLocation(t, env, "/setup"); loc != "/setup/energy" {
		t.Fatalf("continue at %q, want the energy step", loc)
	}
	code, body := env.Get(t, "/setup/energy")
	uitest.Status(t, code, 200, body)
	uitest.Contains(t, body, `<li class="done"><a href="/setup/wiring">3. Wiring</a></li>`, `<li class="current" aria-current="step">4. Energy</li>`)
}
