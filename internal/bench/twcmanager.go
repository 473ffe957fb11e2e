package bench

import (
	"context"
	"math"
	"time"

	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// TWCManagerConfig holds the TWCManager settings the baseline runs with.
type TWCManagerConfig struct {
	// MinAmpsPerTWC is minAmpsPerTWC. TWCManager's sample config says 12;
	// the benchmark gives it the 6 A our policy and the oracle use, so that
	// the comparison is of algorithms, not of settings.
	MinAmpsPerTWC units.Amps
	// FlexAmps is greenEnergyFlexAmps (default 0); UseFlexToStart is
	// useFlexAmpsToStartCharge (default off).
	FlexAmps       units.Amps
	UseFlexToStart bool
	// StartStopDelay is startStopDelay (default 60 s).
	StartStopDelay time.Duration
	// PolicyInterval is policyCheckInterval (default 30 s): how often the
	// amps to divide are worked out again from the meter.
	PolicyInterval time.Duration
	// HeartbeatInterval is how often each charger's offer is decided again;
	// TWCManager does it on every heartbeat reply, about once a second.
	HeartbeatInterval time.Duration
	// WiringMaxAmpsAllTWCs caps the amps to divide.
	WiringMaxAmpsAllTWCs units.Amps
	// DefaultVolts is defaultVoltage, used while no charger reports its
	// voltage (default 240).
	DefaultVolts float64
	// SubtractChargerLoad is subtractChargerLoad: on when the meter's
	// consumption includes the chargers, as a whole-house meter's does.
	SubtractChargerLoad bool
}

// DefaultTWCManagerConfig returns TWCManager's defaults, with the minimum
// current set to ours (see MinAmpsPerTWC) and the charger load subtracted
// (the simulated meter sees the cars).
func DefaultTWCManagerConfig() TWCManagerConfig {
	return TWCManagerConfig{
		MinAmpsPerTWC: 6, StartStopDelay: time.Minute, PolicyInterval: 30 * time.Second,
		HeartbeatInterval: time.Second, WiringMaxAmpsAllTWCs: 32, DefaultVolts: 240, SubtractChargerLoad: true,
	}
}

// Meter is what TWCManager's EMS modules report: generation and consumption
// in W, consumption including the chargers.
type Meter struct {
	At          time.Time
	Generation  float64
	Consumption float64
}

// TWCManagerGreen is TWCManager's "Track Green Energy" policy, as prior-art
// A.7 and protocol spec §3.6–3.8 document it (ngardiner/TWCManager 1.3/1.4),
// run as a comparison policy that writes the same bus TargetTable our
// policy does. What it models:
//
//   - every PolicyInterval (policyCheckInterval, 30 s), the amps to divide
//     among the chargers are worked out again by
//     getMaxAmpsToDivideGreenEnergy: the smaller of the incremental offer
//     (the amps offered before, at least the minimum per charging car, plus
//     the export the meter sees now) and the de-novo offer (generation less
//     the consumption without the chargers, in amps at the chargers'
//     voltage), never below 0, capped at wiringMaxAmpsAllTWCs; the real
//     power factor is 1 (its default);
//   - about once a second per charger, as on each heartbeat reply, the §3.6
//     allocation: the amps to divide less what the other chargers' cars
//     draw, at most a fair share; flex amps; below the minimum, the
//     charger's own minimum when there is enough for every charging car,
//     else 0; whole amps; and startStopDelay's dampening, which keeps a car
//     that draws anything at its minimum for 60 s after the offer crossed
//     the minimum;
//   - cars count as charging from 1 A, and stop counting after 5 s below it;
//   - Track Green Energy around the clock (nonScheduledAction 3), so that
//     its sunrise and sunset hours cut no sun off either end of the day.
//
// What it leaves to the shared bus master, configured as TWCManager does
// it: the spike workaround both ways (spikeAmpsProactively and
// spikeAmpsReactively are on by default) and reductions at most every 5 s
// (§3.8); offers sent only when the charger reports a different limit; the
// clamps to the wiring limits (the master clamps to the sum of the others'
// offers, TWCManager to the sum of their draws: a difference only when the
// shared circuit is the limit). Stopping needs nothing more: the simulated
// cars stop when offered 0 A, whichever policy offers it. Not modelled:
// charge now, schedules, the car API, consumption offsets, the
// greenEnergyLatch.
type TWCManagerGreen struct {
	cfg      TWCManagerConfig
	clk      clock.Clock
	targets  *bus.TargetTable
	chargers func() []bus.ChargerState
	meter    func() Meter

	// Owned by Run.
	maxAmps float64 // maxAmpsToDivideAmongSlaves
	slaves  map[twc.ID]*greenSlave
}

type greenSlave struct {
	lastDesired float64   // lastAmpsDesired, -1 until the first flip
	flipped     time.Time // timeLastAmpsDesiredFlipped
	charging    bool      // isCharging
	belowSince  time.Time // when its draw fell below 1 A while charging
}

// NewTWCManagerGreen returns the policy. chargers and meter must not block.
func NewTWCManagerGreen(cfg TWCManagerConfig, clk clock.Clock, targets *bus.TargetTable,
	chargers func() []bus.ChargerState, meter func() Meter) *TWCManagerGreen {
	if clk == nil {
		clk = clock.Real()
	}
	return &TWCManagerGreen{cfg: cfg, clk: clk, targets: targets, chargers: chargers, meter: meter,
		slaves: map[twc.ID]*greenSlave{}}
}

// Run decides until ctx ends.
func (g *TWCManagerGreen) Run(ctx context.Context) error {
	var nextPolicy time.Time
	t := g.clk.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
		now := g.clk.Now()
		cs := g.chargers()
		n := g.countCharging(now, cs)
		if !now.Before(nextPolicy) {
			g.maxAmps = g.greenAmps(cs, n)
			nextPolicy = now.Add(g.cfg.PolicyInterval)
		}
		byID := make(map[twc.ID]units.Amps, len(cs))
		for _, c := range cs {
			byID[c.ID] = units.Amps(g.desired(now, c, cs, n))
		}
		g.targets.Set(0, byID)
		t.Reset(g.cfg.HeartbeatInterval)
	}
}

