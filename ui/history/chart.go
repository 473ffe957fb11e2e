package historyui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/twcmanager/twcmanager/internal/history"
)

// The chart's drawing area, in SVG user units; the SVG scales to the
// screen, so the text is sized for a phone.
const (
	chartW, chartH = 640, 320
	padLeft        = 52
	padRight       = 24
	padTop         = 30
	padBottom      = 36
	plotW          = chartW - padLeft - padRight
	plotH          = chartH - padTop - padBottom
)

// chart is an SVG chart ready to draw.
type chart struct {
	Title, Desc string
	Unit        string
	YTicks      []tick
	XTicks      []tick
	Zero        float64 // y of the zero line
	Areas       []path
	Lines       []path
	Bars        []bar
	Legend      []legendItem
}

type tick struct {
	Pos   float64
	Label string
}

type path struct {
	Class  string
	Points string
}

type bar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type legendItem struct{ Class, Label string }

func (c chart) ViewBox() string { return fmt.Sprintf("0 0 %d %d", chartW, chartH) }

// Frame edges, for the template.
func (chart) Left() string   { return num(padLeft) }
func (chart) Right() string  { return num(chartW - padRight) }
func (chart) Top() string    { return num(padTop) }
func (chart) Bottom() string { return num(padTop + plotH) }
func (chart) LabelX() string { return num(padLeft - 6) }
func (chart) LabelY() string { return num(padTop + plotH + 22) }

func num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// niceScale picks axis limits and a step of 1, 2 or 5 times a power of ten
// giving about five gridlines.
func niceScale(lo, hi float64) (float64, float64, float64) {
	if hi-lo < 1e-9 {
		hi = lo + 1
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	return math.Floor(lo/step) * step, math.Ceil(hi/step) * step, step
}

// yAxis maps values to y and lists the ticks.
type yAxis struct{ lo, hi float64 }

func newYAxis(lo, hi float64) (yAxis, []tick) {
	lo, hi, step := niceScale(min(lo, 0), max(hi, 0))
	a := yAxis{lo, hi}
	var ts []tick
	for v := lo; v <= hi+step/2; v += step {
		ts = append(ts, tick{a.y(v), strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)})
	}
	return a, ts
}

func (a yAxis) y(v float64) float64 { return padTop + plotH*(a.hi-v)/(a.hi-a.lo) }

// series is one line of the day chart.
type series struct {
	class, label string
	value        func(history.Quarter) float64 // Wh in the quarter
	area         bool
}

var daySeries = []series{
	{"s-charge", "Cars charging", func(q history.Quarter) float64 { return q.Charged }, true},
	{"s-pv", "Solar", func(q history.Quarter) float64 { return q.Generation }, false},
	{"s-house", "House", func(q history.Quarter) float64 { return q.Consumption }, false},
	{"s-grid", "Grid (above 0 bought, below 0 sold)", func(q history.Quarter) float64 { return q.Import - q.Export }, false},
}

const quarterHour = 15 * time.Minute

