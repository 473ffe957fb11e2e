package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/twcmanager/twcmanager/appliance"
	"github.com/twcmanager/twcmanager/appliance/appliancetest"
	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/secret"
)

// env is the real demo appliance serving its web address.
type env struct {
	a    *appliance.Appliance
	b    api.Backend
	url  string
	auth string // "Bearer <token>"
}

func start(t *testing.T) *env {
	t.Helper()
	a := appliancetest.Demo(t, true)
	e := &env{a: a, b: a.API()}
	eventually(t, "web address", func() bool { return a.ListenAddr() != "" })
	e.url = "http://" + a.ListenAddr()
	tok, err := api.NewToken(e.b)
	if err != nil {
		t.Fatal(err)
	}
	e.auth = "Bearer " + tok
	return e
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after 15 s: not %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// do sends a request and returns the status and body.
func (e *env) do(t *testing.T, method, path, auth, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return resp.StatusCode, string(b)
}

func decodeInto[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	return v
}

func settingsJSON(t *testing.T, b api.Backend) string {
	t.Helper()
	j, _ := json.Marshal(b.Settings())
	return string(j)
}

// The state reports the demo's chargers linked, with heartbeats flowing.
func TestState(t *testing.T) {
	e := start(t)
	var st api.State
	eventually(t, "two chargers with heartbeats", func() bool {
		_, body := e.do(t, "GET", "/api/v1/state", "", "")
		st = decodeInto[api.State](t, body)
		return len(st.Chargers) == 2 && st.Chargers[0].Heartbeats > 2 && st.Chargers[1].Heartbeats > 2
	})
	if !st.Connected || st.Mode != "solar" {
		t.Fatalf("%+v", st)
	}
	for _, c := range st.Chargers {
		if c.MaxHeartbeatGapMS > 1500 || c.MaxAmps != 32 || c.Protocol != 2 {
			t.Errorf("charger %+v", c)
		}
	}
	code, body := e.do(t, "GET", "/api/v1/chargers/1839", "", "")
	if c := decodeInto[api.Charger](t, body); code != 200 || c.ID != "1839" {
		t.Errorf("charger 1839: %d %s", code, body)
	}
	if code, body := e.do(t, "GET", "/api/v1/chargers/ABCD", "", ""); code != 404 || !strings.Contains(body, "ABCD") {
		t.Errorf("unknown charger: %d %s", code, body)
	}
	if code, body := e.do(t, "GET", "/api/v1/chargers/xyz", "", ""); code != 400 || decodeInto[api.Error](t, body).Field != "id" {
		t.Errorf("bad charger ID: %d %s", code, body)
	}
	if code, _ := e.do(t, "GET", "/api/v1/nothing", "", ""); code != 404 {
		t.Errorf("unknown route: %d", code)
	}
}

// writes are every write route with a valid body.
var writes = []struct{ method, path, body string }{
	{"PUT", "/api/v1/mode", `{"mode": "off"}`},
	{"POST", "/api/v1/charge-now", `{"amps": 16, "duration_s": 3600}`},
	{"DELETE", "/api/v1/charge-now", ``},
	{"PUT", "/api/v1/schedule", `{"days": ["mon"], "start": "22:00", "end": "06:00", "amps": 16}`},
	{"POST", "/api/v1/evcc/enable", `{"enable": true}`},
	{"POST", "/api/v1/evcc/maxcurrent", `{"amps": 10}`},
}

// No write goes through without the token, whatever the compatibility
// setting says, and a refused write changes nothing.
func TestWritesNeedToken(t *testing.T) {
	e := start(t)
	if err := api.Change(e.b, func(s *config.Settings) error { s.API.CompatOpenWrites = true; return nil }); err != nil {
		t.Fatal(err)
	}
	before := settingsJSON(t, e.b)
	for _, w := range writes {
		for _, auth := range []string{"", "Bearer wrong", "Basic YWRtaW46YWRtaW4="} {
			code, body := e.do(t, w.method, w.path, auth, w.body)
			if code != http.StatusUnauthorized || decodeInto[api.Error](t, body).Field != "Authorization" {
				t.Errorf("%s %s with %q: %d %s", w.method, w.path, auth, code, body)
			}
		}
	}
	if after := settingsJSON(t, e.b); after != before {
		t.Fatalf("refused writes changed the settings:\n%s\n%s", before, after)
	}
	for _, w := range writes {
		if code, body := e.do(t, w.method, w.path, e.auth, w.body); code != 200 {
			t.Errorf("%s %s with the token: %d %s", w.method, w.path, code, body)
		}
	}
	// A revoked token opens nothing.
	if err := api.RevokeToken(e.b); err != nil {
		t.Fatal(err)
	}
	if code, _ := e.do(t, "PUT", "/api/v1/mode", e.auth, `{"mode": "solar"}`); code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", code)
	}
}

