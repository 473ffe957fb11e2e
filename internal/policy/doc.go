// Package policy decides how much current each charger is offered, and says
// why in words.
//
// Engine.Decide is pure: it takes Inputs (settings, the chargers as the bus
// sees them, the latest energy reading, the time) and returns a Decision
// (per-charger targets, stop and start requests, an explanation). The
// Controller runs it on a timer and at once on a user action, hands targets
// to the bus master and stop/start requests to a stop mechanism (the car's
// own API through Cars when that is chosen and can act, the charger's
// otherwise), and keeps the recent decisions for the UI and API.
//
// The user-facing modes Off / Now / Min+Solar / Solar / Schedule are presets
// over one engine whose precedence follows TWCManager: charge now, then the
// schedule, then the sun, then the non-scheduled action.
//
// Whatever the mode, a target never exceeds the charger's wiring limit or
// advertised maximum, targets never sum above the shared circuit's limit, and
// each is 0 or at least the charger's minimum.
package policy
