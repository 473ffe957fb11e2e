package diagnostics

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/ui/web"
)

// Register adds the diagnostics page and its query form.
func Register(mux *http.ServeMux, d web.Deps) {
	h := &handler{d: d, now: time.Now}
	mux.HandleFunc("GET /diagnostics", h.page)
	mux.HandleFunc("POST /diagnostics/query", h.query)
	mux.HandleFunc("POST /diagnostics/capture", h.captureStart)
	mux.HandleFunc("POST /diagnostics/capture/stop", h.captureStop)
	mux.HandleFunc("GET /diagnostics/capture/file", h.captureFile)
}

type handler struct {
	d   web.Deps
	now func() time.Time
}

// How long the page waits for the bus to hand over its frames, and for a
// query to be queued.
const busWait = 3 * time.Second

// view is the diagnostics page.
type view struct {
	Session   *web.Session
	Connected bool
	// Monitor is listen-only mode; Master is the master charger heard.
	Monitor   bool
	Master    string
	Faults    []string
	Counters  []counter
	Frames    []frameRow
	FramesErr string
	// MoreFrames are the older frames not shown, of TotalFrames.
	MoreFrames, TotalFrames int
	Chargers                []chargerInfo
	Energy                  []string
	EnergyBad               bool
	History                 []string
	HistBad                 bool
	Form                    queryForm
	Capture                 captureView
}

// queryForm is the safe-query form with what the user chose.
type queryForm struct {
	Chargers []option
	Queries  []option
	Charger  string
	Query    string
	Errors   queryErrors
	Done     string // what was sent
}

type queryErrors struct {
	Charger, Query, Other string
}

func (e queryErrors) any() bool { return e.Charger != "" || e.Query != "" || e.Other != "" }

type option struct {
	Value, Label string
}

// chargerInfo is what a charger told about itself.
type chargerInfo struct {
	ID    string
	Facts []fact
}

type fact struct{ Name, Value string }

// shownFrames is how many frames the page shows unless asked for all: a
// phone need not scroll through two hundred.
const shownFrames = 40

func (h *handler) build(r *http.Request, f queryForm) view {
	app := h.d.App
	now := h.now()
	snap := app.Snapshot()
	v := view{Session: web.SessionOf(r), Connected: snap.Connected, Monitor: snap.Monitor, Counters: counters(snap.Counters, snap.Monitor)}
	if snap.Master != 0 {
		v.Master = snap.Master.String()
	}
	for _, fl := range snap.Faults {
		v.Faults = append(v.Faults, fl.Sentence)
	}
	slices.Sort(v.Faults)
	ctx, cancel := context.WithTimeout(r.Context(), busWait)
	defer cancel()
	if fs, err := app.Frames(ctx); err != nil {
		v.FramesErr = "The bus log could not be read: " + err.Error()
	} else {
		v.Frames, v.TotalFrames = frameRows(fs), len(fs)
		if r.URL.Query().Get("frames") != "all" && len(v.Frames) > shownFrames {
			v.Frames, v.MoreFrames = v.Frames[:shownFrames], len(v.Frames)-shownFrames
		}
	}
	for _, c := range sortedChargers(snap) {
		v.Chargers = append(v.Chargers, chargerFacts(c, now))
	}
	v.Energy, v.EnergyBad = energyStatus(app.Energy())
	v.History, v.HistBad = historyStatus(app)
	f.Chargers, f.Queries = chargerOptions(snap), queryOptions()
	v.Form = f
	v.Capture = h.captureView(ctx, "")
	v.Capture.Done = captureNotice(r)
	return v
}

func sortedChargers(snap bus.Snapshot) []bus.ChargerState {
	cs := slices.Clone(snap.Chargers)
	slices.SortFunc(cs, func(a, b bus.ChargerState) int { return cmp.Compare(a.ID, b.ID) })
	return cs
}

func chargerOptions(snap bus.Snapshot) []option {
	var out []option
	for _, c := range sortedChargers(snap) {
		out = append(out, option{c.ID.String(), "Charger " + c.ID.String()})
	}
	return out
}

// queryOrder lists the common questions first, those for older chargers
// last.
var queryOrder = []twc.Code{twc.CodeMeterQuery, twc.CodeFirmwareQuery, twc.CodeSerialQuery, twc.CodeVIN1Query,
	twc.CodePlugQuery, twc.CodeLegacyFirmwareQuery, twc.CodeModelQuery}

