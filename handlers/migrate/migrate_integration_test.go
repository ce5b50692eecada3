//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/todomgmt/todomgmt/internal/mysqlcontainer"
	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/mysql"
	"github.com/todomgmt/todomgmt/pkg/todo"
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
	h.purge, h.fence = m.Purge, m.Fence
	srv := newCFNServer(t)
	all := embeddedVersions(t)
	allVersions := joinInts(all) // "1,2,…"

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
		if got.Status != "SUCCESS" || got.Data["Applied"] != allVersions || got.Data["NewlyApplied"] != allVersions || got.Data["AppUser"] != "todo_app" {
			t.Fatalf("got %+v, want SUCCESS applying %s with the app user", got, allVersions)
		}
		// The migration names its region (TODOMGMT_REGION, else
		// AWS_REGION, else local) in the id fence.
		var region string
		if err := root.QueryRowContext(ctx, "SELECT writer_region FROM id_fence WHERE id = 1").Scan(&region); err != nil || region != "local" {
			t.Errorf("id fence after the first migration: %q, %v; want local", region, err)
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
		if got.Status != "SUCCESS" || got.Data["NewlyApplied"] != "" || got.Data["Applied"] != allVersions {
			t.Errorf("got %+v, want SUCCESS applying nothing", got)
		}
	})

	t.Run("direct invoke CREATE_TABLE", func(t *testing.T) {
		out, err := h.Handle(ctx, json.RawMessage(`{"action":"CREATE_TABLE"}`))
		if err != nil {
			t.Fatal(err)
		}
		res, ok := out.(Result)
		if !ok || res.Status != "ok" || len(res.Applied) != len(all) || len(res.NewlyApplied) != 0 {
			t.Errorf("got %+v, want status ok with %d applied, none new", out, len(all))
		}
	})

	t.Run("purge deletes expired keys only, in batches", func(t *testing.T) {
		// The subtests below expect no todos.
		defer root.ExecContext(context.Background(), "DELETE FROM todos")
		defer root.ExecContext(context.Background(), "DELETE FROM idempotency_keys")
		store := mysql.New(root, mysql.WithRegion("local"))
		create := func(t *testing.T, key string) todo.Created {
			t.Helper()
			got, err := store.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "task " + key}, IdempotencyKey: key})
			if err != nil {
				t.Fatalf("Create(%s): %v", key, err)
			}
			return got
		}
		expired, kept := create(t, "expired-key"), create(t, "kept-key")
		// More expired keys than one DELETE removes, and the first key
		// backdated past the retention; "kept-key" stays recent.
		const bulk = 2*mysql.PurgeBatch + 5
		var values []string
		var args []any
		old := time.Now().UTC().Add(-48 * time.Hour)
		for i := range bulk {
			values = append(values, "(?, ?, ?)")
			args = append(args, fmt.Sprintf("bulk-%d", i), strings.Repeat("0", 64), old)
		}
		if _, err := root.ExecContext(ctx, "INSERT INTO idempotency_keys (idempotency_key, fingerprint, created_at) VALUES "+strings.Join(values, ","), args...); err != nil {
			t.Fatal(err)
		}
		if _, err := root.ExecContext(ctx, "UPDATE idempotency_keys SET created_at = ? WHERE idempotency_key = 'expired-key'", old); err != nil {
			t.Fatal(err)
		}

		out, err := h.Handle(ctx, json.RawMessage(`{"action":"Purge-Idempotency-Keys"}`))
		if err != nil {
			t.Fatal(err)
		}
		res, ok := out.(PurgeResult)
		if !ok || res.Status != "ok" || res.Deleted != bulk+1 || res.Retention != "24h0m0s" {
			t.Fatalf("got %+v, want status ok, %d deleted, retention 24h", out, bulk+1)
		}
		if age := time.Since(res.Cutoff); age < 24*time.Hour || age > 25*time.Hour {
			t.Errorf("cutoff %s is %s ago, want 24h ago", res.Cutoff, age)
		}
		var left []string
		rows, err := root.QueryContext(ctx, "SELECT idempotency_key FROM idempotency_keys ORDER BY idempotency_key")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			left = append(left, k)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if strings.Join(left, ",") != "kept-key" {
			t.Errorf("keys left %v, want [kept-key]", left)
		}

		// A purged key is new again; a kept one still replays.
		if got := create(t, "expired-key"); got.Replayed || got.Todo.ID == expired.Todo.ID {
			t.Errorf("purged key: got %+v, want a new todo (not %d)", got, expired.Todo.ID)
		}
		if got := create(t, "kept-key"); !got.Replayed || got.Todo.ID != kept.Todo.ID {
			t.Errorf("kept key: got %+v, want a replay of todo %d", got, kept.Todo.ID)
		}

		// Nothing left to purge.
		out, err = h.Handle(ctx, json.RawMessage(`{"action":"purge-idempotency-keys"}`))
		if res, ok := out.(PurgeResult); err != nil || !ok || res.Status != "ok" || res.Deleted != 0 {
			t.Errorf("second purge: got %+v, %v; want ok, 0 deleted", out, err)
		}
	})

	t.Run("purge on a read-only server is skipped", func(t *testing.T) {
		defer root.ExecContext(context.Background(), "DELETE FROM idempotency_keys")
		if _, err := root.ExecContext(ctx, "INSERT INTO idempotency_keys (idempotency_key, fingerprint, created_at) VALUES ('ro-expired', ?, ?)", strings.Repeat("0", 64), time.Now().UTC().Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := root.ExecContext(ctx, "SET GLOBAL read_only = 1"); err != nil {
			t.Fatal(err)
		}
		defer root.ExecContext(context.Background(), "SET GLOBAL read_only = 0")
		out, err := h.Handle(ctx, json.RawMessage(`{"action":"purge-idempotency-keys"}`))
		if res, ok := out.(PurgeResult); err != nil || !ok || res.Status != "skipped" || res.Message != MsgSkippedReadOnly || res.Deleted != 0 {
			t.Errorf("got %+v, %v; want skipped, %q, 0 deleted", out, err, MsgSkippedReadOnly)
		}
	})

	t.Run("purge of an unreachable database fails without waiting", func(t *testing.T) {
		env[dbconn.EnvDSN] = "root:x@tcp(127.0.0.1:1)/todomgmt?timeout=1s"
		defer func() { env[dbconn.EnvDSN] = c.RootDSN(c.Database()) }()
		saved := m.pause
		defer func() { m.pause = saved }()
		paused := 0
		m.pause = func(context.Context, time.Duration) error { paused++; return nil }
		if _, err := h.Handle(ctx, json.RawMessage(`{"action":"purge-idempotency-keys"}`)); err == nil || paused != 0 {
			t.Errorf("got error %v after %d pauses, want an error and no pause", err, paused)
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
				if got.Status == "SUCCESS" && (got.Data["Status"] != "skipped" || got.Reason != MsgSkippedNoWriter || got.Data["Applied"] != allVersions) {
					t.Errorf("got %+v, want skipped, %q, applied %s", got, MsgSkippedNoWriter, allVersions)
				}
			})
		}
	})

	t.Run("fence-ids opens creates past every id the old writer can have issued", func(t *testing.T) {
		defer root.ExecContext(context.Background(), "DELETE FROM todos")
		store := mysql.New(root, mysql.WithRegion("local"))
		fence := func(t *testing.T, event string) (FenceResponse, error) {
			t.Helper()
			out, err := h.Handle(ctx, json.RawMessage(event))
			if err != nil {
				return FenceResponse{}, err
			}
			res, ok := out.(FenceResponse)
			if !ok {
				t.Fatalf("got %T, want a FenceResponse", out)
			}
			return res, nil
		}
		// The migration named this region: nothing to do.
		res, err := fence(t, `{"action":"fence-ids","fence":{"region":"local"}}`)
		if err != nil || !res.Skipped {
			t.Fatalf("fence of the seeded region: %+v, %v; want skipped", res, err)
		}
		var last int64
		for range 3 {
			c, err := store.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "before the fault"}})
			if err != nil {
				t.Fatal(err)
			}
			last = c.Todo.ID
		}
		// Another region held the fence (this writer was promoted by an
		// unplanned failover): creates here are refused until the fence.
		if _, err := root.ExecContext(ctx, "UPDATE id_fence SET writer_region = 'us-east-1', term = 5 WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "too early"}}); todo.ErrorCode(err) != todo.RegionPassive {
			t.Fatalf("create before the fence: got %v, want region_passive", err)
		}
		if _, err := fence(t, `{"action":"fence-ids","fence":{"region":"us-west-2","dataLoss":true}}`); err == nil || !strings.Contains(err.Error(), "runs in local") {
			t.Errorf("fence of another region: got %v, want an error naming this function's region", err)
		}
		res, err = fence(t, `{"action":"fence-ids","fence":{"region":"local","dataLoss":true,"lagSeconds":1.5,"minGap":0}}`)
		if err != nil {
			t.Fatal(err)
		}
		if res.Skipped || res.Region != "local" || res.Term != 6 || res.MaxID != last || res.Gap < mysql.DefaultFenceFloor ||
			res.Floor != last+res.Gap+1 || res.WindowSeconds < 61.5 || res.Rate <= 0 || res.Reason == "" {
			t.Errorf("fence: %+v; want term 6, max id %d, a gap of at least %d, a window of at least 61.5 s, a rate and a reason", res, last, mysql.DefaultFenceFloor)
		}
		c, err := store.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "after the fence"}})
		if err != nil || c.Todo.ID < res.Floor {
			t.Errorf("create after the fence: %+v, %v; want an id of at least %d", c.Todo, err, res.Floor)
		}
		if again, err := fence(t, `{"action":"fence-ids","fence":{"region":"local","dataLoss":true}}`); err != nil || !again.Skipped || again.Term != 6 || again.Floor != res.Floor {
			t.Errorf("second fence: %+v, %v; want skipped at term 6, floor %d", again, err, res.Floor)
		}

		if _, err := root.ExecContext(ctx, "SET GLOBAL read_only = 1"); err != nil {
			t.Fatal(err)
		}
		defer root.ExecContext(context.Background(), "SET GLOBAL read_only = 0")
		if _, err := root.ExecContext(ctx, "UPDATE id_fence SET writer_region = 'us-east-1' WHERE id = 1"); err != nil {
			t.Fatal(err) // root still writes on a read-only server
		}
		if _, err := fence(t, `{"action":"fence-ids","fence":{"region":"local","dataLoss":true}}`); err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("fence on a read-only server: got %v, want an error saying read-only", err)
		}
		if _, err := root.ExecContext(ctx, "UPDATE id_fence SET writer_region = 'local' WHERE id = 1"); err != nil {
			t.Fatal(err)
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

// embeddedVersions lists the versions of the embedded migrations, in
// order: what a run reports as applied on a fresh schema.
func embeddedVersions(tb testing.TB) []int {
	tb.Helper()
	ms, err := mysql.Migrations()
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]int, len(ms))
	for i, mg := range ms {
		out[i] = mg.Version
	}
	return out
}
