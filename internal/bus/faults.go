package bus

import (
	"fmt"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
)

// FaultKind names a condition the user has to act on.
type FaultKind string

// Faults the master reports.
const (
	FaultAdapter      FaultKind = "adapter-disconnected"
	FaultSecondMaster FaultKind = "second-master"
	FaultChargerError FaultKind = "charger-error"
	FaultTooMany      FaultKind = "too-many-chargers"
	FaultIDConflict   FaultKind = "id-conflict"
	// FaultNoMaster is monitor mode with no master charger to listen to.
	FaultNoMaster FaultKind = "no-master"
)

// Fault is a named fault with a sentence a person understands.
type Fault struct {
	Kind     FaultKind
	Charger  twc.ID // zero when not about one charger
	Sentence string
	Since    time.Time
}

// How long a fault stays after its last sign.
const faultLinger = time.Minute

type faultSet struct {
	m map[string]*faultEntry
}

type faultEntry struct {
	Fault
	lastSeen time.Time
	sticky   bool // stays until cleared explicitly
}

func faultKey(k FaultKind, id twc.ID) string { return fmt.Sprintf("%s/%04X", k, uint16(id)) }

// raise records a fault; it reports whether it is new.
func (f *faultSet) raise(now time.Time, k FaultKind, id twc.ID, sticky bool, sentence string) bool {
	if f.m == nil {
		f.m = map[string]*faultEntry{}
	}
	key := faultKey(k, id)
	if e, ok := f.m[key]; ok {
		e.lastSeen, e.Sentence = now, sentence
		return false
	}
	f.m[key] = &faultEntry{Fault: Fault{Kind: k, Charger: id, Sentence: sentence, Since: now}, lastSeen: now, sticky: sticky}
	return true
}

func (f *faultSet) clear(k FaultKind, id twc.ID) bool {
	key := faultKey(k, id)
	_, ok := f.m[key]
	delete(f.m, key)
	return ok
}

// expire drops non-sticky faults not seen for faultLinger.
func (f *faultSet) expire(now time.Time) bool {
	changed := false
	for k, e := range f.m {
		if !e.sticky && now.Sub(e.lastSeen) > faultLinger {
			delete(f.m, k)
			changed = true
		}
	}
	return changed
}

func (f *faultSet) list() []Fault {
	out := make([]Fault, 0, len(f.m))
	for _, e := range f.m {
		out = append(out, e.Fault)
	}
	return out
}

func secondMasterSentence(id twc.ID) string {
	return fmt.Sprintf("a second master (ID %s) is on the bus: set the charger's rotary switch to F so that it runs as a slave", id)
}

func chargerErrorSentence(id twc.ID) string {
	return fmt.Sprintf("charger %s reports an error (state 02): check its LED code; a 4-second press of its reset button or a power cycle clears it", id)
}
