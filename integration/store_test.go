//go:build integration

package integration

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/mysql"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

func dbCtx(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}

func dbCreate(tb testing.TB, s todo.Service, task string, status todo.Status) todo.Todo {
	tb.Helper()
	c, err := s.Create(dbCtx(tb), todo.CreateRequest{Draft: todo.Draft{Task: task, Status: status}})
	if err != nil {
		tb.Fatalf("Create(%q): %v", task, err)
	}
	return c.Todo
}

func dbWantCode(tb testing.TB, what string, err error, want todo.Code) {
	tb.Helper()
	if got := todo.ErrorCode(err); got != want {
		tb.Errorf("%s: got code %q (err %v), want %q", what, got, err, want)
	}
}

func dbPtr[T any](v T) *T { return &v }

func TestStoreCRUD(t *testing.T) {
	s := newStore(t)
	ctx := dbCtx(t)

	// 200 characters of 4-byte UTF-8: the column must count characters.
	long := strings.Repeat("🦫", todo.MaxTaskLength)
	created, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: long}})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	c := created.Todo
	if c.ID < 1 || c.Version != 1 || c.Status != todo.StatusTodo || created.Replayed {
		t.Errorf("created %+v (replayed %v), want id > 0, version 1, status todo, not replayed", c, created.Replayed)
	}
	if !c.CreatedAt.Equal(c.UpdatedAt) || c.CreatedAt.IsZero() {
		t.Errorf("createdAt %v, updatedAt %v: want equal and set", c.CreatedAt, c.UpdatedAt)
	}

	got, err := s.Get(ctx, c.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("Get after Create (-created +got):\n%s", diff)
	}

	if c.Tag == 0 {
		t.Errorf("created with tag 0, want a random write tag")
	}
	updated, err := s.Update(ctx, c.ID, todo.Update{Task: dbPtr("shorter"), Status: dbPtr(todo.StatusWIP), IfMatch: dbPtr(c.Revision())})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if updated.Task != "shorter" || updated.Status != todo.StatusWIP || updated.Version != 2 || !updated.CreatedAt.Equal(c.CreatedAt) || updated.Tag == c.Tag || updated.Tag == 0 {
		t.Errorf("updated %+v, want task shorter, status wip, version 2, same createdAt, a new tag", updated)
	}
	if updated.UpdatedAt.Before(c.UpdatedAt) {
		t.Errorf("updatedAt went back: %v < %v", updated.UpdatedAt, c.UpdatedAt)
	}
	got, err = s.Get(ctx, c.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(updated, got); diff != "" {
		t.Errorf("Get after Update (-updated +got):\n%s", diff)
	}

	// Status only, no version condition: the version still moves.
	done, err := s.Update(ctx, c.ID, todo.Update{Status: dbPtr(todo.StatusDone)})
	if err != nil {
		t.Fatalf("Update status: %v", err)
	}
	if done.Task != "shorter" || done.Status != todo.StatusDone || done.Version != 3 {
		t.Errorf("after status update got %+v, want task kept, status done, version 3", done)
	}

	_, err = s.Update(ctx, c.ID, todo.Update{Task: dbPtr("x"), IfMatch: dbPtr(updated.Revision())})
	dbWantCode(t, "Update with a stale version", err, todo.PreconditionFailed)
	dbWantCode(t, "Delete with a stale version", s.Delete(ctx, c.ID, dbPtr(updated.Revision())), todo.PreconditionFailed)
	// The current version with another write's tag (a write lost in a
	// failover reached version 3 too) must never match.
	lost := todo.Revision{Version: done.Version, Tag: done.Tag ^ 1}
	_, err = s.Update(ctx, c.ID, todo.Update{Task: dbPtr("x"), IfMatch: &lost})
	dbWantCode(t, "Update with a lost write's tag", err, todo.PreconditionFailed)
	dbWantCode(t, "Delete with a lost write's tag", s.Delete(ctx, c.ID, &lost), todo.PreconditionFailed)
	dbWantCode(t, "Delete with the zero revision", s.Delete(ctx, c.ID, &todo.Revision{}), todo.PreconditionFailed)

	if err := s.Delete(ctx, c.ID, dbPtr(done.Revision())); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err = s.Get(ctx, c.ID)
	dbWantCode(t, "Get after Delete", err, todo.NotFound)
	dbWantCode(t, "Delete again", s.Delete(ctx, c.ID, nil), todo.NotFound)
	dbWantCode(t, "Delete again with a condition", s.Delete(ctx, c.ID, dbPtr(done.Revision())), todo.NotFound)
	_, err = s.Update(ctx, c.ID, todo.Update{Task: dbPtr("x"), IfMatch: dbPtr(done.Revision())})
	dbWantCode(t, "Update of a deleted todo with a condition", err, todo.NotFound)
	_, err = s.Update(ctx, c.ID, todo.Update{Task: dbPtr("x")})
	dbWantCode(t, "Update of a deleted todo", err, todo.NotFound)

	// Unconditional delete.
	other := dbCreate(t, s, "other", todo.StatusTodo)
	if err := s.Delete(ctx, other.ID, nil); err != nil {
		t.Fatalf("Delete without version: %v", err)
	}
}

