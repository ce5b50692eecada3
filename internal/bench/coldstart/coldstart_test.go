package coldstart_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	apievents "github.com/todomgmt/todomgmt/events"
	"github.com/todomgmt/todomgmt/internal/bench/coldstart"
	"github.com/todomgmt/todomgmt/internal/lambdaemu"
)

// The test binary doubles as a Lambda function answering proxy events with
// the status in COLDSTART_TEST_STATUS, so Measure can be tested without
// building handlers/api.
func TestMain(m *testing.M) {
	if os.Getenv("COLDSTART_TEST_EXIT") == "1" {
		os.Exit(1)
	}
	if status := os.Getenv("COLDSTART_TEST_STATUS"); status != "" {
		lambda.Start(func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			var code int
			fmt.Sscan(status, &code)
			return events.APIGatewayProxyResponse{StatusCode: code, Body: `{"path":"` + req.Path + `"}`}, nil
		})
		return
	}
	os.Exit(m.Run())
}

func TestMeasure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the emulator; skipped with -short")
	}
	if err := lambdaemu.Supported(); err != nil {
		t.Skip(err)
	}
	emulator, err := lambdaemu.BuildEmulator(t.Context(), "../../..", t.TempDir())
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
	c := coldstart.Start{Bootstrap: self, Env: []string{"COLDSTART_TEST_STATUS=200"}, Payload: payload, Status: 200}
	got, err := coldstart.Measure(t.Context(), emulator, 2,
		coldstart.Case{Name: "emulated", Start: c, Emulated: true},
		coldstart.Case{Name: "bare", Start: c})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d cases, want 2", len(got))
	}
	for i, samples := range got {
		if len(samples) != 2 {
			t.Errorf("case %d: got %d samples, want 2", i, len(samples))
		}
		for _, s := range samples {
			// A Go binary's resident set is at least a megabyte and, for
			// this one, far below a gigabyte.
			if s.Elapsed <= 0 || s.PeakRSS < 1<<20 || s.PeakRSS > 1<<30 {
				t.Errorf("case %d: got %+v, want a positive time and a peak RSS of a few MiB", i, s)
			}
		}
	}

	// A function answering another status is an error, either way.
	c.Env = []string{"COLDSTART_TEST_STATUS=503"}
	if _, err := c.Bare(t.Context()); err == nil || !strings.Contains(err.Error(), "got status 503") {
		t.Errorf("bare, function answering 503: got %v, want an error naming the status", err)
	}
	if _, err := c.Emulated(t.Context(), emulator); err == nil || !strings.Contains(err.Error(), "got status 503") {
		t.Errorf("emulated, function answering 503: got %v, want an error naming the status", err)
	}
	// So is a function that cannot start.
	c.Env = []string{"COLDSTART_TEST_EXIT=1"}
	if _, err := c.Bare(t.Context()); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("bare, function exiting at init: got %v, want an error saying it exited", err)
	}
	if _, err := c.Emulated(t.Context(), emulator); err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("emulated, function exiting at init: got %v, want the emulator's 502", err)
	}
}
