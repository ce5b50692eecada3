package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// TestReadPool checks where reads go as the store learns and forgets the
// region's role. The pools are never used, so they need no server.
func TestReadPool(t *testing.T) {
	writer, reader := &sql.DB{}, &sql.DB{}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	s := New(writer, WithReader(reader), WithRoleTTL(5*time.Second), WithClock(clock))
	noReader := New(writer, WithClock(clock))

	steps := []struct {
		name       string
		learn      todo.Role
		advance    time.Duration
		want       *sql.DB
		wantNoRead *sql.DB
	}{
		{name: "unknown role reads from the writer", want: writer, wantNoRead: writer},
		{name: "passive reads from the reader", learn: todo.RolePassive, want: reader, wantNoRead: writer},
		{name: "still passive within the TTL", advance: 4 * time.Second, want: reader, wantNoRead: writer},
		{name: "the role expires after the TTL", advance: 2 * time.Second, want: writer, wantNoRead: writer},
		{name: "passive again", learn: todo.RolePassive, want: reader, wantNoRead: writer},
		{name: "active again (promoted)", learn: todo.RoleActive, want: writer, wantNoRead: writer},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		if st.learn != "" {
			s.learnRole(st.learn)
			noReader.learnRole(st.learn)
		}
		if got := s.readPool(); got != st.want {
			t.Errorf("%s: read pool is the %s, want the %s", st.name, poolName(got, writer), poolName(st.want, writer))
		}
		if got := noReader.readPool(); got != st.wantNoRead {
			t.Errorf("%s (no reader): read pool is the %s, want the writer", st.name, poolName(got, writer))
		}
	}
}

func poolName(db, writer *sql.DB) string {
	if db == writer {
		return "writer"
	}
	return "reader"
}

func TestWithReaderNil(t *testing.T) {
	writer := &sql.DB{}
	s := New(writer, WithReader(nil))
	s.learnRole(todo.RolePassive)
	if s.readPool() != writer {
		t.Error("with a nil reader, reads must use the writer")
	}
	if !s.Passive() {
		t.Error("Passive() = false after learning passive")
	}
}

// TestReadFallbackLearnsTheReader: when the writer pool cannot connect and
// the reader answers, the following reads go straight to the reader for the
// role TTL, without a failed writer attempt each, and go back to the writer
// after it.
func TestReadFallbackLearnsTheReader(t *testing.T) {
	dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	writer := &fakeConnector{fail: dialErr}
	reader := &fakeConnector{}
	wdb, rdb := sql.OpenDB(writer), sql.OpenDB(reader)
	t.Cleanup(func() { wdb.Close(); rdb.Close() })
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(wdb, WithReader(rdb), WithRoleTTL(5*time.Second), WithClock(func() time.Time { return now }))

	for _, st := range []struct {
		name                      string
		advance                   time.Duration
		wantWriterDials, wantRead int32 // totals so far
	}{
		{name: "first read: the writer fails, the reader answers", wantWriterDials: 1, wantRead: 1},
		{name: "second read: straight to the reader", wantWriterDials: 1, wantRead: 2},
		{name: "within the TTL: still the reader", advance: 4 * time.Second, wantWriterDials: 1, wantRead: 3},
		{name: "after the TTL: the writer is tried again", advance: 2 * time.Second, wantWriterDials: 2, wantRead: 4},
	} {
		now = now.Add(st.advance)
		got, err := s.Get(t.Context(), 7)
		if err != nil || got.ID != 7 {
			t.Fatalf("%s: Get = %+v, %v; want todo 7 from the reader", st.name, got, err)
		}
		if w, r := writer.dials.Load(), reader.queries.Load(); w != st.wantWriterDials || r != st.wantRead {
			t.Errorf("%s: got %d writer dials and %d reader queries, want %d and %d", st.name, w, r, st.wantWriterDials, st.wantRead)
		}
	}
}

// fakeConnector is a database/sql connector whose connections answer every
// query with one todo row (version 1, tag 1) and every statement with one
// row affected (the last insert id 7), or that fails every dial with fail.
// When hang is set, COMMIT and ROLLBACK wait for it to close, as on a
// server that stopped answering. When fencedFor is set, the gated INSERT
// of a create affects no row and the fence row names fencedFor.
type fakeConnector struct {
	fail      error
	readOnly  bool // the answer to the role query
	hang      chan struct{}
	fencedFor string
	dials     atomic.Int32
	queries   atomic.Int32
}

