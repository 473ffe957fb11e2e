package mqtt

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/secret"
)

func secretOf(s string) secret.String { return secret.New(s) }

func TestParamsNameFields(t *testing.T) {
	for _, tc := range []struct{ raw, field string }{
		{`{"grid_topic": "a"}`, "broker"},
		{`{"broker": "http://192.168.1.10", "grid_topic": "a"}`, "broker"},
		{`{"broker": "192.168.1.10", "grid_topic": "a"}`, "broker"},
		{`{"broker": "mqtt://h:70000", "grid_topic": "a"}`, "broker"},
		{`{"broker": "mqtt://h/path", "grid_topic": "a"}`, "broker"},
		{`{"broker": "h:1883", "grid_topic": "home/#/grid"}`, "grid_topic"},
		{`{"broker": "h:1883", "grid_topic": "home/gr+d"}`, "grid_topic"},
		{`{"broker": "h:1883", "grid_topic": "home/grid", "grid_path": "a..b"}`, "grid_path"},
		{`{"broker": "h:1883", "grid_topic": "home/grid", "grid_path": "meters[x]"}`, "grid_path"},
		{`{"broker": "h:1883", "pv_topic": "pv", "grid_path": "power"}`, "grid_path"},
		{`{"broker": "h:1883"}`, "grid_topic"},
		{`{"broker": "h:1883", "grid_topic": "g", "unit": "MW"}`, "unit"},
		{`{"broker": "h:1883", "grid_topic": "g", "max_age": 0.5}`, "max_age"},
	} {
		_, _, err := energy.Build(Name, json.RawMessage(tc.raw))
		fe, ok := config.AsErrors(err)
		if !ok || fe.Field(tc.field) == nil {
			t.Errorf("%s: err %v, want one naming %s", tc.raw, err, tc.field)
		}
		if err != nil && !strings.HasPrefix(err.Error(), Name+": ") {
			t.Errorf("%s: error %q does not name the source", tc.raw, err)
		}
	}
	if _, _, err := energy.Build(Name, json.RawMessage(`{"broker": "h:1883", "grid_topik": "g"}`)); err == nil || !strings.Contains(err.Error(), "grid_topik") {
		t.Errorf("typo: %v", err)
	}
}

func TestBrokerForms(t *testing.T) {
	for in, want := range map[string]struct {
		addr string
		tls  bool
	}{
		"mqtt://192.168.1.10":       {"192.168.1.10:1883", false},
		"mqtt://broker.lan:1884/":   {"broker.lan:1884", false},
		"mqtts://broker.example":    {"broker.example:8883", true},
		"mqtts://broker.example:81": {"broker.example:81", true},
		"192.168.1.10:1883":         {"192.168.1.10:1883", false},
		"[fd00::5]:1883":            {"[fd00::5]:1883", false},
	} {
		addr, useTLS, ok := parseBroker(in)
		if !ok || addr != want.addr || useTLS != want.tls {
			t.Errorf("%s: %s %v %v", in, addr, useTLS, ok)
		}
	}
}

func TestPasswordNeverShown(t *testing.T) {
	const pw = "hunter2-pw"
	raw := `{"broker": "mqtt://h:1883", "username": "u", "password": "` + pw + `", "grid_topic": "g"}`
	s, _, err := energy.Build(Name, json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.(*Source).password.Reveal(); got != pw {
		t.Fatalf("password not decoded: %q", got)
	}
	if shown := fmt.Sprintf("%+v", s); strings.Contains(shown, pw) {
		t.Errorf("source shows the password: %s", shown)
	}
	p, err := energy.DecodeParams[Params](Name, json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(p)
	for _, shown := range []string{fmt.Sprintf("%+v", p), fmt.Sprintf("%#v", p), fmt.Sprint(p), string(j)} {
		if strings.Contains(shown, pw) {
			t.Errorf("password shown: %s", shown)
		}
	}
	// Nor in a field error, when the user typed it into the broker address.
	p.Broker = "mqtt://u:" + pw + "@h:1883"
	if err := p.Validate(); err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("broker with credentials: %v", err)
	}
	p.Broker, p.Unit = "mqtt://h:1883", "MW"
	if err := p.Validate(); err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("other field error: %v", err)
	}
}
