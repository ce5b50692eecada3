// Package lambdaemu runs the project's Lambda functions under AWS's Lambda
// runtime interface emulator (aws-lambda-rie, a tool dependency in go.mod):
// it builds the emulator and the bootstrap binaries, starts the emulator on
// 127.0.0.1 with a bootstrap as a provided.al2023 function, invokes it over
// the emulator's HTTP endpoint and stops it.
//
// The emulator is AWS's implementation of the Runtime API and the
// Extensions API, so what the function sees is what Lambda gives it: the
// aws-lambda-go invoke loop, the invocation deadline
// (AWS_LAMBDA_FUNCTION_TIMEOUT), function errors, an init failure retried
// at the first invoke, SIGTERM at shutdown. It does not emulate API Gateway
// (the payloads are the proxy events themselves), authorizers, IAM, VPC
// networking, memory limits or Lambda's orchestration (concurrency,
// freezing between invokes). See
// https://github.com/aws/aws-lambda-runtime-interface-emulator#level-of-support.
//
// The emulator and Lambda bootstraps are Linux binaries: Supported says
// whether this host can run them.
package lambdaemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
)

// EmulatorPackage is the emulator's main package; go.mod pins its version.
const EmulatorPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// FunctionName is the one function the emulator serves: its invoke
// endpoint is Lambda's Invoke API path for a function of that name, so an
// SDK Lambda client pointed at Endpoint invokes it by this name.
const FunctionName = "function"

// invokePath is the emulator's invoke endpoint (Lambda's Invoke API path,
// POST /2015-03-31/functions/{FunctionName}/invocations).
const invokePath = "/2015-03-31/functions/" + FunctionName + "/invocations"

// Defaults of Config.
const (
	DefaultTimeout  = 30 * time.Second
	DefaultMemoryMB = 128
	DefaultRegion   = "us-east-1"
)

// ErrUnsupportedHost is returned on a host that cannot run Linux binaries.
var ErrUnsupportedHost = errors.New("lambdaemu: the emulator and Lambda bootstraps are Linux binaries")

// Supported returns nil when this host can run the emulator and the
// bootstraps, else an error wrapping ErrUnsupportedHost.
func Supported() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("%w; this host is %s", ErrUnsupportedHost, runtime.GOOS)
	}
	return nil
}

// BuildEmulator builds aws-lambda-rie, at the version go.mod pins, into
// dir, running go in moduleRoot, and returns the binary's path.
func BuildEmulator(ctx context.Context, moduleRoot, dir string) (string, error) {
	if err := Supported(); err != nil {
		return "", err
	}
	out, err := filepath.Abs(filepath.Join(dir, "aws-lambda-rie"))
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, EmulatorPackage)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the Lambda runtime interface emulator: %w\n%s", err, msg)
	}
	return out, nil
}

// BuildBootstrap builds fn as pkg/lambdabuild builds it for Lambda (static,
// lambda.norpc, stripped), but for this host's architecture, into
// dir/<fn.Name>/bootstrap, and returns the binary's path.
func BuildBootstrap(ctx context.Context, moduleRoot string, fn lambdabuild.Function, dir string) (string, error) {
	if err := Supported(); err != nil {
		return "", err
	}
	return lambdabuild.Build(ctx, moduleRoot, fn, dir, runtime.GOARCH)
}

// Config describes one function under the emulator.
type Config struct {
	// Emulator is the path of aws-lambda-rie (BuildEmulator).
	Emulator string
	// Bootstrap is the path of the function's binary.
	Bootstrap string
	// Name is AWS_LAMBDA_FUNCTION_NAME; "" means the name of the
	// bootstrap's folder.
	Name string
	// Timeout is the function's timeout, AWS_LAMBDA_FUNCTION_TIMEOUT, in
	// whole seconds (rounded up); 0 means DefaultTimeout.
	Timeout time.Duration
	// MemoryMB is AWS_LAMBDA_FUNCTION_MEMORY_SIZE; 0 means
	// DefaultMemoryMB. The emulator does not enforce it.
	MemoryMB int
	// Region is AWS_REGION and AWS_DEFAULT_REGION; "" means DefaultRegion.
	Region string
	// Env is the function's environment (KEY=value), as the template's
	// Environment.Variables would set it. It wins over the variables
	// above. Nothing else of the caller's environment reaches the
	// function: the emulator passes its whole environment on, and it gets
	// only these.
	Env []string
}

