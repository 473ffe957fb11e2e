package mqtt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"

	"github.com/twcmanager/twcmanager/internal/mqttconn"
)

// publishTimeout bounds one publication; a broker that takes longer is
// treated as gone until the connection comes back.
const publishTimeout = 5 * time.Second

// kind is how a topic is paced.
type kind uint8

const (
	// measured values move all the time: at most one change per MinGap.
	measured kind = iota
	// steady values change when something happens (a person picks a mode,
	// a car starts): each change goes out at once.
	steady
	// announce is a discovery message: sent on change, on every connection
	// and when Home Assistant starts, never refreshed on a timer.
	announce
)

// item is one topic's value now.
type item struct {
	topic, payload string
	kind           kind
}

// sent is what a topic last carried on this connection, and when.
type sent struct {
	payload string
	at      time.Time
}

// worker is the session's publishing state, owned by its goroutine.
type worker struct {
	started  bool            // a connection has come up
	sent     map[string]sent // on the current connection
	lastFull time.Time
	// retained is every retained topic published in the session, so that a
	// prefix change can clear them; the value says whether it is discovery.
	retained map[string]bool
}

func (w *worker) init() {
	w.sent = map[string]sent{}
	w.retained = map[string]bool{}
}

// due reports whether it should be published now: a topic not yet sent on
// this connection, a full refresh, or a change whose pacing allows it.
func due(it item, last sent, ok, full bool, now time.Time, gap time.Duration) bool {
	switch {
	case !ok:
		return true
	case full && it.kind != announce:
		return true
	case last.payload == it.payload:
		return false
	case it.kind == measured:
		return now.Sub(last.at) >= gap
	}
	return true
}

// work publishes until ctx ends: everything when a connection comes up or
// Home Assistant starts, changes every Sample, everything every Refresh,
// and acts on control messages.
func (ss *session) work(ctx context.Context) {
	defer close(ss.workerDone)
	if ss.cm == nil {
		<-ctx.Done()
		return
	}
	tick := time.NewTicker(ss.s.cfg.Sample)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ss.up:
			ss.w.started = true
			ss.w.sent = map[string]sent{}
			ss.subscribe(ctx)
			if ss.publish(ctx, ss.t.prefix+"/status", online, true) == nil {
				ss.sync(ctx, true)
			}
		case <-ss.birth:
			ss.s.log.Info("mqtt: Home Assistant started; announcing the entities again")
			for topic, isDiscovery := range ss.w.retained {
				if isDiscovery {
					delete(ss.w.sent, topic)
				}
			}
			ss.sync(ctx, true)
		case m := <-ss.cmds:
			ss.control(ctx, m)
			ss.sync(ctx, false)
		case <-tick.C:
			if ss.w.started {
				ss.sync(ctx, false)
			}
		}
	}
}

// subscribe asks for the control topics and Home Assistant's birth
// message. Our own messages are not sent back (NoLocal), and retained
// ones are not sent at all: a command is an event, and replaying a
// retained "charge now" at every reconnect would be wrong.
func (ss *session) subscribe(ctx context.Context) {
	subs := []paho.SubscribeOptions{{Topic: ss.t.prefix + "/control/#", QoS: 1, NoLocal: true, RetainHandling: 2}}
	if ss.t.discovery {
		subs = append(subs, paho.SubscribeOptions{Topic: ss.t.discoveryPrefix + "/status", QoS: 1, NoLocal: true, RetainHandling: 2})
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	sa, err := ss.cm.Subscribe(ctx, &paho.Subscribe{Subscriptions: subs})
	if err == nil || errors.Is(err, autopaho.ConnectionDownError) {
		return // down again already: the next connection subscribes
	}
	p := fmt.Sprintf("The MQTT broker at %s did not accept the subscription to %s/control/# (%v); control messages will not arrive until the broker allows it.", ss.t.display(), ss.t.prefix, mqttconn.NetError(err))
	if sa != nil {
		for i, code := range sa.Reasons {
			if code >= 0x80 && i < len(subs) {
				p = fmt.Sprintf("The MQTT broker at %s refused the subscription to %s (%s); allow this user to subscribe to it in the broker's access list.", ss.t.display(), subs[i].Topic, mqttconn.Reason(code))
				break
			}
		}
	}
	ss.s.update(ss, func(st *Status) { st.Problem = p })
	ss.s.log.Warn("mqtt: subscribing failed", "problem", p)
}

// sync publishes what is due. It stops at the first failure: the rest are
// retried at the next sample, and all of them when the connection is back.
func (ss *session) sync(ctx context.Context, full bool) {
	now := time.Now()
	if now.Sub(ss.w.lastFull) >= ss.s.cfg.Refresh {
		full = true
	}
	if full {
		ss.w.lastFull = now
	}
	var items []item
	if ss.t.discovery {
		items = ss.s.discovery(ss.t)
	}
	items = append(items, ss.s.state(ss.t.prefix)...)
	for _, it := range items {
		last, ok := ss.w.sent[it.topic]
		if !due(it, last, ok, full, now, ss.s.cfg.MinGap) {
			continue
		}
		if ss.publish(ctx, it.topic, it.payload, true) != nil {
			return
		}
		ss.w.sent[it.topic] = sent{it.payload, now}
		ss.w.retained[it.topic] = it.kind == announce
	}
}

// publish sends one message at QoS 1 and waits for the broker's
// acknowledgement, so a failure is known and retried.
func (ss *session) publish(ctx context.Context, topic, payload string, retain bool) error {
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	_, err := ss.cm.Publish(ctx, &paho.Publish{Topic: topic, Payload: []byte(payload), QoS: 1, Retain: retain})
	if err != nil {
		if !errors.Is(err, autopaho.ConnectionDownError) && ctx.Err() == nil {
			ss.s.log.Warn("mqtt: publish failed", "topic", topic, "err", mqttconn.NetError(err))
		}
		return err
	}
	ss.s.mu.Lock()
	ss.s.st.Published++
	ss.s.mu.Unlock()
	return nil
}

// goodbye is the last word of a session. Moving to another prefix or
// discovery prefix on the same broker clears what the new settings will not
// overwrite, so no stale values or entities stay behind; otherwise the
// appliance is marked offline, as the last will would.
func (ss *session) goodbye(ctx context.Context, next *target) {
	if !ss.w.started {
		return
	}
	clearState := next != nil && ss.t.sameBroker(*next) && next.prefix != ss.t.prefix
	clearDiscovery := next != nil && ss.t.sameBroker(*next) &&
		(!next.discovery || next.discoveryPrefix != ss.t.discoveryPrefix)
	for topic, isDiscovery := range ss.w.retained {
		if isDiscovery && clearDiscovery || !isDiscovery && clearState {
			if ss.publish(ctx, topic, "", true) != nil {
				break
			}
		}
	}
	if clearState {
		_ = ss.publish(ctx, ss.t.prefix+"/status", "", true) // best effort: the will covers a failure
		return
	}
	_ = ss.publish(ctx, ss.t.prefix+"/status", offline, true) // best effort: the will covers a failure
}
