package mqtt

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
)

// The connection is managed here with paho directly, the way autopaho does
// it (dial, CONNECT, SUBSCRIBE, wait for the end, back off, again): autopaho
// itself would pull gorilla/websocket and golang.org/x/net into the build
// for transports the appliance does not offer.

const (
	connectTimeout = 10 * time.Second
	keepAlive      = 30 // seconds; a dead broker is noticed within 1.5 × this
	// maxPacket asks the broker not to send larger messages: a meter value
	// is a few bytes, and a runaway publisher must not fill our memory.
	maxPacket = 256 << 10
	// stable is how long a connection must hold for the backoff to reset.
	stable = time.Minute
)

// backoff is the wait before reconnect attempt n (0 for the first): quick
// after a broker restart, at most a minute while it stays away, with jitter
// so that many appliances do not return in step.
func backoff(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := min(500*time.Millisecond<<min(n-1, 7), time.Minute)
	return d/2 + rand.N(d/2+1)
}

// run keeps one connection up until ctx ends.
func (s *Source) run(ctx context.Context, gen uint64) {
	defer s.wg.Done()
	defer s.ended(gen)
	for n := 0; ; {
		if !sleep(ctx, s.backoff(n)) {
			return
		}
		id, current := s.nextAttempt(gen)
		if !current {
			return
		}
		cli, err := s.connect(ctx, gen, id)
		if ctx.Err() != nil {
			if cli != nil {
				_ = cli.Disconnect(&paho.Disconnect{ReasonCode: 0})
			}
			return
		}
		if err != nil {
			s.setConn(gen, id, false, err)
			n++
			continue
		}
		s.setConn(gen, id, true, nil)
		up := time.Now()
		select {
		case <-cli.Done():
			s.lost(gen, id, errConnLost)
		case <-ctx.Done():
			_ = cli.Disconnect(&paho.Disconnect{ReasonCode: 0}) // normal disconnection
			return
		}
		// Reconnect at once after a connection that held, but keep backing
		// off from one that drops at once (a second appliance with the same
		// client_id takes over the session each time), or we hammer the
		// broker.
		if time.Since(up) > stable {
			n = 0
		} else {
			n++
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// watchIdle ends the run when nobody has read for s.idle.
func (s *Source) watchIdle(ctx context.Context, stop context.CancelFunc, gen uint64) {
	defer s.wg.Done()
	t := time.NewTicker(s.idle / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		idle := s.gen == gen && time.Since(s.lastRead) > s.idle
		if idle {
			s.running, s.connected, s.connErr = false, false, errIdle
			s.notify()
		}
		s.mu.Unlock()
		if idle {
			stop()
			return
		}
	}
}

// nextAttempt numbers a connection attempt of run gen; a run that has been
// replaced must not take the number from the current one.
func (s *Source) nextAttempt(gen uint64) (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen {
		return 0, false
	}
	s.attempt++
	return s.attempt, true
}

// ended marks run gen over, when it ended by its context (the one given to
// Start) rather than by Close or idleness, so the next Read starts anew.
func (s *Source) ended(gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == gen && s.running {
		s.running, s.connected, s.connErr = false, false, errStopped
		s.notify()
	}
}

// setConn records the outcome of attempt id of run gen; a stale run's news
// is dropped.
func (s *Source) setConn(gen, id uint64, up bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen || s.attempt != id {
		return
	}
	s.connected, s.connErr = up, err
	s.notify()
}

// lost records why connection id ended. paho reports the reason on its own
// goroutine, before or after the run loop sees the end, so the loop's plain
// errConnLost never replaces a reason already given, and a reason replaces
// errConnLost.
func (s *Source) lost(gen, id uint64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen || s.attempt != id || !s.connected && s.connErr != errConnLost {
		return
	}
	s.connected, s.connErr = false, err
	s.notify()
}

// connect dials, logs in and subscribes to every topic.
func (s *Source) connect(ctx context.Context, gen, id uint64) (*paho.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	conn, err := s.dial(ctx)
	if err != nil {
		return nil, netError(err)
	}
	cli := paho.NewClient(paho.ClientConfig{
		Conn: conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			s.receive(pr.Packet.Topic, pr.Packet.Payload)
			return true, nil
		}},
		OnClientError: func(err error) { s.lost(gen, id, fmt.Errorf("connection lost: %w", netError(err))) },
		OnServerDisconnect: func(d *paho.Disconnect) {
			s.lost(gen, id, fmt.Errorf("the broker closed the connection: %s", reason(d.ReasonCode)))
		},
	})
	maxSize := uint32(maxPacket)
	cp := &paho.Connect{
		ClientID: s.clientID, KeepAlive: keepAlive,
		CleanStart: true, // we only want the latest values, which subscribing sends again
		Properties: &paho.ConnectProperties{MaximumPacketSize: &maxSize},
	}
	if s.username != "" {
		cp.Username, cp.UsernameFlag = s.username, true
	}
	if s.password.IsSet() {
		cp.Password, cp.PasswordFlag = []byte(s.password.Reveal()), true
	}
	ca, err := cli.Connect(ctx, cp)
	if err != nil {
		if ca != nil {
			if ca.ReasonCode == 0x86 || ca.ReasonCode == 0x87 { // mosquitto answers a wrong password with 0x87
				return nil, fmt.Errorf("the broker refused the login: %s; check username and password", reason(ca.ReasonCode))
			}
			return nil, fmt.Errorf("the broker refused the connection: %s", reason(ca.ReasonCode))
		}
		return nil, netError(err)
	}
	subs := make([]paho.SubscribeOptions, len(s.filters))
	for i, f := range s.filters {
		subs[i] = paho.SubscribeOptions{Topic: f, QoS: 0} // only the latest value matters
	}
	sa, err := cli.Subscribe(ctx, &paho.Subscribe{Subscriptions: subs})
	if err != nil {
		_ = cli.Disconnect(&paho.Disconnect{ReasonCode: 0})
		if sa != nil {
			for i, code := range sa.Reasons {
				if code >= 0x80 && i < len(s.filters) {
					return nil, fmt.Errorf("the broker refused to subscribe to topic %s: %s", s.filters[i], reason(code))
				}
			}
		}
		return nil, fmt.Errorf("subscribing: %w", netError(err))
	}
	return cli, nil
}

func (s *Source) dial(ctx context.Context) (net.Conn, error) {
	if !s.useTLS {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", s.addr)
	}
	d := tls.Dialer{Config: &tls.Config{MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, err
	}
	return packets.NewThreadSafeConn(conn), nil // paho writes from several goroutines; tls.Conn needs a lock
}

// netError words network failures for people: the dial's own address is
// dropped because the message already names the broker.
func netError(err error) error {
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("no answer in time")
	case errors.As(err, &op) && op.Err != nil:
		return op.Err
	}
	return err
}

// reasons are the MQTT 5 reason codes a user can act on.
var reasons = map[byte]string{
	0x80: "unspecified error",
	0x81: "malformed packet",
	0x82: "protocol error",
	0x84: "unsupported protocol version",
	0x85: "client_id not accepted",
	0x86: "bad user name or password",
	0x87: "not authorized",
	0x88: "server unavailable",
	0x89: "server busy",
	0x8A: "banned",
	0x8B: "server shutting down",
	0x8D: "keep-alive timeout",
	0x8E: "another client connected with the same client_id",
	0x8F: "topic filter not accepted",
	0x95: "message too large",
	0x97: "quota exceeded",
	0x9C: "use another server",
	0x9D: "server moved",
	0x9F: "connection rate exceeded",
}

func reason(code byte) string {
	if r, ok := reasons[code]; ok {
		return fmt.Sprintf("%s (reason code 0x%02X)", r, code)
	}
	return fmt.Sprintf("reason code 0x%02X", code)
}