func TestStoreInvalidInput(t *testing.T) {
	s := newStore(t)
	ctx := dbCtx(t)
	for _, tt := range []struct {
		name string
		call func() error
	}{
		{"get id 0", func() error { _, err := s.Get(ctx, 0); return err }},
		{"empty task", func() error {
			_, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: " "}})
			return err
		}},
		{"task of 201 characters", func() error {
			_, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: strings.Repeat("a", 201)}})
			return err
		}},
		{"bad status", func() error {
			_, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "a", Status: "later"}})
			return err
		}},
		{"bad key", func() error {
			_, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "a"}, IdempotencyKey: "has space"})
			return err
		}},
		{"empty update", func() error { _, err := s.Update(ctx, 1, todo.Update{}); return err }},
		{"limit too big", func() error { _, err := s.List(ctx, todo.ListQuery{Limit: todo.MaxLimit + 1}); return err }},
		{"negative version", func() error { return s.Delete(ctx, 1, &todo.Revision{Version: -1}) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dbWantCode(t, tt.name, tt.call(), todo.Invalid)
		})
	}
}

func TestStorePagination(t *testing.T) {
	s := newStore(t)
	ctx := dbCtx(t)
	statuses := []todo.Status{todo.StatusTodo, todo.StatusWIP, todo.StatusDone}
	byStatus := map[todo.Status][]int64{}
	var all []int64
	for i := 0; i < 23; i++ {
		st := statuses[i%len(statuses)]
		c := dbCreate(t, s, fmt.Sprintf("task %d", i), st)
		all = append(all, c.ID)
		byStatus[st] = append(byStatus[st], c.ID)
	}
	// A deleted todo leaves a gap in the ids that pages must step over.
	if err := s.Delete(ctx, all[4], nil); err != nil {
		t.Fatal(err)
	}
	byStatus[statuses[4%3]] = dbRemoveID(byStatus[statuses[4%3]], all[4])
	all = dbRemoveID(all, all[4])

	for _, tt := range []struct {
		name   string
		status todo.Status
		limit  int
		want   []int64
	}{
		{"all, pages of 5", "", 5, all},
		{"all, pages of 1", "", 1, all},
		{"all, one page exactly", "", len(all), all},
		{"all, page larger than the list", "", 100, all},
		{"all, default limit", "", 0, all},
		{"wip, pages of 2", todo.StatusWIP, 2, byStatus[todo.StatusWIP]},
		{"done, pages of 7 (one exact page)", todo.StatusDone, len(byStatus[todo.StatusDone]), byStatus[todo.StatusDone]},
		{"todo, pages of 3", todo.StatusTodo, 3, byStatus[todo.StatusTodo]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			var after int64
			for pages := 0; ; pages++ {
				if pages > len(all)+1 {
					t.Fatalf("more pages than todos: the cursor does not advance")
				}
				page, err := s.List(ctx, todo.ListQuery{Status: tt.status, After: after, Limit: tt.limit})
				if err != nil {
					t.Fatalf("List(after %d): %v", after, err)
				}
				limit := tt.limit
				if limit == 0 {
					limit = todo.DefaultLimit
				}
				if len(page.Items) > limit {
					t.Fatalf("page of %d items, limit %d", len(page.Items), limit)
				}
				for _, it := range page.Items {
					if tt.status != "" && it.Status != tt.status {
						t.Errorf("item %d has status %q, want %q", it.ID, it.Status, tt.status)
					}
					got = append(got, it.ID)
				}
				if page.Next == 0 {
					break
				}
				if len(page.Items) == 0 || page.Next != page.Items[len(page.Items)-1].ID {
					t.Fatalf("Next = %d, want the last item's id", page.Next)
				}
				after = page.Next
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids over all pages (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("empty page past the end", func(t *testing.T) {
		page, err := s.List(ctx, todo.ListQuery{After: all[len(all)-1]})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 0 || page.Next != 0 || page.Items == nil {
			t.Errorf("got %+v, want an empty, non-nil page with Next 0", page)
		}
	})
}

func dbRemoveID(ids []int64, id int64) []int64 {
	out := ids[:0:0]
	for _, v := range ids {
		if v != id {
			out = append(out, v)
		}
	}
	return out
}

func TestStoreConcurrentUpdatesOfOneVersion(t *testing.T) {
	s := newStore(t)
	ctx := dbCtx(t)
	const n = 12
	c := dbCreate(t, s, "contended", todo.StatusTodo)

	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = s.Update(ctx, c.ID, todo.Update{Task: dbPtr(fmt.Sprintf("writer %d", i)), IfMatch: dbPtr(c.Revision())})
		}()
	}
	close(start)
	wg.Wait()

	wins := 0
	for i, err := range errs {
		switch todo.ErrorCode(err) {
		case "":
			wins++
		case todo.PreconditionFailed:
		default:
			t.Errorf("writer %d: got %v, want success or precondition_failed", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d updates of version %d succeeded, want exactly 1", wins, c.Version)
	}
	got, err := s.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != c.Version+1 {
		t.Errorf("final version %d, want %d", got.Version, c.Version+1)
	}
}

func TestStoreConcurrentUnconditionalUpdatesAllCount(t *testing.T) {
	s := newStore(t)
	ctx := dbCtx(t)
	const n = 8
	c := dbCreate(t, s, "counter", todo.StatusTodo)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Update(ctx, c.ID, todo.Update{Status: dbPtr(todo.StatusWIP)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("update %d: %v", i, err)
		}
	}
	got, err := s.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1+n {
		t.Errorf("version after %d unconditional updates = %d, want %d (no lost bump)", n, got.Version, 1+n)
	}
}

func TestStoreConcurrentIdempotentCreates(t *testing.T) {
	s := newStore(t)
	ctx := dbCtx(t)
	const n = 12
	req := todo.CreateRequest{Draft: todo.Draft{Task: "once", Status: todo.StatusWIP}, IdempotencyKey: "key-concurrent-1"}

	results := make([]todo.Created, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = s.Create(ctx, req)
		}()
	}
	close(start)
	wg.Wait()

	firsts := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("create %d: %v", i, errs[i])
		}
		if !results[i].Replayed {
			firsts++
		}
		if diff := cmp.Diff(results[0].Todo, results[i].Todo); diff != "" {
			t.Errorf("create %d answered a different todo (-first +got):\n%s", i, diff)
		}
	}
	if firsts != 1 {
		t.Errorf("%d creates were not replays, want exactly 1", firsts)
	}
	if got := dbCountRows(t, rootDB(t), "todos"); got != 1 {
		t.Errorf("%d todos stored for one idempotency key, want 1", got)
	}
}

func dbCountRows(tb testing.TB, db *sql.DB, table string) int {
	tb.Helper()
	var n int
	if err := db.QueryRowContext(dbCtx(tb), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestStoreIdempotentReplay(t *testing.T) {
	s := newStore(t)
	ctx := dbCtx(t)
	req := todo.CreateRequest{Draft: todo.Draft{Task: "buy milk"}, IdempotencyKey: "Key-A"}
	first, err := s.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if first.Replayed {
		t.Fatal("the first create was marked replayed")
	}
	if _, err := s.Update(ctx, first.Todo.ID, todo.Update{Task: dbPtr("buy oat milk"), Status: dbPtr(todo.StatusDone)}); err != nil {
		t.Fatal(err)
	}

	again, err := s.Create(ctx, req)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if !again.Replayed {
		t.Error("replay not marked replayed")
	}
	if diff := cmp.Diff(first.Todo, again.Todo); diff != "" {
		t.Errorf("replay after an update must return the FIRST response (-first +replay):\n%s", diff)
	}

	// The draft is normalised before fingerprinting: status "" is "todo".
	explicit, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "buy milk", Status: todo.StatusTodo}, IdempotencyKey: "Key-A"})
	if err != nil || !explicit.Replayed {
		t.Errorf("same draft with the default status spelled out: got replayed=%v err=%v, want a replay", explicit.Replayed, err)
	}

	// Still the first response after the todo is gone.
	if err := s.Delete(ctx, first.Todo.ID, nil); err != nil {
		t.Fatal(err)
	}
	gone, err := s.Create(ctx, req)
	if err != nil || !gone.Replayed || gone.Todo.ID != first.Todo.ID {
		t.Errorf("replay after delete: got %+v, %v; want the first response", gone, err)
	}

	for _, tt := range []struct {
		name string
		req  todo.CreateRequest
	}{
		{"different task", todo.CreateRequest{Draft: todo.Draft{Task: "buy bread"}, IdempotencyKey: "Key-A"}},
		{"different status", todo.CreateRequest{Draft: todo.Draft{Task: "buy milk", Status: todo.StatusWIP}, IdempotencyKey: "Key-A"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Create(ctx, tt.req)
			dbWantCode(t, "same key, different request", err, todo.Conflict)
		})
	}

	// Keys are case-sensitive: "key-a" is another key.
	other, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "buy bread"}, IdempotencyKey: "key-a"})
	if err != nil || other.Replayed {
		t.Errorf("create with key-a: got replayed=%v err=%v, want a new todo", other.Replayed, err)
	}
	if got := dbCountRows(t, rootDB(t), "idempotency_keys"); got != 2 {
		t.Errorf("%d idempotency keys stored, want 2", got)
	}
}

