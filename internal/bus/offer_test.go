package bus

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

type fixedTargets map[twc.ID]units.Amps

func (f fixedTargets) Target(id twc.ID) units.Amps { return f[id] }

// Property: whatever the targets, limits, ratings, spike settings, holds and
// previous offers, every heartbeat carries at most min(per-charger limit,
// advertised maximum), 0 or at least the charger's minimum, whole amps, and
// the offers in force never sum above the shared limit.
func TestOfferInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Unix(1_700_000_000, 0)
	amps := func(hi float64) units.Amps { return units.Amps(rng.Float64() * hi) }
	for i := range 100_000 {
		targets := fixedTargets{}
		m := New(Config{
			Targets: targets,
			Spike:   Spike{Proactive: rng.IntN(2) == 0, Reactive: rng.IntN(2) == 0},
			Limits:  Limits{PerCharger: amps(100), Shared: amps(120), ByID: map[twc.ID]units.Amps{2: amps(100)}},
		})
		n := 1 + rng.IntN(MaxSlaves)
		for j := range n {
			p := twc.Protocol(1 + rng.IntN(2))
			adv := []units.Amps{32, 80, 40, 10}[rng.IntN(4)]
			s := newSlave(twc.SlaveLinkReady{Slave: twc.ID(j + 1), Protocol: p, MaxAmps: twc.FromAmps(adv)}, t0)
			s.actual, s.reportedMax = amps(90), amps(90).Whole()
			s.monitorAt = t0.Add(-time.Duration(rng.IntN(30)) * time.Second)
			m.slaves = append(m.slaves, s)
			targets[s.id] = amps(120) - 10
		}
		// Previous offers that were legal under the same limits.
		now := t0
		for range 3 {
			for _, s := range m.slaves {
				s.offerChangedAt = now.Add(-time.Duration(rng.IntN(20)) * time.Second)
				m.offerFor(now, s)
			}
			now = now.Add(time.Duration(rng.IntN(8)) * time.Second)
		}
		lim := *m.limits.Load()
		for _, s := range m.slaves {
			if rng.IntN(10) == 0 {
				s.stop = StopZeroAmps
			}
			targets[s.id] = amps(120) - 10
			hb := m.heartbeat(now, s)
			got := hb.Amps.Amps()
			if hb.Command != twc.CmdSetLimit && hb.Command != twc.CmdSetLimit2 {
				t.Fatalf("case %d: command %v", i, hb.Command)
			}
			max := units.Min(lim.forCharger(s.id), s.advertised)
			if got > max {
				t.Fatalf("case %d: offered %v to %s, limit %v rating %v", i, got, s.id, lim.forCharger(s.id), s.advertised)
			}
			if got != 0 && got < s.minAmps {
				t.Fatalf("case %d: offered %v below the minimum %v", i, got, s.minAmps)
			}
			if got != got.Whole() {
				t.Fatalf("case %d: fractional offer %v", i, got)
			}
			if s.stop != StopNone && got != 0 {
				t.Fatalf("case %d: %v offered while stopped", i, got)
			}
			sum := units.Amps(0)
			for _, o := range m.slaves {
				sum += o.offered
			}
			if sum > lim.Shared {
				t.Fatalf("case %d: offers sum to %v over the shared %v", i, sum, lim.Shared)
			}
		}
	}
}

