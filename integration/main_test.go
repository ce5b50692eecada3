//go:build integration

// Package integration holds the tests that need real parts: MySQL (or the
// CI's MariaDB) in containers through internal/mysqlcontainer, the API end to
// end, the lab drill. Run them with
//
//	eval "$(../shared/ci/docker-env)"   # never start containers without it
//	go test -tags integration ./integration/ -count=1
//
// # Shared helpers (defined in this file)
//
// One server is shared by the whole package. It starts lazily, on the first
// call of a helper that needs it, so tests that bring their own containers
// (the lab) neither wait for it nor compete with it; TestMain terminates it.
// It is migrated once (the id fence naming testRegion) and has the
// least-privilege application user.
//
//   - requireDocker(tb): skips tb loudly when no Docker engine is reachable,
//     or FAILS it when CI or TODOMGMT_REQUIRE_DOCKER is set. Every test that
//     starts containers calls it first (the helpers below do).
//   - sharedDB(tb) *testDB: the shared server (container, pools, DSNs).
//   - rootDB(tb), appDB(tb) *sql.DB: pools on the shared schema as root and
//     as the application user (built by pkg/dbconn from the DSN, so with
//     rejectReadOnly=true and parseTime, like production).
//   - appDSN(tb) string: the DSN behind the application user's pool.
//   - resetDB(tb): empties the application tables (todos,
//     idempotency_keys; ids restart at 1) and names testRegion in the id
//     fence again. Call it at the start of a test.
//   - newStore(tb, opts...) *mysql.Store: a store for testRegion on appDB,
//     after resetDB.
//   - startDB(tb) *testDB: a DEDICATED server for one test (migrated, with
//     the app user), terminated at the test's end. Use it to stop, break or
//     fence a server without disturbing other tests.
//   - passiveDB(tb) *testDB: startDB with the server fenced read-only
//     (SET GLOBAL read_only=1), like the replica in the passive region: the
//     app user can read but not write; root can still write (to seed data).
//   - (*testDB).setReadOnly(tb, on): fence or unfence a server.
//
// store_test.go and migrate_test.go add small helpers prefixed "db"
// (dbCtx, dbCreate, dbWantCode, dbPtr, dbOpenDSN, dbFreshSchema, ...);
// other files should pick other names.
//
// Tests that use the shared server must not call t.Parallel: resetDB and
// setReadOnly change state every such test sees.
//
// Ryuk is disabled on this project's machines, so containers are removed by
// their owners: TestMain for the shared one, tb.Cleanup (registered before
// the error check) for dedicated ones. They carry the label
// org.todomgmt.integration=<pid> so a crashed run's leftovers can be found.
package integration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/todomgmt/todomgmt/internal/mysqlcontainer"
	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/mysql"
)

// Names and secrets of the test servers.
const (
	// testRegion is the region the migration seeds the id fence with, and
	// the region of newStore's stores.
	testRegion      = "it-1"
	testSchema      = "todomgmt"
	testAppUser     = "todo_app"
	testAppPassword = "app-secret-Pa55"
)

// testDB is a migrated server with the application user.
type testDB struct {
	C      *mysqlcontainer.Container
	Root   *sql.DB // root on testSchema
	App    *sql.DB // testAppUser on testSchema via pkg/dbconn (rejectReadOnly=true)
	AppDSN string  // as given to dbconn, without the parameters it adds
}

var (
	// dockerErr says why no Docker engine is reachable; nil when one is.
	dockerErr error

	sharedOnce sync.Once
	shared     *testDB
	sharedErr  error
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	dockerErr = mysqlcontainer.DockerAvailable(ctx)
	cancel()
	if dockerErr != nil {
		fmt.Fprintf(os.Stderr, "\n*** integration: NO DOCKER ENGINE (%v)\n*** tests that need containers will %s.\n\n",
			dockerErr, map[bool]string{true: "FAIL (CI or TODOMGMT_REQUIRE_DOCKER is set)", false: "be SKIPPED"}[dockerRequired()])
	}
	code := m.Run()
	if shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shared.close()
		if err := shared.C.Terminate(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		}
	}
	return code
}