func TestStoreHealthActive(t *testing.T) {
	s := newStore(t)
	h, err := s.Health(dbCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if h.Role != todo.RoleActive || h.Latency <= 0 {
		t.Errorf("got %+v, want role active and a latency", h)
	}
}

// TestStorePassiveRegion: the API's pool on a read-only server, as in the
// passive region. Reads work; every write is RegionPassive, whether the
// driver rejects read-only connections (production) or not, and whether
// the server is fenced or the user simply lacks write rights.
func TestStorePassiveRegion(t *testing.T) {
	db := passiveDB(t)
	ctx := dbCtx(t)
	// Root may still write on a fenced server: seed through it.
	if _, err := db.Root.ExecContext(ctx,
		"INSERT INTO todos (task, status, created_at, updated_at, version) VALUES ('seeded', 'todo', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 1)"); err != nil {
		t.Fatal(err)
	}

	noReject := db.C.Config(testAppUser, testAppPassword, testSchema)
	noReject.RejectReadOnly = false
	readOnlyUser := dbReadOnlyUser(t, sharedDB(t))

	for _, tt := range []struct {
		name string
		pool *sql.DB
	}{
		{"fenced server, rejectReadOnly=true", db.App},
		{"fenced server, rejectReadOnly=false", dbOpenDSN(t, noReject.FormatDSN())},
		{"writable server, user without write rights", readOnlyUser},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := mysql.New(tt.pool, mysql.WithRegion(testRegion))
			page, err := s.List(ctx, todo.ListQuery{})
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if len(page.Items) == 0 {
				t.Fatal("List: no items, want the seeded todo")
			}
			id := page.Items[0].ID
			if _, err := s.Get(ctx, id); err != nil {
				t.Errorf("Get: %v", err)
			}
			_, err = s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "x"}})
			dbWantCode(t, "Create", err, todo.RegionPassive)
			_, err = s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "x"}, IdempotencyKey: "k-passive"})
			dbWantCode(t, "Create with a key", err, todo.RegionPassive)
			_, err = s.Update(ctx, id, todo.Update{Task: dbPtr("y")})
			dbWantCode(t, "Update", err, todo.RegionPassive)
			dbWantCode(t, "Delete", s.Delete(ctx, id, nil), todo.RegionPassive)
			if !s.Passive() {
				t.Error("the store did not learn that the region is passive")
			}
		})
	}

	h, err := mysql.New(db.App).Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Role != todo.RolePassive {
		t.Errorf("Health on a fenced server: role %q, want passive", h.Role)
	}
}

