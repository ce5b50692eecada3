package bench

import (
	"context"
	"testing"

	apievents "github.com/todomgmt/todomgmt/events"
	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// TestSessionRuns sends every operation in turn, twice, over one session,
// as the benchmark's runs do: idempotency keys must not repeat across
// runs, the update's ETag and the todos to delete carry over.
func TestSessionRuns(t *testing.T) {
	store := inmem.New()
	for _, d := range apievents.Seed {
		if _, err := store.Create(context.Background(), todo.CreateRequest{Draft: d}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := newSession(NewProxy(store), nil)
	if err != nil {
		t.Fatal(err)
	}
	const warmup, n = 2, 10
	for run := range 2 {
		for _, op := range Operations {
			if err := s.begin(t.Context(), op, warmup+n); err != nil {
				t.Fatalf("run %d: %v", run+1, err)
			}
			if _, err := s.sendN(t.Context(), op, 0, warmup, false); err != nil {
				t.Fatalf("run %d: %v", run+1, err)
			}
			if _, err := s.sendN(t.Context(), op, warmup, n, true); err != nil {
				t.Fatalf("run %d: %v", run+1, err)
			}
			units := s.take()
			if got := len(latencies(units)); got != n {
				t.Errorf("run %d, %s: %d measured requests, want %d", run+1, op.Name, got, n)
			}
		}
	}
	// Each run: 12 creates, 12 keyed creates, 1 first create of the
	// replayed key, 12 deletes; on top of the 2 seeded todos.
	page, err := store.List(t.Context(), todo.ListQuery{Limit: todo.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 + 2*(12+12+1-12); len(page.Items) != want {
		t.Errorf("todos afterwards: got %d, want %d", len(page.Items), want)
	}
}
