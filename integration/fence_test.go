//go:build integration

package integration

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/pkg/mysql"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// fenceRow reads the id fence's region, term and floor.
func fenceRow(tb testing.TB) (region string, term, floor int64) {
	tb.Helper()
	if err := rootDB(tb).QueryRowContext(dbCtx(tb), "SELECT writer_region, term, floor FROM id_fence WHERE id = 1").Scan(&region, &term, &floor); err != nil {
		tb.Fatal(err)
	}
	return region, term, floor
}

// TestFenceIDs plays the id fence through a failover and back on the
// shared server, with two stores on it standing for the two regions:
// it-1's writer (the seeded region) and it-2's writer once promoted.
func TestFenceIDs(t *testing.T) {
	a := newStore(t) // it-1; the fence names it-1 after the reset
	b := mysql.New(appDB(t), mysql.WithRegion("it-2"))
	ctx := dbCtx(t)
	root := rootDB(t)

	var before []todo.Todo
	for _, task := range []string{"one", "two", "three", "four", "five"} {
		before = append(before, dbCreate(t, a, task, todo.StatusTodo))
	}
	oldMax := before[len(before)-1].ID

	// it-2's writer, promoted but not fenced: no creates, with a key or
	// without, and nothing stored; updates and deletes allocate no id
	// and go through.
	_, err := b.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "too early"}})
	dbWantCode(t, "create in a region the fence does not name", err, todo.RegionPassive)
	if msg := todo.ErrorMessage(err); !strings.Contains(msg, "it-2") || !strings.Contains(msg, "names it-1") {
		t.Errorf("refusal message %q: want it to name it-2 and the fence's it-1", msg)
	}
	_, err = b.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "too early"}, IdempotencyKey: "k-early"})
	dbWantCode(t, "keyed create in a region the fence does not name", err, todo.RegionPassive)
	if n := dbCountRows(t, root, "idempotency_keys"); n != 0 {
		t.Errorf("%d idempotency keys stored by refused creates, want 0", n)
	}
	if n := dbCountRows(t, root, "todos"); n != len(before) {
		t.Errorf("%d todos after refused creates, want %d", n, len(before))
	}
	if _, err := b.Update(ctx, before[0].ID, todo.Update{Status: dbPtr(todo.StatusDone)}); err != nil {
		t.Errorf("update before the fence: %v", err)
	}
	if b.Passive() {
		t.Error("a fence refusal made it-2's store take its region for passive")
	}

	// The unplanned fence: a gap of at least the floor past the largest id.
	res, err := mysql.FenceIDs(ctx, root, mysql.Fence{Region: "it-2", DataLoss: true, Lag: 2 * time.Second})
	if err != nil {
		t.Fatalf("FenceIDs: %v", err)
	}
	t.Logf("unplanned fence: %+v", res)
	if res.Skipped || res.Region != "it-2" || res.Term != 1 || res.MaxID != oldMax || res.Gap < mysql.DefaultFenceFloor ||
		res.Floor != res.MaxID+res.Gap+1 || res.Rate <= 0 || res.Window < 62*time.Second || !strings.Contains(res.Reason, "unplanned") {
		t.Errorf("fence %+v; want term 1, max id %d, gap ≥ %d, floor = max id + gap + 1, a measured rate, a window ≥ 62 s and a reason",
			res, oldMax, mysql.DefaultFenceFloor)
	}
	if region, term, floor := fenceRow(t); region != "it-2" || term != 1 || floor != res.Floor {
		t.Errorf("fence row: %s term %d floor %d; want it-2, 1, %d", region, term, floor, res.Floor)
	}
	if n := dbCountRows(t, root, "todos"); n != len(before) {
		t.Errorf("%d todos after the fence, want %d (the counter's placeholder row must not stay)", n, len(before))
	}

	first := dbCreate(t, b, "after the fence", todo.StatusTodo)
	if first.ID < res.Floor || first.ID <= oldMax+res.Gap {
		t.Errorf("first id after the fence %d, want ≥ %d (> old max %d + gap %d)", first.ID, res.Floor, oldMax, res.Gap)
	}
	keyed, err := b.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "keyed"}, IdempotencyKey: "k-after"})
	if err != nil || keyed.Todo.ID <= first.ID {
		t.Errorf("keyed create after the fence: %+v, %v; want an id above %d", keyed.Todo, err, first.ID)
	}
	_, err = a.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "old region"}})
	dbWantCode(t, "create in the region the fence moved away from", err, todo.RegionPassive)

	// Re-runs change nothing.
	again, err := mysql.FenceIDs(ctx, root, mysql.Fence{Region: "it-2", DataLoss: true})
	if err != nil || !again.Skipped || again.Term != 1 || again.Floor != res.Floor || again.Gap != res.Gap {
		t.Errorf("second FenceIDs: %+v, %v; want skipped at term 1 with the same floor and gap", again, err)
	}

	// A planned move back: no gap, and the counter is never lowered,
	// even when the newest todos were deleted.
	top := dbCreate(t, b, "deleted before the switchover", todo.StatusTodo)
	if err := b.Delete(ctx, top.ID, nil); err != nil {
		t.Fatal(err)
	}
	planned, err := mysql.FenceIDs(ctx, root, mysql.Fence{Region: "it-1"})
	if err != nil {
		t.Fatalf("planned FenceIDs: %v", err)
	}
	if planned.Skipped || planned.Term != 2 || planned.Gap != 0 || planned.MaxID != keyed.Todo.ID || planned.Floor != keyed.Todo.ID+1 || planned.Window != 0 {
		t.Errorf("planned fence %+v; want term 2, no gap, max id %d", planned, keyed.Todo.ID)
	}
	next := dbCreate(t, a, "back home", todo.StatusTodo)
	if next.ID <= top.ID {
		t.Errorf("id after the planned fence %d, want above the deleted %d (ids are never handed out twice)", next.ID, top.ID)
	}
	_, err = b.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "left"}})
	dbWantCode(t, "create in it-2 after the move back", err, todo.RegionPassive)

	// The next unplanned fence measures the rate over the todos created
	// since the last fence, not across the first fence's gap: with a floor
	// of one id, the gap is the estimate from real creates, far below the
	// million the gap across would suggest.
	for range 3 {
		dbCreate(t, a, "since the planned fence", todo.StatusTodo)
	}
	third, err := mysql.FenceIDs(ctx, root, mysql.Fence{Region: "it-2", DataLoss: true, MinGap: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("unplanned fence with a floor of 1: %+v", third)
	if third.Term != 3 || third.Rate <= 0 || third.Rate > 1000 || third.Gap < int64(10*third.Rate*60) || third.Gap >= mysql.DefaultFenceFloor {
		t.Errorf("third fence %+v; want term 3, a rate from the last creates (a few per second), and a gap of 10 × rate × ≥ 60 s", third)
	}
	if c := dbCreate(t, b, "after the third fence", todo.StatusTodo); c.ID < third.Floor {
		t.Errorf("id after the third fence %d, want ≥ %d", c.ID, third.Floor)
	}
}

// TestReadFence: the fence as a server reads it, without changing it:
// seeded, after a fence moved it, by the application user on a read-only
// server (a replica reads what its writer replicated), and a schema
// without the row (the migrations have not run) says so.
func TestReadFence(t *testing.T) {
	newStore(t) // the fence names it-1 at term 0 after the reset
	ctx := dbCtx(t)
	root := rootDB(t)
	row, err := mysql.ReadFence(ctx, root)
	if err != nil || row.Region != testRegion || row.Term != 0 {
		t.Fatalf("seeded fence %+v, %v; want %s at term 0", row, err, testRegion)
	}
	res, err := mysql.FenceIDs(ctx, root, mysql.Fence{Region: "it-2", DataLoss: true})
	if err != nil {
		t.Fatal(err)
	}
	sharedDB(t).setReadOnly(t, true)
	row, err = mysql.ReadFence(ctx, appDB(t))
	if err != nil || row.Region != "it-2" || row.Term != res.Term || row.Floor != res.Floor || row.Gap != res.Gap || row.Reason != res.Reason ||
		time.Since(row.FencedAt) > time.Minute || row.FencedAt.Location() != time.UTC {
		t.Errorf("fence read on a read-only server %+v, %v; want the fence just made (%+v), fenced just now in UTC", row, err, res)
	}
	sharedDB(t).setReadOnly(t, false)
	if _, err := root.ExecContext(ctx, "DELETE FROM id_fence"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := root.ExecContext(ctx, "INSERT IGNORE INTO id_fence (id, writer_region, term, floor, gap, fenced_at, reason) VALUES (1, ?, 0, 0, 0, UTC_TIMESTAMP(3), 'reset by the tests')", testRegion); err != nil {
			t.Errorf("restore the fence's row: %v", err)
		}
	})
	if row, err := mysql.ReadFence(ctx, root); err == nil || !strings.Contains(err.Error(), "run the migrations") {
		t.Errorf("fence read without its row: %+v, %v; want an error saying to run the migrations", row, err)
	}
}

