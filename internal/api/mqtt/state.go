package mqtt

import (
	"strconv"
	"strings"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/units"
)

// The status topics are TWCManager's MQTTStatus topics, with payloads
// printed as TWCManager's Python prints them, so that dashboards and
// automations made for it keep working: currents as floats ("16.0"),
// states, counts, volts, watts and kWh as integers, policy names as words.

// policyNames are TWCManager's names for its built-in policies, which
// all/currentPolicy carries; our rules map onto them.
var policyNames = map[policy.Rule]string{
	policy.RuleChargeNow:    "Charge Now",
	policy.RuleSchedule:     "Scheduled Charging",
	policy.RuleSolar:        "Track Green Energy",
	policy.RuleMinSolar:     "Track Green Energy",
	policy.RuleNonScheduled: "Non Scheduled Charging",
	policy.RuleOff:          "Off", // TWCManager has no off; custom policies have names of their own too
}

// state is every status topic under prefix with its value now, read from
// the backend's snapshots.
func (s *Service) state(prefix string) []item {
	snap := s.b.Snapshot()
	set := s.b.Settings()
	var out []item
	add := func(topic, payload string, k kind) { out = append(out, item{prefix + "/" + topic, payload, k}) }
	var total units.Amps
	for i, c := range policy.FromSnapshot(snap) {
		st := snap.Chargers[i]
		id := c.ID.String() + "/"
		add(id+"ampsInUse", pyFloat(float64(c.Actual)), measured)
		add(id+"ampsMax", pyFloat(float64(st.Reported)), measured)
		add(id+"state", strconv.Itoa(int(st.State)), measured)
		add(id+"carsCharging", boolInt(st.Charging), steady)
		// The bus keeps the last VIN a charger reported; it belongs to the
		// car plugged in now only while one is.
		current := ""
		if st.State.CarPresent() {
			current = st.Info.VIN
		}
		add(id+"currentVehicleVIN", current, steady)
		add(id+"lastVehicleVIN", st.Info.VIN, steady)
		if !st.Info.MeterAt.IsZero() { // not read yet: publishing 0 would be a lie
			add(id+"lifetimekWh", number(st.Info.LifetimeKWh), measured)
			for p, name := range []string{"A", "B", "C"} {
				add(id+"voltagePhase"+name, number(float64(st.Info.Volts[p])), measured)
			}
		}
		add(id+"chargerLoadInW", strconv.Itoa(int(policy.Power(c, set.Electrical))), measured)
		total += c.Actual
	}
	add("all/totalAmpsInUse", pyFloat(float64(total)), measured)
	if ds := s.b.Decisions(1); len(ds) > 0 {
		d := ds[0]
		add("all/maxAmpsForSlaves", number(round2(maxAmps(d, float64(set.Electrical.Volts)*float64(set.Electrical.Phases)))), measured)
		name, ok := policyNames[d.Rule]
		// Following the sun outside the schedule is TWCManager's fifth
		// rule, which getStatus also names so.
		if d.Rule == policy.RuleNonScheduled && set.Policy.NonScheduled.Action == config.ActionSolar {
			name = "Track Green Energy"
		}
		if ok {
			add("all/currentPolicy", name, steady)
		}
	}
	add("all/mode", string(set.Policy.ActiveMode(s.b.Now())), steady)
	add("config/minAmpsPerTWC", number(float64(set.Wiring.MinAmps)), steady)
	add("config/chargeNowAmps", number(float64(set.Policy.ChargeNow.Amps)), steady)
	return out
}

// maxAmps is TWCManager's maxAmpsToDivideAmongSlaves: the site current a
// fixed rule allows, or the current the power for charging buys.
func maxAmps(d policy.Decision, wattsPerAmp float64) float64 {
	switch {
	case d.Budget > 0:
		return float64(d.Budget)
	case d.Available > 0 && wattsPerAmp > 0:
		return float64(d.Available) / wattsPerAmp
	}
	return 0
}

// pyFloat prints v as Python prints a float: always with a decimal point.
func pyFloat(v float64) string {
	s := strconv.FormatFloat(round2(v), 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// number prints v without a decimal point when it is whole, as Python
// prints the integers TWCManager publishes there.
func number(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func boolInt(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
