package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/policy"
)

// rules are the policy rules in TWCManager's order of precedence.
var rules = []policy.Rule{
	policy.RuleOff, policy.RuleChargeNow, policy.RuleSchedule,
	policy.RuleSolar, policy.RuleMinSolar, policy.RuleNonScheduled,
}

// policyMetrics are the charging policy's latest decision.
type policyMetrics struct {
	mode, rule                              *prometheus.Desc
	budget, available, surplus, sharedLimit *prometheus.Desc
	target, problems, age                   *prometheus.Desc
	modes, rules                            []string
}

func newPolicyMetrics(d *descs) policyMetrics {
	m := policyMetrics{
		mode:        d.add("policy_mode", "1 for the charging mode in force, 0 for the others.", "mode"),
		rule:        d.add("policy_rule", "1 for the rule that set the latest decision's budget, 0 for the others.", "rule"),
		budget:      d.add("policy_budget_amperes", "Site current the rule allows; 0 when the rule works from power instead."),
		available:   d.add("policy_available_watts", "Power available for charging; 0 when the rule works from current instead."),
		surplus:     d.add("policy_surplus_watts", "Solar surplus before the chargers' own power; absent when unknown."),
		sharedLimit: d.add("policy_shared_limit_amperes", "Limit of the circuit the chargers share."),
		target:      d.add("policy_target_amperes", "Current the latest decision gives the charger.", "charger"),
		problems:    d.add("policy_input_problems", "Problems with the latest decision's inputs (stale or missing readings, ...)."),
		age:         d.add("policy_last_decision_age_seconds", "Time since the policy last decided."),
	}
	for _, md := range config.Modes {
		m.modes = append(m.modes, string(md))
	}
	for _, r := range rules {
		m.rules = append(m.rules, string(r))
	}
	return m
}

func (m policyMetrics) collect(ch chan<- prometheus.Metric, b api.Backend, now time.Time) {
	ds := b.Decisions(1)
	if len(ds) == 0 {
		// Before the first decision the mode is the one set.
		oneHot(ch, m.mode, m.modes, string(b.Settings().Policy.Mode))
		return
	}
	d := ds[0]
	oneHot(ch, m.mode, m.modes, string(d.Mode))
	oneHot(ch, m.rule, m.rules, string(d.Rule))
	gauge(ch, m.budget, float64(d.Budget))
	gauge(ch, m.available, float64(d.Available))
	if d.SurplusKnown {
		gauge(ch, m.surplus, float64(d.Surplus))
	}
	gauge(ch, m.sharedLimit, float64(d.SharedLimit))
	for _, t := range d.Targets {
		gauge(ch, m.target, float64(t.Amps), t.ID.String())
	}
	gauge(ch, m.problems, float64(len(d.Notes)))
	gauge(ch, m.age, now.Sub(d.At).Seconds())
}
