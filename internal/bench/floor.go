package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
)

// floor replays what the store sent. The floor of an operation is what its
// database work costs with nothing of ours around it: the statements our
// store sent for each request, captured on the wire byte for byte (wire),
// sent again on a connection
// from a pool with the same settings, with no adapter, handler, JSON or
// store code. They run against a second schema that starts in the same
// state and receives the same statements in the same order, so every
// statement finds what it found the first time: the same row, the same
// next id, the same duplicate key. Each answer must match the original
// (rows affected, insert id, error number): a floor that did less work
// would be no floor.
//
// The statements come from the store as it runs, so they cannot drift from
// it; the floor only decides how to send each (a query whose rows it reads
// and drops, or an exec), from the answer it first got.
//
// The floor's context has no deadline. A request's has one (the API's
// request timeout, Lambda's invocation deadline), and database/sql watches
// a query's rows under such a context with a goroutine of its own, and the
// driver hands the context to its connection's watcher goroutine: costs of
// the deadline, not of the SQL. For reads, which can run twice without
// changing anything, the benchmark also replays them under a deadline,
// so that what the deadline costs shows beside the floor.
type floor struct {
	db   *sql.DB
	wire *wire
}

// readOnly reports whether every statement of units is a query answered
// with rows: replaying them again changes nothing.
func readOnly(units []unit) bool {
	for _, u := range units {
		for _, st := range u.stmts {
			if st.head.kind != headRows {
				return false
			}
		}
	}
	return true
}

// replay sends units' statements, one unit after another, and returns the
// measured units' latencies and the wall time from the first measured
// unit's start to the last one's end. With a deadline, each unit's
// statements run under a context that ends after it, as a request's do.
func (f *floor) replay(ctx context.Context, units []unit, deadline time.Duration) ([]time.Duration, time.Duration, error) {
	var ds []time.Duration
	var first, last time.Time
	for i, u := range units {
		m := f.wire.mark()
		start := time.Now()
		uctx, cancel := ctx, context.CancelFunc(func() {})
		if deadline > 0 {
			uctx, cancel = context.WithTimeout(ctx, deadline)
		}
		err := replayStatements(uctx, f.db, u.stmts)
		cancel()
		end := time.Now()
		if err != nil {
			return nil, 0, fmt.Errorf("floor, request %d: %w", i+1, err)
		}
		rt, dials, got, err := f.wire.since(m)
		if err != nil {
			return nil, 0, err
		}
		if err := sameStatements(u.stmts, got); err != nil {
			return nil, 0, fmt.Errorf("floor, request %d: not what the store's request did: %w", i+1, err)
		}
		if dials == 0 && u.dials == 0 && rt != u.rt {
			return nil, 0, fmt.Errorf("floor, request %d: %d round trips, the store's request made %d", i+1, rt, u.rt)
		}
		if u.measured {
			if first.IsZero() {
				first = start
			}
			last = end
			ds = append(ds, end.Sub(start))
		}
	}
	return ds, last.Sub(first), nil
}

// replayStatements sends stmts on one connection of db, as the store sent
// them on one (a transaction needs its statements on one session).
func replayStatements(ctx context.Context, db *sql.DB, stmts []statement) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, st := range stmts {
		switch st.head.kind {
		case headRows:
			rows, err := conn.QueryContext(ctx, st.query)
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return err
			}
		case headErr:
			// Answered with an error the first time (a duplicate key): it
			// must be answered with the same one again (sameStatements).
			_, err := conn.ExecContext(ctx, st.query)
			var me *mysql.MySQLError
			if !errors.As(err, &me) {
				return fmt.Errorf("%s: got %v, want error %d", abbreviate(st.query), err, st.head.errNo)
			}
		default:
			if _, err := conn.ExecContext(ctx, st.query); err != nil {
				return err
			}
		}
	}
	return nil
}

// sameState compares the tables the API writes in the two schemas with
// CHECKSUM TABLE: after the floor has replayed every statement, they must
// hold the same rows.
func sameState(ctx context.Context, root *sql.DB, a, b string) error {
	for _, table := range []string{"todos", "idempotency_keys"} {
		var sums [2]sql.NullInt64
		for i, schema := range []string{a, b} {
			var name string
			if err := root.QueryRowContext(ctx, "CHECKSUM TABLE `"+schema+"`."+table).Scan(&name, &sums[i]); err != nil {
				return fmt.Errorf("checksum %s.%s: %w", schema, table, err)
			}
		}
		if sums[0] != sums[1] {
			return fmt.Errorf("%s differs between %s and the floor's %s (checksums %v and %v)", table, a, b, sums[0].Int64, sums[1].Int64)
		}
	}
	return nil
}
