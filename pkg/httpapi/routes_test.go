package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// TestRoutes runs every route once or more against a store seeded with
// todos 1 "one" (todo), 2 "two" (wip), 3 "three" (done).
func TestRoutes(t *testing.T) {
	cursor2 := todo.EncodeCursor(2)
	for _, tt := range []struct {
		name       string
		req        request
		empty      bool // start from an empty store
		wantStatus int
		wantHeader map[string]string
		wantBody   string                                 // JSON; "" means no body
		check      func(t *testing.T, store *inmem.Store) // state afterwards
	}{
		// GET /v1/todos
		{
			name:       "list",
			req:        request{method: "GET", target: "/v1/todos"},
			wantStatus: 200,
			wantBody:   `{"items":[` + todoJSON(1, "one", "todo", 1) + `,` + todoJSON(2, "two", "wip", 1) + `,` + todoJSON(3, "three", "done", 1) + `]}`,
		},
		{
			name:       "list empty store",
			empty:      true,
			req:        request{method: "GET", target: "/v1/todos"},
			wantStatus: 200,
			wantBody:   `{"items":[]}`,
		},
		{
			name:       "list first page",
			req:        request{method: "GET", target: "/v1/todos?limit=2"},
			wantStatus: 200,
			wantBody:   `{"items":[` + todoJSON(1, "one", "todo", 1) + `,` + todoJSON(2, "two", "wip", 1) + `],"nextCursor":"` + cursor2 + `"}`,
		},
		{
			name:       "list next page",
			req:        request{method: "GET", target: "/v1/todos?limit=2&cursor=" + cursor2},
			wantStatus: 200,
			wantBody:   `{"items":[` + todoJSON(3, "three", "done", 1) + `]}`,
		},
		{
			name:       "list empty cursor is the first page",
			req:        request{method: "GET", target: "/v1/todos?limit=1&cursor="},
			wantStatus: 200,
			wantBody:   `{"items":[` + todoJSON(1, "one", "todo", 1) + `],"nextCursor":"` + todo.EncodeCursor(1) + `"}`,
		},
		{
			name:       "list by status",
			req:        request{method: "GET", target: "/v1/todos?status=wip"},
			wantStatus: 200,
			wantBody:   `{"items":[` + todoJSON(2, "two", "wip", 1) + `]}`,
		},
		{
			name:       "list ignores unknown parameters",
			req:        request{method: "GET", target: "/v1/todos?status=done&utm=x"},
			wantStatus: 200,
			wantBody:   `{"items":[` + todoJSON(3, "three", "done", 1) + `]}`,
		},

		// POST /v1/todos
		{
			name:       "create",
			req:        request{method: "POST", target: "/v1/todos", body: `{"task":"four"}`},
			wantStatus: 201,
			wantHeader: map[string]string{"Location": "todos/4", "ETag": etagOf(1, tagBase+4), "Content-Type": "application/json", "Idempotent-Replayed": ""},
			wantBody:   todoJSON(4, "four", "todo", 1),
		},
		{
			name:       "create with status and JSON content type",
			req:        request{method: "POST", target: "/v1/todos", body: `{"task":"four","status":"wip"}`, header: map[string]string{"Content-Type": "application/json; charset=utf-8"}},
			wantStatus: 201,
			wantBody:   todoJSON(4, "four", "wip", 1),
		},
		{
			name:       "create with unicode task of 200 characters",
			req:        request{method: "POST", target: "/v1/todos", body: `{"task":"` + strings.Repeat("é", 200) + `"}`},
			wantStatus: 201,
			wantBody:   todoJSON(4, strings.Repeat("é", 200), "todo", 1),
		},

		// GET /v1/todos/{id}
		{
			name:       "get",
			req:        request{method: "GET", target: "/v1/todos/2"},
			wantStatus: 200,
			wantHeader: map[string]string{"ETag": etagOf(1, tagBase+2), "Cache-Control": "no-store", "X-Request-Id": testRequestID, httpapi.RegionHeader: "test-1"},
			wantBody:   todoJSON(2, "two", "wip", 1),
		},
		{
			name:       "get absent",
			req:        request{method: "GET", target: "/v1/todos/9"},
			wantStatus: 404,
			wantBody:   `{"error":{"code":"not_found","message":"todo 9 not found","requestId":"` + testRequestID + `"}}`,
		},
		{
			name:       "get not modified",
			req:        request{method: "GET", target: "/v1/todos/2", header: map[string]string{"If-None-Match": etagOf(1, tagBase+2)}},
			wantStatus: 304,
			wantHeader: map[string]string{"ETag": etagOf(1, tagBase+2)},
		},
		{
			name:       "get not modified, weak tag in a list",
			req:        request{method: "GET", target: "/v1/todos/2", header: map[string]string{"If-None-Match": `"7-0000000000000001", W/` + etagOf(1, tagBase+2)}},
			wantStatus: 304,
		},
		{
			name:       "get not modified, star",
			req:        request{method: "GET", target: "/v1/todos/2", header: map[string]string{"If-None-Match": `*`}},
			wantStatus: 304,
		},
		{
			name:       "get modified",
			req:        request{method: "GET", target: "/v1/todos/2", header: map[string]string{"If-None-Match": etagOf(2, tagBase+2)}},
			wantStatus: 200,
			wantBody:   todoJSON(2, "two", "wip", 1),
		},
		{
			name:       "get modified: same version, another write's tag",
			req:        request{method: "GET", target: "/v1/todos/2", header: map[string]string{"If-None-Match": etagOf(1, tagBase+1)}},
			wantStatus: 200,
			wantBody:   todoJSON(2, "two", "wip", 1),
		},
		{
			name:       "get modified: the old bare version names no write",
			req:        request{method: "GET", target: "/v1/todos/2", header: map[string]string{"If-None-Match": `"1"`}},
			wantStatus: 200,
			wantBody:   todoJSON(2, "two", "wip", 1),
		},

		// PUT /v1/todos/{id}
		{
			name:       "put status",
			req:        request{method: "PUT", target: "/v1/todos/1", body: `{"status":"done"}`},
			wantStatus: 200,
			wantHeader: map[string]string{"ETag": etagOf(2, tagBase+4)},
			wantBody:   todoJSON(1, "one", "done", 2),
		},
		{
			name:       "put task and status with current If-Match",
			req:        request{method: "PUT", target: "/v1/todos/1", body: `{"task":"uno","status":"wip"}`, header: map[string]string{"If-Match": etagOf(1, tagBase+1)}},
			wantStatus: 200,
			wantBody:   todoJSON(1, "uno", "wip", 2),
		},
		{
			name:       "put with If-Match star",
			req:        request{method: "PUT", target: "/v1/todos/1", body: `{"task":"uno"}`, header: map[string]string{"If-Match": `*`}},
			wantStatus: 200,
			wantBody:   todoJSON(1, "uno", "todo", 2),
		},
		{
			name:       "put stale",
			req:        request{method: "PUT", target: "/v1/todos/1", body: `{"task":"late"}`, header: map[string]string{"If-Match": etagOf(5, tagBase+1)}},
			wantStatus: 412,
			wantBody:   `{"error":{"code":"precondition_failed","message":"todo 1 is at version 1","requestId":"` + testRequestID + `"}}`,
			check:      wantTask(1, "one"),
		},
		{
			// A write lost in a failover had version 1 too, but another tag.
			name:       "put with a lost write's ETag: same version, another tag",
			req:        request{method: "PUT", target: "/v1/todos/1", body: `{"task":"late"}`, header: map[string]string{"If-Match": etagOf(1, tagBase+9)}},
			wantStatus: 412,
			wantBody:   `{"error":{"code":"precondition_failed","message":"todo 1 is at version 1, but of another write than the one the condition names","requestId":"` + testRequestID + `"}}`,
			check:      wantTask(1, "one"),
		},
		{
			name:       "put with the old bare version: names no write",
			req:        request{method: "PUT", target: "/v1/todos/1", body: `{"task":"late"}`, header: map[string]string{"If-Match": `"1"`}},
			wantStatus: 412,
			check:      wantTask(1, "one"),
		},
		{
			name:       "put absent with If-Match",
			req:        request{method: "PUT", target: "/v1/todos/9", body: `{"task":"x"}`, header: map[string]string{"If-Match": etagOf(1, tagBase+1)}},
			wantStatus: 404,
		},
		{
			name:       "put absent",
			req:        request{method: "PUT", target: "/v1/todos/9", body: `{"task":"x"}`},
			wantStatus: 404,
		},

		// DELETE /v1/todos/{id}
		{
			name:       "delete",
			req:        request{method: "DELETE", target: "/v1/todos/1"},
			wantStatus: 204,
			check:      wantGone(1),
		},
		{
			name:       "delete with current If-Match",
			req:        request{method: "DELETE", target: "/v1/todos/1", header: map[string]string{"If-Match": etagOf(1, tagBase+1)}},
			wantStatus: 204,
			check:      wantGone(1),
		},
		{
			name:       "delete stale",
			req:        request{method: "DELETE", target: "/v1/todos/1", header: map[string]string{"If-Match": etagOf(2, tagBase+1)}},
			wantStatus: 412,
			check:      wantTask(1, "one"),
		},
		{
			name:       "delete with another todo's ETag",
			req:        request{method: "DELETE", target: "/v1/todos/1", header: map[string]string{"If-Match": etagOf(1, tagBase+2)}},
			wantStatus: 412,
			check:      wantTask(1, "one"),
		},
		{
			name:       "delete with the old bare version: names no write",
			req:        request{method: "DELETE", target: "/v1/todos/1", header: map[string]string{"If-Match": `"1"`}},
			wantStatus: 412,
			check:      wantTask(1, "one"),
		},
		{
			name:       "delete absent",
			req:        request{method: "DELETE", target: "/v1/todos/9"},
			wantStatus: 404,
		},

		// The sample's contract on /v1.
		{
			name:       "sample get by id",
			req:        request{method: "GET", target: "/v1?id=3"},
			wantStatus: 200,
			wantHeader: map[string]string{"ETag": etagOf(1, tagBase+3)},
			wantBody:   todoJSON(3, "three", "done", 1),
		},
		{
			name:       "sample get absent",
			req:        request{method: "GET", target: "/v1?id=9"},
			wantStatus: 404,
		},
		{
			name:       "sample list",
			req:        request{method: "GET", target: "/v1?limit=1&status=done"},
			wantStatus: 200,
			wantBody:   `{"items":[` + todoJSON(3, "three", "done", 1) + `]}`,
		},
		{
			name:       "sample create",
			req:        request{method: "POST", target: "/v1", body: `{"task":"four","status":"wip"}`},
			wantStatus: 201,
			wantHeader: map[string]string{"Location": "v1/todos/4", "ETag": etagOf(1, tagBase+4)},
			wantBody:   todoJSON(4, "four", "wip", 1),
		},
		{
			name:       "sample create with null id",
			req:        request{method: "POST", target: "/v1", body: `{"id":null,"task":"four"}`},
			wantStatus: 400,
		},
		{
			name:       "sample create with null status takes the default",
			req:        request{method: "POST", target: "/v1", body: `{"task":"four","status":null}`},
			wantStatus: 201,
			wantBody:   todoJSON(4, "four", "todo", 1),
		},
		{
			name:       "sample update with numeric id",
			req:        request{method: "POST", target: "/v1", body: `{"id":1,"task":"uno"}`},
			wantStatus: 200,
			wantHeader: map[string]string{"ETag": etagOf(2, tagBase+4)},
			wantBody:   todoJSON(1, "uno", "todo", 2),
		},
		{
			name:       "sample update with string id and If-Match",
			req:        request{method: "POST", target: "/v1", body: `{"id":"2","status":"done"}`, header: map[string]string{"If-Match": etagOf(1, tagBase+2)}},
			wantStatus: 200,
			wantBody:   todoJSON(2, "two", "done", 2),
		},
		{
			name:       "sample update stale",
			req:        request{method: "POST", target: "/v1", body: `{"id":"2","status":"done"}`, header: map[string]string{"If-Match": etagOf(3, tagBase+2)}},
			wantStatus: 412,
		},
		{
			name:       "sample update absent",
			req:        request{method: "POST", target: "/v1", body: `{"id":9,"task":"x"}`},
			wantStatus: 404,
		},
		{
			name:       "sample delete with numeric id",
			req:        request{method: "DELETE", target: "/v1", body: `{"id":1}`},
			wantStatus: 204,
			check:      wantGone(1),
		},
		{
			name:       "sample delete with string id",
			req:        request{method: "DELETE", target: "/v1", body: `{"id":"2"}`},
			wantStatus: 204,
			check:      wantGone(2),
		},
		{
			name:       "sample delete absent",
			req:        request{method: "DELETE", target: "/v1", body: `{"id":9}`},
			wantStatus: 404,
		},

		// What is not a route.
		{
			name:       "method not allowed on a todo",
			req:        request{method: "PATCH", target: "/v1/todos/1"},
			wantStatus: 405,
			wantHeader: map[string]string{"Allow": "GET, HEAD, PUT, DELETE"},
			wantBody:   `{"error":{"code":"method_not_allowed","message":"method PATCH is not allowed here; allowed: GET, HEAD, PUT, DELETE","requestId":"` + testRequestID + `"}}`,
		},
		{
			name:       "method not allowed on the collection",
			req:        request{method: "DELETE", target: "/v1/todos"},
			wantStatus: 405,
			wantHeader: map[string]string{"Allow": "GET, HEAD, POST"},
		},
		{
			name:       "method not allowed on health",
			req:        request{method: "POST", target: "/v1/health"},
			wantStatus: 405,
			wantHeader: map[string]string{"Allow": "GET, HEAD"},
		},
		{
			name:       "method not allowed on the sample",
			req:        request{method: "PUT", target: "/v1"},
			wantStatus: 405,
			wantHeader: map[string]string{"Allow": "GET, HEAD, POST, DELETE"},
		},
		{
			name:       "unknown path",
			req:        request{method: "GET", target: "/v2/todos"},
			wantStatus: 404,
			wantBody:   `{"error":{"code":"not_found","message":"no route for GET /v2/todos","requestId":"` + testRequestID + `"}}`,
		},
		{
			name:       "root",
			req:        request{method: "GET", target: "/"},
			wantStatus: 404,
		},
		{
			name:       "trailing slash is not redirected",
			req:        request{method: "GET", target: "/v1/todos/"},
			wantStatus: 404,
		},
		{
			name:       "dot segments are not redirected",
			req:        request{method: "GET", target: "/v1/todos/../health"},
			wantStatus: 404,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.empty {
				e = newEmptyEnv(t)
			}
			w := e.do(t, tt.req)
			if w.Code != tt.wantStatus {
				t.Fatalf("%s %s: got status %d, want %d; body %s", tt.req.method, tt.req.target, w.Code, tt.wantStatus, w.Body)
			}
			for k, want := range tt.wantHeader {
				if got := w.Header().Get(k); got != want {
					t.Errorf("header %s: got %q, want %q", k, got, want)
				}
			}
			switch {
			case tt.wantBody != "":
				wantJSON(t, w, tt.wantBody)
			case w.Code >= 400:
				decodeError(t, w)
			case w.Code == 204 || w.Code == 304:
				if w.Body.Len() != 0 {
					t.Errorf("body: got %q, want none", w.Body)
				}
			}
			if tt.check != nil {
				tt.check(t, e.store)
			}
		})
	}
}

