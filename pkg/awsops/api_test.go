package awsops

// A fake of the deployed HTTP surface on one httptest server: both
// regions' APIs under /us-east-1/prod and /us-west-2/prod, the front door
// under /fd forwarding to the active region, and Cognito's token endpoint
// under /oauth2/token. Only the active region writes; the passive one
// answers 503 region_passive, like pkg/httpapi over a read-only database.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

type fakeTodo struct {
	ID      int64  `json:"id"`
	Task    string `json:"task"`
	Status  string `json:"status"`
	Version int64  `json:"version"`
}

type fakeAPI struct {
	mu       sync.Mutex
	active   string
	todos    map[int64]fakeTodo
	next     int64
	down     map[string]bool // by region, or "fd" for the front door
	tokens   int
	requests []string
	srv      *httptest.Server
	// routeOf and writerOf, when set, give the front door's region and
	// the writer's region (from the AWS fakes) instead of active.
	routeOf, writerOf func() string
	// fencedOf, when set, gives the region the id fence names: the
	// store refuses creates anywhere else.
	fencedOf func() string
}

func (a *fakeAPI) writer() string {
	if a.writerOf != nil {
		return a.writerOf()
	}
	return a.active
}

func newFakeAPI(tb testing.TB, active string) *fakeAPI {
	tb.Helper()
	a := &fakeAPI{active: active, todos: map[int64]fakeTodo{}, down: map[string]bool{}}
	a.srv = httptest.NewServer(a)
	tb.Cleanup(a.srv.Close)
	return a
}

func (a *fakeAPI) apiURL(region string) string { return a.srv.URL + "/" + region + "/prod" }
func (a *fakeAPI) frontDoor() string           { return a.srv.URL + "/fd" }
func (a *fakeAPI) tokenURL() string            { return a.srv.URL + "/oauth2/token" }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": code}})
}

func (a *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
		if a.down["fd"] {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		region = a.active
		if a.routeOf != nil {
			region = a.routeOf()
		}
		rest = "prod/" + rest
	}
	path, ok := strings.CutPrefix(rest, "prod")
	if !ok || a.down[region] {
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return
	}
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
		if a.fencedOf != nil && a.fencedOf() != region {
			w.Header().Set("Retry-After", "1")
			apiError(w, 503, "region_passive")
			return
		}
		var in struct{ Task string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		a.next++
		t := fakeTodo{ID: a.next, Task: in.Task, Status: "todo", Version: 1}
		a.todos[t.ID] = t
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, t.Version))
		writeJSON(w, 201, t)
	case strings.HasPrefix(path, "/v1/todos/"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(path, "/v1/todos/"), 10, 64)
		t, ok := a.todos[id]
		if !ok {
			apiError(w, 404, "not_found")
			return
		}
		switch r.Method {
		case http.MethodGet:
			w.Header().Set("ETag", fmt.Sprintf(`"%d"`, t.Version))
			writeJSON(w, 200, t)
		case http.MethodPut:
			if r.Header.Get("If-Match") != fmt.Sprintf(`"%d"`, t.Version) {
				apiError(w, 412, "precondition_failed")
				return
			}
			var in struct{ Status string }
			_ = json.NewDecoder(r.Body).Decode(&in)
			t.Status, t.Version = in.Status, t.Version+1
			a.todos[id] = t
			writeJSON(w, 200, t)
		case http.MethodDelete:
			delete(a.todos, id)
			w.WriteHeader(204)
		}
	default:
		apiError(w, 404, "not_found")
	}
}

func (a *fakeAPI) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	body, _ := io.ReadAll(r.Body)
	if !ok || !strings.HasPrefix(id, "client-") || !strings.HasPrefix(secret, "s3cr3t-") ||
		!strings.Contains(string(body), "grant_type=client_credentials") || !strings.Contains(string(body), "scope=api%2Fread+api%2Fupsert-delete") {
		writeJSON(w, 400, map[string]string{"error": "invalid_client"})
		return
	}
	a.tokens++
	writeJSON(w, 200, map[string]any{"access_token": "tok-1", "expires_in": 3600, "token_type": "Bearer"})
}

// wireAPI points the fake stacks' outputs at the fake API server.
func wireAPI(f *fakeAWS, a *fakeAPI) {
	for _, s := range f.stacks {
		s.st.Outputs["ApiUrl"] = a.apiURL(s.st.Region)
		s.st.Outputs["TokenUrl"] = a.tokenURL()
		if s.st.Outputs["FrontDoorUrl"] != "" {
			s.st.Outputs["FrontDoorUrl"] = a.frontDoor()
		}
	}
}
