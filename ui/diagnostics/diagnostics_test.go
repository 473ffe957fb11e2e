package diagnostics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/ui"
	"github.com/twcmanager/twcmanager/ui/dashboard"
	"github.com/twcmanager/twcmanager/ui/diagnostics"
	historyui "github.com/twcmanager/twcmanager/ui/history"
	"github.com/twcmanager/twcmanager/ui/uitest"
	"github.com/twcmanager/twcmanager/ui/web"
)

func start(t *testing.T, features ...ui.Feature) *uitest.Env {
	t.Helper()
	if features == nil {
		features = []ui.Feature{dashboard.Register, historyui.Register, diagnostics.Register}
	}
	env := uitest.Start(t, features...)
	env.Setup(t)
	env.Login(t)
	return env
}

// sent reports whether the bus master sent a frame with code op after t,
// to charger id unless id is 0.
func sent(t *testing.T, env *uitest.Env, op twc.Code, id twc.ID, after time.Time) bool {
	t.Helper()
	fs, err := env.App.Web().Frames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Dir != bus.Tx || twc.CodeOf(f.Body) != op || !f.At.After(after) || len(f.Body) < 6 {
			continue
		}
		if id == 0 || twc.ID(f.Body[4])<<8|twc.ID(f.Body[5]) == id {
			return true
		}
	}
	return false
}

var heartbeatsRE = regexp.MustCompile(`Heartbeats sent\s*<small class="help">[^<]*</small></th><td class="num">(\d+)</td>`)

func TestDiagnosticsShowsTheBus(t *testing.T) {
	env := start(t)
	var body string
	uitest.Eventually(t, 10*time.Second, func() string {
		var code int
		code, body = env.Get(t, "/diagnostics")
		if code != http.StatusOK {
			return fmt.Sprintf("GET /diagnostics: %d", code)
		}
		// Both chargers have linked and told their firmware.
		for _, w := range []string{"Charger 1839", "Charger 4580", "4.5.3.2", "A18G0001839", "charger heartbeat", "FD E0 18 39"} {
			if !strings.Contains(body, w) {
				return fmt.Sprintf("the page lacks %q", w)
			}
		}
		return ""
	})
	c := env.App.Web().Snapshot().Counters
	for _, w := range []string{
		"The RS-485 adapter is open.", "Checksum errors", "A and B not swapped", "Heartbeats sent", "Reconnects",
		"Messages from another master", "rotary switch to F",
		// Frames decoded: direction, kind, fields, bytes.
		"<td>out</td><td>master heartbeat</td><td class=\"fields\">Master:7777 Slave:1839 Command:set-limit-v2",
		"<td>in</td><td>charger heartbeat</td>", "FB E0 77 77 18 39",
		// Status of the energy sources and the history.
		"The energy sources answer.", "Latest reading at", "History is being recorded.",
		// The query form offers the safe queries only.
		`<option value="FBEB">meter (lifetime energy, voltages) (FB EB)</option>`, `<option value="1839">Charger 1839</option>`,
	} {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
	m := heartbeatsRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no heartbeat counter")
	}
	if n, _ := strconv.ParseUint(m[1], 10, 64); n == 0 || n > c.HeartbeatsSent {
		t.Errorf("the page counts %d heartbeats sent, the bus master %d", n, c.HeartbeatsSent)
	}
	for _, never := range []string{`value="FC19"`, `value="FC1A"`, `value="FBE8"`, "FCB2"} {
		if strings.Contains(body, never) {
			t.Errorf("the query form offers %s", never)
		}
	}
	if n := strings.Count(body, "<option value=\"FB"); n != len(bus.SafeQueries) {
		t.Errorf("%d queries offered, want the %d safe ones", n, len(bus.SafeQueries))
	}
}

