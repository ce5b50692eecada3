//go:build integration

package integration

import (
	"context"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/internal/roundtrip"
	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/mysql"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// TestRoundTrips pins the round trips each store operation makes to the
// server, counted on the driver's connection (internal/roundtrip): the
// minimums docs/development.md#round-trips-per-operation gives, so that they
// cannot silently regress. The pool is built by pkg/dbconn as the API's is
// (interpolateParams=true: one round trip per statement) and holds one warm
// connection, so no count includes a connect.
func TestRoundTrips(t *testing.T) {
	resetDB(t)
	ctx := dbCtx(t)
	var counter roundtrip.Counter
	dsn, deregister, err := counter.DSN(appDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer deregister()
	pools, err := dbconn.Open(ctx, dbconn.Config{DSN: dsn, MaxOpenConns: 1, ConnMaxLifetime: time.Hour, ConnMaxIdleTime: time.Hour, ConnectTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pools.Close()
	if err := pools.Writer.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	s := mysql.New(pools.Writer, mysql.WithRegion(testRegion))
	elsewhere := mysql.New(pools.Writer, mysql.WithRegion("it-2")) // not named by the fence

	// Fixtures, made before counting.
	seed := func(task string) todo.Todo { return dbCreate(t, s, task, todo.StatusWIP) }
	getMe, updMe, updCond, updStale := seed("get me"), seed("update me"), seed("update me if"), seed("stale")
	delMe, delCond, delStale := seed("delete me"), seed("delete me if"), seed("stale delete")
	replayReq := todo.CreateRequest{Draft: todo.Draft{Task: "keyed once"}, IdempotencyKey: "rt-replay"}
	if _, err := s.Create(ctx, replayReq); err != nil {
		t.Fatal(err)
	}
	stale := updStale.Revision()
	if _, err := s.Update(ctx, updStale.ID, todo.Update{Task: dbPtr("moved on")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, delStale.ID, todo.Update{Task: dbPtr("moved on")}); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name string
		want int64
		op   func(ctx context.Context) error
	}{
		{"GET by id", 1, func(ctx context.Context) error { _, err := s.Get(ctx, getMe.ID); return err }},
		{"GET absent", 1, func(ctx context.Context) error { _, err := s.Get(ctx, 999999); return wantCode(err, todo.NotFound) }},
		{"list page", 1, func(ctx context.Context) error { _, err := s.List(ctx, todo.ListQuery{Limit: 2}); return err }},
		{"list page by status", 1, func(ctx context.Context) error {
			_, err := s.List(ctx, todo.ListQuery{Status: todo.StatusWIP, After: 1, Limit: 2})
			return err
		}},
		{"create", 1, func(ctx context.Context) error {
			_, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "plain"}})
			return err
		}},
		{"create with Idempotency-Key", 4, func(ctx context.Context) error {
			_, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "keyed"}, IdempotencyKey: "rt-first"})
			return err
		}},
		{"replayed create", 5, func(ctx context.Context) error {
			c, err := s.Create(ctx, replayReq)
			if err == nil && !c.Replayed {
				return todo.Errorf(todo.Internal, "the create was not a replay")
			}
			return err
		}},
		{"Idempotency-Key reused with another body", 5, func(ctx context.Context) error {
			_, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "other"}, IdempotencyKey: "rt-replay"})
			return wantCode(err, todo.Conflict)
		}},
		{"create refused by the id fence", 2, func(ctx context.Context) error {
			_, err := elsewhere.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "refused"}})
			return wantCode(err, todo.RegionPassive)
		}},
		{"update", 2, func(ctx context.Context) error {
			_, err := s.Update(ctx, updMe.ID, todo.Update{Status: dbPtr(todo.StatusDone)})
			return err
		}},
		{"update with If-Match", 2, func(ctx context.Context) error {
			_, err := s.Update(ctx, updCond.ID, todo.Update{Status: dbPtr(todo.StatusDone), IfMatch: dbPtr(updCond.Revision())})
			return err
		}},
		{"update with a stale If-Match", 1, func(ctx context.Context) error {
			_, err := s.Update(ctx, updStale.ID, todo.Update{Task: dbPtr("late"), IfMatch: &stale})
			return wantCode(err, todo.PreconditionFailed)
		}},
		{"update absent", 1, func(ctx context.Context) error {
			_, err := s.Update(ctx, 999999, todo.Update{Task: dbPtr("x")})
			return wantCode(err, todo.NotFound)
		}},
		{"delete", 1, func(ctx context.Context) error { return s.Delete(ctx, delMe.ID, nil) }},
		{"delete with If-Match", 1, func(ctx context.Context) error { return s.Delete(ctx, delCond.ID, dbPtr(delCond.Revision())) }},
		{"delete with a stale If-Match", 2, func(ctx context.Context) error {
			return wantCode(s.Delete(ctx, delStale.ID, dbPtr(delStale.Revision())), todo.PreconditionFailed)
		}},
		{"delete absent", 1, func(ctx context.Context) error { return wantCode(s.Delete(ctx, 999999, nil), todo.NotFound) }},
		{"delete absent with If-Match", 2, func(ctx context.Context) error {
			return wantCode(s.Delete(ctx, 999999, &todo.Revision{Version: 1, Tag: 1}), todo.NotFound)
		}},
		{"health", 1, func(ctx context.Context) error { _, err := s.Health(ctx); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := counter.Count()
			if err := tt.op(ctx); err != nil {
				t.Fatal(err)
			}
			if got := counter.Count() - before; got != tt.want {
				t.Errorf("%s: %d round trips, want %d", tt.name, got, tt.want)
			}
		})
	}
	if got := pools.Writer.Stats().OpenConnections; got != 1 {
		t.Errorf("%d connections open, want the one warm connection (a count must not include a connect)", got)
	}
}

// wantCode returns nil when err has the code want, an error otherwise.
func wantCode(err error, want todo.Code) error {
	if got := todo.ErrorCode(err); got != want {
		return todo.Errorf(todo.Internal, "got %q (%v), want %q", got, err, want)
	}
	return nil
}
