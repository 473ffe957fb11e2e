package dashboard

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// kW formats watts as kilowatts with one decimal: "3.7 kW".
func kW(w float64) string {
	if math.Abs(w) < 50 {
		return "0 kW"
	}
	return fmt.Sprintf("%.1f kW", w/1000)
}

// amps formats a current the way chargers are offered it: whole amps.
func amps(a float64) string { return fmt.Sprintf("%.0f", a) }

// kWh formats an energy in Wh as kWh with one decimal.
func kWh(wh float64) string { return fmt.Sprintf("%.1f kWh", wh/1000) }

// duration says how long in hours and minutes: "2 h 05 min", "12 min".
func duration(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h == 0 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %02d min", h, m)
}

// sentence starts s with a capital letter and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// clock is a time of day in local time.
func clock(t time.Time) string { return t.Local().Format("15:04") }
