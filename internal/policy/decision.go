package policy

import (
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Rule names the part of the policy that set the budget.
type Rule string

// Rules, in TWCManager's order of precedence.
const (
	RuleOff          Rule = "off"
	RuleChargeNow    Rule = "charge now"
	RuleSchedule     Rule = "schedule"
	RuleSolar        Rule = "solar"
	RuleMinSolar     Rule = "min+solar"
	RuleNonScheduled Rule = "non-scheduled"
)

// Decision is the outcome of one evaluation.
type Decision struct {
	At   time.Time
	Mode config.Mode // the mode in force (Now may have ended)
	Rule Rule
	// Budget is the site current the rule allows (fixed rules), and
	// Available the power for charging (solar rules); zero when unused.
	Budget    units.Amps
	Available units.Watts
	// Surplus is the solar surplus before the chargers' own power, when known.
	Surplus      units.Watts
	SurplusKnown bool
	SharedLimit  units.Amps
	Targets      []Target
	// Explanation is one sentence a person understands.
	Explanation string
	// Notes are problems with the inputs, in words.
	Notes []string
	// Energy and Chargers are the inputs the decision was made from.
	Energy   Reading
	Chargers []Charger
}

// Target is one charger's decided current.
type Target struct {
	ID     twc.ID
	Amps   units.Amps
	Limit  units.Amps // min(wiring limit, advertised maximum)
	Min    units.Amps
	Reason string
}

// Target returns the target for id.
func (d Decision) Target(id twc.ID) (Target, bool) {
	for _, t := range d.Targets {
		if t.ID == id {
			return t, true
		}
	}
	return Target{}, false
}

// Total is the sum of the targets.
func (d Decision) Total() units.Amps {
	var s units.Amps
	for _, t := range d.Targets {
		s += t.Amps
	}
	return s
}
