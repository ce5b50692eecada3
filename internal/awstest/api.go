package awstest

// A fake of the deployed HTTP surface on one httptest server: both
// regions' APIs under /us-east-1/prod and /us-west-2/prod, the front door
// under /fd forwarding to the active region, and Cognito's token endpoint
// under /oauth2/token. Only the active region writes; the passive one
// answers 503 region_passive, like pkg/httpapi over a read-only database.
// As the API does (docs/api.md#against-aws), every answer names the region that
// served it (X-Todomgmt-Region), an ETag is "<version>-<write tag>", and
// If-Match is optional on PUT and DELETE; lists page by id.

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Todo is a todo the fake API holds.
type Todo struct {
	ID      int64  `json:"id"`
	Task    string `json:"task"`
	Status  string `json:"status"`
	Version int64  `json:"version"`
	tag     uint64
}

// etag is the todo's ETag, as the API renders it.
func (t Todo) etag() string { return fmt.Sprintf(`"%d-%016x"`, t.Version, t.tag) }

// API is the fake HTTP surface. Tests set its exported fields before
// requests are made, and read what it holds with Todos and Requests.
type API struct {
	mu     sync.Mutex
	active string
	todos  map[int64]Todo
	next   int64
	// Down makes a region's API, or the front door ("fd"), answer 502.
	Down map[string]bool
	// Tokens counts the tokens the token endpoint issued.
	Tokens   int
	requests []string
	// Server serves the surface; Server.Client() reaches it.
	Server *httptest.Server
	// RouteOf and WriterOf, when set, give the front door's region and
	// the writer's region (from the AWS fakes) instead of active.
	RouteOf, WriterOf func() string
	// FencedOf, when set, gives the region the id fence names: the
	// store refuses creates anywhere else.
	FencedOf func() string
	// tags counts the writes, for each write's tag.
	tags uint64
	// FailDeletes makes every DELETE answer 500; SetFailDeletes changes
	// it while requests may be served.
	FailDeletes bool
}

// tag is a fresh write tag.
func (a *API) tag() uint64 {
	a.tags++
	return 0x5f0c2e9d00000000 + a.tags
}

func (a *API) writer() string {
	if a.WriterOf != nil {
		return a.WriterOf()
	}
	return a.active
}

// NewAPI serves the surface with active as the writer's region until
// tb ends.
func NewAPI(tb testing.TB, active string) *API {
	tb.Helper()
	a := &API{active: active, todos: map[int64]Todo{}, Down: map[string]bool{}}
	a.Server = httptest.NewServer(a)
	tb.Cleanup(a.Server.Close)
	return a
}

// APIURL is region's API URL (the ApiUrl output).
func (a *API) APIURL(region string) string { return a.Server.URL + "/" + region + "/prod" }

// FrontDoor is the front door's URL (the FrontDoorUrl output).
func (a *API) FrontDoor() string { return a.Server.URL + "/fd" }

// TokenURL is the token endpoint's URL (the TokenUrl output).
func (a *API) TokenURL() string { return a.Server.URL + "/oauth2/token" }

// Todos returns a copy of the todos held, by id.
func (a *API) Todos() map[int64]Todo {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.todos)
}

// Requests returns the requests served so far ("<method> <path>").
func (a *API) Requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.requests)
}

// AddTodo stores a todo written by someone else and returns its id.
func (a *API) AddTodo(task string) int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next++
	a.todos[a.next] = Todo{ID: a.next, Task: task, Status: "todo", Version: 1, tag: a.tag()}
	return a.next
}

