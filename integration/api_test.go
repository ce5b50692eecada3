//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	apievents "github.com/todomgmt/todomgmt/events"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/httpapi/apigw"
	"github.com/todomgmt/todomgmt/pkg/mysql"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// apiProxy is the API as the Lambda runs it, minus the runtime loop:
// aws-lambda-go-api-proxy in front of httpapi over store.
type apiProxy func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

func newAPIProxy(tb testing.TB, store *mysql.Store, timeout time.Duration) apiProxy {
	tb.Helper()
	h := httpapi.New(httpapi.Config{
		Service:        store,
		Region:         testRegion,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		RequestTimeout: timeout,
		Scopes:         apigw.Scopes(false),
		RequestID:      apigw.RequestID,
	})
	return httpadapter.New(h).ProxyWithContext
}

// seedFixtures stores the fixtures' seed through store (ids 1 and 2 after
// a reset). put.json's If-Match names todo 1 as a store with
// WithWriteTags(apievents.SeedTags()) creates it.
func seedFixtures(tb testing.TB, store todo.Service) {
	tb.Helper()
	for i, d := range apievents.Seed {
		c, err := store.Create(context.Background(), todo.CreateRequest{Draft: d})
		if err != nil {
			tb.Fatalf("seed: %v", err)
		}
		if want := int64(i + 1); c.Todo.ID != want {
			tb.Fatalf("seed: got id %d, want %d (was the database reset?)", c.Todo.ID, want)
		}
	}
}

// proxyEvent sends the named fixture through proxy.
func proxyEvent(tb testing.TB, proxy apiProxy, name string) events.APIGatewayProxyResponse {
	tb.Helper()
	req, err := apievents.Request(name)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := proxy(ctx, req)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return resp
}

// errorCode returns the error code of an error body, "" for other bodies.
func errorCode(tb testing.TB, body string) string {
	tb.Helper()
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		tb.Fatalf("body %q is not JSON: %v", body, err)
	}
	return e.Error.Code
}

// TestAPIEvents runs every events/ fixture through the adapter and the
// handler against MySQL, each from the seeded state, and checks the status
// and what the database holds afterwards.
func TestAPIEvents(t *testing.T) {
	for _, f := range apievents.Fixtures {
		t.Run(f.Name, func(t *testing.T) {
			store := newStore(t, mysql.WithWriteTags(apievents.SeedTags()))
			seedFixtures(t, store)
			resp := proxyEvent(t, newAPIProxy(t, store, 0), f.Name)
			if resp.StatusCode != f.Status {
				t.Fatalf("got %d, want %d (%s); body %s", resp.StatusCode, f.Status, f.About, resp.Body)
			}
			if resp.StatusCode != http.StatusNoContent && !json.Valid([]byte(resp.Body)) {
				t.Errorf("body is not JSON: %s", resp.Body)
			}
		})
	}

	// What the writes did, read back from MySQL.
	for _, tt := range []struct {
		event string
		check func(t *testing.T, s *mysql.Store)
	}{
		{"put", func(t *testing.T, s *mysql.Store) {
			got, err := s.Get(context.Background(), 1)
			if err != nil || got.Status != todo.StatusDone || got.Version != 2 {
				t.Errorf("todo 1 after put: got %+v, %v; want status done at version 2", got, err)
			}
		}},
		{"delete", func(t *testing.T, s *mysql.Store) {
			if _, err := s.Get(context.Background(), 2); todo.ErrorCode(err) != todo.NotFound {
				t.Errorf("todo 2 after delete: got %v, want not found", err)
			}
		}},
		{"sample-update", func(t *testing.T, s *mysql.Store) {
			got, err := s.Get(context.Background(), 1)
			if err != nil || got.Task != "buy oat milk" || got.Status != todo.StatusWIP {
				t.Errorf("todo 1 after the sample's update: got %+v, %v", got, err)
			}
		}},
		{"create-idempotent", func(t *testing.T, s *mysql.Store) {
			// A retry of the same event answers the first response and
			// creates nothing.
			proxy := newAPIProxy(t, s, 0)
			again := proxyEvent(t, proxy, "create-idempotent")
			if again.StatusCode != 201 || again.MultiValueHeaders["Idempotent-Replayed"][0] != "true" {
				t.Errorf("retry: got %d %v, want 201 with Idempotent-Replayed: true", again.StatusCode, again.MultiValueHeaders)
			}
			page, err := s.List(context.Background(), todo.ListQuery{})
			if err != nil || len(page.Items) != 3 {
				t.Errorf("after a create and its retry: got %d todos, %v; want 3", len(page.Items), err)
			}
		}},
	} {
		t.Run(tt.event+" effect", func(t *testing.T) {
			store := newStore(t, mysql.WithWriteTags(apievents.SeedTags()))
			seedFixtures(t, store)
			resp := proxyEvent(t, newAPIProxy(t, store, 0), tt.event)
			if resp.StatusCode >= 300 {
				t.Fatalf("got %d; body %s", resp.StatusCode, resp.Body)
			}
			tt.check(t, store)
		})
	}
}

