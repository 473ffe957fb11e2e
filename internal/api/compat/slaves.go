package compat

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/policy"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// slaveTWC is one charger in getSlaveTWCs, with TWCManager's field names
// and JSON types: the Home Assistant integration makes a sensor of each.
type slaveTWC struct {
	TWCID              string  `json:"TWCID"`
	CarsCharging       int     `json:"carsCharging"`
	ChargerLoadInW     int64   `json:"chargerLoadInW"`
	CurrentVIN         string  `json:"currentVIN"`
	LastAmpsOffered    float64 `json:"lastAmpsOffered"`
	LastHeartbeat      float64 `json:"lastHeartbeat"`
	LastVIN            string  `json:"lastVIN"`
	LifetimeKWh        float64 `json:"lifetimekWh"`
	MaxAmps            float64 `json:"maxAmps"`
	ReportedAmpsActual float64 `json:"reportedAmpsActual"`
	State              int     `json:"state"`
	Version            int     `json:"version"`
	VoltsPhaseA        float64 `json:"voltsPhaseA"`
	VoltsPhaseB        float64 `json:"voltsPhaseB"`
	VoltsPhaseC        float64 `json:"voltsPhaseC"`
	ChargeTime         string  `json:"chargeTime"`
}

// slaveTotal is getSlaveTWCs's "total": sums, except maxAmps, the smallest
// charger maximum (the bottleneck).
type slaveTotal struct {
	TWCID              string  `json:"TWCID"`
	CarsCharging       int     `json:"carsCharging"`
	LastAmpsOffered    float64 `json:"lastAmpsOffered"`
	LifetimeKWh        float64 `json:"lifetimekWh"`
	MaxAmps            float64 `json:"maxAmps"`
	ReportedAmpsActual float64 `json:"reportedAmpsActual"`
}

// getSlaveTWCs is one object per linked charger keyed by its ID in four
// upper-case hex digits, and "total".
func (s *server) getSlaveTWCs(w http.ResponseWriter, _ *http.Request) {
	snap := s.b.Snapshot()
	el := s.b.Settings().Electrical
	now := s.b.Now()
	since := s.chargingSince()
	out := map[string]any{}
	total := slaveTotal{TWCID: "total"}
	for _, c := range snap.Chargers {
		t := slaveTWC{
			TWCID:              c.ID.String(),
			ChargerLoadInW:     int64(math.Round(power(c, el))),
			LastAmpsOffered:    round2(float64(c.Offered)),
			LastHeartbeat:      round2(max(now.Sub(c.LastSeen).Seconds(), 0)),
			LastVIN:            c.Info.VIN,
			LifetimeKWh:        s.lifetime(c),
			MaxAmps:            float64(c.Advertised),
			ReportedAmpsActual: float64(c.Actual),
			State:              int(c.State),
			Version:            int(c.Protocol),
			VoltsPhaseA:        float64(c.Info.Volts[0]),
			VoltsPhaseB:        float64(c.Info.Volts[1]),
			VoltsPhaseC:        float64(c.Info.Volts[2]),
			ChargeTime:         "--:--:--",
		}
		if c.Charging {
			t.CarsCharging = 1
		}
		// The VIN is the last car's; it is the current one while a car
		// is plugged in.
		if c.State.CarPresent() || c.Charging {
			t.CurrentVIN = c.Info.VIN
		}
		if start, ok := since[c.ID]; ok && c.Charging {
			t.ChargeTime = pyDuration(now.Sub(start))
		}
		out[t.TWCID] = t
		total.CarsCharging += t.CarsCharging
		total.LastAmpsOffered += float64(c.Offered)
		total.LifetimeKWh += t.LifetimeKWh
		total.ReportedAmpsActual += float64(c.Actual)
		if total.MaxAmps == 0 || float64(c.Advertised) < total.MaxAmps {
			total.MaxAmps = float64(c.Advertised)
		}
	}
	total.LastAmpsOffered = round2(total.LastAmpsOffered)
	total.ReportedAmpsActual = round2(total.ReportedAmpsActual)
	out["total"] = total
	api.WriteJSON(w, http.StatusOK, out)
}

// lifetime is charger c's lifetime energy counter. A charger that drops off
// the bus and links again has no reading until it is asked anew; Home
// Assistant's total_increasing sensor would take the 0 in between for a
// meter reset and count the whole counter again, so the last value stands
// in until then.
func (s *server) lifetime(c bus.ChargerState) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Info.MeterAt.IsZero() {
		return s.meters[c.ID]
	}
	s.meters[c.ID] = c.Info.LifetimeKWh
	return c.Info.LifetimeKWh
}

// chargingSince is when each charger's open session began, from the
// history; empty when no history is kept or it cannot be read.
func (s *server) chargingSince() map[twc.ID]time.Time {
	out := map[twc.ID]time.Time{}
	db := s.b.History()
	if db == nil {
		return out
	}
	open, err := db.OpenSessions()
	if err != nil {
		s.log.Warn("compat: read open sessions for chargeTime", "err", err)
		return out
	}
	for _, ss := range open {
		if !ss.Start.IsZero() {
			out[ss.Charger] = ss.Start
		}
	}
	return out
}

// pyDuration formats d as Python's str(timedelta) without the fraction,
// which TWCManager's chargeTime is: "1:02:03", "2 days, 0:00:05".
func pyDuration(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	hms := fmt.Sprintf("%d:%02d:%02d", d/time.Hour, d%time.Hour/time.Minute, d%time.Minute/time.Second)
	switch {
	case days == 1:
		return "1 day, " + hms
	case days > 1:
		return fmt.Sprintf("%d days, %s", days, hms)
	}
	return hms
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// power is what charger c draws, in W, worked out as the policy does.
func power(c bus.ChargerState, el config.Electrical) float64 {
	return policy.Power(policy.FromSnapshot(bus.Snapshot{Chargers: []bus.ChargerState{c}})[0], el)
}
