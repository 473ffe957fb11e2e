package diagnostics

import (
	"fmt"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// frameRow is one bus frame, decoded.
type frameRow struct {
	Time, Dir, Hex, Kind, Fields string
	Bad                          bool
}

// messageNames name the message kinds in words.
var messageNames = map[twc.Code]string{
	twc.CodeMasterLinkReady1:    "master link-ready",
	twc.CodeMasterLinkReady2:    "master link-ready",
	twc.CodeSlaveLinkReady:      "charger link-ready",
	twc.CodeMasterHeartbeat:     "master heartbeat",
	twc.CodeSlaveHeartbeat:      "charger heartbeat",
	twc.CodeIdle:                "idle",
	twc.CodeMeterQuery:          "meter query",
	twc.CodeMeter:               "meter answer",
	twc.CodeFirmwareQuery:       "firmware query",
	twc.CodeFirmware:            "firmware answer",
	twc.CodeSerialQuery:         "serial number query",
	twc.CodeSerial:              "serial number answer",
	twc.CodeVIN1Query:           "VIN query, part 1",
	twc.CodeVIN1:                "VIN answer, part 1",
	twc.CodeVIN2Query:           "VIN query, part 2",
	twc.CodeVIN2:                "VIN answer, part 2",
	twc.CodeVIN3Query:           "VIN query, part 3",
	twc.CodeVIN3:                "VIN answer, part 3",
	twc.CodePlugQuery:           "plug query",
	twc.CodePlug:                "plug answer",
	twc.CodeStartCharging:       "start charging",
	twc.CodeStartAck:            "start acknowledged",
	twc.CodeStopCharging:        "stop charging",
	twc.CodeStopAck:             "stop acknowledged",
	twc.CodeLegacySerialQuery:   "serial query (older chargers)",
	twc.CodeLegacySerial:        "serial answer (older chargers)",
	twc.CodeModelQuery:          "model query",
	twc.CodeModel:               "model answer",
	twc.CodeLegacyFirmwareQuery: "firmware query (older chargers)",
	twc.CodeLegacyFirmware:      "firmware answer (older chargers)",
}

// frameRows decodes frames, newest first.
func frameRows(fs []bus.Frame) []frameRow {
	out := make([]frameRow, 0, len(fs))
	for i := len(fs) - 1; i >= 0; i-- {
		f := fs[i]
		r := frameRow{Time: f.At.Local().Format("15:04:05.000"), Dir: "in", Hex: fmt.Sprintf("% X", f.Body)}
		if f.Dir == bus.Tx {
			r.Dir = "out"
		}
		switch m, err := f.Message(); {
		case f.Err != "":
			r.Kind, r.Fields, r.Bad = "dropped", f.Err, true
		case err != nil:
			r.Kind, r.Fields, r.Bad = "not understood", err.Error(), true
		default:
			r.Kind, r.Fields = describe(m)
		}
		out = append(out, r)
	}
	return out
}

// describe names a message and lists its fields.
func describe(m twc.Message) (kind, fields string) {
	kind, ok := messageNames[m.Code()]
	if !ok {
		kind = "unknown message " + m.Code().String()
	}
	if _, unknown := m.(twc.Unknown); unknown {
		return kind, ""
	}
	fields = strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%+v", m), "{"), "}")
	return kind, fields
}

// sinceWords says how long ago t was, for the charger details.
func sinceWords(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t).Round(time.Second)
	if d < time.Second {
		return "just now"
	}
	return d.String() + " ago"
}
