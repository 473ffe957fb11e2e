package bench

import (
	"math"
	"testing"
)

func TestPercentile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100 … 1, unsorted on purpose
	}
	for _, tc := range []struct {
		name string
		xs   []float64
		p    float64
		want float64
	}{
		{"median of 1..100", hundred, 50, 50},
		{"p99 of 1..100", hundred, 99, 99},
		{"p100 is the max", hundred, 100, 100},
		{"p0 is the min", hundred, 0, 1},
		{"one value", []float64{7}, 99, 7},
		{"p99 of ten values is the largest", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
		{"median of an even count is the lower middle", []float64{4, 1, 3, 2}, 50, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.xs, tc.p); got != tc.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tc.xs, tc.p, got, tc.want)
			}
		})
	}
	if !math.IsNaN(Percentile(nil, 50)) {
		t.Error("the percentile of nothing is not NaN")
	}
	if hundred[0] != 100 {
		t.Error("Percentile sorted its argument")
	}
}

func TestSummarize(t *testing.T) {
	got := Summarize([]float64{1000, 1001, 999, 1000, 1300})
	want := Dist{N: 5, P50: 1000, P99: 1300, Max: 1300}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if (Summarize(nil) != Dist{}) {
		t.Error("Summarize(nil) is not zero")
	}
}

func TestRatio(t *testing.T) {
	if got := Ratio(95, 100); got != 0.95 {
		t.Errorf("Ratio(95, 100) = %v", got)
	}
	if !math.IsNaN(Ratio(1, 0)) {
		t.Error("a ratio to zero is not NaN")
	}
}
