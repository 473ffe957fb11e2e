package dashboard_test

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/ui/dashboard"
	"github.com/twcmanager/twcmanager/ui/uitest"
	"github.com/twcmanager/twcmanager/ui/web"
)

// event is one server-sent event.
type event struct{ name, data string }

// readEvents collects events from a stream until stop says enough or the
// stream ends.
func readEvents(t *testing.T, resp *http.Response, stop func([]event) bool) []event {
	t.Helper()
	var evs []event
	var cur event
	var data []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.name != "" {
				cur.data = strings.Join(data, "\n")
				evs = append(evs, cur)
				if stop(evs) {
					return evs
				}
			}
			cur, data = event{}, nil
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		case strings.HasPrefix(line, "retry: "):
		default:
			t.Errorf("a line that is not a field of an event: %q", line)
		}
	}
	return evs
}

func TestEventsStreamTheChargers(t *testing.T) {
	env := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp := openEvents(t, ctx, env.Client, env.Server.URL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /events: %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q", cc)
	}
	evs := readEvents(t, resp, func(evs []event) bool {
		seen, both := map[string]bool{}, false
		for _, e := range evs {
			seen[e.name] = true
			if e.name == "chargers" {
				both = len(offered(e.data)) == 2
			}
		}
		return len(seen) == 5 && both
	})
	var chargers string
	names := map[string]bool{}
	for _, e := range evs {
		names[e.name] = true
		if e.name == "chargers" {
			chargers = e.data
		}
	}
	got := offered(chargers)
	if _, ok := got["1839"]; !ok {
		t.Fatalf("no chargers event with both chargers within 5 s; events: %v\n%s", names, chargers)
	}
	if _, ok := got["4580"]; !ok {
		t.Fatalf("the chargers event lacks 4580:\n%s", chargers)
	}
	// The first round carries every section.
	for _, n := range []string{"chargers", "flow", "mode", "why", "faults"} {
		if !names[n] {
			t.Errorf("no %q event in the first round", n)
		}
	}
	if !strings.Contains(chargers, `<article class="card charger" data-charger="1839">`) || strings.Contains(chargers, "<html") {
		t.Errorf("the chargers event is not the section's fragment:\n%s", chargers)
	}
}

func TestEventsFollowAModeChange(t *testing.T) {
	env := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	resp := openEvents(t, ctx, env.Client, env.Server.URL)
	first := true
	evs := readEvents(t, resp, func(evs []event) bool {
		e := evs[len(evs)-1]
		if first && e.name == "mode" {
			first = false
			env.Get(t, "/")
			env.Post(t, "/mode", nil) // refused: no mode; must not count
			env.Post(t, "/mode", map[string][]string{"mode": {"off"}})
			return false
		}
		return e.name == "mode" && strings.Contains(e.data, "Off: no car charges.")
	})
	if last := evs[len(evs)-1]; last.name != "mode" || !strings.Contains(last.data, `value="off" title="Do not charge" aria-pressed="true"`) {
		t.Fatalf("no mode event after switching to Off; last event %q:\n%s", last.name, last.data)
	}
}

func TestEventsEndWithTheRequest(t *testing.T) {
	env := uitest.Start(t)
	h := dashboard.EventsHandler(web.Deps{App: env.App.Web(), Log: slog.New(slog.DiscardHandler)}, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h(rec, httptest.NewRequest(http.MethodGet, "/events", nil).WithContext(ctx))
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("the event stream went on after its request ended")
	}
	if !strings.Contains(rec.Body.String(), "event: chargers\ndata: ") {
		t.Errorf("nothing streamed:\n%s", rec.Body.String())
	}
}

func TestWriteEventSplitsLines(t *testing.T) {
	var b strings.Builder
	if err := dashboard.WriteEvent(&b, "why", "<p>one\ntwo</p>\r\n<p>three</p>"); err != nil {
		t.Fatal(err)
	}
	want := "event: why\ndata: <p>one\ndata: two</p>\ndata: <p>three</p>\n\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