func (c *fakeConnector) Connect(context.Context) (driver.Conn, error) {
	c.dials.Add(1)
	if c.fail != nil {
		return nil, c.fail
	}
	return fakeConn{c}, nil
}

func (c *fakeConnector) Driver() driver.Driver { return nil }

type fakeConn struct{ c *fakeConnector }

func (fakeConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("fake: no prepare") }

// CheckNamedValue takes every argument as it is, as go-sql-driver/mysql
// does for uint64 write tags with the high bit set.
func (fakeConn) CheckNamedValue(*driver.NamedValue) error { return nil }
func (fakeConn) Close() error                             { return nil }
func (f fakeConn) Begin() (driver.Tx, error)              { return fakeTx(f), nil }

func (f fakeConn) ExecContext(_ context.Context, query string, _ []driver.NamedValue) (driver.Result, error) {
	if f.c.fencedFor != "" && strings.HasPrefix(query, "INSERT INTO todos") {
		return fakeResult{affected: 0}, nil
	}
	return fakeResult{affected: 1, id: 7}, nil
}

type fakeResult struct{ affected, id int64 }

func (r fakeResult) LastInsertId() (int64, error) { return r.id, nil }
func (r fakeResult) RowsAffected() (int64, error) { return r.affected, nil }

type fakeTx struct{ c *fakeConnector }

func (t fakeTx) Commit() error   { t.wait(); return nil }
func (t fakeTx) Rollback() error { t.wait(); return nil }

func (t fakeTx) wait() {
	if t.c.hang != nil {
		<-t.c.hang
	}
}

func (f fakeConn) QueryContext(_ context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	f.c.queries.Add(1)
	if strings.Contains(query, "read_only") {
		ro := int64(0)
		if f.c.readOnly {
			ro = 1
		}
		return &roleRows{ro: ro}, nil
	}
	if strings.Contains(query, "FROM id_fence") {
		return &fenceRows{region: f.c.fencedFor}, nil
	}
	return &fakeRows{id: args[0].Value.(int64)}, nil
}

// fenceRows answers the fence's row: writer_region, term.
type fenceRows struct {
	region string
	done   bool
}

func (*fenceRows) Columns() []string { return []string{"writer_region", "term"} }
func (*fenceRows) Close() error      { return nil }

func (r *fenceRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0], dest[1] = r.region, int64(4)
	return nil
}

// roleRows answers readOnly's query: read_only, innodb_read_only.
type roleRows struct {
	ro   int64
	done bool
}

func (*roleRows) Columns() []string { return []string{"read_only", "innodb_read_only"} }
func (*roleRows) Close() error      { return nil }

func (r *roleRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0], dest[1] = r.ro, int64(0)
	return nil
}

// fakeRows is one row of todoColumns.
type fakeRows struct {
	id   int64
	done bool
}

func (*fakeRows) Columns() []string {
	return []string{"id", "task", "status", "created_at", "updated_at", "version", "write_tag"}
}
func (*fakeRows) Close() error { return nil }

func (r *fakeRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	copy(dest, []driver.Value{r.id, "from the reader", "todo", ts, ts, int64(1), int64(1)})
	return nil
}

