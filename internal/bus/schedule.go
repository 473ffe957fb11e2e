package bus

import (
	"io"
	"time"

	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// maxSleep bounds how long the owner sleeps even with nothing due, so that
// timeouts and fault expiry are checked regularly.
const maxSleep = 250 * time.Millisecond

// tick does the work due at now, transmits at most one frame, and returns when
// it next wants to run.
func (m *Master) tick(now time.Time, port io.Writer) (time.Time, error) {
	wake := now.Add(maxSleep)
	soonest := func(t time.Time) {
		if t.Before(wake) {
			wake = t
		}
	}
	if m.dec.Expire(now) != nil {
		m.dirty = true
	}
	if m.faults.expire(now) {
		m.dirty = true
	}
	m.dropSilent(now)
	if m.await != nil && !now.Before(m.await.deadline) {
		m.queryTimedOut(now)
	}
	if m.await != nil {
		soonest(m.await.deadline)
	}

	ready := clock.Later(m.lastTx.Add(m.cfg.Timing.TxGap), m.lastRxByte.Add(m.cfg.Timing.IdleGap))
	if now.Before(ready) {
		soonest(ready)
		return wake, nil
	}

	if len(m.burst) > 0 {
		msg := m.burst[0]
		m.burst = m.burst[1:]
		soonest(now.Add(max(m.cfg.Timing.TxGap, m.cfg.Timing.StartupFrames)))
		return wake, m.transmit(now, port, msg)
	}

	next, due := m.nextHeartbeat(now)
	if due != nil {
		return now.Add(m.cfg.Timing.TxGap), m.sendHeartbeat(now, port, due)
	}
	if !next.IsZero() {
		soonest(next)
	}

	for _, s := range m.slaves {
		if s.relayBursts > 0 {
			s.relayBursts--
			return now.Add(m.cfg.Timing.TxGap), m.transmit(now, port, twc.NewRequest(s.relayOp, m.cfg.ID, s.id))
		}
	}

	// A query goes out only if it cannot delay a heartbeat.
	if m.await == nil && (next.IsZero() || next.Sub(now) >= m.cfg.Timing.TxGap) {
		q, at := m.nextQuery(now)
		if q != nil {
			m.await = &awaiting{slave: q.slave, reply: q.reply, kind: q.kind, deadline: now.Add(m.cfg.Timing.ReplyTimeout)}
			m.counters.QueriesSent++
			return now.Add(m.cfg.Timing.TxGap), m.transmit(now, port, q.msg)
		}
		if !at.IsZero() {
			soonest(clock.Later(at, now.Add(time.Millisecond)))
		}
	}
	return wake, nil
}

// nextHeartbeat returns the earliest heartbeat due time among chargers that
// get heartbeats, and the charger whose heartbeat is due now, if any.
func (m *Master) nextHeartbeat(now time.Time) (time.Time, *slave) {
	var next time.Time
	var due *slave
	for i := range m.slaves {
		// Round-robin start so that equal due times are served in turn.
		s := m.slaves[(m.rr+i)%len(m.slaves)]
		at := s.hbDue
		if s.stop == StopSilence && now.Before(s.silentUntil) {
			at = s.silentUntil
		}
		if next.IsZero() || at.Before(next) {
			next = at
			if !at.After(now) {
				due = s
			}
		}
	}
	return next, due
}

func (m *Master) sendHeartbeat(now time.Time, port io.Writer, s *slave) error {
	if !s.silentUntil.IsZero() && !now.Before(s.silentUntil) {
		// Silence is over: give the charger a fresh timeout to answer in.
		s.silentUntil, s.lastRx = time.Time{}, now
	}
	if !s.lastHBSent.IsZero() {
		if gap := now.Sub(s.lastHBSent); gap > s.maxHBGap {
			s.maxHBGap = gap
		}
	}
	s.lastHBSent, s.hbDue = now, now.Add(m.cfg.Timing.HeartbeatInterval)
	s.hbSent++
	m.rr = (m.rr + 1) % len(m.slaves)
	m.counters.HeartbeatsSent++
	m.dirty = true
	// Relay stops are repeated while the car still draws current.
	if s.stop == StopRelay && s.actual >= chargingAmps && s.relayBursts == 0 {
		s.relayOp, s.relayBursts = twc.CodeStopCharging, 1
	}
	return m.transmit(now, port, m.heartbeat(now, s))
}

// dropSilent removes chargers that have not answered for SlaveTimeout. They
// come back with their next link-ready.
func (m *Master) dropSilent(now time.Time) {
	kept := m.slaves[:0]
	for _, s := range m.slaves {
		silenced := s.stop == StopSilence && now.Before(s.silentUntil)
		if !silenced && now.Sub(s.lastRx) > m.cfg.Timing.SlaveTimeout {
			m.log.Warn("bus: charger lost: no answer", "id", s.id.String(), "silent", now.Sub(s.lastRx).Round(time.Second).String())
			m.counters.Dropped++
			m.faults.clear(FaultChargerError, s.id)
			m.dirty = true
			continue
		}
		kept = append(kept, s)
	}
	clear(m.slaves[len(kept):])
	m.slaves = kept
	if len(m.slaves) > 0 {
		m.rr %= len(m.slaves)
	} else {
		m.rr = 0
	}
}
