package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/mysql"
)

// EnvIdempotencyRetention is how long idempotency keys are kept at least
// (a Go duration, DefaultIdempotencyRetention when unset, at least
// MinIdempotencyRetention); the hourly purge deletes older ones.
const EnvIdempotencyRetention = "TODOMGMT_IDEMPOTENCY_RETENTION"

// Bounds of EnvIdempotencyRetention.
const (
	DefaultIdempotencyRetention = 24 * time.Hour
	// MinIdempotencyRetention keeps a client's retries of one request,
	// which come within minutes, well inside the retention.
	MinIdempotencyRetention = time.Hour
)

// PurgeResult is the answer of a purge-idempotency-keys invoke.
type PurgeResult struct {
	// Status is "ok", or "skipped" in a region without a writer, where
	// replication brings the writer's purge.
	Status string `json:"status"`
	// Message says what happened in a sentence.
	Message string `json:"message"`
	// Deleted counts the keys this purge deleted.
	Deleted int64 `json:"deleted"`
	// Cutoff is the time before which keys were deleted (UTC).
	Cutoff time.Time `json:"cutoff"`
	// Retention is the retention the cutoff was computed from.
	Retention string `json:"retention"`
}

// retention reads EnvIdempotencyRetention.
func retention(getenv func(string) string) (time.Duration, error) {
	v := strings.TrimSpace(getenv(EnvIdempotencyRetention))
	if v == "" {
		return DefaultIdempotencyRetention, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: not a Go duration (such as 24h)", EnvIdempotencyRetention, v)
	}
	if d < MinIdempotencyRetention {
		return 0, fmt.Errorf("%s=%s: must be at least %s", EnvIdempotencyRetention, v, MinIdempotencyRetention)
	}
	return d, nil
}

// Purge deletes the idempotency keys older than the retention, on the
// writer. In a region without a writer (as Run judges it, by findWriter)
// it deletes nothing and reports "skipped". Unlike Run it never waits for
// a database that does not answer: the next hourly run tries again.
func (m *migrator) Purge(ctx context.Context) (PurgeResult, error) {
	keep, err := retention(m.getenv)
	if err != nil {
		return PurgeResult{}, err
	}
	region, err := mysql.RegionFromEnv(m.getenv)
	if err != nil {
		return PurgeResult{}, err
	}
	cfg, err := dbconn.FromEnv(m.getenv)
	if err != nil {
		return PurgeResult{}, err
	}
	cfg.MaxOpenConns = 1
	pools, err := m.open(ctx, cfg)
	if err != nil {
		return PurgeResult{}, err
	}
	defer pools.Close()

	cutoff := m.now().UTC().Add(-keep).Truncate(time.Millisecond)
	res := PurgeResult{Status: "ok", Cutoff: cutoff, Retention: keep.String()}
	deleted, err := mysql.PurgeIdempotencyKeys(ctx, pools.Writer, cutoff)
	res.Deleted = deleted
	w := findWriter(ctx, pools, cfg.ReaderHost, region, err)
	if w.failingOver {
		// Nothing to wait for: the next hourly run purges, and a
		// failover the cluster handles itself is no error to alarm on.
		w.skip = MsgSkippedFailingOver
	}
	if w.skip != "" {
		res.Status, res.Message = "skipped", w.skip
		return res, nil
	}
	if w.err != nil {
		return PurgeResult{}, fmt.Errorf("%w (%d keys deleted before the error)", w.err, deleted)
	}
	res.Message = fmt.Sprintf("deleted %d idempotency keys created before %s", deleted, cutoff.Format(time.RFC3339Nano))
	return res, nil
}
