package twc

import "fmt"

// Framing bytes (SLIP).
const (
	End    = 0xC0 // frame delimiter
	Esc    = 0xDB // escape introducer
	EscEnd = 0xDC // Esc EscEnd encodes a data 0xC0
	EscEsc = 0xDD // Esc EscEsc encodes a data 0xDB
)

// Checksum is the sum of payload[1:] modulo 256: the class byte is excluded.
func Checksum(payload []byte) byte {
	var s byte
	for _, b := range payload[1:] {
		s += b
	}
	return s
}

// CheckSafe refuses payloads that must never reach a charger: FC 19 and FC 1A
// write the charger's ID and model to flash (one unit hard-locked and changed
// its ID for good), and FB E8 crashes it.
func CheckSafe(payload []byte) error {
	if len(payload) < 2 {
		return fmt.Errorf("%w: payload of %d bytes", ErrShort, len(payload))
	}
	switch Code(payload[0])<<8 | Code(payload[1]) {
	case 0xFC19:
		return fmt.Errorf("%w: FC 19 writes the charger's ID and date to flash and has bricked a unit", ErrDangerous)
	case 0xFC1A:
		return fmt.Errorf("%w: FC 1A writes the charger's model number to flash", ErrDangerous)
	case 0xFBE8:
		return fmt.Errorf("%w: FB E8 crashes the charger", ErrDangerous)
	}
	return nil
}

// AppendFramed appends the wire form of payload to dst: C0, the escaped payload
// and checksum, C0. No trailing byte is sent; chargers do not need one.
func AppendFramed(dst, payload []byte) ([]byte, error) {
	if err := CheckSafe(payload); err != nil {
		return dst, err
	}
	dst = append(dst, End)
	for _, b := range payload {
		dst = appendEscaped(dst, b)
	}
	dst = appendEscaped(dst, Checksum(payload))
	return append(dst, End), nil
}

func appendEscaped(dst []byte, b byte) []byte {
	switch b {
	case End:
		return append(dst, Esc, EscEnd)
	case Esc:
		return append(dst, Esc, EscEsc)
	}
	return append(dst, b)
}
