package mqtt

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"

	"github.com/twcmanager/twcmanager/internal/mqttconn"
)

// The connection is kept up by paho's own connection manager, autopaho: it
// dials, logs in, backs off and dials again. This file configures it and
// turns what it reports into the Source's state.

const (
	connectTimeout = 10 * time.Second
	keepAlive      = 30 // seconds; a dead broker is noticed within 1.5 × this
	// maxPacket asks the broker not to send larger messages: a meter value
	// is a few bytes, and a runaway publisher must not fill our memory.
	maxPacket = 256 << 10
	// stable is how long a connection must hold for the backoff to reset.
	stable = time.Minute
)

// run keeps one connection up until ctx ends.
func (s *Source) run(ctx context.Context, gen uint64) {
	defer s.wg.Done()
	defer s.ended(gen)
	cm, err := autopaho.NewConnection(ctx, s.config(ctx, gen))
	if err != nil { // only without a server address
		s.failed(gen, err)
		return
	}
	<-cm.Done() // after ctx ends, once autopaho has disconnected
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

// config tells autopaho how to connect for run gen. autopaho calls
// ReconnectBackoff, OnConnectError, OnConnectionUp and OnConnectionDown in
// order on its own goroutine; paho calls the others from its own.
func (s *Source) config(ctx context.Context, gen uint64) autopaho.ClientConfig {
	u := &url.URL{Scheme: "mqtt", Host: s.addr}
	if s.useTLS {
		u.Scheme = "mqtts"
	}
	backoff := s.backoff
	return autopaho.ClientConfig{
		ServerUrls:     []*url.URL{u},
		TlsCfg:         &tls.Config{MinVersion: tls.VersionTLS12},
		KeepAlive:      keepAlive,
		ConnectTimeout: connectTimeout,
		// With no session expiry each session ends with its connection: we
		// only want the latest values, which subscribing sends again.
		CleanStartOnInitialConnection: true,
		SessionExpiryInterval:         0,
		ConnectUsername:               s.username,
		ConnectPassword:               []byte(s.password.Reveal()),
		// autopaho counts attempts from 0 again after every connection; a
		// connection that drops at once (a second appliance with the same
		// client_id takes over the session each time) keeps the count
		// growing, or we would hammer the broker.
		ReconnectBackoff: func(n int) time.Duration { return backoff(n + s.flapCount()) },
		ConnectPacketBuilder: func(cp *paho.Connect, _ *url.URL) (*paho.Connect, error) {
			if cp.Properties == nil {
				cp.Properties = &paho.ConnectProperties{}
			}
			maxSize := uint32(maxPacket)
			cp.Properties.MaximumPacketSize = &maxSize
			return cp, nil
		},
		OnConnectError: func(err error) { s.failed(gen, connectError(err)) },
		OnConnectionUp: func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			// Subscribe on every connection, so that retained values come
			// back; OnConnectionUp must not block.
			id := s.linkUp(gen)
			s.wg.Add(1) // run still counts, so Close cannot be waiting on zero
			go s.subscribe(ctx, cm, gen, id)
		},
		OnConnectionDown: func() bool { s.linkDown(gen); return true },
		ClientConfig: paho.ClientConfig{
			ClientID: s.clientID,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
				s.receive(pr.Packet.Topic, pr.Packet.Payload)
				return true, nil
			}},
			OnClientError: func(err error) { s.lost(gen, fmt.Errorf("connection lost: %w", mqttconn.NetError(err))) },
			OnServerDisconnect: func(d *paho.Disconnect) {
				s.lost(gen, fmt.Errorf("the broker closed the connection: %s", mqttconn.Reason(d.ReasonCode)))
			},
		},
	}
}

// subscribe asks for every topic on connection id; the source counts as
// connected once the broker has agreed.
func (s *Source) subscribe(ctx context.Context, cm *autopaho.ConnectionManager, gen, id uint64) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	subs := make([]paho.SubscribeOptions, len(s.filters))
	for i, f := range s.filters {
		subs[i] = paho.SubscribeOptions{Topic: f, QoS: 0} // only the latest value matters
	}
	sa, err := cm.Subscribe(ctx, &paho.Subscribe{Subscriptions: subs})
	if err != nil {
		err = fmt.Errorf("subscribing: %w", mqttconn.NetError(err))
		if sa != nil {
			for i, code := range sa.Reasons {
				if code >= 0x80 && i < len(s.filters) {
					err = fmt.Errorf("the broker refused to subscribe to topic %s: %s", s.filters[i], mqttconn.Reason(code))
					break
				}
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.current(gen) || s.link != id {
		return
	}
	s.connected, s.connErr = err == nil, err
	if err == nil {
		s.lostWhy = nil // a late reason from the connection before
	}
	s.notify()
}

// current reports whether run gen is the one running; s.mu must be held.
func (s *Source) current(gen uint64) bool { return s.gen == gen && s.running }

// ended marks run gen over, when it ended by its context (the one given to
// Start) rather than by Close or idleness, so the next Read starts anew.
func (s *Source) ended(gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current(gen) {
		s.running, s.connected, s.connErr = false, false, errStopped
		s.notify()
	}
}

// failed records why run gen could not connect.
func (s *Source) failed(gen uint64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current(gen) {
		s.connected, s.connErr = false, err
		s.notify()
	}
}

// linkUp numbers a new connection of run gen. It counts as connected once
// subscribed; until then the previous error, if any, stands.
func (s *Source) linkUp(gen uint64) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns++
	if s.current(gen) {
		s.link, s.upAt, s.lostWhy = s.conns, time.Now(), nil
	}
	return s.conns
}

// linkDown records the end of run gen's connection, with the reason paho
// gave if it came first.
func (s *Source) linkDown(gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.current(gen) {
		return
	}
	if time.Since(s.upAt) > stable {
		s.flaps = 0
	} else {
		s.flaps++
	}
	s.link, s.connected, s.connErr = 0, false, errConnLost
	if s.lostWhy != nil {
		s.connErr, s.lostWhy = s.lostWhy, nil
	}
	s.notify()
}

// lost records why the connection dropped. autopaho passes the reason on a
// goroutine of its own, before or after it reports the drop: before, the
// reason waits for linkDown; after, it replaces the plain errConnLost. The
// first reason wins, and a reason never marks a connection down.
func (s *Source) lost(gen uint64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !s.current(gen):
	case s.link != 0:
		if s.lostWhy == nil {
			s.lostWhy = err
		}
	case s.connErr == errConnLost:
		s.connErr = err
		s.notify()
	}
}

// flapCount is how many connections in a row dropped within stable.
func (s *Source) flapCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flaps
}

// connectError words a failed connection attempt for people.
func connectError(err error) error {
	var ce *autopaho.ConnackError
	switch {
	case errors.As(err, &ce) && ce.ReasonCode >= 0x80:
		if ce.ReasonCode == 0x86 || ce.ReasonCode == 0x87 { // mosquitto answers a wrong password with 0x87
			return fmt.Errorf("the broker refused the login: %s; check username and password", mqttconn.Reason(ce.ReasonCode))
		}
		return fmt.Errorf("the broker refused the connection: %s", mqttconn.Reason(ce.ReasonCode))
	case ce != nil:
		err = ce.Err
	case errors.Unwrap(err) != nil:
		err = errors.Unwrap(err) // drop autopaho's "failed to connect to <url>": the message names the broker
	}
	return mqttconn.NetError(err)
}
