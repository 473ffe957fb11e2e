package vehicle

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// The states of the car connection in Status.
const (
	ConnectionNone    = "none"    // no connection set up: the charger stops cars
	ConnectionUnknown = "unknown" // set up, no call answered yet
	ConnectionOK      = "ok"
	ConnectionProblem = "problem" // Problem says what to do
)

// Status is the car connection as the UI shows it.
type Status struct {
	// Connection is the configured kind: config.CarNone, CarDirect or CarProxy.
	Connection string `json:"connection"`
	// State is one of the Connection… constants; Problem is a sentence
	// saying what is wrong and what to do, Until when a pause ends by itself.
	State   string    `json:"state"`
	Problem string    `json:"problem,omitempty"`
	Until   time.Time `json:"until,omitzero"`
	// LastOK is when a call last succeeded.
	LastOK   time.Time       `json:"last_ok,omitzero"`
	Usage    UsageStatus     `json:"usage"`
	Cars     []CarStatus     `json:"cars"`
	Chargers []ChargerStatus `json:"chargers"`
}

// UsageStatus is this month's use of the car API and what it costs.
type UsageStatus struct {
	Month    string  `json:"month"`
	Commands int     `json:"commands"`
	Data     int     `json:"data_requests"`
	Wakes    int     `json:"wakes"`
	Cost     float64 `json:"cost_usd"`
	// Budget is the monthly cap in US dollars; 0 means none.
	Budget float64 `json:"budget_usd"`
	// Resets is when the next month's count begins.
	Resets time.Time `json:"resets"`
}

// CarStatus is one car.
type CarStatus struct {
	VIN  string `json:"vin"`
	Name string `json:"name,omitempty"`
	// Charger is the charger the car was matched to, when Matched.
	Charger twc.ID `json:"charger,omitempty"`
	Matched bool   `json:"matched"`
	// Where is "home", "away" or "unknown" (no home set, or no location).
	Where  string `json:"where"`
	Asleep bool   `json:"asleep"`
	// State is the last charge state read and StateAge its age, when HasState.
	State    ChargeState   `json:"charge_state"`
	StateAge time.Duration `json:"state_age"`
	HasState bool          `json:"has_state"`
	// LastCommand is the last command sent, when, and how it went.
	LastCommand   CommandKind `json:"last_command,omitempty"`
	LastCommandAt time.Time   `json:"last_command_at,omitzero"`
	LastResult    string      `json:"last_result,omitempty"`
	// StoppedAt is set while the car is stopped by this appliance.
	StoppedAt time.Time `json:"stopped_at,omitzero"`
	// Note is something to know (it waits for its own schedule); Problem
	// something to fix (its key is not enrolled).
	Note    string `json:"note,omitempty"`
	Problem string `json:"problem,omitempty"`
}

// ChargerStatus is whether the car API acts for the car at one charger.
type ChargerStatus struct {
	ID twc.ID `json:"id"`
	// VIN is what the charger reports; Car the VIN of the car matched to it.
	VIN     string `json:"vin,omitempty"`
	Car     string `json:"car,omitempty"`
	Handled bool   `json:"handled"`
	// Why says why the charger stops its car instead, when not Handled.
	Why string `json:"why,omitempty"`
	// Note is what happened last.
	Note string `json:"note,omitempty"`
}

// view is what Run publishes for Handles and Status.
type view struct {
	fp       fingerprint
	month    string
	usage    Usage
	block    blocks
	chargers map[twc.ID]chargerView
	cars     []car
	order    []string
}

type chargerView struct {
	reported, car string
	until         time.Time
	why, note     string
	hard, fix     bool
}

// publish replaces the view.
func (m *Manager) publish(now time.Time) {
	v := &view{fp: m.fp, month: m.month, usage: m.usage.clone(), block: m.block,
		chargers: make(map[twc.ID]chargerView, len(m.chargers)), order: slices.Clone(m.order)}
	for id, ch := range m.chargers {
		cv := chargerView{reported: ch.w.vin, car: ch.car, until: ch.until, why: ch.why, note: ch.note, hard: ch.hard, fix: ch.fix}
		if c := m.cars[ch.car]; c != nil && !c.notEnrolled.IsZero() && now.Before(c.notEnrolled.Add(notEnrolledPause)) {
			cv.until, cv.why, cv.hard, cv.fix = c.notEnrolled.Add(notEnrolledPause), ErrNotEnrolled.Error(), true, true
		}
		v.chargers[id] = cv
	}
	for _, vin := range slices.Sorted(maps.Keys(m.cars)) {
		v.cars = append(v.cars, *m.cars[vin])
	}
	m.view.Store(v)
}

// Handles reports whether the car API can act for the car at charger id
// right now: a connection is set up and working, the car is identified and
// at home (as far as is known without a call), the budget allows a stop
// and the start after it, and Tesla's rate limit is not in force. When it
// is false the charger should stop the car itself. It never blocks.
func (m *Manager) Handles(id twc.ID) bool {
	ok, _ := m.handles(id, m.cfg.Settings(), m.clk.Now())
	return ok
}

