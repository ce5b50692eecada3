// Package lambdaruntime runs a Lambda function's bootstrap binary outside
// Lambda: a Server speaks the Lambda Runtime API on 127.0.0.1 (and accepts
// the Extensions API registration aws-lambda-go makes for SIGTERM), and a
// Process starts the binary against it with the environment Lambda would
// give it. Tests use it to exercise the real aws-lambda-go invoke loop; the
// benchmarks use it to measure cold starts.
//
// Only the parts of the protocol a provided.al2023 function uses are here:
// next, response, error, init error, extension register and event/next.
// See https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html.
package lambdaruntime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Headers of the Runtime API.
const (
	HeaderRequestID   = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMs  = "Lambda-Runtime-Deadline-Ms"
	HeaderFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID     = "Lambda-Runtime-Trace-Id"
	HeaderErrorType   = "Lambda-Runtime-Function-Error-Type"
)

// DefaultTimeout is the invocation deadline Invoke gives the function when
// the caller's context has none.
const DefaultTimeout = 30 * time.Second

// ErrClosed is returned by Invoke once the Server is closed.
var ErrClosed = errors.New("lambdaruntime: server closed")

// Response is what the function posted for one invocation.
type Response struct {
	// RequestID is the invocation's Lambda-Runtime-Aws-Request-Id.
	RequestID string
	// Payload is the body of the function's response, or its error
	// document when Error is true.
	Payload []byte
	// Error is true when the function posted to .../error instead of
	// .../response.
	Error bool
	// ErrorType is the Lambda-Runtime-Function-Error-Type header of an error.
	ErrorType string
}

// Server is a Runtime API endpoint on 127.0.0.1. It hands out invocations
// one at a time, in the order Invoke queues them, as Lambda does for one
// execution environment.
type Server struct {
	ln     net.Listener
	srv    *http.Server
	queue  chan *invocation
	closed chan struct{}
	seq    atomic.Int64

	mu       sync.Mutex
	pending  map[string]*invocation
	initErr  []byte
	initDone chan struct{} // closed when the function reports an init error
	once     sync.Once
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan Response
}

// NewServer listens on 127.0.0.1 on a free port and serves the Runtime API.
func NewServer() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: listen: %w", err)
	}
	s := &Server{
		ln:       ln,
		queue:    make(chan *invocation),
		closed:   make(chan struct{}),
		pending:  make(map[string]*invocation),
		initDone: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", s.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", s.respond(false))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", s.respond(true))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", s.initError)
	mux.HandleFunc("POST /2020-01-01/extension/register", s.registerExtension)
	mux.HandleFunc("GET /2020-01-01/extension/event/next", s.extensionNext)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // returns ErrServerClosed on Close
	return s, nil
}

// Addr is the host:port to put in AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server. Invocations in flight fail with ErrClosed.
func (s *Server) Close() error {
	s.once.Do(func() { close(s.closed) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}

// Invoke queues payload as the next invocation and waits for the
// function's response or error. The invocation's deadline is ctx's, or
// DefaultTimeout from now. Invoke returns an error when ctx ends first, the
// server closes, or the function reports an init error.
func (s *Server) Invoke(ctx context.Context, payload []byte) (Response, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultTimeout)
	}
	inv := &invocation{
		id:       fmt.Sprintf("8476a536-e9f4-11e8-9739-%012d", s.seq.Add(1)),
		payload:  payload,
		deadline: deadline,
		done:     make(chan Response, 1),
	}
	s.mu.Lock()
	s.pending[inv.id] = inv
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, inv.id)
		s.mu.Unlock()
	}()

	select {
	case s.queue <- inv:
	case <-ctx.Done():
		return Response{}, fmt.Errorf("lambdaruntime: the function did not ask for the next invocation: %w", ctx.Err())
	case <-s.closed:
		return Response{}, ErrClosed
	case <-s.initDone:
		return Response{}, s.initFailure()
	}
	select {
	case r := <-inv.done:
		return r, nil
	case <-ctx.Done():
		return Response{}, fmt.Errorf("lambdaruntime: no response to invocation %s: %w", inv.id, ctx.Err())
	case <-s.closed:
		return Response{}, ErrClosed
	case <-s.initDone:
		return Response{}, s.initFailure()
	}
}

func (s *Server) initFailure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Errorf("lambdaruntime: the function reported an init error: %s", s.initErr)
}

// next hands out the next invocation, long-polling like Lambda.
func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	select {
	case inv := <-s.queue:
		h := w.Header()
		h.Set(HeaderRequestID, inv.id)
		h.Set(HeaderDeadlineMs, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set(HeaderFunctionARN, "arn:aws:lambda:us-east-1:123456789012:function:local")
		h.Set(HeaderTraceID, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(inv.payload) //nolint:errcheck // the function sees a broken read and retries
	case <-r.Context().Done():
	case <-s.closed:
		http.Error(w, "server closed", http.StatusGone)
	}
}

func (s *Server) respond(isError bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id := r.PathValue("id")
		s.mu.Lock()
		inv, ok := s.pending[id]
		s.mu.Unlock()
		if !ok {
			http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
			return
		}
		resp := Response{RequestID: id, Payload: body, Error: isError}
		if isError {
			resp.ErrorType = r.Header.Get(HeaderErrorType)
			if resp.ErrorType == "" {
				resp.ErrorType = r.Trailer.Get(HeaderErrorType)
			}
		}
		select {
		case inv.done <- resp:
			w.WriteHeader(http.StatusAccepted)
		default:
			http.Error(w, `{"errorMessage":"already answered","errorType":"InvalidStateTransition"}`, http.StatusForbidden)
		}
	}
}

func (s *Server) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	first := s.initErr == nil
	if first {
		s.initErr = append([]byte{}, body...)
	}
	s.mu.Unlock()
	if first {
		close(s.initDone)
	}
	w.WriteHeader(http.StatusAccepted)
}

// registerExtension accepts the internal extension aws-lambda-go registers
// when SIGTERM handling is enabled.
func (s *Server) registerExtension(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body) //nolint:errcheck
	w.Header().Set("Lambda-Extension-Identifier", "ext-"+r.Header.Get("Lambda-Extension-Name"))
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"functionName":"local","functionVersion":"$LATEST","handler":"bootstrap"}`) //nolint:errcheck
}

// extensionNext blocks: the internal extension subscribes to no events.
func (s *Server) extensionNext(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.closed:
		http.Error(w, "server closed", http.StatusGone)
	}
}
