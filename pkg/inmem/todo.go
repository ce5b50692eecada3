// Package inmem is a todo.Service and todo.Checker held in memory.
//
// It has the semantics of the MySQL store (pkg/mysql): versions that start
// at 1 and grow with every update, a random tag per write, keyset
// pagination by id ascending, idempotent creates that replay the first
// response, updates and deletes conditional on a revision. It has no id
// fence: it is one region's store, with no failover to survive. `mage local` uses it when no Docker engine is reachable, and the
// HTTP tests use it as a fake. Its fault switches (SetPassive, SetDown,
// SetLatency) stand in for a read-only replica, an unreachable database and
// a slow one.
package inmem

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Store is an in-memory todo.Service. The zero value is not usable; call New.
// A Store is safe for concurrent use.
type Store struct {
	now    func() time.Time
	newTag func() uint64

	mu      sync.Mutex
	lastID  int64
	ids     []int64 // the ids of todos, ascending
	todos   map[int64]todo.Todo
	keys    map[string]idempotent
	passive bool
	down    bool
	latency time.Duration
}

// idempotent is what the store remembers about an Idempotency-Key: the
// request it came with and the response it got first.
type idempotent struct {
	fingerprint string
	first       todo.Todo
}

var (
	_ todo.Service = (*Store)(nil)
	_ todo.Checker = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store read the time from now instead of time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// WithWriteTags makes the store take the tags of its writes from next
// instead of todo.NewTag: deterministic tags, for tests and fixtures only.
func WithWriteTags(next func() uint64) Option {
	return func(s *Store) {
		if next != nil {
			s.newTag = next
		}
	}
}

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{
		now:    time.Now,
		newTag: todo.NewTag,
		todos:  make(map[int64]todo.Todo),
		keys:   make(map[string]idempotent),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// SetPassive makes the store act as a read-only replica: writes fail with
// todo.RegionPassive, reads are served, and Health reports todo.RolePassive.
func (s *Store) SetPassive(passive bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.passive = passive
}

// SetDown makes the store act as an unreachable database: every method,
// Health included, fails with todo.Unavailable.
func (s *Store) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// SetLatency makes every call wait d before it runs, as a slow database
// would. A call whose context ends first fails with todo.Unavailable.
func (s *Store) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Get returns the todo with the given id, or NotFound.
func (s *Store) Get(ctx context.Context, id int64) (todo.Todo, error) {
	if err := todo.ValidateID(id); err != nil {
		return todo.Todo{}, err
	}
	if err := s.enter(ctx, false); err != nil {
		return todo.Todo{}, err
	}
	defer s.mu.Unlock()
	t, ok := s.todos[id]
	if !ok {
		return todo.Todo{}, notFound(id)
	}
	return t, nil
}

// List returns a page of todos ordered by id ascending.
func (s *Store) List(ctx context.Context, q todo.ListQuery) (todo.Page, error) {
	if err := q.Validate(); err != nil {
		return todo.Page{}, err
	}
	q = q.Normalize()
	if err := s.enter(ctx, false); err != nil {
		return todo.Page{}, err
	}
	defer s.mu.Unlock()

	page := todo.Page{Items: make([]todo.Todo, 0, min(q.Limit, len(s.ids)))}
	start, found := slices.BinarySearch(s.ids, q.After) // not After+1: it overflows at math.MaxInt64
	if found {
		start++
	}
	for _, id := range s.ids[start:] {
		t := s.todos[id]
		if q.Status != "" && t.Status != q.Status {
			continue
		}
		if len(page.Items) == q.Limit {
			// One more match exists: the page is full and not the last.
			page.Next = page.Items[len(page.Items)-1].ID
			break
		}
		page.Items = append(page.Items, t)
	}
	return page, nil
}

// Create stores a new todo, or replays the first response for a known
// idempotency key. A known key with a different draft is Conflict.
func (s *Store) Create(ctx context.Context, r todo.CreateRequest) (todo.Created, error) {
	if err := r.Validate(); err != nil {
		return todo.Created{}, err
	}
	r.Draft = r.Draft.Normalize()
	if err := s.enter(ctx, true); err != nil {
		return todo.Created{}, err
	}
	defer s.mu.Unlock()

	fingerprint := r.Fingerprint()
	if r.IdempotencyKey != "" {
		if k, ok := s.keys[r.IdempotencyKey]; ok {
			if k.fingerprint != fingerprint {
				return todo.Created{}, todo.Errorf(todo.Conflict, "Idempotency-Key was already used with a different request")
			}
			return todo.Created{Todo: k.first, Replayed: true}, nil
		}
	}
	s.lastID++
	now := s.timestamp()
	t := todo.Todo{
		ID:        s.lastID,
		Task:      r.Task,
		Status:    r.Status,
		CreatedAt: now,
		UpdatedAt: now,
		Version:   1,
		Tag:       s.newTag(),
	}
	s.todos[t.ID] = t
	s.ids = append(s.ids, t.ID) // lastID only grows, so ids stay sorted
	if r.IdempotencyKey != "" {
		s.keys[r.IdempotencyKey] = idempotent{fingerprint: fingerprint, first: t}
	}
	return todo.Created{Todo: t}, nil
}

// Update changes the todo with the given id and returns it with its new
// version and tag. NotFound when absent; PreconditionFailed when u.IfMatch
// is set and names another revision.
func (s *Store) Update(ctx context.Context, id int64, u todo.Update) (todo.Todo, error) {
	if err := todo.ValidateID(id); err != nil {
		return todo.Todo{}, err
	}
	if err := u.Validate(); err != nil {
		return todo.Todo{}, err
	}
	if err := s.enter(ctx, true); err != nil {
		return todo.Todo{}, err
	}
	defer s.mu.Unlock()

	t, ok := s.todos[id]
	if !ok {
		return todo.Todo{}, notFound(id)
	}
	if u.IfMatch != nil && !u.IfMatch.Matches(t) {
		return todo.Todo{}, todo.Stale(id, t.Revision(), *u.IfMatch)
	}
	t = u.Apply(t)
	t.Version++
	t.Tag = s.newTag()
	t.UpdatedAt = s.timestamp()
	if t.UpdatedAt.Before(t.CreatedAt) {
		t.UpdatedAt = t.CreatedAt // a clock step back must not make a todo older than itself
	}
	s.todos[id] = t
	return t, nil
}

// Delete removes the todo with the given id. NotFound when absent;
// PreconditionFailed when ifMatch is set and names another revision.
func (s *Store) Delete(ctx context.Context, id int64, ifMatch *todo.Revision) error {
	if err := todo.ValidateID(id); err != nil {
		return err
	}
	if err := todo.ValidateRevision(ifMatch); err != nil {
		return err
	}
	if err := s.enter(ctx, true); err != nil {
		return err
	}
	defer s.mu.Unlock()

	t, ok := s.todos[id]
	if !ok {
		return notFound(id)
	}
	if ifMatch != nil && !ifMatch.Matches(t) {
		return todo.Stale(id, t.Revision(), *ifMatch)
	}
	delete(s.todos, id)
	if i, found := slices.BinarySearch(s.ids, id); found {
		s.ids = slices.Delete(s.ids, i, i+1)
	}
	return nil
}

// Health reports the store's role. Its latency is the time the call took,
// which is the configured latency and little else.
func (s *Store) Health(ctx context.Context) (todo.Health, error) {
	start := time.Now()
	if err := s.enter(ctx, false); err != nil {
		return todo.Health{}, err
	}
	defer s.mu.Unlock()
	role := todo.RoleActive
	if s.passive {
		role = todo.RolePassive
	}
	return todo.Health{Role: role, Latency: time.Since(start)}, nil
}

// enter waits out the configured latency, then locks s and checks the
// fault switches. On success the caller holds s.mu and must unlock it.
func (s *Store) enter(ctx context.Context, write bool) error {
	s.mu.Lock()
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 {
		timer := time.NewTimer(latency)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			return unavailable(ctx.Err())
		}
	}
	if err := ctx.Err(); err != nil {
		return unavailable(err)
	}
	s.mu.Lock()
	switch {
	case s.down:
		s.mu.Unlock()
		return todo.Errorf(todo.Unavailable, "the database is unavailable; retry later")
	case write && s.passive:
		s.mu.Unlock()
		return todo.Errorf(todo.RegionPassive, "this region is passive and does not accept writes; retry against the active region")
	}
	return nil
}

// timestamp is the store's now at the precision the MySQL schema keeps
// (DATETIME(3)), in UTC.
func (s *Store) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Millisecond)
}

func notFound(id int64) error {
	return todo.Errorf(todo.NotFound, "todo %d not found", id)
}

func unavailable(err error) error {
	return todo.Wrap(err, todo.Unavailable, "the database did not answer in time; retry later")
}