// SetFailDeletes sets FailDeletes while requests may be served.
func (a *API) SetFailDeletes(fail bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.FailDeletes = fail
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": code}})
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests = append(a.requests, r.Method+" "+r.URL.Path)
	if r.URL.Path == "/oauth2/token" {
		a.token(w, r)
		return
	}
	first, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	region := first
	switch first {
	case "fd":
		if a.Down["fd"] {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		region = a.active
		if a.RouteOf != nil {
			region = a.RouteOf()
		}
		rest = "prod/" + rest
	}
	path, ok := strings.CutPrefix(rest, "prod")
	if !ok || a.Down[region] {
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return
	}
	w.Header().Set("X-Todomgmt-Region", region)
	if path == "/v1/health" {
		role := "passive"
		if region == a.writer() {
			role = "active"
		}
		writeJSON(w, 200, map[string]any{"region": region, "role": role, "db": map[string]any{"reachable": true, "latencyMs": 1.5}})
		return
	}
	if r.Header.Get("Authorization") != "Bearer tok-1" {
		writeJSON(w, 401, map[string]string{"message": "Unauthorized"})
		return
	}
	writes := r.Method != http.MethodGet
	if writes && region != a.writer() {
		w.Header().Set("Retry-After", "1")
		apiError(w, 503, "region_passive")
		return
	}
	switch {
	case path == "/v1/todos" && r.Method == http.MethodPost:
		if a.FencedOf != nil && a.FencedOf() != region {
			w.Header().Set("Retry-After", "1")
			apiError(w, 503, "region_passive")
			return
		}
		var in struct{ Task string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		a.next++
		t := Todo{ID: a.next, Task: in.Task, Status: "todo", Version: 1, tag: a.tag()}
		a.todos[t.ID] = t
		w.Header().Set("ETag", t.etag())
		writeJSON(w, 201, t)
	case path == "/v1/todos" && r.Method == http.MethodGet:
		a.list(w, r)
	case strings.HasPrefix(path, "/v1/todos/"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(path, "/v1/todos/"), 10, 64)
		t, ok := a.todos[id]
		if !ok {
			apiError(w, 404, "not_found")
			return
		}
		if m := r.Header.Get("If-Match"); m != "" && m != t.etag() && r.Method != http.MethodGet {
			apiError(w, 412, "precondition_failed")
			return
		}
		switch r.Method {
		case http.MethodGet:
			w.Header().Set("ETag", t.etag())
			writeJSON(w, 200, t)
		case http.MethodPut:
			var in struct{ Status string }
			_ = json.NewDecoder(r.Body).Decode(&in)
			t.Status, t.Version, t.tag = in.Status, t.Version+1, a.tag()
			a.todos[id] = t
			w.Header().Set("ETag", t.etag())
			writeJSON(w, 200, t)
		case http.MethodDelete:
			if a.FailDeletes {
				apiError(w, 500, "internal")
				return
			}
			delete(a.todos, id)
			w.WriteHeader(204)
		}
	default:
		apiError(w, 404, "not_found")
	}
}

// list answers a page of todos by id, after the cursor, as the API does.
func (a *API) list(w http.ResponseWriter, r *http.Request) {
	after, err := todo.DecodeCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		apiError(w, 400, "invalid")
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > todo.MaxLimit {
		limit = todo.MaxLimit
	}
	ids := slices.Sorted(maps.Keys(a.todos))
	page := struct {
		Items      []Todo `json:"items"`
		NextCursor string `json:"nextCursor,omitempty"`
	}{Items: []Todo{}}
	for _, id := range ids {
		if id <= after {
			continue
		}
		if len(page.Items) == limit {
			page.NextCursor = todo.EncodeCursor(page.Items[len(page.Items)-1].ID)
			break
		}
		page.Items = append(page.Items, a.todos[id])
	}
	writeJSON(w, 200, page)
}

func (a *API) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	body, _ := io.ReadAll(r.Body)
	if !ok || !strings.HasPrefix(id, "client-") || !strings.HasPrefix(secret, "s3cr3t-") ||
		!strings.Contains(string(body), "grant_type=client_credentials") || !strings.Contains(string(body), "scope=api%2Fread+api%2Fupsert-delete") {
		writeJSON(w, 400, map[string]string{"error": "invalid_client"})
		return
	}
	a.Tokens++
	writeJSON(w, 200, map[string]any{"access_token": "tok-1", "expires_in": 3600, "token_type": "Bearer"})
}

// wireAPI points the fake stacks' outputs at the fake API server.
func wireAPI(f *AWS, a *API) {
	for _, s := range f.Stacks {
		s.Outputs["ApiUrl"] = a.APIURL(s.Region)
		s.Outputs["TokenUrl"] = a.TokenURL()
		if s.Outputs["FrontDoorUrl"] != "" {
			s.Outputs["FrontDoorUrl"] = a.FrontDoor()
		}
	}
}
