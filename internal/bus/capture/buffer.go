package capture

import (
	"encoding/binary"
	"time"
)

// Buffer records a capture into memory allocated once, up front, so that
// recording on the bus master's heartbeat path never allocates: what does
// not fit is counted and left out. It is not safe for concurrent use; the
// bus goroutine owns it.
type Buffer struct {
	start   time.Time
	buf     []byte
	last    uint32 // time of the last record, microseconds
	bytes   int
	dropped uint64
	done    bool
}

// NewBuffer starts a capture at start that holds at most size bytes of file,
// header and end record included.
func NewBuffer(start time.Time, size int) *Buffer {
	size = max(size, HeaderSize+endSize)
	b := &Buffer{start: start, buf: make([]byte, HeaderSize, size)}
	copy(b.buf, Magic)
	b.buf[6] = Version
	binary.BigEndian.PutUint64(b.buf[8:], uint64(start.UnixNano()))
	return b
}

// Add records data that went dir (Received or Sent) at at, and reports
// whether all of it fit. Reads longer than MaxRecord become several records.
func (b *Buffer) Add(at time.Time, dir Dir, data []byte) bool {
	if b.done || (dir != Received && dir != Sent) {
		return false
	}
	us, ok := b.offset(at)
	if !ok {
		b.dropped += uint64(len(data))
		return false
	}
	for len(data) > 0 {
		n := min(len(data), MaxRecord)
		if len(b.buf)+recordHead+n > cap(b.buf)-endSize {
			b.dropped += uint64(len(data))
			return false
		}
		b.buf = append(b.buf, byte(dir), byte(us>>24), byte(us>>16), byte(us>>8), byte(us), byte(n>>8), byte(n))
		b.buf = append(b.buf, data[:n]...)
		b.bytes += n
		data = data[n:]
	}
	return true
}

// offset is at as microseconds since the start. It never goes back: a wall
// clock stepped backwards must not make the file invalid.
func (b *Buffer) offset(at time.Time) (uint32, bool) {
	d := max(at.Sub(b.start), 0)
	if d > MaxLength {
		return 0, false
	}
	us := max(uint32(d/time.Microsecond), b.last)
	b.last = us
	return us, true
}

// Start is when the capture began.
func (b *Buffer) Start() time.Time { return b.start }

// Bytes is how many bus bytes are recorded.
func (b *Buffer) Bytes() int { return b.bytes }

// Dropped is how many bus bytes were left out because the buffer was full.
func (b *Buffer) Dropped() uint64 { return b.dropped }

// Finish appends the end record, stamped at, and returns the file. The
// buffer takes nothing more; calling Finish again returns the same file.
func (b *Buffer) Finish(at time.Time) []byte {
	if b.done {
		return b.buf
	}
	b.done = true
	us, ok := b.offset(at)
	if !ok {
		us = uint32(MaxLength / time.Microsecond)
	}
	b.buf = append(b.buf, byte(end), byte(us>>24), byte(us>>16), byte(us>>8), byte(us), 0, 8)
	b.buf = binary.BigEndian.AppendUint64(b.buf, b.dropped)
	return b.buf
}
