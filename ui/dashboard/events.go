package dashboard

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/twcmanager/twcmanager/ui/web"
)

// eventEvery is how often the dashboard's figures are sent.
const eventEvery = 2 * time.Second

// fragment is one section the page swaps in from a named event.
type fragment struct {
	name string
	c    templ.Component
}

func fragments(v view) []fragment {
	return []fragment{
		{"chargers", chargersInner(v.Chargers)},
		{"flow", flowInner(v.Flow)},
		{"mode", modeLive(v.Mode)},
		{"why", whyInner(v.Why)},
		{"faults", faultsInner(v.Faults)},
	}
}

// events streams the dashboard's sections as server-sent events: all of
// them at once, then every eventEvery those that changed, until the
// browser goes or the appliance stops (the server's base context).
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no") // a reverse proxy must not hold events back
	w.WriteHeader(http.StatusOK)
	// A browser that lost the stream tries again after this many ms.
	if _, err := io.WriteString(w, "retry: 5000\n\n"); err != nil {
		return
	}
	ctx := r.Context()
	last := map[string]string{}
	t := time.NewTicker(h.tick)
	defer t.Stop()
	var buf bytes.Buffer
	for {
		for _, f := range fragments(h.build(r, nil, modeErrors{})) {
			buf.Reset()
			if err := f.c.Render(ctx, &buf); err != nil {
				return // the context ended, or a template failed: the browser reconnects
			}
			if prev, sent := last[f.name]; sent && prev == buf.String() {
				continue
			}
			last[f.name] = buf.String()
			if err := writeEvent(w, f.name, last[f.name]); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A visitor let in because the dashboard was public is let go once
		// it no longer is.
		if !web.SessionOf(r).Admin() && !h.d.App.Settings().Web.PublicDashboard {
			return
		}
	}
}

// writeEvent writes one named event; every line of data gets its own
// "data:" field, which the browser joins with newlines again.
func writeEvent(w io.Writer, name, data string) error {
	var b strings.Builder
	b.WriteString("event: ")
	b.WriteString(name)
	b.WriteByte('\n')
	data = strings.ReplaceAll(data, "\r\n", "\n")
	for line := range strings.SplitSeq(strings.ReplaceAll(data, "\r", "\n"), "\n") {
		b.WriteString("data: ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}
