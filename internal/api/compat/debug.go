package compat

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// debugState is the last debug command, for getLastTWCResponse.
type debugState struct {
	sentAt time.Time
	reply  twc.Code // the reply awaited; 0 when nothing was sent
	to     twc.ID
	// note is why the last command was not sent; TWCManager shows its
	// "Command blocked" text in the same place.
	note string
}

// neverSend are the codes no request may make the bus send, with why. The
// bus master would refuse them too (they are not read-only queries); naming
// them gives the reason.
var neverSend = map[string]string{
	"FC19": "FC 19 writes the charger's ID and date to flash and has disabled chargers for good",
	"FC1A": "FC 1A writes the charger's model number to flash and may disable it for good",
	"FBE8": "FB E8 crashes the charger",
}

// debugNames are the commandName values of TWCManager's debug page and the
// read-only query each maps to. FB 19, FB 1A and FB 1B carry no addresses:
// on a bus with several chargers they all answer at once and the reply is
// garbage. So the serial number is asked with FB ED, and the firmware with
// FB EC where the charger speaks protocol 2; the model has no addressed
// query.
var debugNames = map[string]twc.Code{
	"GetFirmwareVersion": twc.CodeLegacyFirmwareQuery,
	"FB19":               twc.CodeSerialQuery,
	"FB1A":               twc.CodeModelQuery,
}

// sendDebugCommand sends one read-only query to the first linked charger:
// {commandName} from TWCManager's debug page, or {commandName: "Custom",
// customCommand: "FBEB"}. Anything that is not a read-only query is refused
// with the reason and never reaches the bus.
func (s *server) sendDebugCommand(w http.ResponseWriter, r *http.Request, body []byte) error {
	f, err := parseFields(body)
	if err != nil {
		return err
	}
	name, present, err := f.text("commandName")
	switch {
	case err != nil:
		return err
	case !present || name == "":
		return missing("commandName", `"Custom" with customCommand, or one of `+debugNameList())
	}
	code, known := debugNames[name]
	if !known {
		field, text := "commandName", name
		if name == "Custom" {
			field = "customCommand"
			if text, present, err = f.text(field); err != nil {
				return err
			}
			if !present || text == "" {
				return missing(field, "the query in hex, e.g. FBEB; one of "+safeList())
			}
		} else if !isHex(name) {
			return badField(field, "%q is not a known command; send \"Custom\" with customCommand, or one of %s", name, debugNameList())
		}
		if code, err = s.parseCommand(field, text); err != nil {
			return err
		}
	}
	snap := s.b.Snapshot()
	if len(snap.Chargers) == 0 {
		return &httpError{status: http.StatusConflict, field: "commandName", msg: "compat: no charger is linked on the bus to send the query to"}
	}
	id := snap.Chargers[0].ID
	if code == twc.CodeLegacyFirmwareQuery && snap.Chargers[0].Protocol == twc.Protocol2 {
		code = twc.CodeFirmwareQuery
	}
	s.setDebug(debugState{sentAt: s.b.Now(), reply: replyCode(code), to: id})
	ctx, cancel := context.WithTimeout(r.Context(), busTimeout)
	defer cancel()
	if err := s.b.Query(ctx, id, code); err != nil {
		s.setDebug(debugState{note: err.Error()})
		return &httpError{status: http.StatusServiceUnavailable, msg: fmt.Sprintf("compat: query %s to charger %s: %v", code, id, err)}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseCommand reads a hex command and allows only the read-only queries.
func (s *server) parseCommand(field, text string) (twc.Code, error) {
	clean := strings.ToUpper(strings.Join(strings.Fields(text), ""))
	if !isHex(clean) {
		return 0, badField(field, "%q is not a command in hex; want two bytes such as FBEB", text)
	}
	for prefix, why := range neverSend {
		if strings.HasPrefix(clean, prefix) {
			return 0, s.refuse(field, "%s is never sent: %s", prefix, why)
		}
	}
	raw, _ := hex.DecodeString(clean) // isHex checked it
	code := twc.CodeOf(raw)
	if _, ok := bus.SafeQueries[code]; !ok {
		return 0, s.refuse(field, "%s is not a read-only query, and only those are sent; the read-only queries are %s", code, safeList())
	}
	if len(raw) > 2 {
		return 0, badField(field, "%q: send only the two command bytes, e.g. %02X%02X; the addresses and padding are added", text, raw[0], raw[1])
	}
	return code, nil
}

// refuse records why a command was not sent, for getLastTWCResponse, and
// returns the 400.
func (s *server) refuse(field, format string, args ...any) error {
	e := badField(field, format, args...)
	s.setDebug(debugState{note: "Command blocked: " + e.msg})
	return e
}

func (s *server) setDebug(d debugState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.debug = d
}

// getLastTWCResponse is the reply to the last debug command in hex (the
// frame's body and checksum), empty until it arrives; after a refused
// command, why it was refused.
func (s *server) getLastTWCResponse(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d := s.debug
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	text := d.note
	if d.reply != 0 {
		ctx, cancel := context.WithTimeout(r.Context(), busTimeout)
		defer cancel()
		frames, err := s.b.Frames(ctx)
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, "compat: read the bus frames: %v", err) // the client may have gone
			return
		}
		for _, f := range slices.Backward(frames) {
			if f.Dir == bus.Rx && f.Err == "" && !f.At.Before(d.sentAt) && twc.CodeOf(f.Body) == d.reply && repliedBy(f.Body, d.to) {
				text = spacedHex(f.Body)
				break
			}
		}
	}
	_, _ = w.Write([]byte(text)) // the client may have gone
}

// repliedBy reports whether reply body b came from charger id. The replies
// to the older queries (FD 19, FD 1A, FD 1B) carry no address.
func repliedBy(b []byte, id twc.ID) bool {
	switch twc.CodeOf(b) {
	case twc.CodeLegacySerial, twc.CodeModel, twc.CodeLegacyFirmware:
		return true
	}
	return len(b) >= 4 && twc.ID(b[2])<<8|twc.ID(b[3]) == id
}

// replyCode is the charger's answer to query q: FB xx is answered by FD xx.
func replyCode(q twc.Code) twc.Code { return 0xFD00 | q&0xFF }

func isHex(s string) bool {
	if len(s) < 4 || len(s)%2 != 0 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func spacedHex(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02X", x)
	}
	return strings.Join(parts, " ")
}

// safeList names the read-only queries, by code.
func safeList() string {
	codes := make([]twc.Code, 0, len(bus.SafeQueries))
	for c := range bus.SafeQueries {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%02X%02X (%s)", byte(c>>8), byte(c), bus.SafeQueries[c])
	}
	return strings.Join(parts, ", ")
}

func debugNameList() string {
	names := make([]string, 0, len(debugNames))
	for n := range debugNames {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
