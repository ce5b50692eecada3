package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// The id fence keeps ids unique across failovers. Ids are the todos
// table's AUTO_INCREMENT. After an unplanned failover (Aurora's
// FailoverGlobalCluster with AllowDataLoss) the new writer has not seen the
// creates the old writer acknowledged but could not replicate, and its
// counter would hand their ids out again: a client holding such an id and
// its ETag would then act on another client's todo.
//
// The id_fence table holds one row naming the only region whose writer may
// create todos. Every create is gated by it in the same statement (INSERT
// … SELECT … FROM id_fence WHERE writer_region = ?), so a newly promoted
// writer creates nothing until FenceIDs has moved its counter past every id
// the old writer can have issued and named its region. Updates and deletes
// are not gated: they allocate no id, and a todo that was lost is simply
// not found (404), a lost write's ETag matches nothing (412).

// Fence asks FenceIDs to open creates in Region.
type Fence struct {
	Region   string        // the region whose writer may create from now on
	DataLoss bool          // unplanned: ids the old writer issued may be missing here
	Lag      time.Duration // measured replication lag at the fault (0 = unknown or planned)
	MinGap   int64         // the gap's floor when DataLoss; 0 means DefaultFenceFloor
}

// FenceResult is what FenceIDs did.
type FenceResult struct {
	Region  string
	Term    int64
	Skipped bool          // the fence already named Region: nothing changed (re-runs are safe)
	MaxID   int64         // the largest id this writer holds
	Floor   int64         // the next id is at least Floor
	Gap     int64         // Floor - MaxID - 1 (0 for a planned move)
	Rate    float64       // ids per second consumed recently, measured from the data
	Window  time.Duration // how long the old writer may have issued ids this writer lacks
	Reason  string        // one sentence: how the gap was sized, with the figures
}

// DefaultFenceFloor is the smallest gap an unplanned fence leaves: a
// million ids, far more than any measured rate and window here suggest
// (ids are BIGINT: the gap costs nothing).
const DefaultFenceFloor = 1_000_000

// The sizing of an unplanned fence.
const (
	// FenceSafetyFactor multiplies the ids the old writer can have issued
	// in the window at the measured rate.
	FenceSafetyFactor = 10
	// FenceMargin is added to the window: requests in flight at the fault,
	// and the time the front door takes to stop sending traffic to the
	// old region.
	FenceMargin = time.Minute
	// FenceSample is how many of the newest todos (by id) the rate is
	// measured over: read along the primary key, never a full scan.
	FenceSample = 1000
	// maxFenceGap bounds the gap whatever the measurements say, so that an
	// absurd rate or window cannot exhaust the ids (2^63): about 10^15.
	maxFenceGap = 1 << 50
)

// errNotFenced marks a create the id fence refused: the server is this
// region's writer, but the fence does not name the region (yet). It is not
// a sign of a passive region.
var errNotFenced = errors.New("the id fence does not name this region")

// errFenceReopened marks a create the id fence refused just before it
// named this region: Store.write runs the create again. Should that keep
// happening, the client gets Unavailable ("retry").
var errFenceReopened = todo.Wrap(errors.New("the id fence named this region just after the create was refused"),
	todo.Unavailable, "creates have just reopened in this region; retry")

// regionName is what a region may be called, at most 63 bytes long
// (checked apart, as identifier's lengths are): AWS region names
// (us-west-2), mage local's "local", the lab's and the tests' names.
var regionName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// ValidateRegion reports whether region can name a region in the id fence:
// 1–63 lower-case ASCII letters, digits and hyphens, starting with a letter.
// An empty region is invalid: it must never mean "any region".
func ValidateRegion(region string) error {
	if len(region) > 63 || !regionName.MatchString(region) {
		if region == "" {
			return todo.Errorf(todo.Invalid, "no region: the store and the migration must name the region they run in (TODOMGMT_REGION)")
		}
		return todo.Errorf(todo.Invalid, "region %q must be 1-63 lower-case letters, digits or hyphens, starting with a letter", region)
	}
	return nil
}

// EnvRegion names the region the API and the migrate function run in. It
// must be the same for both in one region: the migration seeds the id
// fence with it and the API creates todos under it.
const EnvRegion = "TODOMGMT_REGION"

// RegionFromEnv returns the region of this process: TODOMGMT_REGION, else
// AWS_REGION (always set in Lambda), else "local". An invalid value is an
// error naming the variable it came from.
func RegionFromEnv(getenv func(string) string) (string, error) {
	for _, name := range []string{EnvRegion, "AWS_REGION"} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			if err := ValidateRegion(v); err != nil {
				return "", fmt.Errorf("%s: %w", name, err)
			}
			return v, nil
		}
	}
	return "local", nil
}

