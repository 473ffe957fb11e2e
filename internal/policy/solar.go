package policy

import (
	"fmt"
	"math"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/units"
)

// maxHeadroom bounds how far above the surplus an offer may go to make up
// for a car drawing below its offer.
const maxHeadroom = 1.0

// available is the power the chargers may use: the surplus plus what the
// chargers already draw, less the offsets. ok is false when the reading
// cannot say.
func available(cs []*charger, r Reading, in Inputs) (availW, surplusW float64, ok bool, how string) {
	su, el := in.Settings.Policy.Surplus, in.Settings.Electrical
	var charging float64
	for _, c := range cs {
		charging += c.watts
	}
	switch {
	case r.Has.Generation && r.Has.Consumption:
		surplusW = float64(r.Generation - r.Consumption)
		if su.MeterIncludesCharger {
			surplusW += charging
		}
		how = fmt.Sprintf("%v generated − %v used", r.Generation, r.Consumption)
	case r.Has.Grid:
		surplusW = -float64(r.Grid) + charging
		how = "grid " + r.Grid.String()
	default:
		return 0, 0, false, ""
	}
	if r.Has.Battery {
		if r.Battery > 0 {
			// The home battery is feeding the house: that is not surplus.
			surplusW -= float64(r.Battery)
		} else if !r.Has.BatterySoC || r.BatterySoC >= su.BatteryMinSoC {
			surplusW -= float64(r.Battery) // its charging power is the car's to take
		}
	}
	surplusW -= offsetWatts(in.Settings.Policy.Offsets, el)
	return surplusW, surplusW - charging, true, how
}

// solar follows the surplus. Chargers already charging are served first and
// stop only after the stop delay (holding their minimum meanwhile); others
// start only once the surplus has covered their minimum, plus the start
// threshold, for the start delay. floor (Min+Solar) never pauses.
func (e *Engine) solar(d *Decision, cs []*charger, r Reading, in Inputs, floor bool, rule Rule) {
	now, su := in.Now, in.Settings.Policy.Surplus
	d.Rule = rule
	availW, surplusW, ok, how := available(cs, r, in)
	if !ok {
		availW = 0
		d.Notes = append(d.Notes, "no surplus known: counted as none")
	}
	d.Available, d.Surplus, d.SurplusKnown = units.Watts(availW), units.Watts(surplusW), ok
	budgetW, capNote := e.importCap(cs, r, in, math.Inf(1))

	// Cars already charging first.
	var on, off []*charger
	for _, c := range cs {
		switch {
		case !c.present:
			c.target, c.t.on, c.reason = 0, false, "no car"
			c.t.pendingStart, c.t.pendingStop = time.Time{}, time.Time{}
		case floor || c.t.on:
			on = append(on, c)
		default:
			off = append(off, c)
		}
	}
	usedW := e.serveRunning(on, availW, budgetW, floor, su, now)
	e.startWaiting(off, availW-usedW-float64(su.StartThreshold), math.Min(budgetW, availW)-usedW, su, now)

	d.Explanation = solarSentence(d, cs, availW, ok, how, floor, rule) + capNote + "."
}