// safeCodes are the safe queries, in queryOrder and then by code.
func safeCodes() []twc.Code {
	cs := make([]twc.Code, 0, len(bus.SafeQueries))
	for c := range bus.SafeQueries {
		cs = append(cs, c)
	}
	rank := func(c twc.Code) int {
		if i := slices.Index(queryOrder, c); i >= 0 {
			return i
		}
		return len(queryOrder)
	}
	slices.SortFunc(cs, func(a, b twc.Code) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b)) })
	return cs
}

func queryOptions() []option {
	var out []option
	for _, c := range safeCodes() {
		out = append(out, option{hexCode(c), fmt.Sprintf("%s (%s)", bus.SafeQueries[c], c)})
	}
	return out
}

func hexCode(c twc.Code) string { return fmt.Sprintf("%04X", uint16(c)) }

func chargerFacts(c bus.ChargerState, now time.Time) chargerInfo {
	in := c.Info
	or := func(s string) string {
		if s == "" {
			return "not known yet"
		}
		return s
	}
	plug := "not asked"
	if in.PlugKnown {
		plug = map[byte]string{0: "no car", 1: "charging", 3: "car plugged in, not charging"}[in.Plug]
		if plug == "" {
			plug = fmt.Sprintf("code %02X", in.Plug)
		}
	}
	meter := "no answer yet"
	if !in.MeterAt.IsZero() {
		meter = fmt.Sprintf("%.0f kWh; %v / %v / %v; %v / %v / %v (%s)", in.LifetimeKWh,
			in.Volts[0], in.Volts[1], in.Volts[2], in.PhaseAmps[0], in.PhaseAmps[1], in.PhaseAmps[2], sinceWords(now, in.MeterAt))
	}
	if in.MeterAnomalies > 0 {
		meter += fmt.Sprintf("; %d implausible readings ignored", in.MeterAnomalies)
	}
	return chargerInfo{ID: c.ID.String(), Facts: []fact{
		{"State", c.State.String()},
		{"Protocol", strconv.Itoa(int(c.Protocol))},
		{"Firmware", or(in.Firmware)},
		{"Serial number", or(in.Serial)},
		{"Model", or(in.Model)},
		{"Car (VIN)", or(in.VIN)},
		{"Plug", plug},
		{"Meter", meter},
		{"Current", fmt.Sprintf("offered %v, charger applies %v, car draws %v", c.Offered, c.Reported, c.Actual)},
		{"Limits", fmt.Sprintf("charger maximum %v, wiring limit %v, minimum %v", c.Advertised, c.Limit, c.MinAmps)},
		{"Stop method in force", c.Stop.String()},
		{"Linked", sinceWords(now, c.LinkedAt)},
		{"Last heard", sinceWords(now, c.LastSeen)},
		{"Longest heartbeat gap", c.MaxHeartbeatGap.Round(time.Millisecond).String()},
	}}
}

func energyStatus(e web.EnergyView) ([]string, bool) {
	var out []string
	if e.Problem != "" {
		out = append(out, sentence(e.Problem))
	}
	var vals []string
	add := func(has bool, name string, w float64) {
		if has {
			vals = append(vals, fmt.Sprintf("%s %.0f W", name, w))
		}
	}
	add(e.HasGeneration, "solar", e.Generation)
	add(e.HasConsumption, "house", e.Consumption)
	add(e.HasGrid, "grid", e.Grid)
	add(e.HasBattery, "battery", e.Battery)
	if len(vals) > 0 {
		out = append(out, "Latest reading at "+e.At.Local().Format("15:04:05")+": "+strings.Join(vals, ", ")+".")
	} else if e.Problem == "" {
		out = append(out, "No reading yet.")
	}
	if e.Problem == "" {
		out = append([]string{"The energy sources answer."}, out...)
	}
	return out, e.Problem != ""
}

