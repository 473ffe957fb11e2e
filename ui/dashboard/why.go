package dashboard

import (
	"fmt"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/policy"
)

// whyView answers "why this current?" from the latest decision.
type whyView struct {
	Explanation string
	Targets     []targetLine
	Notes       []string
	At          string
}

type targetLine struct {
	ID, Amps, Reason string
}

func why(ds []policy.Decision) whyView {
	if len(ds) == 0 {
		return whyView{Explanation: "No decision yet: the first one is made within a few seconds of starting."}
	}
	d := ds[len(ds)-1]
	v := whyView{Explanation: d.Explanation, At: "Decided at " + d.At.Local().Format("15:04:05") + "."}
	for _, t := range d.Targets {
		v.Targets = append(v.Targets, targetLine{ID: t.ID.String(), Amps: fmt.Sprintf("%s A", amps(float64(t.Amps))), Reason: sentence(t.Reason)})
	}
	for _, n := range d.Notes {
		v.Notes = append(v.Notes, sentence(n))
	}
	return v
}

// monitorSentence says plainly what monitor mode means for charging.
const monitorSentence = "Monitor mode: twcmanager only listens to the bus. It cannot control charging in this mode; the master charger decides the currents."

// monitorWhy answers "why this current?" in monitor mode: the policy does
// not run, the master charger decides.
func monitorWhy(snap bus.Snapshot) whyView {
	v := whyView{Explanation: monitorSentence}
	if snap.Master != 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("The master is charger %s, last heard at %s.", snap.Master, snap.MasterSeen.Local().Format("15:04:05")))
	}
	return v
}
