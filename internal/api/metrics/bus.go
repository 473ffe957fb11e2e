package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twcmanager/twcmanager/internal/bus"
)

// faultKinds are always sent, at 0 when absent, so that an alert on a kind
// works before that fault has ever happened.
var faultKinds = []bus.FaultKind{
	bus.FaultAdapter, bus.FaultSecondMaster, bus.FaultChargerError, bus.FaultTooMany, bus.FaultIDConflict,
}

// busMetrics are the RS-485 bus as the master sees it.
type busMetrics struct {
	connected, linked                *prometheus.Desc
	bytes, frames, dropped, echoes   *prometheus.Desc
	stray                            *prometheus.Desc
	heartbeats, replies              *prometheus.Desc
	queries, queryTimeouts           *prometheus.Desc
	malformed, unknownCodes, foreign *prometheus.Desc
	chargersDropped, reconnects      *prometheus.Desc
	faults                           *prometheus.Desc
}

func newBusMetrics(d *descs) busMetrics {
	return busMetrics{
		connected:       d.add("bus_adapter_connected", "1 while the RS-485 adapter is open, 0 otherwise."),
		linked:          d.add("bus_chargers_linked", "Chargers linked to the master now."),
		bytes:           d.add("bus_bytes_received_total", "Bytes read from the bus."),
		frames:          d.add("bus_frames_received_total", "Valid frames read from the bus."),
		dropped:         d.add("bus_frames_dropped_total", "Frames dropped as corrupt or incomplete, by reason.", "reason"),
		echoes:          d.add("bus_echo_frames_total", "Our own frames heard back from an adapter that echoes; harmless."),
		stray:           d.add("bus_stray_bytes_total", "Bytes outside any frame: noise or trailing junk."),
		heartbeats:      d.add("bus_heartbeats_sent_total", "Heartbeats the master sent."),
		replies:         d.add("bus_heartbeat_replies_total", "Heartbeat replies the chargers sent."),
		queries:         d.add("bus_queries_sent_total", "Information queries the master sent."),
		queryTimeouts:   d.add("bus_query_timeouts_total", "Information queries that got no reply in time."),
		malformed:       d.add("bus_malformed_frames_total", "Valid frames of a known code with a bad layout."),
		unknownCodes:    d.add("bus_unknown_code_frames_total", "Valid frames of a code the master does not know."),
		foreign:         d.add("bus_foreign_frames_total", "Frames from another master."),
		chargersDropped: d.add("bus_chargers_dropped_total", "Chargers dropped after not answering for too long."),
		reconnects:      d.add("bus_reconnects_total", "Times the RS-485 adapter was opened again."),
		faults:          d.add("bus_faults", "Active faults of each kind.", "kind"),
	}
}

func (m busMetrics) collect(ch chan<- prometheus.Metric, snap bus.Snapshot) {
	k := snap.Counters
	gauge(ch, m.connected, b2f(snap.Connected))
	gauge(ch, m.linked, float64(len(snap.Chargers)))
	counter(ch, m.bytes, float64(k.BytesSeen))
	counter(ch, m.frames, float64(k.Frames))
	for _, r := range []struct {
		reason string
		n      uint64
	}{
		{"checksum", k.Checksum},
		{"length", k.Length},
		{"escape", k.Escape},
		{"timeout", k.Timeouts},
		{"overrun", k.Overruns},
		{"resync", k.Resyncs},
	} {
		counter(ch, m.dropped, float64(r.n), r.reason)
	}
	counter(ch, m.echoes, float64(k.Echoes))
	counter(ch, m.stray, float64(k.StrayBytes))
	counter(ch, m.heartbeats, float64(k.HeartbeatsSent))
	counter(ch, m.replies, float64(k.HeartbeatReplies))
	counter(ch, m.queries, float64(k.QueriesSent))
	counter(ch, m.queryTimeouts, float64(k.QueryTimeouts))
	counter(ch, m.malformed, float64(k.Malformed))
	counter(ch, m.unknownCodes, float64(k.UnknownCodes))
	counter(ch, m.foreign, float64(k.ForeignFrames))
	counter(ch, m.chargersDropped, float64(k.Dropped))
	counter(ch, m.reconnects, float64(k.Reconnects))

	n := map[bus.FaultKind]int{}
	for _, f := range snap.Faults {
		n[f.Kind]++
	}
	for _, kind := range faultKinds {
		gauge(ch, m.faults, float64(n[kind]), string(kind))
		delete(n, kind)
	}
	// A kind added to the bus package after this list still shows.
	for kind, c := range n {
		gauge(ch, m.faults, float64(c), string(kind))
	}
}
