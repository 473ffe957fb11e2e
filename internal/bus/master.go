package bus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus/capture"
	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// Master drives the bus. Create it with New and start it with Run.
type Master struct {
	cfg    Config
	clk    clock.Clock
	log    *slog.Logger
	limits atomic.Pointer[Limits]
	snap   atomic.Pointer[Snapshot]
	cmds   chan command
	// wantMonitor is the mode asked for; Run switches to it, woken by poke.
	wantMonitor atomic.Bool
	poke        chan struct{}

	// Owned by the Run goroutine.
	dec        twc.Decoder
	slaves     []*slave
	burst      []twc.Message
	lastTx     time.Time
	lastRxByte time.Time
	await      *awaiting
	faults     faultSet
	counters   Counters
	unknown    map[twc.Code]bool
	strangers  map[twc.ID]bool
	connected  bool
	reopen     bool
	frames     frameLog
	dirty      bool
	rr         int
	tx         [64]byte

	// Monitor mode, owned by the Run goroutine like everything above.
	monitor     bool
	realMaster  twc.ID    // the master charger heard
	masterAt    time.Time // when it was last heard
	connectedAt time.Time

	// Bus capture, owned by the Run goroutine: the one recording, and the
	// last one finished.
	rec     *capture.Buffer
	recEnds time.Time
	lastCap *finishedCapture
}

// New returns a master; it does nothing until Run.
func New(cfg Config) *Master {
	if cfg.ID == 0 {
		cfg.ID = 0x7777
	}
	if cfg.Sign == 0 {
		cfg.Sign = 0x77
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Targets == nil {
		cfg.Targets = &TargetTable{}
	}
	cfg.Timing = cfg.Timing.withDefaults()
	m := &Master{
		cfg: cfg, clk: cfg.Clock, log: cfg.Logger, cmds: make(chan command), poke: make(chan struct{}, 1),
		unknown: map[twc.Code]bool{}, strangers: map[twc.ID]bool{},
	}
	m.wantMonitor.Store(cfg.Monitor)
	m.enterMode(cfg.Monitor)
	lim := cfg.Limits
	m.limits.Store(&lim)
	m.snap.Store(&Snapshot{})
	return m
}

// SetLimits replaces the wiring limits; the next heartbeat to each charger
// honours them.
func (m *Master) SetLimits(l Limits) { m.limits.Store(&l) }

// Snapshot returns the latest published state without waiting.
func (m *Master) Snapshot() Snapshot { return *m.snap.Load() }

// Stop asks the master to stop charging at charger id with method.
func (m *Master) Stop(ctx context.Context, id twc.ID, method StopMethod) error {
	return m.send(ctx, command{kind: cmdStop, id: id, method: method})
}

// Start ends a stop at charger id; offers follow the targets again.
func (m *Master) Start(ctx context.Context, id twc.ID) error {
	return m.send(ctx, command{kind: cmdStart, id: id})
}

func (m *Master) send(ctx context.Context, c command) error {
	c.reply = make(chan error, 1)
	select {
	case m.cmds <- c:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-c.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run owns the port until ctx ends. A failing adapter is reported as a fault
// and reopened; Run itself returns only when ctx ends.
func (m *Master) Run(ctx context.Context) error {
	for {
		if on := m.wantMonitor.Load(); on != m.monitor {
			m.enterMode(on)
		}
		port, err := m.open()
		if err == nil {
			m.log.Info("bus: adapter open", "monitor", m.monitor)
			m.faults.clear(FaultAdapter, 0)
			m.connected, m.dirty = true, true
			m.connectedAt = m.clk.Now()
			err = m.serve(ctx, port)
			_ = port.Close() // the read error that brought us here is what matters
			m.connected, m.dirty = false, true
			if ctx.Err() != nil {
				m.captureDue(m.clk.Now())
				m.publish(m.clk.Now())
				return nil
			}
			if errors.Is(err, errReopen) {
				m.log.Info("bus: switching to another adapter")
				continue
			}
			if errors.Is(err, errMode) {
				continue
			}
		}
		now := m.clk.Now()
		if m.faults.raise(now, FaultAdapter, 0, true, adapterSentence(err)) {
			m.log.Warn("bus: adapter disconnected", "err", err)
		}
		m.counters.Reconnects++
		m.dirty = true
		m.publish(now)
		if !m.wait(ctx, m.cfg.Timing.Reconnect) {
			return nil
		}
	}
}

func adapterSentence(err error) string {
	return fmt.Sprintf("RS-485 adapter disconnected (%v): check the USB plug; the master keeps trying to reopen it", err)
}

// wait sleeps for d, answering commands meanwhile; false when ctx ended.
func (m *Master) wait(ctx context.Context, d time.Duration) bool {
	t := m.clk.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C():
			return true
		case <-m.poke:
			if m.wantMonitor.Load() != m.monitor {
				return true // open the adapter again in the new mode now
			}
		case c := <-m.cmds:
			c.reply <- m.command(m.clk.Now(), c)
			if m.reopen {
				m.reopen = false
				return true // try the new adapter now
			}
		}
	}
}

type chunk struct {
	b  []byte
	at time.Time
}

// serve runs the bus on one open port until ctx ends or the port fails.
func (m *Master) serve(ctx context.Context, port io.ReadWriteCloser) error {
	const nbuf = 8
	free := make(chan []byte, nbuf)
	for range nbuf {
		free <- make([]byte, 256)
	}
	chunks := make(chan chunk, nbuf)
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var buf []byte
			select {
			case buf = <-free:
			case <-stop:
				return
			}
			n, err := port.Read(buf)
			if n > 0 {
				select {
				case chunks <- chunk{buf[:n], m.clk.Now()}:
				case <-stop:
					return
				}
			} else {
				free <- buf
			}
			if err != nil {
				readErr <- err
				return
			}
		}
	}()
	defer func() {
		close(stop)
		_ = port.Close() // unblocks the reader
		<-done
	}()

	timer := m.clk.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-readErr:
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("bus: port closed: %w", err)
			}
			return err
		case c := <-chunks:
			m.receive(c)
			free <- c.b[:cap(c.b)]
		case c := <-m.cmds:
			c.reply <- m.command(m.clk.Now(), c)
			if m.reopen {
				m.reopen = false
				return errReopen
			}
		case <-m.poke:
		case <-timer.C():
		}
		now := m.clk.Now()
		m.captureDue(now)
		var wake time.Time
		if m.monitor {
			wake = m.watch(now)
		} else {
			var err error
			if wake, err = m.tick(now, port); err != nil {
				return fmt.Errorf("bus: write: %w", err)
			}
		}
		m.publish(now)
		if m.wantMonitor.Load() != m.monitor {
			return errMode
		}
		timer.Reset(wake.Sub(now))
	}
}