// deadlineBound is how long after it starts a call with deadline d may
// take to fail. Answering within the deadline is part of the contract (an
// unreachable database is a 503 within the request deadline), so tests
// assert it; the margin is generous, a bound that catches a call waiting
// for the driver's I/O timeout or hanging, not a speed goal.
func deadlineBound(d time.Duration) time.Duration { return 2*d + 2*time.Second }

func dockerRequired() bool {
	return os.Getenv("CI") != "" || os.Getenv("TODOMGMT_REQUIRE_DOCKER") != ""
}

// requireDocker skips tb when no Docker engine is reachable, or fails it
// when CI or TODOMGMT_REQUIRE_DOCKER is set.
func requireDocker(tb testing.TB) {
	tb.Helper()
	if dockerErr == nil {
		return
	}
	if dockerRequired() {
		tb.Fatalf("Docker is required (CI or TODOMGMT_REQUIRE_DOCKER is set) but unreachable: %v", dockerErr)
		return
	}
	tb.Skipf("SKIPPED: no Docker engine reachable (%v); set TODOMGMT_REQUIRE_DOCKER=1 to make this a failure", dockerErr)
}

// sharedDB returns the package's shared server, starting it on first use.
func sharedDB(tb testing.TB) *testDB {
	tb.Helper()
	requireDocker(tb)
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		shared, sharedErr = newTestDB(ctx, "shared")
	})
	if sharedErr != nil {
		tb.Fatalf("shared MySQL server: %v", sharedErr)
	}
	return shared
}

func rootDB(tb testing.TB) *sql.DB { tb.Helper(); return sharedDB(tb).Root }
func appDB(tb testing.TB) *sql.DB  { tb.Helper(); return sharedDB(tb).App }
func appDSN(tb testing.TB) string  { tb.Helper(); return sharedDB(tb).AppDSN }

// resetDB empties the application tables of the shared server.
func resetDB(tb testing.TB) {
	tb.Helper()
	sharedDB(tb).reset(tb)
}

// newStore resets the shared server and returns a store for testRegion on
// its app pool; opts come after WithRegion(testRegion).
func newStore(tb testing.TB, opts ...mysql.Option) *mysql.Store {
	tb.Helper()
	resetDB(tb)
	return mysql.New(appDB(tb), append([]mysql.Option{mysql.WithRegion(testRegion)}, opts...)...)
}

