package bus

import (
	"fmt"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus/capture"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// StopMethod is how the master stops a charging car when the policy wants
// 0 A. A Gen 2 charger cannot stop every car cleanly; each method trades
// reliability against side effects (protocol spec §2.10, §3.10).
type StopMethod int

const (
	// StopNone: no stop is in force.
	StopNone StopMethod = iota
	// StopZeroAmps offers 0 A in every heartbeat. Reliable on protocol 1
	// chargers: the relay opens and the car sleeps in state 03 until current
	// is offered again. On protocol 2 many cars keep drawing, so the policy
	// should prefer the car's API there.
	StopZeroAmps
	// StopRelay sends FC B2 (firmware 4.5.3 or later), which opens the relay
	// without telling the car. It works for cars in legacy (non-CAN) mode; a
	// Tesla in CAN mode shows a fault and needs a re-plug before FC B1 or any
	// offer restarts it. Meant for non-Tesla cars.
	StopRelay
	// StopSilence stops sending heartbeats to the charger for a minute; it
	// stops the car by itself after about 30 s. Works on every charger and car,
	// but Teslas accept it only about three times per plug-in.
	StopSilence
)

func (m StopMethod) String() string {
	switch m {
	case StopNone:
		return "none"
	case StopZeroAmps:
		return "zero-amps"
	case StopRelay:
		return "relay-command"
	case StopSilence:
		return "stop-responding"
	}
	return fmt.Sprintf("stop-method-%d", int(m))
}

type cmdKind int

const (
	cmdStop cmdKind = iota
	cmdStart
	cmdFrames
	cmdQuery
	cmdReopen
	cmdCapture
)

type command struct {
	kind   cmdKind
	id     twc.ID
	method StopMethod
	op     twc.Code
	frames *[]Frame
	open   Opener
	reply  chan error

	capOp     captureOp
	dur       time.Duration
	buf       *capture.Buffer
	capStatus *CaptureStatus
	capFile   *[]byte
}

// command runs a request on the owner goroutine.
func (m *Master) command(now time.Time, c command) error {
	switch c.kind {
	case cmdFrames:
		*c.frames = m.frames.copyOut()
		return nil
	case cmdReopen:
		m.cfg.Open = c.open
		m.reopen = true
		return nil
	case cmdCapture:
		return m.captureCommand(now, c)
	}
	if m.monitor {
		return ErrMonitor // stop, start and queries all need to send
	}
	s := m.slave(c.id)
	if s == nil {
		return fmt.Errorf("bus: no charger %s on the bus", c.id)
	}
	m.dirty = true
	switch c.kind {
	case cmdQuery:
		s.manual = append(s.manual, c.op)
	case cmdStop:
		switch c.method {
		case StopZeroAmps:
		case StopRelay:
			if s.ext != yes {
				return fmt.Errorf("bus: charger %s does not take the stop command: it needs firmware 4.5.3 or later (it reports %q)", s.id, s.info.Firmware)
			}
			s.relayOp, s.relayBursts = twc.CodeStopCharging, 3
		case StopSilence:
			s.silentUntil, s.lastHBSent = now.Add(m.cfg.Timing.SilenceStop), time.Time{}
		default:
			return fmt.Errorf("bus: unknown stop method %v; use zero-amps, relay-command or stop-responding", c.method)
		}
		s.stop = c.method
		m.log.Info("bus: stopping charging", "id", s.id.String(), "method", c.method.String())
	case cmdStart:
		prev := s.stop
		s.stop = StopNone
		switch prev {
		case StopRelay:
			s.relayOp, s.relayBursts = twc.CodeStartCharging, 3
		case StopSilence:
			if !s.silentUntil.IsZero() {
				s.silentUntil, s.lastRx = time.Time{}, now
			}
		}
		m.log.Info("bus: charging allowed again", "id", s.id.String(), "was", prev.String())
	}
	return nil
}
