package bus

import (
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Hold times from the protocol spec §3.8.
const (
	reduceHold   = 5 * time.Second  // reductions at most this often; spike held this long
	stuckAtSpike = 10 * time.Second // a car stuck at the spike value gets spike − 2
	stuckTime    = 10 * time.Second // no significant change this long: car is stuck
	stuckMargin  = 2.0              // A below the offer that counts as stuck
)

// chargerLimit is the most a charger may ever be offered: the configured
// wiring limit and the charger's own rating, whichever is lower.
func (m *Master) chargerLimit(s *slave, lim Limits) units.Amps {
	return units.Min(lim.forCharger(s.id), s.advertised)
}

// offerFor decides the current for s's next heartbeat and records it. The
// result is always whole amps, 0 or at least the charger's minimum, at most
// chargerLimit, and leaves the sum of all offers within the shared limit.
func (m *Master) offerFor(now time.Time, s *slave) units.Amps {
	lim := *m.limits.Load()
	limit := m.chargerLimit(s, lim)
	want := units.Amps(0)
	if s.stop == StopNone {
		want = units.Min(m.cfg.Targets.Target(s.id), limit).Whole()
	}
	if want < s.minAmps {
		want = 0
	}
	if want > 0 {
		want = m.spikeAndHold(now, s, want)
	}
	offer := m.clamp(s, want, limit, lim.Shared)
	if offer != s.offered {
		s.offered, s.offerChangedAt = offer, now
	}
	return offer
}

// clamp is the last line of defence, applied after every rule that may raise
// an offer.
func (m *Master) clamp(s *slave, want, limit, shared units.Amps) units.Amps {
	room := shared
	for _, o := range m.slaves {
		if o != s {
			room -= o.offered
		}
	}
	offer := units.Min(want, limit, room).Whole()
	if offer < s.minAmps {
		return 0
	}
	return offer
}

// spikeAndHold applies the spike workaround and the reduction hold (§3.8).
func (m *Master) spikeAndHold(now time.Time, s *slave, want units.Amps) units.Amps {
	spike := s.spikeAmps()
	sinceChange := now.Sub(s.offerChangedAt)
	proactive := m.cfg.Spike.Proactive && want < spike && want > s.reportedMax
	reactive := m.cfg.Spike.Reactive && s.actual > stuckMargin && s.actual <= spike &&
		s.offered-s.actual > stuckMargin && now.Sub(s.monitorAt) > stuckTime
	switch {
	case proactive || reactive:
		switch {
		case s.offered == spike && sinceChange > stuckAtSpike:
			return spike - 2
		case sinceChange > reduceHold:
			return spike
		default:
			return s.offered // hold
		}
	case want < s.offered && s.offered > 0 && sinceChange < reduceHold:
		return s.offered
	}
	return want
}

// heartbeat builds the next heartbeat for s.
func (m *Master) heartbeat(now time.Time, s *slave) twc.MasterHeartbeat {
	offer := m.offerFor(now, s)
	hb := twc.MasterHeartbeat{Master: m.cfg.ID, Slave: s.id, Protocol: s.protocol}
	// The stop value goes out in every heartbeat while the offer is 0: sent
	// only now and then, it makes the relay chatter.
	if !m.cfg.LimitOnChangeOnly || offer == 0 || offer != s.reportedMax {
		hb.Command = twc.CmdSetLimit2
		if s.protocol == twc.Protocol1 {
			hb.Command = twc.CmdSetLimit
		}
		hb.Amps = twc.FromAmps(offer)
	}
	return hb
}