// startDB starts a dedicated server for tb, terminated when tb ends.
func startDB(tb testing.TB) *testDB {
	tb.Helper()
	requireDocker(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := newTestDB(ctx, tb.Name())
	if db != nil {
		tb.Cleanup(db.close)
		testcontainers.CleanupContainer(tb, db.C.Testcontainer())
	}
	if err != nil {
		tb.Fatalf("dedicated MySQL server: %v", err)
	}
	return db
}

// passiveDB starts a dedicated server fenced read-only, like the replica
// the passive region's API reads from.
func passiveDB(tb testing.TB) *testDB {
	tb.Helper()
	db := startDB(tb)
	db.setReadOnly(tb, true)
	return db
}

// setReadOnly fences (on) or unfences the server with SET GLOBAL
// read_only. Fencing is undone when tb ends.
func (db *testDB) setReadOnly(tb testing.TB, on bool) {
	tb.Helper()
	v := 0
	if on {
		v = 1
		tb.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// Best effort: a test may have stopped or removed the server.
			_, _ = db.Root.ExecContext(ctx, "SET GLOBAL read_only = 0")
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.Root.ExecContext(ctx, "SET GLOBAL read_only = "+strconv.Itoa(v)); err != nil {
		tb.Fatalf("set read_only=%d: %v", v, err)
	}
	// Pooled app connections keep working against a fenced server (the
	// fence applies to each statement); nothing to flush.
}

func (db *testDB) reset(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, table := range []string{"idempotency_keys", "todos"} {
		if _, err := db.Root.ExecContext(ctx, "TRUNCATE TABLE "+table); err != nil {
			tb.Fatalf("reset %s: %v", table, err)
		}
	}
	if _, err := db.Root.ExecContext(ctx,
		"UPDATE id_fence SET writer_region = ?, term = 0, floor = 0, gap = 0, reason = 'reset by the tests' WHERE id = 1", testRegion); err != nil {
		tb.Fatalf("reset the id fence: %v", err)
	}
}

func (db *testDB) close() {
	if db.Root != nil {
		db.Root.Close()
	}
	if db.App != nil {
		db.App.Close()
	}
}

// newTestDB starts a server, migrates it and creates the app user. On
// error after the container started it returns the testDB too, so the
// caller can clean it up.
func newTestDB(ctx context.Context, label string) (*testDB, error) {
	c, err := mysqlcontainer.Start(ctx, mysqlcontainer.Options{
		Database: testSchema,
		// No fsync per commit: these servers are thrown away.
		Args:   []string{"--innodb-flush-log-at-trx-commit=2"},
		Labels: map[string]string{"org.todomgmt.integration": strconv.Itoa(os.Getpid()), "org.todomgmt.test": label},
	})
	if err != nil {
		return nil, err
	}
	db := &testDB{C: c}
	db.Root, err = c.OpenRoot(ctx, testSchema)
	if err != nil {
		return db, err
	}
	if err := mysql.Prepare(ctx, db.Root, testRegion, testAppUser, testAppPassword, testSchema); err != nil {
		return db, err
	}
	// The app pool is built the way the API builds it (pkg/dbconn), which
	// adds rejectReadOnly=true and parseTime to the DSN.
	db.AppDSN = c.DSN(testAppUser, testAppPassword, testSchema)
	pools, err := dbconn.Open(ctx, dbconn.Config{
		DSN:             db.AppDSN,
		MaxOpenConns:    20,
		ConnMaxLifetime: time.Minute,
		ConnectTimeout:  3 * time.Second,
	})
	if err != nil {
		return db, err
	}
	db.App = pools.Writer
	if err := db.App.PingContext(ctx); err != nil {
		return db, fmt.Errorf("ping as %s: %w", testAppUser, err)
	}
	return db, nil
}

// recordTB records what requireDocker decides instead of acting on it.
type recordTB struct {
	testing.TB
	skipped, failed bool
}

func (r *recordTB) Helper()               {}
func (r *recordTB) Skipf(string, ...any)  { r.skipped = true }
func (r *recordTB) Fatalf(string, ...any) { r.failed = true }

// TestRequireDockerDecision checks the skip-or-fail rule without needing
// a machine without Docker.
func TestRequireDockerDecision(t *testing.T) {
	saved := dockerErr
	t.Cleanup(func() { dockerErr = saved })
	for _, tt := range []struct {
		name              string
		dockerErr         error
		ci, require       string
		wantSkip, wantErr bool
	}{
		{name: "engine reachable"},
		{name: "no engine, developer machine", dockerErr: errors.New("no socket"), wantSkip: true},
		{name: "no engine, CI", dockerErr: errors.New("no socket"), ci: "true", wantErr: true},
		{name: "no engine, required", dockerErr: errors.New("no socket"), require: "1", wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			t.Setenv("TODOMGMT_REQUIRE_DOCKER", tt.require)
			dockerErr = tt.dockerErr
			r := &recordTB{TB: t}
			requireDocker(r)
			if r.skipped != tt.wantSkip || r.failed != tt.wantErr {
				t.Errorf("skipped=%v failed=%v, want skipped=%v failed=%v", r.skipped, r.failed, tt.wantSkip, tt.wantErr)
			}
		})
	}
}
