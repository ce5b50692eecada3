package bench_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	apievents "github.com/todomgmt/todomgmt/events"
	"github.com/todomgmt/todomgmt/internal/bench"
	"github.com/todomgmt/todomgmt/internal/bench/coldstart"
	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

func seededProxy(tb testing.TB) (bench.Proxy, *inmem.Store) {
	tb.Helper()
	store := inmem.New()
	if _, err := store.Create(context.Background(), todo.CreateRequest{Draft: apievents.Seed[0]}); err != nil {
		tb.Fatal(err)
	}
	return bench.NewProxy(store), store
}

func TestWarm(t *testing.T) {
	for _, op := range bench.Operations {
		t.Run(op.Name, func(t *testing.T) {
			proxy, store := seededProxy(t)
			before, err := store.List(t.Context(), todo.ListQuery{Limit: todo.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			got, err := bench.Warm(t.Context(), proxy, op, 3, 20)
			if err != nil {
				t.Fatal(err)
			}
			if got.Requests != 20 || got.P50 <= 0 || got.P99 < got.P50 || got.Throughput <= 0 {
				t.Errorf("got %+v, want 20 requests, 0 < p50 <= p99, throughput > 0", got)
			}
			after, err := store.List(t.Context(), todo.ListQuery{Limit: todo.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			// What each operation leaves behind says its requests did
			// what their name says.
			want := len(before.Items)
			switch op.Event {
			case "create":
				want += 23
			case "create-idempotent":
				want++ // the replays' first create; or one todo per key
				if !strings.Contains(op.Name, "replayed") {
					want += 22
				}
			case "delete":
				want = len(before.Items) // made 23, deleted them
			}
			if len(after.Items) != want {
				t.Errorf("todos afterwards: got %d, want %d", len(after.Items), want)
			}
			if op.Event == "put" {
				got, err := store.Get(t.Context(), 1)
				if err != nil {
					t.Fatal(err)
				}
				if got.Version != 24 || got.Status != todo.StatusDone {
					t.Errorf("todo 1 after the updates: got version %d status %s, want 24 done (23 updates, each If-Match the previous ETag)", got.Version, got.Status)
				}
			}
		})
	}
}

func TestWarmFailsOnUnexpectedStatus(t *testing.T) {
	proxy, store := seededProxy(t)
	store.SetDown(true)
	_, err := bench.Warm(t.Context(), proxy, bench.Operations[0], 0, 5)
	if err == nil || !strings.Contains(err.Error(), "got status 503") {
		t.Errorf("got %v, want an error naming status 503", err)
	}
}

func TestPrint(t *testing.T) {
	r := &bench.Report{
		Host: "linux/amd64, 2 CPUs, go1.26", Image: "mariadb:10.11",
		Started: time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC), Elapsed: 6*time.Minute + 30*time.Second,
		BootstrapBytes: 6_946_978,
		ColdStarts: []bench.ColdStartReport{{Name: bench.AWSModeColdStart, Samples: []coldstart.Sample{
			{Elapsed: 40 * time.Millisecond, PeakRSS: 12 << 20}, {Elapsed: 30 * time.Millisecond, PeakRSS: 11 << 20}, {Elapsed: 50 * time.Millisecond, PeakRSS: 13 << 20},
		}}},
		Connects: []bench.ConnectReport{{Name: "AWS mode: TCP, TLS", Times: []time.Duration{9 * time.Millisecond}, TLS: "TLSv1.3"}},
		Runs:     3, Requests: 100, Warmup: 10,
		Warm: []bench.OperationReport{{
			Operation: bench.Operations[0],
			Runs: []bench.OperationRun{
				{Ours: bench.Latency{P50: 1100 * time.Microsecond, P99: 4 * time.Millisecond, Throughput: 600}, Floor: bench.Latency{P50: time.Millisecond, P99: 2 * time.Millisecond, Throughput: 900}, Ratio: 1.10,
					FloorDeadline: bench.Latency{P50: 1050 * time.Microsecond}},
				{Ours: bench.Latency{P50: 1500 * time.Microsecond, P99: 5 * time.Millisecond, Throughput: 612.4}, Floor: bench.Latency{P50: time.Millisecond, P99: 3 * time.Millisecond, Throughput: 950}, Ratio: 1.50},
				{Ours: bench.Latency{P50: 1200 * time.Microsecond, P99: 6 * time.Millisecond, Throughput: 620}, Floor: bench.Latency{P50: time.Millisecond, P99: 2 * time.Millisecond, Throughput: 990}, Ratio: 1.20},
			},
			RoundTrips: bench.RoundTrips{Requests: 300, Min: 1, Max: 1, Connected: 2, ConnectedMax: 3},
		}},
	}
	var buf bytes.Buffer
	if err := r.Print(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"2026-12-06 22:00 UTC", "wall time 6m30s",
		"6,946,978 bytes (6.63 MiB); limit 8,000,000 bytes: within it (1,053,022 to spare)",
		"AWS mode, under the emulator", "40.00 ms (30.00–50.00)", "12.0 MiB (11.0–13.0)",
		"(AWS mode: TLS to MariaDB with a certificate",
		"AWS mode: TCP, TLS (TLSv1.3)", "9.00 ms",
		"3 runs × 100 requests", "GET /v1/todos/{id}", "1.200 (1.100–1.500)", "1.20 (1.10–1.50)", "≤ 1.15: NOT MET", "612 (600–620)",
		"2 of 300 requests also opened a connection", "up to 3 round trips",
		"p50 floor with a deadline", "1.050 (1.050–1.050)", "1.05 (1.05–1.05)",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, buf.String())
		}
	}
	// The AWS-mode server of its own is named; without an AWS-mode cold
	// start, nothing says how AWS mode was measured.
	r.AWSModeImage = "mariadb:10.11"
	buf.Reset()
	if err := r.Print(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "TLS to a MariaDB server of its own (mariadb:10.11)") {
		t.Errorf("the AWS-mode server's image is not named:\n%s", buf.String())
	}
	r.ColdStarts[0].Name = "local mode, under the emulator"
	buf.Reset()
	if err := r.Print(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "(AWS mode:") {
		t.Errorf("AWS mode described though not measured:\n%s", buf.String())
	}

	r.BootstrapBytes = bench.BootstrapLimit + 1
	buf.Reset()
	if err := r.Print(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "OVER IT") {
		t.Errorf("a bootstrap over the limit is not reported as such:\n%s", buf.String())
	}
}

// TestBootstrapSize builds the api function as Lambda runs it (linux/arm64,
// stripped) and fails when it exceeds the limit. A size, unlike a time, is
// deterministic for a given toolchain and go.sum.
func TestBootstrapSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the api function for linux/arm64; skipped with -short")
	}
	got, err := bench.BootstrapSize(t.Context(), "../..", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("api bootstrap, linux/arm64 stripped: %d bytes (limit %d)", got, bench.BootstrapLimit)
	if got > bench.BootstrapLimit {
		t.Errorf("the api bootstrap is %d bytes, over the limit of %d: see `go tool nm -size -sort size` of an unstripped build for what grew", got, bench.BootstrapLimit)
	}
}
