package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// routes is the whole API, top to bottom. Each route names the access it
// needs; the wrapper (serve) checks it, sets the deadline and renders errors.
func (s *server) routes() http.Handler {
	rt := &router{s: s, mux: http.NewServeMux(), methods: map[string][]string{}, notFound: s.serve(public, notFound)}

	// The resource API.
	rt.handle("GET /v1/todos", read, s.listTodos)
	rt.handle("POST /v1/todos", write, s.createTodo)
	rt.handle("GET /v1/todos/{id}", read, s.getTodo)
	rt.handle("PUT /v1/todos/{id}", write, s.putTodo)
	rt.handle("DELETE /v1/todos/{id}", write, s.deleteTodo)

	// The original sample's contract: GET /v1?id=N (or a list without id),
	// POST /v1 creates or, with "id" in the body, updates, DELETE /v1 with
	// {"id": N}. Real status codes and plain JSON.
	rt.handle("GET /v1", read, s.sampleGet)
	rt.handle("POST /v1", write, s.samplePost)
	rt.handle("DELETE /v1", write, s.sampleDelete)

	// Health never needs a scope: API Gateway exposes it without auth.
	rt.handle("GET /v1/health", public, s.health)

	// Everything else: 405 with Allow on the paths above, 404 elsewhere.
	rt.methodNotAllowed()
	rt.mux.Handle("/", rt.notFound)

	return rt
}

// access is what a route requires of the caller's OAuth scopes.
type access int

const (
	public access = iota // no scope
	read                 // ScopeRead or ScopeUpsertDelete
	write                // ScopeUpsertDelete
)

// allowedBy reports whether the granted scopes give access a.
func (a access) allowedBy(granted []string) bool {
	switch a {
	case public:
		return true
	case read:
		return slices.Contains(granted, ScopeRead) || slices.Contains(granted, ScopeUpsertDelete)
	default:
		return slices.Contains(granted, ScopeUpsertDelete)
	}
}

// handlerFunc is an API handler: it writes a response on success and
// returns an error otherwise, which the wrapper renders.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// router registers routes on a ServeMux and remembers each path's methods
// for the 405 responses.
type router struct {
	s        *server
	mux      *http.ServeMux
	paths    []string
	methods  map[string][]string
	notFound http.Handler // the 404 answer, built once
}

func (rt *router) handle(pattern string, a access, h handlerFunc) {
	method, p, _ := strings.Cut(pattern, " ")
	if _, seen := rt.methods[p]; !seen {
		rt.paths = append(rt.paths, p)
	}
	rt.methods[p] = append(rt.methods[p], method)
	if method == http.MethodGet {
		rt.methods[p] = append(rt.methods[p], http.MethodHead) // GET patterns match HEAD too
	}
	rt.mux.Handle(pattern, rt.s.serve(a, h))
}

// methodNotAllowed registers, for every path seen, a method-less pattern
// that answers 405 with the Allow header. The method-specific patterns are
// more specific and win, so this only sees the other methods.
func (rt *router) methodNotAllowed() {
	for _, p := range rt.paths {
		allow := strings.Join(rt.methods[p], ", ")
		rt.mux.Handle(p, rt.s.serve(public, func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Allow", allow)
			return &todo.Error{Code: codeMethodNotAllowed, Message: fmt.Sprintf("method %s is not allowed here; allowed: %s", r.Method, allow)}
		}))
	}
}

// ServeHTTP answers paths that are not in canonical form (double slashes,
// dot segments, a trailing slash) with 404 rather than ServeMux's redirect:
// a client of this API never needs one, and a redirect is not JSON.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; p == "" || path.Clean(p) != p {
		rt.notFound.ServeHTTP(w, r)
		return
	}
	rt.mux.ServeHTTP(w, r)
}

func notFound(w http.ResponseWriter, r *http.Request) error {
	return todo.Errorf(todo.NotFound, "no route for %s %s", r.Method, r.URL.Path)
}

// serve wraps h: request id, scope check, deadline, panic recovery, and
// the rendering of h's error.
func (s *server) serve(a access, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := s.idFor(r)
		w.Header().Set("X-Request-Id", id)
		w.Header().Set("Cache-Control", "no-store")
		if s.region != "" {
			w.Header().Set(RegionHeader, s.region)
		}
		rec := &statusRecorder{ResponseWriter: w}

		ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
		defer cancel()
		r = r.WithContext(ctx)

		err := s.call(a, h, rec, r)
		if err == nil {
			return
		}
		if rec.status != 0 {
			// Only a panic after a write gets here; the response is gone.
			s.logError(r, id, rec.status, err, time.Since(start))
			return
		}
		status := s.writeError(rec, id, err)
		s.logError(r, id, status, err, time.Since(start))
	})
}

// call checks the scopes and runs h, turning a panic into an Internal error.
func (s *server) call(a access, h handlerFunc, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = todo.Wrap(fmt.Errorf("panic: %v\n%s", p, debug.Stack()), todo.Internal, "")
		}
	}()
	if a != public && s.scopes != nil {
		if granted, ok := s.scopes(r); ok && !a.allowedBy(granted) {
			need := ScopeUpsertDelete
			if a == read {
				need = ScopeRead + " or " + ScopeUpsertDelete
			}
			return todo.Errorf(codeForbidden, "this request needs the scope %s", need)
		}
	}
	return h(w, r)
}

// statusRecorder remembers the status written, so the wrapper knows whether
// a response already went out.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
