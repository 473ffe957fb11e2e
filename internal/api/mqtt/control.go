package mqtt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/units"
)

// pressDuration is how long Charge Now lasts when started by the Home
// Assistant button or chargeNowStart without a duration.
const pressDuration = 24 * time.Hour

// received routes a message from the broker to the worker. It runs on
// paho's goroutine and never blocks: a burst beyond the queue is dropped.
func (ss *session) received(pr paho.PublishReceived) (bool, error) {
	p := pr.Packet
	switch {
	case ss.t.discovery && p.Topic == ss.t.discoveryPrefix+"/status":
		// A retained birth is an old one, not Home Assistant starting now.
		if !p.Retain && strings.TrimSpace(string(p.Payload)) == online {
			select {
			case ss.birth <- struct{}{}:
			default:
			}
		}
	case strings.HasPrefix(p.Topic, ss.t.prefix+"/control/"):
		if p.Retain {
			ss.s.log.Warn("mqtt: ignored a retained control message: commands must be sent without the retain flag", "topic", p.Topic)
			return true, nil
		}
		select {
		case ss.cmds <- message{p.Topic, p.Payload}:
		default:
			ss.s.log.Warn("mqtt: control message dropped: too many at once", "topic", p.Topic)
		}
	}
	return true, nil
}

// errIgnored marks a message that is accepted but does nothing.
var errIgnored = errors.New("ignored")

// control acts on one control message. A bad one changes nothing; what was
// wrong is logged and published to <prefix>/control/error.
func (ss *session) control(ctx context.Context, m message) {
	name := strings.TrimPrefix(m.topic, ss.t.prefix+"/control/")
	if name == "error" {
		return // our own report, sent back by a broker without NoLocal
	}
	payload := strings.TrimSpace(string(m.payload))
	ss.s.mu.Lock()
	ss.s.st.Received++
	ss.s.mu.Unlock()
	err := command(ss.s.b, name, payload)
	switch {
	case errors.Is(err, errIgnored):
		ss.s.log.Warn("mqtt: control message ignored", "topic", m.topic, "why", err)
	case err != nil:
		ss.s.mu.Lock()
		ss.s.st.Rejected++
		ss.s.mu.Unlock()
		ss.s.log.Warn("mqtt: control message refused; nothing changed", "topic", m.topic, "payload", excerpt(payload), "err", err)
		_ = ss.publish(ctx, ss.t.prefix+"/control/error", fmt.Sprintf("%s %q: %v", name, excerpt(payload), err), false) // best effort: the log has it
	default:
		ss.s.log.Info("mqtt: control message applied", "topic", m.topic, "payload", excerpt(payload))
	}
}

// command carries out control topic name with its payload. The topics and
// payloads of TWCManager's MQTTControl work as there; mode, chargeNowAmps
// and chargeNowStart are ours.
func command(b api.Backend, name, p string) error {
	switch name {
	case "chargeNow":
		a, secs, ok := strings.Cut(p, ",")
		if !ok {
			return errors.New(`want "amps,seconds", e.g. "16,3600"`)
		}
		amps, err := wholeNumber("amps", a)
		if err != nil {
			return err
		}
		d, err := seconds(secs)
		if err != nil {
			return err
		}
		return api.ChargeNow(b, units.Amps(amps), d)
	case "chargeNowStart":
		d := pressDuration
		if p != "" && !strings.EqualFold(p, "PRESS") {
			var err error
			if d, err = seconds(p); err != nil {
				return err
			}
		}
		return api.ChargeNow(b, b.Settings().Policy.ChargeNow.Amps, d)
	case "chargeNowEnd":
		return api.CancelChargeNow(b)
	case "chargeNowAmps":
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("want a current in amps, e.g. 16")
		}
		return api.Change(b, func(s *config.Settings) error {
			if v < float64(s.Wiring.MinAmps) {
				return fmt.Errorf("%g A is below the least current worth offering, %g A", v, float64(s.Wiring.MinAmps))
			}
			s.Policy.ChargeNow.Amps = units.Amps(v)
			return nil
		})
	case "mode":
		m := config.Mode(strings.ToLower(p))
		if !slices.Contains(config.Modes, m) {
			return fmt.Errorf("want one of %s", modeNames())
		}
		return api.SetMode(b, m)
	case "nonScheduledAction":
		n, err := wholeNumber("action", p)
		if err != nil {
			return err
		}
		a, ok := map[int]config.NonScheduledAction{1: config.ActionFixed, 2: config.ActionOff, 3: config.ActionSolar}[n]
		if !ok {
			return errors.New("want 1 (charge at a fixed rate), 2 (do not charge) or 3 (track green energy)")
		}
		return api.SetNonScheduled(b, a, 0)
	case "nonScheduledAmpsMax":
		n, err := wholeNumber("amps", p)
		if err != nil {
			return err
		}
		if n < 0 {
			return errors.New("want 0 or more amps")
		}
		// 0 is a valid rate here (charge at 0 A: not at all), unlike for
		// api.SetNonScheduled, where 0 keeps the rate. The limit is
		// TWCManager's: the circuit all chargers share.
		return api.Change(b, func(s *config.Settings) error {
			if most := s.Wiring.Shared.Continuous(); units.Amps(n) > most {
				return fmt.Errorf("%d A is more than the shared circuit's limit; want at most %g A", n, float64(most))
			}
			s.Policy.NonScheduled.Amps = units.Amps(n)
			return nil
		})
	case "stop":
		return fmt.Errorf("%w: control/stop quits TWCManager's program; the appliance keeps running and charging", errIgnored)
	}
	return fmt.Errorf("unknown control topic; known: chargeNow, chargeNowEnd, chargeNowStart, chargeNowAmps, mode, nonScheduledAction, nonScheduledAmpsMax")
}

// wholeNumber parses an integer the way TWCManager does (surrounding
// spaces allowed, nothing else).
func wholeNumber(what, s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a whole number", what, excerpt(s))
	}
	return n, nil
}

// seconds parses a Charge Now duration.
func seconds(s string) (time.Duration, error) {
	n, err := wholeNumber("seconds", s)
	if err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, fmt.Errorf("seconds must be at least 1 (got %d); to charge until told otherwise, send now to control/mode", n)
	}
	if most := int(api.MaxChargeNowDuration / time.Second); n > most {
		return 0, fmt.Errorf("seconds must be at most %d (366 days)", most)
	}
	return time.Duration(n) * time.Second, nil
}

func modeNames() string {
	names := make([]string, len(config.Modes))
	for i, m := range config.Modes {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

// excerpt keeps log lines and error reports short whatever was sent.
func excerpt(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	r := []rune(s)
	if len(r) > limit {
		r = r[:limit]
	}
	return string(r) + "…"
}
