package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
	"github.com/twcmanager/twcmanager/internal/vehicle"
)

// maxBody bounds what a write may send; the largest real body is a schedule.
const maxBody = 64 << 10

// Handler serves the native API under /api/v1/. Reading is open and shows
// nothing secret; every write needs the API token.
func Handler(b Backend) http.Handler {
	mux := http.NewServeMux()
	get := func(path string, fn func(*http.Request) (any, error)) {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			v, err := fn(r)
			if err != nil {
				writeError(w, err)
				return
			}
			WriteJSON(w, http.StatusOK, v)
		})
	}
	write := func(pattern string, fn func(*http.Request) (any, error)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if p := TokenProblem(b, r); p != "" {
				Unauthorized(w, p)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
			v, err := fn(r)
			if err != nil {
				writeError(w, err)
				return
			}
			WriteJSON(w, http.StatusOK, v)
		})
	}
	get("/api/v1/state", func(*http.Request) (any, error) { return state(b), nil })
	get("/api/v1/chargers", func(*http.Request) (any, error) { return state(b).Chargers, nil })
	get("/api/v1/chargers/{id}", func(r *http.Request) (any, error) { return charger(b, r.PathValue("id")) })
	get("/api/v1/mode", func(*http.Request) (any, error) { return modeOf(b), nil })
	write("PUT /api/v1/mode", func(r *http.Request) (any, error) {
		var req struct {
			Mode *string `json:"mode"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		if req.Mode == nil {
			return nil, missing("mode")
		}
		m := config.Mode(*req.Mode)
		if !validMode(m) {
			return nil, &config.FieldError{Field: "mode", Value: *req.Mode, Allowed: modeNames()}
		}
		if err := SetMode(b, m); err != nil {
			return nil, err
		}
		return modeOf(b), nil
	})
	write("POST /api/v1/charge-now", func(r *http.Request) (any, error) {
		var req struct {
			Amps      *float64 `json:"amps"`
			DurationS *float64 `json:"duration_s"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		if req.Amps == nil {
			return nil, missing("amps")
		}
		d := 0.0
		if req.DurationS != nil {
			d = *req.DurationS
		}
		if d < 0 || d > MaxChargeNowDuration.Seconds() || d != float64(int64(d)) {
			return nil, &config.FieldError{Field: "duration_s", Value: d, Allowed: "whole seconds from 0 (until changed) to 31622400 (366 days)"}
		}
		if err := ChargeNow(b, units.Amps(*req.Amps), time.Duration(d)*time.Second); err != nil {
			return nil, err
		}
		return modeOf(b), nil
	})
	write("DELETE /api/v1/charge-now", func(*http.Request) (any, error) {
		if err := CancelChargeNow(b); err != nil {
			return nil, err
		}
		return modeOf(b), nil
	})
	get("/api/v1/schedule", func(*http.Request) (any, error) { return scheduleOf(b.Settings().Policy), nil })
	write("PUT /api/v1/schedule", func(r *http.Request) (any, error) {
		var req ScheduleJSON
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		err := Change(b, func(s *config.Settings) error { return req.apply(&s.Policy) })
		if err != nil {
			return nil, err
		}
		return scheduleOf(b.Settings().Policy), nil
	})
	get("/api/v1/sessions", func(r *http.Request) (any, error) { return sessions(b, r) })
	get("/api/v1/history", func(r *http.Request) (any, error) { return historyOf(b, r) })
	get("/api/v1/car", func(*http.Request) (any, error) { return carStatus(b.Cars()) })
	get("/api/v1/evcc", func(*http.Request) (any, error) { return evccState(b), nil })
	write("POST /api/v1/evcc/enable", func(r *http.Request) (any, error) {
		var req struct {
			Enable *bool `json:"enable"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		if req.Enable == nil {
			return nil, missing("enable")
		}
		return evccEnable(b, *req.Enable)
	})
	write("POST /api/v1/evcc/maxcurrent", func(r *http.Request) (any, error) {
		var req struct {
			Amps *float64 `json:"amps"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		if req.Amps == nil {
			return nil, missing("amps")
		}
		return evccMaxCurrent(b, units.Amps(*req.Amps))
	})
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusNotFound, Error{Error: "no such API route: " + r.Method + " " + r.URL.Path + "; see docs/api.md"})
	})
	return mux
}

