package historyui_test

import (
	"testing"
	"time"

	historyui "github.com/twcmanager/twcmanager/ui/history"
)

func TestPeriods(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		kind, at, from, to, label, tag string
		hours                          float64
	}{
		{"day", "2026-03-29 12:00", "2026-03-29 00:00", "2026-03-30 00:00", "Sunday 29 March 2026", "2026-03-29", 23}, // summer time starts
		{"day", "2026-10-25 23:59", "2026-10-25 00:00", "2026-10-26 00:00", "Sunday 25 October 2026", "2026-10-25", 25},
		{"week", "2026-11-22 08:00", "2026-11-16 00:00", "2026-11-23 00:00", "16–22 November 2026", "2026-W47", 168}, // a Sunday
		{"week", "2026-11-16 00:00", "2026-11-16 00:00", "2026-11-23 00:00", "16–22 November 2026", "2026-W47", 168}, // a Monday
		{"week", "2026-12-31 10:00", "2026-12-28 00:00", "2027-01-04 00:00", "28 December 2026 – 3 January 2027", "2026-W53", 168},
		{"month", "2026-02-14 10:00", "2026-02-01 00:00", "2026-03-01 00:00", "February 2026", "2026-02", 28 * 24},
		{"year", "2028-07-01 10:00", "2028-01-01 00:00", "2029-01-01 00:00", "2028", "2028", 366 * 24},
	}
	for _, c := range cases {
		from, to, label, tag := historyui.PeriodOf(c.kind, at(c.at))
		if !from.Equal(at(c.from)) || !to.Equal(at(c.to)) || label != c.label || tag != c.tag {
			t.Errorf("%s of %s: [%v, %v) %q %q; want [%s, %s) %q %q", c.kind, c.at, from, to, label, tag, c.from, c.to, c.label, c.tag)
		}
		if h := to.Sub(from).Hours(); h != c.hours {
			t.Errorf("%s of %s lasts %v h, want %v", c.kind, c.at, h, c.hours)
		}
	}
	if got := historyui.Shift("month", at("2026-01-31 10:00"), 1); !got.Equal(at("2026-02-01 00:00")) {
		t.Errorf("the month after January starts %v", got)
	}
	if got := historyui.Shift("week", at("2026-01-01 10:00"), -1); !got.Equal(at("2025-12-22 00:00")) {
		t.Errorf("the week before starts %v", got)
	}
}
