package energytest

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/simonvetter/modbus"

	"github.com/twcmanager/twcmanager/internal/energy"
)

// ModbusFault is how a ModbusServer misbehaves.
type ModbusFault int

// Faults. ModbusRefused only appears in fault lists: nothing listens.
const (
	ModbusHealthy     ModbusFault = iota
	ModbusException               // every read answers exception 2, illegal data address
	ModbusSlow                    // requests are answered after a minute (or never)
	ModbusShortAnswer             // reads answer one register fewer than asked
	ModbusDrop                    // the connection is closed on the next request
	ModbusRefused
)

// ModbusServer is a Modbus TCP device for tests. simonvetter/modbus's server
// answers from the registers a test sets; a relay on 127.0.0.1 in front of
// it passes the frames and misbehaves on demand. The relay is needed because
// the library's server turns a handler's short slice into exception 4
// (server device failure), so a wrong register count would never reach a
// client; the relay also drops connections and restarts on the same port.
type ModbusServer struct {
	Addr    string // host:port clients dial
	backend string // where the library's server listens

	mu    sync.Mutex // guards everything below
	regs  map[mbKey]uint16
	reads map[mbKey]int
	fault ModbusFault
	front net.Listener // nil while stopped
	conns map[net.Conn]bool
	stop  chan struct{} // closed by Stop: releases slow answers
}

type mbKey struct {
	input bool
	unit  uint8
	addr  uint16
}

