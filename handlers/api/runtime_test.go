package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	apievents "github.com/todomgmt/todomgmt/events"
	"github.com/todomgmt/todomgmt/internal/lambdaemu"
	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
)

// functionTimeout is ApiFunction's Timeout in template.yaml.
const functionTimeout = 10 * time.Second

// TestBootstrap builds this function as the real bootstrap binary (for the
// host's architecture, with the Lambda build flags) and runs it under AWS's
// Lambda runtime interface emulator with events/ fixtures, so the
// aws-lambda-go loop, the adapter and main's wiring run as in Lambda. The
// database is unreachable (127.0.0.1:1): requests that need it answer 503
// (a proxy response, not the emulator's timeout: within the function's
// deadline), the others answer without it. The same binary against a real
// database is in integration/lambda_rie_test.go.
func TestBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries; skipped with -short")
	}
	if err := lambdaemu.Supported(); err != nil {
		t.Skip(err)
	}
	emulator, bootstrap := buildAPI(t)

	t.Run("unreachable database", func(t *testing.T) {
		f := startAPI(t, emulator, bootstrap, []string{
			"TODOMGMT_DB_DSN=todo_app:pw@tcp(127.0.0.1:1)/todomgmt",
			"TODOMGMT_DB_CONNECT_TIMEOUT=1s",
			"TODOMGMT_REQUEST_TIMEOUT=3s",
			"TODOMGMT_REGION=test-1",
		})
		for _, tt := range []struct {
			event      string
			wantStatus int
			wantCode   string
		}{
			{"health", 503, "unavailable"},
			{"get", 503, "unavailable"},
			{"create", 503, "unavailable"},
			{"bad-id", 400, "invalid"},
			{"bad-body", 400, "invalid"},
			{"forbidden", 403, "forbidden"},
		} {
			t.Run(tt.event, func(t *testing.T) {
				resp := invokeEvent(t, f, tt.event)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("got status %d, want %d; body %s", resp.StatusCode, tt.wantStatus, resp.Body)
				}
				var body struct {
					Region string `json:"region"`
					Error  struct {
						Code      string `json:"code"`
						RequestID string `json:"requestId"`
					} `json:"error"`
				}
				if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
					t.Fatalf("body %s: %v", resp.Body, err)
				}
				if body.Error.Code != tt.wantCode {
					t.Errorf("error code: got %q, want %q", body.Error.Code, tt.wantCode)
				}
				if tt.event == "health" && body.Region != "test-1" {
					t.Errorf("health region: got %q, want test-1", body.Region)
				}
			})
		}
		// The emulator ends the environment as Lambda does: SIGTERM, on
		// which main closes the pools.
		f.Stop(lambdaemu.StopGrace)
		out := f.Output()
		for _, want := range []string{`"msg":"ready"`, `"region":"test-1"`, `"msg":"SIGTERM: closing the database pools"`} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %s:\n%s", want, out)
			}
		}
		if strings.Contains(out, ":pw@") {
			t.Errorf("output shows the DSN's password:\n%s", out)
		}
	})

	t.Run("configuration error", func(t *testing.T) {
		f := startAPI(t, emulator, bootstrap, []string{"TODOMGMT_REQUEST_TIMEOUT=soon"})
		payload, err := apievents.Load("health")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		// The function exits at init; the emulator tries the init again
		// at the invoke, as Lambda does, and answers 502.
		r, err := f.Invoke(ctx, payload)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != http.StatusBadGateway {
			t.Fatalf("got status %d, payload %s; want 502 for a function that cannot start", r.Status, r.Payload)
		}
		// The function's output reaches us through the emulator's pipe,
		// possibly after the 502: stop the emulator, which waits for it.
		f.Stop(lambdaemu.StopGrace)
		if out := f.Output(); !strings.Contains(out, "TODOMGMT_REQUEST_TIMEOUT") {
			t.Errorf("output does not name the bad variable:\n%s", out)
		}
	})
}

// buildAPI builds the emulator and this function's bootstrap for the host.
func buildAPI(tb testing.TB) (emulator, bootstrap string) {
	tb.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tb.Context(), 5*time.Minute)
	defer cancel()
	dir := tb.TempDir()
	if emulator, err = lambdaemu.BuildEmulator(ctx, root, dir); err != nil {
		tb.Fatal(err)
	}
	if bootstrap, err = lambdaemu.BuildBootstrap(ctx, root, lambdabuild.API, dir); err != nil {
		tb.Fatal(err)
	}
	return emulator, bootstrap
}

// startAPI runs the bootstrap under the emulator with the template's
// timeout and memory, and env.
func startAPI(tb testing.TB, emulator, bootstrap string, env []string) *lambdaemu.Function {
	tb.Helper()
	f, err := lambdaemu.Start(tb.Context(), lambdaemu.Config{
		Emulator:  emulator,
		Bootstrap: bootstrap,
		Name:      "todomgmt-api",
		Timeout:   functionTimeout,
		MemoryMB:  256,
		Env:       env,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Stop(lambdaemu.StopGrace) })
	return f
}

// invokeEvent sends the named events/ fixture and decodes the proxy
// response; a function error or a timeout fails tb.
func invokeEvent(tb testing.TB, f *lambdaemu.Function, name string) events.APIGatewayProxyResponse {
	tb.Helper()
	payload, err := apievents.Load(name)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tb.Context(), functionTimeout+30*time.Second)
	defer cancel()
	r, err := f.Invoke(ctx, payload)
	if err != nil {
		tb.Fatalf("invoke %s: %v", name, err)
	}
	if e, ok := r.FunctionError(); ok {
		tb.Fatalf("invoke %s: the function failed: %+v", name, e)
	}
	if r.Status != http.StatusOK || r.TimedOut() {
		tb.Fatalf("invoke %s: the emulator answered %d: %s\noutput:\n%s", name, r.Status, r.Payload, f.Output())
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(r.Payload, &resp); err != nil {
		tb.Fatalf("invoke %s: response %s: %v", name, r.Payload, err)
	}
	return resp
}
