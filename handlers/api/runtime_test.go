package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	apievents "github.com/todomgmt/todomgmt/events"
	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
	"github.com/todomgmt/todomgmt/pkg/lambdaruntime"
)

// TestBootstrap builds this function as the real bootstrap binary (for the
// host's architecture, with the Lambda build flags) and drives it through
// the Lambda Runtime API with events/ fixtures, so the aws-lambda-go loop,
// the adapter and main's wiring run as in Lambda. The database is
// unreachable (127.0.0.1:1): requests that need it answer 503 within the
// deadline, the others answer without it. The same binary against a real
// database is in integration/api_test.go.
func TestBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skipf("bootstrap binaries are Linux binaries; this host is %s", runtime.GOOS)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	bin, err := lambdabuild.Build(ctx, root, lambdabuild.API, t.TempDir(), runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("unreachable database", func(t *testing.T) {
		p := startBootstrap(t, bin, []string{
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
				resp := invokeEvent(t, p, tt.event)
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
		p.Stop(2 * time.Second)
		out := p.Output()
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
		p := startBootstrap(t, bin, []string{"TODOMGMT_REQUEST_TIMEOUT=soon"})
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		payload, err := apievents.Load("health")
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Invoke(ctx, payload)
		if err == nil || !strings.Contains(err.Error(), "exited") {
			t.Fatalf("got %v, want the function to exit at init", err)
		}
		if out := p.Output(); !strings.Contains(out, "TODOMGMT_REQUEST_TIMEOUT") {
			t.Errorf("output does not name the bad variable:\n%s", out)
		}
	})
}

func startBootstrap(tb testing.TB, bin string, env []string) *lambdaruntime.Process {
	tb.Helper()
	srv, err := lambdaruntime.NewServer()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	p, err := lambdaruntime.Start(tb.Context(), srv, bin, env)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Stop(500 * time.Millisecond) })
	return p
}

// invokeEvent sends the named events/ fixture and decodes the proxy response.
func invokeEvent(tb testing.TB, p *lambdaruntime.Process, name string) events.APIGatewayProxyResponse {
	tb.Helper()
	payload, err := apievents.Load(name)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tb.Context(), 30*time.Second)
	defer cancel()
	r, err := p.Invoke(ctx, payload)
	if err != nil {
		tb.Fatalf("invoke %s: %v", name, err)
	}
	if r.Error {
		tb.Fatalf("invoke %s: the function failed: %s", name, r.Payload)
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(r.Payload, &resp); err != nil {
		tb.Fatalf("invoke %s: response %s: %v", name, r.Payload, err)
	}
	return resp
}