// countCharging is num_cars_charging_now, with the 5 s debounce of §3.6.
func (g *TWCManagerGreen) countCharging(now time.Time, cs []bus.ChargerState) int {
	n := 0
	for _, c := range cs {
		s := g.slave(c.ID)
		switch {
		case c.Actual >= 1:
			s.charging, s.belowSince = true, time.Time{}
		case s.charging && s.belowSince.IsZero():
			s.belowSince = now
		case s.charging && now.Sub(s.belowSince) >= 5*time.Second:
			s.charging = false
		}
		if s.charging {
			n++
		}
	}
	return n
}

func (g *TWCManagerGreen) slave(id twc.ID) *greenSlave {
	s := g.slaves[id]
	if s == nil {
		s = &greenSlave{lastDesired: -1}
		g.slaves[id] = s
	}
	return s
}

// volts is getVoltageMeasurement: the chargers' mean phase voltage and
// their number of live phases, or the configured default on one phase.
func (g *TWCManagerGreen) volts(cs []bus.ChargerState) (float64, float64) {
	var sum float64
	var n, phases int
	for _, c := range cs {
		p := 0
		for _, v := range c.Info.Volts {
			if v > 0 {
				sum += float64(v)
				p++
			}
		}
		if p > 0 {
			n++
			phases = p
		}
	}
	if n == 0 {
		return g.cfg.DefaultVolts, 1
	}
	return sum / float64(n*phases), float64(phases)
}

// greenAmps is getMaxAmpsToDivideGreenEnergy followed by the cap of
// setMaxAmpsToDivideAmongSlaves.
func (g *TWCManagerGreen) greenAmps(cs []bus.ChargerState, charging int) float64 {
	m := g.meter()
	v, phases := g.volts(cs)
	toAmps := func(w float64) float64 { return w / (v * phases) }
	var inUse float64
	for _, c := range cs {
		inUse += float64(c.Actual)
	}
	current := math.Max(math.Trunc(g.maxAmps), float64(charging)*float64(g.cfg.MinAmpsPerTWC))
	incremental := current + toAmps(m.Generation-m.Consumption)
	offset := m.Consumption
	if g.cfg.SubtractChargerLoad {
		offset -= inUse * v * phases
	}
	offset = math.Max(offset, 0)
	deNovo := toAmps(m.Generation - offset)
	amps := math.Round(math.Max(math.Min(incremental, deNovo), 0)*100) / 100
	return math.Min(amps, float64(g.cfg.WiringMaxAmpsAllTWCs))
}

// desired is receive_slave_heartbeat's choice of desiredAmpsOffered for c,
// up to set_last_amps_offered (whose clamps, like the spike, are the bus
// master's).
func (g *TWCManagerGreen) desired(now time.Time, c bus.ChargerState, cs []bus.ChargerState, charging int) float64 {
	s := g.slave(c.ID)
	supports := float64(c.MinAmps) // minAmpsTWCSupports
	actual := float64(c.Actual)
	desired, flex := g.maxAmps, float64(g.cfg.FlexAmps)
	if charging > 0 {
		for _, o := range cs {
			if o.ID != c.ID {
				desired -= float64(o.Actual)
			}
		}
		flex /= float64(charging)
		desired = math.Min(desired, math.Trunc(g.maxAmps/float64(charging)))
	}
	minOffer := math.Max(float64(g.cfg.MinAmpsPerTWC), supports)
	if desired < minOffer && desired+flex >= minOffer && (g.cfg.UseFlexToStart || actual >= 1) {
		desired = minOffer
	}
	dampen := now.Sub(s.flipped) < g.cfg.StartStopDelay
	if desired < minOffer {
		if charging > 0 && g.maxAmps/float64(charging) > minOffer {
			desired = supports
		} else {
			desired = 0
		}
	} else {
		desired = math.Trunc(desired)
	}
	if (s.lastDesired < minOffer && desired >= minOffer) || (s.lastDesired >= minOffer && desired < minOffer) {
		s.lastDesired, s.flipped = desired, now
	}
	if dampen && actual > 0 {
		desired = math.Max(supports, desired)
	}
	return desired
}
