package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// t0 is the in-memory store's fixed clock in these tests.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123000000, time.UTC)

const testRequestID = "test-request-id"

// tagBase + n is the write tag of the n-th write to an env's store: the
// seeded todos 1, 2 and 3 are tagBase+1, +2 and +3.
const tagBase = 0x5eed0000000000a0

// etagOf is the ETag of the write with the given version and tag.
func etagOf(version int64, tag uint64) string {
	return fmt.Sprintf(`"%d-%016x"`, version, tag)
}

// env is an API handler over an in-memory store, with its logs captured.
type env struct {
	h     http.Handler
	store *inmem.Store
	logs  *syncBuffer
}

// newEnv returns an env whose store holds three todos: 1 "one" (todo),
// 2 "two" (wip), 3 "three" (done). Options adjust the Config.
func newEnv(tb testing.TB, opts ...func(*httpapi.Config)) *env {
	tb.Helper()
	e := newEmptyEnv(tb, opts...)
	seed(tb, e.store, "one", todo.StatusTodo)
	seed(tb, e.store, "two", todo.StatusWIP)
	seed(tb, e.store, "three", todo.StatusDone)
	return e
}

func newEmptyEnv(tb testing.TB, opts ...func(*httpapi.Config)) *env {
	tb.Helper()
	var tags atomic.Uint64
	store := inmem.New(inmem.WithClock(func() time.Time { return t0 }),
		inmem.WithWriteTags(func() uint64 { return tagBase + tags.Add(1) }))
	logs := &syncBuffer{}
	cfg := httpapi.Config{
		Service: store,
		Region:  "test-1",
		Logger:  slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range opts {
		o(&cfg)
	}
	return &env{h: httpapi.New(cfg), store: store, logs: logs}
}

func seed(tb testing.TB, s *inmem.Store, task string, status todo.Status) todo.Todo {
	tb.Helper()
	c, err := s.Create(tb.Context(), todo.CreateRequest{Draft: todo.Draft{Task: task, Status: status}})
	if err != nil {
		tb.Fatalf("seed %q: %v", task, err)
	}
	return c.Todo
}

// request is one HTTP request in a table.
type request struct {
	method string
	target string
	body   string
	header map[string]string
}

// do serves req and returns the recorded response. It sends
// X-Request-Id: test-request-id unless req sets that header itself.
func (e *env) do(tb testing.TB, req request) *httptest.ResponseRecorder {
	tb.Helper()
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	r := httptest.NewRequest(req.method, req.target, body)
	r.Header.Set("X-Request-Id", testRequestID)
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// errorResponse is the JSON of an error answer.
type errorResponse struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
	} `json:"error"`
}

// decodeError decodes an error body strictly, failing tb when the body is
// not exactly the documented shape.
func decodeError(tb testing.TB, w *httptest.ResponseRecorder) errorResponse {
	tb.Helper()
	var e errorResponse
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		tb.Fatalf("error body %q: %v", w.Body.String(), err)
	}
	if e.Error.Code == "" || e.Error.Message == "" || e.Error.RequestID == "" {
		tb.Fatalf("error body %q: code, message and requestId must all be set", w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		tb.Errorf("error Content-Type: got %q, want application/json", ct)
	}
	return e
}

// wantJSON compares the body of w with the JSON text want, ignoring
// formatting and key order.
func wantJSON(tb testing.TB, w *httptest.ResponseRecorder, want string) {
	tb.Helper()
	var got, wantV any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		tb.Fatalf("body %q is not JSON: %v", w.Body.String(), err)
	}
	if err := json.Unmarshal([]byte(want), &wantV); err != nil {
		tb.Fatalf("bad want JSON %q: %v", want, err)
	}
	if diff := cmp.Diff(wantV, got); diff != "" {
		tb.Errorf("body (-want +got):\n%s", diff)
	}
}

// todoJSON is the JSON of a todo created and last updated at t0.
func todoJSON(id int64, task string, status todo.Status, version int64) string {
	ts := t0.Format(time.RFC3339Nano)
	return fmt.Sprintf(`{"id":%d,"task":%q,"status":%q,"createdAt":%q,"updatedAt":%q,"version":%d}`,
		id, task, status, ts, ts, version)
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// jsonStrict decodes data into v, refusing unknown fields.
func jsonStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
