package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	apievents "github.com/todomgmt/todomgmt/events"
	"github.com/todomgmt/todomgmt/internal/lambdaemu"
	"github.com/todomgmt/todomgmt/pkg/bench"
	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// The test binary doubles as a Lambda function answering proxy events with
// the status in BENCH_TEST_STATUS, so ColdStarts can be tested without
// building handlers/api.
func TestMain(m *testing.M) {
	if os.Getenv("BENCH_TEST_EXIT") == "1" {
		os.Exit(1)
	}
	if status := os.Getenv("BENCH_TEST_STATUS"); status != "" {
		lambda.Start(func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			var code int
			fmt.Sscan(status, &code)
			return events.APIGatewayProxyResponse{StatusCode: code, Body: `{"path":"` + req.Path + `"}`}, nil
		})
		return
	}
	os.Exit(m.Run())
}

func TestColdStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the emulator; skipped with -short")
	}
	if err := lambdaemu.Supported(); err != nil {
		t.Skip(err)
	}
	emulator, err := lambdaemu.BuildEmulator(t.Context(), "../..", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	payload, err := apievents.Load("get")
	if err != nil {
		t.Fatal(err)
	}
	c := bench.ColdStart{Bootstrap: self, Env: []string{"BENCH_TEST_STATUS=200"}, Payload: payload, Status: 200}
	bare, emulated, err := bench.ColdStarts(t.Context(), emulator, c, 2)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]time.Duration{"bare": bare, "emulated": emulated} {
		if len(got) != 2 || got[0] <= 0 || got[1] <= 0 {
			t.Errorf("%s: got %v, want two positive durations", name, got)
		}
	}

	// A function answering another status is an error, either way.
	c.Env = []string{"BENCH_TEST_STATUS=503"}
	if _, err := c.Bare(t.Context()); err == nil || !strings.Contains(err.Error(), "got status 503") {
		t.Errorf("bare, function answering 503: got %v, want an error naming the status", err)
	}
	if _, err := c.Emulated(t.Context(), emulator); err == nil || !strings.Contains(err.Error(), "got status 503") {
		t.Errorf("emulated, function answering 503: got %v, want an error naming the status", err)
	}
	// So is a function that cannot start.
	c.Env = []string{"BENCH_TEST_EXIT=1"}
	if _, err := c.Bare(t.Context()); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("bare, function exiting at init: got %v, want an error saying it exited", err)
	}
	if _, err := c.Emulated(t.Context(), emulator); err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("emulated, function exiting at init: got %v, want the emulator's 502", err)
	}
}

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
			got, err := bench.Warm(t.Context(), proxy, op, 3, 20)
			if err != nil {
				t.Fatal(err)
			}
			if got.Requests != 20 || got.P50 <= 0 || got.P99 < got.P50 || got.Throughput <= 0 {
				t.Errorf("got %+v, want 20 requests, 0 < p50 <= p99, throughput > 0", got)
			}
			page, err := store.List(t.Context(), todo.ListQuery{Limit: todo.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			wantTodos := 1
			if op.Status == 201 {
				// Every create made a todo: with UniqueKey no request was
				// a replay.
				wantTodos += 23
			}
			if len(page.Items) != wantTodos {
				t.Errorf("todos afterwards: got %d, want %d", len(page.Items), wantTodos)
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
		BootstrapBytes:     13 << 20,
		EmulatedColdStarts: []time.Duration{40 * time.Millisecond, 30 * time.Millisecond, 50 * time.Millisecond},
		BareColdStarts:     []time.Duration{12 * time.Millisecond, 11 * time.Millisecond, 15 * time.Millisecond},
		Runs:               3, Requests: 100,
		Warm: []bench.OperationReport{{
			Operation: bench.Operations[0],
			Median:    bench.Latency{Requests: 100, P50: 1500 * time.Microsecond, P99: 4 * time.Millisecond, Throughput: 612.4},
		}},
	}
	var buf bytes.Buffer
	if err := r.Print(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"13.00 MiB", "under AWS's Lambda runtime interface emulator", "median 40.00 ms (min 30.00 ms, max 50.00 ms; 3 runs)", "bare Runtime API", "median 12.00 ms (min 11.00 ms, max 15.00 ms; 3 runs)", "medians of 3 runs × 100 requests", "GET /v1/todos/{id}", "1.50 ms", "4.00 ms", "612 req/s"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, buf.String())
		}
	}
}