// serveRunning shares availW among chargers that are charging and returns
// the power they are given.
func (e *Engine) serveRunning(on []*charger, availW, budgetW float64, floor bool, su config.Surplus, now time.Time) float64 {
	slots := make([]slot, len(on))
	for i, c := range on {
		slots[i] = slot{id: c.ID, min: c.min, cap: c.cap, wpa: c.wpa, priority: int(now.Sub(c.t.startedAt) / time.Minute)}
		if c.notTaking {
			slots[i].cap = c.min
		}
	}
	// A car draws a little below its offer (about 0.8 A). Offering that much
	// more lets it take the whole surplus instead of leaving it exported.
	var headroomW float64
	for _, c := range on {
		if c.Actual >= 1 && c.Offered >= c.min && c.cap == c.limit {
			headroomW += math.Min(math.Max(float64(c.Offered-c.Actual), 0), maxHeadroom) * c.wpa
		}
	}
	allocate(slots, units.Amps(math.Inf(1)), math.Min(availW+headroomW, budgetW))
	var used float64
	for i, c := range on {
		got := slots[i].got
		flexW := (float64(su.FlexAmps)*c.wpa + float64(su.StopThreshold))
		switch {
		case got >= c.min:
			c.target, c.reason = got, "surplus"
			c.t.pendingStop = time.Time{}
		case c.cap < c.min:
			c.target, c.reason = 0, fmt.Sprintf("its limit %v is below its minimum %v", c.limit, c.min)
		case floor:
			c.target, c.reason = c.min, "minimum; surplus covers less"
		case availW+flexW >= float64(c.min)*c.wpa:
			c.target, c.reason = c.min, "minimum: within the stop tolerance"
			c.t.pendingStop = time.Time{}
		default:
			if c.t.pendingStop.IsZero() {
				c.t.pendingStop = now
			}
			// Pause once the stop delay has passed and the car has run for
			// at least a minute.
			pauseAt := clock.Later(c.t.pendingStop.Add(su.StopDelay), c.t.startedAt.Add(minRunTime))
			if now.Before(pauseAt) {
				c.target = c.min
				c.reason = fmt.Sprintf("surplus too small; pausing in %v unless it returns", pauseAt.Sub(now).Round(time.Second))
			} else {
				c.target, c.reason = 0, "paused: the surplus stayed below the minimum"
				c.t.on, c.t.stoppedAt, c.t.pendingStop = false, now, time.Time{}
			}
		}
		if !floor || c.target > 0 {
			c.t.on = c.target > 0
		}
		if !c.notTaking {
			used += float64(c.target) * c.wpa
		}
	}
	return used
}

// startWaiting starts chargers that have had enough surplus for long enough.
func (e *Engine) startWaiting(off []*charger, startW, budgetW float64, su config.Surplus, now time.Time) {
	slots := make([]slot, len(off))
	for i, c := range off {
		slots[i] = slot{id: c.ID, min: c.min, cap: c.cap, wpa: c.wpa, priority: int(now.Sub(c.t.stoppedAt) / time.Minute)}
	}
	allocate(slots, units.Amps(math.Inf(1)), math.Max(0, math.Min(startW, budgetW)))
	for i, c := range off {
		got := slots[i].got
		c.target = 0
		if got < c.min {
			c.t.pendingStart = time.Time{}
			c.reason = fmt.Sprintf("waiting for %v of surplus (the minimum %v)", units.Watts(float64(c.min)*c.wpa+float64(su.StartThreshold)), c.min)
			continue
		}
		if c.t.pendingStart.IsZero() {
			c.t.pendingStart = now
		}
		// Start once the surplus has lasted the start delay and the car has
		// rested at least a minute since it was paused.
		startAt := c.t.pendingStart.Add(su.StartDelay)
		if !c.t.stoppedAt.IsZero() {
			startAt = clock.Later(startAt, c.t.stoppedAt.Add(restartHold))
		}
		if now.Before(startAt) {
			c.reason = fmt.Sprintf("waiting %v of %v before starting", now.Sub(c.t.pendingStart).Round(time.Second), startAt.Sub(c.t.pendingStart).Round(time.Second))
			continue
		}
		c.target, c.reason = got, "started: surplus covers the minimum"
		c.t.on, c.t.startedAt, c.t.pendingStart = true, now, time.Time{}
	}
}

func solarSentence(d *Decision, cs []*charger, availW float64, ok bool, how string, floor bool, rule Rule) string {
	title := ruleTitle(rule)
	if rule == RuleNonScheduled {
		title = "Outside the schedule, solar"
	}
	if !ok {
		if floor {
			return title + ": no energy reading, so charging at the minimum"
		}
		return title + ": no energy reading, so no surplus"
	}
	var wpa float64 = 230
	for _, c := range cs {
		if c.present {
			wpa = c.wpa
			break
		}
	}
	s := fmt.Sprintf("%s: %.1f kW available for charging (%s) = %.0f A", title, availW/1000, how, math.Max(availW, 0)/wpa)
	for _, c := range cs {
		if c.present && (c.t.pendingStart != time.Time{} || c.t.pendingStop != time.Time{}) {
			s += "; " + c.ID.String() + ": " + c.reason
		}
	}
	return s
}
