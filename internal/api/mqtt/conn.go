package mqtt

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"

	"github.com/twcmanager/twcmanager/internal/mqttconn"
)

// The connection is kept up by paho's connection manager, autopaho: it
// dials, logs in, backs off and dials again. A session is one run of it for
// one set of settings; a settings change closes the session and starts
// another.

const (
	connectTimeout = 10 * time.Second
	keepAlive      = 30 // seconds; a dead link is noticed within 1.5 × this
	// goodbyeTimeout bounds the last messages and the disconnect, so that
	// shutting down never waits long on a broker that does not answer.
	goodbyeTimeout = 3 * time.Second
	// stable is how long a connection must hold for the backoff to reset.
	stable = time.Minute
	// maxPacket asks the broker not to send us larger messages: a control
	// message is a few bytes, and a runaway publisher must not fill memory.
	maxPacket = 64 << 10
)

// Availability payloads on <prefix>/status, as Home Assistant expects them.
const (
	online  = "online"
	offline = "offline"
)

// session is one connection manager for one target, and the worker that
// publishes through it.
type session struct {
	s  *Service
	t  target
	cm *autopaho.ConnectionManager // set in start, under s.mu, before the worker starts; nil if it could not be made

	stopCM     context.CancelFunc // ends autopaho's context
	stopWorker context.CancelFunc
	workerDone chan struct{}

	// Events for the worker; each send is non-blocking, so that paho's
	// goroutines never wait on it.
	up    chan struct{}
	birth chan struct{}
	cmds  chan message

	mu    sync.Mutex // guards upAt and flaps
	upAt  time.Time
	flaps int // connections in a row that dropped within stable

	// Owned by the worker goroutine (and by close, once the worker ended).
	w worker
}

// message is a control message as it arrived.
type message struct {
	topic   string
	payload []byte
}

// start begins connecting to t and publishing through the connection.
func (s *Service) start(t target) *session {
	ss := &session{
		s: s, t: t, workerDone: make(chan struct{}),
		up: make(chan struct{}, 1), birth: make(chan struct{}, 1), cmds: make(chan message, 16),
	}
	ss.w.init()
	s.mu.Lock()
	s.live = ss
	s.st = Status{Enabled: true, Broker: t.display(), Since: time.Now(), Published: s.st.Published, Received: s.st.Received, Rejected: s.st.Rejected}
	s.mu.Unlock()
	s.log.Info("mqtt: connecting", "broker", t.display(), "client_id", s.clientID, "prefix", t.prefix)

	// The connection manager's context is not Run's: when Run's ends, close
	// still has to say goodbye through the connection.
	cmCtx, stopCM := context.WithCancel(context.Background())
	cm, err := autopaho.NewConnection(cmCtx, ss.config())
	if err != nil { // only without a server URL, which usable() excludes
		stopCM()
		s.update(ss, func(st *Status) {
			st.Problem = fmt.Sprintf("The MQTT connection could not be set up (%v); check the broker address in the MQTT settings.", err)
		})
		cm = nil
	}
	s.mu.Lock() // for DropConnectionForTest; the worker starts after this
	ss.cm, ss.stopCM = cm, stopCM
	s.mu.Unlock()
	wctx, stopWorker := context.WithCancel(context.Background())
	ss.stopWorker = stopWorker
	go ss.work(wctx)
	return ss
}

// close ends the session. next is the target that follows it (nil when the
// service stops): on the same broker, what next does not overwrite is
// cleared; otherwise the appliance is marked offline.
func (ss *session) close(next *target) {
	ss.stopWorker()
	<-ss.workerDone
	if ss.cm != nil {
		ctx, cancel := context.WithTimeout(context.Background(), goodbyeTimeout)
		defer cancel()
		ss.goodbye(ctx, next)
		if err := ss.cm.Disconnect(ctx); err != nil {
			ss.s.log.Warn("mqtt: disconnect did not finish in time", "broker", ss.t.display(), "err", err)
		}
	}
	ss.stopCM()
	ss.s.mu.Lock()
	if ss.s.live == ss {
		ss.s.live = nil
	}
	ss.s.mu.Unlock()
}

// config tells autopaho how to connect. autopaho calls OnConnectError,
// OnConnectionUp and OnConnectionDown on its own goroutines, and paho the
// others on its; none of them may block.
func (ss *session) config() autopaho.ClientConfig {
	tc, _ := ss.t.tlsConfig() // checked when the target was read
	if tc != nil && ss.t.url != nil {
		tc.ServerName = ss.t.url.Hostname()
	}
	backoff := ss.s.cfg.Backoff
	return autopaho.ClientConfig{
		ServerUrls:     []*url.URL{ss.t.url},
		TlsCfg:         tc,
		KeepAlive:      keepAlive,
		ConnectTimeout: connectTimeout,
		// Nothing is worth keeping across connections: every connection
		// subscribes again and publishes everything again.
		CleanStartOnInitialConnection: true,
		SessionExpiryInterval:         0,
		ConnectUsername:               ss.t.username,
		ConnectPassword:               []byte(ss.t.password.Reveal()),
		// If the connection dies without a goodbye (power cut, network
		// gone), the broker tells Home Assistant the appliance is offline.
		WillMessage: &paho.WillMessage{Topic: ss.t.prefix + "/status", Payload: []byte(offline), QoS: 1, Retain: true},
		// autopaho counts attempts from 0 again after every connection; a
		// connection that drops at once would otherwise be retried at once,
		// forever.
		ReconnectBackoff: func(n int) time.Duration { return backoff(n + ss.flapCount()) },
		ConnectPacketBuilder: func(cp *paho.Connect, _ *url.URL) (*paho.Connect, error) {
			if cp.Properties == nil {
				cp.Properties = &paho.ConnectProperties{}
			}
			size := uint32(maxPacket)
			cp.Properties.MaximumPacketSize = &size
			return cp, nil
		},
		OnConnectError:   ss.connectError,
		OnConnectionUp:   func(*autopaho.ConnectionManager, *paho.Connack) { ss.connectionUp() },
		OnConnectionDown: func() bool { ss.connectionDown(); return true },
		ClientConfig: paho.ClientConfig{
			ClientID:          ss.s.clientID,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){ss.received},
			OnClientError: func(err error) {
				ss.lost(fmt.Sprintf("The connection to the MQTT broker at %s was lost (%v); reconnecting.", ss.t.display(), mqttconn.NetError(err)))
			},
			OnServerDisconnect: func(d *paho.Disconnect) {
				ss.lost(fmt.Sprintf("The MQTT broker at %s closed the connection (%s); reconnecting.", ss.t.display(), mqttconn.Reason(d.ReasonCode)))
			},
		},
	}
}

