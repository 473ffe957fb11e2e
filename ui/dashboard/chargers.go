package dashboard

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// chargerCard is one charger as the dashboard shows it.
type chargerCard struct {
	ID      string // "1839"
	Status  string // no car, car plugged in, charging, error
	Class   string // ok, warn, bad, muted: the status's colour
	State   string // the charger's own state, in words
	Offered string // whole amps
	Actual  string
	Power   string
	Volts   string
	Car     string
	// Session is the running session's energy and time, "—" without one.
	Session  string
	Lifetime string
	// Note is something unusual: charging paused by the appliance, a
	// charger that has gone quiet.
	Note string
}

// chargersView is the chargers section.
type chargersView struct {
	Cards []chargerCard
	// Empty explains an empty bus.
	Empty string
	// OfferedBy names who offers the current: twcmanager, or in monitor
	// mode the master charger.
	OfferedBy string
}

// carsWatts is what all chargers draw together.
func carsWatts(snap bus.Snapshot, el config.Electrical) float64 {
	var w float64
	for _, c := range policy.FromSnapshot(snap) {
		w += policy.Power(c, el)
	}
	return w
}

func (h *handler) chargers(snap bus.Snapshot, s config.Settings, now time.Time) chargersView {
	pcs := policy.FromSnapshot(snap)
	open := h.openSessions(now)
	v := chargersView{OfferedBy: "offered"}
	if snap.Monitor {
		v.OfferedBy = "offered by the master"
	}
	for i, c := range snap.Chargers {
		status, class := carStatus(c)
		card := chargerCard{
			ID: c.ID.String(), Status: status, Class: class, State: c.State.String(),
			Offered: amps(float64(c.Offered)), Actual: fmt.Sprintf("%.1f", float64(c.Actual)),
			Power: kW(policy.Power(pcs[i], s.Electrical)), Volts: volts(c.Info),
			Car: car(c), Session: "—", Lifetime: "—", Note: note(c, now),
		}
		if c.Info.LifetimeKWh > 0 {
			card.Lifetime = fmt.Sprintf("%.0f kWh", c.Info.LifetimeKWh)
		}
		if ss, ok := open[c.ID]; ok {
			card.Session = kWh(sessionWh(ss))
			if !ss.Start.IsZero() {
				card.Session += " in " + duration(ss.Duration(now))
			}
		}
		v.Cards = append(v.Cards, card)
	}
	slices.SortFunc(v.Cards, func(a, b chargerCard) int { return cmp.Compare(a.ID, b.ID) })
	switch {
	case len(v.Cards) > 0:
	case !snap.Connected:
		v.Empty = "No charger can be reached: the RS-485 adapter is not connected."
	case snap.Monitor:
		v.Empty = "No charger heard yet. In monitor mode twcmanager only listens: one charger must run as master and the others as its slaves."
	default:
		v.Empty = "No charger has answered yet. If this lasts more than a minute, check the RS-485 wiring " +
			"and that each charger's rotary switch is set to F."
	}
	return v
}

// carStatus sums a charger up in the words of the dashboard.
func carStatus(c bus.ChargerState) (status, class string) {
	switch {
	case c.State == twc.StateError:
		return "error", "bad"
	case c.Charging || c.Actual >= 1:
		return "charging", "ok"
	case c.State.CarPresent() || c.Info.PlugKnown && c.Info.Plug != 0:
		return "car plugged in", "warn"
	}
	return "no car", "muted"
}

func car(c bus.ChargerState) string {
	switch {
	case c.Info.VIN != "":
		return c.Info.VIN
	case c.State.CarPresent() || c.Actual >= 1:
		return "unknown car"
	}
	return "—"
}

// volts lists the phase voltages the charger's meter reports.
func volts(in bus.Info) string {
	var vs []string
	for _, v := range in.Volts {
		if v > 0 {
			vs = append(vs, fmt.Sprintf("%.0f", float64(v)))
		}
	}
	if len(vs) == 0 {
		return "—"
	}
	return strings.Join(vs, " / ") + " V"
}

var stopWords = map[bus.StopMethod]string{
	bus.StopZeroAmps: "offering it 0 A",
	bus.StopRelay:    "the charger's stop command",
	bus.StopSilence:  "not answering the charger for a minute",
}

func note(c bus.ChargerState, now time.Time) string {
	if !c.LastSeen.IsZero() && now.Sub(c.LastSeen) > 10*time.Second {
		return fmt.Sprintf("Not heard from for %s.", duration(now.Sub(c.LastSeen)))
	}
	if w, ok := stopWords[c.Stop]; ok {
		return "Charging is paused by " + w + "."
	}
	return ""
}

// sessionWh is a running session's energy so far: the charger's meter
// counts whole kWh, so until it has moved the integration says more.
func sessionWh(s history.Session) float64 {
	if s.EnergySource == history.FromMeter && s.EnergyWh > 0 {
		return s.EnergyWh
	}
	return s.IntegratedWh
}

// sessionCache holds the running sessions. The recorder saves them every
// few minutes, so reading the database at every event is wasted work.
type sessionCache struct {
	mu   sync.Mutex // guards at and open
	at   time.Time
	open map[twc.ID]history.Session
}

const sessionCacheFor = 10 * time.Second

func (h *handler) openSessions(now time.Time) map[twc.ID]history.Session {
	c := &h.sessions
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open != nil && now.Sub(c.at) < sessionCacheFor && !now.Before(c.at) {
		return c.open
	}
	open := map[twc.ID]history.Session{}
	if db := h.d.App.History(); db != nil {
		ss, err := db.OpenSessions()
		if err != nil {
			h.d.Log.Warn("dashboard: running sessions", "err", err)
		}
		for _, s := range ss {
			if cur, ok := open[s.Charger]; !ok || s.ID > cur.ID {
				open[s.Charger] = s
			}
		}
	}
	c.at, c.open = now, open
	return open
}

// faults lists what the user has to act on, in sentences.
func faults(snap bus.Snapshot) []string {
	fs := slices.Clone(snap.Faults)
	slices.SortFunc(fs, func(a, b bus.Fault) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Charger, b.Charger))
	})
	var out []string
	adapter := false
	for _, f := range fs {
		adapter = adapter || f.Kind == bus.FaultAdapter
		s := sentence(f.Sentence)
		if f.Kind == bus.FaultAdapter && !strings.Contains(strings.ToLower(s), "adapter") {
			s = "RS-485 adapter disconnected: " + s
		}
		out = append(out, s)
	}
	if !snap.Connected && !adapter {
		out = append([]string{"RS-485 adapter disconnected: the chargers cannot be reached. " +
			"Check that the USB adapter is plugged in; the appliance keeps trying to open it."}, out...)
	}
	return out
}
