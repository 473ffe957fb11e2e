package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/twcmanager/twcmanager/internal/clock"
	"github.com/twcmanager/twcmanager/internal/store"
	"github.com/twcmanager/twcmanager/internal/twc"
	"github.com/twcmanager/twcmanager/internal/units"
)

// ChargerView is a charger as the recorder needs it.
type ChargerView struct {
	ID          twc.ID
	CarPresent  bool
	Actual      units.Amps
	Watts       float64 // Σ V·I now
	VIN         string
	LifetimeKWh float64 // 0 when the charger does not report one
}

// SiteView is the site's power as the energy sources see it.
type SiteView struct {
	Generation, Consumption, Grid float64
	Has                           SampleHas
	// MeterIncludesCharger is set when Consumption contains the chargers.
	MeterIncludesCharger bool
}

// RecorderConfig wires a Recorder; zero durations take the defaults.
type RecorderConfig struct {
	DB        *DB
	Clock     clock.Clock
	ClockGood func() bool
	Chargers  func() []ChargerView
	Site      func() SiteView
	Mode      func() string
	Logger    *slog.Logger
	// Mono is a monotonic clock (time since any fixed moment) that the
	// wall clock's step at boot does not move. Default: the process's own.
	Mono func() time.Duration

	Tick          time.Duration // 10 s
	FlushEvery    time.Duration // 10 min
	ProgressEvery time.Duration // 5 min
	EndAfter      time.Duration // 60 s without a car ends a session
	LostAfter     time.Duration // 5 min without the charger ends it too
}

// RecorderStatus is what the UI shows about history keeping.
type RecorderStatus struct {
	// Problem is empty when all is well, else a sentence saying what to do.
	Problem   string
	Since     time.Time
	Pending   int // samples not yet written
	Dropped   int // samples given up (no good clock, or the disk stayed full)
	ClockGood bool
	Open      int // sessions running
}

// Recorder turns what the appliance sees into history.
type Recorder struct {
	cfg    RecorderConfig
	log    *slog.Logger
	status atomic.Pointer[RecorderStatus]

	// Owned by Run.
	live      map[twc.ID]*live
	minute    minuteAcc
	pending   []Sample
	preClock  []monoSample // taken before the clock was good
	lastTick  time.Time
	lastFlush time.Time
	wasGood   bool
	problem   string
	since     time.Time
	dropped   int
}

// monoSample is a sample taken before the clock was good, with the
// monotonic time it was taken at instead of a wall-clock time.
type monoSample struct {
	Sample
	mono time.Duration
}

type live struct {
	s          Session
	startMono  time.Duration
	absentFrom time.Time
	lostFrom   time.Time
	saved      time.Time
}

type minuteAcc struct {
	start time.Time
	n     int
	s     Sample
}

// NewRecorder returns a recorder.
func NewRecorder(cfg RecorderConfig) *Recorder {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Tick, 10*time.Second)
	def(&cfg.FlushEvery, 10*time.Minute)
	def(&cfg.ProgressEvery, 5*time.Minute)
	def(&cfg.EndAfter, time.Minute)
	def(&cfg.LostAfter, 5*time.Minute)
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.ClockGood == nil {
		cfg.ClockGood = func() bool { return true }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Mono == nil {
		origin := time.Now() // carries a monotonic reading
		cfg.Mono = func() time.Duration { return time.Since(origin) }
	}
	if cfg.Site == nil {
		cfg.Site = func() SiteView { return SiteView{} }
	}
	if cfg.Mode == nil {
		cfg.Mode = func() string { return "" }
	}
	r := &Recorder{cfg: cfg, log: cfg.Logger, live: map[twc.ID]*live{}}
	r.status.Store(&RecorderStatus{})
	return r
}

// Status returns the latest status without waiting.
func (r *Recorder) Status() RecorderStatus { return *r.status.Load() }

// Run records until ctx ends, then writes what it holds.
func (r *Recorder) Run(ctx context.Context) {
	r.closeCrashed()
	t := r.cfg.Clock.NewTimer(r.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.shutdown()
			return
		case <-t.C():
		}
		r.tick(r.cfg.Clock.Now())
		t.Reset(r.cfg.Tick)
	}
}

