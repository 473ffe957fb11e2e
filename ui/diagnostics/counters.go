package diagnostics

import (
	"strconv"

	"github.com/twcmanager/twcmanager/internal/bus"
)

// counter is one of the master's running totals, with what it means.
type counter struct {
	Name, Value, Sentence string
	// Bad marks a problem counter that is not zero.
	Bad bool
}

func counters(c bus.Counters, monitor bool) []counter {
	type row struct {
		name     string
		v        uint64
		problem  bool
		sentence string
	}
	rows := []row{
		{"Frames received", c.Frames, false, "Good messages heard on the bus, from the chargers and from us."},
		{"Heartbeats sent", c.HeartbeatsSent, false, "Messages the appliance sent to the chargers, about one per charger every second."},
		{"Heartbeat replies", c.HeartbeatReplies, false, "Answers from the chargers. Nearly as many as were sent means a healthy bus."},
		{"Queries sent", c.QueriesSent, false, "Questions asked of the chargers: meter, firmware, serial number, car (VIN), plug."},
		{"Query timeouts", c.QueryTimeouts, true, "Questions no answer came for. A few are normal; many mean a noisy line or an older firmware."},
		{"Checksum errors", c.Checksum, true, "Messages damaged on the way. Check the RS-485 wiring: a twisted pair, A and B not swapped, a terminating resistor at each end of a long cable."},
		{"Length errors", c.Length, true, "Messages of a length no charger sends: noise, or two devices talking at once."},
		{"Escape errors", c.Escape, true, "Messages with a broken escape sequence: noise on the line."},
		{"Timeouts", c.Timeouts, true, "Messages cut off in the middle: a loose wire, or a charger losing power."},
		{"Overruns", c.Overruns, true, "Long runs of bytes without an end of message: noise, or an adapter at the wrong speed."},
		{"Resyncs", c.Resyncs, false, "Half messages given up when a new one began: normal just after starting, otherwise noise."},
		{"Echoes", c.Echoes, false, "Our own messages heard back. Some adapters do this; they are ignored and do no harm."},
		{"Stray bytes", c.StrayBytes, false, "Bytes between messages: line noise, harmless in small numbers."},
		{"Bytes read", c.BytesSeen, false, "Every byte read from the adapter."},
		{"Malformed messages", c.Malformed, true, "Messages of a known kind laid out in an unexpected way: perhaps an unusual firmware."},
		{"Unknown message kinds", c.UnknownCodes, false, "Messages this software does not know. They are ignored; the frame list below shows them."},
		{"Chargers dropped", c.Dropped, true, "Chargers that stopped answering and were taken off the list: check their power and their bus wiring."},
		{"Messages from another master", c.ForeignFrames, true, "Another device acts as master: set every Wall Connector's rotary switch to F so that they run as slaves."},
		{"Reconnects", c.Reconnects, true, "Times the adapter had to be opened again after it failed or was unplugged."},
	}
	if monitor {
		rows = append(rows,
			row{"Messages from the master charger", c.MasterFrames, false, "Monitor mode: messages the charger set as master sent to its slaves."},
			row{"Transmissions refused", c.WritesRefused, true, "Monitor mode: attempts to send, all refused. Always 0 unless something is wrong with twcmanager itself: please report it."})
	}
	out := make([]counter, len(rows))
	for i, r := range rows {
		out[i] = counter{Name: r.name, Value: strconv.FormatUint(r.v, 10), Sentence: r.sentence, Bad: r.problem && r.v > 0}
	}
	return out
}
