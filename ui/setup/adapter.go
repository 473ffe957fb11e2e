package setup

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/bus/rs485"
	"github.com/twcmanager/twcmanager/ui/web"
)

// AdapterView lists the USB–RS485 adapters to choose from.
type AdapterView struct {
	Form     *Form
	Adapters []rs485.Adapter
	// Missing is the adapter chosen before that is not plugged in now.
	Missing string
	ListErr string
	Action  string
	Result  *ChargerSearch
	Wizard  bool
}

// NewAdapterView lists the adapters, with port (the setting) chosen, and the
// bus mode in force.
func NewAdapterView(app web.App, port string) AdapterView {
	v := AdapterView{Form: NewForm()}
	v.Form.Set("port", port)
	v.Form.Set("bus.monitor", busModeValue(app.Settings().Bus.Monitor))
	v.Form.Handles("port", "bus.monitor")
	as, err := app.Adapters()
	if err != nil {
		v.ListErr = "The adapters could not be listed: " + err.Error()
	}
	v.Adapters = as
	if port != "" && !slices.ContainsFunc(as, func(a rs485.Adapter) bool { return a.Path == port }) {
		v.Missing = port
	}
	return v
}

// AdapterLabel describes an adapter in a line.
func AdapterLabel(a rs485.Adapter) string {
	s := a.Path
	chip := a.Chip
	if chip == "" {
		chip = "unknown chip"
	}
	s += " — " + chip
	if a.Product != "" {
		s += ", " + a.Product
	}
	if a.VID != "" {
		s += " (" + a.VID + ":" + a.PID + ")"
	}
	return s
}

// ChargerSearch is what a look for chargers found.
type ChargerSearch struct {
	Chargers []bus.ChargerState
	// Reason says why none was found.
	Reason string
	// Faults are the master's other complaints, in its words.
	Faults []string
}

// SearchTime is how long LookForChargers waits at most.
var SearchTime = 12 * time.Second

// LookForChargers watches the bus master for up to SearchTime: until the
// chargers found have not changed for a few seconds, or a fault makes
// waiting pointless.
func LookForChargers(ctx context.Context, app web.App) *ChargerSearch {
	start := time.Now()
	deadline := start.Add(SearchTime)
	n, changed := -1, start
	var snap bus.Snapshot
	for {
		snap = app.Snapshot()
		// Chargers answer our link-ready within a second or two; in monitor
		// mode they are only heard, as each re-links to the master charger
		// and is given its heartbeat, which takes longer after a switch.
		settle := 3 * time.Second
		if snap.Monitor {
			settle = 6 * time.Second
		}
		now := time.Now()
		if len(snap.Chargers) != n {
			n, changed = len(snap.Chargers), now
		}
		if n > 0 && now.Sub(changed) >= settle {
			break
		}
		if n == 0 && now.Sub(start) >= settle && (hasFault(snap, bus.FaultAdapter) || hasFault(snap, bus.FaultSecondMaster)) {
			break
		}
		if now.After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return &ChargerSearch{Reason: "The search was cancelled."}
		case <-time.After(250 * time.Millisecond):
		}
	}
	return Diagnose(snap)
}

func hasFault(s bus.Snapshot, k bus.FaultKind) bool {
	return slices.ContainsFunc(s.Faults, func(f bus.Fault) bool { return f.Kind == k })
}

func faultSentence(s bus.Snapshot, k bus.FaultKind) string {
	for _, f := range s.Faults {
		if f.Kind == k {
			return f.Sentence
		}
	}
	return ""
}

// Diagnose says what a snapshot shows about the bus.
func Diagnose(snap bus.Snapshot) *ChargerSearch {
	r := &ChargerSearch{Chargers: snap.Chargers}
	for _, f := range snap.Faults {
		if f.Kind != bus.FaultAdapter && f.Kind != bus.FaultSecondMaster {
			r.Faults = append(r.Faults, Sentence(f.Sentence))
		}
	}
	switch {
	case len(snap.Chargers) > 0:
		if s := faultSentence(snap, bus.FaultSecondMaster); s != "" {
			r.Faults = append(r.Faults, Sentence(s))
		}
		if snap.Monitor {
			r.Faults = append(r.Faults, "Monitor mode: these chargers are heard, not controlled. "+MonitorSentence)
		}
	case !snap.Connected || hasFault(snap, bus.FaultAdapter):
		r.Reason = "No adapter: twcmanager cannot open the USB–RS485 adapter. Check that it is plugged in and chosen above."
		if s := faultSentence(snap, bus.FaultAdapter); s != "" {
			r.Reason += " " + Sentence(s)
		}
	case snap.Monitor:
		r.Reason = "No charger heard: in monitor mode twcmanager only listens, so one charger must run as master (rotary switch not at F) and the others as its slaves. Check the wiring, or choose Control if twcmanager should be the master."
	case hasFault(snap, bus.FaultSecondMaster):
		r.Reason = "Another master is on the bus: " + Sentence(faultSentence(snap, bus.FaultSecondMaster))
	case snap.Counters.Errors() > 0 && snap.Counters.Frames == 0:
		r.Reason = fmt.Sprintf("Bytes arrive but none of them make sense (%d damaged messages, none readable): D+ and D− may be swapped. Swap the two data wires at the adapter and look again.", snap.Counters.Errors())
	default:
		r.Reason = "No charger answered: check the wiring and that each charger's rotary switch is at F; chargers announce themselves every 10 s."
	}
	return r
}

// Protocol names a charger's protocol generation.
func Protocol(c bus.ChargerState) string {
	return fmt.Sprintf("%d", int(c.Protocol))
}

// Firmware is the charger's firmware version, or why it is not known.
func Firmware(c bus.ChargerState) string {
	if c.Info.Firmware == "" {
		return "not read yet"
	}
	return c.Info.Firmware
}
