package bench

import (
	"math"
	"slices"
)

// Dist summarises a sample: how many values, the median, the 99th
// percentile and the largest.
type Dist struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Summarize returns the distribution of xs; a zero Dist when xs is empty.
func Summarize(xs []float64) Dist {
	if len(xs) == 0 {
		return Dist{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Dist{N: len(s), P50: percentileSorted(s, 50), P99: percentileSorted(s, 99), Max: s[len(s)-1]}
}

// Percentile returns the p-th percentile (0 to 100) of xs by the
// nearest-rank method: the smallest value with at least p % of the sample at
// or below it. It is always one of the values, never an interpolation, so a
// reported p99 interval is one that really happened. NaN for an empty xs.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return percentileSorted(s, p)
}

func percentileSorted(s []float64, p float64) float64 {
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

// Ratio returns a/b, or NaN when b is zero: a ratio to nothing is not 0 %.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}
