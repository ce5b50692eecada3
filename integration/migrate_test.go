//go:build integration

package integration

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/mysql"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// dbFreshSchema creates an empty schema on the shared server, dropped when
// tb ends, and returns a root pool on it.
func dbFreshSchema(tb testing.TB, name string) *sql.DB {
	tb.Helper()
	shared := sharedDB(tb)
	ctx := dbCtx(tb)
	if _, err := shared.Root.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
		tb.Fatal(err)
	}
	if _, err := shared.Root.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		tb.Fatal(err)
	}
	db, err := shared.C.OpenRoot(ctx, name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = shared.Root.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
	})
	return db
}

func dbVersions[T any](items []T, version func(T) int) []int {
	out := []int{}
	for _, it := range items {
		out = append(out, version(it))
	}
	return out
}

func embeddedVersions(tb testing.TB) []int {
	tb.Helper()
	ms, err := mysql.Migrations()
	if err != nil {
		tb.Fatal(err)
	}
	return dbVersions(ms, func(m mysql.Migration) int { return m.Version })
}

func appliedVersions(tb testing.TB, db *sql.DB) []int {
	tb.Helper()
	applied, err := mysql.AppliedMigrations(dbCtx(tb), db)
	if err != nil {
		tb.Fatal(err)
	}
	return dbVersions(applied, func(a mysql.AppliedMigration) int { return a.Version })
}

func TestMigrateRerunIsNoop(t *testing.T) {
	db := dbFreshSchema(t, "mig_rerun")
	ctx := dbCtx(t)
	want := embeddedVersions(t)

	if got := appliedVersions(t, db); len(got) != 0 {
		t.Fatalf("applied before migrating: %v, want none", got)
	}
	first, err := mysql.ApplyMigrations(ctx, db, testRegion)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if diff := cmp.Diff(want, dbVersions(first, func(m mysql.Migration) int { return m.Version })); diff != "" {
		t.Errorf("first run applied (-want +got):\n%s", diff)
	}
	var tables int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('todos', 'idempotency_keys', 'schema_migrations', 'id_fence')").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 4 {
		t.Errorf("%d of the 4 tables exist after migrating", tables)
	}

	second, err := mysql.ApplyMigrations(ctx, db, testRegion)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if len(second) != 0 {
		t.Errorf("second run applied %d migrations, want none (a no-op)", len(second))
	}
	if diff := cmp.Diff(want, appliedVersions(t, db)); diff != "" {
		t.Errorf("recorded versions (-want +got):\n%s", diff)
	}
}

