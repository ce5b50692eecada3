package inmem_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)

// newStore returns a store whose clock starts at t0 and moves one second
// per reading, and whose write tags are 0x7a9000…01, …02 and so on.
func newStore(tb testing.TB) *inmem.Store {
	tb.Helper()
	var mu sync.Mutex
	now := t0
	var tags atomic.Uint64
	return inmem.New(inmem.WithClock(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t := now
		now = now.Add(time.Second)
		return t
	}), inmem.WithWriteTags(func() uint64 { return tagBase + tags.Add(1) }))
}

// tagBase + n is the tag of newStore's n-th write.
const tagBase = 0x7a90000000000000

// create stores a todo with the given task and status, failing tb on error.
func create(tb testing.TB, s *inmem.Store, task string, status todo.Status) todo.Todo {
	tb.Helper()
	c, err := s.Create(context.Background(), todo.CreateRequest{Draft: todo.Draft{Task: task, Status: status}})
	if err != nil {
		tb.Fatalf("Create(%q): %v", task, err)
	}
	return c.Todo
}

func wantCode(tb testing.TB, err error, want todo.Code) {
	tb.Helper()
	if got := todo.ErrorCode(err); got != want {
		tb.Fatalf("error code: got %q (%v), want %q", got, err, want)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCreateGet(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	got := create(t, s, "buy milk", "")
	want := todo.Todo{
		ID: 1, Task: "buy milk", Status: todo.StatusTodo, Version: 1, Tag: tagBase + 1,
		CreatedAt: t0.Truncate(time.Millisecond), UpdatedAt: t0.Truncate(time.Millisecond),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Create (-want +got):\n%s", diff)
	}
	read, err := s.Get(ctx, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, read); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	if second := create(t, s, "walk", todo.StatusWIP); second.ID != 2 {
		t.Errorf("second id: got %d, want 2", second.ID)
	}
}

func TestValidation(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	create(t, s, "x", "")
	for _, tt := range []struct {
		name string
		call func() error
	}{
		{"create empty task", func() error { _, err := s.Create(ctx, todo.CreateRequest{}); return err }},
		{"create bad status", func() error {
			_, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "a", Status: "nope"}})
			return err
		}},
		{"create bad key", func() error {
			_, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "a"}, IdempotencyKey: "has space"})
			return err
		}},
		{"get id 0", func() error { _, err := s.Get(ctx, 0); return err }},
		{"get negative id", func() error { _, err := s.Get(ctx, -1); return err }},
		{"list limit too big", func() error { _, err := s.List(ctx, todo.ListQuery{Limit: todo.MaxLimit + 1}); return err }},
		{"list negative cursor", func() error { _, err := s.List(ctx, todo.ListQuery{After: -1}); return err }},
		{"list bad status", func() error { _, err := s.List(ctx, todo.ListQuery{Status: "later"}); return err }},
		{"update nothing", func() error { _, err := s.Update(ctx, 1, todo.Update{}); return err }},
		{"update bad task", func() error { _, err := s.Update(ctx, 1, todo.Update{Task: ptr("")}); return err }},
		{"update id 0", func() error { _, err := s.Update(ctx, 0, todo.Update{Task: ptr("a")}); return err }},
		{"delete id 0", func() error { return s.Delete(ctx, 0, nil) }},
		{"delete negative version", func() error { return s.Delete(ctx, 1, &todo.Revision{Version: -1}) }},
	} {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), todo.Invalid) })
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	_, err := s.Get(ctx, 7)
	wantCode(t, err, todo.NotFound)
	_, err = s.Update(ctx, 7, todo.Update{Task: ptr("a")})
	wantCode(t, err, todo.NotFound)
	wantCode(t, s.Delete(ctx, 7, nil), todo.NotFound)
	// An absent todo is NotFound, with a condition or without.
	_, err = s.Update(ctx, 7, todo.Update{Task: ptr("a"), IfMatch: &todo.Revision{Version: 1, Tag: 1}})
	wantCode(t, err, todo.NotFound)
	wantCode(t, s.Delete(ctx, 7, &todo.Revision{}), todo.NotFound)
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	orig := create(t, s, "draft", "")

	got, err := s.Update(ctx, orig.ID, todo.Update{Status: ptr(todo.StatusWIP)})
	if err != nil {
		t.Fatal(err)
	}
	want := orig
	want.Status, want.Version, want.Tag, want.UpdatedAt = todo.StatusWIP, 2, tagBase+2, orig.UpdatedAt.Add(time.Second)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status update (-want +got):\n%s", diff)
	}
	second := got.Revision()

	got, err = s.Update(ctx, orig.ID, todo.Update{Task: ptr("final"), IfMatch: &second})
	if err != nil {
		t.Fatal(err)
	}
	if got.Task != "final" || got.Status != todo.StatusWIP || got.Version != 3 || got.Tag != tagBase+3 {
		t.Errorf("conditional update: got %+v, want task final, status wip, version 3, a new tag", got)
	}

	for _, stale := range []struct {
		name string
		rev  todo.Revision
	}{
		{"an older revision", second},
		{"the current version with another tag (a lost write's)", todo.Revision{Version: 3, Tag: tagBase + 2}},
		{"the zero revision (a foreign ETag)", todo.Revision{}},
	} {
		_, err = s.Update(ctx, orig.ID, todo.Update{Task: ptr("late"), IfMatch: &stale.rev})
		if todo.ErrorCode(err) != todo.PreconditionFailed {
			t.Errorf("update on %s: got %v, want precondition_failed", stale.name, err)
		}
	}
	if read, _ := s.Get(ctx, orig.ID); read.Task != "final" || read.Version != 3 {
		t.Errorf("after stale updates: got task %q at version %d, want %q at 3", read.Task, read.Version, "final")
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := create(t, s, "a", "")
	b := create(t, s, "b", "")

	wantCode(t, s.Delete(ctx, a.ID, &todo.Revision{Version: 2, Tag: a.Tag}), todo.PreconditionFailed)
	wantCode(t, s.Delete(ctx, a.ID, &todo.Revision{Version: 1, Tag: b.Tag}), todo.PreconditionFailed)
	wantCode(t, s.Delete(ctx, a.ID, &todo.Revision{}), todo.PreconditionFailed)
	if err := s.Delete(ctx, a.ID, &todo.Revision{Version: 1, Tag: a.Tag}); err != nil {
		t.Fatalf("Delete with the current revision: %v", err)
	}
	if err := s.Delete(ctx, b.ID, nil); err != nil {
		t.Fatalf("unconditional Delete: %v", err)
	}
	wantCode(t, s.Delete(ctx, a.ID, nil), todo.NotFound)
	_, err := s.Get(ctx, b.ID)
	wantCode(t, err, todo.NotFound)
	if c := create(t, s, "c", ""); c.ID != 3 {
		t.Errorf("id after deletes: got %d, want 3 (ids are never reused)", c.ID)
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	statuses := []todo.Status{todo.StatusTodo, todo.StatusWIP, todo.StatusDone}
	for i := range 10 { // ids 1..10, status cycles todo, wip, done
		create(t, s, fmt.Sprintf("task %d", i+1), statuses[i%3])
	}
	if err := s.Delete(ctx, 4, nil); err != nil { // a hole in the ids
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name     string
		q        todo.ListQuery
		wantIDs  []int64
		wantNext int64
	}{
		{"all", todo.ListQuery{}, []int64{1, 2, 3, 5, 6, 7, 8, 9, 10}, 0},
		{"first page", todo.ListQuery{Limit: 3}, []int64{1, 2, 3}, 3},
		{"across the hole", todo.ListQuery{Limit: 3, After: 3}, []int64{5, 6, 7}, 7},
		{"last page exactly full", todo.ListQuery{Limit: 3, After: 7}, []int64{8, 9, 10}, 0},
		{"after the end", todo.ListQuery{After: 10}, []int64{}, 0},
		{"cursor at the largest id", todo.ListQuery{After: math.MaxInt64}, []int64{}, 0},
		{"cursor at a deleted id", todo.ListQuery{Limit: 2, After: 4}, []int64{5, 6}, 6},
		{"status", todo.ListQuery{Status: todo.StatusTodo}, []int64{1, 7, 10}, 0},
		{"status paged", todo.ListQuery{Status: todo.StatusWIP, Limit: 2}, []int64{2, 5}, 5},
		{"status last page", todo.ListQuery{Status: todo.StatusWIP, Limit: 2, After: 5}, []int64{8}, 0},
		{"status with more beyond non-matching", todo.ListQuery{Status: todo.StatusDone, Limit: 1, After: 3}, []int64{6}, 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			page, err := s.List(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			gotIDs := make([]int64, 0, len(page.Items))
			for _, it := range page.Items {
				gotIDs = append(gotIDs, it.ID)
			}
			if diff := cmp.Diff(tt.wantIDs, gotIDs); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if page.Next != tt.wantNext {
				t.Errorf("next: got %d, want %d", page.Next, tt.wantNext)
			}
		})
	}
}

func TestIdempotentCreate(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	req := todo.CreateRequest{Draft: todo.Draft{Task: "once"}, IdempotencyKey: "k-1"}
	first, err := s.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if first.Replayed {
		t.Errorf("first create: got Replayed true, want false")
	}
	// The replay returns the first response even after the todo changed.
	if _, err := s.Update(ctx, first.Todo.ID, todo.Update{Task: ptr("changed")}); err != nil {
		t.Fatal(err)
	}
	// An explicit default status is the same request as an omitted one.
	replayReq := req
	replayReq.Status = todo.StatusTodo
	again, err := s.Create(ctx, replayReq)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(todo.Created{Todo: first.Todo, Replayed: true}, again); diff != "" {
		t.Errorf("replay (-want +got):\n%s", diff)
	}

	other := req
	other.Task = "different"
	_, err = s.Create(ctx, other)
	wantCode(t, err, todo.Conflict)

	page, err := s.List(ctx, todo.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Errorf("todos after replay and conflict: got %d, want 1", len(page.Items))
	}

	// Without a key every create is new.
	a := create(t, s, "same", "")
	b := create(t, s, "same", "")
	if a.ID == b.ID {
		t.Errorf("creates without key: both got id %d", a.ID)
	}
}

func TestPassive(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	existing := create(t, s, "before", "")
	s.SetPassive(true)

	if _, err := s.Get(ctx, existing.ID); err != nil {
		t.Errorf("Get while passive: %v", err)
	}
	if _, err := s.List(ctx, todo.ListQuery{}); err != nil {
		t.Errorf("List while passive: %v", err)
	}
	h, err := s.Health(ctx)
	if err != nil || h.Role != todo.RolePassive {
		t.Errorf("Health while passive: got %+v, %v; want role passive", h, err)
	}
	_, err = s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "x"}})
	wantCode(t, err, todo.RegionPassive)
	_, err = s.Update(ctx, existing.ID, todo.Update{Task: ptr("x")})
	wantCode(t, err, todo.RegionPassive)
	wantCode(t, s.Delete(ctx, existing.ID, nil), todo.RegionPassive)

	s.SetPassive(false)
	if h, _ := s.Health(ctx); h.Role != todo.RoleActive {
		t.Errorf("Health after SetPassive(false): got role %q, want active", h.Role)
	}
	if _, err := s.Update(ctx, existing.ID, todo.Update{Task: ptr("x")}); err != nil {
		t.Errorf("Update after SetPassive(false): %v", err)
	}
}

