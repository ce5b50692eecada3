// Package coldstart measures the cold start of a Lambda function's
// bootstrap: it starts the binary cold, under AWS's Lambda runtime
// interface emulator (internal/lambdaemu) or against a bare Runtime API
// with nothing else in the path, times it to its first answer, and reads
// its peak resident set size from Linux's /proc. Package bench reports
// the figures.
package coldstart

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/todomgmt/todomgmt/internal/lambdaemu"
)

// Start is one cold start to measure: a bootstrap binary, its
// environment, the payload of its first invocation, and the API Gateway
// proxy status its response must have.
type Start struct {
	Bootstrap string
	Env       []string
	Payload   []byte
	Status    int
}

// timeout bounds one cold start.
const timeout = time.Minute

// Sample is one cold start.
type Sample struct {
	// Elapsed is the time to the function's response.
	Elapsed time.Duration
	// PeakRSS is the bootstrap's peak resident set size (VmHWM) once it
	// had answered, in bytes.
	PeakRSS int64
}

// Emulated starts the bootstrap under AWS's Lambda runtime interface
// emulator (the binary at emulator), sends the payload, and returns the
// time from the emulator's process start to the function's response: the
// emulator's start, its start of the bootstrap at the first invoke (as
// Lambda starts a function on a cold start), the bootstrap's init (main's
// wiring, pools, handler), the first connection and query, and the invoke
// round trip.
func (c Start) Emulated(ctx context.Context, emulator string) (Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	f, err := lambdaemu.Start(ctx, lambdaemu.Config{Emulator: emulator, Bootstrap: c.Bootstrap, Env: c.Env})
	if err != nil {
		return Sample{}, err
	}
	// The environment is thrown away after one invocation; its shutdown
	// is not part of a cold start.
	defer f.Stop(0)
	r, err := f.Invoke(ctx, c.Payload)
	elapsed := time.Since(f.Started())
	if err != nil {
		return Sample{}, err
	}
	if e, ok := r.FunctionError(); ok {
		return Sample{}, fmt.Errorf("the function failed: %s: %s", e.Type, e.Message)
	}
	if r.Status != http.StatusOK || r.TimedOut() {
		return Sample{}, fmt.Errorf("the emulator answered %d: %s; output:\n%s", r.Status, r.Payload, f.Output())
	}
	if err := c.check(r.Payload); err != nil {
		return Sample{}, fmt.Errorf("%w; output:\n%s", err, f.Output())
	}
	s := Sample{Elapsed: elapsed}
	bootstrap, err := filepath.Abs(c.Bootstrap)
	if err != nil {
		return Sample{}, err
	}
	pid, err := childRunning(bootstrap, emulator)
	if err == nil {
		s.PeakRSS, err = peakRSS(pid)
	}
	if err != nil {
		return Sample{}, fmt.Errorf("peak RSS of the bootstrap: %w", err)
	}
	return s, nil
}

