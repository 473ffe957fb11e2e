package bus

import (
	"errors"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

type queryKind int

const (
	qFirmware queryKind = iota
	qSerial
	qVIN
	qMeter
	qLegacy
	qManual
)

type awaiting struct {
	slave    twc.ID
	reply    twc.Code
	kind     queryKind
	deadline time.Time
}

type query struct {
	slave twc.ID
	msg   twc.Message
	reply twc.Code
	kind  queryKind
}

// Meter plausibility: counters that jump like the anomalies in the spec
// (bit 22 set, 10 million kWh) are not energy.
const (
	maxPlausibleKWh  = 1_000_000
	maxMeterStepKWh  = 100
	meterBackoff     = 10 * time.Minute
	meterFailsBefore = 3
	infoTries        = 2
)

var legacySteps = [...]twc.Code{twc.CodeLegacyFirmwareQuery, twc.CodeLegacySerialQuery, twc.CodeModelQuery}

// nextQuery picks the next info query, or returns when one will be due.
func (m *Master) nextQuery(now time.Time) (*query, time.Time) {
	var at time.Time
	when := func(t time.Time) {
		if at.IsZero() || t.Before(at) {
			at = t
		}
	}
	for i := range m.slaves {
		s := m.slaves[(m.rr+i)%len(m.slaves)]
		req := func(op, reply twc.Code, kind queryKind) *query {
			return &query{slave: s.id, msg: twc.NewRequest(op, m.cfg.ID, s.id), reply: reply, kind: kind}
		}
		if len(s.manual) > 0 {
			op := s.manual[0]
			s.manual = s.manual[1:]
			switch op {
			case twc.CodeLegacyFirmwareQuery, twc.CodeModelQuery:
				return &query{slave: s.id, msg: twc.LegacyQuery{Op: op, Protocol: s.protocol}, reply: replyTo(op), kind: qLegacy}, time.Time{}
			case twc.CodeVIN1Query:
				s.vinActive, s.vinPart, s.vinRetries, s.vinNext = true, 0, 0, now
				return req(op, replyTo(op), qVIN), time.Time{}
			}
			return req(op, replyTo(op), qManual), time.Time{}
		}
		if s.protocol == twc.Protocol2 {
			if s.ext == unknown && s.extTries < infoTries {
				s.extTries++
				return req(twc.CodeFirmwareQuery, twc.CodeFirmware, qFirmware), time.Time{}
			}
			if s.ext == yes && s.info.Serial == "" && s.serialTries < infoTries {
				s.serialTries++
				return req(twc.CodeSerialQuery, twc.CodeSerial, qSerial), time.Time{}
			}
			if s.vinActive {
				if !now.Before(s.vinNext) {
					code := twc.VINQueryCode(s.vinPart)
					return req(code, replyTo(code), qVIN), time.Time{}
				}
				when(s.vinNext)
			}
			meterDue := s.meterAt.Add(m.cfg.Timing.MeterInterval)
			if s.meterFails >= meterFailsBefore {
				meterDue = s.meterAt.Add(meterBackoff)
			}
			if !now.Before(meterDue) {
				s.meterAt = now
				return req(twc.CodeMeterQuery, twc.CodeMeter, qMeter), time.Time{}
			}
			when(meterDue)
		}
		// Replies to these carry no ID: ask only a charger that has been alone
		// on the bus long enough that no other would answer too.
		if len(m.slaves) == 1 && s.legacyStep < len(legacySteps) {
			alone := s.linkedAt.Add(m.cfg.Timing.AloneBefore)
			if now.Before(alone) {
				when(alone)
				continue
			}
			op := legacySteps[s.legacyStep]
			s.legacyStep++
			return &query{slave: s.id, msg: twc.LegacyQuery{Op: op, Protocol: s.protocol}, reply: replyTo(op), kind: qLegacy}, time.Time{}
		}
	}
	return nil, at
}

// replyTo is the code of the slave's answer to request code op: FB xx → FD xx.
func replyTo(op twc.Code) twc.Code { return op&0x00FF | 0xFD00 }

func (m *Master) queryTimedOut(now time.Time) {
	aw := m.await
	m.await = nil
	m.counters.QueryTimeouts++
	m.dirty = true
	s := m.slave(aw.slave)
	if s == nil {
		return
	}
	switch aw.kind {
	case qFirmware:
		if s.extTries >= infoTries {
			s.ext = no
			m.log.Info("bus: charger does not report extended firmware (older than 4.5.3)", "id", s.id.String())
		}
	case qMeter:
		s.meterFails++
	case qVIN:
		m.vinFailed(now, s)
	}
}

func (m *Master) vinFailed(now time.Time, s *slave) {
	s.vinRetries++
	s.vinPart, s.vinNext = 0, now.Add(m.cfg.Timing.VINRetry)
	if s.vinRetries > maxVINRetries {
		s.vinActive = false
	}
}

// reply handles an answer to one of our queries.
func (m *Master) reply(now time.Time, msg twc.Message) {
	m.dirty = true
	id, ok := replySender(msg)
	if !ok {
		// No ID: it answers the legacy query we are waiting on, if any.
		if m.await == nil || m.await.kind != qLegacy || m.await.reply != msg.Code() {
			return
		}
		id = m.await.slave
	}
	s := m.slave(id)
	if s == nil {
		return
	}
	if m.await != nil && m.await.slave == id && m.await.reply == msg.Code() {
		m.await = nil
	}
	m.learn(now, s, msg)
}

// replySender is the ID a slave's reply carries; false for the replies to
// legacy queries, which carry none.
func replySender(msg twc.Message) (twc.ID, bool) {
	switch r := msg.(type) {
	case twc.Firmware:
		return r.Slave, true
	case twc.Serial:
		return r.Slave, true
	case twc.Meter:
		return r.Slave, true
	case twc.VINPart:
		return r.Slave, true
	case twc.PlugState:
		return r.Slave, true
	case twc.Ack:
		return r.Slave, true
	}
	return 0, false
}

// learn takes what a reply from s tells about it.
func (m *Master) learn(now time.Time, s *slave, msg twc.Message) {
	switch r := msg.(type) {
	case twc.Firmware:
		s.ext, s.info.Firmware = yes, r.String()
	case twc.Serial:
		s.info.Serial = r.String()
	case twc.Meter:
		m.meter(now, s, r)
	case twc.VINPart:
		if m.monitor {
			m.overheardVIN(s, r)
		} else {
			m.vinPart(now, s, r)
		}
	case twc.LegacyFirmware:
		if s.info.Firmware == "" {
			s.info.Firmware = r.String()
		}
	case twc.LegacyText:
		if r.Op == twc.CodeModel {
			s.info.Model = r.String()
		} else if s.info.Serial == "" {
			s.info.Serial = r.String()
		}
	case twc.Ack:
		m.log.Debug("bus: relay command acknowledged", "id", s.id.String(), "code", r.Op.String())
	case twc.PlugState:
		s.info.Plug, s.info.PlugKnown = r.State, true
	}
}

func (m *Master) meter(now time.Time, s *slave, r twc.Meter) {
	s.meterFails = 0
	kwh := float64(r.KWh)
	prev := s.info.LifetimeKWh
	plausible := kwh < maxPlausibleKWh && (s.info.MeterAt.IsZero() || (kwh >= prev && kwh-prev <= maxMeterStepKWh))
	if plausible {
		s.info.LifetimeKWh = kwh
	} else {
		s.info.MeterAnomalies++
		m.log.Warn("bus: implausible lifetime energy ignored", "id", s.id.String(), "kWh", r.KWh, "previous", prev)
	}
	for i := range 3 {
		s.info.Volts[i] = units.Volts(r.Volts[i])
		s.info.PhaseAmps[i] = units.Amps(r.PhaseAmps()[i])
	}
	s.info.MeterAt = now
}

func (m *Master) vinPart(now time.Time, s *slave, r twc.VINPart) {
	if !s.vinActive || r.Part != s.vinPart {
		return
	}
	s.vinParts[r.Part] = r
	if r.Part < 2 {
		s.vinPart++
		s.vinNext = now
		return
	}
	vin, err := twc.AssembleVIN(s.vinParts)
	switch {
	case err == nil:
		s.info.VIN, s.vinActive = vin, false
		m.log.Info("bus: car identified", "id", s.id.String(), "vin", vin)
	case errors.Is(err, twc.ErrNoVIN):
		s.vinActive = false // no car data over CAN: asking again will not help
	default:
		m.vinFailed(now, s)
	}
}