// dbReadOnlyUser makes a user with SELECT only on the shared server's
// schema and returns a pool for it.
func dbReadOnlyUser(tb testing.TB, db *testDB) *sql.DB {
	tb.Helper()
	ctx := dbCtx(tb)
	for _, stmt := range []string{
		"CREATE USER IF NOT EXISTS 'todo_ro'@'%' IDENTIFIED BY 'ro-secret'",
		"GRANT SELECT ON `" + testSchema + "`.* TO 'todo_ro'@'%'",
	} {
		if _, err := db.Root.ExecContext(ctx, stmt); err != nil {
			tb.Fatalf("%s: %v", stmt, err)
		}
	}
	resetDB(tb)
	if _, err := db.Root.ExecContext(ctx,
		"INSERT INTO todos (task, status, created_at, updated_at, version) VALUES ('seeded', 'todo', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 1)"); err != nil {
		tb.Fatal(err)
	}
	cfg := db.C.Config("todo_ro", "ro-secret", testSchema)
	cfg.RejectReadOnly = true
	return dbOpenDSN(tb, cfg.FormatDSN())
}

func dbOpenDSN(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// TestStoreReadsFollowTheRole: once a write finds the writer read-only,
// reads go to the reader pool; Health keeps the learned role.
func TestStoreReadsFollowTheRole(t *testing.T) {
	writer := passiveDB(t)
	ctx := dbCtx(t)
	resetDB(t) // the shared server plays the reader
	for _, row := range []struct {
		db   *sql.DB
		task string
	}{{writer.Root, "on the writer"}, {rootDB(t), "on the reader"}} {
		if _, err := row.db.ExecContext(ctx,
			"INSERT INTO todos (task, status, created_at, updated_at, version) VALUES (?, 'todo', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 1)", row.task); err != nil {
			t.Fatal(err)
		}
	}
	s := mysql.New(writer.App, mysql.WithReader(appDB(t)), mysql.WithRoleTTL(time.Minute), mysql.WithRegion(testRegion))

	got, err := s.Get(ctx, 1)
	if err != nil || got.Task != "on the writer" {
		t.Fatalf("before learning the role: got %q, %v; want the writer's row", got.Task, err)
	}
	_, err = s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "x"}})
	dbWantCode(t, "Create on the read-only writer", err, todo.RegionPassive)
	got, err = s.Get(ctx, 1)
	if err != nil || got.Task != "on the reader" {
		t.Errorf("after a write failed read-only: got %q, %v; want the reader's row", got.Task, err)
	}
	page, err := s.List(ctx, todo.ListQuery{})
	if err != nil || len(page.Items) != 1 || page.Items[0].Task != "on the reader" {
		t.Errorf("List after learning passive: got %+v, %v; want the reader's row", page.Items, err)
	}

	// Unfenced (promoted): Health notices, and reads go back to the writer.
	writer.setReadOnly(t, false)
	h, err := s.Health(ctx)
	if err != nil || h.Role != todo.RoleActive {
		t.Fatalf("Health after promotion: %+v, %v; want active", h, err)
	}
	got, err = s.Get(ctx, 1)
	if err != nil || got.Task != "on the writer" {
		t.Errorf("after promotion: got %q, %v; want the writer's row", got.Task, err)
	}
}