// TestMigrateResumesAfterInterruption: DDL commits by itself, so a run can
// stop after a migration's statements and before its record. The next run
// applies it again, which must succeed: every migration after the first
// two (CREATE TABLE IF NOT EXISTS, ALTER TABLE … ADD of columns that exist,
// UPDATEs of rows already done).
func TestMigrateResumesAfterInterruption(t *testing.T) {
	db := dbFreshSchema(t, "mig_resume")
	ctx := dbCtx(t)
	if err := mysql.Migrate(ctx, db, testRegion); err != nil {
		t.Fatal(err)
	}
	want := embeddedVersions(t)
	redo := want[2:]
	if _, err := db.ExecContext(ctx, "DELETE FROM schema_migrations WHERE version > 2"); err != nil {
		t.Fatal(err)
	}
	again, err := mysql.ApplyMigrations(ctx, db, testRegion)
	if err != nil {
		t.Fatalf("re-applying migrations %v over their own tables and columns: %v", redo, err)
	}
	if diff := cmp.Diff(redo, dbVersions(again, func(m mysql.Migration) int { return m.Version })); diff != "" {
		t.Errorf("re-run applied (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, appliedVersions(t, db)); diff != "" {
		t.Errorf("recorded versions (-want +got):\n%s", diff)
	}
}

// TestMigrateSeedsTheFence: the first migration names its region in the id
// fence; later runs, from any region, leave the row alone; a run without a
// valid region changes nothing.
func TestMigrateSeedsTheFence(t *testing.T) {
	db := dbFreshSchema(t, "mig_fence")
	ctx := dbCtx(t)
	for _, bad := range []string{"", "Region A"} {
		_, err := mysql.ApplyMigrations(ctx, db, bad)
		dbWantCode(t, "ApplyMigrations(region "+bad+")", err, todo.Invalid)
	}
	if got := appliedVersions(t, db); len(got) != 0 {
		t.Fatalf("a run without a valid region applied %v", got)
	}
	if err := mysql.Migrate(ctx, db, "seed-a"); err != nil {
		t.Fatal(err)
	}
	if err := mysql.Migrate(ctx, db, "seed-b"); err != nil {
		t.Fatal(err)
	}
	var region, reason string
	var term, floor, gap, rows int64
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*), MAX(writer_region), MAX(term), MAX(floor), MAX(gap), MAX(reason) FROM id_fence").
		Scan(&rows, &region, &term, &floor, &gap, &reason); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || region != "seed-a" || term != 0 || floor != 0 || gap != 0 || !strings.Contains(reason, "seed-a") {
		t.Errorf("fence: %d rows, region %q, term %d, floor %d, gap %d, reason %q; want one row naming seed-a at term 0",
			rows, region, term, floor, gap, reason)
	}
	// The CHECK keeps it one row.
	if _, err := db.ExecContext(ctx, "INSERT INTO id_fence (id, writer_region, term, floor, gap, fenced_at, reason) VALUES (2, 'x', 0, 0, 0, UTC_TIMESTAMP(3), 'x')"); err == nil {
		t.Error("a second fence row was accepted")
	}
}

// TestMigrateTagsExistingRows: rows written before migration 3 get a
// deterministic, non-zero write tag derived from their id (the same on
// every replica), their idempotency keys the tag of their todo, and rows
// that have a tag keep it.
func TestMigrateTagsExistingRows(t *testing.T) {
	db := dbFreshSchema(t, "mig_tags")
	ctx := dbCtx(t)
	if err := mysql.Migrate(ctx, db, testRegion); err != nil {
		t.Fatal(err)
	}
	// Rows as migration 3's ALTER TABLE leaves the old ones: tag 0.
	for _, stmt := range []string{
		"INSERT INTO todos (id, task, status, created_at, updated_at, version, write_tag) VALUES (1, 'old', 'todo', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 1, 0), (2, 'old too', 'done', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 3, 0), (3, 'new', 'wip', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 1, 77)",
		"INSERT INTO idempotency_keys (idempotency_key, fingerprint, todo_id, write_tag, response, created_at) VALUES ('k-old', REPEAT('0', 64), 2, 0, '{}', UTC_TIMESTAMP(3)), ('k-half', REPEAT('0', 64), NULL, 0, NULL, UTC_TIMESTAMP(3))",
		"DELETE FROM schema_migrations WHERE version >= 3",
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if _, err := mysql.ApplyMigrations(ctx, db, testRegion); err != nil {
		t.Fatal(err)
	}
	want := func(id int64) uint64 {
		sum := sha256.Sum256([]byte(fmt.Sprintf("todomgmt-migrated-write:%d", id)))
		return binary.BigEndian.Uint64(sum[:8])
	}
	got := map[int64]uint64{}
	rows, err := db.QueryContext(ctx, "SELECT id, write_tag FROM todos")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var tag uint64
		if err := rows.Scan(&id, &tag); err != nil {
			t.Fatal(err)
		}
		got[id] = tag
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[int64]uint64{1: want(1), 2: want(2), 3: 77}, got); diff != "" {
		t.Errorf("todos' write tags (-want +got):\n%s", diff)
	}
	if want(1) == 0 || want(1) == want(2) {
		t.Errorf("derived tags %x and %x: want distinct and non-zero", want(1), want(2))
	}
	for key, wantTag := range map[string]uint64{"k-old": want(2), "k-half": 0} {
		var tag uint64
		if err := db.QueryRowContext(ctx, "SELECT write_tag FROM idempotency_keys WHERE idempotency_key = ?", key).Scan(&tag); err != nil {
			t.Fatal(err)
		}
		if tag != wantTag {
			t.Errorf("key %s: tag %x, want %x", key, tag, wantTag)
		}
	}
}

