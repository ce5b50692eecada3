//go:build integration

package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/mysqlcontainer"
)

// TestMigrateFunctionAgainstMySQL drives the real handler and migrator
// against a server in a container, as CloudFormation and an operator would.
func TestMigrateFunctionAgainstMySQL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := mysqlcontainer.DockerAvailable(ctx); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("TODOMGMT_REQUIRE_DOCKER") != "" {
			t.Fatalf("Docker is required: %v", err)
		}
		t.Skipf("SKIPPED: no Docker engine: %v", err)
	}
	c, err := mysqlcontainer.Start(ctx, mysqlcontainer.Options{Labels: map[string]string{"org.todomgmt.test": t.Name()}})
	if err != nil {
		t.Fatal(err)
	}
	testcontainers.CleanupContainer(t, c.Testcontainer())
	root, err := c.OpenRoot(ctx, c.Database())
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	env := map[string]string{
		dbconn.EnvDSN:   c.RootDSN(c.Database()),
		EnvAppSecretARN: testARN,
		EnvAppUser:      "todo_app",
	}
	m := newMigrator(func(k string) string { return env[k] })
	m.secrets = func(context.Context) (secretGetter, error) {
		return &fakeSecrets{arn: testARN, value: `{"username":"todo_app","password":"app-Secret-1"}`}, nil
	}
	h := testHandler(m.Run)
	srv := newCFNServer(t)

	invoke := func(t *testing.T, requestType, physicalID string) cfnResponse {
		t.Helper()
		srv.mu.Lock()
		srv.responses = nil
		srv.mu.Unlock()
		if _, err := h.Handle(ctx, event(srv.URL, requestType, physicalID)); err != nil {
			t.Fatalf("Handle(%s): %v", requestType, err)
		}
		return srv.only(t)
	}

	t.Run("create migrates and makes the app user", func(t *testing.T) {
		got := invoke(t, "Create", "")
		if got.Status != "SUCCESS" || got.Data["Applied"] != "1,2" || got.Data["NewlyApplied"] != "1,2" || got.Data["AppUser"] != "todo_app" {
			t.Fatalf("got %+v, want SUCCESS applying 1,2 with the app user", got)
		}
		app, err := dbconn.Open(ctx, dbconn.Config{DSN: c.DSN("todo_app", "app-Secret-1", c.Database()), MaxOpenConns: 1, ConnMaxLifetime: time.Minute, ConnectTimeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer app.Close()
		var n int
		if err := app.Writer.QueryRowContext(ctx, "SELECT COUNT(*) FROM todos").Scan(&n); err != nil {
			t.Errorf("the app user cannot read todos: %v", err)
		}
	})

	t.Run("update is a no-op", func(t *testing.T) {
		got := invoke(t, "Update", PhysicalResourceID)
		if got.Status != "SUCCESS" || got.Data["NewlyApplied"] != "" || got.Data["Applied"] != "1,2" {
			t.Errorf("got %+v, want SUCCESS applying nothing", got)
		}
	})

	t.Run("direct invoke CREATE_TABLE", func(t *testing.T) {
		out, err := h.Handle(ctx, json.RawMessage(`{"action":"CREATE_TABLE"}`))
		if err != nil {
			t.Fatal(err)
		}
		res, ok := out.(Result)
		if !ok || res.Status != "ok" || len(res.Applied) != 2 || len(res.NewlyApplied) != 0 {
			t.Errorf("got %+v, want status ok with 2 applied, none new", out)
		}
	})

	t.Run("read-only server is skipped as a success", func(t *testing.T) {
		if _, err := root.ExecContext(ctx, "SET GLOBAL read_only = 1"); err != nil {
			t.Fatal(err)
		}
		defer root.ExecContext(context.Background(), "SET GLOBAL read_only = 0")
		got := invoke(t, "Create", "")
		if got.Status != "SUCCESS" || got.Data["Status"] != "skipped" || got.Reason != "skipped: read-only replica" {
			t.Errorf("got %+v, want SUCCESS, skipped: read-only replica", got)
		}
	})

	t.Run("writer endpoint refused, reader read-only: skipped as a success", func(t *testing.T) {
		// A global database's secondary region: the read/write endpoint
		// has no writer and refuses the connection; the read-only
		// endpoint reaches a read-only server. Local mode has no reader
		// endpoint, so the pools are put together here from two DSNs,
		// both opened by pkg/dbconn (which marks connect errors).
		if _, err := root.ExecContext(ctx, "SET GLOBAL read_only = 1"); err != nil {
			t.Fatal(err)
		}
		defer root.ExecContext(context.Background(), "SET GLOBAL read_only = 0")
		saved, savedRetry := m.open, m.retryFor
		defer func() { m.open, m.retryFor = saved, savedRetry }()
		m.retryFor = 3 * time.Second // pauses of 1 s and 2 s, then FAILED
		for _, tt := range []struct {
			name       string
			readerDSN  string
			wantStatus string
		}{
			{"reader answers read-only", c.RootDSN(c.Database()), "SUCCESS"},
			{"reader refuses too", "root:x@tcp(127.0.0.1:1)/todomgmt?timeout=1s", "FAILED"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				m.open = func(ctx context.Context, cfg dbconn.Config) (*dbconn.Pools, error) {
					wcfg, rcfg := cfg, cfg
					wcfg.DSN = "root:x@tcp(127.0.0.1:1)/todomgmt?timeout=1s"
					rcfg.DSN = tt.readerDSN
					w, err := dbconn.Open(ctx, wcfg)
					if err != nil {
						return nil, err
					}
					r, err := dbconn.Open(ctx, rcfg)
					if err != nil {
						w.Close()
						return nil, err
					}
					return &dbconn.Pools{Writer: w.Writer, Reader: r.Writer}, nil
				}
				got := invoke(t, "Update", PhysicalResourceID)
				if string(got.Status) != tt.wantStatus {
					t.Fatalf("got %+v, want %s", got, tt.wantStatus)
				}
				if got.Status == "SUCCESS" && (got.Data["Status"] != "skipped" || got.Reason != MsgSkippedNoWriter || got.Data["Applied"] != "1,2") {
					t.Errorf("got %+v, want skipped, %q, applied 1,2", got, MsgSkippedNoWriter)
				}
			})
		}
	})

	t.Run("delete keeps the data", func(t *testing.T) {
		if _, err := root.ExecContext(ctx, "INSERT INTO todos (task, status, created_at, updated_at, version) VALUES ('keep me', 'todo', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 1)"); err != nil {
			t.Fatal(err)
		}
		if got := invoke(t, "Delete", PhysicalResourceID); got.Status != "SUCCESS" {
			t.Errorf("got %+v, want SUCCESS", got)
		}
		var n int
		if err := root.QueryRowContext(ctx, "SELECT COUNT(*) FROM todos").Scan(&n); err != nil || n != 1 {
			t.Errorf("after Delete: %d todos, %v; want the data kept", n, err)
		}
	})

	t.Run("database unreachable fails with a reason", func(t *testing.T) {
		env[dbconn.EnvDSN] = "root:x@tcp(127.0.0.1:1)/todomgmt?timeout=1s"
		savedRetry := m.retryFor
		defer func() { env[dbconn.EnvDSN], m.retryFor = c.RootDSN(c.Database()), savedRetry }()
		m.retryFor = time.Second // one pause, then FAILED
		got := invoke(t, "Create", "")
		if got.Status != "FAILED" || !strings.Contains(got.Reason, "gave up after 2 attempts") {
			t.Errorf("got %+v, want FAILED after 2 attempts", got)
		}
	})
}