// environment is the emulator's environment, which it hands to the
// function with the Runtime API's variables added.
func (c Config) environment() []string {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	secs := int64((timeout + time.Second - 1) / time.Second)
	mem := c.MemoryMB
	if mem <= 0 {
		mem = DefaultMemoryMB
	}
	region := c.Region
	if region == "" {
		region = DefaultRegion
	}
	name := functionName(c)
	return append([]string{
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.FormatInt(secs, 10),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(mem),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"TZ=:UTC",
	}, c.Env...)
}

// functionName is c.Name, or the name of the bootstrap's folder.
func functionName(c Config) string {
	if c.Name != "" {
		return c.Name
	}
	return filepath.Base(filepath.Dir(c.Bootstrap))
}

// maxOutput bounds the output a Function keeps.
const maxOutput = 4 << 20

// startAttempts bounds the starts tried when a port picked as free was
// taken before the emulator could listen on it.
const startAttempts = 3

// readyTimeout bounds the wait for the emulator to accept connections.
const readyTimeout = 30 * time.Second

// Function is a function running under the emulator: one execution
// environment, which serves one invocation at a time.
type Function struct {
	name    string
	cmd     *exec.Cmd
	addr    string
	out     *lockedBuffer
	exited  chan struct{}
	waitErr error
	started time.Time
	client  *http.Client
	stop    sync.Once
}

// Start starts the emulator with cfg.Bootstrap on free ports of 127.0.0.1
// and returns once its invoke endpoint accepts connections. The emulator
// starts the bootstrap at the first invoke, as Lambda does on a cold
// start. The emulator's and the function's output are kept (Output).
//
// The emulator is not bound to ctx beyond the start: call Stop.
func Start(ctx context.Context, cfg Config) (*Function, error) {
	if err := Supported(); err != nil {
		return nil, err
	}
	for _, p := range []struct{ what, path string }{{"emulator", cfg.Emulator}, {"bootstrap", cfg.Bootstrap}} {
		if p.path == "" {
			return nil, fmt.Errorf("lambdaemu: no %s path", p.what)
		}
	}
	var last error
	for range startAttempts {
		f, err := start(ctx, cfg)
		if err == nil {
			return f, nil
		}
		last = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return nil, last
}

var errPortTaken = errors.New("port taken")

func start(ctx context.Context, cfg Config) (*Function, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	addr, runtimeAPI := "127.0.0.1:"+ports[0], "127.0.0.1:"+ports[1]
	bootstrap, err := filepath.Abs(cfg.Bootstrap)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(cfg.Emulator,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", runtimeAPI,
		bootstrap)
	// The function's working directory, like /var/task in Lambda.
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = cfg.environment()
	cmd.SysProcAttr = sysProcAttr()
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// The function inherits the emulator's output pipe: without a bound,
	// Wait would also wait for a function that outlives the emulator.
	cmd.WaitDelay = time.Second
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f := &Function{
		name:   functionName(cfg),
		cmd:    cmd,
		addr:   addr,
		out:    out,
		exited: make(chan struct{}),
		// No client timeout: the caller's context and the function's
		// timeout bound an invoke.
		client: &http.Client{Transport: &http.Transport{}},
	}
	f.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("lambdaemu: start %s: %w", cfg.Emulator, err)
	}
	go func() {
		f.waitErr = cmd.Wait()
		close(f.exited)
	}()
	if err := f.awaitReady(ctx); err != nil {
		f.Stop(time.Second)
		if strings.Contains(f.Output(), "address already in use") {
			return nil, fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return nil, err
	}
	return f, nil
}

// awaitReady waits until the invoke endpoint accepts connections, the
// emulator exits, or ctx or readyTimeout ends.
func (f *Function) awaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", f.addr)
		if err == nil {
			c.Close()
			return nil
		}
		// Short pauses: the wait is part of a measured cold start.
		select {
		case <-f.exited:
			return fmt.Errorf("lambdaemu: the emulator exited (%v) before it listened on %s; output:\n%s", f.waitErr, f.addr, f.Output())
		case <-ctx.Done():
			return fmt.Errorf("lambdaemu: the emulator does not listen on %s: %w; output:\n%s", f.addr, ctx.Err(), f.Output())
		case <-time.After(time.Millisecond):
		}
	}
}

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment
// ago. The emulator cannot pick its own: it gives the function the
// Runtime API address as configured, so port 0 would reach the function.
func freePorts(n int) ([]string, error) {
	var ports []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("lambdaemu: find a free port: %w", err)
		}
		defer ln.Close()
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	return ports, nil
}

