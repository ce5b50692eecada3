package mysql

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// TestSizeFence checks the gap arithmetic: the rate from the newest
// todos, the window, the safety factor, the floor and the cap.
func TestSizeFence(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	// 1001 ids over 1000 s: one id per second; the newest 5 s ago.
	steady := []created{{id: 5000, at: ago(5 * time.Second)}, {id: 4000, at: ago(1005 * time.Second)}}
	// A million ids in 10 s: 100 000 ids/s; the newest 30 s ago.
	busy := []created{{id: 1_000_001, at: ago(30 * time.Second)}, {id: 1, at: ago(40 * time.Second)}}
	for _, tt := range []struct {
		name       string
		f          Fence
		maxID      int64
		sample     []created
		wantGap    int64
		wantRate   float64
		wantWindow time.Duration
		wantReason []string
	}{
		{
			name: "planned: no gap", f: Fence{Region: "b"}, maxID: 5000, sample: steady,
			wantGap: 0, wantRate: 1, wantWindow: 0, wantReason: []string{"planned", "5001"},
		},
		{
			name: "planned ignores a lag and a floor", f: Fence{Region: "b", Lag: time.Hour, MinGap: 7}, maxID: 5000, sample: steady,
			wantGap: 0, wantRate: 1, wantWindow: 0,
		},
		{
			name: "unplanned, no todos: the floor", f: Fence{Region: "b", DataLoss: true}, maxID: 0,
			wantGap: DefaultFenceFloor, wantRate: 0, wantWindow: FenceMargin, wantReason: []string{"lag unknown", "floor 1000000"},
		},
		{
			name: "unplanned, one todo: no rate, the floor", f: Fence{Region: "b", DataLoss: true}, maxID: 9, sample: []created{{id: 9, at: ago(time.Minute)}},
			wantGap: DefaultFenceFloor, wantRate: 0, wantWindow: 2 * time.Minute,
		},
		{
			// 10 × 1 id/s × (5 s + 60 s) = 650 ids: the floor wins.
			name: "unplanned, steady: the floor", f: Fence{Region: "b", DataLoss: true}, maxID: 5000, sample: steady,
			wantGap: DefaultFenceFloor, wantRate: 1, wantWindow: 65 * time.Second,
		},
		{
			// 10 × 1 id/s × (30 s lag + 60 s) = 900 ids > the floor of 500.
			name: "unplanned, a lag longer than the time since the newest create", f: Fence{Region: "b", DataLoss: true, Lag: 30 * time.Second, MinGap: 500}, maxID: 5000, sample: steady,
			wantGap: 900, wantRate: 1, wantWindow: 90 * time.Second, wantReason: []string{"lag 30s", "= 900"},
		},
		{
			name: "unplanned, a floor above the estimate", f: Fence{Region: "b", DataLoss: true, MinGap: 5000}, maxID: 5000, sample: steady,
			wantGap: 5000, wantRate: 1, wantWindow: 65 * time.Second,
		},
		{
			// 10 × 100 000 ids/s × (30 s + 60 s) = 90 000 000 ids.
			name: "unplanned, busy: the estimate", f: Fence{Region: "b", DataLoss: true}, maxID: 1_000_001, sample: busy,
			wantGap: 90_000_000, wantRate: 100_000, wantWindow: 90 * time.Second, wantReason: []string{"1e+05 ids/s", "gap = max(floor 1000000, that) = 90000000"},
		},
		{
			// 100 ids within one millisecond: the span counts as a second.
			name: "a burst within a second", f: Fence{Region: "b", DataLoss: true, MinGap: 1}, maxID: 101,
			sample:  []created{{id: 101, at: ago(time.Second)}, {id: 1, at: ago(time.Second + time.Millisecond)}},
			wantGap: 61_000, wantRate: 100, wantWindow: 61 * time.Second,
		},
		{
			// Lambda clocks are not the database's: a create "in the
			// future" counts as just now, never a negative window.
			name: "clock skew", f: Fence{Region: "b", DataLoss: true, MinGap: 1}, maxID: 5000,
			sample: []created{{id: 5000, at: now.Add(time.Hour)}, {id: 4000, at: ago(1000 * time.Second)}},
			// 1000 ids over 4600 s; ⌈10 × 0.217 × 60⌉ = 131.
			wantGap: 131, wantRate: 1000.0 / 4600, wantWindow: FenceMargin,
		},
		{
			name: "the cap", f: Fence{Region: "b", DataLoss: true}, maxID: 1 << 62,
			sample:  []created{{id: 1 << 62, at: ago(365 * 24 * time.Hour)}, {id: 1, at: ago(365*24*time.Hour + time.Second)}},
			wantGap: maxFenceGap, wantRate: float64(1<<62 - 1), wantWindow: 365*24*time.Hour + FenceMargin,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := fenceData{maxID: tt.maxID, sample: tt.sample}
			if len(tt.sample) > 0 {
				d.newest = tt.sample[0].at
			}
			got := sizeFence(tt.f, d, now)
			if got.Gap != tt.wantGap {
				t.Errorf("gap %d, want %d", got.Gap, tt.wantGap)
			}
			if math.Abs(got.Rate-tt.wantRate) > 1e-9*max(1, tt.wantRate) {
				t.Errorf("rate %v, want %v", got.Rate, tt.wantRate)
			}
			if got.Window != tt.wantWindow {
				t.Errorf("window %v, want %v", got.Window, tt.wantWindow)
			}
			if want := tt.maxID + got.Gap + 1; got.Floor != want || got.Gap != got.Floor-got.MaxID-1 || got.MaxID != tt.maxID {
				t.Errorf("floor %d, max id %d, gap %d: want floor = max id + gap + 1 = %d", got.Floor, got.MaxID, got.Gap, want)
			}
			if got.Region != tt.f.Region {
				t.Errorf("region %q, want %q", got.Region, tt.f.Region)
			}
			for _, want := range tt.wantReason {
				if !strings.Contains(got.Reason, want) {
					t.Errorf("reason %q does not contain %q", got.Reason, want)
				}
			}
		})
	}
}

