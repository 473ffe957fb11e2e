package compat

import (
	"net/http"
	"strings"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/policy"
)

// TWCManager's policy names: its default policy's four, and Off for the
// mode it has no rule for. The MQTT status uses the same words.
const (
	policyChargeNow    = "Charge Now"
	policyScheduled    = "Scheduled Charging"
	policyGreen        = "Track Green Energy"
	policyNonScheduled = "Non Scheduled Charging"
	policyOff          = "Off"
)

// policyModes maps each policy name setPolicy accepts to the mode it
// selects. Non Scheduled Charging is part of Schedule mode: the non-scheduled
// action runs outside the window. Min+solar has no TWCManager name; it is
// reported as Track Green Energy, and chosen in the web interface.
var policyModes = []struct {
	name string
	mode config.Mode
}{
	{policyChargeNow, config.ModeNow},
	{policyScheduled, config.ModeSchedule},
	{policyGreen, config.ModeSolar},
	{policyNonScheduled, config.ModeSchedule},
	{policyOff, config.ModeOff},
}

// activePolicy names the rule of decision d as TWCManager's currentPolicy;
// ok is false before the first decision, when TWCManager has none either.
func activePolicy(d policy.Decision, ok bool, p config.Policy) (name string, green bool) {
	if !ok {
		return "None", false
	}
	switch d.Rule {
	case policy.RuleChargeNow:
		return policyChargeNow, false
	case policy.RuleSchedule:
		return policyScheduled, false
	case policy.RuleSolar, policy.RuleMinSolar:
		return policyGreen, true
	case policy.RuleNonScheduled:
		// Following the sun outside the window is TWCManager's fifth
		// rule, also named Track Green Energy.
		if p.NonScheduled.Action == config.ActionSolar {
			return policyGreen, true
		}
		return policyNonScheduled, false
	}
	return policyOff, false
}

// getActivePolicyAction is 1 (fixed current), 2 (do not charge), 3 (follow
// the sun) or null before the first decision.
func (s *server) getActivePolicyAction(w http.ResponseWriter, _ *http.Request) {
	d, ok := s.lastDecision()
	api.WriteJSON(w, http.StatusOK, policyAction(d, ok, s.b.Settings().Policy))
}

func policyAction(d policy.Decision, ok bool, p config.Policy) any {
	if !ok {
		return nil
	}
	if _, green := activePolicy(d, ok, p); green {
		return 3
	}
	if d.Budget > 0 {
		return 1
	}
	return 2
}

func (s *server) lastDecision() (policy.Decision, bool) {
	if d := s.b.Decisions(1); len(d) == 1 {
		return d[0], true
	}
	return policy.Decision{}, false
}

// rule is one entry of TWCManager's policy list. Values are literals taken
// from the settings; "settings.mode" is the mode the rule belongs to.
type rule struct {
	Name           string   `json:"name"`
	Match          []string `json:"match"`
	Condition      []string `json:"condition"`
	Value          []any    `json:"value"`
	ChargeAmps     *float64 `json:"charge_amps,omitempty"`
	BackgroundTask string   `json:"background_task,omitempty"`
	AllowedFlex    *float64 `json:"allowed_flex,omitempty"`
	ChargeLimit    int      `json:"charge_limit"`
}

// getPolicy describes our modes as TWCManager's rule list, in its order.
func (s *server) getPolicy(w http.ResponseWriter, _ *http.Request) {
	api.WriteJSON(w, http.StatusOK, rules(s.b.Settings().Policy))
}

func rules(p config.Policy) []rule {
	amps := func(a float64) *float64 { return &a }
	flex := amps(float64(p.Surplus.FlexAmps))
	mode := "settings.mode"
	action := "settings.nonScheduledAction"
	fixed := 0.0
	if p.NonScheduled.Action == config.ActionFixed {
		fixed = float64(p.NonScheduled.Amps)
	}
	return []rule{
		{Name: policyChargeNow, Match: []string{mode}, Condition: []string{"eq"}, Value: []any{config.ModeNow},
			ChargeAmps: amps(float64(p.ChargeNow.Amps)), ChargeLimit: limit(p.Limits.Now)},
		{Name: policyScheduled, Match: []string{mode, "checkScheduledCharging()"}, Condition: []string{"eq", "eq"}, Value: []any{config.ModeSchedule, 1},
			ChargeAmps: amps(float64(p.Schedule.Amps)), ChargeLimit: limit(p.Limits.Schedule)},
		{Name: policyGreen, Match: []string{mode}, Condition: []string{"eq"}, Value: []any{config.ModeSolar},
			BackgroundTask: "checkGreenEnergy", AllowedFlex: flex, ChargeLimit: limit(p.Limits.Solar)},
		{Name: policyNonScheduled, Match: []string{mode, action}, Condition: []string{"eq", "lt"}, Value: []any{config.ModeSchedule, 3},
			ChargeAmps: amps(fixed), ChargeLimit: limit(p.Limits.Other)},
		{Name: policyGreen, Match: []string{mode, action}, Condition: []string{"eq", "eq"}, Value: []any{config.ModeSchedule, 3},
			BackgroundTask: "checkGreenEnergy", AllowedFlex: flex, ChargeLimit: limit(p.Limits.Solar)},
		{Name: policyGreen, Match: []string{mode}, Condition: []string{"eq"}, Value: []any{config.ModeMinSolar},
			BackgroundTask: "checkGreenEnergy", AllowedFlex: flex, ChargeLimit: limit(p.Limits.Solar)},
		{Name: policyOff, Match: []string{mode}, Condition: []string{"eq"}, Value: []any{config.ModeOff},
			ChargeAmps: amps(0), ChargeLimit: limit(p.Limits.Other)},
	}
}

// limit is TWCManager's charge limit: -1 leaves the car's own.
func limit(percent int) int {
	if percent == 0 {
		return -1
	}
	return percent
}

// setPolicy selects the mode behind a TWCManager policy name.
func (s *server) setPolicy(w http.ResponseWriter, _ *http.Request, body []byte) error {
	f, err := parseFields(body)
	if err != nil {
		return err
	}
	name, present, err := f.text("policy")
	switch {
	case err != nil:
		return err
	case !present:
		return missing("policy", "a policy name: "+policyNames())
	case strings.TrimSpace(name) == "":
		return badField("policy", "cannot be empty; the policies are: %s", policyNames())
	}
	for _, pm := range policyModes {
		if pm.name == name {
			if err := settingsError(api.SetMode(s.b, pm.mode), func(string) string { return "policy" }); err != nil {
				return err
			}
			api.WriteJSON(w, http.StatusOK, map[string]string{"status": "success", "policy": name})
			return nil
		}
	}
	return badField("policy", "Policy '%s' not found; the policies are: %s", name, policyNames())
}

func policyNames() string {
	names := make([]string, 0, len(policyModes))
	for _, pm := range policyModes {
		names = append(names, pm.name)
	}
	return strings.Join(names, ", ")
}
