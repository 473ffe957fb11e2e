package historyui

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/ui/web"
)

// notKept is said wherever history would be shown without a database.
const notKept = "History is not kept (no data directory): start twcmanager with a data directory to keep charging sessions and power history."

// Register adds the history page and its CSV downloads.
func Register(mux *http.ServeMux, d web.Deps) {
	h := &handler{d: d, now: time.Now, loc: time.Local}
	mux.HandleFunc("GET /history", h.page)
	mux.HandleFunc("GET /history/sessions.csv", h.sessionsCSV)
	mux.HandleFunc("GET /history/daily.csv", h.dailyCSV)
}

type handler struct {
	d   web.Deps
	now func() time.Time
	loc *time.Location
}

// view is the history page.
type view struct {
	Period    period
	Picker    picker
	Prev      string // query of the previous period
	Next      string // query of the next period, "" when it is in the future
	Current   string // query of the period of today
	NotKept   bool
	Problems  []string
	Chart     *chart
	NoData    string
	Totals    []total
	Sessions  []sessionRow
	Lifetime  lifetime
	Downloads string // query for the CSV links
}

// picker is the period form, with what the user asked for.
type picker struct {
	Kind, Date string
	Error      string
	Kinds      []string
}

type total struct{ Label, Value, Note string }

func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	now := h.now().In(h.loc)
	p, err := parsePeriod(r.URL.Query(), now, h.loc)
	status := http.StatusOK
	v := view{Picker: picker{Kind: r.URL.Query().Get("period"), Date: r.URL.Query().Get("date"), Kinds: periodKinds}}
	if err != nil {
		// Show the default period, and say what was wrong with the request.
		status, v.Picker.Error = http.StatusBadRequest, sentence(err.Error())
		p = newPeriod("month", now)
	}
	if v.Picker.Kind == "" {
		v.Picker.Kind = p.Kind
	}
	if v.Picker.Date == "" {
		v.Picker.Date = p.From.Format(time.DateOnly)
	}
	v.Period, v.Downloads = p, p.Query()
	v.Prev, v.Current = p.shift(-1).Query(), newPeriod(p.Kind, now).Query()
	if next := p.shift(1); !next.From.After(now) {
		v.Next = next.Query()
	}
	h.fill(&v, now)
	web.Render(w, r, status, historyPage(web.Info(r, "History", "history"), v))
}

// fill reads the period's data.
func (h *handler) fill(v *view, now time.Time) {
	st := h.d.App.HistoryStatus()
	db := h.d.App.History()
	if db == nil {
		v.NotKept = true
		return
	}
	if st.Problem != "" {
		v.Problems = append(v.Problems, sentence(st.Problem))
	}
	p := v.Period
	fail := func(what string, err error) {
		h.d.Log.Error("history page: "+what, "err", err)
		v.Problems = append(v.Problems, fmt.Sprintf("The %s could not be read: %v.", what, err))
	}
	days, err := db.Daily(p.From, p.To, h.loc)
	if err != nil {
		fail("daily energy", err)
	}
	v.Totals = totals(days)
	switch {
	case p.Kind == "day":
		qs, err := db.Quarters(p.From, p.To)
		if err != nil {
			fail("power history", err)
		}
		if len(qs) > 0 {
			c := dayChart(qs, p)
			v.Chart = &c
		} else {
			v.NoData = "No power was recorded on this day."
		}
	case charged(days) > 0:
		c := barChart(days, p)
		v.Chart = &c
	default:
		v.NoData = "Nothing was charged in this period."
	}
	ss, err := db.Sessions(p.From, p.To)
	if err != nil {
		fail("sessions", err)
	}
	v.Sessions = sessionRows(ss, now, h.loc)
	lt, err := db.Lifetime()
	if err != nil {
		fail("lifetime totals", err)
	}
	v.Lifetime = newLifetime(lt)
}

func charged(days []history.Day) float64 {
	var s float64
	for _, d := range days {
		s += d.Charged
	}
	return s
}

func totals(days []history.Day) []total {
	var t history.Day
	for _, d := range days {
		t.Charged += d.Charged
		t.Solar += d.Solar
		t.Generation += d.Generation
		t.Consumption += d.Consumption
		t.Import += d.Import
		t.Export += d.Export
	}
	share := "—"
	if t.Charged > 0 {
		share = fmt.Sprintf("%.0f %%", 100*min(t.Solar/t.Charged, 1))
	}
	return []total{
		{"Charged", kWh(t.Charged), "into the cars"},
		{"From the sun", share, kWh(t.Solar) + " of the charged energy"},
		{"Bought", kWh(t.Import), "from the grid, whole house"},
		{"Sold", kWh(t.Export), "to the grid"},
		{"Solar made", kWh(t.Generation), ""},
		{"House used", kWh(t.Consumption), ""},
	}
}