// decode reads a JSON object into v, naming the field a wrong type was
// found in, and refusing fields v does not have (a misspelt field must not
// be silently ignored).
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		if dec.More() {
			return &requestError{msg: "the body must be one JSON object"}
		}
		return nil
	case errors.Is(err, io.EOF):
		return &requestError{msg: "the body is empty; send a JSON object"}
	case errors.As(err, &te):
		return &config.FieldError{Field: te.Field, Value: te.Value, Allowed: "a JSON " + jsonKind(te.Type.String())}
	case errors.As(err, &se):
		return &requestError{msg: fmt.Sprintf("the body is not JSON (at byte %d): %v", se.Offset, err)}
	case errors.As(err, &mbe):
		return &requestError{msg: fmt.Sprintf("the body is larger than %d bytes", mbe.Limit)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &requestError{field: f, msg: "unknown field " + f + "; see docs/api.md for the fields this route takes"}
	default:
		return &requestError{msg: "the body is not a JSON object: " + err.Error()}
	}
}

func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "float"), strings.Contains(goType, "int"):
		return "number"
	case strings.Contains(goType, "bool"):
		return "true or false"
	case strings.Contains(goType, "string"):
		return "string"
	case strings.HasPrefix(goType, "[]"):
		return "array"
	default:
		return "object"
	}
}

// requestError is a bad request that is not about one setting's value.
type requestError struct{ field, msg string }

func (e *requestError) Error() string { return e.msg }

func missing(field string) error {
	return &requestError{field: field, msg: field + " is missing"}
}

// notFound is an unknown charger or record.
type notFound struct{ msg string }

func (e *notFound) Error() string { return e.msg }

// writeError answers err: 400 naming the field for bad input, 404 for what
// does not exist, 500 (with the sentence) for the appliance's own trouble.
func writeError(w http.ResponseWriter, err error) {
	var fe *config.FieldError
	var fes config.Errors
	var re *requestError
	var nf *notFound
	switch {
	case errors.As(err, &fes) && len(fes) > 0:
		WriteJSON(w, http.StatusBadRequest, Error{Error: fes.Error(), Field: fes[0].Field})
	case errors.As(err, &fe):
		WriteJSON(w, http.StatusBadRequest, Error{Error: fe.Error(), Field: fe.Field})
	case errors.As(err, &re):
		WriteJSON(w, http.StatusBadRequest, Error{Error: re.msg, Field: re.field})
	case errors.As(err, &nf):
		WriteJSON(w, http.StatusNotFound, Error{Error: nf.msg})
	default:
		WriteJSON(w, http.StatusInternalServerError, Error{Error: err.Error()})
	}
}

func validMode(m config.Mode) bool {
	for _, x := range config.Modes {
		if x == m {
			return true
		}
	}
	return false
}

