package setup

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
	"github.com/twcmanager/twcmanager/ui/web"
)

// WiringView is the wiring form: the common circuits and one row per
// charger, found on the bus or configured before.
type WiringView struct {
	Form *Form
	// Wiring is what the form holds, for the 80 % rule texts.
	Wiring   config.Wiring
	Chargers []WiringCharger
	Action   string // where the form posts
	Preview  string // where htmx posts while typing
	Submit   string // the button's words
}

// WiringCharger is one row of per-charger overrides.
type WiringCharger struct {
	ID         string // four hex digits
	Advertised units.Amps
	Found      bool // on the bus now
}

// Prefix is the field prefix of the charger's overrides.
func (c WiringCharger) Prefix() string { return "wiring.chargers." + c.ID }

// NewWiringView fills the form from w.
func NewWiringView(w config.Wiring, snap bus.Snapshot) WiringView {
	f := NewForm()
	fillCircuit(f, "wiring.shared", w.Shared)
	fillCircuit(f, "wiring.charger", w.Charger)
	f.SetNum("wiring.min_amps", float64(w.MinAmps), false)
	v := WiringView{Form: f, Wiring: w, Chargers: wiringChargers(w, snap, nil)}
	for _, c := range v.Chargers {
		id, _ := ParseChargerID(c.ID)
		cw := w.Chargers[id]
		fillCircuit(f, c.Prefix()+".circuit", cw.Circuit)
		f.SetNum(c.Prefix()+".min_amps", float64(cw.MinAmps), true)
	}
	return v
}

func fillCircuit(f *Form, prefix string, c config.Circuit) {
	f.SetNum(prefix+".breaker_amps", float64(c.Breaker), true)
	f.SetNum(prefix+".limit_amps", float64(c.Limit), true)
}

// wiringChargers lists the chargers on the bus, then those only configured,
// then those the form carried (so a row does not vanish on an error).
func wiringChargers(w config.Wiring, snap bus.Snapshot, posted []string) []WiringCharger {
	var out []WiringCharger
	seen := map[string]bool{}
	for _, c := range snap.Chargers {
		out = append(out, WiringCharger{ID: c.ID.String(), Advertised: c.Advertised, Found: true})
		seen[c.ID.String()] = true
	}
	for _, id := range slices.Sorted(maps.Keys(w.Chargers)) {
		if !seen[id.String()] {
			out = append(out, WiringCharger{ID: id.String()})
			seen[id.String()] = true
		}
	}
	for _, s := range posted {
		if id, err := ParseChargerID(s); err == nil && !seen[id.String()] {
			out = append(out, WiringCharger{ID: id.String()})
			seen[id.String()] = true
		}
	}
	return out
}

// ParseChargerID reads a charger ID as shown (four hex digits).
func ParseChargerID(s string) (twc.ID, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 16, 16)
	if err != nil {
		return 0, fmt.Errorf("charger ID %q: want four hex digits", s)
	}
	return twc.ID(v), nil
}

// ParseWiring reads the wiring form into w. The posted form keeps its rows.
func ParseWiring(f *Form, w config.Wiring, snap bus.Snapshot) (config.Wiring, []WiringCharger) {
	w.Shared = parseCircuit(f, "wiring.shared")
	w.Charger = parseCircuit(f, "wiring.charger")
	w.MinAmps = f.Amps("wiring.min_amps", false)
	rows := wiringChargers(config.Wiring{}, snap, f.Values["charger"])
	chargers := map[twc.ID]config.ChargerWiring{}
	for _, c := range rows {
		id, _ := ParseChargerID(c.ID)
		cw := config.ChargerWiring{
			Circuit: parseCircuit(f, c.Prefix()+".circuit"),
			MinAmps: f.Amps(c.Prefix()+".min_amps", true),
		}
		if cw != (config.ChargerWiring{}) {
			chargers[id] = cw
		}
	}
	w.Chargers = nil
	if len(chargers) > 0 {
		w.Chargers = chargers
	}
	return w, rows
}

// parseCircuit reads a breaker and a limit; both may be empty: a circuit
// with neither is named by Validate, a charger's override with neither is
// no override.
func parseCircuit(f *Form, prefix string) config.Circuit {
	f.Handles(prefix)
	return config.Circuit{Breaker: f.Amps(prefix+".breaker_amps", true), Limit: f.Amps(prefix+".limit_amps", true)}
}

// RuleText explains the continuous limit of a circuit by the 80 % rule.
func RuleText(c config.Circuit) string {
	switch {
	case c.Breaker > 0 && c.Breaker < 1e6:
		return fmt.Sprintf("A %s A breaker allows %s A for hours (80 %% rule).", FormatNum(float64(c.Breaker)), FormatNum(float64(c.Continuous())))
	case c.Breaker != 0:
		return "Enter the breaker rating in amps, e.g. 40."
	case c.Limit > 0 && c.Limit < 1e6:
		return fmt.Sprintf("You entered the limit directly: %s A for hours.", FormatNum(float64(c.Limit)))
	case c.Limit != 0:
		return "Enter the limit in amps, e.g. 32."
	}
	return "Enter the breaker rating (or the limit directly)."
}

// ChargerRuleText explains one charger's limit.
func ChargerRuleText(w config.Wiring, c WiringCharger) string {
	id, _ := ParseChargerID(c.ID)
	cw := w.Chargers[id]
	var s string
	if cw.Circuit == (config.Circuit{}) {
		s = fmt.Sprintf("Uses the common charger circuit: %s A for hours.", FormatNum(float64(w.Charger.Continuous())))
	} else {
		s = RuleText(cw.Circuit)
	}
	if c.Advertised > 0 && c.Advertised < w.ChargerLimit(id) {
		s += fmt.Sprintf(" Its rotary switch allows %s A, so it never gets more than that.", FormatNum(float64(c.Advertised)))
	}
	return s
}

// SummaryText says what the wiring means for the chargers together.
func SummaryText(w config.Wiring) string {
	shared, each := w.Shared.Continuous(), w.Charger.Continuous()
	if shared <= 0 || each <= 0 || shared > 1e6 || each > 1e6 {
		return "Charging is a continuous load: a circuit may carry only 80 % of its breaker rating for hours. That is the 80 % rule."
	}
	s := fmt.Sprintf("Together the chargers never draw more than %s A; each one at most %s A.", FormatNum(float64(shared)), FormatNum(float64(each)))
	if w.MinAmps > 0 && w.MinAmps <= 80 {
		s += fmt.Sprintf(" Below %s A a car pauses instead of charging slowly.", FormatNum(float64(w.MinAmps)))
	}
	return s
}

// WiringPreview answers htmx while the user types: the 80 % rule texts for
// the values in the form, swapped in out of band.
func WiringPreview(d web.Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := Posted(r)
		wiring, rows := ParseWiring(f, d.App.Settings().Wiring, d.App.Snapshot())
		web.Render(w, r, http.StatusOK, wiringPreview(wiring, rows))
	}
}