func (ss *session) connectionUp() {
	ss.mu.Lock()
	ss.upAt = time.Now()
	ss.mu.Unlock()
	ss.s.update(ss, func(st *Status) { st.Connected, st.Since, st.Problem = true, time.Now(), "" })
	ss.s.log.Info("mqtt: connected", "broker", ss.t.display())
	select {
	case ss.up <- struct{}{}:
	default: // the worker has one pending already
	}
}

func (ss *session) connectionDown() {
	ss.mu.Lock()
	if time.Since(ss.upAt) > stable {
		ss.flaps = 0
	} else {
		ss.flaps++
	}
	ss.mu.Unlock()
	ss.s.update(ss, func(st *Status) {
		st.Connected, st.Since = false, time.Now()
		if st.Problem == "" {
			st.Problem = fmt.Sprintf("The connection to the MQTT broker at %s was lost; reconnecting.", ss.t.display())
		}
	})
	ss.s.log.Warn("mqtt: connection lost; reconnecting", "broker", ss.t.display())
}

// lost records why the connection dropped; the first reason stays.
func (ss *session) lost(problem string) {
	ss.s.update(ss, func(st *Status) {
		if st.Problem == "" || !st.Connected {
			st.Problem = problem
		}
	})
}

func (ss *session) flapCount() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.flaps
}

// connectError words a failed connection attempt, saying what to do.
func (ss *session) connectError(err error) {
	p := connectProblem(ss.t.display(), ss.t.secure(), err)
	ss.s.update(ss, func(st *Status) {
		if st.Problem != p {
			ss.s.log.Warn("mqtt: cannot connect", "broker", ss.t.display(), "problem", p)
		}
		st.Connected, st.Problem = false, p
	})
}

func connectProblem(broker string, secure bool, err error) string {
	var ce *autopaho.ConnackError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recordHeader tls.RecordHeaderError
	switch {
	case errors.As(err, &ce) && (ce.ReasonCode == 0x86 || ce.ReasonCode == 0x87): // mosquitto answers a wrong password with 0x87
		return fmt.Sprintf("The MQTT broker at %s refused the login (%s); check the username and password in the MQTT settings.", broker, mqttconn.Reason(ce.ReasonCode))
	case errors.As(err, &ce) && ce.ReasonCode >= 0x80:
		return fmt.Sprintf("The MQTT broker at %s refused the connection (%s); check the broker's log.", broker, mqttconn.Reason(ce.ReasonCode))
	case errors.As(err, &unknownCA), errors.As(err, &invalid):
		return fmt.Sprintf("The MQTT broker at %s has a certificate the appliance does not trust (%v); paste the broker's CA certificate into the MQTT settings, or allow insecure TLS.", broker, innermost(err))
	case errors.As(err, &hostname):
		return fmt.Sprintf("The MQTT broker's certificate is not for %s (%v); use the host name the certificate names, or allow insecure TLS.", broker, innermost(err))
	case errors.As(err, &recordHeader):
		return fmt.Sprintf("The MQTT broker at %s does not speak TLS on that port; use mqtt:// and its plain port (usually 1883), or the broker's TLS port (usually 8883).", broker)
	case secure && !dialFailed(err):
		// A plain broker drops a TLS greeting without a word.
		return fmt.Sprintf("The MQTT broker at %s dropped the connection while it was being set up (%v); it may not speak TLS on that port: use mqtt:// and its plain port (usually 1883), or the broker's TLS port (usually 8883).", broker, mqttconn.NetError(innermost(err)))
	}
	return fmt.Sprintf("Cannot reach the MQTT broker at %s (%v); check that it is running and that the address in the MQTT settings is right.", broker, mqttconn.NetError(innermost(err)))
}

// dialFailed reports whether err is a failure to open the TCP connection
// (refused, unreachable, no such host), before any byte was exchanged.
func dialFailed(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) && op.Op == "dial" || errors.As(err, &dns) || errors.Is(err, context.DeadlineExceeded)
}

// innermost drops autopaho's "failed to connect to <url>" wrapping: the
// sentence names the broker already.
func innermost(err error) error {
	var ce *autopaho.ConnackError
	if errors.As(err, &ce) && ce.Err != nil {
		return ce.Err
	}
	if u := errors.Unwrap(err); u != nil && strings.HasPrefix(err.Error(), "failed to connect to") {
		return u
	}
	return err
}
