// Package mysql is the todo.Service and todo.Checker over MySQL 8.0 (Aurora
// MySQL 3) and MariaDB 10.11, with database/sql and go-sql-driver/mysql.
//
// It also owns the schema: embedded, ordered, idempotent migrations
// (Migrate) and the least-privilege application user (EnsureAppUser), both
// run by handlers/migrate in AWS and directly by mage local, the lab and
// the tests.
//
// Driver errors are translated at this boundary into *todo.Error values:
// duplicate keys become Conflict, a read-only server (1290, 1836, 1792) or
// missing write rights (1142) on a write become RegionPassive, connection
// failures and deadlines become Unavailable, anything else Internal with
// the cause kept for the log.
//
// A Store learns its region's role: a write that fails because the server
// is read-only, a Health check that finds it read-only, or a read that the
// reader pool answers after the writer pool could not, marks the region
// passive for a short time (WithRoleTTL), during which reads go to the
// reader pool when there is one (WithReader). Writes always try the
// writer; one that succeeds, or a Health check that finds the writer
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
// been migrated (Migrate).
func New(writer *sql.DB, opts ...Option) *Store {
	s := &Store{writer: writer, roleTTL: DefaultRoleTTL, now: time.Now}
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

// write runs fn in a transaction on the writer pool, retrying a deadlock a
// few times, and translates its error. A write that failed for want of a
// connection is checked against the region's role (refusedAsPassive): in
// the passive region it must reach the client as RegionPassive, not
// Unavailable.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	const attempts = 3
	var err error
	for i := 0; i < attempts; i++ {
		err = inTx(ctx, s.writer, fn)
		if !isMySQLError(err, errLockDeadlock) {
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
		s.learnRole(todo.RolePassive)
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

// read runs fn against the pool reads use now. If that is the writer pool
// and it cannot be reached, a reader pool gets one try: a stale answer from
// a replica beats none. When the reader answers, the region is taken as
// passive for the role TTL (as Health does when only the reader answers),
// so the following reads go straight to the reader instead of each paying
// for a failed writer attempt first.
//
// Only an answer counts: rows, or "not found". A reader endpoint that
// refuses the login (RDS Proxy's read-only endpoint in a region whose
// cluster has no reader instance, as the primary's usually has not) or
// fails otherwise says nothing about the role; learning passive from it
// would turn the active region's writes into region_passive while its
// writer is merely unreachable. The writer's Unavailable stands then.
func (s *Store) read(ctx context.Context, fn func(db *sql.DB) error) error {
	db := s.readPool()
	err := fn(db)
	if err == nil {
		return nil
	}
	terr := translate(err, false)
	if db == s.writer && s.reader != nil && ctx.Err() == nil && todo.ErrorCode(terr) == todo.Unavailable {
		rerr := translate(fn(s.reader), false)
		if rerr == nil || todo.ErrorCode(rerr) == todo.NotFound {
			s.learnRole(todo.RolePassive)
			return rerr
		}
	}
	return terr
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