// TestFenceConcurrentCreates: creates in the region being fenced wait for
// the fence and then all get ids past its floor; creates in the region it
// moves away from fail or, if they got in first, stay below it. No id is
// handed out twice.
func TestFenceConcurrentCreates(t *testing.T) {
	a := newStore(t)
	b := mysql.New(appDB(t), mysql.WithRegion("it-2"))
	ctx := dbCtx(t)
	dbCreate(t, a, "before", todo.StatusTodo)

	const n = 8
	type result struct {
		region string
		id     int64
		err    error
	}
	results := make(chan result, 2*n)
	start := make(chan struct{})
	for i := range 2 * n {
		s, region := a, "it-1"
		if i%2 == 1 {
			s, region = b, "it-2"
		}
		go func() {
			<-start
			var last result
			// Keep trying for a while: it-2 opens during the loop.
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
				c, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "racing " + region}})
				last = result{region, c.Todo.ID, err}
				if err == nil || todo.ErrorCode(err) != todo.RegionPassive || region == "it-1" {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			results <- last
		}()
	}
	close(start)
	res, err := mysql.FenceIDs(ctx, rootDB(t), mysql.Fence{Region: "it-2", DataLoss: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for range 2 * n {
		r := <-results
		switch {
		case r.err != nil && !(r.region == "it-1" && todo.ErrorCode(r.err) == todo.RegionPassive):
			t.Errorf("%s create: %v", r.region, r.err)
		case r.err != nil:
		case r.region == "it-2" && r.id < res.Floor:
			t.Errorf("it-2 created id %d below the fence's floor %d", r.id, res.Floor)
		case r.region == "it-1" && r.id > res.MaxID:
			t.Errorf("it-1 created id %d after the fence (its largest id was %d)", r.id, res.MaxID)
		case seen[r.id]:
			t.Errorf("id %d handed out twice", r.id)
		}
		seen[r.id] = true
	}
}

// TestFenceSurvivesARestart: the counter the fence raised is kept across a
// server restart (InnoDB persists it: MariaDB 10.2.4+, MySQL 8.0), so the
// first id after the restart is still past the gap.
func TestFenceSurvivesARestart(t *testing.T) {
	db := startDB(t)
	ctx := dbCtx(t)
	a := mysql.New(db.App, mysql.WithRegion(testRegion))
	dbCreate(t, a, "before the fault", todo.StatusTodo)
	res, err := mysql.FenceIDs(ctx, db.Root, mysql.Fence{Region: "it-2", DataLoss: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.C.Stop(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := db.C.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// The mapped port changed with the restart: a new pool.
	b := mysql.New(dbOpenDSN(t, db.C.DSN(testAppUser, testAppPassword, testSchema)), mysql.WithRegion("it-2"))
	c := dbCreate(t, b, "after the restart", todo.StatusTodo)
	if c.ID < res.Floor {
		t.Errorf("first id after the restart %d, want ≥ %d (the fence's floor): the server forgot the raised counter", c.ID, res.Floor)
	}
}

// TestLostWriteETag: a write lost in a failover had the same version as
// the write that replaced it on the new writer, but another tag. Its ETag
// must not match: If-Match with it is 412 for updates and deletes.
func TestLostWriteETag(t *testing.T) {
	s := newStore(t)
	ctx := dbCtx(t)
	c := dbCreate(t, s, "acknowledged, then lost", todo.StatusTodo)
	lost := c.Revision()
	// On the new writer the same id at the same version came from another
	// write (here: root rewrites the row's tag, as a different write would).
	if _, err := rootDB(t).ExecContext(ctx, "UPDATE todos SET task = 'another client''s', write_tag = write_tag + 1 WHERE id = ?", c.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.Update(ctx, c.ID, todo.Update{Status: dbPtr(todo.StatusDone), IfMatch: &lost})
	dbWantCode(t, "update with the lost write's ETag", err, todo.PreconditionFailed)
	dbWantCode(t, "delete with the lost write's ETag", s.Delete(ctx, c.ID, &lost), todo.PreconditionFailed)
	got, err := s.Get(ctx, c.ID)
	if err != nil || got.Task != "another client's" || got.Status != todo.StatusTodo || got.Version != 1 {
		t.Errorf("todo after the stale writes: %+v, %v; want another client's todo untouched", got, err)
	}
}

// TestGlobalWriterRegionOutsideAurora: a server without Aurora's
// aurora_global_db_instance_status (MySQL, MariaDB) cannot tell where a
// global database's writer is; that is "unknown", not an error, so the
// migrate function keeps skipping in a region without a writer.
func TestGlobalWriterRegionOutsideAurora(t *testing.T) {
	ctx := dbCtx(t)
	for name, db := range map[string]*sql.DB{"root": rootDB(t), "app user": appDB(t)} {
		region, known, err := mysql.GlobalWriterRegion(ctx, db)
		if err != nil || known || region != "" {
			t.Errorf("%s: GlobalWriterRegion = %q, %t, %v; want unknown without an error", name, region, known, err)
		}
	}
}
