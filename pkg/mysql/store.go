// Package mysql is the todo.Service and todo.Checker over MySQL 8.0 (Aurora
// MySQL 3) and MariaDB 10.11, with database/sql and go-sql-driver/mysql.
//
// It also owns the schema: embedded, ordered, idempotent migrations
// (Migrate) that also seed the id fence, the id fence itself (FenceIDs), and
// the least-privilege application user (EnsureAppUser), all run by
// handlers/migrate in AWS and directly by mage local, the lab and the tests.
//
// Driver errors are translated at this boundary into *todo.Error values:
// duplicate keys become Conflict, a read-only server (1290, 1836, 1792) or
// missing write rights (1142) on a write become RegionPassive, connection
// failures and deadlines become Unavailable, anything else Internal with
// the cause kept for the log.
//
// A Store knows its region (WithRegion): it creates todos only while the id
// fence names that region (see FenceIDs), in the same statement as the
// INSERT. Every write gets a random tag (todo.Todo.Tag), so that a revision
// (version and tag) names one write.
//
// A Store learns its region's role: a write that fails because the server
// is read-only, a Health check that finds it read-only, or a read that the
// reader pool answers after the writer pool could not, marks the region
// passive for a short time (WithRoleTTL), during which reads go to the
// reader pool when there is one (WithReader). Reads fall back to the other
// pool whichever they tried first, so the region that has just become the
// writer, whose read-only endpoint may have no target yet, reads from its
// writer at once. Writes always try the writer; one that succeeds, a read
// the writer pool answers, or a Health check that finds the writer
// writable, marks the region active again at once, and the passive role
// expires after the TTL anyway, so a promotion is noticed.
package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync/atomic"
	"time"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// DefaultRoleTTL is how long a Store trusts what it learned about the
// region's role.
const DefaultRoleTTL = 5 * time.Second

// roleProbeTimeout bounds the extra query a write makes, after
// driver.ErrBadConn, to tell a read-only server from a broken connection.
const roleProbeTimeout = 2 * time.Second

// Store is a todo.Service and todo.Checker over MySQL. It is safe for
// concurrent use. It does not own its pools: the caller closes them.
type Store struct {
	writer  *sql.DB
	reader  *sql.DB
	region  string
	newTag  func() uint64
	roleTTL time.Duration
	now     func() time.Time

	// passiveUntil is the unix-nano time until which the region is known
	// to be passive; 0 means active or unknown.
	passiveUntil atomic.Int64
}

var (
	_ todo.Service = (*Store)(nil)
	_ todo.Checker = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// WithReader sets the pool that serves reads while the region is passive
// (in AWS: the RDS Proxy read-only endpoint). A nil db is ignored: reads
// then always use the writer pool.
func WithReader(db *sql.DB) Option {
	return func(s *Store) { s.reader = db }
}

// WithRegion names the region the store serves: it creates todos only
// while the id fence names this region (see FenceIDs). A store without a
// region, or with an invalid one, creates nothing: every create fails with
// an Internal error that says so, never silently anywhere. Give it the
// region the migration that seeded the fence was given (TODOMGMT_REGION in
// both Lambda functions, mage local's "local", the lab's region names).
func WithRegion(region string) Option {
	return func(s *Store) { s.region = region }
}

// WithWriteTags makes the store take the tags of its writes from next
// instead of todo.NewTag. Deterministic tags are for tests and fixtures
// only (events.SeedTags): in production two writers could draw the same
// tag, and an ETag would no longer name one write.
func WithWriteTags(next func() uint64) Option {
	return func(s *Store) {
		if next != nil {
			s.newTag = next
		}
	}
}

// WithRoleTTL sets how long a learned role is trusted (DefaultRoleTTL).
func WithRoleTTL(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.roleTTL = d
		}
	}
}

