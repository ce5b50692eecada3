package lambdaemu_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/todomgmt/todomgmt/internal/lambdaemu"
)

// The test binary doubles as a Lambda function: run with
// LAMBDAEMU_TEST_FUNCTION=1 it starts the aws-lambda-go loop instead of the
// tests, so the emulator runs a real runtime client.
func TestMain(m *testing.M) {
	if os.Getenv("LAMBDAEMU_TEST_FUNCTION") == "1" {
		if msg := os.Getenv("LAMBDAEMU_TEST_INIT_FAIL"); msg != "" {
			fmt.Println("init:", msg)
			os.Exit(1)
		}
		onTerm := func() { fmt.Println("sigterm received") }
		if os.Getenv("LAMBDAEMU_TEST_IGNORE_SIGTERM") == "1" {
			// Stays running, and silent: a write to the emulator's
			// closed pipe would end it with SIGPIPE.
			onTerm = func() {}
		}
		lambda.StartWithOptions(handle, lambda.WithEnableSIGTERM(onTerm))
		return
	}
	flag.Parse()
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

type event struct {
	Say   string   `json:"say"`
	Env   []string `json:"env"`
	Fail  bool     `json:"fail"`
	Exit  bool     `json:"exit"`
	Sleep string   `json:"sleep"`
}

type reply struct {
	Said       string            `json:"said"`
	RequestID  string            `json:"requestId"`
	DeadlineMs int64             `json:"deadlineMs"`
	Env        map[string]string `json:"env"`
	PID        int               `json:"pid"`
}

func handle(ctx context.Context, e event) (reply, error) {
	switch {
	case e.Fail:
		return reply{}, errors.New("asked to fail")
	case e.Exit:
		os.Exit(3)
	case e.Sleep != "":
		d, _ := time.ParseDuration(e.Sleep)
		fmt.Printf("sleeping in process %d\n", os.Getpid())
		time.Sleep(d)
	}
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	r := reply{Said: e.Say, RequestID: lc.AwsRequestID, DeadlineMs: deadline.UnixMilli(), Env: map[string]string{}, PID: os.Getpid()}
	for _, k := range e.Env {
		if v, ok := os.LookupEnv(k); ok {
			r.Env[k] = v
		}
	}
	return r, nil
}

var (
	buildOnce sync.Once
	buildDir  string
	emuPath   string
	buildErr  error
)

// emulator builds aws-lambda-rie once for the package's tests.
func emulator(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds the emulator; skipped with -short")
	}
	if err := lambdaemu.Supported(); err != nil {
		tb.Skip(err)
	}
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "lambdaemu-test-"); buildErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		emuPath, buildErr = lambdaemu.BuildEmulator(ctx, "../..", buildDir)
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return emuPath
}

// startFunction runs this test binary as a function under the emulator.
func startFunction(tb testing.TB, cfg lambdaemu.Config) *lambdaemu.Function {
	tb.Helper()
	cfg.Emulator = emulator(tb)
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Bootstrap = self
	cfg.Env = append(cfg.Env, "LAMBDAEMU_TEST_FUNCTION=1")
	f, err := lambdaemu.Start(tb.Context(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Stop(lambdaemu.StopGrace) })
	return f
}

func invoke(tb testing.TB, f *lambdaemu.Function, payload string) lambdaemu.Response {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), time.Minute)
	defer cancel()
	r, err := f.Invoke(ctx, []byte(payload))
	if err != nil {
		tb.Fatalf("invoke %s: %v", payload, err)
	}
	return r
}

func decodeReply(tb testing.TB, r lambdaemu.Response) reply {
	tb.Helper()
	if r.Status != http.StatusOK {
		tb.Fatalf("got status %d, payload %s; want 200", r.Status, r.Payload)
	}
	if e, ok := r.FunctionError(); ok {
		tb.Fatalf("the function failed: %+v", e)
	}
	var got reply
	if err := json.Unmarshal(r.Payload, &got); err != nil {
		tb.Fatalf("payload %s: %v", r.Payload, err)
	}
	return got
}