// NewModbusServer starts a server without registers; reads of registers not
// set answer exception 2 (illegal data address), as devices do.
func NewModbusServer(t testing.TB) *ModbusServer {
	s := &ModbusServer{regs: map[mbKey]uint16{}, reads: map[mbKey]int{}}
	// The library cannot listen on port 0 and say which port it got: take a
	// free one, retrying in case another test takes it in between.
	var mb *modbus.ModbusServer
	var err error
	for range 5 {
		s.backend = freeAddr(t)
		mb, err = modbus.NewServer(&modbus.ServerConfiguration{URL: "tcp://" + s.backend,
			Timeout: time.Minute, MaxClients: 100, Logger: log.New(io.Discard, "", 0)}, mbHandler{s})
		if err == nil {
			if err = mb.Start(); err == nil {
				break
			}
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = freeAddr(t)
	s.Start(t)
	t.Cleanup(func() { s.Stop(); _ = mb.Stop() })
	return s
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// SetHolding sets holding registers of unit from addr on.
func (s *ModbusServer) SetHolding(unit uint8, addr uint16, v ...uint16) { s.set(false, unit, addr, v) }

// SetInput sets input registers of unit from addr on.
func (s *ModbusServer) SetInput(unit uint8, addr uint16, v ...uint16) { s.set(true, unit, addr, v) }

func (s *ModbusServer) set(input bool, unit uint8, addr uint16, vals []uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, v := range vals {
		s.regs[mbKey{input, unit, addr + uint16(i)}] = v
	}
}

// Fault switches the misbehaviour; ModbusHealthy ends it.
func (s *ModbusServer) Fault(f ModbusFault) { s.mu.Lock(); s.fault = f; s.mu.Unlock() }

func (s *ModbusServer) current() ModbusFault { s.mu.Lock(); defer s.mu.Unlock(); return s.fault }

// Reads counts the register reads (holding or input) that started at addr.
func (s *ModbusServer) Reads(unit uint8, addr uint16) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads[mbKey{false, unit, addr}] + s.reads[mbKey{true, unit, addr}]
}

// Stop closes the port and every connection, as a device that reboots.
func (s *ModbusServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.front != nil {
		s.front.Close()
		close(s.stop)
		for c := range s.conns {
			c.Close()
		}
		s.front = nil
	}
}

// Start listens (again, after Stop) on Addr.
func (s *ModbusServer) Start(t testing.TB) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.front != nil {
		return
	}
	var err error
	for range 50 { // a closed socket may linger for a moment
		if s.front, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	s.conns, s.stop = map[net.Conn]bool{}, make(chan struct{})
	go func(l net.Listener, stop chan struct{}) {
		for c, err := l.Accept(); err == nil; c, err = l.Accept() {
			go s.relay(c, stop)
		}
	}(s.front, s.stop)
}

// relay passes frames between a client and the library's server, applying
// the fault of the moment.
func (s *ModbusServer) relay(c net.Conn, stop chan struct{}) {
	b, err := net.Dial("tcp", s.backend)
	s.mu.Lock()
	if err != nil || s.stop != stop || s.front == nil { // stopped meanwhile
		s.mu.Unlock()
		c.Close()
		if b != nil {
			b.Close()
		}
		return
	}
	s.conns[c], s.conns[b] = true, true
	s.mu.Unlock()
	defer func() {
		c.Close()
		b.Close()
		s.mu.Lock()
		delete(s.conns, c)
		delete(s.conns, b)
		s.mu.Unlock()
	}()
	go func() { // answers, shortened by one register if asked
		defer c.Close()
		for f, err := readMBAP(b); err == nil; f, err = readMBAP(b) {
			if s.current() == ModbusShortAnswer && (f[7] == 3 || f[7] == 4) && len(f) >= 11 {
				f = f[:len(f)-2]
				f[8] -= 2 // byte count
				binary.BigEndian.PutUint16(f[4:6], uint16(len(f)-6))
			}
			if _, err := c.Write(f); err != nil {
				return
			}
		}
	}()
	for f, err := readMBAP(c); err == nil; f, err = readMBAP(c) {
		switch s.current() {
		case ModbusDrop:
			return
		case ModbusSlow:
			select {
			case <-time.After(time.Minute):
			case <-stop:
				return
			}
		}
		if _, err := b.Write(f); err != nil {
			return
		}
	}
}

// readMBAP reads one Modbus TCP frame: the 7-byte MBAP header, whose length
// field counts the unit id and the PDU, then the PDU.
func readMBAP(r io.Reader) ([]byte, error) {
	f := make([]byte, 7, 260)
	if _, err := io.ReadFull(r, f); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(f[4:6])) - 1
	if n < 1 || n > 253 {
		return nil, errors.New("bad MBAP length")
	}
	f = f[:7+n]
	_, err := io.ReadFull(r, f[7:])
	return f, err
}

type mbHandler struct{ s *ModbusServer }

func (mbHandler) HandleCoils(*modbus.CoilsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (mbHandler) HandleDiscreteInputs(*modbus.DiscreteInputsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (h mbHandler) HandleHoldingRegisters(r *modbus.HoldingRegistersRequest) ([]uint16, error) {
	if r.IsWrite {
		return nil, modbus.ErrIllegalFunction
	}
	return h.s.read(false, r.UnitId, r.Addr, r.Quantity)
}

func (h mbHandler) HandleInputRegisters(r *modbus.InputRegistersRequest) ([]uint16, error) {
	return h.s.read(true, r.UnitId, r.Addr, r.Quantity)
}

func (s *ModbusServer) read(input bool, unit uint8, addr, n uint16) ([]uint16, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads[mbKey{input, unit, addr}]++
	out := make([]uint16, n)
	for i := range out {
		v, ok := s.regs[mbKey{input, unit, addr + uint16(i)}]
		if !ok || s.fault == ModbusException {
			return nil, modbus.ErrIllegalDataAddress
		}
		out[i] = v
	}
	return out, nil
}

// ModbusCase is one way a Modbus device fails, and the lower-case words its
// error must contain.
type ModbusCase struct {
	Name  string
	Fault ModbusFault
	Want  []string
}

// ModbusFaults are the faults every Modbus source must report in words.
func ModbusFaults() []ModbusCase {
	return []ModbusCase{
		{"connection refused", ModbusRefused, []string{"refused"}},
		{"timeout", ModbusSlow, []string{"in time"}},
		{"exception", ModbusException, []string{"modbus exception illegal data address"}},
		{"wrong register count", ModbusShortAnswer, []string{"register count"}},
		{"dropped connection", ModbusDrop, []string{"closed the connection"}},
	}
}

// RefusedAddr is a host:port on which nothing listens.
func RefusedAddr(t testing.TB) string { return strings.TrimPrefix(RefusedURL(t), "http://") }

// CheckModbusFaults builds a source for each fault, against a server that
// setup fills with good registers and that then shows the fault (or against
// a refused address), and checks that Read fails with an error naming the
// source and the fault.
func CheckModbusFaults(t *testing.T, source string, faults []ModbusCase, setup func(*ModbusServer), build func(addr string) energy.Source) {
	t.Helper()
	for _, f := range faults {
		t.Run(f.Name, func(t *testing.T) {
			addr := RefusedAddr(t)
			if f.Fault != ModbusRefused {
				srv := NewModbusServer(t)
				setup(srv)
				srv.Fault(f.Fault)
				addr = srv.Addr
			}
			src := build(addr)
			if c, ok := src.(io.Closer); ok {
				defer c.Close()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			_, err := src.Read(ctx)
			CheckError(t, err, source, f.Want...)
		})
	}
}

// CheckModbusRecovery polls src, which srv must serve well: after a first
// reading srv stops, the status holds the fault, and once srv is back a
// fresh reading follows.
func CheckModbusRecovery(t *testing.T, srv *ModbusServer, src energy.Source) {
	t.Helper()
	p := energy.NewPoller("test", src, energy.PollerConfig{Interval: 10 * time.Millisecond, Timeout: 300 * time.Millisecond, MaxBackoff: 40 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "a first reading", func() bool { return !p.Status().Reading.At.IsZero() })
	srv.Stop()
	waitFor(t, "a failure", func() bool { return p.Status().Err != nil })
	if err := p.Status().Err; !strings.Contains(err.Error(), "refused") {
		t.Errorf("while the server is down: %v", err)
	}
	since := p.Status().ErrSince
	srv.Start(t)
	waitFor(t, "recovery", func() bool { st := p.Status(); return st.Err == nil && st.Reading.At.After(since) })
}
