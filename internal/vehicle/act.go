package vehicle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/clock"
)

// process works on one charger's wish.
func (m *Manager) process(ctx context.Context, api API, s config.Settings, ch *charger) {
	// A wish to charge needs nothing unless this appliance stopped the car
	// (or the user overrides the car's schedule): settle it before any call.
	if ch.w.charge && !ch.w.override && !m.mayBeStopped(ch) {
		m.done(ch, "")
		return
	}
	vin, no, err := m.match(ctx, api, s, ch)
	if err != nil {
		m.failed(ch, nil, err)
		return
	}
	if no != nil {
		m.verdict(ch, unidentifiedPause, *no)
		return
	}
	c := m.car(vin)
	ch.car = vin
	if !c.notEnrolled.IsZero() && m.clk.Now().Before(c.notEnrolled.Add(notEnrolledPause)) {
		m.verdict(ch, c.notEnrolled.Add(notEnrolledPause).Sub(m.clk.Now()), refusal{ErrNotEnrolled.Error(), true})
		return
	}
	if ch.w.charge {
		m.start(ctx, api, s, ch, c)
	} else {
		m.stop(ctx, api, s, ch, c)
	}
}

// mayBeStopped reports whether the car at ch may be one this appliance
// stopped.
func (m *Manager) mayBeStopped(ch *charger) bool {
	if ch.w.vin != "" {
		_, ok := m.usage.Stopped[ch.w.vin]
		return ok
	}
	return len(m.usage.Stopped) > 0
}

// stop stops the car at ch unless it is not charging.
func (m *Manager) stop(ctx context.Context, api API, s config.Settings, ch *charger, c *car) {
	now := m.clk.Now()
	if m.debounce(ch, c.lastStart, s.Vehicle.MinCycle, "stop") {
		return
	}
	st, err := m.state(ctx, api, c, false)
	switch {
	case errors.Is(err, ErrAsleep):
		m.done(ch, "asleep, so not charging: nothing to stop")
		return
	case err != nil:
		m.failed(ch, c, err)
		return
	}
	if m.away(ch, c, s, st) {
		return
	}
	if !charging(st) {
		m.done(ch, "not charging ("+st.Charging+"): nothing to stop")
		return
	}
	if err := m.command(ctx, api, c, ChargeStop, false); err != nil {
		if errors.Is(err, ErrAsleep) {
			m.done(ch, "asleep, so not charging: nothing to stop")
			return
		}
		m.failed(ch, c, err)
		return
	}
	c.lastStop = now
	c.state.Charging, c.state.Amps = StateStopped, 0
	if m.usage.Stopped == nil {
		m.usage.Stopped = map[string]time.Time{}
	}
	m.usage.Stopped[c.VIN] = now
	m.save()
	m.done(ch, "stopped at "+clockTime(now, now))
}

// start starts the car at ch if this appliance stopped it, or, with
// override, if it waits for its own schedule.
func (m *Manager) start(ctx context.Context, api API, s config.Settings, ch *charger, c *car) {
	now := m.clk.Now()
	_, ours := m.usage.Stopped[c.VIN]
	if !ours && !ch.w.override {
		m.done(ch, "")
		return
	}
	// The stop's time survives a restart in the usage record.
	if m.debounce(ch, clock.Later(c.lastStop, m.usage.Stopped[c.VIN]), s.Vehicle.MinCycle, "start") {
		return
	}
	st, err := m.state(ctx, api, c, ours)
	switch {
	case errors.Is(err, ErrAsleep):
		m.rouse(ctx, api, s, ch, c, ours)
		return
	case err != nil:
		m.failed(ch, c, err)
		return
	}
	if m.away(ch, c, s, st) {
		m.release(c) // plugged in again somewhere, it starts by itself
		return
	}
	switch {
	case charging(st):
		m.release(c)
		c.note = ""
		m.done(ch, "charging")
		return
	case st.Charging == StateDisconnected:
		m.release(c)
		m.done(ch, "unplugged: nothing to start")
		return
	case st.Charging == StateComplete:
		m.release(c)
		m.done(ch, "full: nothing to start")
		return
	case s.Vehicle.RespectSchedule && !ch.w.override && !st.ScheduledStart.IsZero():
		// The car starts itself when its schedule says so. ScheduledStart
		// is set while it waits, even when the car does not say until when.
		m.release(c)
		c.note = "waits for its own scheduled charging"
		if st.ScheduledStart.After(now) {
			c.note += " at " + clockTime(st.ScheduledStart, now)
		}
		c.note += ", so it was not started (Now mode would start it)"
		m.done(ch, c.note)
		return
	case !ours && st.Charging != StateStopped:
		m.done(ch, "")
		return
	}
	if err := m.command(ctx, api, c, ChargeStart, ours); err != nil {
		if errors.Is(err, ErrAsleep) {
			m.rouse(ctx, api, s, ch, c, ours)
			return
		}
		m.failed(ch, c, err)
		return
	}
	c.lastStart, c.note = now, ""
	c.state.Charging = StateStarting
	m.release(c)
	m.done(ch, "started at "+clockTime(now, now))
}

