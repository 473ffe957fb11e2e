package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
)

// frameLogSize is how many recent frames diagnostics can show.
const frameLogSize = 200

// Direction of a logged frame.
const (
	Rx = 'r' // received
	Tx = 't' // sent by us
)

// Frame is one frame seen on the bus, for diagnostics.
type Frame struct {
	At   time.Time
	Dir  byte   // Rx or Tx
	Body []byte // payload and checksum
	Err  string // why it was dropped, for bad frames
}

// Message decodes the frame; unknown or malformed frames return an error.
func (f Frame) Message() (twc.Message, error) { return twc.Parse(f.Body) }

// frameLog is a ring of recent frames. It is written on the heartbeat path,
// so it holds fixed arrays and never allocates.
type frameLog struct {
	ring [frameLogSize]struct {
		at   time.Time
		dir  byte
		n    int
		body [24]byte
		err  error
	}
	next, count int
}

func (l *frameLog) add(at time.Time, dir byte, body []byte, err error) {
	e := &l.ring[l.next]
	e.at, e.dir, e.err = at, dir, err
	e.n = copy(e.body[:], body)
	l.next = (l.next + 1) % frameLogSize
	l.count = min(l.count+1, frameLogSize)
}

func (l *frameLog) copyOut() []Frame {
	out := make([]Frame, 0, l.count)
	for i := range l.count {
		e := &l.ring[(l.next-l.count+i+frameLogSize)%frameLogSize]
		f := Frame{At: e.at, Dir: e.dir, Body: append([]byte(nil), e.body[:e.n]...)}
		if e.err != nil {
			f.Err = e.err.Error()
		}
		out = append(out, f)
	}
	return out
}

// Frames returns the recent frames, oldest first. The copy is made by the
// goroutine that owns the bus, between two of its steps.
func (m *Master) Frames(ctx context.Context) ([]Frame, error) {
	var out []Frame
	err := m.send(ctx, command{kind: cmdFrames, frames: &out})
	return out, err
}

// SafeQueries are the info queries a person may send from diagnostics: they
// only read. Anything else, FC 19 / FC 1A / FB E8 above all, is refused.
var SafeQueries = map[twc.Code]string{
	twc.CodeMeterQuery:          "meter (lifetime energy, voltages)",
	twc.CodeFirmwareQuery:       "firmware version",
	twc.CodeSerialQuery:         "serial number",
	twc.CodeVIN1Query:           "VIN",
	twc.CodePlugQuery:           "plug state",
	twc.CodeLegacyFirmwareQuery: "firmware (older chargers, one charger on the bus only)",
	twc.CodeModelQuery:          "model (one charger on the bus only)",
}

// ErrUnsafe is the answer to a query that is not in SafeQueries.
var ErrUnsafe = errors.New("bus: only read-only queries may be sent from diagnostics")

// Query asks charger id one safe question; the answer lands in its Info.
func (m *Master) Query(ctx context.Context, id twc.ID, op twc.Code) error {
	if _, ok := SafeQueries[op]; !ok {
		return fmt.Errorf("%w; %s is not one of them", ErrUnsafe, op)
	}
	return m.send(ctx, command{kind: cmdQuery, id: id, op: op})
}

// SetOpener switches to another adapter: the port in use is closed and the
// new one opened at once. The chargers stay listed while they answer.
func (m *Master) SetOpener(ctx context.Context, open Opener) error {
	return m.send(ctx, command{kind: cmdReopen, open: open})
}

// errReopen ends serve so that Run opens the new adapter.
var errReopen = errors.New("bus: switching adapter")