// Bare starts the bootstrap against a bare Runtime API (bareRuntime),
// sends the payload, and returns the time from the bootstrap's process
// start to its response: the bootstrap's own cold start, without an
// emulator in the path.
func (c Start) Bare(ctx context.Context) (Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rt, err := newBareRuntime(c.Payload)
	if err != nil {
		return Sample{}, err
	}
	defer rt.close()
	cmd := exec.Command(c.Bootstrap)
	cmd.Dir = filepath.Dir(c.Bootstrap)
	cmd.Env = append([]string{
		"AWS_LAMBDA_RUNTIME_API=" + rt.addr(),
		"AWS_LAMBDA_FUNCTION_NAME=" + filepath.Base(cmd.Dir),
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_REGION=" + lambdaemu.DefaultRegion,
		"TZ=:UTC",
	}, c.Env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Sample{}, fmt.Errorf("start %s: %w", c.Bootstrap, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()

	var answer bareAnswer
	select {
	case answer = <-rt.answer:
	case err := <-exited:
		exited <- err // for the deferred wait
		return Sample{}, fmt.Errorf("the function exited (%v) before it answered; output:\n%s", err, out.String())
	case <-ctx.Done():
		return Sample{}, fmt.Errorf("no answer: %w", ctx.Err())
	}
	elapsed := time.Since(start)
	rss, rssErr := peakRSS(cmd.Process.Pid)
	if answer.kind != "response" {
		return Sample{}, fmt.Errorf("the function posted %s: %s", answer.kind, answer.body)
	}
	if err := c.check(answer.body); err != nil {
		return Sample{}, err
	}
	if rssErr != nil {
		return Sample{}, fmt.Errorf("peak RSS of the bootstrap: %w", rssErr)
	}
	return Sample{Elapsed: elapsed, PeakRSS: rss}, nil
}

// check decodes payload as an API Gateway proxy response with c.Status.
func (c Start) check(payload []byte) error {
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		return fmt.Errorf("response %s: %w", payload, err)
	}
	if resp.StatusCode != c.Status {
		return fmt.Errorf("got status %d, want %d; body %s", resp.StatusCode, c.Status, resp.Body)
	}
	return nil
}

// Case is one way a cold start is measured.
type Case struct {
	// Name is how the report shows it.
	Name string
	Start
	// Emulated runs it under the emulator; otherwise against the bare
	// Runtime API.
	Emulated bool
}

// Measure measures n cold starts of each case, one of each in turn so
// that a change in the machine's load weighs on all alike, and returns
// each case's samples.
func Measure(ctx context.Context, emulator string, n int, cases ...Case) ([][]Sample, error) {
	out := make([][]Sample, len(cases))
	for i := range n {
		for j, c := range cases {
			var s Sample
			var err error
			if c.Emulated {
				s, err = c.Start.Emulated(ctx, emulator)
			} else {
				s, err = c.Bare(ctx)
			}
			if err != nil {
				return out, fmt.Errorf("cold start %d, %s: %w", i+1, c.Name, err)
			}
			out[j] = append(out[j], s)
		}
	}
	return out, nil
}

// bareRuntime is the least of the Lambda Runtime API that lets a
// provided.al2023 bootstrap answer one invocation: the next invocation,
// its response or error, an init error, and the registration of the
// internal extension aws-lambda-go makes for SIGTERM (its event/next
// blocks). It exists for one figure, the bootstrap's cold start with
// nothing but the protocol in the path, kept beside the emulator's figure
// so that a change in either shows. The functions themselves are tested
// under AWS's emulator (internal/lambdaemu), not against this.
// See https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html.
type bareRuntime struct {
	ln     net.Listener
	srv    *http.Server
	answer chan bareAnswer
	closed chan struct{}
	once   sync.Once // the one invocation is handed out once
}

// bareAnswer is what the function posted: kind is "response", "error" or
// "init error".
type bareAnswer struct {
	kind string
	body []byte
}

const bareRequestID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"

func newBareRuntime(payload []byte) (*bareRuntime, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bare runtime: listen: %w", err)
	}
	rt := &bareRuntime{ln: ln, answer: make(chan bareAnswer, 1), closed: make(chan struct{})}
	post := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			select {
			case rt.answer <- bareAnswer{kind, body}:
			default:
			}
			w.WriteHeader(http.StatusAccepted)
		}
	}
	block := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-rt.closed:
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		served := false
		rt.once.Do(func() {
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", bareRequestID)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(timeout).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
			h.Set("Content-Type", "application/json")
			w.Write(payload) //nolint:errcheck // the function sees a broken read
			served = true
		})
		if !served {
			block(w, r) // one invocation only
		}
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", post("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", post("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", post("init error"))
	mux.HandleFunc("POST /2020-01-01/extension/register", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Lambda-Extension-Identifier", "bench-"+r.Header.Get("Lambda-Extension-Name"))
		io.WriteString(w, `{"functionName":"bench","functionVersion":"$LATEST","handler":"bootstrap"}`) //nolint:errcheck
	})
	mux.HandleFunc("GET /2020-01-01/extension/event/next", block)
	rt.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go rt.srv.Serve(ln) //nolint:errcheck // returns ErrServerClosed on close
	return rt, nil
}

func (rt *bareRuntime) addr() string { return rt.ln.Addr().String() }

func (rt *bareRuntime) close() {
	close(rt.closed)
	_ = rt.srv.Close()
}