// rouse wakes a sleeping car whose start is due, at most once per
// MinCycle, and reads it again a few times while it comes online. A car
// that does not wake (no mobile signal in the garage) is woken ever less
// often, so that it cannot eat the budget.
func (m *Manager) rouse(ctx context.Context, api API, s config.Settings, ch *charger, c *car, restart bool) {
	now := m.clk.Now()
	if now.Before(c.nextWake) {
		if c.wakeReads < wakeReads {
			ch.next = now.Add(wakeSettle << c.wakeReads)
			c.wakeReads++
			c.asleepAt = time.Time{} // read it again then, despite the cache
			ch.note = "waiting for the car to wake"
			return
		}
		ch.next = c.nextWake
		ch.note = "the car did not wake; waking it again at " + clockTime(ch.next, now)
		return
	}
	if err := m.wake(ctx, api, c, restart); err != nil {
		m.failed(ch, c, err)
		return
	}
	c.nextWake = now.Add(s.Vehicle.MinCycle << min(c.wakeRounds, maxWakeBackoff))
	c.wakeRounds++
	ch.next, ch.note = now.Add(wakeSettle), "woken to start charging"
}

// debounce keeps one stop/start pair per MinCycle: it reports whether the
// wish must wait, and schedules it.
func (m *Manager) debounce(ch *charger, last time.Time, cycle time.Duration, what string) bool {
	now := m.clk.Now()
	if last.IsZero() || !now.Before(last.Add(cycle)) {
		return false
	}
	ch.next = last.Add(cycle)
	ch.note = fmt.Sprintf("the %s waits until %s: at most one stop and start per %v", what, clockTime(ch.next, now), cycle)
	return true
}

// away gives the verdict on a car that is not at home.
func (m *Manager) away(ch *charger, c *car, s config.Settings, st ChargeState) bool {
	home, known := where(s.Home, st)
	if !known || home {
		return false
	}
	m.verdict(ch, awayPause, refusal{fmt.Sprintf("%s is away from home, so it is not commanded", c.label()), false})
	return true
}

// release forgets that this appliance stopped c.
func (m *Manager) release(c *car) {
	if _, ok := m.usage.Stopped[c.VIN]; ok {
		delete(m.usage.Stopped, c.VIN)
		m.save()
	}
}

// done ends the work on ch's wish.
func (m *Manager) done(ch *charger, note string) {
	ch.pending, ch.tries = false, 0
	if !ch.hard {
		ch.until, ch.why = time.Time{}, ""
	}
	if note != "" {
		ch.note = note
	}
}

// verdict ends the work on ch's wish and makes Handles false for d: the car
// there cannot be commanded.
func (m *Manager) verdict(ch *charger, d time.Duration, no refusal) {
	ch.pending, ch.tries = false, 0
	ch.until, ch.why, ch.hard, ch.fix, ch.note = m.clk.Now().Add(d), no.why, true, no.fix, no.why
	m.log.Info("vehicle: not commanding the car at a charger", "id", ch.id.String(), "why", no.why)
}

// failed decides what a failed call means for ch's wish.
func (m *Manager) failed(ch *charger, c *car, err error) {
	now := m.clk.Now()
	var rl *RateLimited
	switch {
	case errors.Is(err, context.Canceled):
	case errors.Is(err, errPaused) || errors.As(err, &rl):
		ch.next = m.block.rateUntil
	case errors.Is(err, ErrLogin):
		ch.next = m.block.loginAt.Add(loginPause)
	case errors.Is(err, ErrUnreachable):
		ch.next = m.block.downUntil
	case errors.Is(err, errBudget):
		m.done(ch, "not sent: "+errBudget.Error())
	case errors.Is(err, ErrNotEnrolled):
		if c != nil {
			c.notEnrolled = now
		}
		m.verdict(ch, notEnrolledPause, refusal{ErrNotEnrolled.Error(), true})
	case errors.Is(err, ErrUnknownVIN):
		if c != nil {
			c.listed = false
		}
		m.verdict(ch, unidentifiedPause, refusal{fmt.Sprintf("the car at charger %s (VIN %s) is not on the Tesla account", ch.id, ch.w.vin), true})
	default:
		ch.tries++
		if ch.tries >= maxTries {
			m.verdict(ch, failPause, refusal{"the car API keeps failing: " + err.Error(), true})
			return
		}
		ch.next = now.Add(retryBase << (ch.tries - 1))
		ch.until, ch.why = ch.next, "the last call failed ("+err.Error()+"); trying again at "+clockTime(ch.next, now)
		ch.note = ch.why
	}
}

func (c *car) label() string {
	if c.Name != "" {
		return c.Name
	}
	return "the car " + c.VIN
}

// clockTime formats t for a sentence read at now.
func clockTime(t, now time.Time) string {
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	return t.Format("Jan 2 15:04")
}
