// Package capture is the file format of bus captures: raw RS-485 bytes with
// the time each arrived, recorded by the bus master for a support case and
// played back by the simulator (twcsim.Replay, cmd/twcsim -replay) so that
// the case becomes a regression test.
//
// Entry points: NewBuffer records into a fixed buffer and Finish turns it
// into a file; Parse and ReadFile read one back, rejecting a truncated or
// foreign file with the byte offset where it stops making sense
// (*FormatError); Capture.Frames decodes what a listener on the bus heard.
//
// A file (version 1) is a 16-byte header and a list of records, every number
// big-endian:
//
//	header   0..5   magic "TWCCAP"
//	         6      version, 1
//	         7      flags, 0
//	         8..15  start time, Unix nanoseconds (int64)
//	record   0      kind: 'r' bytes heard on the bus, 't' bytes this
//	                appliance sent, 'e' end of the capture
//	         1..4   time since the start, microseconds (uint32); never
//	                decreases
//	         5..6   n, the length of the data: 1 to MaxRecord for 'r' and
//	                't'; 8 for 'e'
//	         7..    n bytes of data; for 'e', the number of bus bytes left
//	                out because the capture was full (uint64)
//
// The end record comes last and exactly once, so a file cut short anywhere is
// recognised as such.
package capture

import (
	"bytes"
	"fmt"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
)

// Magic starts every capture file.
const Magic = "TWCCAP"

// Version is the format version this package writes and reads.
const Version = 1

// Sizes of the format's parts.
const (
	HeaderSize = 16
	// recordHead is a record's kind, time and length.
	recordHead = 7
	// MaxRecord is the most data one record holds; longer reads are split.
	MaxRecord = 1024
	endSize   = recordHead + 8
	// MaxLength is the longest capture the 32-bit microsecond times allow.
	MaxLength = time.Duration(1<<32-1) * time.Microsecond
)

// Extension is the file name extension of captures.
const Extension = ".twccap"

// Dir says who put a record's bytes on the bus.
type Dir byte

// Record kinds.
const (
	Received Dir = 'r' // heard on the bus: the chargers, or in monitor mode every unit
	Sent     Dir = 't' // sent by the appliance that recorded the capture
	end      Dir = 'e'
)

func (d Dir) String() string {
	switch d {
	case Received:
		return "received"
	case Sent:
		return "sent"
	}
	return "kind " + string(rune(d))
}

// Record is a run of bytes that arrived together.
type Record struct {
	At   time.Duration // since the capture's start
	Dir  Dir
	Data []byte
}

// Capture is a parsed capture file.
type Capture struct {
	Start time.Time
	// Length is the time from the start to the end record.
	Length time.Duration
	// Dropped counts bus bytes left out because the capture was full.
	Dropped uint64
	Records []Record
}

// Frame is one frame decoded from a capture.
type Frame struct {
	At   time.Duration
	Body []byte // payload and checksum
}

// Frames decodes every record in order, as one listener on the bus would:
// the verified bodies, whoever sent them. A frame cut by the capture's start
// is not among them.
func (c *Capture) Frames() []Frame {
	var d twc.Decoder
	var out []Frame
	for _, r := range c.Records {
		at := c.Start.Add(r.At)
		for _, b := range r.Data {
			if body, _ := d.Feed(at, b); body != nil {
				out = append(out, Frame{At: r.At, Body: bytes.Clone(body)})
			}
		}
	}
	return out
}

// Bytes is the number of bus bytes in the capture.
func (c *Capture) Bytes() int {
	n := 0
	for _, r := range c.Records {
		n += len(r.Data)
	}
	return n
}

// MarshalBinary writes c in the file format. Records must be received or
// sent bytes, in time order, within MaxLength of the start.
func (c *Capture) MarshalBinary() ([]byte, error) {
	size := HeaderSize + endSize
	var prev time.Duration
	for i, r := range c.Records {
		switch {
		case r.Dir != Received && r.Dir != Sent:
			return nil, fmt.Errorf("capture: record %d: %s is neither received nor sent bytes", i, r.Dir)
		case r.At < prev || r.At > MaxLength:
			return nil, fmt.Errorf("capture: record %d: time %v is out of order or beyond %v", i, r.At, MaxLength)
		}
		prev = r.At
		size += len(r.Data) + recordHead*((len(r.Data)+MaxRecord-1)/MaxRecord)
	}
	if c.Length < prev || c.Length > MaxLength {
		return nil, fmt.Errorf("capture: length %v is before the last record (%v) or beyond %v", c.Length, prev, MaxLength)
	}
	b := NewBuffer(c.Start, size)
	for _, r := range c.Records {
		b.Add(c.Start.Add(r.At), r.Dir, r.Data)
	}
	b.dropped += c.Dropped
	return b.Finish(c.Start.Add(c.Length)), nil
}