// TestSizeFenceNewestOutsideTheSample: the window runs from the newest
// create even when the rate comes from older todos (one create since the
// last fence is no rate).
func TestSizeFenceNewestOutsideTheSample(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	d := fenceData{
		maxID:  2_000_000,
		newest: now.Add(-10 * time.Second),
		sample: []created{{id: 1000, at: now.Add(-time.Hour)}, {id: 1, at: now.Add(-time.Hour - 999*time.Second)}},
	}
	got := sizeFence(Fence{Region: "b", DataLoss: true, MinGap: 1}, d, now)
	if got.Window != 70*time.Second || got.Rate != 1 || got.Gap != 700 {
		t.Errorf("window %v, rate %v, gap %d; want 70s (10 s since the newest + 60 s), 1 id/s, 700", got.Window, got.Rate, got.Gap)
	}
}

func TestFenceValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    Fence
		ok   bool
	}{
		{"planned", Fence{Region: "us-west-2"}, true},
		{"unplanned with everything", Fence{Region: "us-west-2", DataLoss: true, Lag: 1500 * time.Millisecond, MinGap: 10}, true},
		{"no region", Fence{DataLoss: true}, false},
		{"bad region", Fence{Region: "us_west_2"}, false},
		{"negative lag", Fence{Region: "b", Lag: -time.Second}, false},
		{"negative gap", Fence{Region: "b", MinGap: -1}, false},
		{"absurd gap", Fence{Region: "b", MinGap: math.MaxInt64}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f.validate()
			if (err == nil) != tt.ok {
				t.Fatalf("validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && todo.ErrorCode(err) != todo.Invalid {
				t.Errorf("code %q, want invalid", todo.ErrorCode(err))
			}
		})
	}
}

func TestValidateRegion(t *testing.T) {
	for _, tt := range []struct {
		region string
		ok     bool
	}{
		{"us-west-2", true}, {"local", true}, {"lab-a", true}, {"it-1", true}, {"a", true},
		{strings.Repeat("a", 63), true}, {strings.Repeat("a", 64), false},
		{"", false}, {"US-WEST-2", false}, {"us_west_2", false}, {"2us", false}, {"-us", false}, {"us west", false}, {"us-west-2\n", false},
	} {
		if err := ValidateRegion(tt.region); (err == nil) != tt.ok {
			t.Errorf("ValidateRegion(%q) = %v, want ok=%v", tt.region, err, tt.ok)
		}
	}
}

func TestRegionFromEnv(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"TODOMGMT_REGION first", map[string]string{"TODOMGMT_REGION": "us-east-1", "AWS_REGION": "eu-west-1"}, "us-east-1", ""},
		{"AWS_REGION in Lambda", map[string]string{"AWS_REGION": "eu-west-1"}, "eu-west-1", ""},
		{"neither: local", map[string]string{}, "local", ""},
		{"blank is unset", map[string]string{"TODOMGMT_REGION": " ", "AWS_REGION": "eu-west-1"}, "eu-west-1", ""},
		{"invalid TODOMGMT_REGION", map[string]string{"TODOMGMT_REGION": "Europe", "AWS_REGION": "eu-west-1"}, "", "TODOMGMT_REGION"},
		{"invalid AWS_REGION", map[string]string{"AWS_REGION": "eu_west_1"}, "", "AWS_REGION"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RegionFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, %v; want an error naming %s", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
