package historyui_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/ui"
	"github.com/twcmanager/twcmanager/ui/dashboard"
	"github.com/twcmanager/twcmanager/ui/diagnostics"
	historyui "github.com/twcmanager/twcmanager/ui/history"
	"github.com/twcmanager/twcmanager/ui/uitest"
	"github.com/twcmanager/twcmanager/ui/web"
)

var registerAll = []ui.Feature{dashboard.Register, historyui.Register, diagnostics.Register}

func start(t *testing.T, features ...ui.Feature) *uitest.Env {
	t.Helper()
	if features == nil {
		features = registerAll
	}
	env := uitest.Start(t, features...)
	env.Setup(t)
	env.Login(t)
	return env
}

// day is ten days ago in local time: inside the history's retention, and
// in the past whatever the time of the test.
func day() time.Time {
	y, m, d := time.Now().AddDate(0, 0, -10).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.Local)
}

const testVIN = "5YJ3E7EB1LF000042"

// fill records two sessions, two hours of charging and half an hour more
// on day().
func fill(t *testing.T, env *uitest.Env) {
	t.Helper()
	db := env.App.Web().History()
	d := day()
	a, err := db.StartSession(history.Session{Charger: 0x1839, Start: d.Add(10 * time.Hour), VIN: testVIN, MeterStartKWh: 100})
	if err != nil {
		t.Fatal(err)
	}
	a.MeterEndKWh, a.IntegratedWh, a.SolarWh, a.PeakAmps = 107, 7400, 5000, 16
	if _, err := db.EndSession(a, d.Add(12*time.Hour+30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	b, err := db.StartSession(history.Session{Charger: 0x4580, Start: d.Add(13 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	b.IntegratedWh, b.PeakAmps = 3200, 10
	if _, err := db.EndSession(b, d.Add(14*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var samples []history.Sample
	for m := range 120 {
		samples = append(samples, history.Sample{At: d.Add(10*time.Hour + time.Duration(m)*time.Minute),
			Charger: 3680, Solar: 2500, Generation: 4000, Consumption: 600, Grid: 280,
			Has: history.SampleHas{Generation: true, Consumption: true, Grid: true}})
	}
	// Half an hour more at 16:00, after a gap, from the grid alone.
	for m := range 30 {
		samples = append(samples, history.Sample{At: d.Add(16*time.Hour + time.Duration(m)*time.Minute),
			Charger: 2000, Consumption: 600, Grid: 2600, Has: history.SampleHas{Consumption: true, Grid: true}})
	}
	if err := db.AddSamples(samples); err != nil {
		t.Fatal(err)
	}
}

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	missing := false
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q", w)
			missing = true
		}
	}
	if missing {
		t.Log(body)
	}
}

func TestHistoryWithoutData(t *testing.T) {
	env := start(t)
	code, body := env.Get(t, "/history?period=month&date=2025-01-15")
	if code != http.StatusOK {
		t.Fatalf("%d\n%s", code, body)
	}
	mustContain(t, body, "January 2025", "Nothing was charged in this period.", "No charging session in this period.",
		"No session has finished yet.", `href="/history/sessions.csv?date=2025-01-01&amp;period=month"`, "0.0 kWh")
	if strings.Contains(body, "<svg") {
		t.Error("a chart without data")
	}
	// The default is the current month.
	code, body = env.Get(t, "/history")
	if code != http.StatusOK || !strings.Contains(body, time.Now().Format("January 2006")) {
		t.Errorf("default period: %d, not %s", code, time.Now().Format("January 2006"))
	}
	if !strings.Contains(body, `<option value="month" selected>`) {
		t.Error("the picker does not show the month")
	}
}

func TestHistoryWithData(t *testing.T) {
	env := start(t)
	fill(t, env)
	d := day()
	code, body := env.Get(t, "/history?period=day&date="+d.Format(time.DateOnly))
	if code != http.StatusOK {
		t.Fatalf("%d\n%s", code, body)
	}
	mustContain(t, body, d.Format("Monday 2 January 2006"), `<svg class="chart"`, `class="line s-charge"`, `class="area s-charge"`,
		`class="line s-pv"`, `class="line s-house"`, `class="line s-grid"`, ">03:00<", ">kW</text>",
		// 120 minutes at 3680 W, 2500 W of it from the sun, and 30 at 2000 W.
		`<div class="tile-label">Charged</div><div class="big">8.4 kWh</div>`,
		`<div class="tile-label">From the sun</div><div class="big">60 %</div>`, "5.0 kWh of the charged energy",
		`<div class="tile-label">Bought</div><div class="big">1.9 kWh</div>`,
		// Sessions, newest first.
		testVIN, "charger&#39;s meter", "worked out (volts × amps)", "16 A", "unknown car",
		d.Add(10*time.Hour).Format("Mon 2 Jan 15:04"), ">12:30<",
		// Lifetime.
		"Charger 1839", "Charger 4580", "3.2 kWh", "7.0 kWh",
	)
	// The gap breaks the charging line in two.
	if n := strings.Count(body, `class="line s-charge"`); n != 2 {
		t.Errorf("%d charging lines, want 2 around the gap", n)
	}
	if i, j := strings.Index(body, "unknown car"), strings.Index(body, testVIN+"</td>"); i < 0 || j < 0 || i > j {
		t.Error("sessions are not newest first")
	}
	for _, kind := range []string{"week", "month", "year"} {
		code, body := env.Get(t, "/history?period="+kind+"&date="+d.Format(time.DateOnly))
		if code != http.StatusOK {
			t.Fatalf("%s: %d", kind, code)
		}
		mustContain(t, body, `class="b-solar"`, `class="b-grid"`, ">kWh</text>", "8.4 kWh charged, 5.0 kWh from the sun", testVIN)
	}
}

func TestHistoryCSV(t *testing.T) {
	env := start(t)
	fill(t, env)
	d := day()
	cases := []struct {
		path, file string
		header     []string
		rows       int
		check      func([]string) string
	}{
		{"/history/sessions.csv?period=day&date=" + d.Format(time.DateOnly), "twcmanager-sessions-" + d.Format(time.DateOnly) + ".csv",
			history.SessionColumns, 2, func(r []string) string {
				if r[5] == testVIN && r[6] != "7.000" {
					return "the metered session's energy is " + r[6]
				}
				return ""
			}},
		{"/history/daily.csv?period=month&date=" + d.Format(time.DateOnly), "twcmanager-daily-" + d.Format("2006-01") + ".csv",
			history.DayColumns, 1, func(r []string) string {
				if r[0] != d.Format(time.DateOnly) || r[1] != "8.360" || r[2] != "5.000" {
					return fmt.Sprintf("day row %v", r)
				}
				return ""
			}},
		{"/history/daily.csv?period=year&date=" + d.Format(time.DateOnly), "twcmanager-daily-" + d.Format("2006") + ".csv",
			history.DayColumns, 1, func([]string) string { return "" }},
	}
	for _, c := range cases {
		resp, err := env.Client.Get(env.Server.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(resp.Body).ReadAll()
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Errorf("%s: %d %s", c.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if cd, want := resp.Header.Get("Content-Disposition"), `attachment; filename="`+c.file+`"`; cd != want {
			t.Errorf("%s: Content-Disposition %q, want %q", c.path, cd, want)
		}
		if len(recs) == 0 || !slices.Equal(recs[0], c.header) {
			t.Fatalf("%s: header %v", c.path, recs)
		}
		if len(recs)-1 != c.rows {
			t.Errorf("%s: %d rows, want %d", c.path, len(recs)-1, c.rows)
		}
		for _, r := range recs[1:] {
			if msg := c.check(r); msg != "" {
				t.Errorf("%s: %s", c.path, msg)
			}
		}
	}
	// Weeks are named as ISO weeks.
	resp, err := env.Client.Get(env.Server.URL + "/history/sessions.csv?period=week&date=2026-01-01")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="twcmanager-sessions-2026-W01.csv"` {
		t.Errorf("week file name: %q", cd)
	}
}

func TestHistoryBadPeriod(t *testing.T) {
	env := start(t)
	cases := []struct{ query, want string }{
		{"period=decade", "Period: &#34;decade&#34; is not allowed; allowed: day, week, month or year."},
		{"period=day&date=2026-13-45", "Date: &#34;2026-13-45&#34; is not allowed; allowed: a date written as YYYY-MM-DD"},
		{"date=yesterday", "Date: &#34;yesterday&#34; is not allowed"},
	}
	for _, c := range cases {
		code, body := env.Get(t, "/history?"+c.query)
		if code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", c.query, code)
		}
		mustContain(t, body, c.want, `aria-invalid="true"`, `role="alert"`)
		for _, csvPath := range []string{"/history/sessions.csv?", "/history/daily.csv?"} {
			resp, err := env.Client.Get(env.Server.URL + csvPath + c.query)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s%s: %d, want 400", csvPath, c.query, resp.StatusCode)
			}
		}
	}
}

// noHistory is an appliance without a data directory.
type noHistory struct{ web.App }

func (noHistory) History() *history.DB { return nil }
func (noHistory) HistoryStatus() history.RecorderStatus {
	return history.RecorderStatus{Problem: "no data directory: history is not kept"}
}

func TestHistoryNotKept(t *testing.T) {
	env := start(t, func(mux *http.ServeMux, d web.Deps) {
		d.App = noHistory{d.App}
		historyui.Register(mux, d)
	})
	code, body := env.Get(t, "/history")
	if code != http.StatusOK {
		t.Fatalf("%d", code)
	}
	mustContain(t, body, "History is not kept (no data directory)")
	if strings.Contains(body, "<table") || strings.Contains(body, ".csv") {
		t.Error("a page without history shows a table or downloads")
	}
	for _, p := range []string{"/history/sessions.csv", "/history/daily.csv"} {
		code, body := env.Get(t, p)
		if code != http.StatusNotFound || !strings.Contains(body, "History is not kept") {
			t.Errorf("%s: %d %q", p, code, body)
		}
	}
}