// The spike and hold rules of spec §3.8, one case per rule.
func TestSpikeAndHoldRules(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	type state struct {
		offered, reported, actual units.Amps
		changed, monitor          time.Duration // ago
		advertised                units.Amps
	}
	tests := []struct {
		name  string
		spike Spike
		st    state
		want  units.Amps // what the master asks for
		got   units.Amps
	}{
		{"proactive rise below spike goes to the spike", Spike{Proactive: true},
			state{offered: 8, reported: 8, changed: 6 * time.Second, advertised: 32}, 10, 16},
		{"US unit spikes to 21 A", Spike{Proactive: true},
			state{offered: 8, reported: 8, changed: 6 * time.Second, advertised: 80}, 10, 21},
		{"spike waits 5 s after the last change", Spike{Proactive: true},
			state{offered: 8, reported: 8, changed: 3 * time.Second, advertised: 32}, 10, 8},
		{"stuck at the spike for 10 s gets spike − 2", Spike{Proactive: true},
			state{offered: 16, reported: 8, changed: 11 * time.Second, advertised: 32}, 10, 14},
		{"no proactive spike when disabled", Spike{},
			state{offered: 8, reported: 8, changed: 6 * time.Second, advertised: 32}, 10, 10},
		{"rise at or above the spike needs none", Spike{Proactive: true},
			state{offered: 8, reported: 8, changed: 6 * time.Second, advertised: 32}, 20, 20},
		{"reactive: car stuck far below its offer", Spike{Reactive: true},
			state{offered: 12, reported: 12, actual: 5.2, changed: 30 * time.Second, monitor: 15 * time.Second, advertised: 32}, 12, 16},
		{"reactive waits for 10 s without change", Spike{Reactive: true},
			state{offered: 12, reported: 12, actual: 5.2, changed: 30 * time.Second, monitor: 5 * time.Second, advertised: 32}, 12, 12},
		{"reductions at most every 5 s", Spike{},
			state{offered: 20, reported: 20, actual: 19, changed: 2 * time.Second, advertised: 32}, 10, 20},
		{"reduction after 5 s", Spike{},
			state{offered: 20, reported: 20, actual: 19, changed: 6 * time.Second, advertised: 32}, 10, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Config{Targets: fixedTargets{1: tc.want}, Spike: tc.spike, Limits: Limits{PerCharger: 80, Shared: 80}})
			s := newSlave(twc.SlaveLinkReady{Slave: 1, Protocol: twc.Protocol2, MaxAmps: twc.FromAmps(tc.st.advertised)}, t0)
			s.offered, s.reportedMax, s.actual = tc.st.offered, tc.st.reported, tc.st.actual
			s.offerChangedAt, s.monitorAt = t0.Add(-tc.st.changed), t0.Add(-tc.st.monitor)
			m.slaves = []*slave{s}
			if got := m.offerFor(t0, s); got != tc.got {
				t.Fatalf("offer %v, want %v", got, tc.got)
			}
		})
	}
}

// A shared limit hands current to a charger only as the others release it.
func TestSharedLimitAcrossChargers(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	targets := fixedTargets{1: 32, 2: 32}
	m := New(Config{Targets: targets, Limits: Limits{PerCharger: 32, Shared: 40}})
	a := newSlave(twc.SlaveLinkReady{Slave: 1, Protocol: twc.Protocol2, MaxAmps: 3200}, t0.Add(-time.Minute))
	b := newSlave(twc.SlaveLinkReady{Slave: 2, Protocol: twc.Protocol2, MaxAmps: 3200}, t0.Add(-time.Minute))
	m.slaves = []*slave{a, b}
	if got := m.offerFor(t0, a); got != 32 {
		t.Fatalf("first charger %v", got)
	}
	if got := m.offerFor(t0, b); got != 8 {
		t.Fatalf("second charger %v, want the 8 A left", got)
	}
	targets[1] = 20
	m.offerFor(t0.Add(10*time.Second), a)
	if got := m.offerFor(t0.Add(10*time.Second), b); got != 20 {
		t.Fatalf("second charger after the first let go: %v", got)
	}
	// Left with less than its minimum, a charger gets 0, never 1–5 A.
	targets[1] = 36
	m.SetLimits(Limits{PerCharger: 32, Shared: 36})
	if got := m.offerFor(t0.Add(20*time.Second), b); got != 16 {
		t.Fatalf("second charger under a 36 A circuit: %v", got)
	}
	if got := m.offerFor(t0.Add(20*time.Second), a); got != 20 {
		t.Fatalf("first charger under a 36 A circuit: %v", got)
	}
	m.SetLimits(Limits{PerCharger: 32, Shared: 21})
	if got := m.offerFor(t0.Add(30*time.Second), a); got != 0 {
		t.Fatalf("first charger with 1 A of room: %v", got)
	}
}
