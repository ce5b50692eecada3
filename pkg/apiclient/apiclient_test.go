package apiclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// The client against the real server: pkg/httpapi's handler over the
// in-memory store, on loopback. Every call of the client runs here, and
// every body the server sends is decoded strictly into the client's wire
// type and compared with what that type encodes back: a field the server
// adds, drops, renames or retypes fails these tests, as does a header the
// client reads under another name.

const (
	region = "test-1"
	token  = "tok-1"
)

// recorder keeps the body of the last answer the client read.
type recorder struct {
	mu   sync.Mutex
	last []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.last = b
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func (r *recorder) body() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// staticToken is a TokenSource with one token.
type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

type server struct {
	store *inmem.Store
	url   string
	rec   *recorder
}

// newServer serves the real API. Its scope check stands in for API
// Gateway's authorizer: the bearer token tok-1 grants every scope, any
// other caller none (403 forbidden on every route but health).
func newServer(tb testing.TB) *server {
	tb.Helper()
	store := inmem.New()
	h := httpapi.New(httpapi.Config{
		Service: store,
		Region:  region,
		Scopes: func(r *http.Request) ([]string, bool) {
			if r.Header.Get("Authorization") == "Bearer "+token {
				return []string{httpapi.ScopeRead, httpapi.ScopeUpsertDelete}, true
			}
			return nil, true
		},
	})
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &server{store: store, url: srv.URL, rec: &recorder{}}
}

func (s *server) client() *apiclient.Client {
	return &apiclient.Client{BaseURL: s.url, HTTP: &http.Client{Transport: s.rec}, Tokens: staticToken(token)}
}

// strict decodes the last answer's body into a T, refusing fields T does
// not have, and checks that T encodes back to the same JSON: the client's
// type holds exactly what the server sent.
func strict[T any](tb testing.TB, s *server) T {
	tb.Helper()
	raw := s.rec.body()
	var v T
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("the server's body %s does not fit %T: %v", raw, v, err)
	}
	back, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(raw, &want); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(back, &got); err != nil {
		tb.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		tb.Fatalf("%T does not carry what the server sent (-server +client):\n%s", v, diff)
	}
	return v
}

// wantError checks that err is the API's error with status and code, and
// that the error body fits ErrorBody exactly.
func wantError(tb testing.TB, s *server, err error, status int, code todo.Code) {
	tb.Helper()
	e := wantStatus(tb, err, status, code)
	body := strict[apiclient.ErrorBody](tb, s)
	if body.Error.Code != code || body.Error.Message == "" || e.Message != body.Error.Message || e.RequestID == "" || e.RequestID != body.Error.RequestID {
		tb.Fatalf("error %+v from body %+v, want its code, message and request id", e, body)
	}
}

// wantStatus checks that err is the API's error with status and code,
// from this region.
func wantStatus(tb testing.TB, err error, status int, code todo.Code) *apiclient.Error {
	tb.Helper()
	var e *apiclient.Error
	if !errors.As(err, &e) {
		tb.Fatalf("error %v (%T), want an *apiclient.Error", err, err)
	}
	if e.Status != status || e.Code != code || apiclient.ErrorCode(err) != code || apiclient.StatusOf(err) != status {
		tb.Fatalf("error %d %q, want %d %q", e.Status, e.Code, status, code)
	}
	if e.Region != region {
		tb.Fatalf("error answer from region %q, want %s (%s)", e.Region, region, apiclient.RegionHeader)
	}
	return e
}

func TestHeadersAreTheServers(t *testing.T) {
	if apiclient.RegionHeader != httpapi.RegionHeader {
		t.Errorf("RegionHeader %q, the server sends %q", apiclient.RegionHeader, httpapi.RegionHeader)
	}
}

