// Package clock is the time source of the bus master, the simulator and (later)
// the policy. Production code uses Real; tests either run under testing/synctest,
// where Real is already fake, or use Scaled to run real I/O faster than wall time.
package clock

import "time"

// Clock tells the time and makes timers.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the subset of *time.Timer that the bus and simulator use. The value
// sent on C is the real firing time: under Scaled it is not the clock's time,
// so callers read Now instead.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// Real returns the system clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time                 { return time.Now() }
func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// Scaled returns a clock that runs factor times faster than wall time, starting
// at the present moment. Tests over real devices (pseudo-terminals) use it to
// cover minutes of bus time in seconds while bytes still cross the kernel.
func Scaled(factor float64) Clock {
	if factor <= 0 {
		panic("clock: Scaled needs a positive factor")
	}
	return &scaledClock{origin: time.Now(), factor: factor}
}

type scaledClock struct {
	origin time.Time
	factor float64
}

func (s *scaledClock) Now() time.Time {
	elapsed := time.Since(s.origin)
	return s.origin.Add(time.Duration(float64(elapsed) * s.factor))
}

func (s *scaledClock) NewTimer(d time.Duration) Timer {
	return scaledTimer{realTimer{time.NewTimer(s.real(d))}, s}
}

func (s *scaledClock) real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.factor)
}

type scaledTimer struct {
	realTimer
	s *scaledClock
}

func (t scaledTimer) Reset(d time.Duration) bool { return t.t.Reset(t.s.real(d)) }

// Later returns the later of two times.
func Later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
