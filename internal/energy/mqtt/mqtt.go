// Package mqtt reads values that other systems publish to an MQTT broker:
// Home Assistant, ioBroker, openHAB, a Shelly or Tasmota meter, evcc. One
// topic per value; the latest message on a topic is its value.
//
// Unlike a device that is asked, a broker pushes: the connection lives on
// its own goroutine, reconnecting with backoff, and Read only looks at what
// has arrived. So Read never waits on the network, and it reports a topic
// that has fallen silent instead of passing on an old value as new.
package mqtt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twcmanager/twcmanager/internal/energy"
	"github.com/twcmanager/twcmanager/internal/mqttconn"
	"github.com/twcmanager/twcmanager/internal/secret"
)

// Name is the source kind.
const Name = "mqtt"

func init() {
	energy.RegisterKind(energy.Kind{
		Name: Name, Label: "MQTT topics",
		Roles:    []energy.Role{energy.RolePV, energy.RoleConsumption, energy.RoleGrid, energy.RoleBattery},
		Interval: 5 * time.Second, // a Read costs nothing: it only looks at stored messages
	}, func(p Params) (energy.Source, error) { return New(p) })
}

const (
	// firstWait bounds how long the first Read of a new connection waits
	// for the broker's retained messages or the next publication, so the
	// wizard's single test read succeeds.
	firstWait = 5 * time.Second
	// idleAfter stops a connection nobody reads, for a source that was
	// built, tested and dropped without Close; the next Read reconnects.
	idleAfter = 10 * time.Minute
)

var (
	errConnecting = errors.New("still connecting")
	errConnLost   = errors.New("connection lost")
	errIdle       = errors.New("disconnected while nobody read")
	errStopped    = errors.New("stopped")
)

// Source reads the configured topics from one broker.
type Source struct {
	broker   string // as the user wrote it, for messages
	addr     string
	useTLS   bool
	clientID string
	username string
	password secret.String // a String, so that printing a Source cannot show it
	values   []*value
	filters  []string // distinct topics to subscribe to

	// Tests shorten these.
	maxAge  time.Duration
	idle    time.Duration
	backoff func(attempt int) time.Duration

	wg sync.WaitGroup // running connection goroutines

	mu        sync.Mutex // guards what follows and every value's latest message
	gen       uint64     // current run of the connection goroutine; 0 before the first
	conns     uint64     // connections made, across runs
	link      uint64     // number of the current run's connection; 0 while down
	upAt      time.Time  // when it came up
	flaps     int        // connections in a row that dropped within stable
	lostWhy   error      // why the connection dropped, told before autopaho reports the drop
	running   bool
	closed    bool
	stop      context.CancelFunc
	started   time.Time
	lastRead  time.Time
	connected bool
	connErr   error         // why not connected
	changed   chan struct{} // closed and replaced whenever anything above or a value changes
}

// New validates p and returns the source. It does not connect: the first
// Read (or Start) does.
func New(p Params) (*Source, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	addr, useTLS, _ := parseBroker(p.Broker)
	vs, err := newValues(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	s := &Source{
		broker: p.Broker, addr: addr, useTLS: useTLS,
		clientID: p.ClientID, username: p.Username, password: p.Password,
		values: vs, maxAge: defaultMaxAge, idle: idleAfter, backoff: mqttconn.Backoff,
		changed: make(chan struct{}),
	}
	if s.clientID == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		s.clientID = "twcmanager-" + hex.EncodeToString(b[:])
	}
	if p.MaxAge > 0 {
		s.maxAge = time.Duration(p.MaxAge * float64(time.Second))
	}
	for _, v := range vs {
		if !slices.Contains(s.filters, v.topic) {
			s.filters = append(s.filters, v.topic)
		}
	}
	return s, nil
}

// Start connects in the background until ctx ends or Close; Read calls it
// with a background context. Starting a running source does nothing.
func (s *Source) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running || s.closed {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	s.gen++
	s.running, s.stop = true, cancel
	s.started, s.lastRead = time.Now(), time.Now()
	s.connected, s.connErr = false, nil
	s.link, s.flaps, s.lostWhy = 0, 0, nil
	s.notify()
	s.wg.Add(2)
	go s.run(ctx, s.gen)
	go s.watchIdle(ctx, cancel, s.gen)
}

// Close disconnects and waits until the connection goroutine has ended.
// Reads after Close fail.
func (s *Source) Close() error {
	s.mu.Lock()
	s.closed, s.running = true, false
	if s.stop != nil {
		s.stop()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// notify wakes readers waiting for a change; s.mu must be held.
func (s *Source) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Read implements energy.Source: the latest value of every topic. The
// reading's At is the arrival of the oldest value used, so freshness checks
// downstream see a topic that stopped.
func (s *Source) Read(ctx context.Context) (energy.Reading, error) {
	s.Start(context.Background())
	s.waitFirst(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	s.lastRead = now
	switch {
	case s.closed:
		return energy.Reading{}, fmt.Errorf("mqtt: source closed")
	case !s.connected:
		err := s.connErr
		if err == nil {
			err = errConnecting
		}
		return energy.Reading{}, fmt.Errorf("mqtt: not connected to %s: %w", s.broker, err)
	}
	var r energy.Reading
	var problems []string
	for _, v := range s.values {
		switch age := now.Sub(v.at); {
		case v.at.IsZero():
			problems = append(problems, "no message yet on topic "+v.topic)
		case v.err != nil:
			problems = append(problems, fmt.Sprintf("topic %s: %v", v.topic, v.err))
		case age > s.maxAge:
			problems = append(problems, fmt.Sprintf("topic %s silent for %v", v.topic, age.Round(time.Second)))
		default:
			v.set(&r, v.num)
			if r.At.IsZero() || v.at.Before(r.At) {
				r.At = v.at
			}
		}
	}
	if len(problems) > 0 {
		return energy.Reading{}, fmt.Errorf("mqtt: %s", strings.Join(problems, "; "))
	}
	return r, nil
}

// waitFirst lets the first Read of a new connection wait until every topic
// has a message, the connection has failed, or ctx or firstWait ends.
func (s *Source) waitFirst(ctx context.Context) {
	for {
		s.mu.Lock()
		deadline := s.started.Add(firstWait)
		done := s.closed || s.connErr != nil || time.Now().After(deadline) || s.connected && s.allArrived()
		changed := s.changed
		s.mu.Unlock()
		if done {
			return
		}
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-changed:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		if ctx.Err() != nil {
			return
		}
	}
}

// allArrived reports whether every topic has a message; s.mu must be held.
func (s *Source) allArrived() bool {
	for _, v := range s.values {
		if v.at.IsZero() {
			return false
		}
	}
	return true
}

// receive stores a message for every value whose filter matches its topic.
func (s *Source) receive(topic string, payload []byte) {
	now := time.Now()
	type result struct {
		v   *value
		num float64
		err error
	}
	var rs []result
	for _, v := range s.values { // settings are fixed: decode outside the lock
		if match(v.topic, topic) {
			num, err := v.decode(payload)
			rs = append(rs, result{v, num, err})
		}
	}
	if len(rs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		r.v.num, r.v.err, r.v.at = r.num, r.err, now
	}
	s.notify()
}
