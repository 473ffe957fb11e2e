package policy

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Holds from the protocol spec §3.6: never cut a car within a minute of
// starting it, never restart within a minute of stopping.
const (
	minRunTime  = time.Minute
	restartHold = time.Minute
	// A car drawing this far below its offer for limitedAfter is limited by
	// itself (a 16 A car on a 32 A charger): the rest goes to the others.
	limitedMargin = 2.0
	limitedAfter  = time.Minute
	// A car that takes nothing from an offer for notTakingAfter is full or
	// waiting for its own schedule.
	notTakingAfter = 2 * time.Minute
)

// Engine holds what the policy remembers between evaluations. Decide is its
// only entry point; it does no I/O.
type Engine struct {
	track map[twc.ID]*track
}

type track struct {
	on            bool // solar: charging was started and not yet stopped
	pendingStart  time.Time
	pendingStop   time.Time
	startedAt     time.Time
	stoppedAt     time.Time
	limitedSince  time.Time
	notTakingFrom time.Time
	target        units.Amps
}

// NewEngine returns an engine with no history.
func NewEngine() *Engine { return &Engine{track: map[twc.ID]*track{}} }

// charger is one charger prepared for a decision.
type charger struct {
	Charger
	t         *track
	limit     units.Amps // wiring limit and rating
	min       units.Amps
	cap       units.Amps // limit, and what the car takes
	wpa       float64
	watts     float64 // drawing now
	present   bool
	notTaking bool
	target    units.Amps
	reason    string
}

// Decide evaluates the policy.
func (e *Engine) Decide(in Inputs) Decision {
	now, s := in.Now, in.Settings
	p := s.Policy
	d := Decision{At: now, Mode: p.Mode, SharedLimit: s.Wiring.Shared.Continuous(),
		Energy: in.Energy, Chargers: slices.Clone(in.Chargers)}
	if d.Mode = p.ActiveMode(now); d.Mode != p.Mode {
		d.Notes = append(d.Notes, fmt.Sprintf("charge now ended at %s; back to %s", p.ChargeNow.Until.Format("15:04"), d.Mode))
	}
	reading, notes := in.Energy.check(now, p.Surplus.Freshness)
	d.Notes = append(d.Notes, notes...)
	cs := e.prepare(in)

	switch d.Mode {
	case config.ModeOff:
		d.Rule = RuleOff
		d.Explanation = "Off: not charging."
	case config.ModeNow:
		e.fixed(&d, cs, p.ChargeNow.Amps, RuleChargeNow, reading, in)
	case config.ModeMinSolar:
		e.solar(&d, cs, reading, in, true, RuleMinSolar)
	case config.ModeSolar:
		e.solar(&d, cs, reading, in, false, RuleSolar)
	case config.ModeSchedule:
		e.schedule(&d, cs, reading, in)
	}
	e.enforceWiring(cs, d.SharedLimit)
	for _, c := range cs {
		c.t.target = c.target
		d.Targets = append(d.Targets, Target{ID: c.ID, Amps: c.target, Limit: c.limit, Min: c.min, Reason: c.reason})
	}
	return d
}

// prepare works out each charger's limits and what its car takes.
func (e *Engine) prepare(in Inputs) []*charger {
	w, el := in.Settings.Wiring, in.Settings.Electrical
	seen := map[twc.ID]bool{}
	var cs []*charger
	for _, c := range in.Chargers {
		seen[c.ID] = true
		t := e.track[c.ID]
		if t == nil {
			t = &track{}
			e.track[c.ID] = t
		}
		x := &charger{Charger: c, t: t, present: c.CarPresent()}
		x.limit = units.Min(w.ChargerLimit(c.ID), c.Advertised, w.Shared.Continuous()).Whole()
		x.min = max(w.ChargerMin(c.ID), c.ProtocolMin)
		x.wpa = wattsPerAmp(c, el)
		x.watts = Power(c, el)
		x.cap = x.limit
		// A car drawing well below its offer for a minute limits itself.
		if c.Offered >= x.min && c.Actual >= 1 && float64(c.Offered-c.Actual) > limitedMargin {
			if t.limitedSince.IsZero() {
				t.limitedSince = in.Now
			}
			if in.Now.Sub(t.limitedSince) >= limitedAfter {
				x.cap = units.Min(x.limit, max(x.min, units.Amps(math.Ceil(float64(c.Actual)))+limitedMargin))
			}
		} else {
			t.limitedSince = time.Time{}
		}
		// A car that takes nothing from a real offer is full or waiting.
		if x.present && c.Offered >= x.min && c.Actual < 1 {
			if t.notTakingFrom.IsZero() {
				t.notTakingFrom = in.Now
			}
			x.notTaking = in.Now.Sub(t.notTakingFrom) >= notTakingAfter
		} else {
			t.notTakingFrom = time.Time{}
		}
		cs = append(cs, x)
	}
	for id := range e.track {
		if !seen[id] {
			delete(e.track, id)
		}
	}
	slices.SortFunc(cs, func(a, b *charger) int { return int(a.ID) - int(b.ID) })
	return cs
}

