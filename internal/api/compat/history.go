package compat

import (
	"net/http"
	"time"

	"github.com/twcmanager/twcmanager/internal/api"
)

const (
	historySlot  = 5 * time.Minute
	historySlots = 48 * 12 // 48 h of five-minute slots
)

// historyPoint is one slot of getHistory: its start in local time with
// offset, as Python's isoformat(timespec="seconds") writes it, and the
// chargers' average power over the slot in W.
type historyPoint struct {
	Timestamp    string `json:"timestamp"`
	ChargerPower any    `json:"charger_power"`
}

// getHistory is the chargers' power over the last 48 h in 576 five-minute
// slots, oldest first, the last one the slot running now. A slot without
// samples is 0, as in TWCManager.
func (s *server) getHistory(w http.ResponseWriter, _ *http.Request) {
	now := s.b.Now()
	last := time.Date(now.Year(), now.Month(), now.Day(), now.Hour(), now.Minute()/5*5, 0, 0, now.Location())
	first := last.Add(-(historySlots - 1) * historySlot)
	var sum [historySlots]float64
	var n [historySlots]int
	if db := s.b.History(); db != nil {
		samples, err := db.Samples(first, last.Add(historySlot))
		if err != nil {
			s.log.Warn("compat: read history for getHistory", "err", err)
		}
		for _, x := range samples {
			i := int(x.At.Sub(first) / historySlot)
			if i >= 0 && i < historySlots {
				sum[i] += x.Charger
				n[i]++
			}
		}
	}
	out := make([]historyPoint, historySlots)
	for i := range out {
		at := first.Add(time.Duration(i) * historySlot).In(now.Location())
		out[i] = historyPoint{Timestamp: at.Format("2006-01-02T15:04:05-07:00"), ChargerPower: 0}
		if n[i] > 0 {
			out[i].ChargerPower = round2(sum[i] / float64(n[i]))
		}
	}
	api.WriteJSON(w, http.StatusOK, out)
}