// TestAPIPassiveRegion runs the API as the passive region does: the
// application user on a read-only server. Reads answer, writes get 503
// region_passive with Retry-After, health says passive.
func TestAPIPassiveRegion(t *testing.T) {
	db := passiveDB(t)
	seedFixtures(t, mysql.New(db.Root, mysql.WithRegion(testRegion), mysql.WithWriteTags(apievents.SeedTags()))) // root may still write
	proxy := newAPIProxy(t, mysql.New(db.App, mysql.WithRegion(testRegion)), 0)

	for _, tt := range []struct {
		event      string
		wantStatus int
		wantCode   string
	}{
		{"get", 200, ""},
		{"list", 200, ""},
		{"sample-get", 200, ""},
		{"health", 200, ""},
		{"create", 503, "region_passive"},
		{"create-idempotent", 503, "region_passive"},
		{"put", 503, "region_passive"},
		{"delete", 503, "region_passive"},
		{"sample-create", 503, "region_passive"},
		{"sample-update", 503, "region_passive"},
		{"sample-delete", 503, "region_passive"},
	} {
		t.Run(tt.event, func(t *testing.T) {
			resp := proxyEvent(t, proxy, tt.event)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("got %d, want %d; body %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.event == "health" && !strings.Contains(resp.Body, `"role":"passive"`) {
				t.Errorf("health: got %s, want role passive", resp.Body)
			}
			if tt.wantCode == "" {
				return
			}
			if got := errorCode(t, resp.Body); got != tt.wantCode {
				t.Errorf("code: got %q, want %q", got, tt.wantCode)
			}
			if got := resp.MultiValueHeaders["Retry-After"]; len(got) != 1 || got[0] == "" {
				t.Errorf("Retry-After: got %q, want one value", got)
			}
		})
	}
}

// TestAPIDatabaseDown freezes, then stops, the server under a running API.
// Both become 503 unavailable within the request deadline
// (docs/api.md#errors). A frozen server accepts nothing and answers nothing, so only the
// request deadline can end those requests; each must end within
// deadlineBound of it, far below the driver's 30 s I/O timeout that would
// end them without it.
func TestAPIDatabaseDown(t *testing.T) {
	const requestTimeout = 3 * time.Second
	db := startDB(t)
	store := mysql.New(db.App, mysql.WithRegion(testRegion))
	seedFixtures(t, mysql.New(db.App, mysql.WithRegion(testRegion), mysql.WithWriteTags(apievents.SeedTags())))
	proxy := newAPIProxy(t, store, requestTimeout)
	if resp := proxyEvent(t, proxy, "get"); resp.StatusCode != 200 {
		t.Fatalf("before the fault: got %d, want 200; body %s", resp.StatusCode, resp.Body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, fault := range []struct {
		name       string
		start, end func(context.Context) error
	}{
		{"paused", db.C.Pause, db.C.Unpause},
		{"stopped", func(ctx context.Context) error { return db.C.Stop(ctx, 10*time.Second) }, db.C.Start},
	} {
		t.Run(fault.name, func(t *testing.T) {
			if err := fault.start(ctx); err != nil {
				t.Fatalf("%s: %v", fault.name, err)
			}
			defer func() {
				if err := fault.end(ctx); err != nil {
					t.Errorf("undo %s: %v", fault.name, err)
				}
			}()
			for _, event := range []string{"get", "create", "health"} {
				start := time.Now()
				resp := proxyEvent(t, proxy, event)
				if elapsed, bound := time.Since(start), deadlineBound(requestTimeout); elapsed > bound {
					t.Errorf("%s: answered after %v, want within %v of a %v request deadline", event, elapsed.Round(time.Millisecond), bound, requestTimeout)
				}
				if resp.StatusCode != 503 {
					t.Errorf("%s: got %d, want 503; body %s", event, resp.StatusCode, resp.Body)
					continue
				}
				if got := errorCode(t, resp.Body); got != "unavailable" {
					t.Errorf("%s: code %q, want unavailable", event, got)
				}
			}
		})
	}
}
