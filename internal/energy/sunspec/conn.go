package sunspec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/simonvetter/modbus"
)

// This file is a Modbus TCP connection for any source, not only SunSpec
// ones (the victron package uses it too); it lives here because sources
// may only add their own packages.

const (
	// requestTimeout is the library's limit for one request; the caller's
	// context usually ends sooner (Query returns then).
	requestTimeout = 5 * time.Second
	// idleTimeout closes a connection nobody used for this long, so a
	// source that is dropped (a settings change, the wizard's test button)
	// does not hold a connection forever: some devices, SolarEdge among
	// them, serve a single Modbus TCP client.
	idleTimeout = time.Minute
)

var quiet = log.New(io.Discard, "", 0) // the library logs to stdout otherwise

// Conn is a Modbus TCP connection to one device, opened on first use, kept
// between reads (devices limit and log connections) and opened again after
// any failure that may have left it out of step.
type Conn struct {
	addr string

	mu     sync.Mutex // guards the fields below
	idle   *Session
	timer  *time.Timer // closes idle after idleTimeout
	closed bool        // by Close: sessions are closed after use
}

// NewConn returns a connection to addr (host:port); it dials on first use.
func NewConn(addr string) *Conn { return &Conn{addr: addr} }

// Addr is the device's host:port.
func (c *Conn) Addr() string { return c.addr }

// Session is one open connection, used by one Query at a time.
type Session struct {
	addr    string
	client  *modbus.ModbusClient
	broken  bool // a failure other than an exception: do not reuse
	dropped bool // the device closed the connection
	// Cache holds what a source learnt on this connection (SunSpec model
	// addresses); it goes with the connection, so that a device replaced
	// or reconfigured behind the same address is looked at afresh.
	Cache any
}

// Addr is the device's host:port.
func (s *Session) Addr() string { return s.addr }

// Read reads n holding registers of unit from addr on, in requests of at
// most 125 registers (the protocol's limit). Errors say what went wrong in
// words: "modbus exception illegal data address", "no answer from … in
// time", "… closed the connection", a wrong register count.
func (s *Session) Read(unit uint8, addr, n uint16) ([]uint16, error) {
	if int(addr)+int(n) > 0x10000 {
		return nil, fmt.Errorf("registers %d-%d lie beyond the last address 65535", addr, int(addr)+int(n)-1)
	}
	out := make([]uint16, 0, n)
	for n > 0 {
		q := min(n, 125)
		_ = s.client.SetUnitId(unit)
		regs, err := s.client.ReadRegisters(addr, q, modbus.HOLDING_REGISTER)
		if err != nil {
			return nil, s.fail(err)
		}
		if len(regs) != int(q) { // the library checks this; be sure anyway
			s.broken = true
			return nil, fmt.Errorf("answer from %s has %d registers instead of %d (wrong register count)", s.addr, len(regs), q)
		}
		out = append(out, regs...)
		addr, n = addr+q, n-q
	}
	return out, nil
}

// exceptions are the library's errors for a device's exception answers: the
// device answered in good order, so the connection stays usable.
var exceptions = []error{modbus.ErrIllegalFunction, modbus.ErrIllegalDataAddress, modbus.ErrIllegalDataValue,
	modbus.ErrServerDeviceFailure, modbus.ErrAcknowledge, modbus.ErrServerDeviceBusy, modbus.ErrMemoryParityError,
	modbus.ErrGWPathUnavailable, modbus.ErrGWTargetFailedToRespond}

// IsException reports whether err is a device's exception answer.
func IsException(err error) bool {
	for _, e := range exceptions {
		if errors.Is(err, e) {
			return true
		}
	}
	return strings.Contains(err.Error(), "unknown exception code")
}

func (s *Session) fail(err error) error {
	if IsException(err) {
		return fmt.Errorf("modbus exception %w", err)
	}
	s.broken = true
	switch {
	case errors.Is(err, modbus.ErrRequestTimedOut) || os.IsTimeout(err):
		return fmt.Errorf("no answer from %s in time: %w", s.addr, context.DeadlineExceeded)
	case errors.Is(err, modbus.ErrProtocolError):
		return fmt.Errorf("answer from %s has the wrong register count or is malformed", s.addr)
	case errors.Is(err, modbus.ErrBadUnitId):
		return fmt.Errorf("answer from %s carries another unit id", s.addr)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		s.dropped = true
		return fmt.Errorf("%s closed the connection", s.addr)
	}
	return fmt.Errorf("talking to %s: %w", s.addr, err)
}

// WrongUnit reports whether err is an exception that a wrong unit id
// typically causes, so that sources can suggest checking it.
func WrongUnit(err error) bool {
	return errors.Is(err, modbus.ErrIllegalDataAddress) || errors.Is(err, modbus.ErrGWPathUnavailable) ||
		errors.Is(err, modbus.ErrGWTargetFailedToRespond)
}

// Query runs fn on a session of c and returns its result, or an error as
// soon as ctx ends. The library does not take contexts, so fn runs on its
// own goroutine; a session left behind by an ended context is closed when
// fn returns (within requestTimeout), never reused.
func Query[T any](ctx context.Context, c *Conn, fn func(*Session) (T, error)) (T, error) {
	type outcome struct {
		s   *Session
		v   T
		err error
	}
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, c.ctxErr(err)
	}
	pooled := c.take()
	done := make(chan outcome, 1)
	go func() {
		if s := pooled; s != nil {
			v, err := fn(s)
			if !s.dropped {
				done <- outcome{s, v, err}
				return
			}
			// The device closed a connection we kept (it restarted, or it
			// closes idle ones): one try on a fresh one before failing.
			s.close()
		}
		s, err := c.dial()
		if err != nil {
			done <- outcome{err: err}
			return
		}
		v, err := fn(s)
		done <- outcome{s, v, err}
	}()
	select {
	case o := <-done:
		c.release(o.s)
		return o.v, o.err
	case <-ctx.Done():
		go func() {
			if o := <-done; o.s != nil {
				o.s.close()
			}
		}()
		return zero, c.ctxErr(ctx.Err())
	}
}

func (c *Conn) ctxErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer from %s in time: %w", c.addr, err)
	}
	return err
}

func (c *Conn) dial() (*Session, error) {
	cl, err := modbus.NewClient(&modbus.ClientConfiguration{URL: "tcp://" + c.addr, Timeout: requestTimeout, Logger: quiet})
	if err != nil {
		return nil, fmt.Errorf("cannot use address %s: %w", c.addr, err)
	}
	if err := cl.Open(); err != nil {
		return nil, fmt.Errorf("cannot reach %s: %w", c.addr, err)
	}
	return &Session{addr: c.addr, client: cl}, nil
}

func (s *Session) close() { _ = s.client.Close() }

func (c *Conn) take() *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.idle
	if s != nil {
		c.timer.Stop()
		c.idle = nil
	}
	return s
}

// release keeps a healthy session for the next query (one is enough) and
// closes any other.
func (c *Conn) release(s *Session) {
	if s == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.broken || c.closed || c.idle != nil {
		s.close()
		return
	}
	c.idle = s
	c.timer = time.AfterFunc(idleTimeout, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.idle == s {
			c.idle = nil
			s.close()
		}
	})
}

// Close closes the kept connection, and those of queries under way when
// they end. A later query still works, on a connection of its own.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.idle != nil {
		c.timer.Stop()
		c.idle.close()
		c.idle = nil
	}
	return nil
}