func TestInvoke(t *testing.T) {
	const timeout = 7 * time.Second
	t.Setenv("LAMBDAEMU_TEST_CALLER_ONLY", "leaked")
	f := startFunction(t, lambdaemu.Config{Name: "echo", Timeout: timeout, Env: []string{"TODOMGMT_REGION=test-1"}})
	var pid int
	seen := map[string]bool{}
	for i, say := range []string{"hello", "again"} {
		before := time.Now()
		got := decodeReply(t, invoke(t, f, `{"say":"`+say+`","env":["AWS_LAMBDA_FUNCTION_NAME","AWS_LAMBDA_RUNTIME_API","AWS_REGION","TZ","TODOMGMT_REGION","LAMBDAEMU_TEST_CALLER_ONLY"]}`))
		after := time.Now()
		if got.Said != say {
			t.Errorf("invoke %d: said %q, want %q", i, got.Said, say)
		}
		if got.RequestID == "" || seen[got.RequestID] {
			t.Errorf("invoke %d: request id %q, want a new one", i, got.RequestID)
		}
		seen[got.RequestID] = true
		// The deadline is the invoke's start plus the function's timeout.
		deadline := time.UnixMilli(got.DeadlineMs)
		if lo, hi := before.Add(timeout-time.Second), after.Add(timeout+time.Second); deadline.Before(lo) || deadline.After(hi) {
			t.Errorf("invoke %d: deadline %s, want about %s after the invoke", i, deadline.Sub(before), timeout)
		}
		if i == 0 {
			pid = got.PID
		} else if got.PID != pid {
			t.Errorf("invoke %d ran in process %d, the first in %d: want one execution environment", i, got.PID, pid)
		}
		for k, want := range map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "echo", "AWS_REGION": "us-east-1", "TZ": ":UTC", "TODOMGMT_REGION": "test-1"} {
			if got.Env[k] != want {
				t.Errorf("%s: got %q, want %q", k, got.Env[k], want)
			}
		}
		if api := got.Env["AWS_LAMBDA_RUNTIME_API"]; !strings.HasPrefix(api, "127.0.0.1:") || api == "127.0.0.1:9001" {
			t.Errorf("AWS_LAMBDA_RUNTIME_API=%q, want 127.0.0.1 on a port of its own (not the default 9001)", api)
		}
		if v, ok := got.Env["LAMBDAEMU_TEST_CALLER_ONLY"]; ok {
			t.Errorf("the caller's environment reached the function: LAMBDAEMU_TEST_CALLER_ONLY=%q", v)
		}
	}
}

func TestFunctionError(t *testing.T) {
	f := startFunction(t, lambdaemu.Config{})
	r := invoke(t, f, `{"fail":true}`)
	e, ok := r.FunctionError()
	if r.Status != http.StatusOK || !ok || e.Message != "asked to fail" || e.Type != "errorString" {
		t.Errorf("got status %d, error %+v (%v), payload %s; want 200 with the handler's error", r.Status, e, ok, r.Payload)
	}
	// The function goes on serving after a handler error.
	if got := decodeReply(t, invoke(t, f, `{"say":"still here"}`)); got.Said != "still here" {
		t.Errorf("after an error: said %q", got.Said)
	}
}

func TestRuntimeExit(t *testing.T) {
	f := startFunction(t, lambdaemu.Config{})
	first := decodeReply(t, invoke(t, f, `{"say":"x"}`))
	r := invoke(t, f, `{"exit":true}`)
	if r.Status != http.StatusBadGateway {
		t.Errorf("a function that exits mid-invoke: got status %d, payload %s; want 502", r.Status, r.Payload)
	}
	// As in Lambda, the next invoke gets a new execution environment.
	if got := decodeReply(t, invoke(t, f, `{"say":"y"}`)); got.PID == first.PID {
		t.Errorf("after the exit the function still runs as process %d", got.PID)
	}
}

func TestTimeout(t *testing.T) {
	f := startFunction(t, lambdaemu.Config{Timeout: time.Second})
	r := invoke(t, f, `{"sleep":"5s"}`)
	if !r.TimedOut() {
		t.Errorf("got status %d, payload %q; want the emulator's timeout message", r.Status, r.Payload)
	}
	if _, ok := r.FunctionError(); ok {
		t.Errorf("a timeout read as a function error")
	}
}

func TestInitFailure(t *testing.T) {
	f := startFunction(t, lambdaemu.Config{Env: []string{"LAMBDAEMU_TEST_INIT_FAIL=bad configuration"}})
	r := invoke(t, f, `{"say":"x"}`)
	if r.Status != http.StatusBadGateway {
		t.Errorf("got status %d, payload %s; want 502", r.Status, r.Payload)
	}
	if out := f.Output(); !strings.Contains(out, "init: bad configuration") {
		t.Errorf("output lacks the function's message:\n%s", out)
	}
}

func TestStop(t *testing.T) {
	f := startFunction(t, lambdaemu.Config{})
	// One invocation first: the emulator starts the function at the
	// first invoke, and the SIGTERM handler is then surely installed.
	got := decodeReply(t, invoke(t, f, `{"say":"x"}`))
	f.Stop(lambdaemu.StopGrace)
	if out := f.Output(); !strings.Contains(out, "sigterm received") {
		t.Errorf("output after Stop lacks the SIGTERM handler's line:\n%s", out)
	}
	if err := syscall.Kill(got.PID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the function's process %d after Stop: kill -0 gave %v, want ESRCH", got.PID, err)
	}
	if _, err := f.Invoke(t.Context(), []byte(`{}`)); !errors.Is(err, lambdaemu.ErrExited) {
		t.Errorf("Invoke after Stop: got %v, want ErrExited", err)
	}
	f.Stop(lambdaemu.StopGrace) // a second Stop is harmless
}