// TestWriteToUnreachableWriter: a write whose connection cannot even be
// dialled is Unavailable at once, without a role probe that would dial
// the same unreachable server again.
func TestWriteToUnreachableWriter(t *testing.T) {
	writer := &fakeConnector{fail: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	db := sql.OpenDB(writer)
	t.Cleanup(func() { db.Close() })
	s := New(db, WithRegion("test-1"))
	_, err := s.Create(t.Context(), todo.CreateRequest{Draft: todo.Draft{Task: "x"}})
	if code := todo.ErrorCode(err); code != todo.Unavailable {
		t.Errorf("Create: got %q (%v), want %q", code, err, todo.Unavailable)
	}
	if got := writer.dials.Load(); got != 1 {
		t.Errorf("got %d dials, want 1 (no role probe after a failed dial)", got)
	}
}

// refusedLogin is an error from opening a connection, marked the way
// pkg/dbconn marks them: RDS Proxy's read/write endpoint of a secondary
// cluster refuses the login because no writer is behind it.
type refusedLogin struct{}

func (refusedLogin) Error() string {
	return "connect: Error 9001: The target group doesn't have any associated read/write instances"
}
func (refusedLogin) ConnectFailed() bool { return true }

// TestPassiveRegionBehindAProxy: in a secondary region the writer endpoint
// refuses every login. Writes answer region_passive when the reader says
// its server is read-only (and not otherwise), reads and health are served
// by the reader, and nothing is an internal error.
func TestPassiveRegionBehindAProxy(t *testing.T) {
	for _, tt := range []struct {
		name           string
		readerReadOnly bool
		noReader       bool
		want           todo.Code
	}{
		{"reader read-only: passive", true, false, todo.RegionPassive},
		{"reader writable: not passive", false, false, todo.Unavailable},
		{"no reader: cannot tell", false, true, todo.Unavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wdb := sql.OpenDB(&fakeConnector{fail: refusedLogin{}})
			reader := &fakeConnector{readOnly: tt.readerReadOnly}
			rdb := sql.OpenDB(reader)
			t.Cleanup(func() { wdb.Close(); rdb.Close() })
			opts := []Option{WithRegion("test-1"), WithReader(rdb)}
			if tt.noReader {
				opts = opts[:1]
			}
			s := New(wdb, opts...)

			_, err := s.Create(t.Context(), todo.CreateRequest{Draft: todo.Draft{Task: "x"}})
			if code := todo.ErrorCode(err); code != tt.want {
				t.Errorf("Create: got %q (%v), want %q", code, err, tt.want)
			}
			got, err := s.Get(t.Context(), 7)
			switch {
			case tt.noReader:
				if code := todo.ErrorCode(err); code != todo.Unavailable {
					t.Errorf("Get without a reader: got %q (%v), want %q", code, err, todo.Unavailable)
				}
			case err != nil || got.ID != 7:
				t.Errorf("Get: got %+v, %v; want todo 7 from the reader", got, err)
			}
			h, err := s.Health(t.Context())
			if tt.readerReadOnly && (err != nil || h.Role != todo.RolePassive) {
				t.Errorf("Health: got %+v, %v; want passive", h, err)
			}
			if !tt.readerReadOnly && todo.ErrorCode(err) != todo.Unavailable {
				t.Errorf("Health: got %+v, %v; want unavailable", h, err)
			}
		})
	}
}

// TestWriteEndsWithTheContext: database/sql sends COMMIT and ROLLBACK
// without a context; a server that stops answering at that moment must not
// hold a write past its context. A COMMIT given up on is Unavailable; a
// rollback given up on leaves the write's own error. (A create with an
// idempotency key is the store's one transaction on the usual path.)
func TestWriteEndsWithTheContext(t *testing.T) {
	keyed := todo.CreateRequest{Draft: todo.Draft{Task: "y"}, IdempotencyKey: "k-1"}
	for _, tt := range []struct {
		name      string
		fencedFor string
		want      todo.Code
	}{
		{"hung COMMIT", "", todo.Unavailable},
		{"hung ROLLBACK after the id fence refused the create", "other-1", todo.RegionPassive},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeConnector{hang: make(chan struct{}), fencedFor: tt.fencedFor}
			db := sql.OpenDB(c)
			t.Cleanup(func() { close(c.hang); db.Close() })
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := New(db, WithRegion("test-1")).Create(ctx, keyed)
				done <- err
			}()
			select {
			case err := <-done:
				if code := todo.ErrorCode(err); code != tt.want {
					t.Errorf("got %q (%v), want %q", code, err, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the write did not return 10 s after its context ended")
			}
		})
	}
}