// closeCrashed ends sessions a previous run left open, at their last update.
func (r *Recorder) closeCrashed() {
	open, err := r.cfg.DB.OpenSessions()
	if err != nil {
		r.fail(r.cfg.Clock.Now(), err)
		return
	}
	for _, s := range open {
		end := s.Updated
		if end.IsZero() {
			end = s.Start
		}
		// Begun and cut off before the clock was ever good: closed without
		// a time rather than left open to be closed again at every start.
		s.EndUnknown = end.IsZero()
		if _, err := r.cfg.DB.EndSession(s, end); err != nil {
			r.fail(r.cfg.Clock.Now(), err)
			continue
		}
		r.log.Info("history: closed a session left open by the last run", "id", s.ID, "charger", s.Charger.String())
	}
}

func (r *Recorder) tick(now time.Time) {
	good := r.cfg.ClockGood()
	if good && !r.wasGood {
		r.clockBecameGood(now)
	}
	r.wasGood = good
	dt := r.cfg.Tick.Seconds()
	if !r.lastTick.IsZero() {
		dt = math.Min(now.Sub(r.lastTick).Seconds(), 3*r.cfg.Tick.Seconds())
	}
	r.lastTick = now

	chargers, site := r.cfg.Chargers(), r.cfg.Site()
	var total float64
	for _, c := range chargers {
		total += c.Watts
	}
	solar := solarWatts(total, site)
	r.sessions(now, good, chargers, total, solar, dt)
	r.sample(now, good, total, solar, site)
	if good && (now.Sub(r.lastFlush) >= r.cfg.FlushEvery || len(r.pending) >= 60) {
		r.flush(now)
	}
	r.publish(now, good)
}

// solarWatts is the part of the chargers' power the sun covers.
func solarWatts(chargers float64, s SiteView) float64 {
	switch {
	case s.Has.Grid:
		return math.Max(0, chargers-math.Max(0, s.Grid))
	case s.Has.Generation && s.Has.Consumption:
		house := s.Consumption
		if s.MeterIncludesCharger {
			house -= chargers
		}
		return math.Min(math.Max(0, s.Generation-house), chargers)
	}
	return 0
}

func (r *Recorder) sessions(now time.Time, good bool, cs []ChargerView, total, solar, dt float64) {
	seen := map[twc.ID]bool{}
	for _, c := range cs {
		seen[c.ID] = true
		l := r.live[c.ID]
		if l == nil && c.Actual >= 1 {
			l = r.start(now, good, c)
		}
		if l == nil {
			continue
		}
		l.lostFrom = time.Time{}
		l.s.IntegratedWh += c.Watts * dt / 3600
		if total > 0 {
			l.s.SolarWh += solar * c.Watts / total * dt / 3600
		}
		l.s.PeakAmps = max(l.s.PeakAmps, c.Actual)
		if c.VIN != "" {
			l.s.VIN = c.VIN
		}
		if c.LifetimeKWh > 0 {
			if l.s.MeterStartKWh == 0 {
				l.s.MeterStartKWh = c.LifetimeKWh
			}
			l.s.MeterEndKWh = c.LifetimeKWh
		}
		switch {
		case c.CarPresent || c.Actual >= 1:
			l.absentFrom = time.Time{}
		case l.absentFrom.IsZero():
			l.absentFrom = now
		case now.Sub(l.absentFrom) >= r.cfg.EndAfter:
			r.end(now, good, l, l.absentFrom)
			continue
		}
		if good && now.Sub(l.saved) >= r.cfg.ProgressEvery {
			r.save(now, l)
		}
	}
	for id, l := range r.live {
		if seen[id] {
			continue
		}
		if l.lostFrom.IsZero() {
			l.lostFrom = now
		} else if now.Sub(l.lostFrom) >= r.cfg.LostAfter {
			r.end(now, good, l, l.lostFrom)
		}
	}
}

func (r *Recorder) start(now time.Time, good bool, c ChargerView) *live {
	s := Session{Charger: c.ID, VIN: c.VIN, Mode: r.cfg.Mode(), MeterStartKWh: c.LifetimeKWh}
	if good {
		s.Start, s.Updated = now, now
	} else {
		s.ClockPending = true
	}
	s, err := r.cfg.DB.StartSession(s)
	if err != nil {
		r.fail(now, err)
		return nil // the next tick tries again
	}
	l := &live{s: s, startMono: r.cfg.Mono(), saved: now}
	r.live[c.ID] = l
	r.log.Info("history: session started", "id", s.ID, "charger", c.ID.String())
	return l
}

func (r *Recorder) save(now time.Time, l *live) {
	l.s.Updated = now
	l.s.settle()
	if err := r.cfg.DB.UpdateSession(l.s); err != nil {
		r.fail(now, err)
		return
	}
	l.saved = now
}

