// Package mqtt publishes the appliance's state to an MQTT broker in
// TWCManager's topics, takes control messages, and announces entities to
// Home Assistant by MQTT discovery.
//
// New builds the Service; Run keeps it following the settings (connecting,
// reconnecting, disconnecting) until its context ends; Status is its state
// for the UI. Everything runs on the service's own goroutines and reads only
// the Backend's snapshots, so a slow or absent broker never holds up the
// charger bus or the policy. docs/mqtt.md lists every topic.
package mqtt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/mqttconn"
)

// Config configures the service. Zero durations take the defaults; tests
// shorten them.
type Config struct {
	Logger *slog.Logger
	// Recheck is how often the MQTT settings and password are read again
	// (default 5 s); a change connects, disconnects or reconnects.
	Recheck time.Duration
	// Sample is how often the appliance's state is compared with what was
	// last published (default 1 s).
	Sample time.Duration
	// MinGap is the least time between two publications of one measurement
	// topic (default 10 s): currents and power move every second, and a
	// broker on a small router should not have to carry that. Settings and
	// states a person changes (mode, Now current, charging) go out at once.
	MinGap time.Duration
	// Refresh republishes every state topic (default 5 min), so a value
	// lost by a broker without persistence comes back soon.
	Refresh time.Duration
	// ClientID is the MQTT client identifier; empty gives
	// twcmanager-<device id>-<random>, unique to this Service so that two
	// services (or two appliances) never take each other's session.
	ClientID string
	// Backoff is the wait before reconnect attempt n (0 for the first);
	// default: at once, then from 0.5 s doubling up to a minute.
	Backoff func(attempt int) time.Duration
}

const (
	defaultRecheck = 5 * time.Second
	defaultSample  = time.Second
	defaultMinGap  = 10 * time.Second
	defaultRefresh = 5 * time.Minute
)

func (c *Config) fill() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	fill := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	fill(&c.Recheck, defaultRecheck)
	fill(&c.Sample, defaultSample)
	fill(&c.MinGap, defaultMinGap)
	fill(&c.Refresh, defaultRefresh)
	if c.Backoff == nil {
		c.Backoff = mqttconn.Backoff
	}
}

// Service is the MQTT connection, following the settings.
type Service struct {
	b        api.Backend
	cfg      Config
	log      *slog.Logger
	clientID string

	mu         sync.Mutex // guards st, live and lastSecret
	st         Status
	live       *session // the session callbacks may report for; nil when none
	lastSecret string   // the last password read error logged, to log it once
}

// New returns a service for b; nothing connects until Run.
func New(b api.Backend, cfg Config) *Service {
	cfg.fill()
	id := cfg.ClientID
	if id == "" {
		var r [3]byte
		_, _ = rand.Read(r[:]) // crypto/rand never fails on supported systems
		id = fmt.Sprintf("twcmanager-%012x-%s", b.DeviceID()&(1<<48-1), hex.EncodeToString(r[:]))
	}
	return &Service{b: b, cfg: cfg, log: cfg.Logger, clientID: id}
}

// Run connects while the settings enable MQTT, until ctx ends. On the way
// out it marks the appliance offline and disconnects, within a few seconds
// even when the broker does not answer.
func (s *Service) Run(ctx context.Context) {
	var cur *session
	defer func() {
		if cur != nil {
			cur.close(nil)
		}
		s.mu.Lock()
		s.st = Status{}
		s.mu.Unlock()
	}()
	t := time.NewTicker(s.cfg.Recheck)
	defer t.Stop()
	for {
		if want, ok := s.target(); ok {
			cur = s.follow(cur, want)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// follow makes the session match want: it keeps cur when nothing changed,
// and otherwise closes it and starts what want asks for.
func (s *Service) follow(cur *session, want target) *session {
	if cur != nil && cur.t.same(want) {
		return cur
	}
	if cur == nil && !want.usable() {
		s.setIdle(want)
		return nil
	}
	if cur != nil {
		s.log.Info("mqtt: settings changed", "enabled", want.enabled, "broker", want.display(), "prefix", want.prefix)
		cur.close(&want)
	}
	if !want.usable() {
		s.setIdle(want)
		return nil
	}
	return s.start(want)
}

// setIdle records a state without a session: disabled, or settings that
// cannot work.
func (s *Service) setIdle(t target) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Enabled == t.enabled && s.st.Problem == t.problem && s.live == nil {
		return
	}
	s.st = Status{Enabled: t.enabled, Broker: t.display(), Problem: t.problem, Published: s.st.Published, Received: s.st.Received, Rejected: s.st.Rejected}
	if t.problem != "" {
		s.log.Warn("mqtt: not connecting", "problem", t.problem)
	}
}

// Status is the connection's state for the UI.
type Status struct {
	Enabled   bool
	Connected bool
	// Broker is the broker's URL.
	Broker string
	// Since is when the connection came up, or went down.
	Since time.Time
	// Problem says what is wrong and what to do, in a sentence; empty when
	// all is well.
	Problem string
	// Published counts messages the broker accepted; Received the control
	// messages that arrived, and Rejected those refused as invalid.
	Published uint64
	Received  uint64
	Rejected  uint64
}

// Status returns the state now.
func (s *Service) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// update changes the status for session ss, unless ss is no longer the
// live one (a late callback of a closed session).
func (s *Service) update(ss *session, fn func(st *Status)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live == ss {
		fn(&s.st)
	}
}

// round2 rounds to hundredths: the bus carries currents in 0.01 A, and
// float sums must not print as 16.000000000000004.
func round2(v float64) float64 { return math.Round(v*100) / 100 }
