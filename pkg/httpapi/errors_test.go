package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// failingService is a todo.Service whose Get fails with err, or panics when
// err is nil.
type failingService struct {
	todo.Service
	err error
}

func (s failingService) Get(ctx context.Context, id int64) (todo.Todo, error) {
	if s.err == nil {
		panic("boom: nil map somewhere")
	}
	return todo.Todo{}, s.err
}

// TestInternalErrors checks that internal causes reach the log with the
// request id, and never the client.
func TestInternalErrors(t *testing.T) {
	const secret = "dial tcp 10.1.2.3:3306: access denied for user todo_app"
	for _, tt := range []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantLog    string
	}{
		{"plain error", errors.New(secret), 500, "internal", secret},
		{"wrapped internal", fmt.Errorf("get: %w", todo.Wrap(errors.New(secret), todo.Internal, secret)), 500, "internal", secret},
		{"unknown code", &todo.Error{Code: "weird", Message: secret}, 500, "internal", secret},
		{"unavailable with cause", todo.Wrap(errors.New(secret), todo.Unavailable, "the database is unavailable; retry later"), 503, "unavailable", secret},
		{"deadline without code", fmt.Errorf("query: %w", context.DeadlineExceeded), 503, "unavailable", "deadline exceeded"},
		{"panic", nil, 500, "internal", "boom: nil map somewhere"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *httpapi.Config) { c.Service = failingService{Service: inmem.New(), err: tt.err} })
			w := e.do(t, request{method: "GET", target: "/v1/todos/1"})
			if w.Code != tt.wantStatus {
				t.Fatalf("got %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			got := decodeError(t, w)
			if got.Error.Code != tt.wantCode {
				t.Errorf("code: got %q, want %q", got.Error.Code, tt.wantCode)
			}
			if strings.Contains(w.Body.String(), "10.1.2.3") || strings.Contains(w.Body.String(), "boom") {
				t.Errorf("body leaks the cause: %s", w.Body)
			}
			logs := e.logs.String()
			for _, want := range []string{tt.wantLog, `"requestId":"` + testRequestID + `"`, `"path":"/v1/todos/1"`, `"method":"GET"`, `"code":"` + tt.wantCode} {
				if !strings.Contains(logs, want) {
					t.Errorf("log lacks %q:\n%s", want, logs)
				}
			}
		})
	}
}

// TestHealthInternalError checks that a health checker failing for an
// internal reason is a 500, logged, with the cause kept from the client.
func TestHealthInternalError(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.Checker = brokenChecker{} })
	w := e.do(t, request{method: "GET", target: "/v1/health"})
	if w.Code != 500 {
		t.Fatalf("got %d, want 500; body %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "secret") {
		t.Errorf("body leaks the cause: %s", w.Body)
	}
	if !strings.Contains(e.logs.String(), "secret cause") {
		t.Errorf("log lacks the cause:\n%s", e.logs)
	}
}

type brokenChecker struct{}

func (brokenChecker) Health(context.Context) (todo.Health, error) {
	return todo.Health{}, errors.New("secret cause")
}

func TestNilServicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("New with a nil Service: got no panic, want one")
		}
	}()
	httpapi.New(httpapi.Config{})
}