// TestStoreDatabaseDown: a stopped or hung server makes every call fail
// with Unavailable within the caller's deadline (deadlineBound of it),
// never hang until the driver's I/O timeout.
func TestStoreDatabaseDown(t *testing.T) {
	db := startDB(t)
	s := mysql.New(db.App, mysql.WithRegion(testRegion))
	c := dbCreate(t, s, "before the outage", todo.StatusTodo)

	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Get", func(ctx context.Context) error { _, err := s.Get(ctx, c.ID); return err }},
		{"List", func(ctx context.Context) error { _, err := s.List(ctx, todo.ListQuery{}); return err }},
		{"Create", func(ctx context.Context) error {
			_, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "x"}, IdempotencyKey: "k-down"})
			return err
		}},
		{"Update", func(ctx context.Context) error {
			_, err := s.Update(ctx, c.ID, todo.Update{Task: dbPtr("y")})
			return err
		}},
		{"Delete", func(ctx context.Context) error { return s.Delete(ctx, c.ID, nil) }},
		{"Health", func(ctx context.Context) error { _, err := s.Health(ctx); return err }},
	}
	run := func(t *testing.T) {
		for _, tt := range calls {
			t.Run(tt.name, func(t *testing.T) {
				const deadline = 2 * time.Second
				ctx, cancel := context.WithTimeout(context.Background(), deadline)
				defer cancel()
				done := make(chan error, 1)
				go func() { done <- tt.call(ctx) }()
				select {
				case err := <-done:
					dbWantCode(t, tt.name, err, todo.Unavailable)
				case <-time.After(deadlineBound(deadline)):
					t.Fatalf("%s did not return within %v of its %v deadline", tt.name, deadlineBound(deadline), deadline)
				}
			})
		}
	}

	t.Run("paused", func(t *testing.T) {
		if err := db.C.Pause(dbCtx(t)); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := db.C.Unpause(context.Background()); err != nil {
				t.Fatal(err)
			}
		}()
		run(t)
	})
	t.Run("stopped", func(t *testing.T) {
		if err := db.C.Stop(dbCtx(t), 5*time.Second); err != nil {
			t.Fatal(err)
		}
		run(t)
	})
}