// TestStopKillsAStuckFunction: after the grace, Stop kills the emulator
// and the function it started (in a process group of its own), here one
// busy in its handler that ignores SIGTERM.
func TestStopKillsAStuckFunction(t *testing.T) {
	f := startFunction(t, lambdaemu.Config{Env: []string{"LAMBDAEMU_TEST_IGNORE_SIGTERM=1"}})
	go f.Invoke(t.Context(), []byte(`{"sleep":"60s"}`)) //nolint:errcheck // fails when Stop kills the emulator
	var pid int
	for i := 0; pid == 0; i++ {
		if i == 300 {
			t.Fatalf("the handler did not start:\n%s", f.Output())
		}
		time.Sleep(100 * time.Millisecond)
		if _, after, ok := strings.Cut(f.Output(), "sleeping in process "); ok {
			pid, _ = strconv.Atoi(strings.Fields(after)[0])
		}
	}
	f.Stop(0)
	// Killed, the function is an orphan until init reaps it: gone or a
	// zombie soon after, not running.
	var state string
	for range 50 {
		if state = processState(pid); state == "" || state == "Z" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("the function's process %d after Stop(0): state %q, want gone or a zombie", pid, state)
}

// processState returns the state letter of /proc/<pid>/stat, "" when the
// process is gone.
func processState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// pid (comm) state ...; comm may hold spaces and parentheses.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return "?"
}

func TestTwoFunctionsAtOnce(t *testing.T) {
	a := startFunction(t, lambdaemu.Config{Name: "a"})
	b := startFunction(t, lambdaemu.Config{Name: "b"})
	if a.URL() == b.URL() {
		t.Fatalf("both functions listen on %s", a.URL())
	}
	for _, f := range []*lambdaemu.Function{a, b} {
		if got := decodeReply(t, invoke(t, f, `{"say":"hi","env":["AWS_LAMBDA_FUNCTION_NAME"]}`)); got.Said != "hi" {
			t.Errorf("%s: said %q", got.Env["AWS_LAMBDA_FUNCTION_NAME"], got.Said)
		}
	}
}

func TestStartFailure(t *testing.T) {
	emu := emulator(t)
	_, err := lambdaemu.Start(t.Context(), lambdaemu.Config{Emulator: emu + "-missing", Bootstrap: emu})
	if err == nil {
		t.Errorf("Start with a missing emulator: got no error")
	}
	if _, err := lambdaemu.Start(t.Context(), lambdaemu.Config{Emulator: emu}); err == nil || !strings.Contains(err.Error(), "bootstrap") {
		t.Errorf("Start without a bootstrap: got %v, want an error naming the bootstrap", err)
	}
}

func TestResponse(t *testing.T) {
	for _, tt := range []struct {
		name         string
		r            lambdaemu.Response
		wantErr      bool
		wantTimedOut bool
	}{
		{"response", lambdaemu.Response{Status: 200, Payload: []byte(`{"statusCode":200}`)}, false, false},
		{"function error", lambdaemu.Response{Status: 200, Payload: []byte(`{"errorMessage":"boom","errorType":"errorString"}`)}, true, false},
		{"error fields on a 502", lambdaemu.Response{Status: 502, Payload: []byte(`{"errorMessage":"boom","errorType":"errorString"}`)}, false, false},
		{"message without type", lambdaemu.Response{Status: 200, Payload: []byte(`{"errorMessage":"boom"}`)}, false, false},
		{"not JSON", lambdaemu.Response{Status: 200, Payload: []byte(`Task timed out after 3.00 seconds`)}, false, true},
		{"init failure", lambdaemu.Response{Status: 502}, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := tt.r.FunctionError(); got != tt.wantErr {
				t.Errorf("FunctionError: got %v, want %v", got, tt.wantErr)
			}
			if got := tt.r.TimedOut(); got != tt.wantTimedOut {
				t.Errorf("TimedOut: got %v, want %v", got, tt.wantTimedOut)
			}
		})
	}
}

// TestTimeoutRoundsUp: the emulator takes whole seconds.
func TestTimeoutRoundsUp(t *testing.T) {
	const timeout = 1500 * time.Millisecond
	f := startFunction(t, lambdaemu.Config{Timeout: timeout})
	got := decodeReply(t, invoke(t, f, `{"env":["AWS_LAMBDA_FUNCTION_TIMEOUT"]}`))
	if v := got.Env["AWS_LAMBDA_FUNCTION_TIMEOUT"]; v != strconv.Itoa(2) {
		t.Errorf("AWS_LAMBDA_FUNCTION_TIMEOUT for %s: got %q, want 2", timeout, v)
	}
}