func (m *Master) receive(c chunk) {
	if m.rec != nil {
		m.rec.Add(c.at, capture.Received, c.b)
	}
	for _, b := range c.b {
		body, err := m.dec.Feed(c.at, b)
		m.lastRxByte = c.at
		if err != nil && !errors.Is(err, twc.ErrEcho) {
			m.log.Debug("bus: frame dropped", "err", err)
			m.frames.add(c.at, Rx, nil, err)
			m.dirty = true
		}
		if body != nil {
			m.frames.add(c.at, Rx, body, nil)
			if m.monitor {
				m.overhear(c.at, body)
			} else {
				m.frame(c.at, body)
			}
		}
	}
}

// transmit writes one frame and remembers it for echo suppression.
func (m *Master) transmit(now time.Time, port io.Writer, msg twc.Message) error {
	var p [24]byte
	payload := msg.AppendPayload(p[:0])
	wire, err := twc.AppendFramed(m.tx[:0], payload)
	if err != nil {
		return err // ErrDangerous: a bug, never reached by our own messages
	}
	var body [24]byte
	n := copy(body[:], payload)
	body[n] = twc.Checksum(payload)
	m.dec.ExpectEcho(body[:n+1])
	m.frames.add(now, Tx, body[:n+1], nil)
	m.lastTx = now
	if m.rec != nil {
		m.rec.Add(now, capture.Sent, wire)
	}
	_, err = port.Write(wire)
	return err
}

func (m *Master) startupBurst() []twc.Message {
	var b []twc.Message
	for range 5 {
		b = append(b, twc.MasterLinkReady{Master: m.cfg.ID, Sign: m.cfg.Sign})
	}
	for range 5 {
		b = append(b, twc.MasterLinkReady{Second: true, Master: m.cfg.ID, Sign: m.cfg.Sign})
	}
	return b
}

func (m *Master) slave(id twc.ID) *slave {
	for _, s := range m.slaves {
		if s.id == id {
			return s
		}
	}
	return nil
}

// publish stores a new snapshot if anything changed.
func (m *Master) publish(now time.Time) {
	if !m.dirty {
		return
	}
	m.dirty = false
	lim := *m.limits.Load()
	snap := &Snapshot{At: now, Connected: m.connected, Monitor: m.monitor, Master: m.realMaster, MasterSeen: m.masterAt,
		Faults: m.faults.list(), Counters: m.counters}
	snap.Counters.Stats = m.dec.Stats
	for _, s := range m.slaves {
		limit := m.chargerLimit(s, lim)
		if s.advertised == 0 {
			limit = lim.forCharger(s.id) // in monitor mode, heard before it announced its rating
		}
		snap.Chargers = append(snap.Chargers, ChargerState{
			ID: s.id, Protocol: s.protocol, Advertised: s.advertised, Limit: limit,
			MinAmps: s.minAmps, State: s.state, Offered: s.offered, Reported: s.reportedMax,
			Actual: s.actual, Charging: s.charging, Stop: s.stop, LinkedAt: s.linkedAt,
			LastSeen: s.lastRx, MaxHeartbeatGap: s.maxHBGap, Heartbeats: s.hbSent, Info: s.info,
		})
	}
	slices.SortFunc(snap.Faults, func(a, b Fault) int { return a.Since.Compare(b.Since) })
	m.snap.Store(snap)
}
