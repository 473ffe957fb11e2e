package history

import (
	"context"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twcmanager/twcmanager/internal/clock"
)

// car scripts one charger over fake time: no car, then a car drawing 16 A at
// 230 V, then a full car still plugged, then unplugged.
func car(start time.Time) func() []ChargerView {
	return func() []ChargerView {
		at := time.Since(start)
		c := ChargerView{ID: 0x1839}
		switch {
		case at < 5*time.Minute:
		case at < 65*time.Minute:
			c.CarPresent, c.Actual, c.Watts, c.VIN = true, 16, 16*230, "5YJ3E7EB2LF000001"
		case at < 70*time.Minute:
			c.CarPresent, c.Actual = true, 0.25
		}
		return []ChargerView{c}
	}
}

func runRecorder(t *testing.T, cfg RecorderConfig, d time.Duration) *Recorder {
	r := NewRecorder(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx) })
	time.Sleep(d)
	cancel()
	wg.Wait()
	return r
}

func TestRecorderSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openDB(t)
		start := time.Now()
		// The grid meter sees the car less 2 kW of sun.
		site := func() SiteView {
			return SiteView{Grid: float64(car(start)()[0].Watts) - 2000, Has: SampleHas{Grid: true}}
		}
		r := runRecorder(t, RecorderConfig{DB: db, Chargers: car(start), Site: site, Mode: func() string { return "solar" }}, 90*time.Minute)
		ss, _ := db.Sessions(time.Time{}, start.Add(time.Hour*24))
		if len(ss) != 1 {
			t.Fatalf("sessions %+v", ss)
		}
		s := ss[0]
		if s.Open() || s.Start.Sub(start) > 5*time.Minute+10*time.Second || s.End.Sub(start) != 70*time.Minute ||
			s.VIN != "5YJ3E7EB2LF000001" || s.PeakAmps != 16 || s.Mode != "solar" || s.EnergySource != FromIntegrated {
			t.Fatalf("session %+v", s)
		}
		if math.Abs(s.EnergyWh-3680) > 40 || math.Abs(s.SolarWh-2000) > 25 {
			t.Fatalf("energy %.0f Wh, solar %.0f Wh; want 3680 and 2000", s.EnergyWh, s.SolarWh)
		}
		qs, _ := db.Quarters(time.Time{}, start.Add(24*time.Hour))
		var charged float64
		for _, q := range qs {
			charged += q.Charged
		}
		if math.Abs(charged-3680) > 80 {
			t.Fatalf("quarters hold %.0f Wh of charging, want about 3680", charged)
		}
		if st := r.Status(); st.Problem != "" || st.Open != 0 {
			t.Fatalf("status %+v", st)
		}
		lt, _ := db.Lifetime()
		if math.Abs(lt["car/5YJ3E7EB2LF000001"]-s.EnergyWh) > 0.01 {
			t.Fatalf("lifetime %v", lt)
		}
	})
}

// A session a crash left open is closed at its last saved update.
func TestRecorderClosesCrashedSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openDB(t)
		s, _ := db.StartSession(Session{Charger: 0x4580, Start: time.Now().Add(-time.Hour)})
		s.Updated, s.IntegratedWh = time.Now().Add(-10*time.Minute), 5000
		if err := db.UpdateSession(s); err != nil {
			t.Fatal(err)
		}
		runRecorder(t, RecorderConfig{DB: db, Chargers: func() []ChargerView { return nil }}, time.Minute)
		ss, _ := db.Sessions(time.Time{}, time.Now().Add(time.Hour))
		if len(ss) != 1 || !ss[0].End.Equal(s.Updated) || ss[0].EnergyWh != 5000 {
			t.Fatalf("%+v", ss)
		}
	})
}

// The appliance boots at 1970. Nothing is stamped before the clock is good;
// then samples and the session's start get their true times from the
// monotonic clock.
func TestRecorderWaitsForAGoodClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openDB(t)
		bubble := time.Now()
		const setAt = 30 * time.Minute
		var mu sync.Mutex
		var good bool
		// The wall clock says 1970 until NTP answers, then jumps.
		wall := func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			if !good {
				return time.Unix(0, 0).Add(time.Since(bubble))
			}
			return time.Now()
		}
		clk := stepClock{wall}
		start := bubble.Add(10 * time.Minute)
		chargers := func() []ChargerView {
			if time.Now().Before(start) {
				return nil
			}
			return []ChargerView{{ID: 0x1839, CarPresent: true, Actual: 10, Watts: 2300}}
		}
		r := NewRecorder(RecorderConfig{DB: db, Clock: clk, Chargers: chargers,
			ClockGood: func() bool { mu.Lock(); defer mu.Unlock(); return good },
			Mono:      func() time.Duration { return time.Since(bubble) }})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { r.Run(ctx) })
		time.Sleep(setAt)
		if ss, _ := db.Samples(time.Time{}, time.Now().Add(time.Hour)); len(ss) != 0 {
			t.Fatalf("%d samples written before the clock was good", len(ss))
		}
		ss, _ := db.Sessions(time.Time{}, time.Now())
		if len(ss) != 1 || !ss[0].ClockPending || !ss[0].Start.IsZero() {
			t.Fatalf("session before a good clock: %+v", ss)
		}
		mu.Lock()
		good = true
		mu.Unlock()
		time.Sleep(15 * time.Minute)
		cancel()
		wg.Wait()

		ss, _ = db.Sessions(time.Time{}, time.Now().Add(time.Hour))
		if len(ss) != 1 || ss[0].ClockPending || ss[0].Start.Sub(start).Abs() > 15*time.Second {
			t.Fatalf("session start %v, want %v", ss[0].Start, start)
		}
		samples, _ := db.Samples(bubble, time.Now().Add(time.Minute))
		if len(samples) < 40 {
			t.Fatalf("%d samples kept; the first 30 minutes were lost", len(samples))
		}
		if first := samples[0].At; first.Before(bubble) || first.Sub(bubble) > 2*time.Minute {
			t.Fatalf("first sample stamped %v, want near %v", first, bubble)
		}
		for _, s := range samples {
			if s.At.Year() == 1970 {
				t.Fatalf("sample stamped in 1970: %+v", s)
			}
		}
	})
}

type stepClock struct{ now func() time.Time }

func (c stepClock) Now() time.Time                       { return c.now() }
func (c stepClock) NewTimer(d time.Duration) clock.Timer { return clock.Real().NewTimer(d) }

// A session cut off before any time was stamped on it is closed once, not
// left open to be closed again at every start.
func TestRecorderClosesTimelessSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openDB(t)
		s, _ := db.StartSession(Session{Charger: 0x4580, ClockPending: true, IntegratedWh: 1200})
		for range 2 {
			runRecorder(t, RecorderConfig{DB: db, Chargers: func() []ChargerView { return nil }}, time.Minute)
		}
		ss, _ := db.Sessions(time.Time{}, time.Now())
		lt, _ := db.Lifetime()
		if len(ss) != 1 || ss[0].Open() || !ss[0].EndUnknown || ss[0].ID != s.ID || lt["charger/4580"] != 1200 {
			t.Fatalf("sessions %+v lifetime %v", ss, lt)
		}
	})
}