// TestWriteMarksActive: after a promotion, the first write the writer
// takes sends reads back to it at once, not when the passive role expires:
// a client must read what it just wrote.
func TestWriteMarksActive(t *testing.T) {
	writer := sql.OpenDB(&fakeConnector{})
	reader := sql.OpenDB(&fakeConnector{})
	t.Cleanup(func() { writer.Close(); reader.Close() })
	s := New(writer, WithReader(reader), WithRoleTTL(time.Hour))
	s.learnRole(todo.RolePassive) // learned before the promotion
	if _, err := s.Update(t.Context(), 7, todo.Update{Task: new("y")}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if s.Passive() || s.readPool() != writer {
		t.Errorf("after a successful write: Passive() = %v, reads from the %s; want active, the writer", s.Passive(), poolName(s.readPool(), writer))
	}
}

// refusedByServer is a refused login whose cause is the server's own error,
// as RDS Proxy's read-only endpoint answers in a region whose cluster has
// no reader instance (the primary, with its one writer instance): marked
// as a connect error, and no network error anywhere in the chain.
func refusedByServer() error {
	return &markedConnectError{err: &mysql.MySQLError{Number: 9001, Message: "The target group doesn't have any associated read-only instances"}}
}

type markedConnectError struct{ err error }

func (e *markedConnectError) Error() string       { return "connect: " + e.err.Error() }
func (e *markedConnectError) Unwrap() error       { return e.err }
func (e *markedConnectError) ConnectFailed() bool { return true }

// TestReadFallbackToARefusingReader: in the active region, while the
// writer cannot be reached, a reader endpoint that refuses the login did
// not answer. The read is Unavailable, the store does not take the region
// for passive, and a write that follows is Unavailable (not
// region_passive), as Health is.
func TestReadFallbackToARefusingReader(t *testing.T) {
	for _, tt := range []struct {
		name      string
		writerErr error
	}{
		{"writer not dialable", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}},
		{"writer refuses the login", refusedLogin{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wdb := sql.OpenDB(&fakeConnector{fail: tt.writerErr})
			reader := &fakeConnector{fail: refusedByServer()}
			rdb := sql.OpenDB(reader)
			t.Cleanup(func() { wdb.Close(); rdb.Close() })
			s := New(wdb, WithReader(rdb), WithRegion("test-1"))

			if _, err := s.Get(t.Context(), 7); todo.ErrorCode(err) != todo.Unavailable {
				t.Errorf("Get: got %q (%v), want %q", todo.ErrorCode(err), err, todo.Unavailable)
			}
			if _, err := s.List(t.Context(), todo.ListQuery{}); todo.ErrorCode(err) != todo.Unavailable {
				t.Errorf("List: got %q (%v), want %q", todo.ErrorCode(err), err, todo.Unavailable)
			}
			if s.Passive() {
				t.Error("Passive() = true after reads the reader refused, want false")
			}
			if reader.dials.Load() == 0 {
				t.Error("the reader was never tried")
			}
			if _, err := s.Create(t.Context(), todo.CreateRequest{Draft: todo.Draft{Task: "x"}}); todo.ErrorCode(err) != todo.Unavailable {
				t.Errorf("Create: got %q (%v), want %q", todo.ErrorCode(err), err, todo.Unavailable)
			}
			if h, err := s.Health(t.Context()); todo.ErrorCode(err) != todo.Unavailable {
				t.Errorf("Health: got %+v, %v; want %q", h, err, todo.Unavailable)
			}
		})
	}
}

// TestReadFallbackToTheWriter: after a promotion the region's read-only
// endpoint may have no target yet (RDS Proxy refuses the login) while the
// store still takes the region for passive. The writer answers the read,
// the store takes the region for active, and the following reads go
// straight to the writer without trying the reader first.
func TestReadFallbackToTheWriter(t *testing.T) {
	writer := &fakeConnector{}
	reader := &fakeConnector{fail: refusedByServer()}
	wdb, rdb := sql.OpenDB(writer), sql.OpenDB(reader)
	t.Cleanup(func() { wdb.Close(); rdb.Close() })
	s := New(wdb, WithReader(rdb), WithRoleTTL(time.Hour))
	s.learnRole(todo.RolePassive) // learned before the promotion

	got, err := s.Get(t.Context(), 7)
	if err != nil || got.ID != 7 {
		t.Fatalf("Get: got %+v, %v; want todo 7 from the writer", got, err)
	}
	if s.Passive() {
		t.Error("Passive() = true after the writer answered a read, want false")
	}
	if _, err := s.List(t.Context(), todo.ListQuery{}); err != nil {
		t.Fatalf("List: %v", err)
	}
	if _, err := s.Get(t.Context(), 8); err != nil {
		t.Fatalf("second Get: %v", err)
	}
	if got := reader.dials.Load(); got != 1 {
		t.Errorf("the reader was dialled %d times, want once (the first read only)", got)
	}
	if got := writer.queries.Load(); got != 3 {
		t.Errorf("the writer answered %d queries, want 3", got)
	}
}

