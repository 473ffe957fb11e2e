package compat_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// The debug command sends read-only queries only. The codes that write a
// charger's flash (FC 19, FC 1A) or crash it (FB E8), commands that act
// (FC B2 stop, a link-ready) and unknown codes are refused with the reason
// and never reach the bus; a safe query's reply shows in getLastTWCResponse.
func TestDebugCommands(t *testing.T) {
	t.Parallel()
	e := start(t)

	lastResponse := func() string {
		t.Helper()
		r := e.get(t, "/api/getLastTWCResponse")
		if r.status != http.StatusOK || !strings.HasPrefix(r.ctype, "text/plain") {
			t.Fatalf("getLastTWCResponse: %d %q %s", r.status, r.ctype, r.body)
		}
		return r.body
	}
	if got := lastResponse(); got != "" {
		t.Fatalf("before any command: %q", got)
	}

	for _, c := range []struct{ body, reply string }{
		{`{"commandName": "Custom", "customCommand": "FBEC"}`, "FD EC 18 39 04 05 03"},
		{`{"commandName": "Custom", "customCommand": "fb eb"}`, "FD EB 18 39"},
		// FB 1B and FB 19 carry no addresses, so both chargers would
		// answer at once; the addressed queries ask the same.
		{`{"commandName": "GetFirmwareVersion"}`, "FD EC 18 39 04 05 03"},
		{`{"commandName": "FB19"}`, "FD ED 18 39"},
	} {
		if r := e.post(t, "/api/sendDebugCommand", c.body); r.status != http.StatusNoContent {
			t.Fatalf("%s: %d %s", c.body, r.status, r.body)
		}
		eventually(t, "the reply "+c.reply+" to "+c.body, func() bool { return strings.HasPrefix(lastResponse(), c.reply) })
	}
	// The model query has no addressed form: it is sent, and with two
	// chargers answering together no valid reply comes back.
	if r := e.post(t, "/api/sendDebugCommand", `{"commandName": "FB1A"}`); r.status != http.StatusNoContent {
		t.Fatalf("FB1A: %d %s", r.status, r.body)
	}
	eventually(t, "FB 1A sent", func() bool {
		frames, err := e.b.Frames(context.Background())
		return err == nil && slices.ContainsFunc(frames, func(f bus.Frame) bool { return f.Dir == bus.Tx && twc.CodeOf(f.Body) == twc.CodeModelQuery })
	})
	time.Sleep(500 * time.Millisecond)
	if got := lastResponse(); got != "" {
		t.Errorf("after FB 1A on a bus of two: %q, want no reply yet", got)
	}

	refused := []struct{ body, field, why string }{
		{`{"commandName": "Custom", "customCommand": "FC19"}`, "customCommand", "flash"},
		{`{"commandName": "Custom", "customCommand": "fc1a"}`, "customCommand", "flash"},
		{`{"commandName": "Custom", "customCommand": "FBE8"}`, "customCommand", "crashes"},
		{`{"commandName": "Custom", "customCommand": "FC 19 18 39 00 00"}`, "customCommand", "flash"},
		{`{"commandName": "FC19"}`, "commandName", "flash"},
		{`{"commandName": "Custom", "customCommand": "FCB2"}`, "customCommand", "read-only"},
		{`{"commandName": "Custom", "customCommand": "FB99"}`, "customCommand", "read-only"},
		{`{"commandName": "FCE1777766"}`, "commandName", "read-only"},
		{`{"commandName": "Custom", "customCommand": "FBEB0000"}`, "customCommand", "two command bytes"},
	}
	for _, c := range refused {
		before := e.settingsJSON(t)
		r := e.post(t, "/api/sendDebugCommand", c.body)
		var body api.Error
		if r.status != http.StatusBadRequest || json.Unmarshal([]byte(r.body), &body) != nil || body.Field != c.field || !strings.Contains(body.Error, c.why) {
			t.Errorf("%s: %d %s, want 400 naming %s and why (%q)", c.body, r.status, r.body, c.field, c.why)
		}
		if e.settingsJSON(t) != before {
			t.Errorf("%s changed the settings", c.body)
		}
	}
	// As in TWCManager, the last response says the command was blocked.
	if got := lastResponse(); !strings.HasPrefix(got, "Command blocked") {
		t.Errorf("after a refused command: %q", got)
	}

	frames, err := e.b.Frames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sent := map[twc.Code]bool{}
	for _, f := range frames {
		if f.Dir == bus.Tx {
			sent[twc.CodeOf(f.Body)] = true
		}
	}
	for _, c := range []twc.Code{0xFC19, 0xFC1A, 0xFBE8, 0xFB99, twc.CodeStopCharging} {
		if sent[c] {
			t.Errorf("%s was sent on the bus", c)
		}
	}
	if !sent[twc.CodeFirmwareQuery] || !sent[twc.CodeMeterQuery] || !sent[twc.CodeSerialQuery] {
		t.Errorf("the safe queries were not sent: %v", sent)
	}
}