// fixed shares a fixed site current (charge now, schedule, non-scheduled).
func (e *Engine) fixed(d *Decision, cs []*charger, amps units.Amps, rule Rule, r Reading, in Inputs) {
	d.Rule, d.Budget = rule, units.Min(amps, d.SharedLimit)
	budgetW, capNote := e.importCap(cs, r, in, math.Inf(1))
	var slots []slot
	for _, c := range cs {
		sl := slot{id: c.ID, min: c.min, cap: c.cap, wpa: c.wpa, tier: 2}
		switch {
		case !c.present:
			// No car: offer the minimum if there is room, so that a car
			// plugging in can start at once.
			sl.cap, sl.tier = c.min, 0
		case c.notTaking:
			sl.cap, sl.tier = c.min, 1
		case c.Actual >= 1:
			sl.priority = 1 // already charging: the last to give way
		}
		slots = append(slots, sl)
	}
	allocate(slots, d.Budget, budgetW)
	for i, c := range cs {
		c.target = slots[i].got
		c.t.on = c.target > 0
		c.reason = fixedReason(c, rule)
	}
	d.Explanation = fmt.Sprintf("%s: %v shared by %s%s.", ruleTitle(rule), d.Budget.Whole(), plural(countPresent(cs), "car"), capNote)
	if rule == RuleChargeNow && !in.Settings.Policy.ChargeNow.Until.IsZero() {
		d.Explanation = strings.TrimSuffix(d.Explanation, ".") + " until " + in.Settings.Policy.ChargeNow.Until.Format("15:04") + "."
	}
}

func fixedReason(c *charger, rule Rule) string {
	switch {
	case !c.present && c.target > 0:
		return "no car: minimum offered so a car can start"
	case !c.present:
		return "no car"
	case c.notTaking:
		return "car takes no current (full or waiting for its own schedule)"
	case c.target == 0:
		return "not enough current left for the minimum of " + c.min.String()
	case c.cap < c.limit:
		return fmt.Sprintf("car draws only %v; the rest goes to others", c.Actual)
	}
	return string(rule)
}

// importCap turns the grid import cap into a power budget for the chargers.
func (e *Engine) importCap(cs []*charger, r Reading, in Inputs, budgetW float64) (float64, string) {
	capW := float64(in.Settings.Policy.GridImportCap)
	if capW <= 0 {
		return budgetW, ""
	}
	if !r.Has.Grid {
		// Without a grid reading the cap cannot be checked: hold cars at
		// their minimum rather than risk the main fuse.
		var w float64
		for _, c := range cs {
			if c.present {
				w += float64(c.min) * c.wpa
			}
		}
		return math.Min(budgetW, w), "; grid reading missing, so held at the minimum to respect the import cap"
	}
	var charging float64
	for _, c := range cs {
		charging += c.watts
	}
	allowed := charging + capW - float64(r.Grid)
	if allowed < budgetW {
		return math.Max(allowed, 0), fmt.Sprintf("; grid import capped at %v", units.Watts(capW))
	}
	return budgetW, ""
}

// schedule applies the weekly window, and the non-scheduled action outside.
func (e *Engine) schedule(d *Decision, cs []*charger, r Reading, in Inputs) {
	p := in.Settings.Policy
	if !in.ClockGood {
		d.Notes = append(d.Notes, "the clock is not synchronised yet: the schedule waits for it")
	} else {
		start := p.Schedule.StartMinute
		for _, c := range cs {
			if c.present {
				if s, ok := finishByStart(p.Schedule, c.CarSoC, c.CarLimit, float64(p.Schedule.Amps)*c.wpa); ok {
					start = s
				}
				break
			}
		}
		if inWindow(p.Schedule, in.Now.In(in.Now.Location()), start) {
			e.fixed(d, cs, p.Schedule.Amps, RuleSchedule, r, in)
			return
		}
		if start != p.Schedule.StartMinute {
			d.Notes = append(d.Notes, fmt.Sprintf("finish-by: charging starts at %02d:%02d", start/60, start%60))
		}
	}
	switch p.NonScheduled.Action {
	case config.ActionFixed:
		e.fixed(d, cs, p.NonScheduled.Amps, RuleNonScheduled, r, in)
	case config.ActionSolar:
		e.solar(d, cs, r, in, false, RuleNonScheduled)
	default:
		d.Rule = RuleNonScheduled
		d.Explanation = "Outside the schedule: not charging."
		for _, c := range cs {
			c.target, c.t.on, c.reason = 0, false, "outside the schedule"
		}
	}
}

func ruleTitle(r Rule) string {
	switch r {
	case RuleChargeNow:
		return "Charge now"
	case RuleSchedule:
		return "Schedule"
	case RuleNonScheduled:
		return "Outside the schedule"
	case RuleMinSolar:
		return "Min+Solar"
	case RuleSolar:
		return "Solar"
	}
	return "Off"
}

func countPresent(cs []*charger) int {
	n := 0
	for _, c := range cs {
		if c.present {
			n++
		}
	}
	return n
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// enforceWiring is the last step of every decision: whatever the rule did,
// targets fit the shared circuit, each charger's limit, and are 0 or at least
// the minimum. Chargers already charging keep their current first.
func (e *Engine) enforceWiring(cs []*charger, shared units.Amps) {
	slots := make([]slot, len(cs))
	for i, c := range cs {
		pri := 0
		if c.Actual >= 1 {
			pri = 1
		}
		slots[i] = slot{id: c.ID, min: c.min, cap: units.Min(c.target, c.limit), wpa: 1, priority: pri}
	}
	allocate(slots, shared, math.Inf(1))
	for i, c := range cs {
		if slots[i].got < c.target {
			c.target = slots[i].got
			c.reason += "; reduced to fit the shared circuit's " + shared.String()
			if c.target == 0 {
				c.t.on = false
			}
		}
	}
}
