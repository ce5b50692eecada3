package bench

import (
	"slices"
	"time"
)

// Latency summarizes one run of sequential requests.
type Latency struct {
	Requests int
	P50, P99 time.Duration
	// Throughput is requests per second of wall time, from the first
	// measured request's start to the last one's end: requests sent one
	// after another, with whatever the sender does between them.
	Throughput float64
}

// summarize computes the percentiles of ds and the throughput of len(ds)
// requests sent in wall.
func summarize(ds []time.Duration, wall time.Duration) Latency {
	l := Latency{Requests: len(ds), P50: percentile(ds, 50), P99: percentile(ds, 99)}
	if wall > 0 {
		l.Throughput = float64(len(ds)) / wall.Seconds()
	}
	return l
}

// percentile returns the p-th percentile of ds by the nearest-rank method:
// the smallest value with at least p% of the values at or below it.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(p/100*float64(len(s)) + 0.999999999) // ceil without float noise
	return s[min(max(rank, 1), len(s))-1]
}

// median returns the median of xs (the mean of the middle two for an even
// count).
func median[T time.Duration | float64 | int64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// Spread is the median of a figure over runs, with its least and greatest
// value.
type Spread[T time.Duration | float64 | int64] struct {
	Median, Min, Max T
}

func spreadOf[T time.Duration | float64 | int64](xs []T) Spread[T] {
	if len(xs) == 0 {
		return Spread[T]{}
	}
	return Spread[T]{Median: median(xs), Min: slices.Min(xs), Max: slices.Max(xs)}
}