// seedFence writes the id fence's row if there is none, naming region:
// the region of the writer the migration runs on. INSERT IGNORE leaves an
// existing row (a later fence) alone, so every migration run may call it.
func seedFence(ctx context.Context, q execer, region string) error {
	_, err := q.ExecContext(ctx,
		"INSERT IGNORE INTO id_fence (id, writer_region, term, floor, gap, fenced_at, reason) VALUES (1, ?, 0, 0, 0, ?, ?)",
		region, time.Now().UTC().Truncate(time.Millisecond),
		"seeded by the first migration, run on "+region+"'s writer")
	return err
}

// notFenced explains a create the fence refused, with one more read (on
// the refusal path only): RegionPassive when another region holds the
// fence (a failover that has not finished), Internal when there is no
// fence row (the migrations did not run).
func (s *Store) notFenced(ctx context.Context, q execer) error {
	var region string
	var term int64
	err := q.QueryRowContext(ctx, "SELECT writer_region, term FROM id_fence WHERE id = 1").Scan(&region, &term)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return todo.Wrap(fmt.Errorf("%w: the id_fence table has no row; run the migrations (they seed it)", errNotFenced), todo.Internal, msgInternal)
	case err != nil:
		return err
	case region == s.region:
		// Fenced for this region between the INSERT and this read: the
		// store runs the create again (Store.write).
		return errFenceReopened
	}
	return &todo.Error{
		Code: todo.RegionPassive,
		Message: fmt.Sprintf("creates are closed in %s until the failover finishes: the id fence names %s (term %d); "+
			"they reopen when it does (`go tool mage failover` again finishes it)", s.region, region, term),
		Err: errNotFenced,
	}
}

// FenceIDs opens creates on the writer behind db for f.Region, past every
// id another writer can have issued. Run it as the master user on the new
// writer after a promotion; it is what handlers/migrate's "fence-ids"
// action runs. On a read-only server it changes nothing and returns an
// error wrapping ErrReadOnly.
//
// In one transaction it locks the fence row; if the row already names
// f.Region it returns Skipped (re-runs are safe). Otherwise it measures
// the data, sizes the gap (see sizeFence), moves the AUTO_INCREMENT counter
// so that the next id is at least Floor = MaxID + Gap + 1, and names
// f.Region in the row with the next term. Creates in f.Region wait on the
// row lock and go through once it commits.
//
// The counter is moved without DDL (ALTER TABLE would commit the
// transaction, and can lower the counter to MAX(id)+1 when ids at the top
// were deleted): a row is inserted with the explicit id Floor-1 and
// deleted again before the commit. InnoDB raises the counter past an
// explicitly inserted value and never lowers it for a delete or a
// rollback, and keeps it across restarts (MySQL 8.0: persisted through
// the redo log, WL#6204; MariaDB 10.2.4 and later: persisted in the
// table, MDEV-6076); the integration tests check it across a restart on
// MariaDB 10.11. No reader ever sees that row.
func FenceIDs(ctx context.Context, db *sql.DB, f Fence) (res FenceResult, err error) {
	defer wrapErr(&err, "fence ids for "+f.Region)
	if err := f.validate(); err != nil {
		return FenceResult{}, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return FenceResult{}, err
	}
	defer conn.Close()
	ro, err := readOnly(ctx, conn)
	if err != nil {
		return FenceResult{}, err
	}
	if ro {
		return FenceResult{}, &todo.Error{Code: todo.RegionPassive,
			Message: "the server is read-only: fence the ids on the writer, after the promotion", Err: ErrReadOnly}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return FenceResult{}, err
	}
	defer func() { _ = tx.Rollback() }() // after Commit, a no-op

	var cur struct {
		region, reason   string
		term, floor, gap int64
	}
	err = tx.QueryRowContext(ctx, "SELECT writer_region, term, floor, gap, reason FROM id_fence WHERE id = 1 FOR UPDATE").
		Scan(&cur.region, &cur.term, &cur.floor, &cur.gap, &cur.reason)
	if errors.Is(err, sql.ErrNoRows) {
		return FenceResult{}, errors.New("the id_fence table has no row: run the migrations first (they seed it)")
	}
	if err != nil {
		return FenceResult{}, fmt.Errorf("read the fence: %w", err)
	}
	var maxID int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM todos").Scan(&maxID); err != nil {
		return FenceResult{}, fmt.Errorf("read the largest id: %w", err)
	}
	if cur.region == f.Region {
		return FenceResult{Region: f.Region, Term: cur.term, Skipped: true, MaxID: maxID,
			Floor: cur.floor, Gap: cur.gap, Reason: "already fenced for " + f.Region + ": " + cur.reason}, tx.Commit()
	}
	data, err := measure(ctx, tx, maxID, cur.floor)
	if err != nil {
		return FenceResult{}, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	res = sizeFence(f, data, now)
	res.Term = cur.term + 1
	if res.Gap > 0 {
		if err := raiseCounter(ctx, tx, res.Floor, now); err != nil {
			return FenceResult{}, err
		}
	}
	if _, err := tx.ExecContext(ctx,
		"UPDATE id_fence SET writer_region = ?, term = ?, floor = ?, gap = ?, fenced_at = ?, reason = ? WHERE id = 1",
		f.Region, res.Term, res.Floor, res.Gap, now, truncateReason(res.Reason)); err != nil {
		return FenceResult{}, fmt.Errorf("name %s in the fence: %w", f.Region, err)
	}
	if err := tx.Commit(); err != nil {
		return FenceResult{}, fmt.Errorf("commit the fence: %w", err)
	}
	return res, nil
}

