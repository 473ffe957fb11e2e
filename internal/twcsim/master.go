package twcsim

import (
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// MasterConfig is the real-master profile: the simulator also plays a Wall
// Connector set as master, which runs the bus for the simulated slaves so
// that an appliance in monitor mode has something to listen to.
//
// Like a real master it sends five link-ready 1 and five link-ready 2 when it
// starts, adds every slave whose link-ready it hears (at most three), and
// sends each a heartbeat about once a second offering a fixed, even share of
// Amps. Its frames go out on the port, and the simulated slaves hear them as
// they hear the port's.
type MasterConfig struct {
	ID   twc.ID // default 3D43
	Sign byte   // default 5A
	// Amps is the current the master shares evenly among its slaves, each
	// share in whole amps and at most the slave's rating; default 32.
	Amps units.Amps
	// Queries makes it ask each slave for its meter every minute and for the
	// VIN when a car starts drawing, as TWCManager does as master. A Tesla
	// master is not known to ask, so by default it does not.
	Queries bool
}

// Real-master timings.
const (
	masterTxGap     = 100 * time.Millisecond // between two of its frames
	masterHBEvery   = time.Second            // per slave
	masterDrop      = 30 * time.Second       // a slave silent this long is forgotten
	masterMeterWait = 5 * time.Second        // first meter query after linking
	masterMeterGap  = time.Minute
)

// simMaster is the simulated master. The Sim's mutex guards it.
type simMaster struct {
	cfg    MasterConfig
	burst  []twc.Message
	queue  []twc.Message // queries, sent when no heartbeat is due
	slaves []*masterSlave
	nextTx time.Time
}

// masterSlave is the master's record of one slave.
type masterSlave struct {
	id        twc.ID
	protocol  twc.Protocol
	rating    units.Amps
	hbDue     time.Time
	lastHeard time.Time
	actual    units.Amps
	meterDue  time.Time
}

func newSimMaster(cfg MasterConfig, now time.Time) *simMaster {
	if cfg.ID == 0 {
		cfg.ID = 0x3D43
	}
	if cfg.Sign == 0 {
		cfg.Sign = 0x5A
	}
	if cfg.Amps == 0 {
		cfg.Amps = 32
	}
	m := &simMaster{cfg: cfg, nextTx: now}
	for _, second := range []bool{false, true} {
		for range 5 {
			m.burst = append(m.burst, twc.MasterLinkReady{Second: second, Master: cfg.ID, Sign: cfg.Sign})
		}
	}
	return m
}

// SetMaster puts a simulated master on the bus (the real-master profile),
// replacing the one there, or takes it away with nil: its slaves then
// announce themselves again within 10 s, as real ones do.
func (s *Sim) SetMaster(cfg *MasterConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.master = nil
	if cfg != nil {
		s.master = newSimMaster(*cfg, s.clk.Now())
	}
}

// share is the current offered to each slave.
func (m *simMaster) share(s *masterSlave) units.Amps {
	a := (m.cfg.Amps / units.Amps(len(m.slaves))).Whole()
	if s.rating > 0 {
		a = units.Min(a, s.rating)
	}
	if a < 6 {
		return 0
	}
	return a
}

// next returns the frame the master sends at now, if any, and when it next
// wants to send.
func (m *simMaster) next(now time.Time) (twc.Message, time.Time) {
	m.drop(now)
	if now.Before(m.nextTx) {
		return nil, m.nextTx
	}
	var msg twc.Message
	soonest := now.Add(time.Second)
	switch {
	case len(m.burst) > 0:
		msg, m.burst = m.burst[0], m.burst[1:]
	default:
		for _, s := range m.slaves {
			if msg == nil && !now.Before(s.hbDue) {
				msg = m.heartbeat(s)
				s.hbDue = now.Add(masterHBEvery)
			}
			if m.cfg.Queries && !now.Before(s.meterDue) {
				m.queue = append(m.queue, twc.NewRequest(twc.CodeMeterQuery, m.cfg.ID, s.id))
				s.meterDue = now.Add(masterMeterGap)
			}
			soonest = earlier(soonest, s.hbDue)
		}
		if msg == nil && len(m.queue) > 0 {
			msg, m.queue = m.queue[0], m.queue[1:]
		}
	}
	if msg == nil {
		return nil, soonest
	}
	m.nextTx = now.Add(masterTxGap)
	return msg, m.nextTx
}

func (m *simMaster) heartbeat(s *masterSlave) twc.MasterHeartbeat {
	cmd := twc.CmdSetLimit2
	if s.protocol == twc.Protocol1 {
		cmd = twc.CmdSetLimit
	}
	return twc.MasterHeartbeat{Master: m.cfg.ID, Slave: s.id, Command: cmd, Amps: twc.FromAmps(m.share(s)), Protocol: s.protocol}
}

func (m *simMaster) drop(now time.Time) {
	kept := m.slaves[:0]
	for _, s := range m.slaves {
		if now.Sub(s.lastHeard) < masterDrop {
			kept = append(kept, s)
		}
	}
	clear(m.slaves[len(kept):])
	m.slaves = kept
}

// hear takes a frame from the bus: a slave's link-ready or heartbeat.
func (m *simMaster) hear(now time.Time, msg twc.Message) {
	switch msg := msg.(type) {
	case twc.SlaveLinkReady:
		s := m.slave(msg.Slave)
		if s == nil {
			if len(m.slaves) >= 3 {
				return
			}
			s = &masterSlave{id: msg.Slave, hbDue: now, meterDue: now.Add(masterMeterWait)}
			m.slaves = append(m.slaves, s)
		}
		s.protocol, s.rating, s.lastHeard = msg.Protocol, msg.MaxAmps.Amps(), now
	case twc.SlaveHeartbeat:
		s := m.slave(msg.Slave)
		if s == nil || msg.Master != m.cfg.ID {
			return
		}
		s.lastHeard = now
		was := s.actual
		s.actual = msg.ActualAmps.Amps()
		if m.cfg.Queries && was < 1 && s.actual >= 1 {
			for _, op := range []twc.Code{twc.CodeVIN1Query, twc.CodeVIN2Query, twc.CodeVIN3Query} {
				m.queue = append(m.queue, twc.NewRequest(op, m.cfg.ID, s.id))
			}
		}
	}
}

func (m *simMaster) slave(id twc.ID) *masterSlave {
	for _, s := range m.slaves {
		if s.id == id {
			return s
		}
	}
	return nil
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
