package capture

import (
	"encoding/binary"
	"fmt"
	"os"
	"time"
)

// FormatError is a file that is not a valid capture: Offset is the byte
// where it stops making sense.
type FormatError struct {
	Offset  int
	Problem string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("capture: offset %d: %s", e.Offset, e.Problem)
}

func bad(off int, format string, args ...any) error {
	return &FormatError{Offset: off, Problem: fmt.Sprintf(format, args...)}
}

// ReadFile reads and parses the capture at path.
func ReadFile(path string) (*Capture, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse reads a capture file. A file that is cut short, comes from another
// program or is damaged yields a *FormatError with the offset of the first
// byte that does not fit the format. The records' data share b's memory.
func Parse(b []byte) (*Capture, error) {
	if err := header(b); err != nil {
		return nil, err
	}
	c := &Capture{Start: time.Unix(0, int64(binary.BigEndian.Uint64(b[8:16])))}
	off := HeaderSize
	var last uint32
	for {
		if off == len(b) {
			return nil, bad(off, "the file ends without the end record: it was cut short")
		}
		if rest := len(b) - off; rest < recordHead {
			return nil, bad(off, "the file ends inside a record header (%d of %d bytes): it was cut short", rest, recordHead)
		}
		kind := Dir(b[off])
		us := binary.BigEndian.Uint32(b[off+1:])
		n := int(binary.BigEndian.Uint16(b[off+5:]))
		switch kind {
		case Received, Sent:
			if n == 0 || n > MaxRecord {
				return nil, bad(off+5, "record length %d; a record holds 1 to %d bytes", n, MaxRecord)
			}
		case end:
			if n != 8 {
				return nil, bad(off+5, "end record length %d; it is always 8", n)
			}
		default:
			return nil, bad(off, "unknown record kind %02X; a record is 'r' (received), 't' (sent) or 'e' (end)", byte(kind))
		}
		if us < last {
			return nil, bad(off+1, "time goes backwards: %v after %v", micros(us), micros(last))
		}
		last = us
		data := off + recordHead
		if rest := len(b) - data; rest < n {
			return nil, bad(len(b), "the file ends inside a record's data (%d of %d bytes): it was cut short", rest, n)
		}
		if kind == end {
			c.Length, c.Dropped = micros(us), binary.BigEndian.Uint64(b[data:])
			if tail := data + n; tail != len(b) {
				return nil, bad(tail, "%d bytes follow the end record", len(b)-tail)
			}
			return c, nil
		}
		c.Records = append(c.Records, Record{At: micros(us), Dir: kind, Data: b[data : data+n : data+n]})
		off = data + n
	}
}

// header checks the fixed header.
func header(b []byte) error {
	n := min(len(b), len(Magic))
	for i := range n {
		if b[i] != Magic[i] {
			return bad(i, "not a twcmanager bus capture: it starts with % X, a capture with %q", b[:n], Magic)
		}
	}
	switch {
	case len(b) == 0:
		return bad(0, "the file is empty")
	case len(b) < HeaderSize:
		return bad(len(b), "the file ends inside the %d-byte header: it was cut short", HeaderSize)
	case b[6] != Version:
		return bad(6, "format version %d; this build reads version %d", b[6], Version)
	case b[7] != 0:
		return bad(7, "unknown flags %02X", b[7])
	}
	return nil
}

func micros(us uint32) time.Duration { return time.Duration(us) * time.Microsecond }
