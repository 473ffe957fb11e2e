package bus

import (
	"slices"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Snapshot is the master's published state. It is immutable; a new one
// replaces it whenever something changes.
type Snapshot struct {
	At        time.Time
	Connected bool // the adapter is open
	// Monitor is set in monitor mode: the master only listens to a bus that
	// a charger set as master runs, and cannot control charging.
	Monitor bool
	// Master is the master charger heard in monitor mode, MasterSeen when it
	// was last heard; zero when none has been.
	Master     twc.ID
	MasterSeen time.Time
	Chargers   []ChargerState
	Faults     []Fault
	Counters   Counters
}

// ChargerState is one linked charger as the master sees it.
type ChargerState struct {
	ID         twc.ID
	Protocol   twc.Protocol
	Advertised units.Amps // maximum from its link-ready
	Limit      units.Amps // effective per-charger limit
	MinAmps    units.Amps
	State      twc.State
	Offered    units.Amps // last current we offered; in monitor mode, the master charger
	Reported   units.Amps // the limit it says it applies
	Actual     units.Amps // what the car draws
	Charging   bool
	Stop       StopMethod
	LinkedAt   time.Time
	LastSeen   time.Time
	// MaxHeartbeatGap is the longest time between two heartbeats we sent it
	// (in monitor mode, that the master charger sent it).
	MaxHeartbeatGap time.Duration
	// Heartbeats is how many heartbeats it has been sent since it linked.
	Heartbeats uint64
	Info       Info
}

// Counters are the master's running totals.
type Counters struct {
	twc.Stats
	HeartbeatsSent   uint64
	HeartbeatReplies uint64
	QueriesSent      uint64
	QueryTimeouts    uint64
	Malformed        uint64 // valid frames of a known code with a bad layout
	UnknownCodes     uint64
	Dropped          uint64 // chargers dropped after SlaveTimeout
	ForeignFrames    uint64 // frames from another master
	Reconnects       uint64
	// MasterFrames counts the master charger's frames heard in monitor mode.
	MasterFrames uint64
	// WritesRefused counts transmissions refused in monitor mode. Nothing
	// tries to send then, so anything but 0 is a bug.
	WritesRefused uint64
}

// Charger returns the state of the charger with id.
func (s Snapshot) Charger(id twc.ID) (ChargerState, bool) {
	i := slices.IndexFunc(s.Chargers, func(c ChargerState) bool { return c.ID == id })
	if i < 0 {
		return ChargerState{}, false
	}
	return s.Chargers[i], true
}
