package compat_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/appliance"
	"github.com/twcmanager/twcmanager/appliance/appliancetest"
	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// env is the real demo appliance (two simulated chargers, 1839 with a car
// plugged in, and a sunny house) serving the TWCManager-compatible API on
// its own port, as on the appliance's 8080.
type env struct {
	a    *appliance.Appliance
	b    api.Backend
	url  string
	auth string // "Bearer <token>"
}

// start runs a demo appliance for the test and waits until both chargers
// are linked and have reported their meters.
func start(t *testing.T) *env {
	t.Helper()
	a := appliancetest.Run(t, appliance.Config{Demo: true, DataDir: t.TempDir(), Settings: appliance.DemoSettings(), CompatListen: "127.0.0.1:0"})
	e := &env{a: a, b: a.API()}
	eventually(t, "the compat API listening", func() bool { return a.CompatAddr() != "" })
	e.url = "http://" + a.CompatAddr()
	eventually(t, "both demo chargers linked with meter readings", func() bool {
		snap := e.b.Snapshot()
		if len(snap.Chargers) != 2 {
			return false
		}
		for _, c := range snap.Chargers {
			if c.Info.LifetimeKWh == 0 {
				return false
			}
		}
		return len(e.b.Decisions(1)) == 1
	})
	tok, err := api.NewToken(e.b)
	if err != nil {
		t.Fatal(err)
	}
	e.auth = "Bearer " + tok
	return e
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: not %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reply is one HTTP answer.
type reply struct {
	status int
	ctype  string
	body   string
}

// do sends a request with an optional Authorization header.
func (e *env) do(t *testing.T, method, path, auth, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return e.readReply(t, resp)
}

// readReply reads and closes an answer.
func (e *env) readReply(t *testing.T, resp *http.Response) reply {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: string(b)}
}

func (e *env) get(t *testing.T, path string) reply { t.Helper(); return e.do(t, "GET", path, "", "") }

// post sends a write with the API token.
func (e *env) post(t *testing.T, path, body string) reply {
	t.Helper()
	return e.do(t, "POST", path, e.auth, body)
}

// getJSON GETs path, checks for a 200 JSON answer and decodes it.
func (e *env) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	r := e.get(t, path)
	if r.status != http.StatusOK || r.ctype != "application/json" {
		t.Fatalf("GET %s: %d %q %s", path, r.status, r.ctype, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, r.body)
	}
}

// settingsJSON is the settings in force, for comparing before and after.
func (e *env) settingsJSON(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(e.b.Settings())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// change edits the settings in force directly, as the web interface would.
func (e *env) change(t *testing.T, fn func(*config.Settings)) {
	t.Helper()
	if err := api.Change(e.b, func(s *config.Settings) error { fn(s); return nil }); err != nil {
		t.Fatal(err)
	}
}

// chargerID parses a 4-hex-digit key of getSlaveTWCs.
func chargerID(t *testing.T, hex string) twc.ID {
	t.Helper()
	n, err := strconv.ParseUint(hex, 16, 16)
	if err != nil {
		t.Fatalf("charger ID %q: %v", hex, err)
	}
	return twc.ID(n)
}
