package dashboard

import (
	"fmt"

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
