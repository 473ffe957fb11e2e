package history_test

// Benchmarks of the history on a database holding one simulated year; the
// figures are in docs/history.md. Run them with
//
//	go test -run '^$' -bench . -benchtime 200x ./internal/history/

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/internal/store"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// The simulated year: 2025, minute by minute, written as the recorder writes
// it (ten minute samples per transaction, a session's start and end each in
// its own transaction and its progress every five minutes). AddSamples keeps
// only the last 48 hours of minute samples and two years of quarter hours, so
// the file ends up holding 2 880 minute samples, 35 040 quarters and the
// sessions.
var (
	benchYearStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	benchYearEnd   = benchYearStart.AddDate(1, 0, 0)
)

const benchSessions = 1000

var benchYear struct {
	once     sync.Once
	describe sync.Once
	file     []byte // the database file after the year
	took     time.Duration
	batch    int // transactions of samples written
	other    int // transactions of sessions written
	err      error
}

// benchSite is the simulated site's power at minute t, in W.
func benchSite(t time.Time, rng *rand.Rand, cloud float64) (gen, cons float64) {
	doy := float64(t.YearDay())
	h := float64(t.Hour()) + float64(t.Minute())/60
	peak := 4500 + 2500*math.Cos(2*math.Pi*(doy-172)/365) // 2 kW in winter, 7 kW in summer
	half := 4 + 2*math.Cos(2*math.Pi*(doy-172)/365)       // half the day's length: 4 h to 8 h
	if d := math.Abs(h - 12.5); d < half {
		gen = peak * math.Cos(math.Pi/2*d/half) * cloud
	}
	cons = 250 + 150*rng.Float64()
	if h > 17 && h < 21 {
		cons += 800 // cooking, lights
	}
	return gen, cons
}

type benchSession struct {
	start, end time.Time
	s          history.Session
}

func buildBenchYear() error {
	dir, err := os.MkdirTemp("", "twcmanager-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	h := history.New(st)
	rng := rand.New(rand.NewPCG(2025, 1))
	chargers := []twc.ID{0x1839, 0x7A2C}
	vins := []string{"5YJ3E7EB2LF000001", "5YJYGDEE9MF000002", ""}

	// ~1 000 sessions spread over the year, 1 to 5 hours each.
	every := benchYearEnd.Sub(benchYearStart) / benchSessions
	var plan []benchSession
	for i := range benchSessions {
		start := benchYearStart.Add(time.Duration(i) * every).Add(time.Duration(rng.IntN(60)) * time.Minute).Truncate(time.Minute)
		dur := time.Hour + time.Duration(rng.IntN(240))*time.Minute
		plan = append(plan, benchSession{start: start, end: start.Add(dur), s: history.Session{
			Charger: chargers[i%2], VIN: vins[i%3], Mode: "solar", MeterStartKWh: 1000 + float64(i)*12,
		}})
	}
	next := 0
	var running []*benchSession
	var meter float64
	batch := make([]history.Sample, 0, 10)
	cloud := 1.0
	began := time.Now()
	for t := benchYearStart; t.Before(benchYearEnd); t = t.Add(time.Minute) {
		if t.Hour() == 0 && t.Minute() == 0 {
			cloud = 0.2 + 0.8*rng.Float64()
		}
		for next < len(plan) && !plan[next].start.After(t) {
			p := &plan[next]
			p.s.Start, p.s.Updated = t, t
			if p.s, err = h.StartSession(p.s); err != nil {
				return err
			}
			benchYear.other++
			running = append(running, p)
			next++
		}
		gen, cons := benchSite(t, rng, cloud)
		var charging float64
		for _, p := range running {
			w := 7360.0 // 32 A at 230 V
			charging += w
			p.s.IntegratedWh += w / 60
			p.s.SolarWh += min(w, max(0, gen-cons)) / 60
			p.s.PeakAmps = 32
			meter += w / 60
		}
		batch = append(batch, history.Sample{At: t, Charger: charging, Solar: min(charging, max(0, gen-cons)),
			Generation: gen, Consumption: cons + charging, Grid: cons + charging - gen,
			Has: history.SampleHas{Generation: true, Consumption: true, Grid: true}})
		if len(batch) == cap(batch) {
			if err := h.AddSamples(batch); err != nil {
				return err
			}
			benchYear.batch++
			batch = batch[:0]
		}
		still := running[:0]
		for _, p := range running {
			switch {
			case !p.end.After(t):
				p.s.MeterEndKWh = p.s.MeterStartKWh + math.Round(p.s.IntegratedWh/1000)
				if _, err := h.EndSession(p.s, t); err != nil {
					return err
				}
				benchYear.other++
				continue
			case t.Sub(p.start)%(5*time.Minute) == 0:
				p.s.Updated = t
				if err := h.UpdateSession(p.s); err != nil {
					return err
				}
				benchYear.other++
			}
			still = append(still, p)
		}
		running = still
	}
	benchYear.took = time.Since(began)
	st.Close()
	benchYear.file, err = os.ReadFile(filepath.Join(dir, store.FileName))
	return err
}

// openBenchYear opens a copy of the simulated year's database.
func openBenchYear(b *testing.B) (*history.DB, *store.Store) {
	b.Helper()
	benchYear.once.Do(func() { benchYear.err = buildBenchYear() })
	if benchYear.err != nil {
		b.Fatal(benchYear.err)
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, store.FileName), benchYear.file, 0o600); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	benchYear.describe.Do(func() { describeBenchYear(b, st) })
	return history.New(st), st
}

