package bus

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
)

// Monitor mode: a charger stays set as master and runs the bus; the appliance
// listens to it and its slaves and never transmits. It learns the slaves from
// their own frames, takes the offered current from the master's heartbeats,
// and reads the meter, firmware, serial and VIN replies the master's queries
// bring, into the same Snapshot as in control mode.

// ErrMonitor is the answer to a request that needs the appliance to send:
// in monitor mode it only listens.
var ErrMonitor = errors.New("bus: monitor mode: twcmanager only listens to the bus and cannot control charging; switch to control mode in Settings → Adapter")

// ErrListenOnly is what a write to the port returns in monitor mode.
var ErrListenOnly = errors.New("bus: monitor mode: the port is listen-only")

// errMode ends serve so that Run opens the adapter again in the other mode.
var errMode = errors.New("bus: switching mode")

// noMasterAfter is how long monitor mode waits for a master before it says
// there is none: a master heartbeats each slave about once a second.
const noMasterAfter = 30 * time.Second

// SetMonitor switches to monitor mode (on) or back to control mode. It does
// not wait: the adapter is opened again in the new mode at once, and the
// chargers are learnt afresh. It is safe to call before Run.
func (m *Master) SetMonitor(on bool) {
	m.wantMonitor.Store(on)
	select {
	case m.poke <- struct{}{}:
	default: // a switch is already pending
	}
}

// enterMode forgets what the other mode knew about the bus. The decoder's
// counters and the adapter's state stay.
func (m *Master) enterMode(on bool) {
	if on != m.monitor {
		m.log.Info("bus: mode", "monitor", on)
	}
	m.monitor = on
	m.slaves, m.await, m.rr = nil, nil, 0
	m.strangers = map[twc.ID]bool{}
	m.realMaster, m.masterAt = 0, time.Time{}
	for _, k := range []FaultKind{FaultSecondMaster, FaultChargerError, FaultTooMany, FaultIDConflict, FaultNoMaster} {
		for key, e := range m.faults.m {
			if e.Kind == k {
				delete(m.faults.m, key)
			}
		}
	}
	stats := m.dec.Stats
	// A monitor must not take a master's frames for its own echo, whatever
	// ID that master uses (TWCManager's is ours, 7777).
	m.dec = twc.Decoder{OwnID: m.cfg.ID, HasOwnID: !on, Stats: stats}
	m.burst = nil
	if !on {
		m.burst = m.startupBurst()
	}
	m.dirty = true
}

// open opens the adapter. In monitor mode the port is wrapped before anything
// else sees it, so that no code path can transmit.
func (m *Master) open() (io.ReadWriteCloser, error) {
	port, err := m.cfg.Open()
	if err != nil || !m.monitor {
		return port, err
	}
	return &listenOnly{port: port, refused: &m.counters.WritesRefused}, nil
}

// listenOnly is the port in monitor mode. It keeps the port as an
// io.ReadCloser, so its Write is out of reach; its own Write refuses and
// counts. Only the Run goroutine writes, so the counter needs no lock.
type listenOnly struct {
	port    io.ReadCloser
	refused *uint64
}

func (l *listenOnly) Read(p []byte) (int, error) { return l.port.Read(p) }
func (l *listenOnly) Close() error               { return l.port.Close() }

func (l *listenOnly) Write([]byte) (int, error) {
	*l.refused++
	return 0, ErrListenOnly
}

// watch is tick for monitor mode: the timeouts, and nothing to send.
func (m *Master) watch(now time.Time) time.Time {
	if m.dec.Expire(now) != nil {
		m.dirty = true
	}
	if m.faults.expire(now) {
		m.dirty = true
	}
	m.dropSilent(now)
	since := m.masterAt
	if since.IsZero() {
		since = m.connectedAt
	}
	if m.connected && now.Sub(since) >= noMasterAfter {
		if m.faults.raise(now, FaultNoMaster, 0, false, noMasterSentence(now.Sub(since))) {
			m.log.Warn("bus: monitor mode: no master charger heard", "for", now.Sub(since).Round(time.Second).String())
			m.dirty = true
		}
	}
	return now.Add(maxSleep)
}

func noMasterSentence(d time.Duration) string {
	return fmt.Sprintf("monitor mode: no master charger heard for %s. In this mode twcmanager only listens, so one charger must run as master "+
		"(its rotary switch not at F); or switch to control mode in Settings → Adapter to let twcmanager be the master", d.Round(time.Second))
}

// overhear handles one verified body in monitor mode. Nothing is answered.
func (m *Master) overhear(now time.Time, body []byte) {
	msg, ok := m.parse(body)
	if !ok {
		return
	}
	switch msg := msg.(type) {
	case twc.SlaveLinkReady:
		m.overheardLinkReady(now, msg)
	case twc.SlaveHeartbeat:
		if s := m.heard(now, msg.Slave, msg.Protocol); s != nil {
			m.overheardHeartbeat(now, s, msg)
		}
	case twc.MasterHeartbeat:
		m.heardMaster(now, msg.Master)
		if s := m.slave(msg.Slave); s != nil {
			s.masterHeartbeat(now, msg)
		}
	case twc.MasterLinkReady:
		m.heardMaster(now, msg.Master)
	case twc.Request:
		m.heardMaster(now, msg.Master)
	case twc.Idle, twc.LegacyQuery:
		m.heardMaster(now, 0)
	case twc.Unknown:
		m.unknownCode(msg, body)
	default:
		m.overheardReply(now, msg)
	}
}

