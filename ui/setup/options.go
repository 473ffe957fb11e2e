package setup

import "github.com/twcmanager/twcmanager/config"

// Option is one choice of a radio group, with what it means.
type Option struct {
	Value, Label, Help string
}

// StopMethods are the ways to stop a car the user can choose now; stopping
// through the car's own API comes with car control.
func StopMethods(current config.StopMethod) []Option {
	out := []Option{
		{string(config.StopOfferZero), "Offer 0 A",
			"Simple and harmless: the charger is offered no current. Older Wall Connectors stop the car cleanly this way; with newer ones many cars keep charging slowly."},
		{string(config.StopCommand), "Charger command",
			"The charger opens its relay. Needs charger firmware 4.5.3 or later. Good for other cars; a Tesla shows a fault and may need a re-plug before it charges again."},
		{string(config.StopResponding), "Stop responding",
			"twcmanager goes quiet for a minute and the charger stops the car by itself. Works with any car and charger, but a Tesla accepts it only about 3 times per plug-in."},
	}
	if current == config.StopCarAPI {
		out = append(out, Option{string(config.StopCarAPI), "Ask the car",
			"Chosen before (imported): the car is asked to stop, with the charger as fallback."})
	}
	return out
}

// StopMethodLabel names a stop method.
func StopMethodLabel(m config.StopMethod) string {
	for _, o := range StopMethods(config.StopCarAPI) {
		if o.Value == string(m) {
			return o.Label
		}
	}
	return string(m)
}

// Bus modes: twcmanager is the master, or only listens.
const (
	BusControl = "control"
	BusMonitor = "monitor"
)

// MonitorSentence says plainly what monitor mode cannot do.
const MonitorSentence = "In this mode twcmanager cannot control charging."

// BusModes are the two ways twcmanager can be on the bus.
var BusModes = []Option{
	{BusControl, "Control the chargers (twcmanager is the master)",
		"Set every charger's rotary switch to F: twcmanager gives the orders and charges from the sun, on schedule or now."},
	{BusMonitor, "Monitor only (listen-only)",
		"A charger stays set as master and decides the currents; twcmanager never transmits. It shows each charger, its currents, meter and car as they pass on the bus, and records history. " + MonitorSentence},
}

// BusModeLabel names the bus mode in force.
func BusModeLabel(monitor bool) string {
	if monitor {
		return "Monitor only (listen-only)"
	}
	return "Control"
}

// Modes are the charging modes with what each does.
var Modes = []Option{
	{string(config.ModeSolar), "Solar", "Charge only from surplus solar power; pause when it is gone."},
	{string(config.ModeMinSolar), "Min + Solar", "Always at least the minimum current, more when the sun shines; never pauses."},
	{string(config.ModeNow), "Now", "Charge right away at the Now current."},
	{string(config.ModeSchedule), "Schedule", "Charge in the weekly time window; outside it, do what you chose for outside the schedule."},
	{string(config.ModeOff), "Off", "Nothing charges."},
}

// ModeLabel names a mode.
func ModeLabel(m config.Mode) string {
	for _, o := range Modes {
		if o.Value == string(m) {
			return o.Label
		}
	}
	return string(m)
}

// WizardModes are the modes the wizard offers to start in.
func WizardModes() []Option {
	var out []Option
	for _, o := range Modes {
		if o.Value != string(config.ModeSchedule) {
			out = append(out, o)
		}
	}
	return out
}
