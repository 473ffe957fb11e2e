package bus

import (
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
)

// frame dispatches one verified body.
func (m *Master) frame(now time.Time, body []byte) {
	if twc.CodeOf(body) == twc.CodeSlaveHeartbeat {
		hb, err := twc.ParseSlaveHeartbeat(body)
		if err != nil {
			m.counters.Malformed++
			return
		}
		m.slaveHeartbeat(now, hb)
		return
	}
	msg, ok := m.parse(body)
	if !ok {
		return
	}
	switch msg := msg.(type) {
	case twc.SlaveLinkReady:
		m.linkReady(now, msg)
	case twc.MasterLinkReady:
		m.foreignMaster(now, msg.Master)
	case twc.MasterHeartbeat:
		m.foreignMaster(now, msg.Master)
	case twc.Request:
		m.foreignMaster(now, msg.Master)
	case twc.Idle, twc.LegacyQuery:
		m.foreignMaster(now, 0)
	case twc.Unknown:
		m.unknownCode(msg, body)
	default:
		m.reply(now, msg)
	}
}

// parse decodes a verified body; one of a known code with a bad layout is
// counted and dropped.
func (m *Master) parse(body []byte) (twc.Message, bool) {
	msg, err := twc.Parse(body)
	if err != nil {
		m.counters.Malformed++
		m.dirty = true
		m.log.Debug("bus: malformed frame", "err", err, "body", body)
		return nil, false
	}
	return msg, true
}

func (m *Master) unknownCode(msg twc.Unknown, body []byte) {
	m.counters.UnknownCodes++
	m.dirty = true
	if !m.unknown[msg.Code()] {
		m.unknown[msg.Code()] = true
		m.log.Info("bus: unknown message code (logged once per code)", "code", msg.Code().String(), "body", body)
	}
}

// foreignMaster handles a frame only a master sends, from an ID not ours.
func (m *Master) foreignMaster(now time.Time, id twc.ID) {
	m.counters.ForeignFrames++
	m.dirty = true
	if m.faults.raise(now, FaultSecondMaster, 0, false, secondMasterSentence(id)) {
		m.log.Error("bus: second master on the bus", "id", id.String())
	}
}

func (m *Master) linkReady(now time.Time, lr twc.SlaveLinkReady) {
	m.dirty = true
	if lr.Slave == m.cfg.ID {
		// By convention the slave changes its ID; a fresh announcement of ours
		// makes it pick a new random one.
		if m.faults.raise(now, FaultIDConflict, lr.Slave, false,
			"a charger uses the master's own ID: re-announcing so that it picks a new one") {
			m.log.Warn("bus: charger has our ID, re-announcing", "id", lr.Slave.String())
		}
		if len(m.burst) == 0 {
			m.burst = m.startupBurst()
		}
		return
	}
	if s := m.slave(lr.Slave); s != nil {
		s.lastRx = now
		if s.sign != lr.Sign {
			m.log.Warn("bus: link-ready with a new sign: two chargers may share an ID, or one was reset",
				"id", lr.Slave.String(), "old", s.sign, "new", lr.Sign)
			s.sign = lr.Sign
		}
		return
	}
	if len(m.slaves) >= MaxSlaves {
		if m.faults.raise(now, FaultTooMany, lr.Slave, false,
			"more than three chargers are set to slave on this bus: only three can be controlled; set the extra one to its own bus or turn it off") {
			m.log.Error("bus: ignoring a fourth charger", "id", lr.Slave.String())
		}
		return
	}
	s := newSlave(lr, now)
	m.slaves = append(m.slaves, s)
	lim := m.limits.Load()
	if cl := lim.forCharger(s.id); cl > s.advertised {
		m.log.Warn("bus: configured charger limit exceeds what the charger is rated for; using the charger's maximum",
			"id", s.id.String(), "limit", cl, "rated", s.advertised)
	}
	m.log.Info("bus: charger linked", "id", s.id.String(), "max", s.advertised.String(),
		"protocol", int(s.protocol), "chargers", len(m.slaves))
}

func (m *Master) slaveHeartbeat(now time.Time, hb twc.SlaveHeartbeat) {
	s := m.slave(hb.Slave)
	if hb.Master != m.cfg.ID || s == nil {
		// Not for us, or a charger we have not met: it answers another master.
		if !m.strangers[hb.Slave] {
			m.strangers[hb.Slave] = true
			m.log.Info("bus: heartbeat from a charger we have not met", "id", hb.Slave.String(), "to", hb.Master.String())
		}
		return
	}
	m.counters.HeartbeatReplies++
	m.dirty = true
	if !s.replied {
		m.log.Info("bus: heartbeats flowing", "id", s.id.String(), "state", hb.State.String())
	}
	if s.observe(hb, now) {
		m.sessionStarted(now, s)
	}
	if hb.State == twc.StateError {
		if m.faults.raise(now, FaultChargerError, s.id, false, chargerErrorSentence(s.id)) {
			m.log.Warn("bus: charger reports an error", "id", s.id.String())
		}
	} else {
		m.faults.clear(FaultChargerError, s.id)
	}
}

// sessionStarted runs when a car begins to draw current: time to ask its VIN.
func (m *Master) sessionStarted(now time.Time, s *slave) {
	m.log.Info("bus: car charging", "id", s.id.String(), "amps", s.actual.String())
	if s.protocol == twc.Protocol2 && s.ext != no {
		s.vinActive, s.vinPart, s.vinRetries, s.vinNext = true, 0, 0, now
	}
}
