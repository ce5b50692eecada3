package bench

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * time.Millisecond // 100..1, unsorted
	}
	for _, tt := range []struct {
		name string
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p100 is the max", hundred, 100, 100 * time.Millisecond},
		{"p0 is the min", hundred, 0, 1 * time.Millisecond},
		{"p50 of four", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p99 of four", ms(4, 1, 3, 2), 99, 4 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.ds, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v): got %v, want %v", tt.ds, tt.p, got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		ds   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{5}, 5},
		{[]time.Duration{9, 1, 5}, 5},
		{[]time.Duration{9, 1, 5, 3}, 4},
	} {
		if got := median(tt.ds); got != tt.want {
			t.Errorf("median(%v): got %v, want %v", tt.ds, got, tt.want)
		}
	}
	if got := median([]float64{3, 1, 2, 10}); got != 2.5 {
		t.Errorf("median of floats: got %v, want 2.5", got)
	}
}

func TestSummarize(t *testing.T) {
	// Throughput is from the wall time, which includes what happened
	// between the requests: 2 requests in 5 ms is 400 per second.
	got := summarize([]time.Duration{time.Millisecond, 3 * time.Millisecond}, 5*time.Millisecond)
	want := Latency{Requests: 2, P50: time.Millisecond, P99: 3 * time.Millisecond, Throughput: 400}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestSpreadOf(t *testing.T) {
	got := spreadOf([]float64{1.2, 0.9, 1.1, 1.0, 1.4})
	if want := (Spread[float64]{Median: 1.1, Min: 0.9, Max: 1.4}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := spreadOf[int64](nil); got != (Spread[int64]{}) {
		t.Errorf("spread of nothing: got %+v, want zeros", got)
	}
}

func TestRoundTripsAdd(t *testing.T) {
	for _, tt := range []struct {
		name      string
		units     []unit
		want      RoundTrips
		wantText  string
		wantNoted bool
	}{
		{
			name:     "always the same",
			units:    []unit{{measured: true, rt: 4}, {measured: true, rt: 4}, {rt: 9}},
			want:     RoundTrips{Requests: 2, Min: 4, Max: 4},
			wantText: "4",
		},
		{
			name:      "one request opened a connection",
			units:     []unit{{measured: true, rt: 1}, {measured: true, rt: 3, dials: 1}, {measured: true, rt: 1}},
			want:      RoundTrips{Requests: 3, Min: 1, Max: 1, Connected: 1, ConnectedMax: 3},
			wantText:  "1",
			wantNoted: true,
		},
		{
			name:      "varies",
			units:     []unit{{measured: true, rt: 2}, {measured: true, rt: 3}},
			want:      RoundTrips{Requests: 2, Min: 2, Max: 3},
			wantText:  "2–3 (varies)",
			wantNoted: true,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := RoundTrips{Min: -1}
			got.add(tt.units)
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if s := got.String(); s != tt.wantText {
				t.Errorf("String: got %q, want %q", s, tt.wantText)
			}
			if noted := got.note() != ""; noted != tt.wantNoted {
				t.Errorf("note %q: noted = %v, want %v", got.note(), noted, tt.wantNoted)
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 6946978: "6,946,978", -1053022: "-1,053,022"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d): got %q, want %q", n, got, want)
		}
	}
}
