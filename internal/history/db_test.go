package history

import (
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/store"
)

func openDB(t *testing.T) *DB {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(st)
}

var day = time.Date(2026, 6, 21, 0, 0, 0, 0, time.UTC)

func TestSessionLifecycleAndLifetime(t *testing.T) {
	db := openDB(t)
	s, err := db.StartSession(Session{Charger: 0x1839, Start: day.Add(9 * time.Hour), VIN: "5YJ3E7EB2LF000001", MeterStartKWh: 1843})
	if err != nil || s.ID == 0 {
		t.Fatalf("%+v %v", s, err)
	}
	s.IntegratedWh, s.SolarWh, s.PeakAmps, s.MeterEndKWh = 7300, 5840, 31.2, 1850
	s, err = db.EndSession(s, day.Add(11*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if s.EnergyWh != 7000 || s.EnergySource != FromMeter {
		t.Fatalf("meter session: %v Wh from %s", s.EnergyWh, s.EnergySource)
	}
	// A charger without a lifetime counter: integrated energy, and it says so.
	s2, _ := db.StartSession(Session{Charger: 0x4580, Start: day.Add(12 * time.Hour)})
	s2.IntegratedWh = 2500
	s2, _ = db.EndSession(s2, day.Add(13*time.Hour))
	if s2.EnergyWh != 2500 || s2.EnergySource != FromIntegrated {
		t.Fatalf("integrated session: %+v", s2)
	}
	got, err := db.Sessions(day, day.Add(24*time.Hour))
	if err != nil || len(got) != 2 || got[0].SolarShare() != 0.8 {
		t.Fatalf("sessions %+v %v", got, err)
	}
	lt, _ := db.Lifetime()
	if lt["charger/1839"] != 7000 || lt["car/5YJ3E7EB2LF000001"] != 7000 || lt["charger/4580"] != 2500 {
		t.Fatalf("lifetime %v", lt)
	}
	if open, _ := db.OpenSessions(); len(open) != 0 {
		t.Fatalf("open %+v", open)
	}
}

func minuteSamples(from time.Time, n int, charger, grid float64) []Sample {
	var out []Sample
	for i := range n {
		out = append(out, Sample{At: from.Add(time.Duration(i) * time.Minute), Charger: charger, Solar: charger / 2,
			Generation: 5000, Consumption: 1000 + charger, Grid: grid, Has: SampleHas{true, true, true}})
	}
	return out
}

func TestSamplesFoldIntoQuartersAndDays(t *testing.T) {
	db := openDB(t)
	// 10:00–11:00 charging 6 kW exporting 500 W; then 30 minutes importing 1 kW.
	batch := append(minuteSamples(day.Add(10*time.Hour), 60, 6000, -500), minuteSamples(day.Add(11*time.Hour), 30, 0, 1000)...)
	for i := 0; i < len(batch); i += 10 {
		if err := db.AddSamples(batch[i:min(i+10, len(batch))]); err != nil {
			t.Fatal(err)
		}
	}
	// Writing a batch again must not count it twice.
	if err := db.AddSamples(batch[:10]); err != nil {
		t.Fatal(err)
	}
	qs, _ := db.Quarters(day, day.Add(24*time.Hour))
	if len(qs) != 6 || qs[0].Minutes != 15 || math.Abs(qs[0].Charged-1500) > 0.01 || math.Abs(qs[0].Export-125) > 0.01 {
		t.Fatalf("quarters %+v", qs)
	}
	days, _ := db.Daily(day, day.Add(24*time.Hour), time.UTC)
	if len(days) != 1 || math.Abs(days[0].Charged-6000) > 0.1 || math.Abs(days[0].Solar-3000) > 0.1 ||
		math.Abs(days[0].Import-500) > 0.1 || math.Abs(days[0].Export-500) > 0.1 || math.Abs(days[0].Generation-7500) > 0.1 {
		t.Fatalf("day %+v", days)
	}
	if m := Monthly(append(days, Day{Date: day.AddDate(0, 0, 3), Charged: 1000})); len(m) != 1 || math.Abs(m[0].Charged-7000) > 0.1 {
		t.Fatalf("month %+v", m)
	}
	if ss, _ := db.Samples(day.Add(10*time.Hour), day.Add(10*time.Hour+5*time.Minute)); len(ss) != 5 || ss[0].Charger != 6000 || !ss[0].Has.Grid {
		t.Fatalf("samples %+v", ss)
	}
}

func TestRetention(t *testing.T) {
	db := openDB(t)
	old := day.AddDate(-3, 0, 0)
	if err := db.AddSamples(minuteSamples(old, 10, 1000, 0)); err != nil {
		t.Fatal(err)
	}
	if err := db.AddSamples(minuteSamples(day.Add(-49*time.Hour), 10, 1000, 0)); err != nil {
		t.Fatal(err)
	}
	if err := db.AddSamples(minuteSamples(day, 10, 1000, 0)); err != nil {
		t.Fatal(err)
	}
	if ss, _ := db.Samples(time.Time{}, day.Add(time.Hour)); len(ss) != 10 {
		t.Fatalf("%d minute samples kept, want only the last 48 h", len(ss))
	}
	if qs, _ := db.Quarters(time.Time{}, day.Add(time.Hour)); len(qs) != 2 {
		t.Fatalf("%d quarters kept, want two: 49 h ago and now, not 3 years ago", len(qs))
	}
}

// The CSV exports read back through encoding/csv with the expected columns
// and values.
func TestCSVRoundTrip(t *testing.T) {
	sessions := []Session{
		{ID: 1, Charger: 0x1839, Start: day.Add(9 * time.Hour), End: day.Add(11*time.Hour + 30*time.Minute), VIN: "5YJ3E7EB2LF000001",
			EnergyWh: 7000, EnergySource: FromMeter, IntegratedWh: 7310, PeakAmps: 31.2, Mode: "solar", SolarWh: 5848},
		{ID: 2, Charger: 0x4580, ClockPending: true, EnergyWh: 1234.5, EnergySource: FromIntegrated, IntegratedWh: 1234.5},
	}
	var buf bytes.Buffer
	if err := WriteSessionsCSV(&buf, sessions, time.UTC); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || len(rows[0]) != len(SessionColumns) || rows[0][6] != "energy_kwh" {
		t.Fatalf("rows %q", rows)
	}
	want := []string{"1", "1839", "2026-06-21T09:00:00Z", "2026-06-21T11:30:00Z", "150.0", "5YJ3E7EB2LF000001", "7.000", "meter", "7.310", "31.20", "solar", "5.848", "80.0"}
	for i, w := range want {
		if rows[1][i] != w {
			t.Errorf("column %s = %q, want %q", SessionColumns[i], rows[1][i], w)
		}
	}
	if rows[2][2] != "" || rows[2][6] != "1.234" && rows[2][6] != "1.235" {
		t.Errorf("session without a start: %q", rows[2])
	}

	buf.Reset()
	days := []Day{{Date: day, Charged: 6000, Solar: 3000, Generation: 30000, Consumption: 9000, Import: 500, Export: 21500}}
	if err := WriteDailyCSV(&buf, days); err != nil {
		t.Fatal(err)
	}
	rows, _ = csv.NewReader(&buf).ReadAll()
	if len(rows) != 2 || rows[1][0] != "2026-06-21" {
		t.Fatalf("daily %q", rows)
	}
	for i, w := range []float64{6, 3, 30, 9, 0.5, 21.5} {
		if v, err := strconv.ParseFloat(rows[1][i+1], 64); err != nil || v != w {
			t.Errorf("%s = %q, want %v", DayColumns[i+1], rows[1][i+1], w)
		}
	}
}
