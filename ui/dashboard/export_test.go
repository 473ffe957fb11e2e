package dashboard

import (
	"net/http"
	"time"

	"github.com/twcmanager/twcmanager/ui/web"
)

// EventsHandler is the event stream with its own tick, for tests.
func EventsHandler(d web.Deps, tick time.Duration) http.HandlerFunc {
	h := &handler{d: d, now: time.Now, tick: tick}
	return h.events
}

var WriteEvent = writeEvent
