package api

import (
	"encoding/json"
	"net/http"
	"time"
)

// State is the answer of GET /api/v1/state.
type State struct {
	Time      time.Time `json:"time"`
	Connected bool      `json:"connected"`
	// Monitor is listen-only mode: a charger set as master decides the
	// currents and twcmanager cannot control charging; Master is its ID.
	Monitor     bool      `json:"monitor"`
	Master      string    `json:"master,omitempty"`
	Mode        string    `json:"mode"`
	Explanation string    `json:"explanation,omitempty"`
	Chargers    []Charger `json:"chargers"`
	Faults      []Fault   `json:"faults"`
}

// MonitorSentence explains monitor mode wherever the policy's decision would
// be.
const MonitorSentence = "Monitor mode: twcmanager only listens to the bus. The master charger decides the currents; twcmanager cannot control charging in this mode."

// Charger is one charger in State.
type Charger struct {
	ID                string    `json:"id"`
	Linked            bool      `json:"linked"`
	State             string    `json:"state"`
	StateCode         int       `json:"state_code"`
	Protocol          int       `json:"protocol"`
	OfferedAmps       float64   `json:"offered_amps"`
	ActualAmps        float64   `json:"actual_amps"`
	LimitAmps         float64   `json:"limit_amps"`
	MaxAmps           float64   `json:"max_amps"`
	Charging          bool      `json:"charging"`
	Heartbeats        uint64    `json:"heartbeats"`
	MaxHeartbeatGapMS int64     `json:"max_heartbeat_gap_ms"`
	LastSeen          time.Time `json:"last_seen"`
	Firmware          string    `json:"firmware,omitempty"`
	VIN               string    `json:"vin,omitempty"`
	LifetimeKWh       float64   `json:"lifetime_kwh"`
	Volts             []float64 `json:"volts"`
}

// Fault is a named fault with its sentence.
type Fault struct {
	Kind     string    `json:"kind"`
	Charger  string    `json:"charger,omitempty"`
	Sentence string    `json:"sentence"`
	Since    time.Time `json:"since"`
}

func state(src Backend) State {
	snap := src.Snapshot()
	st := State{Time: snap.At, Connected: snap.Connected, Mode: string(src.Settings().Policy.Mode),
		Chargers: []Charger{}, Faults: []Fault{}}
	switch d := src.Decisions(1); {
	case snap.Monitor:
		// The policy does not run: its last decision, if any, is stale.
		st.Monitor, st.Explanation = true, MonitorSentence
		if snap.Master != 0 {
			st.Master = snap.Master.String()
		}
	case len(d) == 1:
		st.Mode, st.Explanation = string(d[0].Mode), d[0].Explanation
	}
	for _, c := range snap.Chargers {
		st.Chargers = append(st.Chargers, Charger{
			ID: c.ID.String(), Linked: true, State: c.State.String(), StateCode: int(c.State), Protocol: int(c.Protocol),
			OfferedAmps: float64(c.Offered), ActualAmps: float64(c.Actual), LimitAmps: float64(c.Limit), MaxAmps: float64(c.Advertised),
			Charging: c.Charging, Heartbeats: c.Heartbeats, MaxHeartbeatGapMS: c.MaxHeartbeatGap.Milliseconds(), LastSeen: c.LastSeen,
			Firmware: c.Info.Firmware, VIN: c.Info.VIN, LifetimeKWh: c.Info.LifetimeKWh,
			Volts: []float64{float64(c.Info.Volts[0]), float64(c.Info.Volts[1]), float64(c.Info.Volts[2])},
		})
	}
	for _, f := range snap.Faults {
		af := Fault{Kind: string(f.Kind), Sentence: f.Sentence, Since: f.Since}
		if f.Charger != 0 {
			af.Charger = f.Charger.String()
		}
		st.Faults = append(st.Faults, af)
	}
	return st
}

func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may have gone; nothing to do then
}