func TestSafeQuery(t *testing.T) {
	env := start(t)
	uitest.Eventually(t, 10*time.Second, func() string {
		if len(env.App.Web().Snapshot().Chargers) < 2 {
			return "the chargers have not linked"
		}
		return ""
	})
	env.Get(t, "/diagnostics")
	before := time.Now()
	resp, err := env.Client.PostForm(env.Server.URL+"/diagnostics/query", url.Values{"charger": {"4580"}, "query": {"FBB4"}, "csrf": {env.CSRF()}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/diagnostics?asked=4580-FBB4#query" {
		t.Fatalf("query: %d → %q", resp.StatusCode, loc)
	}
	uitest.Eventually(t, 5*time.Second, func() string {
		if !sent(t, env, twc.CodePlugQuery, 0x4580, before) {
			return "no plug query went to 4580"
		}
		return ""
	})
	code, body := env.Get(t, "/diagnostics?asked=4580-FBB4")
	if code != http.StatusOK || !strings.Contains(body, "Sent the plug state query to charger 4580.") {
		t.Errorf("no confirmation: %d", code)
	}
	// A forged confirmation for an unsafe code is not echoed.
	if _, body := env.Get(t, "/diagnostics?asked=4580-FC19"); strings.Contains(body, "Sent the") {
		t.Error("an unsafe code was confirmed")
	}
}

func TestQueryFormErrors(t *testing.T) {
	env := start(t)
	uitest.Eventually(t, 10*time.Second, func() string {
		if len(env.App.Web().Snapshot().Chargers) < 2 {
			return "the chargers have not linked"
		}
		return ""
	})
	allowedQueries := "allowed: FBEB: meter (lifetime energy, voltages); FBEC: firmware version; FBED: serial number; FBEE: VIN; " +
		"FBB4: plug state; FB1B: firmware (older chargers, one charger on the bus only); FB1A: model (one charger on the bus only)."
	cases := []struct {
		name string
		form url.Values
		want []string
	}{
		{"FC 19 is not safe", url.Values{"charger": {"1839"}, "query": {"FC19"}},
			[]string{"Query: &#34;FC19&#34; is not one of the read-only queries; " + allowedQueries}},
		{"FC 19 written as hex", url.Values{"charger": {"1839"}, "query": {"0xFC19"}},
			[]string{"Query: &#34;0xFC19&#34; is not one of the read-only queries"}},
		{"a heartbeat is not a query", url.Values{"charger": {"1839"}, "query": {"FBE0"}},
			[]string{"Query: &#34;FBE0&#34; is not one of the read-only queries"}},
		{"not a code", url.Values{"charger": {"1839"}, "query": {"meter"}},
			[]string{"Query: &#34;meter&#34; is not one of the read-only queries"}},
		{"unknown charger", url.Values{"charger": {"9999"}, "query": {"FBEC"}},
			[]string{"Charger: &#34;9999&#34; is not a charger on the bus; allowed: 1839, 4580."}},
		{"not an ID", url.Values{"charger": {"garage"}, "query": {"FBEC"}},
			[]string{"Charger: &#34;garage&#34; is not a charger on the bus; allowed: 1839, 4580."}},
		{"both wrong", url.Values{"query": {"FC1A"}},
			[]string{"Charger: &#34;&#34; is not a charger on the bus", "Query: &#34;FC1A&#34; is not one of the read-only queries"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env.Get(t, "/diagnostics")
			before := time.Now()
			code, body := env.Post(t, "/diagnostics/query", c.form)
			if code != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", code)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("the answer lacks %q", w)
				}
			}
			if strings.Contains(c.want[len(c.want)-1], "Query:") && !strings.Contains(body, allowedQueries) {
				t.Error("the allowed queries are not listed")
			}
			if !strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, `role="alert"`) {
				t.Error("the field is not marked")
			}
			// The dangerous codes never reach the bus.
			if op := twc.Code(0); strings.Contains(c.form.Get("query"), "FC1") {
				if _, err := fmt.Sscanf(strings.TrimPrefix(c.form.Get("query"), "0x"), "%X", &op); err != nil {
					t.Fatal(err)
				}
				time.Sleep(1500 * time.Millisecond)
				if sent(t, env, op, 0, before) {
					t.Errorf("%s was sent although refused", c.form.Get("query"))
				}
			}
		})
	}
}

// busyBus is an App whose bus refuses queries.
type busyBus struct {
	web.App
	err error
}

func (b busyBus) Query(context.Context, uint16, uint16) error { return b.err }

func TestQueryRefusedByTheBus(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
		want string
	}{
		{errors.New("bus: no charger 1839 on the bus"), http.StatusServiceUnavailable, "The query could not be sent: bus: no charger 1839 on the bus"},
		{bus.ErrUnsafe, http.StatusUnprocessableEntity, "Query: &#34;FBEC&#34; is not one of the read-only queries"},
	} {
		env := start(t, func(mux *http.ServeMux, d web.Deps) {
			d.App = busyBus{d.App, c.err}
			diagnostics.Register(mux, d)
		})
		uitest.Eventually(t, 10*time.Second, func() string {
			if len(env.App.Web().Snapshot().Chargers) < 2 {
				return "the chargers have not linked"
			}
			return ""
		})
		env.Get(t, "/diagnostics")
		code, body := env.Post(t, "/diagnostics/query", url.Values{"charger": {"1839"}, "query": {"FBEC"}})
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%v: %d, want %d and %q", c.err, code, c.code, c.want)
		}
	}
}

func TestFramesShownOnAPhoneAndAll(t *testing.T) {
	env := start(t)
	uitest.Eventually(t, 20*time.Second, func() string {
		fs, err := env.App.Web().Frames(context.Background())
		if err != nil || len(fs) <= 45 {
			return fmt.Sprintf("only %d frames on the bus (%v)", len(fs), err)
		}
		return ""
	})
	rows := func(body string) int {
		i := strings.Index(body, `data-testid="frames"`)
		if i < 0 {
			t.Fatal("no frame table")
		}
		return strings.Count(body[i:], "<tr") - 1 // the header row
	}
	_, body := env.Get(t, "/diagnostics")
	if n := rows(body); n != 40 || !strings.Contains(body, "The 40 latest are shown") {
		t.Errorf("%d frames shown by default, want the 40 latest", n)
	}
	_, body = env.Get(t, "/diagnostics?frames=all")
	if n := rows(body); n <= 45 || strings.Contains(body, "latest are shown") {
		t.Errorf("%d frames shown when all were asked for", n)
	}
}