func (r *Recorder) end(now time.Time, good bool, l *live, at time.Time) {
	if !good {
		return // ended once the clock can stamp it
	}
	s, err := r.cfg.DB.EndSession(l.s, at)
	if err != nil {
		r.fail(now, err)
		return
	}
	delete(r.live, l.s.Charger)
	r.log.Info("history: session ended", "id", s.ID, "charger", s.Charger.String(), "kWh", s.EnergyWh/1000, "source", s.EnergySource)
}

// sample averages the ticks of each minute into one Sample.
func (r *Recorder) sample(now time.Time, good bool, chargers, solar float64, site SiteView) {
	start := now.Truncate(time.Minute)
	if r.minute.n > 0 && !start.Equal(r.minute.start) {
		s := r.minute.s
		n := float64(r.minute.n)
		s.Charger, s.Solar, s.Generation, s.Consumption, s.Grid = s.Charger/n, s.Solar/n, s.Generation/n, s.Consumption/n, s.Grid/n
		s.At = r.minute.start
		if good {
			r.pending = append(r.pending, s)
		} else {
			r.preClock = append(r.preClock, monoSample{s, r.cfg.Mono()})
			r.bound(now)
		}
		r.minute = minuteAcc{}
	}
	if r.minute.n == 0 {
		r.minute.start = start
	}
	m := &r.minute.s
	m.Charger += chargers
	m.Solar += solar
	m.Generation += site.Generation
	m.Consumption += site.Consumption
	m.Grid += site.Grid
	m.Has = site.Has
	r.minute.n++
}

// bound keeps unwritten samples to the 48 hours the chart would keep anyway.
func (r *Recorder) bound(now time.Time) {
	limit := int(KeepSamples / time.Minute)
	if over := len(r.preClock) - limit; over > 0 {
		r.preClock = append([]monoSample(nil), r.preClock[over:]...)
		r.drop(over)
	}
	if over := len(r.pending) - limit; over > 0 {
		r.pending = append([]Sample(nil), r.pending[over:]...)
		r.drop(over)
	}
}

func (r *Recorder) drop(n int) {
	r.dropped += n
	r.log.Warn("history: dropping the oldest unwritten samples", "count", n)
}

// clockBecameGood stamps what was recorded before the clock was known, from
// the monotonic clock: its time since then is what the wall clock's jump from
// 1970 did not disturb.
func (r *Recorder) clockBecameGood(now time.Time) {
	wall, mono := now.Round(0), r.cfg.Mono()
	restamped := make([]Sample, 0, len(r.preClock))
	for _, m := range r.preClock {
		m.At = wall.Add(m.mono - mono).Truncate(time.Minute)
		restamped = append(restamped, m.Sample)
	}
	r.pending = append(restamped, r.pending...)
	if len(r.preClock) > 0 {
		r.log.Info("history: clock is good; re-stamped samples taken before", "count", len(r.preClock))
	}
	r.preClock = nil
	r.minute = minuteAcc{}
	for _, l := range r.live {
		if l.s.ClockPending {
			l.s.Start, l.s.ClockPending = wall.Add(l.startMono-mono), false
			r.save(now, l)
		}
	}
}

func (r *Recorder) flush(now time.Time) {
	if len(r.pending) == 0 {
		r.lastFlush = now
		return
	}
	if err := r.cfg.DB.AddSamples(r.pending); err != nil {
		r.fail(now, err)
		r.bound(now)
		return
	}
	r.pending, r.lastFlush = r.pending[:0], now
	if r.problem != "" {
		r.log.Info("history: writing again")
		r.problem = ""
	}
}

func (r *Recorder) fail(now time.Time, err error) {
	p := "history could not be saved: " + err.Error()
	if errors.Is(err, store.ErrDiskFull) {
		p = "the disk is full, so charging history is not being saved; charging goes on. Free space on the SD card (or the data directory) and it resumes"
	}
	if p != r.problem {
		r.log.Error("history: write failed", "err", err)
		r.problem, r.since = p, now
	}
}

func (r *Recorder) publish(now time.Time, good bool) {
	r.status.Store(&RecorderStatus{Problem: r.problem, Since: r.since, Pending: len(r.pending) + len(r.preClock),
		Dropped: r.dropped, ClockGood: good, Open: len(r.live)})
}

// shutdown writes what can be written; samples with no good time are lost.
func (r *Recorder) shutdown() {
	now := r.cfg.Clock.Now()
	if r.wasGood {
		r.flush(now)
		for _, l := range r.live {
			r.save(now, l)
		}
	}
	if n := len(r.preClock); n > 0 {
		r.log.Warn(fmt.Sprintf("history: dropping %d samples taken before the clock was set", n))
	}
}
