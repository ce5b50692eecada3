package globaldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/drill"
)

// tableDump is one table's contents, as text.
type tableDump struct {
	Table   string      `json:"table"`
	Create  string      `json:"create"`
	Columns []string    `json:"columns"`
	Rows    [][]*string `json:"rows"`
}

// dumpSchema reads every base table of the schema on conn.
func dumpSchema(ctx context.Context, conn *sql.Conn, schema string) ([]tableDump, error) {
	rows, err := conn.QueryContext(ctx,
		"SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name", schema)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	var out []tableDump
	for _, name := range names {
		q := quoteIdent(schema) + "." + quoteIdent(name)
		td := tableDump{Table: name}
		var tn string
		if err := conn.QueryRowContext(ctx, "SHOW CREATE TABLE "+q).Scan(&tn, &td.Create); err != nil {
			return nil, err
		}
		rows, err := conn.QueryContext(ctx, "SELECT * FROM "+q)
		if err != nil {
			return nil, err
		}
		td.Columns, err = rows.Columns()
		if err != nil {
			rows.Close()
			return nil, err
		}
		for rows.Next() {
			raw := make([]sql.RawBytes, len(td.Columns))
			ptrs := make([]any, len(raw))
			for i := range raw {
				ptrs[i] = &raw[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			row := make([]*string, len(raw))
			for i, b := range raw {
				if b != nil {
					s := string(b)
					row[i] = &s
				}
			}
			td.Rows = append(td.Rows, row)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
		out = append(out, td)
	}
	return out, nil
}

// snapshotPrefix names a server's snapshot files: alias and container, so
// that runs never mix.
func snapshotPrefix(m *node) string {
	return fmt.Sprintf("%s-%s-diverged-", m.alias, short(m.containerID))
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// saveSnapshot writes m's copy of schema to a JSON file in dir and
// returns its path.
func saveSnapshot(ctx context.Context, m *node, schema, dir string, res drill.Rebuild) (string, error) {
	conn, err := m.Admin().Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	tables, err := dumpSchema(ctx, conn, schema)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, snapshotPrefix(m)+time.Now().UTC().Format("20060102T150405.000Z")+".json")
	b, err := json.MarshalIndent(struct {
		Member           string      `json:"member"`
		Diverged         int64       `json:"divergedTransactions"`
		DivergedPosition string      `json:"divergedPosition"`
		Schema           string      `json:"schema"`
		Tables           []tableDump `json:"tables"`
	}{m.alias, res.Diverged, res.DivergedPosition, schema, tables}, "", "  ")
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, b, 0o600)
}

// reseed replaces m's copy of schema with a consistent copy of w's, with
// w's id counters, and sets m's GTID history to the copy's position. The
// copy is taken in a consistent-snapshot transaction opened under a brief
// global read lock on w, so the position read under the lock matches the
// data exactly.
func reseed(ctx context.Context, m, w *node, schema string) error {
	wconn, err := w.Admin().Conn(ctx)
	if err != nil {
		return err
	}
	defer wconn.Close()
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := wconn.ExecContext(lctx, "FLUSH TABLES WITH READ LOCK"); err != nil {
		return fmt.Errorf("lock %s: %w", w.alias, err)
	}
	unlocked := false
	unlock := func() {
		if !unlocked {
			unlocked = true
			_, _ = wconn.ExecContext(context.WithoutCancel(ctx), "UNLOCK TABLES")
		}
	}
	defer unlock()
	if _, err := wconn.ExecContext(lctx, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
		return err
	}
	if _, err := wconn.ExecContext(lctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT"); err != nil {
		return err
	}
	wst, err := w.State(lctx) // no writes can happen under the lock
	if err != nil {
		return err
	}
	wf, _, err := w.Flavour(lctx)
	if err != nil {
		return err
	}
	counters, err := autoIncrements(lctx, wconn, wf, schema)
	if err != nil {
		return fmt.Errorf("read %s's id counters: %w", w.alias, err)
	}
	unlock()
	tables, err := dumpSchema(ctx, wconn, schema)
	if err != nil {
		return fmt.Errorf("copy %s: %w", w.alias, err)
	}
	if _, err := wconn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}

	mconn, err := m.Admin().Conn(ctx)
	if err != nil {
		return err
	}
	// The session below turns binary logging and foreign key checks off:
	// the connection is closed, not returned to root's pool.
	defer mconn.Close()
	defer discardConn(mconn)
	f, _, err := m.Flavour(ctx)
	if err != nil {
		return err
	}
	if f == flavourMySQL {
		// root may write while read_only (not super_read_only) keeps the
		// application out.
		if _, err := mconn.ExecContext(ctx, "SET GLOBAL super_read_only=OFF"); err != nil {
			return err
		}
		defer func() { _, _ = mconn.ExecContext(context.WithoutCancel(ctx), "SET GLOBAL super_read_only=ON") }()
	}
	for _, s := range []string{"SET SESSION sql_log_bin=0", "SET SESSION foreign_key_checks=0",
		"CREATE DATABASE IF NOT EXISTS " + quoteIdent(schema)} {
		if _, err := mconn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %s: %w", m.alias, s, err)
		}
	}
	existing, err := dumpTableNames(ctx, mconn, schema)
	if err != nil {
		return err
	}
	for _, t := range existing {
		if _, err := mconn.ExecContext(ctx, "DROP TABLE "+quoteIdent(schema)+"."+quoteIdent(t)); err != nil {
			return fmt.Errorf("%s: drop %s: %w", m.alias, t, err)
		}
	}
	if _, err := mconn.ExecContext(ctx, "USE "+quoteIdent(schema)); err != nil {
		return err
	}
	for _, t := range tables {
		if _, err := mconn.ExecContext(ctx, t.Create); err != nil {
			return fmt.Errorf("%s: create %s: %w", m.alias, t.Table, err)
		}
		if err := insertRows(ctx, mconn, t); err != nil {
			return fmt.Errorf("%s: copy %s: %w", m.alias, t.Table, err)
		}
	}
	if err := carryCounters(ctx, mconn, f, schema, counters); err != nil {
		return fmt.Errorf("%s: %w", m.alias, err)
	}
	// Forget the diverged history; start from the copy's position.
	if err := m.resetGTIDs(ctx); err != nil {
		return err
	}
	return m.run(ctx, func(d dialect) ([]string, error) { return d.seedPosition(wst.Position) })
}

