package twcsim

import (
	"fmt"
	"math"
	"time"

	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// Slave-side timings from the protocol spec.
const (
	linkReadyPeriod = 10 * time.Second // FD E2 cadence without a master
	masterLost      = 10 * time.Second // no heartbeat this long: announce again
	carStopAfter    = 30 * time.Second // no heartbeat this long: the car is stopped
	raiseAckTime    = 44 * time.Second // 06 -> 0A
	lowerTime       = 10 * time.Second // 07 -> back up and 0A
	// A Tesla tolerates a master that stops responding about three times per
	// plug-in session, then refuses until re-plugged.
	masterLossesTolerated = 3
)

// ChargerConfig describes one simulated charger.
type ChargerConfig struct {
	ID         twc.ID
	Sign       byte
	MaxAmps    units.Amps // advertised in link-ready: 32 (EU) or 80 (US)
	Profile    Profile
	Serial     string // 11 characters; derived from the ID if empty
	Model      string
	KWh        float64 // lifetime counter at start
	ThreePhase bool    // 3 × 230 V supply; otherwise 1 × 240 V
}

// Charger is one simulated charger. Its methods are safe to call while the
// simulator runs.
type Charger struct {
	s   *Sim
	cfg ChargerConfig

	id   twc.ID
	sign byte

	master        twc.ID
	linked        bool
	lastHB        time.Time
	nextLinkReady time.Time
	losses        int

	offered    twc.Centiamps
	actual     float64
	car        *Car
	startedAt  time.Time
	relayOpen  bool
	needReplug bool
	errored    bool
	silent     bool
	override   twc.State
	overUntil  time.Time
	lowerUntil time.Time
	wh         float64
	lastUpdate time.Time
	lastDraw   time.Time // when the car last drew 1 A or more

	heartbeats int
	maxGap     time.Duration
}

func newCharger(s *Sim, cfg ChargerConfig, now time.Time) *Charger {
	c := &Charger{s: s, cfg: cfg, id: cfg.ID, sign: cfg.Sign, wh: cfg.KWh * 1000, lastUpdate: now}
	if c.id == 0 {
		c.newIdentity()
	}
	if c.cfg.Serial == "" {
		c.cfg.Serial = fmt.Sprintf("A18G000%04X", uint16(c.id))
	}
	if c.cfg.Model == "" {
		c.cfg.Model = "EVW2T32HL"
		if cfg.MaxAmps > 32 {
			c.cfg.Model = "WC2T80A"
		}
	}
	// A charger that powered up some time ago announces at a random phase.
	c.nextLinkReady = now.Add(time.Duration(s.rng.Int64N(int64(linkReadyPeriod))))
	return c
}

// newIdentity picks a new random ID and sign, as a slave does when a master
// claims its ID.
func (c *Charger) newIdentity() {
	for {
		id := twc.ID(c.s.rng.Uint32())
		if id != 0 && id != c.id {
			c.id, c.sign = id, byte(c.s.rng.Uint32())
			return
		}
	}
}

func (c *Charger) listening() bool { return !c.silent && !c.errored }

func (c *Charger) announcing(now time.Time) bool {
	return c.listening() && !now.Before(c.nextLinkReady) && (c.lastHB.IsZero() || now.Sub(c.lastHB) >= masterLost)
}

// nextAnnouncement is when the charger will next send a link-ready if no
// heartbeat comes before then.
func (c *Charger) nextAnnouncement() (time.Time, bool) {
	if !c.listening() {
		return time.Time{}, false
	}
	at := c.nextLinkReady
	if !c.lastHB.IsZero() {
		at = clock.Later(at, c.lastHB.Add(masterLost))
	}
	return at, true
}

func (c *Charger) linkReady() twc.Message {
	return twc.SlaveLinkReady{Slave: c.id, Sign: c.sign, MaxAmps: twc.FromAmps(c.cfg.MaxAmps), Protocol: c.cfg.Profile.Protocol}
}

func (c *Charger) onHeartbeat(now time.Time, m twc.MasterHeartbeat) twc.Message {
	c.advance(now)
	if c.linked {
		if gap := now.Sub(c.lastHB); gap > c.maxGap {
			c.maxGap = gap
		}
	}
	if !c.linked && c.car != nil && !c.lastHB.IsZero() && now.Sub(c.lastHB) >= carStopAfter {
		c.losses++
		if c.losses >= masterLossesTolerated {
			c.needReplug = true
		}
	}
	c.linked, c.lastHB, c.master = true, now, m.Master
	c.heartbeats++
	switch m.Command {
	case twc.CmdSetLimit:
		// Protocol 2 only honours 05 before the car starts charging.
		if c.cfg.Profile.Protocol == twc.Protocol1 || c.actual < 1 {
			c.offered = m.Amps
		}
	case twc.CmdAckStop, twc.CmdSetLimit2:
		c.offered = m.Amps
	case twc.CmdRaise:
		c.offered += 200
		c.override, c.overUntil = twc.StateRaiseAck, now.Add(raiseAckTime)
	case twc.CmdLower:
		c.lowerUntil = now.Add(lowerTime)
		c.override, c.overUntil = twc.StateLowerAck, now.Add(lowerTime)
	case twc.CmdError:
		c.errored = true
	}
	return twc.SlaveHeartbeat{Slave: c.id, Master: m.Master, State: c.state(now), MaxAmps: c.offered,
		ActualAmps: c.reportedActual(), Protocol: c.cfg.Profile.Protocol}
}

func (c *Charger) reportedActual() twc.Centiamps {
	if c.actual < 0.01 {
		return c.cfg.Profile.IdleAmps
	}
	return twc.FromAmps(units.Amps(c.actual))
}

func (c *Charger) state(now time.Time) twc.State {
	switch {
	case c.errored:
		return twc.StateError
	case now.Before(c.overUntil):
		return c.override
	case !c.overUntil.IsZero() && now.Sub(c.overUntil) < 2*time.Second:
		return twc.StateAdjusted
	case c.car == nil:
		return twc.StateReady
	case c.target() == 0:
		return twc.StatePluggedIdle
	// startedAt is still zero when the offer arrived in this very heartbeat:
	// advance has not yet run with it, so the car is only starting.
	case c.startedAt.IsZero() || now.Sub(c.startedAt) < startingTime:
		return twc.StateStarting
	}
	return twc.StateCharging
}

// target is what the car would draw now, before ramping.
func (c *Charger) target() float64 {
	if c.car == nil || c.relayOpen || c.needReplug || c.car.full() || !c.linked || c.car.Stopped {
		return 0
	}
	offer := c.offered.Amps()
	if offer < carMinAmps && c.car.IgnoresZero && c.cfg.Profile.Protocol == twc.Protocol2 && c.actual >= 1 {
		offer = ignoredZeroAmps
	}
	if offer < carMinAmps {
		return 0
	}
	t := math.Min(float64(offer), float64(c.car.MaxAmps)) - carOffset
	if c.cfg.Profile.Protocol == twc.Protocol2 && !c.lowerUntil.IsZero() && c.lastUpdate.Before(c.lowerUntil) {
		t -= 2
	}
	return math.Max(t, 0)
}

// advance runs the electrical model from the last update to now.
func (c *Charger) advance(now time.Time) {
	if c.linked && now.Sub(c.lastHB) >= carStopAfter {
		c.linked = false // the slave gives up on its master and stops the car
	}
	for c.lastUpdate.Before(now) {
		step := min(now.Sub(c.lastUpdate), time.Second)
		dt := step.Seconds()
		c.lastUpdate = c.lastUpdate.Add(step)
		t := c.target()
		if t == 0 {
			c.startedAt = time.Time{}
		} else if c.startedAt.IsZero() {
			c.startedAt = c.lastUpdate
		}
		if t > 0 && c.lastUpdate.Sub(c.startedAt) < startingTime {
			t = math.Min(t, startAmps)
		}
		if c.actual < t {
			c.actual = math.Min(t, c.actual+rampUpPerSec*dt)
		} else {
			c.actual = math.Max(t, c.actual-rampDownPerSec*dt)
		}
		if c.actual >= 1 {
			c.lastDraw = c.lastUpdate
		}
		wh := c.power() * dt / 3600
		c.wh += wh
		if c.car != nil && c.car.BatteryKWh > 0 {
			c.car.SoC += wh * efficiency / 1000 / c.car.BatteryKWh
		}
	}
}

// phaseAmps is the current on each supply phase.
func (c *Charger) phaseAmps() [3]float64 {
	if c.cfg.ThreePhase && c.car != nil && c.car.Phases == 3 {
		return [3]float64{c.actual, c.actual, c.actual}
	}
	return [3]float64{c.actual, 0, 0}
}

func (c *Charger) volts() [3]uint16 {
	if c.cfg.ThreePhase {
		return [3]uint16{230, 231, 229}
	}
	return [3]uint16{240, 0, 0}
}

// power is Σ Vᵢ·Iᵢ: a single-phase car on a three-phase charger counts once.
func (c *Charger) power() float64 {
	v, a := c.volts(), c.phaseAmps()
	return float64(v[0])*a[0] + float64(v[1])*a[1] + float64(v[2])*a[2]
}

func (c *Charger) onRequest(now time.Time, r twc.Request) twc.Message {
	c.advance(now)
	p := c.cfg.Profile
	switch r.Op {
	case twc.CodeMeterQuery:
		if p.Meter == 0 {
			return nil
		}
		m := twc.Meter{Slave: c.id, KWh: uint32(c.wh / 1000), Volts: c.volts(), Long: p.Meter == 20}
		if m.Long {
			for i, a := range c.phaseAmps() {
				m.HalfAmps[i] = uint8(math.Min(a*2+0.5, 255))
			}
		}
		return m
	}
	if !p.Extended {
		return nil
	}
	switch r.Op {
	case twc.CodeFirmwareQuery:
		return twc.Firmware{Slave: c.id, Version: p.Version}
	case twc.CodeSerialQuery:
		s := twc.Serial{Slave: c.id}
		copy(s.Text[:], c.cfg.Serial)
		return s
	case twc.CodeVIN1Query, twc.CodeVIN2Query, twc.CodeVIN3Query:
		part := map[twc.Code]int{twc.CodeVIN1Query: 0, twc.CodeVIN2Query: 1, twc.CodeVIN3Query: 2}[r.Op]
		v := twc.VINPart{Slave: c.id, Part: part}
		if c.car != nil && len(c.car.VIN) == 17 {
			copy(v.Chars[:], c.car.VIN[part*7:min(part*7+7, 17)])
		}
		return v
	case twc.CodePlugQuery:
		st := byte(0)
		if c.car != nil {
			st = 3
			if c.actual >= 1 {
				st = 1
			}
		}
		return twc.PlugState{Slave: c.id, State: st}
	case twc.CodeStopCharging:
		c.relayOpen = true
		return twc.Ack{Op: twc.CodeStopAck, Slave: c.id}
	case twc.CodeStartCharging:
		if c.relayOpen && c.car != nil && !c.car.LegacyMode {
			c.needReplug = true // Tesla mode: the car saw power vanish without notice
		}
		c.relayOpen = false
		return twc.Ack{Op: twc.CodeStartAck, Slave: c.id}
	}
	return nil
}

func (c *Charger) onLegacyQuery(q twc.LegacyQuery) twc.Message {
	switch q.Op {
	case twc.CodeLegacyFirmwareQuery:
		return twc.LegacyFirmware{Version: c.cfg.Profile.Legacy}
	case twc.CodeLegacySerialQuery:
		t := twc.LegacyText{Op: twc.CodeLegacySerial}
		copy(t.Text[:], c.cfg.Serial)
		return t
	default:
		t := twc.LegacyText{Op: twc.CodeModel}
		n := copy(t.Text[:], c.cfg.Model)
		if n < len(t.Text) {
			t.Text[n] = 0xFF
		}
		return t
	}
}
