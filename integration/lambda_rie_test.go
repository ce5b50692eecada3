//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	apievents "github.com/todomgmt/todomgmt/events"
	"github.com/todomgmt/todomgmt/internal/lambdaemu"
	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
	"github.com/todomgmt/todomgmt/pkg/mysql"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// rieAPIEnv is ApiFunction's environment in template.yaml, with the
// connection given as a DSN (the template's TODOMGMT_DB_HOST & co. name
// RDS Proxy) and the region it-1.
func rieAPIEnv(dsn string) []string {
	return []string{
		dbconn.EnvDSN + "=" + dsn,
		"TODOMGMT_REGION=it-1",
		"TODOMGMT_DB_MAX_OPEN_CONNS=2",
		"TODOMGMT_DB_CONN_MAX_LIFETIME=1m",
		"TODOMGMT_DB_CONNECT_TIMEOUT=3s",
		"TODOMGMT_REQUEST_TIMEOUT=8s",
		"TODOMGMT_LOG_FORMAT=json",
	}
}

// rieAPI builds the emulator and handlers/api's bootstrap (host
// architecture, Lambda build flags) and starts the function under the
// emulator with env, the template's memory and timeout unless timeout is
// set.
func rieAPI(tb testing.TB, env []string, timeout time.Duration) *lambdaemu.Function {
	tb.Helper()
	if err := lambdaemu.Supported(); err != nil {
		tb.Skip(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := tb.TempDir()
	emulator, err := lambdaemu.BuildEmulator(ctx, root, dir)
	if err != nil {
		tb.Fatal(err)
	}
	bootstrap, err := lambdaemu.BuildBootstrap(ctx, root, lambdabuild.API, dir)
	if err != nil {
		tb.Fatal(err)
	}
	if timeout == 0 {
		timeout = 10 * time.Second // ApiFunction's Timeout
	}
	f, err := lambdaemu.Start(ctx, lambdaemu.Config{
		Emulator:  emulator,
		Bootstrap: bootstrap,
		Name:      "todomgmt-api",
		Timeout:   timeout,
		MemoryMB:  256,
		Env:       env,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		f.Stop(lambdaemu.StopGrace)
		if tb.Failed() {
			tb.Logf("emulator and function output:\n%s", f.Output())
		}
	})
	return f
}

// rieEvent invokes the function with the named events/ fixture and decodes
// the proxy response. A function error, a timeout (the emulator's answer
// past the function's deadline) or another emulator failure fails tb.
func rieEvent(tb testing.TB, f *lambdaemu.Function, name string) events.APIGatewayProxyResponse {
	tb.Helper()
	payload, err := apievents.Load(name)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := f.Invoke(ctx, payload)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	if e, ok := r.FunctionError(); ok {
		tb.Fatalf("%s: the function failed: %+v", name, e)
	}
	if r.TimedOut() || r.Status != http.StatusOK {
		tb.Fatalf("%s: the emulator answered %d: %s", name, r.Status, r.Payload)
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(r.Payload, &resp); err != nil {
		tb.Fatalf("%s: response %s: %v", name, r.Payload, err)
	}
	return resp
}

// TestAPIFunctionUnderRIE runs handlers/api's real bootstrap under AWS's
// Lambda runtime interface emulator against MySQL as the application
// user, with the template's environment: every events/ fixture, each from
// the seeded state, through one execution environment as when Lambda
// keeps it warm; then what the writes did, read back from MySQL.
func TestAPIFunctionUnderRIE(t *testing.T) {
	f := rieAPI(t, rieAPIEnv(appDSN(t)), 0)

	for _, fx := range apievents.Fixtures {
		t.Run(fx.Name, func(t *testing.T) {
			seedFixtures(t, newStore(t, mysql.WithWriteTags(apievents.SeedTags())))
			req, err := apievents.Request(fx.Name)
			if err != nil {
				t.Fatal(err)
			}
			resp := rieEvent(t, f, fx.Name)
			if resp.StatusCode != fx.Status {
				t.Fatalf("got %d, want %d (%s); body %s", resp.StatusCode, fx.Status, fx.About, resp.Body)
			}
			if got := resp.MultiValueHeaders["X-Request-Id"]; len(got) != 1 || got[0] != req.RequestContext.RequestID {
				t.Errorf("X-Request-Id: got %q, want API Gateway's request id %q", got, req.RequestContext.RequestID)
			}
			if got := resp.MultiValueHeaders["X-Todomgmt-Region"]; len(got) != 1 || got[0] != "it-1" {
				t.Errorf("X-Todomgmt-Region: got %q, want it-1 (TODOMGMT_REGION reached the function)", got)
			}
			if resp.StatusCode == http.StatusNoContent {
				if resp.Body != "" {
					t.Errorf("204 with body %q", resp.Body)
				}
				return
			}
			if !json.Valid([]byte(resp.Body)) {
				t.Errorf("body is not JSON: %s", resp.Body)
			}
		})
	}

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
		{"create-base64", func(t *testing.T, s *mysql.Store) {
			got, err := s.Get(context.Background(), 3)
			if err != nil || got.Task != "sent base64-encoded, as API Gateway does for binary media types" {
				t.Errorf("todo 3 after the base64 create: got %+v, %v", got, err)
			}
		}},
		{"create-idempotent", func(t *testing.T, s *mysql.Store) {
			// A retry of the same event, through the same environment,
			// answers the first response and creates nothing.
			again := rieEvent(t, f, "create-idempotent")
			if got := again.MultiValueHeaders["Idempotent-Replayed"]; again.StatusCode != 201 || len(got) != 1 || got[0] != "true" {
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
			if resp := rieEvent(t, f, tt.event); resp.StatusCode >= 300 {
				t.Fatalf("got %d; body %s", resp.StatusCode, resp.Body)
			}
			tt.check(t, store)
		})
	}
}

// TestAPIFunctionUnderRIEDatabaseFrozen freezes the database under the
// function running in the emulator. A frozen server accepts nothing and
// answers nothing, so only the request deadline can end those requests:
// each must come back as a 503 proxy response, not as the emulator's
// "Task timed out", so the function answered within its Lambda timeout.
// The request deadline (3 s) is below the function timeout (5 s) as the
// template's 8 s and 10 s are.
func TestAPIFunctionUnderRIEDatabaseFrozen(t *testing.T) {
	db := startDB(t)
	seedFixtures(t, mysql.New(db.App, mysql.WithRegion(testRegion), mysql.WithWriteTags(apievents.SeedTags())))
	env := append(rieAPIEnv(db.AppDSN), "TODOMGMT_REQUEST_TIMEOUT=3s")
	f := rieAPI(t, env, 5*time.Second)
	if resp := rieEvent(t, f, "get"); resp.StatusCode != 200 {
		t.Fatalf("before the fault: got %d, want 200; body %s", resp.StatusCode, resp.Body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := db.C.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.C.Unpause(ctx); err != nil {
			t.Errorf("unpause: %v", err)
		}
	}()
	for _, event := range []string{"get", "create", "health"} {
		resp := rieEvent(t, f, event) // fails on the emulator's timeout
		if resp.StatusCode != 503 {
			t.Errorf("%s: got %d, want 503; body %s", event, resp.StatusCode, resp.Body)
			continue
		}
		if got := errorCode(t, resp.Body); got != "unavailable" {
			t.Errorf("%s: code %q, want unavailable", event, got)
		}
	}
}
