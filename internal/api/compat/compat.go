// Package compat serves TWCManager's HTTP API (/api/getStatus, …) from the
// appliance's own state, so that clients written for TWCManager keep working:
// the Home Assistant integration, openWB, MagicMirror modules and scripts.
//
// Handler is the only entry point. Routes, methods, field names and value
// types follow TWCManager, quirks included (getStatus's one-element arrays);
// docs/compat-api.md lists every route and where we differ.
package compat

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// DefaultMaxBody is the largest request body read when Options.MaxBody is 0.
// TWCManager's largest real body (a schedule) is under 400 bytes.
const DefaultMaxBody = 16 << 10

// Options configures the handler.
type Options struct {
	Logger *slog.Logger
	// MaxBody is the largest request body accepted, in bytes; 0 means
	// DefaultMaxBody. Larger bodies are refused with 413.
	MaxBody int64
}

// Handler serves TWCManager's routes under /api/. Reading is open; every POST
// needs the API token unless the settings let TWCManager clients write
// without one (API.CompatOpenWrites), since openWB and the like cannot send
// it. Unknown paths answer 404 with an empty body, as TWCManager does.
func Handler(b api.Backend, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	s := &server{b: b, log: opts.Logger, maxBody: opts.MaxBody, cop: http.NewCrossOriginProtection(), meters: map[twc.ID]float64{}}
	s.routes = map[string]route{
		"/api/getActivePolicyAction": {get: s.getActivePolicyAction},
		"/api/getConfig":             {get: s.getConfig},
		"/api/getConsumptionOffsets": {get: s.getConsumptionOffsets},
		"/api/getHistory":            {get: s.getHistory},
		"/api/getLastTWCResponse":    {get: s.getLastTWCResponse},
		"/api/getPolicy":             {get: s.getPolicy},
		"/api/getSlaveTWCs":          {get: s.getSlaveTWCs},
		"/api/getStatus":             {get: s.getStatus},
		"/api/getUUID":               {get: s.getUUID},

		"/api/addConsumptionOffset":         {post: s.addConsumptionOffset},
		"/api/cancelChargeNow":              {post: s.cancelChargeNow},
		"/api/chargeNow":                    {post: s.chargeNow},
		"/api/checkArrival":                 {post: accepted},
		"/api/checkDeparture":               {post: accepted},
		"/api/deleteConsumptionOffset":      {post: s.deleteConsumptionOffset},
		"/api/saveSettings":                 {post: saveSettings},
		"/api/sendDebugCommand":             {post: s.sendDebugCommand},
		"/api/sendStartCommand":             {post: s.sendStartCommand},
		"/api/sendStopCommand":              {post: s.sendStopCommand},
		"/api/sendTeslaAPICommand":          {post: sendTeslaAPICommand},
		"/api/setConsumptionOffset":         {post: s.setConsumptionOffset},
		"/api/setLatLon":                    {post: s.setLatLon},
		"/api/setPolicy":                    {post: s.setPolicy},
		"/api/setScheduledChargingSettings": {post: s.setScheduledChargingSettings},
		"/api/setSetting":                   {post: s.setSetting},
	}
	return s
}

// Routes lists the paths Handler serves, sorted: the compatibility surface.
func Routes() []string {
	h := Handler(nil, Options{}).(*server)
	out := make([]string, 0, len(h.routes))
	for p := range h.routes {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

type server struct {
	b       api.Backend
	log     *slog.Logger
	maxBody int64
	cop     *http.CrossOriginProtection
	routes  map[string]route

	mu    sync.Mutex // guards debug and meters
	debug debugState
	// meters is each charger's last lifetime counter served, for when it
	// has not reported one since it linked again.
	meters map[twc.ID]float64
}

// route is a GET route (get) or a POST route (post), never both: TWCManager
// answers each path on one method only.
type route struct {
	get  func(w http.ResponseWriter, r *http.Request)
	post func(w http.ResponseWriter, r *http.Request, body []byte) error
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.routes[r.URL.Path]
	if !ok {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if rt.get != nil {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			wrongMethod(w, r, "GET, HEAD")
			return
		}
		rt.get(w, r)
		return
	}
	if r.Method != http.MethodPost {
		wrongMethod(w, r, "POST")
		return
	}
	// With writes open to the local network, a web page on another site
	// must not be able to make the visitor's browser start or stop charging.
	// Non-browser clients send neither Origin nor Sec-Fetch-Site and pass.
	if err := s.cop.Check(r); err != nil {
		api.WriteJSON(w, http.StatusForbidden, api.Error{Error: "compat: cross-origin requests from a browser may not change anything; call the API from the same origin or from a program"})
		return
	}
	if !s.b.Settings().API.CompatOpenWrites {
		if p := api.TokenProblem(s.b, r); p != "" {
			api.Unauthorized(w, p)
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			api.WriteJSON(w, http.StatusRequestEntityTooLarge, api.Error{Error: "compat: the request body is larger than " + sizeText(tooBig.Limit) + "; TWCManager requests are a small JSON object"})
			return
		}
		api.WriteJSON(w, http.StatusBadRequest, api.Error{Error: "compat: read the request body: " + err.Error()})
		return
	}
	if err := rt.post(w, r, body); err != nil {
		s.writeError(w, r, err)
	}
}

// wrongMethod answers a known path asked with the wrong method. TWCManager
// gives 404 there; 405 with Allow tells a person what went wrong, and no
// client depends on the 404.
func wrongMethod(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	api.WriteJSON(w, http.StatusMethodNotAllowed, api.Error{Error: "compat: " + r.URL.Path + " takes " + strings.Split(allow, ",")[0] + ", not " + r.Method})
}

// writeError answers a failed write: a request error with its status, a
// settings error as 400 naming the field, anything else as 500 (logged).
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		api.WriteJSON(w, he.status, api.Error{Error: he.msg, Field: he.field})
		return
	}
	s.log.Error("compat: request failed", "path", r.URL.Path, "err", err)
	api.WriteJSON(w, http.StatusInternalServerError, api.Error{Error: err.Error()})
}

// accepted answers checkArrival and checkDeparture. TWCManager queues a
// geofence check against the Tesla API; there is no car connection to ask,
// so there is nothing to queue, and the client gets TWCManager's 202.
func accepted(w http.ResponseWriter, _ *http.Request, _ []byte) error {
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// saveSettings answers 204: every change is saved when it is made.
func saveSettings(w http.ResponseWriter, _ *http.Request, _ []byte) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sendTeslaAPICommand is TWCManager's raw pass-through to the Tesla API. It
// is not offered: every call to a car is billed, so only the appliance's
// car manager makes them, counted against the monthly budget.
func sendTeslaAPICommand(_ http.ResponseWriter, _ *http.Request, _ []byte) error {
	return &httpError{status: http.StatusBadRequest, msg: "compat: Tesla API commands are not passed through: the appliance starts and stops cars itself through the car connection in Settings → Car, within its monthly budget; use chargeNow, cancelChargeNow or setPolicy to change charging"}
}