// heardMaster records a frame only a master sends; id is 0 for the frames
// that carry none. A second master is a fault in this mode too.
func (m *Master) heardMaster(now time.Time, id twc.ID) {
	m.counters.MasterFrames++
	m.dirty = true
	m.faults.clear(FaultNoMaster, 0)
	switch {
	case id == 0 || id == m.realMaster:
	case m.realMaster != 0 && now.Sub(m.masterAt) < m.cfg.Timing.SlaveTimeout:
		if m.faults.raise(now, FaultSecondMaster, 0, false, twoMastersSentence(m.realMaster, id)) {
			m.log.Error("bus: monitor mode: two masters on the bus", "first", m.realMaster.String(), "second", id.String())
		}
		return // keep following the first
	default:
		m.log.Info("bus: monitor mode: master charger heard", "id", id.String())
		m.realMaster = id
	}
	m.masterAt = now
}

func twoMastersSentence(a, b twc.ID) string {
	return fmt.Sprintf("two masters (IDs %s and %s) are on the bus: set all chargers but one to slave (rotary switch at F)", a, b)
}

// heard returns the slave with id, adding it when it is new: in monitor mode
// a slave is learnt from any frame of its own, since one linked before we
// listened sends no more link-readies.
func (m *Master) heard(now time.Time, id twc.ID, p twc.Protocol) *slave {
	if s := m.slave(id); s != nil {
		s.lastRx = now
		return s
	}
	if len(m.slaves) >= MaxSlaves {
		if m.faults.raise(now, FaultTooMany, id, false,
			"more than three chargers are set to slave on this bus: a Wall Connector master drives at most three; set the extra one to its own bus or turn it off") {
			m.log.Error("bus: monitor mode: ignoring a fourth charger", "id", id.String())
		}
		return nil
	}
	s := newSlave(twc.SlaveLinkReady{Slave: id, Protocol: p}, now)
	m.slaves = append(m.slaves, s)
	m.dirty = true
	m.log.Info("bus: monitor mode: charger heard", "id", id.String(), "protocol", int(p), "chargers", len(m.slaves))
	return s
}

// overheardLinkReady learns a slave's rating and protocol.
func (m *Master) overheardLinkReady(now time.Time, lr twc.SlaveLinkReady) {
	s := m.heard(now, lr.Slave, lr.Protocol)
	if s == nil {
		return
	}
	s.sign, s.protocol, s.advertised, s.announced = lr.Sign, lr.Protocol, lr.MaxAmps.Amps(), true
	s.minAmps = 6
	if lr.Protocol == twc.Protocol1 {
		s.minAmps = 5
	}
	m.dirty = true
}

func (m *Master) overheardHeartbeat(now time.Time, s *slave, hb twc.SlaveHeartbeat) {
	m.counters.HeartbeatReplies++
	m.dirty = true
	if !s.announced {
		// Heartbeat lengths tell the protocol; a link-ready, when one is
		// heard, tells it better (TWCManager's fake slave mixes lengths).
		s.protocol = hb.Protocol
	}
	if s.observe(hb, now) {
		m.log.Info("bus: car charging", "id", s.id.String(), "amps", s.actual.String())
		// The VIN that follows, if the master asks for it, is this car's.
		s.info.VIN, s.vinHave = "", 0
	}
	if !s.offerHeard {
		// Until the master's heartbeat carries a limit, the slave's own
		// report of the limit it applies is the best word on the offer.
		s.offered = s.reportedMax
	}
	if hb.State == twc.StateError {
		if m.faults.raise(now, FaultChargerError, s.id, false, chargerErrorSentence(s.id)) {
			m.log.Warn("bus: charger reports an error", "id", s.id.String())
		}
	} else {
		m.faults.clear(FaultChargerError, s.id)
	}
}

// masterHeartbeat records the master charger's heartbeat to s: the current
// it offers, when the command carries one, and the heartbeat's spacing.
func (s *slave) masterHeartbeat(now time.Time, hb twc.MasterHeartbeat) {
	if !s.lastHBSent.IsZero() {
		s.maxHBGap = max(s.maxHBGap, now.Sub(s.lastHBSent))
	}
	s.lastHBSent = now
	s.hbSent++
	if hb.Command.CarriesLimit() {
		s.offerHeard = true
		if a := hb.Amps.Amps(); a != s.offered {
			s.offered, s.offerChangedAt = a, now
		}
	}
}

// overheardReply takes what a slave tells the master. Replies without an ID
// are taken only while one charger is on the bus: with more, nobody knows
// whose they are.
func (m *Master) overheardReply(now time.Time, msg twc.Message) {
	id, ok := replySender(msg)
	if !ok {
		if len(m.slaves) != 1 {
			return
		}
		id = m.slaves[0].id
	}
	s := m.slave(id)
	if s == nil {
		return
	}
	s.lastRx = now
	m.dirty = true
	m.learn(now, s, msg)
}

// overheardVIN assembles a VIN from parts in whatever order the master asks.
func (m *Master) overheardVIN(s *slave, r twc.VINPart) {
	s.vinParts[r.Part] = r
	s.vinHave |= 1 << r.Part
	if s.vinHave != 0b111 {
		return
	}
	s.vinHave = 0
	if vin, err := twc.AssembleVIN(s.vinParts); err == nil {
		if vin != s.info.VIN {
			m.log.Info("bus: car identified", "id", s.id.String(), "vin", vin)
		}
		s.info.VIN = vin
	}
}
