package historyui

import (
	"fmt"
	"net/url"
	"slices"
	"time"
)

// Periods the picker offers.
var periodKinds = []string{"day", "week", "month", "year"}

// period is the stretch of time a page shows, in local time.
type period struct {
	Kind     string
	From, To time.Time // [From, To)
}

// periodError is a bad query parameter, naming it and what is allowed.
type periodError struct {
	Field, Value, Allowed string
}

func (e *periodError) Error() string {
	return fmt.Sprintf("%s: %q is not allowed; allowed: %s", e.Field, e.Value, e.Allowed)
}

// parsePeriod reads ?period= and ?date=; the default is the month of now.
func parsePeriod(q url.Values, now time.Time, loc *time.Location) (period, error) {
	kind := q.Get("period")
	if kind == "" {
		kind = "month"
	}
	if !slices.Contains(periodKinds, kind) {
		return period{}, &periodError{"period", kind, "day, week, month or year"}
	}
	day := now.In(loc)
	if d := q.Get("date"); d != "" {
		t, err := time.ParseInLocation(time.DateOnly, d, loc)
		if err != nil || t.Year() < 2000 || t.Year() > 2200 {
			return period{}, &periodError{"date", d, "a date written as YYYY-MM-DD, such as 2026-03-31"}
		}
		day = t
	}
	return newPeriod(kind, day), nil
}

func newPeriod(kind string, t time.Time) period {
	loc := t.Location()
	y, m, d := t.Date()
	p := period{Kind: kind}
	switch kind {
	case "day":
		p.From = time.Date(y, m, d, 0, 0, 0, 0, loc)
		p.To = p.From.AddDate(0, 0, 1)
	case "week":
		back := (int(t.Weekday()) + 6) % 7 // weeks start on Monday
		p.From = time.Date(y, m, d-back, 0, 0, 0, 0, loc)
		p.To = p.From.AddDate(0, 0, 7)
	case "year":
		p.From = time.Date(y, 1, 1, 0, 0, 0, 0, loc)
		p.To = p.From.AddDate(1, 0, 0)
	default:
		p.From = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		p.To = p.From.AddDate(0, 1, 0)
	}
	return p
}

// shift is the period n steps later (earlier when n < 0).
func (p period) shift(n int) period {
	switch p.Kind {
	case "day":
		return newPeriod(p.Kind, p.From.AddDate(0, 0, n))
	case "week":
		return newPeriod(p.Kind, p.From.AddDate(0, 0, 7*n))
	case "year":
		return newPeriod(p.Kind, p.From.AddDate(n, 0, 0))
	}
	return newPeriod(p.Kind, p.From.AddDate(0, n, 0))
}

// Label names the period for people.
func (p period) Label() string {
	switch p.Kind {
	case "day":
		return p.From.Format("Monday 2 January 2006")
	case "week":
		last := p.To.AddDate(0, 0, -1)
		if last.Month() == p.From.Month() {
			return fmt.Sprintf("%d–%s", p.From.Day(), last.Format("2 January 2006"))
		}
		if last.Year() == p.From.Year() {
			return fmt.Sprintf("%s – %s", p.From.Format("2 January"), last.Format("2 January 2006"))
		}
		return fmt.Sprintf("%s – %s", p.From.Format("2 January 2006"), last.Format("2 January 2006"))
	case "year":
		return p.From.Format("2006")
	}
	return p.From.Format("January 2006")
}

// Tag names the period in file names: 2026-11-21, 2026-W47, 2026-11, 2026.
func (p period) Tag() string {
	switch p.Kind {
	case "day":
		return p.From.Format(time.DateOnly)
	case "week":
		y, w := p.From.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case "year":
		return p.From.Format("2006")
	}
	return p.From.Format("2006-01")
}

// Query is the period as URL parameters.
func (p period) Query() string {
	return url.Values{"period": {p.Kind}, "date": {p.From.Format(time.DateOnly)}}.Encode()
}

// contains reports whether t falls in the period.
func (p period) contains(t time.Time) bool { return !t.Before(p.From) && t.Before(p.To) }

// currentLabel names the link to the period of today.
func (p period) currentLabel() string {
	if p.Kind == "day" {
		return "Today"
	}
	return "This " + p.Kind
}