func TestEveryCallAgainstTheServer(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	c := s.client()

	h, r, err := c.Health(ctx)
	if err != nil || h.Region != region || h.Role != todo.RoleActive || !h.DB.Reachable || r.Region != region {
		t.Fatalf("Health = %+v, %+v, %v; want %s active", h, r, err, region)
	}
	strict[apiclient.Health](t, s)

	created, r, err := c.Create(ctx, apiclient.NewTodo{Task: "write the client"}, "key-1")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if created.ID == 0 || created.Task != "write the client" || created.Status != todo.StatusTodo || created.Version != 1 || created.CreatedAt.IsZero() {
		t.Errorf("created %+v, want todo 1 at version 1", created)
	}
	if r.Status != http.StatusCreated || r.ETag == "" || r.RequestID == "" || r.Region != region || r.Replayed {
		t.Errorf("create answer %+v, want 201 with an ETag, a request id and the region", r)
	}
	if got := strict[apiclient.Todo](t, s); got != created {
		t.Errorf("Create returned %+v, the body holds %+v", created, got)
	}
	etag := r.ETag

	again, r, err := c.Create(ctx, apiclient.NewTodo{Task: "write the client"}, "key-1")
	if err != nil || again != created || !r.Replayed || r.ETag != etag {
		t.Errorf("replay = %+v, %+v, %v; want the same todo, replayed, same ETag", again, r, err)
	}
	_, _, err = c.Create(ctx, apiclient.NewTodo{Task: "another task"}, "key-1")
	wantError(t, s, err, http.StatusConflict, todo.Conflict)

	got, r, err := c.Get(ctx, created.ID, "")
	if err != nil || got != created || r.ETag != etag {
		t.Errorf("Get = %+v, %+v, %v; want the created todo and its ETag", got, r, err)
	}
	strict[apiclient.Todo](t, s)
	got, r, err = c.Get(ctx, created.ID, etag)
	if err != nil || !r.NotModified() || got != (apiclient.Todo{}) {
		t.Errorf("Get with If-None-Match = %+v, %+v, %v; want 304", got, r, err)
	}

	wip := todo.StatusWIP
	second, _, err := c.Create(ctx, apiclient.NewTodo{Task: "second", Status: wip}, "")
	if err != nil || second.Status != wip {
		t.Fatalf("Create with a status = %+v, %v", second, err)
	}
	page, _, err := c.List(ctx, apiclient.ListQuery{Limit: 1})
	if err != nil || len(page.Items) != 1 || page.Items[0] != created || page.NextCursor == "" {
		t.Fatalf("List(limit 1) = %+v, %v; want the first todo and a cursor", page, err)
	}
	strict[apiclient.Page](t, s)
	page, _, err = c.List(ctx, apiclient.ListQuery{Limit: 1, Cursor: page.NextCursor})
	if err != nil || len(page.Items) != 1 || page.Items[0] != second || page.NextCursor != "" {
		t.Errorf("List(after the cursor) = %+v, %v; want the second todo, the last page", page, err)
	}
	strict[apiclient.Page](t, s)
	page, _, err = c.List(ctx, apiclient.ListQuery{Status: wip})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != second.ID {
		t.Errorf("List(status wip) = %+v, %v; want the second todo", page, err)
	}
	_, _, err = c.List(ctx, apiclient.ListQuery{Limit: todo.MaxLimit + 1})
	wantError(t, s, err, http.StatusBadRequest, todo.Invalid)

	done, task := todo.StatusDone, "rewritten"
	updated, r, err := c.Update(ctx, created.ID, apiclient.Change{Task: &task, Status: &done}, etag)
	if err != nil || updated.Version != 2 || updated.Status != done || updated.Task != task || r.ETag == "" || r.ETag == etag {
		t.Fatalf("Update = %+v, %+v, %v; want version 2 with a new ETag", updated, r, err)
	}
	current := r.ETag
	strict[apiclient.Todo](t, s)
	_, _, err = c.Update(ctx, created.ID, apiclient.Change{Status: &wip}, etag)
	wantError(t, s, err, http.StatusPreconditionFailed, todo.PreconditionFailed)
	if only, _, err := c.Update(ctx, second.ID, apiclient.Change{Status: &done}, ""); err != nil || only.Task != "second" || only.Status != done {
		t.Errorf("unconditional Update of the status alone = %+v, %v; want the task kept", only, err)
	}

	_, err = c.Delete(ctx, created.ID, etag)
	wantError(t, s, err, http.StatusPreconditionFailed, todo.PreconditionFailed)
	if r, err := c.Delete(ctx, created.ID, current); err != nil || r.Status != http.StatusNoContent {
		t.Errorf("Delete with the current ETag = %+v, %v; want 204", r, err)
	}
	_, _, err = c.Get(ctx, created.ID, "")
	wantError(t, s, err, http.StatusNotFound, todo.NotFound)

	_, _, err = c.Create(ctx, apiclient.NewTodo{Task: ""}, "")
	wantError(t, s, err, http.StatusBadRequest, todo.Invalid)
}

func TestPassiveAndDownRegions(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	c := s.client()
	s.store.SetPassive(true)
	h, _, err := c.Health(ctx)
	if err != nil || h.Role != todo.RolePassive {
		t.Errorf("Health of a passive region = %+v, %v; want role passive", h, err)
	}
	_, r, err := c.Create(ctx, apiclient.NewTodo{Task: "refused"}, "key-p")
	wantError(t, s, err, http.StatusServiceUnavailable, todo.RegionPassive)
	if r.Status != http.StatusServiceUnavailable {
		t.Errorf("the Response of an error answer has status %d, want 503", r.Status)
	}
	if _, err := c.VerifyWrite(ctx); apiclient.ErrorCode(err) != todo.RegionPassive || !strings.Contains(err.Error(), "region_passive") {
		t.Errorf("VerifyWrite in a passive region: %v, want 503 region_passive", err)
	}

	s.store.SetDown(true)
	h, r, err = c.Health(ctx)
	wantStatus(t, err, http.StatusServiceUnavailable, todo.Unavailable)
	if h.Region != region || h.Role != "" || h.Error == nil || h.Error.Code != todo.Unavailable || r.Status != http.StatusServiceUnavailable {
		t.Errorf("Health of a region whose database is down = %+v, %+v; want its region and error, no role", h, r)
	}
	strict[apiclient.Health](t, s)
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	c := s.client()
	c.Tokens = nil
	_, _, err := c.List(ctx, apiclient.ListQuery{})
	wantError(t, s, err, http.StatusForbidden, "forbidden")
	if _, _, err := c.Health(ctx); err != nil {
		t.Errorf("Health without a token: %v, want none needed", err)
	}
	c.Tokens = failingToken{}
	if _, _, err := c.List(ctx, apiclient.ListQuery{}); err == nil || !strings.Contains(err.Error(), "no token today") {
		t.Errorf("List with a failing token source: %v, want its error", err)
	}
	if _, _, err := c.Health(ctx); err != nil {
		t.Errorf("Health with a failing token source: %v, want no token asked for", err)
	}
}

type failingToken struct{}

func (failingToken) Token(context.Context) (string, error) { return "", errors.New("no token today") }

func TestVerifyWrite(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	v, err := s.client().VerifyWrite(ctx)
	if err != nil || v.Region != region || v.ID == 0 || v.ETag == "" {
		t.Fatalf("VerifyWrite = %+v, %v; want a write served by %s", v, err, region)
	}
	got, err := s.store.Get(ctx, v.ID)
	if err != nil || got.Task != v.Task {
		t.Errorf("the store holds %+v, %v; want the verified write %q", got, err, v.Task)
	}
}
