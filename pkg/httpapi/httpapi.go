// Package httpapi is the ToDoMgmt REST API over net/http: the routes of
// README.md#the-api (the contract: docs/api.md), JSON in and out, OAuth
// scope checks, request ids, per-request deadlines, and the one mapping
// from error codes to HTTP statuses.
//
// The handler is the same everywhere: behind API Gateway through
// aws-lambda-go-api-proxy (handlers/api), on loopback in `mage local` and in
// the lab. Only Config differs.
package httpapi

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"time"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// The OAuth scopes the API checks (resource server "api" in Cognito).
const (
	// ScopeRead allows the GET routes.
	ScopeRead = "api/read"
	// ScopeUpsertDelete allows every route, writes included.
	ScopeUpsertDelete = "api/upsert-delete"
)

// RegionHeader names the region that served a response. Every response
// carries it (when Config.Region is set), so a client behind the front door
// (and the failover's verifying write) can tell which region answered.
const RegionHeader = "X-Todomgmt-Region"

// Limits and defaults of the API.
const (
	// MaxBodyBytes is the largest request body accepted; larger ones get 413.
	MaxBodyBytes = 16 << 10
	// DefaultRequestTimeout is the per-request deadline when
	// Config.RequestTimeout is zero: well under API Gateway's 29 s, so a
	// database that does not answer becomes a 503 from us, not a 504 from it.
	DefaultRequestTimeout = 8 * time.Second
	// RetryAfterSeconds is the Retry-After sent with 503 responses.
	RetryAfterSeconds = 1
)

// Config configures the API handler.
type Config struct {
	// Service stores the todos. It must not be nil.
	Service todo.Service
	// Checker reports database health for GET /v1/health. When nil and
	// Service implements todo.Checker, Service is used.
	Checker todo.Checker
	// Region is the region name reported by GET /v1/health.
	Region string
	// Logger receives one line per failed request (internal causes
	// included, with the request id). Nil discards logs.
	Logger *slog.Logger
	// RequestTimeout bounds each request, database calls included. Zero
	// means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Scopes returns the OAuth scopes granted to the caller. When it is nil
	// or reports ok == false, scopes are not checked (a local run without
	// API Gateway). Under API Gateway, handlers/api supplies it from the
	// authorizer's claims, as defence in depth behind the authorizer.
	Scopes func(*http.Request) (scopes []string, ok bool)
	// RequestID returns the id of a request (API Gateway's request id).
	// When it is nil or returns "", a valid X-Request-Id header is used,
	// else a random id is generated. The id is echoed as X-Request-Id and
	// appears in error bodies and logs.
	RequestID func(*http.Request) string
}

// server holds what the handlers share.
type server struct {
	svc       todo.Service
	checker   todo.Checker
	region    string
	log       *slog.Logger
	timeout   time.Duration
	scopes    func(*http.Request) ([]string, bool)
	requestID func(*http.Request) string
}

// New returns the API handler. It panics if cfg.Service is nil, as
// http.Handle does for a nil handler: that is a wiring mistake, not a
// runtime condition.
func New(cfg Config) http.Handler {
	if cfg.Service == nil {
		panic("httpapi: Config.Service is nil")
	}
	s := &server{
		svc:       cfg.Service,
		checker:   cfg.Checker,
		region:    cfg.Region,
		log:       cfg.Logger,
		timeout:   cfg.RequestTimeout,
		scopes:    cfg.Scopes,
		requestID: cfg.RequestID,
	}
	if s.checker == nil {
		if c, ok := cfg.Service.(todo.Checker); ok {
			s.checker = c
		} else {
			s.checker = noChecker{}
		}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.timeout <= 0 {
		s.timeout = DefaultRequestTimeout
	}
	return s.routes()
}

// idFor returns the request id of r: the configured source, else a valid
// X-Request-Id header, else a new random id.
func (s *server) idFor(r *http.Request) string {
	if s.requestID != nil {
		if id := s.requestID(r); id != "" {
			return id
		}
	}
	if id := r.Header.Get("X-Request-Id"); validRequestID(id) {
		return id
	}
	return rand.Text()
}

// validRequestID accepts 1 to 128 printable ASCII characters, so that a
// client's id cannot inject anything into headers or logs.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// noChecker is the Checker of a Service that cannot report its health.
type noChecker struct{}

func (noChecker) Health(ctx context.Context) (todo.Health, error) {
	return todo.Health{}, todo.Errorf(todo.Internal, "no health checker configured")
}