// Charge Now starts the car at once and ends in the mode it interrupted.
func TestChargeNow(t *testing.T) {
	e := start(t)
	code, body := e.do(t, "POST", "/api/v1/charge-now", e.auth, `{"amps": 16, "duration_s": 7200}`)
	m := decodeInto[api.Mode](t, body)
	if code != 200 || m.Mode != "now" || m.ChargeNow.Amps != 16 || m.ChargeNow.Then != "solar" || m.ChargeNow.Until == nil {
		t.Fatalf("%d %s", code, body)
	}
	if d := time.Until(*m.ChargeNow.Until); d < 119*time.Minute || d > 121*time.Minute {
		t.Errorf("until %v from now", d)
	}
	eventually(t, "16 A offered to the plugged-in car", func() bool {
		for _, c := range e.b.Snapshot().Chargers {
			if c.ID == 0x1839 && c.Offered == 16 {
				return true
			}
		}
		return false
	})
	code, body = e.do(t, "DELETE", "/api/v1/charge-now", e.auth, "")
	if m := decodeInto[api.Mode](t, body); code != 200 || m.Mode != "solar" {
		t.Fatalf("cancel: %d %s", code, body)
	}
	code, body = e.do(t, "PUT", "/api/v1/mode", e.auth, `{"mode": "now"}`)
	if m := decodeInto[api.Mode](t, body); code != 200 || m.Mode != "now" || m.ChargeNow.Until != nil {
		t.Fatalf("mode now: %d %s", code, body)
	}
}

func TestSchedule(t *testing.T) {
	e := start(t)
	in := `{"days": ["sat", "sun"], "start": "23:30", "end": "05:15", "amps": 20, "finish_by": true, "battery_kwh": 60,
		"non_scheduled": {"action": "fixed", "amps": 8}}`
	code, body := e.do(t, "PUT", "/api/v1/schedule", e.auth, in)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	_, body = e.do(t, "GET", "/api/v1/schedule", "", "")
	got := decodeInto[api.ScheduleJSON](t, body)
	want := api.ScheduleJSON{Days: []string{"sat", "sun"}, Start: "23:30", End: "05:15", Amps: 20, FinishBy: true, BatteryKWh: 60,
		Outside: api.OutsideJS{Action: "fixed", Amps: 8}}
	if g, w := mustJSON(got), mustJSON(want); g != w {
		t.Fatalf("got %s\nwant %s", g, w)
	}
	sc := e.b.Settings().Policy.Schedule
	if !sc.Days[time.Saturday] || !sc.Days[time.Sunday] || sc.Days[time.Monday] || sc.StartMinute != 23*60+30 || sc.EndMinute != 5*60+15 {
		t.Errorf("settings %+v", sc)
	}
}

func mustJSON(v any) string {
	j, _ := json.Marshal(v)
	return string(j)
}