// autoIncrements reads the next AUTO_INCREMENT value of every table of
// the schema that has one. Under the reseed's read lock it is exactly the
// counter that goes with the copied rows and the GTID position.
//
// The rows alone do not carry it: ids handed out and then deleted at the
// very top of a table are in no row, and a table filled by copying rows
// counts on from MAX(id)+1, so the rebuilt server would hand them out again
// once it is the writer after a planned failback, whose id fence leaves no
// gap. (SHOW CREATE TABLE's AUTO_INCREMENT= clause happens to carry it
// today; this does not rely on that text.) MySQL 8 caches
// information_schema's table statistics, so the session asks for fresh
// ones; MariaDB reads the counter from InnoDB at once.
func autoIncrements(ctx context.Context, conn *sql.Conn, f flavour, schema string) (map[string]int64, error) {
	if f == flavourMySQL {
		if _, err := conn.ExecContext(ctx, "SET SESSION information_schema_stats_expiry = 0"); err != nil {
			return nil, err
		}
	}
	rows, err := conn.QueryContext(ctx,
		"SELECT table_name, auto_increment FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' AND auto_increment IS NOT NULL", schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var t string
		var next int64
		if err := rows.Scan(&t, &next); err != nil {
			return nil, err
		}
		out[t] = next
	}
	return out, rows.Err()
}

// carryCounters raises each table's AUTO_INCREMENT on conn's server to at
// least the source's, never lowering one, and checks the result. ALTER
// TABLE … AUTO_INCREMENT = n sets the counter to n when n is above every
// id in the table, which holds: the source's counter is above every id it
// had when the copy was taken. (A lower n would lower the counter to
// MAX(id)+1, which is why it only ever raises.)
func carryCounters(ctx context.Context, conn *sql.Conn, f flavour, schema string, want map[string]int64) error {
	have, err := autoIncrements(ctx, conn, f, schema)
	if err != nil {
		return fmt.Errorf("read the id counters: %w", err)
	}
	tables := slices.Sorted(maps.Keys(want))
	for _, t := range tables {
		if have[t] >= want[t] {
			continue
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s.%s AUTO_INCREMENT = %d", quoteIdent(schema), quoteIdent(t), want[t])); err != nil {
			return fmt.Errorf("carry %s's id counter (%d): %w", t, want[t], err)
		}
	}
	have, err = autoIncrements(ctx, conn, f, schema)
	if err != nil {
		return fmt.Errorf("read the id counters: %w", err)
	}
	for _, t := range tables {
		if have[t] < want[t] {
			return fmt.Errorf("%s's id counter is %d after the copy, want at least the source's %d", t, have[t], want[t])
		}
	}
	return nil
}

// discardConn makes the pool close conn instead of reusing it, for a
// session whose settings must not leak into later uses.
func discardConn(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

func dumpTableNames(ctx context.Context, conn *sql.Conn, schema string) ([]string, error) {
	rows, err := conn.QueryContext(ctx,
		"SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'", schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// insertRows inserts a table's rows in batches.
func insertRows(ctx context.Context, conn *sql.Conn, t tableDump) error {
	const batch = 200
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = quoteIdent(c)
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	for start := 0; start < len(t.Rows); start += batch {
		end := min(start+batch, len(t.Rows))
		var args []any
		var vals []string
		for _, row := range t.Rows[start:end] {
			vals = append(vals, one)
			for _, v := range row {
				if v == nil {
					args = append(args, nil)
				} else {
					args = append(args, *v)
				}
			}
		}
		q := "INSERT INTO " + quoteIdent(t.Table) + " (" + strings.Join(cols, ",") + ") VALUES " + strings.Join(vals, ",")
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// short is a container id as Docker shows it.
func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
