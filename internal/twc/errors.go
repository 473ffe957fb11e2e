package twc

import "errors"

// Errors of the framing and parsing layers. Every dropped frame maps to one of
// these, so the bus can count each kind separately.
var (
	ErrChecksum  = errors.New("twc: checksum mismatch")
	ErrLength    = errors.New("twc: unexpected body length")
	ErrEscape    = errors.New("twc: invalid escape sequence")
	ErrTimeout   = errors.New("twc: partial frame timed out")
	ErrOverrun   = errors.New("twc: frame too long without end delimiter")
	ErrPadding   = errors.New("twc: non-zero bytes where the protocol has padding")
	ErrEcho      = errors.New("twc: echo of our own transmission")
	ErrDangerous = errors.New("twc: refusing to encode a command that damages chargers")
	ErrShort     = errors.New("twc: body too short for its message type")
)