func modeNames() string {
	names := make([]string, len(config.Modes))
	for i, m := range config.Modes {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

func charger(b Backend, id string) (Charger, error) {
	n, err := strconv.ParseUint(id, 16, 16)
	want := twc.ID(n)
	if err != nil || len(id) != 4 {
		return Charger{}, &requestError{field: "id", msg: fmt.Sprintf("charger ID %q: want 4 hex digits such as 1839", id)}
	}
	for _, c := range state(b).Chargers {
		if c.ID == want.String() {
			return c, nil
		}
	}
	return Charger{}, &notFound{msg: "no charger " + want.String() + " is linked"}
}

// Mode is the answer of GET /api/v1/mode.
type Mode struct {
	// Mode is the chosen mode; Active the one followed now (a Charge Now
	// whose end has passed is back in the mode it interrupted).
	Mode        string     `json:"mode"`
	Active      string     `json:"active_mode"`
	ChargeNow   ChargeNowJ `json:"charge_now"`
	Explanation string     `json:"explanation,omitempty"`
}

// ChargeNowJ is the Now mode's current, end and the mode it returns to.
type ChargeNowJ struct {
	Amps  float64    `json:"amps"`
	Until *time.Time `json:"until"`
	Then  string     `json:"then"`
}

func modeOf(b Backend) Mode {
	p := b.Settings().Policy
	m := Mode{Mode: string(p.Mode), Active: string(p.ActiveMode(b.Now())),
		ChargeNow: ChargeNowJ{Amps: float64(p.ChargeNow.Amps), Then: string(p.AfterNow())}}
	if !p.ChargeNow.Until.IsZero() {
		u := p.ChargeNow.Until
		m.ChargeNow.Until = &u
	}
	if d := b.Decisions(1); len(d) == 1 {
		m.Explanation = d[0].Explanation
	}
	return m
}

// ScheduleJSON is the weekly window as the API shows and takes it.
type ScheduleJSON struct {
	// Days are three-letter English weekdays: mon, tue, …, sun.
	Days       []string  `json:"days"`
	Start      string    `json:"start"` // HH:MM, local time
	End        string    `json:"end"`
	Amps       float64   `json:"amps"`
	FinishBy   bool      `json:"finish_by"`
	BatteryKWh float64   `json:"battery_kwh"`
	Outside    OutsideJS `json:"non_scheduled"`
}

// OutsideJS is what Schedule mode does outside its window.
type OutsideJS struct {
	Action string  `json:"action"`
	Amps   float64 `json:"amps"`
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func scheduleOf(p config.Policy) ScheduleJSON {
	sc := p.Schedule
	out := ScheduleJSON{Days: []string{}, Start: hhmm(sc.StartMinute), End: hhmm(sc.EndMinute), Amps: float64(sc.Amps),
		FinishBy: sc.FinishBy, BatteryKWh: sc.BatteryKWh,
		Outside: OutsideJS{Action: string(p.NonScheduled.Action), Amps: float64(p.NonScheduled.Amps)}}
	// Monday first, as people read a week.
	for i := 1; i <= 7; i++ {
		if d := i % 7; sc.Days[d] {
			out.Days = append(out.Days, dayNames[d])
		}
	}
	return out
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func parseHHMM(field, v string) (int, error) {
	var h, m int
	if n, err := fmt.Sscanf(v, "%d:%d", &h, &m); err != nil || n != 2 || len(v) != 5 || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, &config.FieldError{Field: field, Value: v, Allowed: "a time HH:MM from 00:00 to 23:59"}
	}
	return h*60 + m, nil
}

func (j ScheduleJSON) apply(p *config.Policy) error {
	var sc config.Schedule
	for _, d := range j.Days {
		i := -1
		for k, n := range dayNames {
			if strings.EqualFold(d, n) {
				i = k
			}
		}
		if i < 0 {
			return &config.FieldError{Field: "days", Value: d, Allowed: "mon, tue, wed, thu, fri, sat, sun"}
		}
		sc.Days[i] = true
	}
	var err error
	if sc.StartMinute, err = parseHHMM("start", j.Start); err != nil {
		return err
	}
	if sc.EndMinute, err = parseHHMM("end", j.End); err != nil {
		return err
	}
	sc.Amps, sc.FinishBy, sc.BatteryKWh = units.Amps(j.Amps), j.FinishBy, j.BatteryKWh
	p.Schedule = sc
	if j.Outside.Action != "" {
		p.NonScheduled = config.NonScheduled{Action: config.NonScheduledAction(j.Outside.Action), Amps: units.Amps(j.Outside.Amps)}
	}
	return nil
}

// timeRange reads ?from= and ?to= (RFC 3339 or YYYY-MM-DD, local) with a
// default span back from now.
func timeRange(b Backend, r *http.Request, span time.Duration) (time.Time, time.Time, error) {
	now := b.Now()
	from, to := now.Add(-span), now
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		v := r.URL.Query().Get(f.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t, err = time.ParseInLocation(time.DateOnly, v, time.Local)
		}
		if err != nil {
			return from, to, &config.FieldError{Field: f.name, Value: v, Allowed: "an RFC 3339 time (2026-11-21T08:00:00Z) or a date (2026-11-21)"}
		}
		*f.dst = t
	}
	if !to.After(from) {
		return from, to, &config.FieldError{Field: "to", Value: to.Format(time.RFC3339), Allowed: "a time after from"}
	}
	return from, to, nil
}

func noHistory() error {
	return errors.New("history is not kept: the appliance runs without a data directory")
}

func sessions(b Backend, r *http.Request) (any, error) {
	db := b.History()
	if db == nil {
		return nil, noHistory()
	}
	from, to, err := timeRange(b, r, 30*24*time.Hour)
	if err != nil {
		return nil, err
	}
	ss, err := db.Sessions(from, to)
	if err != nil {
		return nil, fmt.Errorf("api: read sessions: %w", err)
	}
	out := make([]Session, len(ss))
	for i, x := range ss {
		out[i] = Session{Session: x, Charger: x.Charger.String()}
	}
	return out, nil
}

// Session is a charging session, the charger named by its 4 hex digits.
type Session struct {
	history.Session
	Charger string `json:"charger"`
}

// HistoryPoint is one step of GET /api/v1/history, energy in Wh.
type HistoryPoint struct {
	Start       time.Time `json:"start"`
	ChargedWh   float64   `json:"charged_wh"`
	SolarWh     float64   `json:"solar_wh"`
	Generation  float64   `json:"generation_wh"`
	Consumption float64   `json:"consumption_wh"`
	ImportWh    float64   `json:"import_wh"`
	ExportWh    float64   `json:"export_wh"`
}

// maxPoints bounds one history answer; a bigger range needs a bigger step.
const maxPoints = 20_000

func historyOf(b Backend, r *http.Request) (any, error) {
	db := b.History()
	if db == nil {
		return nil, noHistory()
	}
	from, to, err := timeRange(b, r, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	step := r.URL.Query().Get("step")
	if step == "" {
		step = "quarter"
	}
	per := map[string]time.Duration{"minute": time.Minute, "quarter": 15 * time.Minute, "day": 24 * time.Hour, "month": 31 * 24 * time.Hour}
	d, ok := per[step]
	if !ok {
		return nil, &config.FieldError{Field: "step", Value: step, Allowed: "minute, quarter, day or month"}
	}
	if to.Sub(from)/d > maxPoints {
		return nil, &config.FieldError{Field: "step", Value: step, Allowed: fmt.Sprintf("a step giving at most %d points for this range; choose a longer step or a shorter range", maxPoints)}
	}
	out := []HistoryPoint{}
	switch step {
	case "minute":
		ss, err := db.Samples(from, to)
		if err != nil {
			return nil, fmt.Errorf("api: read samples: %w", err)
		}
		for _, s := range ss {
			wh := func(w float64) float64 { return w / 60 }
			p := HistoryPoint{Start: s.At, ChargedWh: wh(s.Charger), SolarWh: wh(s.Solar), Generation: wh(s.Generation), Consumption: wh(s.Consumption)}
			if s.Grid > 0 {
				p.ImportWh = wh(s.Grid)
			} else {
				p.ExportWh = wh(-s.Grid)
			}
			out = append(out, p)
		}
	case "quarter":
		qs, err := db.Quarters(from, to)
		if err != nil {
			return nil, fmt.Errorf("api: read quarters: %w", err)
		}
		for _, q := range qs {
			out = append(out, HistoryPoint{q.Start, q.Charged, q.Solar, q.Generation, q.Consumption, q.Import, q.Export})
		}
	default:
		days, err := db.Daily(from, to, time.Local)
		if err != nil {
			return nil, fmt.Errorf("api: read days: %w", err)
		}
		if step == "month" {
			days = history.Monthly(days)
		}
		for _, q := range days {
			out = append(out, HistoryPoint{q.Date, q.Charged, q.Solar, q.Generation, q.Consumption, q.Import, q.Export})
		}
	}
	return out, nil
}

// carStatus is the car connection's status with chargers named by their 4
// hex digits, as everywhere else in this API.
func carStatus(st vehicle.Status) (map[string]any, error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	hexID := func(obj map[string]any, key string) {
		if n, ok := obj[key].(float64); ok {
			obj[key] = twc.ID(n).String()
		}
	}
	for _, list := range []struct{ name, key string }{{"cars", "charger"}, {"chargers", "id"}} {
		items, _ := m[list.name].([]any)
		for _, it := range items {
			if obj, ok := it.(map[string]any); ok {
				hexID(obj, list.key)
			}
		}
	}
	return m, nil
}
