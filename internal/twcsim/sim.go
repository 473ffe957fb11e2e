package twcsim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// Faults are the bus impairments the simulator injects.
type Faults struct {
	// CorruptRate is the probability that any byte, in either direction, is
	// corrupted on the wire.
	CorruptRate float64
	// DropRate is the probability that a charger ignores a frame addressed to it.
	DropRate float64
	// ReplyDelay is how long a charger takes to answer (default 15 ms).
	ReplyDelay time.Duration
	// TrailingJunk appends the FE byte real chargers send after a frame.
	TrailingJunk bool
	// Echo sends every byte from the master straight back, like adapters
	// without automatic direction control.
	Echo bool
}

// Config configures a Sim.
type Config struct {
	Chargers []ChargerConfig
	Faults   Faults
	Seed     uint64
	Clock    clock.Clock
	Logger   *slog.Logger
	// OnMasterFrame, if set, sees every valid frame the master sends, from
	// the simulator's goroutine. Tests use it to check what left the master.
	OnMasterFrame func(time.Time, twc.Message)
	// Master, if set, puts a simulated master on the bus too: the
	// real-master profile, for an appliance in monitor mode.
	Master *MasterConfig
}

// Sim is a bus of simulated chargers in slave mode.
type Sim struct {
	cfg  Config
	port io.ReadWriter
	clk  clock.Clock
	log  *slog.Logger

	mu       sync.Mutex // guards everything below; held by Run while handling a frame
	rng      *rand.Rand
	chargers []*Charger
	pending  []scheduled
	dec      twc.Decoder
	lr2Seen  int
	master   *simMaster // nil without the real-master profile
}

type scheduled struct {
	at    time.Time
	frame []byte
	msg   twc.Message // nil for a garbled frame
}

// New builds a simulator on port. Chargers start without a master.
func New(port io.ReadWriter, cfg Config) *Sim {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Faults.ReplyDelay == 0 {
		cfg.Faults.ReplyDelay = 15 * time.Millisecond
	}
	s := &Sim{cfg: cfg, port: port, clk: cfg.Clock, log: cfg.Logger,
		rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed))}
	now := s.clk.Now()
	for _, cc := range cfg.Chargers {
		s.chargers = append(s.chargers, newCharger(s, cc, now))
	}
	if cfg.Master != nil {
		s.master = newSimMaster(*cfg.Master, now)
	}
	return s
}

// Chargers returns the simulated chargers in configuration order.
func (s *Sim) Chargers() []*Charger { return slices.Clone(s.chargers) }

// Charger returns the charger configured at index i.
func (s *Sim) Charger(i int) *Charger { return s.chargers[i] }

// Run serves the bus until ctx ends or the port fails.
func (s *Sim) Run(ctx context.Context) error {
	in := make(chan []byte, 64)
	rerr := make(chan error, 1)
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := s.port.Read(buf)
			if n > 0 {
				select {
				case in <- append([]byte(nil), buf[:n]...):
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				rerr <- err
				return
			}
		}
	}()
	defer func() {
		if c, ok := s.port.(io.Closer); ok {
			_ = c.Close() // unblocks the reader goroutine
		}
	}()
	timer := s.clk.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-rerr:
			return fmt.Errorf("twcsim: read: %w", err)
		case chunk := <-in:
			s.receive(chunk)
		case <-timer.C():
		}
		next := s.step()
		timer.Reset(next)
	}
}

// receive handles bytes from the master.
func (s *Sim) receive(chunk []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	if s.cfg.Faults.Echo {
		s.writeLocked(chunk, false)
	}
	for _, b := range chunk {
		b = s.corrupt(b)
		body, _ := s.dec.Feed(now, b)
		if body == nil {
			continue
		}
		m, err := twc.Parse(body)
		if err != nil {
			continue
		}
		if s.cfg.OnMasterFrame != nil {
			s.cfg.OnMasterFrame(now, m)
		}
		if s.master != nil {
			s.master.hear(now, m)
		}
		s.handle(now, m)
	}
}

func (s *Sim) corrupt(b byte) byte {
	if r := s.cfg.Faults.CorruptRate; r > 0 && s.rng.Float64() < r {
		return b ^ byte(1+s.rng.IntN(255))
	}
	return b
}

func (s *Sim) handle(now time.Time, m twc.Message) {
	switch m := m.(type) {
	case twc.MasterLinkReady:
		for _, c := range s.chargers {
			if c.id == m.Master {
				c.newIdentity()
			}
		}
		if m.Second {
			s.lr2Seen++
			if s.lr2Seen == 2 {
				s.announceBurst(now)
			}
		}
	case twc.MasterHeartbeat:
		if c := s.addressed(m.Slave); c != nil {
			s.reply(now, c.onHeartbeat(now, m))
		}
	case twc.Request:
		if c := s.addressed(m.Slave); c != nil {
			if reply := c.onRequest(now, m); reply != nil {
				s.reply(now, reply)
			}
		}
	case twc.LegacyQuery:
		var replies []twc.Message
		for _, c := range s.chargers {
			if c.listening() {
				replies = append(replies, c.onLegacyQuery(m))
			}
		}
		s.replyCollided(now, replies)
	}
}

