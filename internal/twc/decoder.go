package twc

import (
	"bytes"
	"time"
)

// PartialTimeout is how long a partial frame may wait for its next byte before
// it is dropped.
const PartialTimeout = 2 * time.Second

// minFrameRaw is the number of raw bytes between delimiters below which a C0 is
// taken as the start of a new frame rather than the end of this one: we joined
// mid-frame, or heard noise.
const minFrameRaw = 14

// maxFrameRaw bounds a frame on the wire: a 20-byte body fully escaped.
const maxFrameRaw = 40

// Stats counts what the decoder saw. All fields only grow.
type Stats struct {
	Frames     uint64 // valid frames delivered
	Echoes     uint64 // our own frames heard back (adapter echo), dropped
	Checksum   uint64 // dropped: checksum mismatch
	Length     uint64 // dropped: body length not 14, 16 or 20
	Escape     uint64 // dropped: bad escape sequence
	Timeouts   uint64 // dropped: partial frame silent for PartialTimeout
	Overruns   uint64 // dropped: no end delimiter within maxFrameRaw bytes
	Resyncs    uint64 // partial frames abandoned on an early C0
	StrayBytes uint64 // bytes outside any frame (trailing junk, noise)
	BytesSeen  uint64 // every byte fed
}

// Errors is the number of frames dropped as corrupt (not counting echoes).
func (s Stats) Errors() uint64 {
	return s.Checksum + s.Length + s.Escape + s.Timeouts + s.Overruns
}

// Decoder splits a byte stream into frame bodies. The zero value is ready.
// It is not safe for concurrent use; the bus goroutine owns it.
type Decoder struct {
	// OwnID, when HasOwnID is set, marks FB/FC frames from that sender as our
	// echo. A listen-only monitor leaves it unset.
	OwnID    ID
	HasOwnID bool

	in    bool // inside a frame
	esc   bool // previous byte was Esc
	bad   error
	raw   int // raw bytes between delimiters so far
	n     int
	buf   [maxFrameRaw]byte
	last  time.Time
	echo  [maxFrameRaw]byte
	echoN int
	out   [maxFrameRaw]byte

	Stats Stats
}

// ExpectEcho records the body we just transmitted (payload and checksum), so
// that an adapter that echoes it back does not make us read our own frame.
func (d *Decoder) ExpectEcho(body []byte) {
	d.echoN = copy(d.echo[:], body)
}

// Idle reports whether no partial frame is pending.
func (d *Decoder) Idle() bool { return !d.in }

// Expire drops a partial frame that has waited longer than PartialTimeout.
func (d *Decoder) Expire(now time.Time) error {
	if d.in && now.Sub(d.last) > PartialTimeout {
		d.in = false
		d.Stats.Timeouts++
		return ErrTimeout
	}
	return nil
}

// Feed consumes one byte received at now. It returns a complete, verified body
// (valid until the next call) or the reason a frame was dropped; both are nil
// while a frame is still arriving.
func (d *Decoder) Feed(now time.Time, b byte) (body []byte, err error) {
	d.Stats.BytesSeen++
	err = d.Expire(now)
	d.last = now
	if !d.in {
		if b == End {
			d.start()
		} else {
			d.Stats.StrayBytes++
		}
		return nil, err
	}
	if b == End {
		if d.raw < minFrameRaw {
			if d.raw > 0 {
				d.Stats.Resyncs++
			}
			d.start()
			return nil, err
		}
		d.in = false
		body, ferr := d.finish()
		if ferr != nil {
			return nil, ferr
		}
		return body, err
	}
	d.raw++
	if d.raw > maxFrameRaw {
		d.in = false
		d.Stats.Overruns++
		return nil, ErrOverrun
	}
	switch {
	case d.esc:
		d.esc = false
		switch b {
		case EscEnd:
			d.put(End)
		case EscEsc:
			d.put(Esc)
		default:
			d.bad = ErrEscape
		}
	case b == Esc:
		d.esc = true
	default:
		d.put(b)
	}
	return nil, err
}

func (d *Decoder) start() {
	d.in, d.esc, d.bad, d.raw, d.n = true, false, nil, 0, 0
}

func (d *Decoder) put(b byte) {
	if d.n < len(d.buf) {
		d.buf[d.n] = b
		d.n++
	}
}

func (d *Decoder) finish() ([]byte, error) {
	if d.esc {
		d.bad = ErrEscape
	}
	if d.bad != nil {
		d.Stats.Escape++
		return nil, d.bad
	}
	body := d.buf[:d.n]
	switch len(body) {
	case 14, 16, 20:
	default:
		d.Stats.Length++
		return nil, ErrLength
	}
	if Checksum(body[:len(body)-1]) != body[len(body)-1] {
		d.Stats.Checksum++
		return nil, ErrChecksum
	}
	if d.isEcho(body) {
		d.Stats.Echoes++
		return nil, ErrEcho
	}
	d.Stats.Frames++
	n := copy(d.out[:], body)
	return d.out[:n], nil
}

func (d *Decoder) isEcho(body []byte) bool {
	if d.echoN > 0 && bytes.Equal(body, d.echo[:d.echoN]) {
		return true
	}
	return d.HasOwnID && (body[0] == 0xFB || body[0] == 0xFC) && idAt(body, 2) == d.OwnID
}

// Split decodes a complete byte sequence at one instant and returns copies of
// the valid bodies in order. Tests and capture replay use it; the bus feeds
// byte by byte.
func Split(stream []byte) [][]byte {
	var d Decoder
	var out [][]byte
	now := time.Time{}
	for _, b := range stream {
		if body, _ := d.Feed(now, b); body != nil {
			out = append(out, bytes.Clone(body))
		}
	}
	return out
}
