package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// PurgeBatch is how many idempotency keys one DELETE of
// PurgeIdempotencyKeys removes at most: each statement holds its row locks
// briefly, so creates with other keys do not queue behind a long purge.
const PurgeBatch = 1000

// purgeIdempotencyKeys deletes the oldest keys first, along the created_at
// index; with ORDER BY the rows a LIMIT picks are deterministic, which
// statement-based replication wants.
const purgeIdempotencyKeys = "DELETE FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?"

// PurgeIdempotencyKeys deletes the idempotency keys created before before,
// PurgeBatch rows per statement (each its own implicit transaction) until a
// statement deletes fewer, and returns how many it deleted. It stops when
// ctx ends, returning what it deleted so far with the error.
//
// A create whose key was purged is simply a new create: the key is not
// remembered any more. Replays of keys younger than before are unaffected.
//
// On a read-only server it deletes nothing and returns an error wrapping
// ErrReadOnly (code RegionPassive).
func PurgeIdempotencyKeys(ctx context.Context, db *sql.DB, before time.Time) (deleted int64, err error) {
	defer wrapErr(&err, "purge idempotency keys")
	ro, err := readOnly(ctx, db)
	if err != nil {
		return 0, err
	}
	if ro {
		return 0, readOnlyError()
	}
	before = before.UTC() // created_at is stored in UTC
	for {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		res, err := db.ExecContext(ctx, purgeIdempotencyKeys, before, PurgeBatch)
		if err != nil {
			return deleted, purgeError(ctx, db, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return deleted, err
		}
		deleted += n
		if n < PurgeBatch {
			return deleted, nil
		}
	}
}

// purgeError turns a failed DELETE into ErrReadOnly when the server turned
// read-only during the purge (a failover): directly by the error number,
// or, since with rejectReadOnly=true the driver reports a refused write as
// driver.ErrBadConn, by asking the server.
func purgeError(ctx context.Context, db *sql.DB, err error) error {
	if isMySQLError(err, errOptionPrevents, errReadOnlyTx, errReadOnlyMode) {
		return readOnlyError()
	}
	if errors.Is(err, driver.ErrBadConn) && ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, roleProbeTimeout)
		defer cancel()
		if ro, perr := readOnly(pctx, db); perr == nil && ro {
			return readOnlyError()
		}
	}
	return fmt.Errorf("delete a batch: %w", err)
}