// URL is the emulator's invoke endpoint.
func (f *Function) URL() string { return f.Endpoint() + invokePath }

// Endpoint is the emulator's base URL: an SDK Lambda client with it as
// BaseEndpoint invokes the function as FunctionName (Invoke,
// RequestResponse). The emulator drops the X-Amz-Function-Error header
// Lambda sets on a failed invocation (see Response.FunctionError).
func (f *Function) Endpoint() string { return "http://" + f.addr }

// Started is when the emulator process was started.
func (f *Function) Started() time.Time { return f.started }

// Output returns what the emulator and the function wrote to stdout and
// stderr so far (at most the first 4 MiB).
func (f *Function) Output() string { return f.out.String() }

// Response is the emulator's answer to one invoke.
type Response struct {
	// Status is the HTTP status of the emulator's answer: 200 for the
	// function's response and for its error document; 502 when the
	// function could not be initialized or its runtime failed.
	Status int
	// Payload is the function's response, its error document, or the
	// emulator's message.
	Payload []byte
}

// FunctionError is the error document aws-lambda-go posts when the
// handler returns an error or panics.
type FunctionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

// FunctionError returns the error document of a failed invocation. The
// emulator drops the X-Amz-Function-Error header Lambda sets, so a failed
// invocation is told by its payload: a JSON object with errorMessage and
// errorType (a response of that shape from a handler would look the same;
// no function here returns one).
func (r Response) FunctionError() (FunctionError, bool) {
	var e FunctionError
	if r.Status != http.StatusOK || json.Unmarshal(r.Payload, &e) != nil || e.Message == "" || e.Type == "" {
		return FunctionError{}, false
	}
	return e, true
}

// TimedOut reports whether the invocation ran past the function's
// timeout: the emulator then answers "Task timed out after N.00 seconds".
func (r Response) TimedOut() bool {
	return bytes.HasPrefix(r.Payload, []byte("Task timed out after "))
}

// ErrExited is wrapped by Invoke's error when the emulator is not running.
var ErrExited = errors.New("lambdaemu: the emulator is not running")

// Invoke sends payload to the function and waits for the emulator's
// answer. It returns an error when ctx ends first, or when the emulator
// exits or stops (wrapping ErrExited) before it answers.
func (f *Function) Invoke(ctx context.Context, payload []byte) (Response, error) {
	select {
	case <-f.exited:
		return Response{}, fmt.Errorf("%w (%v)", ErrExited, f.waitErr)
	default:
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-f.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL(), bytes.NewReader(payload))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.client.Do(req)
	if err == nil {
		defer resp.Body.Close()
		var body []byte
		if body, err = io.ReadAll(resp.Body); err == nil {
			return Response{Status: resp.StatusCode, Payload: body}, nil
		}
	}
	select {
	case <-f.exited:
		return Response{}, fmt.Errorf("%w: it exited (%v) before it answered; output:\n%s", ErrExited, f.waitErr, f.Output())
	default:
	}
	return Response{}, fmt.Errorf("lambdaemu: invoke %s: %w", f.name, err)
}

// StopGrace is a grace for Stop that leaves the emulator time to do what
// Lambda does at shutdown: SIGTERM to the function, SIGKILL 2 s later if
// it is still running.
const StopGrace = 5 * time.Second

// Stop ends the execution environment: SIGTERM to the emulator, which
// sends SIGTERM to the function and shuts down; after grace, SIGKILL to
// the function and the emulator. It returns once the emulator has exited,
// and is safe to call more than once.
func (f *Function) Stop(grace time.Duration) {
	f.stop.Do(func() {
		select {
		case <-f.exited:
			return
		default:
		}
		_ = f.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-f.exited:
			return
		case <-time.After(grace):
		}
		// The emulator started the function in a process group of its
		// own: a SIGKILL to the emulator alone would leave it running.
		killChildren(f.cmd.Process.Pid)
		_ = f.cmd.Process.Kill()
		<-f.exited
	})
	f.client.CloseIdleConnections()
}

// lockedBuffer is a size-bounded buffer safe for concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := maxOutput - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
