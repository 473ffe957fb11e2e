package historyui

import "time"

// PeriodOf is the period of kind around t, for tests.
func PeriodOf(kind string, t time.Time) (from, to time.Time, label, tag string) {
	p := newPeriod(kind, t)
	return p.From, p.To, p.Label(), p.Tag()
}

// Shift is the period n steps from the one of kind around t.
func Shift(kind string, t time.Time, n int) time.Time { return newPeriod(kind, t).shift(n).From }