// FenceRow is the id fence as a server reads it.
type FenceRow struct {
	Region   string    // the region whose writer may create
	Term     int64     // one more per fence that changed it; 0 as seeded
	Floor    int64     // the next id was at least Floor when the fence ran
	Gap      int64     // the gap it left (0 for a planned move)
	FencedAt time.Time // when it ran (UTC)
	Reason   string    // how it sized the gap
}

// ReadFence reads the id fence's row on the server behind db, without
// locking it. It changes nothing, so it runs on a writer or a read-only
// replica alike: a replica reads the fence its writer last replicated,
// which is how a region that lost the writer, or never had it, tells
// where creates are open (the failover orchestrator's FenceState, through
// handlers/migrate's "fence-state" action in AWS and directly in the
// lab). A schema without the row (the migrations have not run) is an
// error saying so.
func ReadFence(ctx context.Context, db *sql.DB) (row FenceRow, err error) {
	defer wrapErr(&err, "read the id fence")
	var at timeValue
	err = db.QueryRowContext(ctx, "SELECT writer_region, term, floor, gap, fenced_at, reason FROM id_fence WHERE id = 1").
		Scan(&row.Region, &row.Term, &row.Floor, &row.Gap, &at, &row.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return FenceRow{}, errors.New("the id_fence table has no row: run the migrations (they seed it)")
	}
	if err != nil {
		return FenceRow{}, err
	}
	row.FencedAt = at.t
	return row, nil
}

func (f Fence) validate() error {
	if err := ValidateRegion(f.Region); err != nil {
		return err
	}
	if f.Lag < 0 {
		return todo.Errorf(todo.Invalid, "lag %s must not be negative", f.Lag)
	}
	if f.MinGap < 0 || f.MinGap > maxFenceGap {
		return todo.Errorf(todo.Invalid, "minGap %d must be 0 (the default floor) to %d", f.MinGap, int64(maxFenceGap))
	}
	return nil
}

// created is one todo of the rate sample.
type created struct {
	id int64
	at time.Time
}

// fenceData is what the fence measures on the new writer.
type fenceData struct {
	maxID  int64     // the largest id held
	newest time.Time // when the newest todo was created; zero without todos
	sample []created // newest first: the rate's todos, no fence gap among them
}

// measure reads what sizeFence needs, along the primary key.
//
// The rate is ids consumed per second, so its sample must not straddle the
// last fence's gap: a million ids skipped at once would read as a million
// creates, and each unplanned fence would multiply the next one's gap. So
// the sample is the FenceSample newest todos created since the last fence
// (ids from its floor on); only when there are fewer than two of those is
// it the newest todos below that floor (which could straddle an older
// fence's gap: the rate is then overestimated and the gap larger, never
// smaller).
func measure(ctx context.Context, tx *sql.Tx, maxID, lastFloor int64) (fenceData, error) {
	d := fenceData{maxID: maxID}
	since, err := queryCreates(ctx, tx, "SELECT id, created_at FROM todos WHERE id >= ? ORDER BY id DESC LIMIT ?", lastFloor, FenceSample)
	if err != nil {
		return d, err
	}
	d.sample = since
	if len(since) < 2 && lastFloor > 0 {
		before, err := queryCreates(ctx, tx, "SELECT id, created_at FROM todos WHERE id < ? ORDER BY id DESC LIMIT ?", lastFloor, FenceSample)
		if err != nil {
			return d, err
		}
		if len(since) == 0 && len(before) > 0 {
			d.newest = before[0].at
		}
		d.sample = before
	}
	if len(since) > 0 {
		d.newest = since[0].at
	}
	return d, nil
}