// TestReadFallbackWhenBothFail: when neither pool answers, the read is
// Unavailable and the role learned before stays.
func TestReadFallbackWhenBothFail(t *testing.T) {
	wdb := sql.OpenDB(&fakeConnector{fail: refusedLogin{}})
	rdb := sql.OpenDB(&fakeConnector{fail: refusedByServer()})
	t.Cleanup(func() { wdb.Close(); rdb.Close() })
	s := New(wdb, WithReader(rdb), WithRoleTTL(time.Hour))
	s.learnRole(todo.RolePassive)
	if _, err := s.Get(t.Context(), 7); todo.ErrorCode(err) != todo.Unavailable {
		t.Errorf("Get: got %v, want unavailable", err)
	}
	if !s.Passive() {
		t.Error("Passive() = false after no pool answered, want the learned role kept")
	}
}

// TestCreateNeedsARegion: a store without a valid region creates nothing,
// and says why, before it asks the database anything.
func TestCreateNeedsARegion(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []Option
	}{
		{"no region", nil},
		{"empty region", []Option{WithRegion("")}},
		{"invalid region", []Option{WithRegion("US East")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeConnector{}
			db := sql.OpenDB(c)
			t.Cleanup(func() { db.Close() })
			_, err := New(db, tt.opts...).Create(t.Context(), todo.CreateRequest{Draft: todo.Draft{Task: "x"}})
			if todo.ErrorCode(err) != todo.Internal || !strings.Contains(err.Error(), "region") {
				t.Errorf("Create: got %v, want an internal error about the region", err)
			}
			if c.dials.Load() != 0 {
				t.Error("the store reached the database without a region")
			}
		})
	}
}

// TestCreateRefusedByTheFence: a writer the id fence does not name answers
// creates with region_passive, names the fence's region and how the
// failover finishes, and does not take the region for passive: reads keep
// going to the writer, which is this region's.
func TestCreateRefusedByTheFence(t *testing.T) {
	for _, key := range []string{"", "k-1"} {
		t.Run("key "+key, func(t *testing.T) {
			db := sql.OpenDB(&fakeConnector{fencedFor: "us-east-1"})
			rdb := sql.OpenDB(&fakeConnector{})
			t.Cleanup(func() { db.Close(); rdb.Close() })
			s := New(db, WithReader(rdb), WithRegion("us-west-2"))
			_, err := s.Create(t.Context(), todo.CreateRequest{Draft: todo.Draft{Task: "x"}, IdempotencyKey: key})
			if todo.ErrorCode(err) != todo.RegionPassive {
				t.Fatalf("Create: got %v, want region_passive", err)
			}
			msg := todo.ErrorMessage(err)
			for _, want := range []string{"us-west-2", "us-east-1", "term 4", "go tool mage failover"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not name %q", msg, want)
				}
			}
			if s.Passive() {
				t.Error("Passive() = true after a fence refusal, want false (the server is this region's writer)")
			}
		})
	}
}

// TestUpdateAndDeleteRevisions: the conditions reach the statements; the
// fake answers one row at version 1, tag 1.
func TestUpdateAndDeleteRevisions(t *testing.T) {
	db := sql.OpenDB(&fakeConnector{})
	t.Cleanup(func() { db.Close() })
	tags := uint64(100)
	s := New(db, WithWriteTags(func() uint64 { tags++; return tags }))
	got, err := s.Update(t.Context(), 7, todo.Update{Task: new("y"), IfMatch: &todo.Revision{Version: 1, Tag: 1}})
	if err != nil {
		t.Fatalf("Update at the current revision: %v", err)
	}
	if got.Version != 2 || got.Tag != 101 || got.Task != "y" {
		t.Errorf("Update: got %+v, want version 2, tag 101 (the next from WithWriteTags), task y", got)
	}
	for _, rev := range []todo.Revision{{Version: 1, Tag: 2}, {Version: 2, Tag: 1}, {}} {
		if _, err := s.Update(t.Context(), 7, todo.Update{Task: new("y"), IfMatch: &rev}); todo.ErrorCode(err) != todo.PreconditionFailed {
			t.Errorf("Update at %+v: got %v, want precondition_failed", rev, err)
		}
	}
	if err := s.Delete(t.Context(), 7, &todo.Revision{Version: 1, Tag: 1}); err != nil {
		t.Errorf("Delete at the current revision: %v", err)
	}
	if err := s.Delete(t.Context(), 7, &todo.Revision{Version: -1}); todo.ErrorCode(err) != todo.Invalid {
		t.Errorf("Delete at a negative version: got %v, want invalid", err)
	}
}
