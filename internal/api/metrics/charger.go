package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// joulesPerKWh converts the chargers' lifetime meter to the base unit.
const joulesPerKWh = 3.6e6

// phases label the three lines of the chargers' meters.
var phases = [3]string{"A", "B", "C"}

// stateNames are the state label values: short names for PromQL, where
// twc.State.String() is a sentence for people.
var stateNames = []struct {
	s    twc.State
	name string
}{
	{twc.StateReady, "ready"},
	{twc.StateCharging, "charging"},
	{twc.StateError, "error"},
	{twc.StatePluggedIdle, "plugged_idle"},
	{twc.StatePluggedReady, "plugged_ready"},
	{twc.StateBusy, "busy"},
	{twc.StateRaiseAck, "raise_ack"},
	{twc.StateLowerAck, "lower_ack"},
	{twc.StateStarting, "starting"},
	{twc.StateLimitAck, "limit_ack"},
	{twc.StateAdjusted, "adjusted"},
}

// stateUnknown is the state label of a code the list does not know; the
// state_code metric still has the number.
const stateUnknown = "unknown"

// chargerMetrics are one series per linked charger, labelled charger="1839".
type chargerMetrics struct {
	offered, actual, reported, limit, advertised *prometheus.Desc
	volts, phaseAmps                             *prometheus.Desc
	energy                                       *prometheus.Desc
	stateCode, state, charging                   *prometheus.Desc
	heartbeats, maxGap, lastSeen                 *prometheus.Desc
	info                                         *prometheus.Desc
	states                                       []string
}

func newChargerMetrics(d *descs) chargerMetrics {
	const l = "charger"
	m := chargerMetrics{
		offered:    d.add("charger_offered_amperes", "Current the master last offered the charger.", l),
		actual:     d.add("charger_actual_amperes", "Current the car draws, as the charger reports it.", l),
		reported:   d.add("charger_reported_amperes", "Limit the charger says it applies.", l),
		limit:      d.add("charger_limit_amperes", "Effective per-charger limit: the wiring limit and the charger's maximum.", l),
		advertised: d.add("charger_advertised_max_amperes", "Maximum the charger advertised when it linked.", l),
		volts:      d.add("charger_voltage_volts", "Voltage of one phase from the charger's meter; only phases it reports.", l, "phase"),
		phaseAmps:  d.add("charger_phase_current_amperes", "Current of one phase from the charger's meter; only phases with a voltage.", l, "phase"),
		energy:     d.add("charger_energy_joules_total", "Energy the charger has delivered in its life, from its meter (1 kWh = 3.6e6 J).", l),
		stateCode:  d.add("charger_state_code", "State byte of the charger's last heartbeat (0 ready, 1 charging, 2 error, ...).", l),
		state:      d.add("charger_state", "1 for the charger's current state, 0 for the others.", l, "state"),
		charging:   d.add("charger_charging", "1 while a car charges, 0 otherwise.", l),
		heartbeats: d.add("charger_heartbeats_sent_total", "Heartbeats sent to the charger since it linked.", l),
		maxGap:     d.add("charger_max_heartbeat_gap_seconds", "Longest time between two heartbeats sent to the charger since it linked.", l),
		lastSeen:   d.add("charger_last_seen_age_seconds", "Time since the charger last answered.", l),
		info:       d.add("charger_info", "Always 1; labels describe the charger.", l, "protocol", "firmware", "model", "serial"),
	}
	for _, s := range stateNames {
		m.states = append(m.states, s.name)
	}
	return m
}

func (m chargerMetrics) collect(ch chan<- prometheus.Metric, snap bus.Snapshot, now time.Time) {
	for _, c := range snap.Chargers {
		id := c.ID.String()
		gauge(ch, m.offered, float64(c.Offered), id)
		gauge(ch, m.actual, float64(c.Actual), id)
		gauge(ch, m.reported, float64(c.Reported), id)
		gauge(ch, m.limit, float64(c.Limit), id)
		gauge(ch, m.advertised, float64(c.Advertised), id)
		for i, v := range c.Info.Volts {
			// A phase the charger is not wired to, or a charger whose
			// meter has not answered, reads 0 V: no series rather than a
			// false zero.
			if v > 0 {
				gauge(ch, m.volts, float64(v), id, phases[i])
				gauge(ch, m.phaseAmps, float64(c.Info.PhaseAmps[i]), id, phases[i])
			}
		}
		// Only stored from a plausible meter reply, so a positive value is
		// the real meter; sending 0 before the first reply would make the
		// first real reading look like a lifetime charged in one scrape.
		if c.Info.LifetimeKWh > 0 {
			counter(ch, m.energy, c.Info.LifetimeKWh*joulesPerKWh, id)
		}
		gauge(ch, m.stateCode, float64(c.State), id)
		oneHot(ch, m.state, m.states, stateName(c.State), id)
		gauge(ch, m.charging, b2f(c.Charging), id)
		counter(ch, m.heartbeats, float64(c.Heartbeats), id)
		gauge(ch, m.maxGap, c.MaxHeartbeatGap.Seconds(), id)
		if !c.LastSeen.IsZero() {
			gauge(ch, m.lastSeen, now.Sub(c.LastSeen).Seconds(), id)
		}
		gauge(ch, m.info, 1, id, strconv.Itoa(int(c.Protocol)), text(c.Info.Firmware), text(c.Info.Model), text(c.Info.Serial))
	}
}

func stateName(s twc.State) string {
	for _, n := range stateNames {
		if n.s == s {
			return n.name
		}
	}
	return stateUnknown
}