func historyStatus(app web.App) ([]string, bool) {
	st := app.HistoryStatus()
	var out []string
	if st.Problem != "" {
		out = append(out, sentence(st.Problem))
	} else {
		out = append(out, "History is being recorded.")
	}
	if app.History() == nil {
		return out, true
	}
	if st.ClockGood {
		out = append(out, "The clock is set.")
	} else {
		out = append(out, "The clock is not known to be right yet: power samples are held back until it is.")
	}
	out = append(out, fmt.Sprintf("%s of power waiting to be written (written every ten minutes); %d given up; %s running.",
		plural(st.Pending, "minute"), st.Dropped, plural(st.Open, "session")))
	return out, st.Problem != ""
}

func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	f := queryForm{}
	if id, op, ok := parseAsked(r.URL.Query().Get("asked")); ok {
		f.Done = fmt.Sprintf("Sent the %s query to charger %s. Its answer shows in the charger's details below within a few seconds: reload the page to see it.",
			bus.SafeQueries[op], id)
	}
	web.Render(w, r, http.StatusOK, diagnosticsPage(web.Info(r, "Diagnostics", "diagnostics"), h.build(r, f)))
}

// parseHex reads a charger ID or a message code typed as "1839", "FB EB"
// or "0xFBEB".
func parseHex(s string) (uint16, bool) {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	s = strings.TrimPrefix(s, "0X")
	if len(s) == 0 || len(s) > 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 16, 16)
	return uint16(n), err == nil
}

func parseAsked(s string) (twc.ID, twc.Code, bool) {
	a, b, ok := strings.Cut(s, "-")
	id, ok1 := parseHex(a)
	op, ok2 := parseHex(b)
	if _, safe := bus.SafeQueries[twc.Code(op)]; !ok || !ok1 || !ok2 || !safe {
		return 0, 0, false
	}
	return twc.ID(id), twc.Code(op), true
}

// query sends one safe query. Only the codes of bus.SafeQueries pass, and
// only to a charger on the bus.
func (h *handler) query(w http.ResponseWriter, r *http.Request) {
	f := queryForm{Charger: r.PostFormValue("charger"), Query: r.PostFormValue("query")}
	snap := h.d.App.Snapshot()
	id, idOK := parseHex(f.Charger)
	if _, on := snap.Charger(twc.ID(id)); !idOK || !on {
		f.Errors.Charger = fmt.Sprintf("Charger: %q is not a charger on the bus; allowed: %s.", f.Charger, allowedChargers(snap))
	}
	op, opOK := parseHex(f.Query)
	if _, safe := bus.SafeQueries[twc.Code(op)]; !opOK || !safe {
		f.Errors.Query = fmt.Sprintf("Query: %q is not one of the read-only queries; allowed: %s.", f.Query, allowedQueries())
	}
	status := http.StatusUnprocessableEntity
	if !f.Errors.any() {
		ctx, cancel := context.WithTimeout(r.Context(), busWait)
		err := h.d.App.Query(ctx, id, op)
		cancel()
		switch {
		case err == nil:
			h.d.Log.Info("diagnostics: query sent", "charger", twc.ID(id).String(), "query", twc.Code(op).String())
			http.Redirect(w, r, "/diagnostics?asked="+url.QueryEscape(twc.ID(id).String()+"-"+hexCode(twc.Code(op)))+"#query", http.StatusSeeOther)
			return
		case errors.Is(err, bus.ErrUnsafe):
			f.Errors.Query = fmt.Sprintf("Query: %q is not one of the read-only queries; allowed: %s.", f.Query, allowedQueries())
		default:
			status = http.StatusServiceUnavailable
			f.Errors.Other = "The query could not be sent: " + err.Error()
		}
	}
	web.Render(w, r, status, diagnosticsPage(web.Info(r, "Diagnostics", "diagnostics"), h.build(r, f)))
}

func allowedChargers(snap bus.Snapshot) string {
	var ids []string
	for _, c := range sortedChargers(snap) {
		ids = append(ids, c.ID.String())
	}
	if len(ids) == 0 {
		return "none: no charger is on the bus now"
	}
	return strings.Join(ids, ", ")
}

func allowedQueries() string {
	var qs []string
	for _, c := range safeCodes() {
		qs = append(qs, fmt.Sprintf("%s: %s", hexCode(c), bus.SafeQueries[c]))
	}
	return strings.Join(qs, "; ")
}

func invalid(msg string) string {
	if msg != "" {
		return "true"
	}
	return "false"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
