package compat_test

import (
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/history"
)

const isoSeconds = "2006-01-02T15:04:05-07:00"

// getHistory is 576 five-minute slots covering 48 h up to now, in local
// time, each the average charger power of its minute samples, 0 without.
func TestGetHistory(t *testing.T) {
	t.Parallel()
	e := start(t)
	db := e.b.History()
	now := e.b.Now()
	// The slots must not move on between here and the request.
	if left := 5*time.Minute - time.Duration(now.Minute()%5)*time.Minute - time.Duration(now.Second())*time.Second; left < 10*time.Second {
		time.Sleep(left + time.Second)
		now = e.b.Now()
	}
	slot := time.Date(now.Year(), now.Month(), now.Day(), now.Hour(), now.Minute()/5*5, 0, 0, now.Location()).Add(-time.Hour)
	old := slot.Add(time.Hour - 575*5*time.Minute) // the first slot
	err := db.AddSamples([]history.Sample{
		{At: old.Add(-time.Minute), Charger: 9999}, // older than 48 h
		{At: old, Charger: 500},
		{At: slot, Charger: 1000},
		{At: slot.Add(time.Minute), Charger: 2000},
		{At: slot.Add(2 * time.Minute), Charger: 3000},
		{At: slot.Add(5 * time.Minute), Charger: 7200.5},
	})
	if err != nil {
		t.Fatal(err)
	}

	var points []struct {
		Timestamp    string  `json:"timestamp"`
		ChargerPower float64 `json:"charger_power"`
	}
	e.getJSON(t, "/api/getHistory", &points)
	if len(points) != 576 {
		t.Fatalf("%d slots, want 576", len(points))
	}
	byTime := map[string]float64{}
	var prev time.Time
	for i, p := range points {
		at, err := time.Parse(isoSeconds, p.Timestamp)
		if err != nil {
			t.Fatalf("slot %d timestamp %q: %v", i, p.Timestamp, err)
		}
		if _, off := at.Zone(); func() int { _, o := at.In(now.Location()).Zone(); return o }() != off {
			t.Errorf("slot %d %s is not in local time", i, p.Timestamp)
		}
		if i > 0 && at.Sub(prev) != 5*time.Minute {
			t.Fatalf("slot %d at %s, %v after the one before", i, p.Timestamp, at.Sub(prev))
		}
		prev = at
		byTime[p.Timestamp] = p.ChargerPower
	}
	last, _ := time.Parse(isoSeconds, points[575].Timestamp)
	if after := time.Now(); last.After(after) || after.Sub(last) >= 10*time.Minute {
		t.Errorf("last slot %s, want the one running now (%s)", points[575].Timestamp, after.Format(isoSeconds))
	}
	for at, want := range map[time.Time]float64{
		slot:                       2000, // 1000, 2000 and 3000 averaged
		slot.Add(5 * time.Minute):  7200.5,
		slot.Add(10 * time.Minute): 0,
		old:                        500,
	} {
		key := at.In(now.Location()).Format(isoSeconds)
		got, ok := byTime[key]
		if !ok || got != want {
			t.Errorf("slot %s: %v (present %v), want %v", key, got, ok, want)
		}
	}
	if _, ok := byTime[old.Add(-5*time.Minute).In(now.Location()).Format(isoSeconds)]; ok {
		t.Errorf("a slot older than 48 h is listed")
	}
}
