package history

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Day is one day's energy in Wh, local time.
type Day struct {
	Date        time.Time // local midnight
	Charged     float64
	Solar       float64
	Generation  float64
	Consumption float64
	Import      float64
	Export      float64
}

func (d *Day) add(q Quarter) {
	d.Charged += q.Charged
	d.Solar += q.Solar
	d.Generation += q.Generation
	d.Consumption += q.Consumption
	d.Import += q.Import
	d.Export += q.Export
}

// Daily sums the quarters of each day in [from, to) in loc, oldest first.
func (d *DB) Daily(from, to time.Time, loc *time.Location) ([]Day, error) {
	qs, err := d.Quarters(from, to)
	if err != nil {
		return nil, err
	}
	var days []Day
	for _, q := range qs {
		t := q.Start.In(loc)
		date := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		if len(days) == 0 || !days[len(days)-1].Date.Equal(date) {
			days = append(days, Day{Date: date})
		}
		days[len(days)-1].add(q)
	}
	return days, nil
}

// Monthly sums days into months; each Day's Date is the first of its month.
func Monthly(days []Day) []Day {
	var months []Day
	for _, d := range days {
		m := time.Date(d.Date.Year(), d.Date.Month(), 1, 0, 0, 0, 0, d.Date.Location())
		if len(months) == 0 || !months[len(months)-1].Date.Equal(m) {
			months = append(months, Day{Date: m})
		}
		x := &months[len(months)-1]
		x.Charged += d.Charged
		x.Solar += d.Solar
		x.Generation += d.Generation
		x.Consumption += d.Consumption
		x.Import += d.Import
		x.Export += d.Export
	}
	return months
}

// SessionColumns are the columns of the sessions CSV.
var SessionColumns = []string{"id", "charger", "start", "end", "duration_min", "vin", "energy_kwh", "energy_source",
	"integrated_kwh", "peak_a", "mode", "solar_kwh", "solar_share_pct"}

// WriteSessionsCSV writes sessions as CSV with times in loc (RFC 3339).
func WriteSessionsCSV(w io.Writer, sessions []Session, loc *time.Location) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(SessionColumns); err != nil {
		return err
	}
	ts := func(t time.Time) string {
		if t.IsZero() || t.Year() < 2000 {
			return ""
		}
		return t.In(loc).Format(time.RFC3339)
	}
	for _, s := range sessions {
		dur := ""
		if !s.Start.IsZero() && !s.End.IsZero() {
			dur = strconv.FormatFloat(s.End.Sub(s.Start).Minutes(), 'f', 1, 64)
		}
		if err := cw.Write([]string{
			strconv.FormatUint(s.ID, 10), s.Charger.String(), ts(s.Start), ts(s.End), dur, s.VIN,
			kwh(s.EnergyWh), s.EnergySource, kwh(s.IntegratedWh), strconv.FormatFloat(float64(s.PeakAmps), 'f', 2, 64),
			s.Mode, kwh(s.SolarWh), strconv.FormatFloat(100*s.SolarShare(), 'f', 1, 64),
		}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// DayColumns are the columns of the daily-energy CSV.
var DayColumns = []string{"date", "charged_kwh", "solar_kwh", "generation_kwh", "consumption_kwh", "import_kwh", "export_kwh"}

// WriteDailyCSV writes days as CSV.
func WriteDailyCSV(w io.Writer, days []Day) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(DayColumns); err != nil {
		return err
	}
	for _, d := range days {
		if err := cw.Write([]string{d.Date.Format(time.DateOnly), kwh(d.Charged), kwh(d.Solar),
			kwh(d.Generation), kwh(d.Consumption), kwh(d.Import), kwh(d.Export)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func kwh(wh float64) string { return fmt.Sprintf("%.3f", wh/1000) }