func wantGone(id int64) func(*testing.T, *inmem.Store) {
	return func(t *testing.T, s *inmem.Store) {
		t.Helper()
		if _, err := s.Get(context.Background(), id); todo.ErrorCode(err) != todo.NotFound {
			t.Errorf("todo %d afterwards: got %v, want not found", id, err)
		}
	}
}

func wantTask(id int64, task string) func(*testing.T, *inmem.Store) {
	return func(t *testing.T, s *inmem.Store) {
		t.Helper()
		got, err := s.Get(context.Background(), id)
		if err != nil || got.Task != task || got.Version != 1 {
			t.Errorf("todo %d afterwards: got %+v, %v; want task %q at version 1", id, got, err, task)
		}
	}
}

func TestIdempotentCreate(t *testing.T) {
	for _, path := range []string{"/v1/todos", "/v1"} {
		t.Run(path, func(t *testing.T) {
			e := newEmptyEnv(t)
			key := map[string]string{"Idempotency-Key": "k-123"}
			first := e.do(t, request{method: "POST", target: path, body: `{"task":"once"}`, header: key})
			if first.Code != 201 || first.Header().Get("Idempotent-Replayed") != "" {
				t.Fatalf("first: got %d, Idempotent-Replayed %q; want 201 and no header", first.Code, first.Header().Get("Idempotent-Replayed"))
			}
			// Change the todo: the replay still answers the first response.
			if w := e.do(t, request{method: "PUT", target: "/v1/todos/1", body: `{"task":"changed"}`}); w.Code != 200 {
				t.Fatalf("put: got %d, want 200", w.Code)
			}
			again := e.do(t, request{method: "POST", target: path, body: `{"task":"once","status":"todo"}`, header: key})
			if again.Code != 201 {
				t.Fatalf("replay: got %d, want 201; body %s", again.Code, again.Body)
			}
			if got := again.Header().Get("Idempotent-Replayed"); got != "true" {
				t.Errorf("replay Idempotent-Replayed: got %q, want true", got)
			}
			if got, want := again.Body.String(), first.Body.String(); got != want {
				t.Errorf("replay body: got %s, want the first body %s", got, want)
			}
			for _, h := range []string{"Location", "ETag"} {
				if got, want := again.Header().Get(h), first.Header().Get(h); got != want {
					t.Errorf("replay %s: got %q, want %q", h, got, want)
				}
			}

			other := e.do(t, request{method: "POST", target: path, body: `{"task":"different"}`, header: key})
			if other.Code != 409 || decodeError(t, other).Error.Code != "conflict" {
				t.Errorf("same key, other body: got %d %s, want 409 conflict", other.Code, other.Body)
			}
			list := e.do(t, request{method: "GET", target: "/v1/todos"})
			if n := strings.Count(list.Body.String(), `"id":`); n != 1 {
				t.Errorf("todos after replay and conflict: got %d, want 1", n)
			}
		})
	}
}

