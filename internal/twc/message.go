package twc

import (
	"fmt"
)

// Code is a message's class byte (FB master request, FC master command, FD
// slave message) and command byte, as one number: 0xFBE0 is "FB E0".
type Code uint16

func (c Code) String() string { return fmt.Sprintf("%02X %02X", byte(c>>8), byte(c)) }

// Message codes from the protocol catalogue.
const (
	CodeMasterLinkReady1 Code = 0xFCE1
	CodeMasterLinkReady2 Code = 0xFBE2
	CodeSlaveLinkReady   Code = 0xFDE2
	CodeMasterHeartbeat  Code = 0xFBE0
	CodeSlaveHeartbeat   Code = 0xFDE0
	CodeIdle             Code = 0xFC1D

	CodeMeterQuery    Code = 0xFBEB
	CodeMeter         Code = 0xFDEB
	CodeFirmwareQuery Code = 0xFBEC
	CodeFirmware      Code = 0xFDEC
	CodeSerialQuery   Code = 0xFBED
	CodeSerial        Code = 0xFDED
	CodeVIN1Query     Code = 0xFBEE
	CodeVIN1          Code = 0xFDEE
	CodeVIN2Query     Code = 0xFBEF
	CodeVIN2          Code = 0xFDEF
	CodeVIN3Query     Code = 0xFBF1
	CodeVIN3          Code = 0xFDF1
	CodePlugQuery     Code = 0xFBB4
	CodePlug          Code = 0xFDB4
	CodeStartCharging Code = 0xFCB1
	CodeStartAck      Code = 0xFDB1
	CodeStopCharging  Code = 0xFCB2
	CodeStopAck       Code = 0xFDB2

	CodeLegacySerialQuery   Code = 0xFB19
	CodeLegacySerial        Code = 0xFD19
	CodeModelQuery          Code = 0xFB1A
	CodeModel               Code = 0xFD1A
	CodeLegacyFirmwareQuery Code = 0xFB1B
	CodeLegacyFirmware      Code = 0xFD1B
)

// Message is one decoded protocol message.
type Message interface {
	// Code identifies the message type.
	Code() Code
	// AppendPayload appends the payload (body without checksum) to dst.
	AppendPayload(dst []byte) []byte
}

// CodeOf returns the code of a body (or payload) of at least two bytes.
func CodeOf(body []byte) Code {
	if len(body) < 2 {
		return 0
	}
	return Code(body[0])<<8 | Code(body[1])
}

// Encode returns the wire form of m, or ErrDangerous for the codes that
// damage chargers.
func Encode(m Message) ([]byte, error) {
	var p [24]byte
	return AppendFramed(make([]byte, 0, 48), m.AppendPayload(p[:0]))
}

// Body returns m's body: payload plus checksum, without framing or escaping.
// It is what the receiving decoder yields and what Parse takes.
func Body(m Message) []byte {
	b := m.AppendPayload(nil)
	return append(b, Checksum(b))
}

// Parse decodes a verified body (payload and checksum). Unknown codes yield an
// Unknown message and no error, so callers can name them; malformed bodies of
// known codes yield an error wrapping ErrLength, ErrPadding or ErrShort.
func Parse(body []byte) (Message, error) {
	if len(body) < 14 {
		return nil, fmt.Errorf("%w: %d bytes, the shortest message has 14", ErrShort, len(body))
	}
	if Checksum(body[:len(body)-1]) != body[len(body)-1] {
		return nil, ErrChecksum
	}
	code := CodeOf(body)
	switch code {
	case CodeMasterLinkReady1, CodeMasterLinkReady2:
		return parseMasterLinkReady(body)
	case CodeSlaveLinkReady:
		return parseSlaveLinkReady(body)
	case CodeMasterHeartbeat:
		return parseMasterHeartbeat(body)
	case CodeSlaveHeartbeat:
		hb, err := ParseSlaveHeartbeat(body)
		if err != nil {
			return nil, err
		}
		return hb, nil
	case CodeIdle:
		return parseIdle(body)
	case CodeMeterQuery, CodeFirmwareQuery, CodeSerialQuery, CodeVIN1Query, CodeVIN2Query,
		CodeVIN3Query, CodePlugQuery, CodeStartCharging, CodeStopCharging:
		return parseRequest(body)
	case CodeMeter:
		return parseMeter(body)
	case CodeFirmware:
		return parseFirmware(body)
	case CodeSerial:
		return parseSerial(body)
	case CodeVIN1, CodeVIN2, CodeVIN3:
		return parseVINPart(body)
	case CodePlug:
		return parsePlugState(body)
	case CodeStartAck, CodeStopAck:
		return parseAck(body)
	case CodeLegacySerialQuery, CodeModelQuery, CodeLegacyFirmwareQuery:
		return parseLegacyQuery(body)
	case CodeLegacySerial, CodeModel:
		return parseLegacyText(body)
	case CodeLegacyFirmware:
		return parseLegacyFirmware(body)
	}
	return Unknown{Body: append([]byte(nil), body[:len(body)-1]...)}, nil
}

// Unknown is a message whose code this codec does not know (for example FB A4).
// Body holds its payload so it can be logged and re-encoded unchanged.
type Unknown struct{ Body []byte }

// Code implements Message.
func (u Unknown) Code() Code { return CodeOf(u.Body) }

// AppendPayload implements Message.
func (u Unknown) AppendPayload(dst []byte) []byte { return append(dst, u.Body...) }

// zeros reports whether every byte of b is zero.
func zeros(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// checkLayout verifies a body's length and that the bytes in [from, len-1)
// are padding zeros.
func checkLayout(body []byte, lengths []int, from int) error {
	ok := false
	for _, l := range lengths {
		if len(body) == l {
			ok = true
		}
	}
	if !ok {
		return fmt.Errorf("%w: %s body of %d bytes, want %v", ErrLength, CodeOf(body), len(body), lengths)
	}
	if from < len(body)-1 && !zeros(body[from:len(body)-1]) {
		return fmt.Errorf("%w: %s bytes %d..%d", ErrPadding, CodeOf(body), from, len(body)-2)
	}
	return nil
}

func appendZeros(dst []byte, n int) []byte {
	for range n {
		dst = append(dst, 0)
	}
	return dst
}

// padTo appends zeros until the payload has bodyLen-1 bytes.
func padTo(dst []byte, start, bodyLen int) []byte {
	return appendZeros(dst, bodyLen-1-(len(dst)-start))
}