// addressed returns the charger with id if it hears the frame: not silenced,
// not in a forced error, and the frame not lost to DropRate.
func (s *Sim) addressed(id twc.ID) *Charger {
	for _, c := range s.chargers {
		if c.id == id && c.listening() {
			if s.cfg.Faults.DropRate > 0 && s.rng.Float64() < s.cfg.Faults.DropRate {
				return nil
			}
			return c
		}
	}
	return nil
}

// announceBurst answers a second link-ready 2: five link-readies ~0.2 s later
// from every charger without a master.
func (s *Sim) announceBurst(now time.Time) {
	for _, c := range s.chargers {
		if !c.listening() || c.linked {
			continue
		}
		for i := range 5 {
			s.schedule(now.Add(200*time.Millisecond+time.Duration(i)*40*time.Millisecond), c.linkReady())
		}
	}
}

func (s *Sim) reply(now time.Time, m twc.Message) {
	s.schedule(now.Add(s.cfg.Faults.ReplyDelay), m)
}

func (s *Sim) schedule(at time.Time, m twc.Message) {
	wire, err := twc.Encode(m)
	if err != nil {
		s.log.Error("twcsim: cannot encode reply", "err", err)
		return
	}
	s.pending = append(s.pending, scheduled{at: at, frame: wire, msg: m})
}

// replyCollided models legacy queries, whose replies carry no ID: with more
// than one charger on the bus they answer at once and garble each other.
func (s *Sim) replyCollided(now time.Time, replies []twc.Message) {
	switch len(replies) {
	case 0:
		return
	case 1:
		s.reply(now, replies[0])
		return
	}
	// Units never start on the same bit: a later reply lands a byte behind
	// the first, so even identical replies garble.
	garbled, _ := twc.Encode(replies[0])
	for _, r := range replies[1:] {
		w, _ := twc.Encode(r)
		for i := 2; i < len(garbled)-1 && i-1 < len(w)-1; i++ {
			garbled[i] |= w[i-1]
		}
	}
	if len(twc.Split(garbled)) > 0 {
		garbled[len(garbled)-2] ^= 0x01 // valid by chance; a collision never is
	}
	s.pending = append(s.pending, scheduled{at: now.Add(s.cfg.Faults.ReplyDelay), frame: garbled})
}

// step advances the chargers to now, sends what is due, and returns how long
// to sleep.
func (s *Sim) step() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	next := now.Add(time.Second)
	for _, c := range s.chargers {
		c.advance(now)
		if c.announcing(now) {
			s.schedule(now, c.linkReady())
			c.nextLinkReady = now.Add(linkReadyPeriod)
		}
		if at, ok := c.nextAnnouncement(); ok && at.Before(next) {
			next = at
		}
	}
	if s.master != nil {
		// Before the pending frames, so that replies it provokes are among them.
		next = earlier(next, s.masterStep(now))
	}
	slices.SortStableFunc(s.pending, func(a, b scheduled) int { return a.at.Compare(b.at) })
	sent := 0
	for _, p := range s.pending {
		if p.at.After(now) {
			if p.at.Before(next) {
				next = p.at
			}
			break
		}
		s.writeLocked(p.frame, true)
		if s.master != nil && p.msg != nil {
			s.master.hear(now, p.msg) // one bus: the master hears its slaves
		}
		sent++
	}
	s.pending = s.pending[sent:]
	d := next.Sub(now)
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return d
}

// masterStep sends the simulated master's frame due now, if any, onto the
// port and to the simulated slaves, and returns when it next wants to send.
func (s *Sim) masterStep(now time.Time) time.Time {
	msg, next := s.master.next(now)
	if msg == nil {
		return next
	}
	wire, err := twc.Encode(msg)
	if err != nil {
		s.log.Error("twcsim: cannot encode the master's frame", "err", err)
		return next
	}
	s.writeLocked(wire, true)
	s.handle(now, msg)
	return next
}

func (s *Sim) writeLocked(frame []byte, junk bool) {
	out := make([]byte, 0, len(frame)+1)
	for _, b := range frame {
		out = append(out, s.corrupt(b))
	}
	if junk && s.cfg.Faults.TrailingJunk {
		out = append(out, 0xFE)
	}
	if _, err := s.port.Write(out); err != nil {
		s.log.Warn("twcsim: write failed", "err", err)
	}
}
