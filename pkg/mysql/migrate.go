package mysql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrReadOnly is wrapped by the errors of Migrate, ApplyMigrations and
// EnsureAppUser when the server is read-only (a replica: the secondary
// region). Schema changes reach a replica through replication, so callers
// treat it as "nothing to do here". The error's todo code is RegionPassive.
var ErrReadOnly = errors.New("the server is read-only (a replica); schema changes belong on the writer")

// Migration is one embedded schema change.
type Migration struct {
	// Version orders migrations; it is the number the file name starts with.
	Version int
	// Name is the file name without the version and extension.
	Name string
	// Statements are the SQL statements of the file, in order.
	Statements []string
}

// AppliedMigration is a row of the schema_migrations table.
type AppliedMigration struct {
	Version   int
	Name      string
	AppliedAt time.Time
}

// migrationsLockName serialises concurrent migrators (a deploy's custom
// resource and a manual invoke) through GET_LOCK.
const migrationsLockName = "todomgmt.schema_migrations"

// migrationsLockTimeout is how long a migrator waits for another to finish.
const migrationsLockTimeout = 60 // seconds

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INT UNSIGNED NOT NULL,
    name       VARCHAR(255) CHARACTER SET utf8mb4 NOT NULL,
    applied_at DATETIME(3) NOT NULL,
    PRIMARY KEY (version)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4`

var migrationFileName = regexp.MustCompile(`^([0-9]+)_([A-Za-z0-9_]+)\.sql$`)

// Migrations returns the embedded migrations in the order they apply.
func Migrations() ([]Migration, error) {
	return parseMigrations(migrationFiles, "migrations")
}

func parseMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		m := migrationFileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", e.Name())
		}
		version, err := strconv.Atoi(m[1])
		if err != nil || version < 1 {
			return nil, fmt.Errorf("migration %s: bad version", e.Name())
		}
		if other, dup := seen[version]; dup {
			return nil, fmt.Errorf("migrations %s and %s have the same version %d", other, e.Name(), version)
		}
		seen[version] = e.Name()
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		stmts := splitStatements(string(body))
		if len(stmts) == 0 {
			return nil, fmt.Errorf("migration %s has no statements", e.Name())
		}
		ms = append(ms, Migration{Version: version, Name: m[2], Statements: stmts})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	return ms, nil
}

// splitStatements splits a migration file into statements: it drops "--"
// comment lines and splits at a ";" that ends a line. Migration files keep
// to that simple form (no procedures, no ";" inside string literals at a
// line end).
func splitStatements(body string) []string {
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(trimmed, ";") {
			if s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); strings.TrimSpace(s) != "" {
				stmts = append(stmts, strings.TrimSpace(s))
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		stmts = append(stmts, s)
	}
	return stmts
}

// Migrate brings the schema of db's default database up to date and seeds
// the id fence with region. It is ApplyMigrations without the list.
func Migrate(ctx context.Context, db *sql.DB, region string) error {
	_, err := ApplyMigrations(ctx, db, region)
	return err
}

// ApplyMigrations applies, in order, the embedded migrations that the
// schema_migrations table does not list yet, recording each, and returns
// those it applied (none when the schema is current: re-running is a
// no-op). Concurrent callers are serialised with GET_LOCK.
//
// MySQL commits DDL implicitly, so a migration cannot be rolled back as a
// whole: every statement is written to be safe to re-run (CREATE TABLE IF
// NOT EXISTS, UPDATE … WHERE the column is still unset, ...), and a
// migration interrupted half-way simply runs again. MySQL 8 has no ADD
// COLUMN IF NOT EXISTS, so an ALTER TABLE … ADD that finds its column or
// index already there (1060, 1061) counts as done.
//
// Then it seeds the id fence (see FenceIDs), if it has no row yet, with
// region: the region of the writer it runs on, the only one that may
// create todos until a failover fences another. region must be valid
// (ValidateRegion) and the same the API of that region is given
// (WithRegion).
//
// On a read-only server it changes nothing and returns an error wrapping
// ErrReadOnly (code RegionPassive).
func ApplyMigrations(ctx context.Context, db *sql.DB, region string) (applied []Migration, err error) {
	defer wrapErr(&err, "apply migrations")
	if err := ValidateRegion(region); err != nil {
		return nil, err
	}
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()

	ro, err := readOnly(ctx, conn)
	if err != nil {
		return nil, err
	}
	if ro {
		return nil, readOnlyError()
	}

	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", migrationsLockName, migrationsLockTimeout).Scan(&got); err != nil {
		return nil, err
	}
	if !got.Valid || got.Int64 != 1 {
		return nil, fmt.Errorf("another migration holds lock %q", migrationsLockName)
	}
	defer func() {
		// The lock also ends with the connection; releasing is courtesy.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(rctx, "SELECT RELEASE_LOCK(?)", migrationsLockName)
	}()

	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, err
	}
	done, err := appliedVersions(ctx, conn)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if err := applyMigration(ctx, conn, m); err != nil {
			return applied, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		applied = append(applied, m)
	}
	if err := seedFence(ctx, conn, region); err != nil {
		return applied, fmt.Errorf("seed the id fence: %w", err)
	}
	return applied, nil
}

// applyMigration runs m's statements and records m in one transaction. The
// transaction only holds for data changes; DDL commits by itself.
func applyMigration(ctx context.Context, conn *sql.Conn, m Migration) (err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for i, stmt := range m.Statements {
		if _, err := tx.ExecContext(ctx, stmt); err != nil && !alreadyAdded(stmt, err) {
			return fmt.Errorf("statement %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx,
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.Version, m.Name, time.Now().UTC().Truncate(time.Millisecond)); err != nil {
		return err
	}
	return tx.Commit()
}

// alreadyAdded reports whether err says that an ALTER TABLE … ADD found
// its column (1060, ER_DUP_FIELDNAME) or index (1061, ER_DUP_KEYNAME)
// already there: a migration interrupted after it, run again.
func alreadyAdded(stmt string, err error) bool {
	return strings.HasPrefix(strings.ToUpper(stmt), "ALTER TABLE") && isMySQLError(err, errDupFieldName, errDupKeyName)
}

func appliedVersions(ctx context.Context, conn *sql.Conn) (map[int]bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[v] = true
	}
	return done, rows.Err()
}

// AppliedMigrations lists the migrations recorded in schema_migrations, by
// version. It is empty (not an error) when the table does not exist yet.
// It only reads, so it also works on a replica.
func AppliedMigrations(ctx context.Context, db *sql.DB) (_ []AppliedMigration, err error) {
	defer wrapErr(&err, "list applied migrations")
	var n int
	if err := db.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'").Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return []AppliedMigration{}, nil
	}
	rows, err := db.QueryContext(ctx, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AppliedMigration{}
	for rows.Next() {
		var a AppliedMigration
		var at timeValue
		if err := rows.Scan(&a.Version, &a.Name, &at); err != nil {
			return nil, err
		}
		a.AppliedAt = at.t
		out = append(out, a)
	}
	return out, rows.Err()
}

// GlobalWriterRegion reads, on an Aurora MySQL global database, the
// region of the global database's writer instance: the row of
// information_schema.aurora_global_db_instance_status whose SESSION_ID is
// MASTER_SESSION_ID (Aurora User Guide, "Aurora MySQL–specific
// information_schema tables": Aurora MySQL 3.04.0 and later global
// databases). It only reads, so it answers on a reader too. known is
// false where the server has no such table (MySQL, MariaDB, Aurora
// outside a global database) or it names no writer (a failover in
// progress); err is any other failure.
func GlobalWriterRegion(ctx context.Context, db *sql.DB) (region string, known bool, err error) {
	defer wrapErr(&err, "read the global database's writer region")
	rows, err := db.QueryContext(ctx, "SELECT AWS_REGION FROM information_schema.aurora_global_db_instance_status WHERE SESSION_ID = 'MASTER_SESSION_ID'")
	if isMySQLError(err, erUnknownTable, erNoSuchTable) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer rows.Close()
	var regions []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return "", false, err
		}
		regions = append(regions, r)
	}
	if err := rows.Err(); err != nil {
		return "", false, err
	}
	if len(regions) != 1 || regions[0] == "" {
		return "", false, nil
	}
	return regions[0], true, nil
}

// The server's errors for a table it does not have: ER_UNKNOWN_TABLE
// (1109, "Unknown table ... in information_schema") and ER_NO_SUCH_TABLE
// (1146).
const (
	erUnknownTable = 1109
	erNoSuchTable  = 1146
)

// ServerReadOnly reports whether the server behind db refuses writes
// (read_only, which MySQL's super_read_only implies, or innodb_read_only on
// an Aurora reader). It only reads, so it also answers through a read-only
// endpoint: handlers/migrate asks the reader endpoint with it when the
// writer endpoint cannot be connected to, to tell a region with no writer
// (a global database's secondary) from an outage.
func ServerReadOnly(ctx context.Context, db *sql.DB) (ro bool, err error) {
	defer wrapErr(&err, "read the server's role")
	return readOnly(ctx, db)
}

func readOnlyError() error {
	return &todo.Error{Code: todo.RegionPassive, Message: "skipped: read-only replica", Err: ErrReadOnly}
}

// wrapErr adds op as context to *errp and gives it a todo code (by
// translate), keeping the chain: errors.Is(err, ErrReadOnly) and
// errors.As(err, **mysql.MySQLError) still work. The message is op, not the
// driver's text, which may quote a statement.
func wrapErr(errp *error, op string) {
	if *errp == nil || errors.Is(*errp, ErrReadOnly) {
		return
	}
	code := todo.ErrorCode(translate(*errp, false))
	*errp = &todo.Error{Code: code, Message: op, Err: *errp}
}