// Every kind of bad input is a 400 naming the field, and changes nothing.
func TestBadInput(t *testing.T) {
	e := start(t)
	cases := []struct{ method, path, body, field string }{
		{"PUT", "/api/v1/mode", `{"mode": "turbo"}`, "mode"},
		{"PUT", "/api/v1/mode", `{"mode": 3}`, "mode"},
		{"PUT", "/api/v1/mode", `{}`, "mode"},
		{"PUT", "/api/v1/mode", `{"mode": "off", "extra": 1}`, "extra"},
		{"PUT", "/api/v1/mode", `{"mode": "off"`, ""},
		{"PUT", "/api/v1/mode", ``, ""},
		{"POST", "/api/v1/charge-now", `{"amps": 500}`, "amps"},
		{"POST", "/api/v1/charge-now", `{"amps": 2}`, "amps"},
		{"POST", "/api/v1/charge-now", `{"amps": "16"}`, "amps"},
		{"POST", "/api/v1/charge-now", `{"duration_s": 60}`, "amps"},
		{"POST", "/api/v1/charge-now", `{"amps": 16, "duration_s": -5}`, "duration_s"},
		{"POST", "/api/v1/charge-now", `{"amps": 16, "duration_s": 1.5}`, "duration_s"},
		{"PUT", "/api/v1/schedule", `{"days": ["moon"], "start": "22:00", "end": "06:00", "amps": 16}`, "days"},
		{"PUT", "/api/v1/schedule", `{"days": ["mon"], "start": "25:00", "end": "06:00", "amps": 16}`, "start"},
		{"PUT", "/api/v1/schedule", `{"days": ["mon"], "start": "22:00", "end": "22:00", "amps": 16}`, "policy.schedule.end_minute"},
		{"PUT", "/api/v1/schedule", `{"days": ["mon"], "start": "22:00", "end": "6", "amps": 16}`, "end"},
		{"PUT", "/api/v1/schedule", `{"days": ["mon"], "start": "22:00", "end": "06:00", "amps": 99}`, "policy.schedule.amps"},
		{"PUT", "/api/v1/schedule", `{"days": ["mon"], "start": "22:00", "end": "06:00", "amps": 16, "non_scheduled": {"action": "maybe"}}`, "policy.non_scheduled.action"},
		{"POST", "/api/v1/evcc/enable", `{"enable": "yes"}`, "enable"},
		{"POST", "/api/v1/evcc/maxcurrent", `{"amps": 0}`, "amps"},
		{"GET", "/api/v1/sessions?from=yesterday", ``, "from"},
		{"GET", "/api/v1/history?step=second", ``, "step"},
		{"GET", "/api/v1/history?from=2026-01-01&to=2025-01-01", ``, "to"},
		{"GET", "/api/v1/history?from=2000-01-01&step=minute", ``, "step"},
	}
	before := settingsJSON(t, e.b)
	for _, c := range cases {
		code, body := e.do(t, c.method, c.path, e.auth, c.body)
		got := decodeInto[api.Error](t, body)
		if code != http.StatusBadRequest || got.Field != c.field || got.Error == "" {
			t.Errorf("%s %s %s: %d %s (want field %q)", c.method, c.path, c.body, code, body, c.field)
		}
	}
	if after := settingsJSON(t, e.b); after != before {
		t.Fatalf("bad input changed the settings:\n%s\n%s", before, after)
	}
}

// The car connection's state: none configured by default, and it says so.
func TestCar(t *testing.T) {
	e := start(t)
	code, body := e.do(t, "GET", "/api/v1/car", "", "")
	m := decodeInto[map[string]any](t, body)
	if code != 200 || m["connection"] != "" || m["usage"] == nil {
		t.Fatalf("%d %s", code, body)
	}
}

func TestSessionsAndHistory(t *testing.T) {
	e := start(t)
	// A session of the car plugged into 1839, charging now.
	if _, body := e.do(t, "POST", "/api/v1/charge-now", e.auth, `{"amps": 16}`); !strings.Contains(body, `"now"`) {
		t.Fatal(body)
	}
	var ss []api.Session
	eventually(t, "a session at 1839", func() bool {
		code, body := e.do(t, "GET", "/api/v1/sessions", "", "")
		if code != 200 {
			t.Fatalf("sessions: %d %s", code, body)
		}
		ss = decodeInto[[]api.Session](t, body)
		return len(ss) > 0
	})
	if ss[0].Charger != "1839" || ss[0].VIN == "" {
		t.Errorf("session %+v", ss[0])
	}
	for _, step := range []string{"minute", "quarter", "day", "month"} {
		code, body := e.do(t, "GET", "/api/v1/history?step="+step+"&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z", "", "")
		if code != 200 || !strings.HasPrefix(body, "[") {
			t.Errorf("history %s: %d %s", step, code, body)
		}
	}
}

