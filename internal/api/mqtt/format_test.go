package mqtt

import (
	"strings"
	"testing"
	"time"
)

// Payloads print as TWCManager's Python prints the same values.
func TestPayloadFormats(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{pyFloat(0), "0.0"},
		{pyFloat(16), "16.0"},
		{pyFloat(15.87), "15.87"},
		{pyFloat(0.1 + 0.2), "0.3"}, // float sums of currents, not 0.30000000000000004
		{pyFloat(31.999999999), "32.0"},
		{number(1843), "1843"},
		{number(12.5), "12.5"},
		{boolInt(true), "1"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// Measured values wait out the gap; steady ones and new topics go at once;
// a refresh sends everything but the announcements.
func TestDue(t *testing.T) {
	now := time.Now()
	gap := 10 * time.Second
	recent := sent{"16.0", now.Add(-time.Second)}
	old := sent{"16.0", now.Add(-time.Minute)}
	for _, c := range []struct {
		name       string
		it         item
		last       sent
		seen, full bool
		want       bool
	}{
		{"never sent", item{payload: "16.0", kind: measured}, sent{}, false, false, true},
		{"unchanged", item{payload: "16.0", kind: measured}, old, true, false, false},
		{"changed within the gap", item{payload: "15.0", kind: measured}, recent, true, false, false},
		{"changed after the gap", item{payload: "15.0", kind: measured}, old, true, false, true},
		{"steady change at once", item{payload: "15.0", kind: steady}, recent, true, false, true},
		{"refresh", item{payload: "16.0", kind: measured}, recent, true, true, true},
		{"announcement not refreshed", item{payload: "16.0", kind: announce}, recent, true, true, false},
		{"announcement changed", item{payload: "{}", kind: announce}, recent, true, false, true},
	} {
		if got := due(c.it, c.last, c.seen, c.full, now, gap); got != c.want {
			t.Errorf("%s: due %v, want %v", c.name, got, c.want)
		}
	}
}

// Home Assistant turns state codes into the words the web interface uses.
func TestStateTemplate(t *testing.T) {
	for _, want := range []string{"{{ {'0': 'Ready', '1': 'Charging',", "'10': 'Adjustment complete'}.get(value, value) }}"} {
		if !strings.Contains(stateTemplate, want) {
			t.Errorf("template %s lacks %s", stateTemplate, want)
		}
	}
}
