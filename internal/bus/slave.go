package bus

import (
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Charging thresholds from the protocol spec.
const (
	chargingAmps       = 1.0 // at or above: a car is charging
	significantAmps    = 0.8 // a change in draw this large restarts the "stuck" clock
	sessionEndDebounce = 5 * time.Second
	maxVINRetries      = 5
)

// slave is the master's record of one charger. Only the Run goroutine touches it.
type slave struct {
	id         twc.ID
	sign       byte
	protocol   twc.Protocol
	advertised units.Amps // max amps from its link-ready
	minAmps    units.Amps // lowest non-zero current it accepts: 5 A (v1), 6 A (v2)
	linkedAt   time.Time
	lastRx     time.Time
	replied    bool

	// From its last heartbeat.
	state       twc.State
	reportedMax units.Amps
	actual      units.Amps

	// Offer bookkeeping for the hold and spike rules.
	offered        units.Amps
	offerChangedAt time.Time
	monitor        units.Amps // actual at the last significant change
	monitorAt      time.Time

	hbDue      time.Time
	lastHBSent time.Time
	hbSent     uint64
	maxHBGap   time.Duration

	// Stop mechanism in force, if any.
	stop        StopMethod
	silentUntil time.Time
	relayBursts int // FC B1/B2 frames still to send in the current burst
	relayOp     twc.Code
	relayAt     time.Time

	info        Info
	ext         tri // answers FB EC (firmware 4.5.3 or later)
	extTries    int
	serialTries int
	meterAt     time.Time // last meter query
	meterFails  int

	charging   bool
	belowSince time.Time
	vinActive  bool
	vinPart    int
	vinParts   [3]twc.VINPart
	vinNext    time.Time
	vinRetries int
	legacyStep int
	manual     []twc.Code // queries a person asked for, first in line

	// Monitor mode: a link-ready was heard (so its rating is known), the
	// master's heartbeats carry a limit, and which VIN parts have passed.
	announced  bool
	offerHeard bool
	vinHave    uint8
}

// tri is an unknown/yes/no answer.
type tri int8

const (
	unknown tri = iota
	yes
	no
)

// Info is what the master has learnt about a charger from its queries.
type Info struct {
	Firmware    string
	Serial      string
	Model       string
	VIN         string
	LifetimeKWh float64
	Volts       [3]units.Volts
	PhaseAmps   [3]units.Amps
	MeterAt     time.Time
	// MeterAnomalies counts meter replies rejected as implausible jumps.
	MeterAnomalies int
	// Plug is the last FD B4 answer (00 unplugged, 01 charging, 03 plugged
	// in, not charging), when PlugKnown.
	Plug      byte
	PlugKnown bool
}

func newSlave(lr twc.SlaveLinkReady, now time.Time) *slave {
	s := &slave{
		id: lr.Slave, sign: lr.Sign, protocol: lr.Protocol,
		advertised: lr.MaxAmps.Amps(), linkedAt: now, lastRx: now,
		offerChangedAt: now, hbDue: now, monitor: -1,
	}
	s.minAmps = 6
	if lr.Protocol == twc.Protocol1 {
		s.minAmps = 5
	}
	return s
}

// spikeAmps is the spike value: 21 A for 80 A (US) units, 16 A otherwise.
func (s *slave) spikeAmps() units.Amps {
	if s.advertised >= 80 {
		return 21
	}
	return 16
}

// observe records a heartbeat reply.
func (s *slave) observe(hb twc.SlaveHeartbeat, now time.Time) (sessionStarted bool) {
	s.lastRx, s.replied = now, true
	s.state = hb.State
	s.reportedMax = hb.MaxAmps.Amps()
	s.actual = hb.ActualAmps.Amps()
	if s.monitor < 0 || abs(s.actual-s.monitor) > significantAmps {
		s.monitor, s.monitorAt = s.actual, now
	}
	if s.actual >= chargingAmps {
		s.belowSince = time.Time{}
		if !s.charging {
			s.charging = true
			return true
		}
		return false
	}
	// Cars dip to 0 A while negotiating; a session ends after 5 s below 1 A.
	if s.charging {
		if s.belowSince.IsZero() {
			s.belowSince = now
		} else if now.Sub(s.belowSince) >= sessionEndDebounce {
			s.charging = false
			s.vinActive = false
		}
	}
	return false
}

func abs(a units.Amps) units.Amps {
	if a < 0 {
		return -a
	}
	return a
}