// docs/evcc.yaml works as evcc runs it: every plugin's request, with the
// token pasted in, gets the value its jq expects.
func TestEVCCExample(t *testing.T) {
	e := start(t)
	raw, err := os.ReadFile("../../docs/evcc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Chargers []map[string]any `yaml:"chargers"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Chargers) != 1 || doc.Chargers[0]["type"] != "custom" {
		t.Fatalf("chargers: %+v", doc.Chargers)
	}
	ch := doc.Chargers[0]
	token := strings.TrimPrefix(e.auth, "Bearer ")
	run := func(key string, vars map[string]string) any {
		t.Helper()
		p, ok := ch[key].(map[string]any)
		if !ok || p["source"] != "http" {
			t.Fatalf("%s: %+v", key, ch[key])
		}
		uri := strings.Replace(p["uri"].(string), "http://twcmanager.local", e.url, 1)
		method, _ := p["method"].(string)
		if method == "" {
			method = "GET"
		}
		body, _ := p["body"].(string)
		for k, v := range vars {
			body = strings.ReplaceAll(body, "${"+k+"}", v)
		}
		req, _ := http.NewRequest(method, uri, strings.NewReader(body))
		hs, _ := p["headers"].([]any)
		for _, h := range hs {
			for k, v := range h.(map[string]any) {
				req.Header.Set(k, strings.ReplaceAll(v.(string), "twc_PASTE_YOUR_TOKEN_HERE", token))
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", key, resp.StatusCode, out)
		}
		jq, _ := p["jq"].(string)
		if jq == "" {
			return nil
		}
		if !regexp.MustCompile(`^\.[a-z_]+$`).MatchString(jq) {
			t.Fatalf("%s: jq %q is more than a field", key, jq)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		v, ok := m[jq[1:]]
		if !ok {
			t.Fatalf("%s: %s has no %s", key, out, jq)
		}
		return v
	}
	if s := run("status", nil); s != "A" && s != "B" && s != "C" {
		t.Errorf("status %v", s)
	}
	if en := run("enabled", nil); en != false {
		t.Errorf("enabled in solar mode: %v", en)
	}
	run("maxcurrent", map[string]string{"maxcurrent": "16"})
	run("enable", map[string]string{"enable": "true"})
	if en := run("enabled", nil); en != true {
		t.Errorf("enabled after enable: %v", en)
	}
	if p := e.b.Settings().Policy; p.Mode != config.ModeNow || p.ChargeNow.Amps != 16 {
		t.Errorf("policy %+v", p)
	}
	eventually(t, "the car charging at 16 A", func() bool { return run("status", nil) == "C" })
	if w, _ := run("power", nil).(float64); w <= 0 {
		t.Errorf("power %v while charging", w)
	}
	if kwh, _ := run("energy", nil).(float64); kwh < 1843 {
		t.Errorf("energy %v", kwh)
	}
	run("enable", map[string]string{"enable": "false"})
	if p := e.b.Settings().Policy; p.Mode != config.ModeOff {
		t.Errorf("after disable: %+v", p.Mode)
	}
}

// No answer of the native API contains a secret: the car connection's
// tokens and keys, the MQTT password, the API token and its hash.
func TestNoSecretInAnswers(t *testing.T) {
	e := start(t)
	secrets := map[string]string{
		config.TeslaTokens:        `{"access": "SECRET-access-eyJ", "refresh": "SECRET-refresh-NA", "expiry": "2030-01-01T00:00:00Z"}`,
		config.TeslaClientSecret:  "SECRET-client-secret",
		config.TeslaProxyToken:    "SECRET-proxy-token",
		config.MQTTPasswordSecret: "SECRET-mqtt-password",
	}
	for name, v := range secrets {
		if err := e.b.SetSecret(name, secret.New(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := api.Change(e.b, func(s *config.Settings) error {
		s.Vehicle.Connection, s.Vehicle.ProxyURL = config.CarProxy, "https://127.0.0.1:9"
		s.MQTT.Username = "twc"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	hash, _ := e.b.Secret(api.TokenSecret)
	scan := []string{"SECRET-", strings.TrimPrefix(e.auth, "Bearer "), hash.Reveal()}
	for _, path := range []string{"/api/v1/state", "/api/v1/chargers", "/api/v1/chargers/1839", "/api/v1/mode", "/api/v1/schedule",
		"/api/v1/sessions", "/api/v1/history", "/api/v1/car", "/api/v1/evcc"} {
		_, body := e.do(t, "GET", path, "", "")
		for _, s := range scan {
			if strings.Contains(body, s) {
				t.Errorf("%s shows a secret (%.10s…)", path, s)
			}
		}
	}
}
