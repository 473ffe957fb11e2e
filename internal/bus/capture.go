package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus/capture"
)

// MaxCapture is the longest bus capture.
const MaxCapture = 30 * time.Minute

// captureSize bounds a capture's memory, allocated when it starts. Thirty
// minutes of a busy bus at 9600 baud are under 2 MiB with record headers;
// what does not fit is counted as dropped.
const captureSize = 4 << 20

// CaptureStatus is the running capture, or the last one finished.
type CaptureStatus struct {
	Recording bool
	Start     time.Time
	// End is the planned end while recording, the real one after.
	End   time.Time
	Bytes int // bus bytes recorded
	// Dropped counts bus bytes left out because the capture was full.
	Dropped uint64
	// Size is the finished file's size; 0 while recording.
	Size int
}

type finishedCapture struct {
	file   []byte
	status CaptureStatus
}

// ErrNoCapture is the answer to a download before any capture finished.
var ErrNoCapture = errors.New("bus: no bus capture has been recorded yet")

type captureOp int

const (
	capStart captureOp = iota
	capStop
	capStatus
	capFile
)

// StartCapture records the raw bytes on the bus, with their times, for d (at
// most MaxCapture). It runs on while the adapter reconnects; the finished
// capture replaces the previous one.
func (m *Master) StartCapture(ctx context.Context, d time.Duration) error {
	if d <= 0 || d > MaxCapture {
		return fmt.Errorf("bus: a capture lasts more than 0 s and at most %v, not %v", MaxCapture, d)
	}
	// The buffer is allocated here, not by the goroutine that owns the bus:
	// zeroing megabytes there would delay a heartbeat.
	buf := capture.NewBuffer(m.clk.Now(), captureSize)
	return m.send(ctx, command{kind: cmdCapture, capOp: capStart, dur: d, buf: buf})
}

// StopCapture ends the running capture now; it is ready to download.
func (m *Master) StopCapture(ctx context.Context) error {
	return m.send(ctx, command{kind: cmdCapture, capOp: capStop})
}

// CaptureStatus returns the running capture's state, or the last one's.
func (m *Master) CaptureStatus(ctx context.Context) (CaptureStatus, error) {
	var st CaptureStatus
	err := m.send(ctx, command{kind: cmdCapture, capOp: capStatus, capStatus: &st})
	return st, err
}

// CaptureFile returns the last finished capture in the capture file format
// (package capture). The bytes are shared: do not modify them.
func (m *Master) CaptureFile(ctx context.Context) ([]byte, CaptureStatus, error) {
	var st CaptureStatus
	var file []byte
	err := m.send(ctx, command{kind: cmdCapture, capOp: capFile, capStatus: &st, capFile: &file})
	return file, st, err
}

// captureCommand runs a capture request on the owner goroutine.
func (m *Master) captureCommand(now time.Time, c command) error {
	m.captureDue(now)
	switch c.capOp {
	case capStart:
		if m.rec != nil {
			return fmt.Errorf("bus: a capture is already recording until %s; stop it first", m.recEnds.Format("15:04:05"))
		}
		m.lastCap = nil // one capture's memory at a time
		m.rec, m.recEnds = c.buf, c.buf.Start().Add(c.dur)
		m.log.Info("bus: capture started", "for", c.dur.String())
	case capStop:
		if m.rec == nil {
			return errors.New("bus: no capture is recording")
		}
		m.finishCapture(now)
	case capStatus:
		*c.capStatus = m.captureStatus()
	case capFile:
		if m.lastCap == nil {
			if m.rec != nil {
				return fmt.Errorf("%w: one is recording until %s", ErrNoCapture, m.recEnds.Format("15:04:05"))
			}
			return ErrNoCapture
		}
		*c.capFile, *c.capStatus = m.lastCap.file, m.lastCap.status
	}
	return nil
}

// captureDue finishes the running capture when its time is up.
func (m *Master) captureDue(now time.Time) {
	if m.rec != nil && !now.Before(m.recEnds) {
		m.finishCapture(m.recEnds)
	}
}

func (m *Master) finishCapture(end time.Time) {
	r := m.rec
	file := r.Finish(end)
	m.lastCap = &finishedCapture{file: file, status: CaptureStatus{
		Start: r.Start(), End: end, Bytes: r.Bytes(), Dropped: r.Dropped(), Size: len(file),
	}}
	m.rec = nil
	m.log.Info("bus: capture finished", "bytes", r.Bytes(), "dropped", r.Dropped())
}

func (m *Master) captureStatus() CaptureStatus {
	switch {
	case m.rec != nil:
		return CaptureStatus{Recording: true, Start: m.rec.Start(), End: m.recEnds, Bytes: m.rec.Bytes(), Dropped: m.rec.Dropped()}
	case m.lastCap != nil:
		return m.lastCap.status
	}
	return CaptureStatus{}
}