// describeBenchYear logs what the simulated year's file holds.
func describeBenchYear(b *testing.B, st *store.Store) {
	b.Logf("the year was written in %v: %d transactions of 10 samples, %d of sessions; the file has %d bytes",
		benchYear.took.Round(time.Millisecond), benchYear.batch, benchYear.other, len(benchYear.file))
	err := st.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{store.Sessions, store.Samples, store.Quarters, store.Lifetime} {
			s := tx.Bucket(name).Stats()
			b.Logf("%-8s %6d keys, %8d bytes used in %4d pages", name, s.KeyN,
				s.LeafInuse+s.BranchInuse+s.InlineBucketInuse, s.LeafPageN+s.BranchPageN)
		}
		ds := tx.DB().Stats()
		b.Logf("pages: high-water mark at %d bytes, %d pages free (%d bytes of freelist); bbolt grows the file ahead of it",
			tx.Size(), ds.FreePageN+ds.PendingPageN, ds.FreelistInuse)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func reportFileSize(b *testing.B, st *store.Store) {
	b.Helper()
	fi, err := os.Stat(st.Path())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size()), "file-bytes")
}

// writeBenchSamples writes samples after the year, per in each transaction.
func writeBenchSamples(b *testing.B, per int) {
	h, st := openBenchYear(b)
	rng := rand.New(rand.NewPCG(1, 1))
	t := benchYearEnd
	batch := make([]history.Sample, 10)
	b.ResetTimer()
	for range b.N {
		for i := range batch {
			gen, cons := benchSite(t, rng, 0.8)
			batch[i] = history.Sample{At: t, Generation: gen, Consumption: cons, Grid: cons - gen,
				Has: history.SampleHas{Generation: true, Consumption: true, Grid: true}}
			t = t.Add(time.Minute)
		}
		for i := 0; i < len(batch); i += per {
			if err := h.AddSamples(batch[i : i+per]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(batch)), "ns/sample")
	reportFileSize(b, st)
}

// BenchmarkAddSamplesBatch10 is the recorder's write: ten minute samples in
// one transaction (one op).
func BenchmarkAddSamplesBatch10(b *testing.B) { writeBenchSamples(b, 10) }

// BenchmarkAddSamplesBatch1 writes the same ten samples in ten transactions
// (one op): the baseline the batch is measured against.
func BenchmarkAddSamplesBatch1(b *testing.B) { writeBenchSamples(b, 1) }

// BenchmarkQueryMonthQuarters reads a month of quarter hours, for a chart.
func BenchmarkQueryMonthQuarters(b *testing.B) {
	h, st := openBenchYear(b)
	from := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	var n int
	b.ResetTimer()
	for range b.N {
		qs, err := h.Quarters(from, from.AddDate(0, 0, 31))
		if err != nil {
			b.Fatal(err)
		}
		n = len(qs)
	}
	b.StopTimer()
	if n != 31*96 {
		b.Fatalf("%d quarters in 31 days", n)
	}
	b.ReportMetric(float64(n), "quarters")
	reportFileSize(b, st)
}

// BenchmarkSamples48h reads the 48 hours of minute samples kept.
func BenchmarkSamples48h(b *testing.B) {
	h, st := openBenchYear(b)
	var n int
	b.ResetTimer()
	for range b.N {
		ss, err := h.Samples(benchYearEnd.Add(-history.KeepSamples), benchYearEnd)
		if err != nil {
			b.Fatal(err)
		}
		n = len(ss)
	}
	b.StopTimer()
	if n != 2880 {
		b.Fatalf("%d minute samples kept, want 2880", n)
	}
	b.ReportMetric(float64(n), "samples")
	reportFileSize(b, st)
}

// BenchmarkDailyMonth sums a month of quarters into days in local time.
func BenchmarkDailyMonth(b *testing.B) {
	h, st := openBenchYear(b)
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		loc = time.FixedZone("CEST", 2*3600)
	}
	from := time.Date(2025, 7, 1, 0, 0, 0, 0, loc)
	var n int
	b.ResetTimer()
	for range b.N {
		days, err := h.Daily(from, from.AddDate(0, 1, 0), loc)
		if err != nil {
			b.Fatal(err)
		}
		n = len(days)
	}
	b.StopTimer()
	if n != 31 {
		b.Fatalf("%d days in July", n)
	}
	reportFileSize(b, st)
}

// BenchmarkSessionsCSV reads every session and writes them as CSV, as the
// export does.
func BenchmarkSessionsCSV(b *testing.B) {
	h, st := openBenchYear(b)
	var buf bytes.Buffer
	var n int
	b.ResetTimer()
	for range b.N {
		buf.Reset()
		ss, err := h.Sessions(time.Time{}, benchYearEnd.AddDate(1, 0, 0))
		if err != nil {
			b.Fatal(err)
		}
		if err := history.WriteSessionsCSV(&buf, ss, time.UTC); err != nil {
			b.Fatal(err)
		}
		n = len(ss)
	}
	b.StopTimer()
	if n != benchSessions {
		b.Fatalf("%d sessions", n)
	}
	b.ReportMetric(float64(n), "sessions")
	b.ReportMetric(float64(buf.Len()), "csv-bytes")
	reportFileSize(b, st)
}