func TestDown(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	existing := create(t, s, "before", "")
	s.SetDown(true)
	for _, tt := range []struct {
		name string
		call func() error
	}{
		{"get", func() error { _, err := s.Get(ctx, existing.ID); return err }},
		{"list", func() error { _, err := s.List(ctx, todo.ListQuery{}); return err }},
		{"create", func() error {
			_, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "x"}})
			return err
		}},
		{"update", func() error { _, err := s.Update(ctx, existing.ID, todo.Update{Task: ptr("x")}); return err }},
		{"delete", func() error { return s.Delete(ctx, existing.ID, nil) }},
		{"health", func() error { _, err := s.Health(ctx); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), todo.Unavailable) })
	}
	s.SetDown(false)
	if _, err := s.Get(ctx, existing.ID); err != nil {
		t.Errorf("Get after SetDown(false): %v", err)
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	s := newStore(t)
	create(t, s, "a", "")
	s.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := s.Get(ctx, 1)
	wantCode(t, err, todo.Unavailable)

	s.SetLatency(0)
	if _, err := s.Get(context.Background(), 1); err != nil {
		t.Errorf("Get after SetLatency(0): %v", err)
	}
}

func TestCanceledContext(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "x"}})
	wantCode(t, err, todo.Unavailable)
}

// TestConcurrentUpdates checks that of many updates conditional on the same
// version exactly one wins, and that concurrent creates get distinct ids.
func TestConcurrentUpdates(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	target := create(t, s, "contended", "")

	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	ids := make([]int64, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rev := target.Revision()
			_, errs[i] = s.Update(ctx, target.ID, todo.Update{Task: ptr(fmt.Sprint("writer ", i)), IfMatch: &rev})
			c, err := s.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "c"}})
			if err == nil {
				ids[i] = c.Todo.ID
			}
		}()
	}
	wg.Wait()

	wins := 0
	for _, err := range errs {
		switch todo.ErrorCode(err) {
		case "":
			wins++
		case todo.PreconditionFailed:
		default:
			t.Errorf("concurrent update: unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("winning updates: got %d, want 1", wins)
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		if id == 0 || seen[id] {
			t.Errorf("concurrent create ids: got %v, want %d distinct non-zero ids", ids, n)
			break
		}
		seen[id] = true
	}
}
