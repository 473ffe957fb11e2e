package bus

import (
	"io"
	"log/slog"
	"time"

	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// MaxSlaves is how many chargers one master can drive: a bus has at most four
// units, one of them the master.
const MaxSlaves = 3

// Timing holds every time constant of the master. Zero fields take the
// defaults in DefaultTiming, which follow the protocol spec and TWCManager.
type Timing struct {
	// HeartbeatInterval is how often each charger gets a heartbeat.
	HeartbeatInterval time.Duration
	// TxGap is the least time between two transmissions: room for a reply.
	TxGap time.Duration
	// IdleGap is how long the bus must be quiet before we transmit: RS-485 has
	// no collision detection.
	IdleGap time.Duration
	// SlaveTimeout drops a charger that has not answered for this long.
	SlaveTimeout time.Duration
	// ReplyTimeout is how long we wait for the answer to an info query.
	ReplyTimeout time.Duration
	// MeterInterval is the least time between meter queries to one charger.
	MeterInterval time.Duration
	// VINRetry is the wait before asking again for a VIN that did not come.
	VINRetry time.Duration
	// SilenceStop is how long "stop responding" withholds heartbeats.
	SilenceStop time.Duration
	// Reconnect is the wait between attempts to reopen a lost adapter.
	Reconnect time.Duration
	// StartupFrames is the spacing of the link-ready burst.
	StartupFrames time.Duration
	// AloneBefore is how long a charger must be the only one seen before we
	// send the queries whose replies carry no ID (model, legacy firmware).
	AloneBefore time.Duration
}

// DefaultTiming returns the defaults.
func DefaultTiming() Timing {
	return Timing{
		HeartbeatInterval: time.Second,
		TxGap:             100 * time.Millisecond,
		IdleGap:           10 * time.Millisecond,
		SlaveTimeout:      26 * time.Second,
		ReplyTimeout:      400 * time.Millisecond,
		MeterInterval:     time.Minute,
		VINRetry:          time.Minute,
		SilenceStop:       time.Minute,
		Reconnect:         2 * time.Second,
		StartupFrames:     100 * time.Millisecond,
		AloneBefore:       30 * time.Second,
	}
}

func (t Timing) withDefaults() Timing {
	d := DefaultTiming()
	fill := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&t.HeartbeatInterval, d.HeartbeatInterval)
	fill(&t.TxGap, d.TxGap)
	fill(&t.IdleGap, d.IdleGap)
	fill(&t.SlaveTimeout, d.SlaveTimeout)
	fill(&t.ReplyTimeout, d.ReplyTimeout)
	fill(&t.MeterInterval, d.MeterInterval)
	fill(&t.VINRetry, d.VINRetry)
	fill(&t.SilenceStop, d.SilenceStop)
	fill(&t.Reconnect, d.Reconnect)
	fill(&t.StartupFrames, d.StartupFrames)
	fill(&t.AloneBefore, d.AloneBefore)
	return t
}

// Limits are the wiring limits every offered current is clamped to.
type Limits struct {
	// PerCharger is the continuous limit of each charger's circuit.
	PerCharger units.Amps
	// ByID overrides PerCharger for particular chargers.
	ByID map[twc.ID]units.Amps
	// Shared is the continuous limit of the circuit all chargers share; the
	// sum of offers never exceeds it.
	Shared units.Amps
}

func (l Limits) forCharger(id twc.ID) units.Amps {
	if a, ok := l.ByID[id]; ok {
		return a
	}
	return l.PerCharger
}

// Spike switches the workaround for the car firmware bug of October 2017:
// raising the offer made some cars fall back to 6 A unless the offer first
// went to the spike value (16 A, 21 A for 80 A units) for at least 5 s.
type Spike struct {
	Proactive bool // spike whenever the offer rises below the spike value
	Reactive  bool // spike when the car seems stuck well below its offer
}

// Opener opens the serial port; the master calls it again after a failure.
type Opener func() (io.ReadWriteCloser, error)

// Config configures a Master.
type Config struct {
	ID      twc.ID // our TWCID; default 7777
	Sign    byte   // default 77
	Open    Opener
	Clock   clock.Clock
	Logger  *slog.Logger
	Targets Targets
	Limits  Limits
	Timing  Timing
	Spike   Spike
	// LimitOnChangeOnly sends the limit only when the charger reports a
	// different one (TWCManager's way). By default the limit is re-asserted in
	// every heartbeat: chargers just mirror it, and a single lost heartbeat
	// during a car's start-up can otherwise leave it stuck at 6 A.
	LimitOnChangeOnly bool
	// Monitor starts the master in monitor mode (see SetMonitor): it never
	// transmits, and only reports what a charger set as master and its
	// slaves say to each other.
	Monitor bool
}