// TestStoreReadsFollowTheWriter: reads fall back to whichever pool answers,
// both ways, against real servers. First the writer endpoint cannot be
// connected to (the passive region's proxy read/write endpoint): the
// reader serves. Then a promotion: the writer, read-only until then,
// becomes writable and the reader goes away (the proxy's read-only
// endpoint with no target): the first read after it is served by the
// writer, and the store takes the region for active again.
func TestStoreReadsFollowTheWriter(t *testing.T) {
	reader := startDB(t)
	ctx := dbCtx(t)
	resetDB(t) // the shared server plays the writer
	for _, row := range []struct {
		db   *sql.DB
		task string
	}{{rootDB(t), "on the writer"}, {reader.Root, "on the reader"}} {
		if _, err := row.db.ExecContext(ctx,
			"INSERT INTO todos (task, status, created_at, updated_at, version) VALUES (?, 'todo', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 1)", row.task); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("writer endpoint refused: the reader serves", func(t *testing.T) {
		refused, err := dbconn.Open(ctx, dbconn.Config{DSN: "todo_app:x@tcp(127.0.0.1:1)/todomgmt", MaxOpenConns: 1, ConnMaxLifetime: time.Minute, ConnectTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer refused.Close()
		s := mysql.New(refused.Writer, mysql.WithReader(reader.App), mysql.WithRoleTTL(time.Minute), mysql.WithRegion(testRegion))
		got, err := s.Get(ctx, 1)
		if err != nil || got.Task != "on the reader" {
			t.Fatalf("Get: %q, %v; want the reader's row", got.Task, err)
		}
		if !s.Passive() {
			t.Error("Passive() = false after only the reader answered, want true")
		}
	})

	t.Run("after a promotion: the writer serves", func(t *testing.T) {
		shared := sharedDB(t)
		shared.setReadOnly(t, true) // undone when the test ends
		s := mysql.New(appDB(t), mysql.WithReader(reader.App), mysql.WithRoleTTL(time.Minute), mysql.WithRegion(testRegion))
		_, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "x"}})
		dbWantCode(t, "Create on the read-only writer", err, todo.RegionPassive)
		if got, err := s.Get(ctx, 1); err != nil || got.Task != "on the reader" {
			t.Fatalf("while passive: %q, %v; want the reader's row", got.Task, err)
		}

		// The promotion: the writer takes writes, the reader is gone.
		shared.setReadOnly(t, false)
		if err := reader.C.Stop(ctx, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		const deadline = 3 * time.Second
		rctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		got, err := s.Get(rctx, 1)
		if err != nil || got.Task != "on the writer" {
			t.Fatalf("first read after the promotion: %q, %v; want the writer's row", got.Task, err)
		}
		if s.Passive() {
			t.Error("Passive() = true after the writer answered, want false")
		}
		page, err := s.List(ctx, todo.ListQuery{})
		if err != nil || len(page.Items) != 1 || page.Items[0].Task != "on the writer" {
			t.Errorf("List after the promotion: %+v, %v; want the writer's row", page.Items, err)
		}
		if _, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "after the promotion"}}); err != nil {
			t.Errorf("Create after the promotion: %v", err)
		}
	})
}
