package lambdaruntime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/todomgmt/todomgmt/pkg/lambdaruntime"
)

// The test binary doubles as a Lambda function: run with
// LAMBDARUNTIME_TEST_FUNCTION=1 it starts the aws-lambda-go loop instead of
// the tests, so the real runtime client talks to the Server.
func TestMain(m *testing.M) {
	if os.Getenv("LAMBDARUNTIME_TEST_FUNCTION") == "1" {
		lambda.StartWithOptions(handle, lambda.WithEnableSIGTERM(func() { fmt.Println("sigterm received") }))
		return
	}
	os.Exit(m.Run())
}

type event struct {
	Say   string `json:"say"`
	Fail  bool   `json:"fail"`
	Exit  bool   `json:"exit"`
	Sleep string `json:"sleep"`
}

type reply struct {
	Said       string `json:"said"`
	RequestID  string `json:"requestId"`
	DeadlineMs int64  `json:"deadlineMs"`
}

func handle(ctx context.Context, e event) (reply, error) {
	switch {
	case e.Fail:
		return reply{}, errors.New("asked to fail")
	case e.Exit:
		os.Exit(3)
	case e.Sleep != "":
		d, _ := time.ParseDuration(e.Sleep)
		time.Sleep(d)
	}
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	return reply{Said: e.Say, RequestID: lc.AwsRequestID, DeadlineMs: deadline.UnixMilli()}, nil
}

func startFunction(tb testing.TB) (*lambdaruntime.Server, *lambdaruntime.Process) {
	tb.Helper()
	srv, err := lambdaruntime.NewServer()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	p, err := lambdaruntime.Start(tb.Context(), srv, self, []string{"LAMBDARUNTIME_TEST_FUNCTION=1"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Stop(200 * time.Millisecond) })
	return srv, p
}

func TestInvoke(t *testing.T) {
	_, p := startFunction(t)
	for i, say := range []string{"hello", "again"} {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		deadline, _ := ctx.Deadline()
		r, err := p.Invoke(ctx, []byte(`{"say":"`+say+`"}`))
		cancel()
		if err != nil {
			t.Fatalf("invoke %d: %v", i, err)
		}
		if r.Error {
			t.Fatalf("invoke %d: got an error response %s", i, r.Payload)
		}
		var got reply
		if err := json.Unmarshal(r.Payload, &got); err != nil {
			t.Fatalf("invoke %d: payload %s: %v", i, r.Payload, err)
		}
		want := reply{Said: say, RequestID: r.RequestID, DeadlineMs: deadline.UnixMilli()}
		if got != want {
			t.Errorf("invoke %d: got %+v, want %+v", i, got, want)
		}
	}
}

func TestInvokeError(t *testing.T) {
	_, p := startFunction(t)
	r, err := p.Invoke(t.Context(), []byte(`{"fail":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Error || !strings.Contains(string(r.Payload), "asked to fail") {
		t.Errorf("got error %v, payload %s; want an error response with the message", r.Error, r.Payload)
	}
	// The function goes on serving after a handler error.
	if r, err := p.Invoke(t.Context(), []byte(`{"say":"still here"}`)); err != nil || r.Error {
		t.Errorf("invoke after an error: got %s, %v; want a response", r.Payload, err)
	}
}

func TestInvokeWhenTheFunctionExits(t *testing.T) {
	_, p := startFunction(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := p.Invoke(ctx, []byte(`{"exit":true}`))
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("got %v, want an error saying the function exited", err)
	}
	if ctx.Err() != nil {
		t.Errorf("Invoke waited for the context instead of noticing the exit")
	}
}

func TestInvokeTimeout(t *testing.T) {
	_, p := startFunction(t)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := p.Invoke(ctx, []byte(`{"sleep":"2s"}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
}

func TestStopSendsSIGTERM(t *testing.T) {
	_, p := startFunction(t)
	// One invocation first, so the SIGTERM handler is surely installed.
	if _, err := p.Invoke(t.Context(), []byte(`{"say":"x"}`)); err != nil {
		t.Fatal(err)
	}
	p.Stop(2 * time.Second)
	if out := p.Output(); !strings.Contains(out, "sigterm received") {
		t.Errorf("output after Stop: %q; want the SIGTERM handler's line", out)
	}
}

func TestClosedServer(t *testing.T) {
	srv, err := lambdaruntime.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if _, err := srv.Invoke(t.Context(), []byte(`{}`)); !errors.Is(err, lambdaruntime.ErrClosed) {
		t.Errorf("Invoke after Close: got %v, want ErrClosed", err)
	}
}