// dayChart draws a day's quarter hours as power lines in kW.
func dayChart(qs []history.Quarter, p period) chart {
	c := chart{Title: "Power on " + p.Label(), Unit: "kW"}
	span := p.To.Sub(p.From)
	kw := func(s series, q history.Quarter) float64 { return s.value(q) * 60 / float64(q.Minutes) / 1000 }
	var shown []series
	lo, hi := 0.0, 0.0
	for _, s := range daySeries {
		seen := false
		for _, q := range qs {
			if q.Minutes == 0 {
				continue
			}
			v := kw(s, q)
			lo, hi = min(lo, v), max(hi, v)
			seen = seen || math.Abs(v) >= 0.001
		}
		if seen || s.class == "s-charge" {
			shown = append(shown, s)
		}
	}
	y, yt := newYAxis(lo, hi)
	c.YTicks, c.Zero = yt, y.y(0)
	for h := 0; h <= 24; h += 3 {
		at := time.Date(p.From.Year(), p.From.Month(), p.From.Day(), h, 0, 0, 0, p.From.Location())
		if h == 24 {
			at = p.To
		}
		c.XTicks = append(c.XTicks, tick{padLeft + plotW*float64(at.Sub(p.From))/float64(span), fmt.Sprintf("%02d:00", h)})
	}
	x := func(q history.Quarter) float64 {
		return padLeft + plotW*float64(q.Start.Add(quarterHour/2).Sub(p.From))/float64(span)
	}
	for _, s := range shown {
		c.Legend = append(c.Legend, legendItem{s.class, s.label})
		// A gap in the data breaks the line rather than bridging it.
		var seg []string
		var first, last float64
		flush := func() {
			if len(seg) == 0 {
				return
			}
			if s.area {
				c.Areas = append(c.Areas, path{s.class, fmt.Sprintf("%s,%s %s %s,%s", num(first), num(c.Zero), strings.Join(seg, " "), num(last), num(c.Zero))})
			}
			if len(seg) == 1 { // one point: a short flat line so it shows
				seg = append(seg, fmt.Sprintf("%s,%s", num(last+2), strings.Split(seg[0], ",")[1]))
			}
			c.Lines = append(c.Lines, path{s.class, strings.Join(seg, " ")})
			seg = nil
		}
		var prev time.Time
		for _, q := range qs {
			if q.Minutes == 0 || !p.contains(q.Start) {
				continue
			}
			if !prev.IsZero() && q.Start.Sub(prev) > quarterHour {
				flush()
			}
			if len(seg) == 0 {
				first = x(q)
			}
			last = x(q)
			seg = append(seg, num(last)+","+num(y.y(kw(s, q))))
			prev = q.Start
		}
		flush()
	}
	c.Desc = fmt.Sprintf("Power every quarter hour on %s, in kilowatts.", p.Label())
	return c
}

// slot is one bar's place: a day, or a month of a year.
type slot struct {
	start time.Time
	label string
	title string
}

func slots(p period) []slot {
	var out []slot
	if p.Kind == "year" {
		for t := p.From; t.Before(p.To); t = t.AddDate(0, 1, 0) {
			out = append(out, slot{t, t.Format("Jan"), t.Format("January 2006")})
		}
		return out
	}
	for t := p.From; t.Before(p.To); t = t.AddDate(0, 0, 1) {
		label := ""
		switch {
		case p.Kind == "week":
			label = t.Format("Mon 2")
		case t.Day() == 1 || t.Day()%5 == 0:
			label = strconv.Itoa(t.Day())
		}
		out = append(out, slot{t, label, t.Format("Mon 2 Jan")})
	}
	return out
}

// barChart draws charged energy per day (per month for a year), split
// into what the sun and what the grid gave.
func barChart(days []history.Day, p period) chart {
	c := chart{Unit: "kWh", Legend: []legendItem{{"b-solar", "From the sun"}, {"b-grid", "From the grid"}}}
	per := "day"
	if p.Kind == "year" {
		days, per = history.Monthly(days), "month"
	}
	c.Title = "Energy charged per " + per + ", " + p.Label()
	c.Desc = fmt.Sprintf("Bars of the energy charged each %s in kilowatt hours, the part from the sun at the bottom.", per)
	byStart := map[time.Time]history.Day{}
	hi := 0.0
	for _, d := range days {
		byStart[d.Date] = d
		hi = max(hi, d.Charged/1000)
	}
	y, yt := newYAxis(0, hi)
	c.YTicks, c.Zero = yt, y.y(0)
	ss := slots(p)
	w := float64(plotW) / float64(len(ss))
	for i, s := range ss {
		x := padLeft + w*float64(i)
		if s.label != "" {
			c.XTicks = append(c.XTicks, tick{x + w/2, s.label})
		}
		d, ok := byStart[s.start]
		if !ok || d.Charged <= 0 {
			continue
		}
		solar := math.Min(math.Max(d.Solar, 0), d.Charged) / 1000
		grid := d.Charged/1000 - solar
		title := fmt.Sprintf("%s: %.1f kWh charged, %.1f kWh from the sun", s.title, d.Charged/1000, solar)
		bx, bw := x+w*0.15, w*0.7
		if solar > 0 {
			c.Bars = append(c.Bars, bar{bx, y.y(solar), bw, y.y(0) - y.y(solar), "b-solar", title})
		}
		if grid > 0 {
			c.Bars = append(c.Bars, bar{bx, y.y(solar + grid), bw, y.y(solar) - y.y(solar+grid), "b-grid", title})
		}
	}
	return c
}