// handles is Handles with the reason when not.
func (m *Manager) handles(id twc.ID, s config.Settings, now time.Time) (bool, string) {
	if p := m.connectionProblem(s, now); p != "" {
		return false, p
	}
	v := m.view.Load()
	if c, ok := v.chargers[id]; ok && now.Before(c.until) && (!c.hard || v.fp == fingerprintOf(s)) {
		return false, c.why
	}
	return true, ""
}

// connectionProblem is what keeps the car API from acting for any car,
// in words; "" when nothing does.
func (m *Manager) connectionProblem(s config.Settings, now time.Time) string {
	if m.cfg.API() == nil {
		if s.Vehicle.Connection == config.CarNone {
			return "no car connection is set up, so the charger stops cars: set one up in Settings → Car"
		}
		return "the car connection is not complete (log in to Tesla, or check the proxy settings), so the charger stops cars: finish it in Settings → Car"
	}
	v := m.view.Load()
	b := v.block
	switch {
	case b.login != nil && now.Before(b.loginAt.Add(loginPause)) && v.fp == fingerprintOf(s):
		return ErrLogin.Error()
	case now.Before(b.rateUntil):
		return fmt.Sprintf("Tesla asks to wait until %s (rate limit): until then the charger stops cars", clockTime(b.rateUntil, now))
	case now.Before(b.downUntil):
		return fmt.Sprintf("%v: check the proxy or the internet connection; trying again at %s, until then the charger stops cars", b.downErr, clockTime(b.downUntil, now))
	}
	u := v.usage
	if v.month != monthOf(now) {
		u = Usage{}
	}
	if budget := s.Vehicle.MonthlyBudget; !canStop(u, budget) {
		return fmt.Sprintf("this month's car API budget of %s is spent (%s used, the rest kept to start the cars stopped): until %s the charger stops cars; raise the budget in Settings → Car to pay for more",
			dollars(budget), dollars(u.Cost()), nextMonth(now).Format("Jan 2"))
	}
	return ""
}

// Status returns the state of the car connection for the UI. It never blocks.
func (m *Manager) Status() Status {
	s, now := m.cfg.Settings(), m.clk.Now()
	v := m.view.Load()
	u := v.usage
	if v.month != monthOf(now) {
		u = Usage{Stopped: u.Stopped}
	}
	st := Status{Connection: s.Vehicle.Connection, LastOK: v.block.lastOK,
		Usage: UsageStatus{Month: monthOf(now), Commands: u.Commands, Data: u.Data, Wakes: u.Wakes,
			Cost: u.Cost(), Budget: s.Vehicle.MonthlyBudget, Resets: nextMonth(now)}}
	problem := m.connectionProblem(s, now)
	switch {
	case m.cfg.API() == nil:
		st.State = ConnectionNone
		if s.Vehicle.Connection != config.CarNone {
			st.Problem = problem // chosen but not complete
		}
	case problem != "":
		st.State, st.Problem = ConnectionProblem, problem
		st.Until = clock.Later(v.block.rateUntil, v.block.downUntil)
		if !st.Until.After(now) {
			st.Until = time.Time{}
		}
	case v.block.lastOK.IsZero():
		st.State = ConnectionUnknown
	default:
		st.State = ConnectionOK
	}
	matched := map[string]twc.ID{}
	for _, id := range slices.Sorted(maps.Keys(v.chargers)) {
		c := v.chargers[id]
		ok, why := m.handles(id, s, now)
		st.Chargers = append(st.Chargers, ChargerStatus{ID: id, VIN: c.reported, Car: c.car, Handled: ok, Why: why, Note: c.note})
		if c.car != "" {
			matched[c.car] = id
		}
		if st.Problem == "" && c.fix && now.Before(c.until) && v.fp == fingerprintOf(s) {
			st.Problem = c.why // a car-side problem for the user to fix
		}
	}
	for _, c := range v.cars {
		cs := CarStatus{VIN: c.VIN, Name: c.Name, Asleep: !c.Online && (c.listed || !c.stateAt.IsZero() || !c.asleepAt.IsZero()),
			State: c.state, HasState: !c.stateAt.IsZero(), LastCommand: c.lastCmd, LastCommandAt: c.lastCmdAt,
			LastResult: c.result, StoppedAt: u.Stopped[c.VIN], Note: c.note, Where: "unknown"}
		if cs.HasState {
			cs.StateAge = now.Sub(c.stateAt)
		}
		if id, ok := matched[c.VIN]; ok {
			cs.Charger, cs.Matched = id, true
		}
		if home, known := where(s.Home, c.state); known {
			cs.Where = map[bool]string{true: "home", false: "away"}[home]
		}
		if !c.notEnrolled.IsZero() && now.Before(c.notEnrolled.Add(notEnrolledPause)) && v.fp == fingerprintOf(s) {
			cs.Problem = ErrNotEnrolled.Error()
		}
		if !c.listed && !v.block.lastOK.IsZero() && len(v.order) > 0 {
			cs.Problem = ErrUnknownVIN.Error()
		}
		st.Cars = append(st.Cars, cs)
	}
	st.Problem = sentence(st.Problem)
	return st
}

// sentence makes s a sentence: a capital first letter and a full stop.
func sentence(s string) string {
	if s == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