func queryCreates(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]created, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read the newest todos: %w", err)
	}
	defer rows.Close()
	var out []created
	for rows.Next() {
		var c created
		var at timeValue
		if err := rows.Scan(&c.id, &at); err != nil {
			return nil, err
		}
		c.at = at.t
		out = append(out, c)
	}
	return out, rows.Err()
}

// raiseCounter makes the next AUTO_INCREMENT id of todos at least floor
// (never lower) by inserting the id floor-1 and deleting it again, inside
// the fence's transaction. floor-1 is above every id the table holds.
func raiseCounter(ctx context.Context, tx *sql.Tx, floor int64, now time.Time) error {
	if _, err := tx.ExecContext(ctx,
		"INSERT INTO todos (id, task, status, created_at, updated_at, version, write_tag) VALUES (?, 'id fence', 'done', ?, ?, 1, 0)",
		floor-1, now, now); err != nil {
		return fmt.Errorf("raise the id counter to %d: %w", floor, err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM todos WHERE id = ?", floor-1); err != nil {
		return fmt.Errorf("raise the id counter to %d: %w", floor, err)
	}
	return nil
}

// sizeFence sizes the gap between the largest id this writer holds and
// the next one it will hand out.
//
// A planned move (no DataLoss: Aurora's switchover synchronizes the
// secondary first, RPO 0) needs no gap: every id the old writer issued is
// here, and the counter came with it.
//
// After an unplanned one, the old writer may have issued ids this writer
// never received, for as long as it took creates after the last one that
// replicated: at least the measured replication lag at the fault, and at
// most until the traffic stopped reaching it, which is bounded by the time
// since the newest create that did replicate (the fence runs after the
// fault). So:
//
//	rate   = ids consumed per second over the newest FenceSample todos
//	         (largest id − smallest id, over the span of their creation
//	         times, a span under a second counting as a second)
//	window = max(now − newest replicated create, Lag) + FenceMargin
//	gap    = max(floor, ⌈FenceSafetyFactor × rate × window⌉)
//
// with floor = f.MinGap, or DefaultFenceFloor when that is 0. Ids are
// BIGINT: a generous gap costs nothing, a small one could hand an id out
// twice. The gap is capped at 2^50 ids.
func sizeFence(f Fence, d fenceData, now time.Time) FenceResult {
	maxID := d.maxID
	res := FenceResult{Region: f.Region, MaxID: maxID}
	var since time.Duration
	if !d.newest.IsZero() {
		since = max(now.Sub(d.newest), 0) // a create "in the future" (clock skew) is now
	}
	if n := len(d.sample); n > 1 {
		newest, oldest := d.sample[0], d.sample[n-1]
		span := max(newest.at.Sub(oldest.at), time.Second)
		res.Rate = float64(newest.id-oldest.id) / span.Seconds()
	}
	if !f.DataLoss {
		res.Floor = maxID + 1
		res.Reason = fmt.Sprintf("planned move (no data loss): %s holds every id issued, up to %d; the next id is at least %d (no gap)",
			f.Region, maxID, res.Floor)
		return res
	}
	floor := f.MinGap
	if floor == 0 {
		floor = DefaultFenceFloor
	}
	res.Window = max(since, f.Lag) + FenceMargin
	estimate := math.Ceil(FenceSafetyFactor * res.Rate * res.Window.Seconds())
	res.Gap = floor
	if estimate > float64(floor) {
		res.Gap = int64(min(estimate, maxFenceGap))
	}
	if maxID > math.MaxInt64-res.Gap-1 {
		res.Gap = math.MaxInt64 - 1 - maxID // never reached: ids would have to be near 2^63
	}
	res.Floor = maxID + res.Gap + 1
	lag := "unknown"
	if f.Lag > 0 {
		lag = f.Lag.String()
	}
	res.Reason = fmt.Sprintf("unplanned (data loss allowed): %.3g ids/s over the newest %d todos; window %s = max(%s since the newest replicated create, lag %s) + %s margin; "+
		"%d × rate × window = %.0f; gap = max(floor %d, that) = %d, so the next id is at least %d (largest held %d)",
		res.Rate, len(d.sample), res.Window.Round(time.Millisecond), since.Round(time.Millisecond), lag, FenceMargin,
		FenceSafetyFactor, estimate, floor, res.Gap, res.Floor, maxID)
	return res
}

// truncateReason keeps the reason within the column (500 characters).
func truncateReason(s string) string {
	const limit = 500
	if r := []rune(s); len(r) > limit {
		return string(r[:limit-1]) + "…"
	}
	return s
}