// WithClock makes the store read the time from now instead of time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// New returns a Store that writes through writer. The schema must have
// been migrated (Migrate), and creates need WithRegion.
func New(writer *sql.DB, opts ...Option) *Store {
	s := &Store{writer: writer, newTag: todo.NewTag, roleTTL: DefaultRoleTTL, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Passive reports whether the store currently believes its region is
// passive (learned within the role TTL).
func (s *Store) Passive() bool {
	return s.now().UnixNano() < s.passiveUntil.Load()
}

func (s *Store) learnRole(role todo.Role) {
	if role == todo.RolePassive {
		s.passiveUntil.Store(s.now().Add(s.roleTTL).UnixNano())
		return
	}
	s.passiveUntil.Store(0)
}

// readPool returns the pool reads should use now.
func (s *Store) readPool() *sql.DB {
	if s.reader != nil && s.Passive() {
		return s.reader
	}
	return s.writer
}

// otherPool returns the pool a read falls back to from db: the writer's
// from the reader's and the other way round; nil without a reader.
func (s *Store) otherPool(db *sql.DB) *sql.DB {
	switch {
	case s.reader == nil:
		return nil
	case db == s.reader:
		return s.writer
	default:
		return s.reader
	}
}

// Health reads the server's role with one round trip, which also proves it
// reachable. If the writer pool cannot reach its server but a reader pool
// is set and its server answers, the region is passive (a secondary region
// whose read/write endpoint has no writer behind it).
func (s *Store) Health(ctx context.Context) (todo.Health, error) {
	start := time.Now()
	ro, err := readOnly(ctx, s.writer)
	if err != nil {
		if s.reader != nil && ctx.Err() == nil && todo.ErrorCode(translate(err, false)) == todo.Unavailable {
			start = time.Now()
			if rro, rerr := readOnly(ctx, s.reader); rerr == nil && rro {
				s.learnRole(todo.RolePassive)
				return todo.Health{Role: todo.RolePassive, Latency: time.Since(start)}, nil
			}
		}
		return todo.Health{}, translate(err, false)
	}
	h := todo.Health{Role: todo.RoleActive, Latency: time.Since(start)}
	if ro {
		h.Role = todo.RolePassive
	}
	s.learnRole(h.Role)
	return h, nil
}

// readOnly reports whether the server behind db refuses writes:
// read_only (MySQL, MariaDB, a fenced lab writer) or innodb_read_only
// (Aurora reader instances).
func readOnly(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (bool, error) {
	var ro, innodbRO int
	err := q.QueryRowContext(ctx, "SELECT @@global.read_only, @@global.innodb_read_only").Scan(&ro, &innodbRO)
	if err != nil {
		return false, err
	}
	return ro != 0 || innodbRO != 0, nil
}

// write runs fn against the writer pool, retrying a deadlock, or a create
// the id fence refused just before it opened (errFenceReopened), a few
// times, and translates its error. fn runs single statements (each its own
// transaction) or a transaction of its own (inTx). A write that failed for
// want of a connection is checked against the region's role
// (refusedAsPassive): in the passive region it must reach the client as
// RegionPassive, not Unavailable. A create the id fence refused
// (errNotFenced) says nothing about the role: the server is the writer.
func (s *Store) write(ctx context.Context, fn func(db *sql.DB) error) error {
	const attempts = 3
	var err error
	for i := 0; i < attempts; i++ {
		err = fn(s.writer)
		if !isMySQLError(err, errLockDeadlock) && !errors.Is(err, errFenceReopened) {
			break
		}
	}
	if err == nil {
		// The writer took a write: the region is active. Forget a passive
		// role learned before a promotion, so that reads (read-your-writes)
		// go back to the writer now, not when the TTL runs out.
		if s.passiveUntil.Load() != 0 {
			s.learnRole(todo.RoleActive)
		}
		return nil
	}
	terr := translate(err, true)
	switch todo.ErrorCode(terr) {
	case todo.RegionPassive:
		if !errors.Is(err, errNotFenced) {
			s.learnRole(todo.RolePassive)
		}
	case todo.Unavailable:
		if ctx.Err() == nil && s.refusedAsPassive(ctx, err) {
			s.learnRole(todo.RolePassive)
			return &todo.Error{Code: todo.RegionPassive, Message: msgPassive, Err: err}
		}
	}
	return terr
}

// refusedAsPassive tells whether a write that failed for want of a usable
// connection failed because this region is passive, asking the server
// that can know:
//   - the writer endpoint could not be connected to (a secondary region's
//     proxy read/write endpoint has no writer behind it): the region is
//     passive when it is already known to be, or when the reader endpoint
//     says its server is read-only;
//   - the connection broke with driver.ErrBadConn: with rejectReadOnly=true
//     that is how the driver reports a write refused by a read-only
//     server, so the writer endpoint's server is asked.
//
// Other failures (a connection lost mid-statement, a deadline) get no
// probe: asking a server that could not be reached costs time and tells
// nothing. In a region whose cluster has reader instances, a writer outage
// looks like the first case (its readers are read-only); the answer is then
// region_passive instead of unavailable, both 503 with Retry-After.
func (s *Store) refusedAsPassive(ctx context.Context, err error) bool {
	var probe *sql.DB
	switch {
	case connectFailed(err):
		if s.reader == nil {
			return false
		}
		if s.Passive() {
			return true
		}
		probe = s.reader
	case errors.Is(err, driver.ErrBadConn):
		probe = s.writer
	default:
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, roleProbeTimeout)
	defer cancel()
	ro, perr := readOnly(pctx, probe)
	return perr == nil && ro
}

// read runs fn against the pool reads use now. If that pool cannot be
// reached, the other pool gets one try: the reader's when the writer's
// failed (a stale answer from a replica beats none), the writer's when the
// reader's failed (after a promotion the proxy's read-only endpoint may
// have no target, while the writer is right there). Whichever answers
// serves the read, and the role follows it: an answer from the reader
// takes the region as passive for the role TTL (as Health does when only
// the reader answers), so the following reads go straight to the reader
// instead of each paying for a failed writer attempt first; an answer from
// the writer takes it as active, so they go straight to the writer.
//
// Only an answer counts: rows, or "not found". A pool that refuses the
// login (RDS Proxy's read-only endpoint in a region whose cluster has no
// reader instance: DbReaderInstances=0, or a reader being replaced) or fails otherwise
// says nothing about the role; learning passive from it would turn the
// active region's writes into region_passive while its writer is merely
// unreachable. The first pool's Unavailable stands then.
func (s *Store) read(ctx context.Context, fn func(db *sql.DB) error) error {
	db := s.readPool()
	err := fn(db)
	if err == nil {
		return nil
	}
	terr := translate(err, false)
	other := s.otherPool(db)
	if other == nil || ctx.Err() != nil || todo.ErrorCode(terr) != todo.Unavailable {
		return terr
	}
	oerr := translate(fn(other), false)
	if oerr != nil && todo.ErrorCode(oerr) != todo.NotFound {
		return terr
	}
	if other == s.reader {
		s.learnRole(todo.RolePassive)
	} else {
		s.learnRole(todo.RoleActive)
	}
	return oerr
}

// inTx runs fn in a transaction on db and commits it, or rolls it back
// when fn fails (or panics).
//
// database/sql sends COMMIT and ROLLBACK without a context: a server that
// stops answering right then would hold the request until the driver's
// I/O timeout, past the request deadline and the Lambda timeout. So both
// run through untilDone, which stops waiting when ctx ends. A COMMIT given
// up on has an unknown outcome, which is what Unavailable says.
func inTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	committing := false
	defer func() {
		if !committing {
			_ = untilDone(ctx, tx.Rollback) // fn's error says what went wrong
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committing = true
	return untilDone(ctx, tx.Commit)
}

// untilDone runs f and returns its error, or ctx's error if ctx ends first.
// An f given up on goes on in the background until the driver's I/O
// timeout ends it, holding its connection until then.
func untilDone(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		select {
		case err := <-done: // finished just as ctx ended: its answer is known
			return err
		default:
			return ctx.Err()
		}
	}
}

// timestamp is the store's now at the precision the schema keeps
// (DATETIME(3)), in UTC.
func (s *Store) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Millisecond)
}
