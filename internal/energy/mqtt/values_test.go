package mqtt

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		filter, topic string
		want          bool
	}{
		{"home/grid", "home/grid", true},
		{"home/grid", "home/grid/x", false},
		{"home/+/grid", "home/m1/grid", true},
		{"home/+/grid", "home/grid", false},
		{"home/#", "home", true},
		{"home/#", "home/a/b", true},
		{"#", "$SYS/broker/uptime", false},
		{"+/broker", "$SYS/broker", false},
		{"$SYS/#", "$SYS/broker", true},
	} {
		if got := match(tc.filter, tc.topic); got != tc.want {
			t.Errorf("match(%q, %q) = %v", tc.filter, tc.topic, got)
		}
	}
}

func TestExcerptKeepsCharacters(t *testing.T) {
	long := strings.Repeat("a", maxExcerpt-1) + "€€€"
	got := excerpt([]byte(long))
	if !strings.HasSuffix(got, `"…`) || strings.Contains(got, `\x`) {
		t.Errorf("excerpt split a character: %s", got)
	}
}
