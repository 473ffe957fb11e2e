package bus

import (
	"maps"
	"sync/atomic"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Targets supplies the current the policy wants at each charger. The master
// reads it on the heartbeat path, so Target must not block.
type Targets interface {
	Target(id twc.ID) units.Amps
}

// TargetTable is a Targets that the policy writes and the master reads
// without locks. Chargers it does not name get Default.
type TargetTable struct {
	p atomic.Pointer[targetSet]
}

type targetSet struct {
	byID map[twc.ID]units.Amps
	def  units.Amps
}

// Set replaces all targets at once.
func (t *TargetTable) Set(def units.Amps, byID map[twc.ID]units.Amps) {
	t.p.Store(&targetSet{byID: maps.Clone(byID), def: def})
}

// Target implements Targets.
func (t *TargetTable) Target(id twc.ID) units.Amps {
	s := t.p.Load()
	if s == nil {
		return 0
	}
	if a, ok := s.byID[id]; ok {
		return a
	}
	return s.def
}
