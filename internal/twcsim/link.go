package twcsim

import (
	"errors"
	"io"
	"sync"
)

// ErrUnplugged is what the master side sees while the simulated adapter is
// unplugged.
var ErrUnplugged = errors.New("twcsim: adapter unplugged")

// chunkBuffer bounds the chunks in flight per direction. A reader that stalls
// for this long loses bytes, as a real UART overrun would.
const chunkBuffer = 1024

// Link is an in-memory RS-485 adapter: the simulator holds one end for good,
// the master opens the other and can lose it when the adapter is unplugged.
// All blocking is on channels, so it runs under testing/synctest.
type Link struct {
	fromMaster chan []byte
	simRest    []byte // unread tail for the simulator's single reader
	done       chan struct{}
	doneOnce   sync.Once

	mu      sync.Mutex // guards plugged and cur
	plugged bool
	cur     *masterEnd
}

// NewLink returns a plugged-in link.
func NewLink() *Link {
	return &Link{fromMaster: make(chan []byte, chunkBuffer), done: make(chan struct{}), plugged: true}
}

// Open is the master's opener: it fails while unplugged.
func (l *Link) Open() (io.ReadWriteCloser, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.plugged {
		return nil, ErrUnplugged
	}
	if l.cur != nil {
		l.cur.shut()
	}
	l.cur = &masterEnd{l: l, in: make(chan []byte, chunkBuffer), closed: make(chan struct{})}
	return l.cur, nil
}

// Unplug breaks the master's open port: its reads and writes fail until it
// reopens after Plug.
func (l *Link) Unplug() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.plugged = false
	if l.cur != nil {
		l.cur.shut()
		l.cur = nil
	}
}

// Plug makes Open succeed again.
func (l *Link) Plug() {
	l.mu.Lock()
	l.plugged = true
	l.mu.Unlock()
}

// SimPort is the simulator's end. Closing it ends the link for good.
func (l *Link) SimPort() io.ReadWriteCloser { return simEnd{l} }

type simEnd struct{ l *Link }

func (s simEnd) Read(p []byte) (int, error) {
	if len(s.l.simRest) == 0 {
		select {
		case b := <-s.l.fromMaster:
			s.l.simRest = b
		case <-s.l.done:
			return 0, io.EOF
		}
	}
	n := copy(p, s.l.simRest)
	s.l.simRest = s.l.simRest[n:]
	return n, nil
}

func (s simEnd) Close() error {
	s.l.doneOnce.Do(func() { close(s.l.done) })
	return nil
}

// Write delivers to the master if one is connected; bytes sent into an
// unplugged adapter are lost, as on a real bus.
func (s simEnd) Write(p []byte) (int, error) {
	s.l.mu.Lock()
	cur := s.l.cur
	s.l.mu.Unlock()
	if cur != nil {
		select {
		case cur.in <- append([]byte(nil), p...):
		case <-cur.closed:
		default:
		}
	}
	return len(p), nil
}

type masterEnd struct {
	l      *Link
	in     chan []byte
	closed chan struct{}
	once   sync.Once
	rest   []byte // unread tail of the last chunk; owned by the single reader
}

func (m *masterEnd) shut() { m.once.Do(func() { close(m.closed) }) }

func (m *masterEnd) Read(p []byte) (int, error) {
	if len(m.rest) == 0 {
		select {
		case b := <-m.in:
			m.rest = b
		case <-m.closed:
			return 0, ErrUnplugged
		}
	}
	n := copy(p, m.rest)
	m.rest = m.rest[n:]
	return n, nil
}

func (m *masterEnd) Write(p []byte) (int, error) {
	select {
	case <-m.closed:
		return 0, ErrUnplugged
	default:
	}
	select {
	case m.l.fromMaster <- append([]byte(nil), p...):
	default: // simulator overrun: bytes lost
	}
	return len(p), nil
}

func (m *masterEnd) Close() error {
	m.shut()
	return nil
}