func TestPassiveRegion(t *testing.T) {
	e := newEnv(t)
	e.store.SetPassive(true)
	for _, tt := range []struct {
		req        request
		wantStatus int
	}{
		{request{method: "GET", target: "/v1/todos"}, 200},
		{request{method: "GET", target: "/v1/todos/1"}, 200},
		{request{method: "GET", target: "/v1?id=1"}, 200},
		{request{method: "GET", target: "/v1"}, 200},
		{request{method: "POST", target: "/v1/todos", body: `{"task":"x"}`}, 503},
		{request{method: "POST", target: "/v1/todos", body: `{"task":"x"}`, header: map[string]string{"Idempotency-Key": "k"}}, 503},
		{request{method: "PUT", target: "/v1/todos/1", body: `{"task":"x"}`}, 503},
		{request{method: "DELETE", target: "/v1/todos/1"}, 503},
		{request{method: "POST", target: "/v1", body: `{"task":"x"}`}, 503},
		{request{method: "POST", target: "/v1", body: `{"id":1,"task":"x"}`}, 503},
		{request{method: "DELETE", target: "/v1", body: `{"id":1}`}, 503},
	} {
		t.Run(tt.req.method+" "+tt.req.target, func(t *testing.T) {
			w := e.do(t, tt.req)
			if w.Code != tt.wantStatus {
				t.Fatalf("got %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			if w.Code != 503 {
				return
			}
			if got := decodeError(t, w).Error.Code; got != "region_passive" {
				t.Errorf("code: got %q, want region_passive", got)
			}
			if got := w.Header().Get("Retry-After"); got != "1" {
				t.Errorf("Retry-After: got %q, want 1", got)
			}
		})
	}
	// A write that is invalid anyway is a 400, passive or not.
	if w := e.do(t, request{method: "POST", target: "/v1/todos", body: `{"task":""}`}); w.Code != 400 {
		t.Errorf("invalid write while passive: got %d, want 400", w.Code)
	}
}

func TestHealth(t *testing.T) {
	type body struct {
		Region string `json:"region"`
		Role   string `json:"role"`
		DB     struct {
			Reachable bool     `json:"reachable"`
			LatencyMs *float64 `json:"latencyMs"`
		} `json:"db"`
		Error *struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"requestId"`
		} `json:"error"`
	}
	for _, tt := range []struct {
		name           string
		passive, down  bool
		wantStatus     int
		wantRole       string
		wantReachable  bool
		wantErrorCode  string
		wantRetryAfter string
	}{
		{name: "active", wantStatus: 200, wantRole: "active", wantReachable: true},
		{name: "passive", passive: true, wantStatus: 200, wantRole: "passive", wantReachable: true},
		{name: "down", down: true, wantStatus: 503, wantErrorCode: "unavailable", wantRetryAfter: "1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Health needs no scope, even when the caller has none.
			e := newEnv(t, func(c *httpapi.Config) {
				c.Scopes = func(*http.Request) ([]string, bool) { return nil, true }
			})
			e.store.SetPassive(tt.passive)
			e.store.SetDown(tt.down)
			w := e.do(t, request{method: "GET", target: "/v1/health"})
			if w.Code != tt.wantStatus {
				t.Fatalf("got %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			var b body
			if err := jsonStrict(w.Body.Bytes(), &b); err != nil {
				t.Fatalf("body %s: %v", w.Body, err)
			}
			if b.Region != "test-1" || b.Role != tt.wantRole || b.DB.Reachable != tt.wantReachable || b.DB.LatencyMs == nil {
				t.Errorf("body: got %s, want region test-1, role %q, reachable %v, latencyMs present", w.Body, tt.wantRole, tt.wantReachable)
			}
			gotCode := ""
			if b.Error != nil {
				gotCode = b.Error.Code
				if b.Error.RequestID != testRequestID {
					t.Errorf("error requestId: got %q, want %q", b.Error.RequestID, testRequestID)
				}
			}
			if gotCode != tt.wantErrorCode {
				t.Errorf("error code: got %q, want %q", gotCode, tt.wantErrorCode)
			}
			if got := w.Header().Get("Retry-After"); got != tt.wantRetryAfter {
				t.Errorf("Retry-After: got %q, want %q", got, tt.wantRetryAfter)
			}
		})
	}
}

func TestDatabaseDown(t *testing.T) {
	e := newEnv(t)
	e.store.SetDown(true)
	for _, req := range []request{
		{method: "GET", target: "/v1/todos"},
		{method: "GET", target: "/v1/todos/1"},
		{method: "POST", target: "/v1/todos", body: `{"task":"x"}`},
		{method: "PUT", target: "/v1/todos/1", body: `{"task":"x"}`},
		{method: "DELETE", target: "/v1/todos/1"},
		{method: "GET", target: "/v1?id=1"},
		{method: "DELETE", target: "/v1", body: `{"id":1}`},
	} {
		t.Run(req.method+" "+req.target, func(t *testing.T) {
			w := e.do(t, req)
			if w.Code != 503 {
				t.Fatalf("got %d, want 503; body %s", w.Code, w.Body)
			}
			if got := decodeError(t, w).Error.Code; got != "unavailable" {
				t.Errorf("code: got %q, want unavailable", got)
			}
			if got := w.Header().Get("Retry-After"); got != "1" {
				t.Errorf("Retry-After: got %q, want 1", got)
			}
		})
	}
}

// TestRequestTimeout checks that a database that does not answer becomes a
// 503 once RequestTimeout passes, for the API and for health.
func TestRequestTimeout(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.RequestTimeout = 20 * time.Millisecond })
	e.store.SetLatency(time.Hour)
	for _, target := range []string{"/v1/todos/1", "/v1/health"} {
		w := e.do(t, request{method: "GET", target: target})
		if w.Code != 503 {
			t.Errorf("GET %s with a hanging database: got %d, want 503; body %s", target, w.Code, w.Body)
		}
	}
}

func TestScopes(t *testing.T) {
	read := []string{httpapi.ScopeRead}
	both := []string{"openid", httpapi.ScopeUpsertDelete}
	for _, tt := range []struct {
		name       string
		scopes     func(*http.Request) ([]string, bool)
		req        request
		wantStatus int
	}{
		{"no scope source: get", nil, request{method: "GET", target: "/v1/todos/1"}, 200},
		{"no scope source: create", nil, request{method: "POST", target: "/v1/todos", body: `{"task":"x"}`}, 201},
		{"scopes not known: delete", granted(nil, false), request{method: "DELETE", target: "/v1/todos/1"}, 204},
		{"read: list", granted(read, true), request{method: "GET", target: "/v1/todos"}, 200},
		{"read: get", granted(read, true), request{method: "GET", target: "/v1/todos/1"}, 200},
		{"read: sample get", granted(read, true), request{method: "GET", target: "/v1?id=1"}, 200},
		{"read: create", granted(read, true), request{method: "POST", target: "/v1/todos", body: `{"task":"x"}`}, 403},
		{"read: put", granted(read, true), request{method: "PUT", target: "/v1/todos/1", body: `{"task":"x"}`}, 403},
		{"read: delete", granted(read, true), request{method: "DELETE", target: "/v1/todos/1"}, 403},
		{"read: sample post", granted(read, true), request{method: "POST", target: "/v1", body: `{"task":"x"}`}, 403},
		{"read: sample delete", granted(read, true), request{method: "DELETE", target: "/v1", body: `{"id":1}`}, 403},
		{"upsert-delete: get", granted(both, true), request{method: "GET", target: "/v1/todos/1"}, 200},
		{"upsert-delete: create", granted(both, true), request{method: "POST", target: "/v1/todos", body: `{"task":"x"}`}, 201},
		{"upsert-delete: delete", granted(both, true), request{method: "DELETE", target: "/v1", body: `{"id":1}`}, 204},
		{"none: get", granted(nil, true), request{method: "GET", target: "/v1/todos/1"}, 403},
		{"none: health", granted(nil, true), request{method: "GET", target: "/v1/health"}, 200},
		{"other scope: list", granted([]string{"api/other", "read"}, true), request{method: "GET", target: "/v1/todos"}, 403},
		// The scope check comes first: a caller without rights learns nothing.
		{"none: get absent", granted(nil, true), request{method: "GET", target: "/v1/todos/99"}, 403},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *httpapi.Config) { c.Scopes = tt.scopes })
			w := e.do(t, tt.req)
			if w.Code != tt.wantStatus {
				t.Fatalf("got %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			if w.Code == 403 {
				if got := decodeError(t, w).Error.Code; got != "forbidden" {
					t.Errorf("code: got %q, want forbidden", got)
				}
			}
		})
	}
}

func granted(scopes []string, ok bool) func(*http.Request) ([]string, bool) {
	return func(*http.Request) ([]string, bool) { return scopes, ok }
}

func TestRequestID(t *testing.T) {
	for _, tt := range []struct {
		name    string
		source  func(*http.Request) string
		header  string
		want    string // "" means a generated id
		notWant string
	}{
		{name: "from the gateway", source: func(*http.Request) string { return "gw-1" }, header: "client-1", want: "gw-1"},
		{name: "gateway has none", source: func(*http.Request) string { return "" }, header: "client-1", want: "client-1"},
		{name: "from the header", header: "client-1", want: "client-1"},
		{name: "header with a space", header: "a b", notWant: "a b"},
		{name: "header too long", header: strings.Repeat("x", 129), notWant: strings.Repeat("x", 129)},
		{name: "generated", header: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *httpapi.Config) { c.RequestID = tt.source })
			w := e.do(t, request{method: "GET", target: "/v1/todos/9", header: map[string]string{"X-Request-Id": tt.header}})
			got := w.Header().Get("X-Request-Id")
			if body := decodeError(t, w).Error.RequestID; body != got {
				t.Errorf("requestId in body %q differs from X-Request-Id %q", body, got)
			}
			switch {
			case tt.want != "" && got != tt.want:
				t.Errorf("X-Request-Id: got %q, want %q", got, tt.want)
			case tt.want == "" && (len(got) < 16 || got == tt.notWant):
				t.Errorf("X-Request-Id: got %q, want a generated id", got)
			}
		})
	}
}