// sessionRow is one session in the table.
type sessionRow struct {
	Start, End, Charger, Car, Energy, Source, Peak, Solar string
	Open                                                  bool
}

func sessionRows(ss []history.Session, now time.Time, loc *time.Location) []sessionRow {
	ss = slices.Clone(ss)
	// Newest first; sessions whose start is not known yet are the newest.
	slices.SortFunc(ss, func(a, b history.Session) int {
		if a.Start.IsZero() != b.Start.IsZero() {
			if a.Start.IsZero() {
				return -1
			}
			return 1
		}
		return cmp.Or(b.Start.Compare(a.Start), cmp.Compare(b.ID, a.ID))
	})
	out := make([]sessionRow, 0, len(ss))
	for _, s := range ss {
		r := sessionRow{Charger: s.Charger.String(), Car: s.VIN, Peak: fmt.Sprintf("%.0f A", float64(s.PeakAmps)), Open: s.Open()}
		if r.Car == "" {
			r.Car = "unknown car"
		}
		r.Start = "not known yet (the clock was not set)"
		if !s.Start.IsZero() {
			r.Start = s.Start.In(loc).Format("Mon 2 Jan 15:04")
		}
		switch {
		case s.Open():
			r.End = "still charging"
		case s.EndUnknown:
			r.End = "not known (power cut)"
		case !s.Start.IsZero() && sameDay(s.Start.In(loc), s.End.In(loc)):
			r.End = s.End.In(loc).Format("15:04")
		default:
			r.End = s.End.In(loc).Format("Mon 2 Jan 15:04")
		}
		wh, src := s.EnergyWh, s.EnergySource
		if s.Open() {
			// Settled at the end; until then the integration is the best figure.
			wh, src = s.IntegratedWh, history.FromIntegrated
		}
		r.Energy = fmt.Sprintf("%.1f", wh/1000)
		r.Source = "worked out (volts × amps)"
		if src == history.FromMeter {
			r.Source = "charger's meter"
		}
		r.Solar = "—"
		if s.IntegratedWh > 0 {
			r.Solar = fmt.Sprintf("%.0f %%", 100*s.SolarShare())
		}
		out = append(out, r)
	}
	return out
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// lifetime is the energy charged through the appliance, ever.
type lifetime struct {
	Chargers, Cars []total
}

func newLifetime(m map[string]float64) lifetime {
	var l lifetime
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if id, ok := strings.CutPrefix(k, "charger/"); ok {
			l.Chargers = append(l.Chargers, total{Label: "Charger " + id, Value: kWh(m[k])})
		} else if vin, ok := strings.CutPrefix(k, "car/"); ok {
			l.Cars = append(l.Cars, total{Label: vin, Value: kWh(m[k])})
		}
	}
	return l
}

func kWh(wh float64) string { return fmt.Sprintf("%.1f kWh", wh/1000) }

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

// csvPeriod answers the CSV requests' common part: the period, or an
// error already sent.
func (h *handler) csvPeriod(w http.ResponseWriter, r *http.Request) (*history.DB, period, bool) {
	db := h.d.App.History()
	if db == nil {
		http.Error(w, notKept, http.StatusNotFound)
		return nil, period{}, false
	}
	p, err := parsePeriod(r.URL.Query(), h.now(), h.loc)
	if err != nil {
		http.Error(w, sentence(err.Error()), http.StatusBadRequest)
		return nil, period{}, false
	}
	return db, p, true
}

func attachment(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
}

func (h *handler) sessionsCSV(w http.ResponseWriter, r *http.Request) {
	db, p, ok := h.csvPeriod(w, r)
	if !ok {
		return
	}
	ss, err := db.Sessions(p.From, p.To)
	if err != nil {
		h.serverError(w, err)
		return
	}
	attachment(w, "twcmanager-sessions-"+p.Tag()+".csv")
	if err := history.WriteSessionsCSV(w, ss, h.loc); err != nil {
		h.d.Log.Error("history: sessions CSV", "err", err)
	}
}

func (h *handler) dailyCSV(w http.ResponseWriter, r *http.Request) {
	db, p, ok := h.csvPeriod(w, r)
	if !ok {
		return
	}
	days, err := db.Daily(p.From, p.To, h.loc)
	if err != nil {
		h.serverError(w, err)
		return
	}
	attachment(w, "twcmanager-daily-"+p.Tag()+".csv")
	if err := history.WriteDailyCSV(w, days); err != nil {
		h.d.Log.Error("history: daily CSV", "err", err)
	}
}

func (h *handler) serverError(w http.ResponseWriter, err error) {
	h.d.Log.Error("history: read", "err", err)
	http.Error(w, "The history could not be read: "+err.Error(), http.StatusInternalServerError)
}

func invalid(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