// TestMigrateConcurrently: a deploy's custom resource and a manual invoke
// may run at once; GET_LOCK serialises them.
func TestMigrateConcurrently(t *testing.T) {
	db := dbFreshSchema(t, "mig_concurrent")
	ctx := dbCtx(t)
	const n = 4
	results := make([][]mysql.Migration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = mysql.ApplyMigrations(ctx, db, testRegion)
		}()
	}
	wg.Wait()
	total := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("migrator %d: %v", i, errs[i])
		}
		total += len(results[i])
	}
	want := embeddedVersions(t)
	if total != len(want) {
		t.Errorf("%d migrations applied in all, want %d (each exactly once)", total, len(want))
	}
	if diff := cmp.Diff(want, appliedVersions(t, db)); diff != "" {
		t.Errorf("recorded versions (-want +got):\n%s", diff)
	}
}

func TestMigrateSharedServerIsCurrent(t *testing.T) {
	db := rootDB(t)
	applied, err := mysql.ApplyMigrations(dbCtx(t), db, testRegion)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Errorf("migrating the already migrated server applied %v", applied)
	}
}

func TestEnsureAppUserGrants(t *testing.T) {
	shared := sharedDB(t)
	ctx := dbCtx(t)
	const user = "todo_app_grants"
	// Quote, backslash, double quote: the password is spliced as a literal.
	password := `p'a\ss"w0rd`
	t.Cleanup(func() {
		_, _ = shared.Root.ExecContext(context.Background(), "DROP USER IF EXISTS '"+user+"'@'%'")
	})
	if err := mysql.EnsureAppUser(ctx, shared.Root, user, password, testSchema); err != nil {
		t.Fatalf("EnsureAppUser: %v", err)
	}
	app := dbOpenDSN(t, shared.C.DSN(user, password, testSchema))

	t.Run("can CRUD through the store", func(t *testing.T) {
		resetDB(t)
		s := mysql.New(app, mysql.WithRegion(testRegion))
		c := dbCreate(t, s, "as the app user", todo.StatusTodo)
		if _, err := s.Update(ctx, c.ID, todo.Update{Status: dbPtr(todo.StatusDone)}); err != nil {
			t.Errorf("Update: %v", err)
		}
		if _, err := s.List(ctx, todo.ListQuery{}); err != nil {
			t.Errorf("List: %v", err)
		}
		if err := s.Delete(ctx, c.ID, nil); err != nil {
			t.Errorf("Delete: %v", err)
		}
	})

	t.Run("cannot change the schema or reach other schemas", func(t *testing.T) {
		for _, stmt := range []string{
			"DROP TABLE todos",
			"CREATE TABLE evil (id INT)",
			"ALTER TABLE todos ADD COLUMN evil INT",
			"TRUNCATE TABLE todos",
			"CREATE USER 'evil'@'%' IDENTIFIED BY 'x'",
			"SELECT COUNT(*) FROM mysql.user",
			"CREATE DATABASE evil",
		} {
			_, err := app.ExecContext(ctx, stmt)
			var me *gomysql.MySQLError
			if !errors.As(err, &me) {
				t.Errorf("%s: got %v, want a MySQL permission error", stmt, err)
				continue
			}
			// 1044/1142/1227/1045-style refusals; never success.
			switch me.Number {
			case 1044, 1142, 1143, 1227:
			default:
				t.Errorf("%s: got error %d %s, want a permission error", stmt, me.Number, me.Message)
			}
		}
	})

	t.Run("grants are exactly the four privileges on the schema", func(t *testing.T) {
		rows, err := shared.Root.QueryContext(ctx, "SHOW GRANTS FOR '"+user+"'@'%'")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var grants []string
		for rows.Next() {
			var g string
			if err := rows.Scan(&g); err != nil {
				t.Fatal(err)
			}
			grants = append(grants, g)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		var onSchema, other []string
		for _, g := range grants {
			switch {
			case strings.Contains(g, "`"+testSchema+"`.*"):
				onSchema = append(onSchema, g)
			case strings.HasPrefix(g, "GRANT USAGE ON *.*"):
			default:
				other = append(other, g)
			}
		}
		if len(onSchema) != 1 || !strings.HasPrefix(onSchema[0], "GRANT SELECT, INSERT, UPDATE, DELETE ON `"+testSchema+"`.*") {
			t.Errorf("grants on the schema: %q, want one GRANT SELECT, INSERT, UPDATE, DELETE", onSchema)
		}
		if len(other) != 0 {
			t.Errorf("unexpected grants: %q", other)
		}
	})

	t.Run("re-running rotates the password", func(t *testing.T) {
		const rotated = "rotated-Secret-2"
		if err := mysql.EnsureAppUser(ctx, shared.Root, user, rotated, testSchema); err != nil {
			t.Fatalf("EnsureAppUser again: %v", err)
		}
		if err := dbOpenDSN(t, shared.C.DSN(user, rotated, testSchema)).PingContext(ctx); err != nil {
			t.Errorf("new password: %v", err)
		}
		err := dbOpenDSN(t, shared.C.DSN(user, password, testSchema)).PingContext(ctx)
		var me *gomysql.MySQLError
		if !errors.As(err, &me) || me.Number != 1045 {
			t.Errorf("old password: got %v, want access denied (1045)", err)
		}
	})

	t.Run("names are validated, not spliced", func(t *testing.T) {
		for _, tt := range []struct{ user, schema string }{
			{"x'@'%' IDENTIFIED BY 'y'; --", testSchema},
			{"todo_app", "todomgmt`.* TO 'x'@'%'; --"},
			{"", testSchema},
		} {
			err := mysql.EnsureAppUser(ctx, shared.Root, tt.user, "pw", tt.schema)
			dbWantCode(t, "EnsureAppUser("+tt.user+", "+tt.schema+")", err, todo.Invalid)
		}
	})
}

// TestMigrateOnReadOnlyServer: the migrate function invoked in the
// secondary region must change nothing and say so.
func TestMigrateOnReadOnlyServer(t *testing.T) {
	db := passiveDB(t)
	ctx := dbCtx(t)
	before := appliedVersions(t, db.Root)

	_, err := mysql.ApplyMigrations(ctx, db.Root, testRegion)
	if !errors.Is(err, mysql.ErrReadOnly) {
		t.Errorf("ApplyMigrations on a read-only server: got %v, want ErrReadOnly", err)
	}
	dbWantCode(t, "ApplyMigrations", err, todo.RegionPassive)

	err = mysql.EnsureAppUser(ctx, db.Root, "todo_app_ro_test", "pw-123", testSchema)
	if !errors.Is(err, mysql.ErrReadOnly) {
		t.Errorf("EnsureAppUser on a read-only server: got %v, want ErrReadOnly", err)
	}
	var n int
	if err := db.Root.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.user WHERE user = 'todo_app_ro_test'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Error("EnsureAppUser created the user on a read-only server")
	}
	if diff := cmp.Diff(before, appliedVersions(t, db.Root)); diff != "" {
		t.Errorf("recorded versions changed on a read-only server (-before +after):\n%s", diff)
	}

	// The id fence belongs on the writer too: a replica refuses it and
	// keeps its row (root could write despite read_only: FenceIDs asks).
	_, err = mysql.FenceIDs(ctx, db.Root, mysql.Fence{Region: "it-2", DataLoss: true})
	if !errors.Is(err, mysql.ErrReadOnly) || !strings.Contains(todo.ErrorMessage(err), "read-only") {
		t.Errorf("FenceIDs on a read-only server: got %v, want ErrReadOnly saying so", err)
	}
	var region string
	if err := db.Root.QueryRowContext(ctx, "SELECT writer_region FROM id_fence WHERE id = 1").Scan(&region); err != nil || region != testRegion {
		t.Errorf("fence after a refused FenceIDs: %q, %v; want %q", region, err, testRegion)
	}
}
