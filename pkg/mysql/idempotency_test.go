package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// purgeServer is a database/sql connector for a server that answers the
// role query with readOnly and each DELETE with the next of affected (or
// deleteErr), recording the DELETEs' arguments.
type purgeServer struct {
	readOnly  bool
	affected  []int64
	deleteErr error
	cancel    func() // called after the first DELETE, when set
	deletes   [][]driver.NamedValue
}

func (s *purgeServer) Connect(context.Context) (driver.Conn, error) { return purgeConn{s}, nil }
func (s *purgeServer) Driver() driver.Driver                        { return nil }

type purgeConn struct{ s *purgeServer }

func (purgeConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("fake: no prepare") }
func (purgeConn) Close() error                        { return nil }
func (purgeConn) Begin() (driver.Tx, error)           { return nil, errors.New("fake: no transactions") }

func (c purgeConn) ExecContext(_ context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if !strings.HasPrefix(query, "DELETE FROM idempotency_keys") {
		return nil, errors.New("fake: unexpected statement " + query)
	}
	c.s.deletes = append(c.s.deletes, args)
	if c.s.cancel != nil {
		c.s.cancel()
	}
	if c.s.deleteErr != nil {
		return nil, c.s.deleteErr
	}
	if len(c.s.affected) == 0 {
		return nil, errors.New("fake: more DELETEs than scripted")
	}
	n := c.s.affected[0]
	c.s.affected = c.s.affected[1:]
	return driver.RowsAffected(n), nil
}

func (c purgeConn) QueryContext(_ context.Context, query string, _ []driver.NamedValue) (driver.Rows, error) {
	if !strings.Contains(query, "read_only") {
		return nil, errors.New("fake: unexpected query " + query)
	}
	return &purgeRoleRows{ro: c.s.readOnly}, nil
}

type purgeRoleRows struct {
	ro   bool
	done bool
}

func (*purgeRoleRows) Columns() []string { return []string{"read_only", "innodb_read_only"} }
func (*purgeRoleRows) Close() error      { return nil }

func (r *purgeRoleRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0], dest[1] = int64(0), int64(0)
	if r.ro {
		dest[0] = int64(1)
	}
	return nil
}

func TestPurgeIdempotencyKeys(t *testing.T) {
	before := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.FixedZone("CET", 3600))
	for _, tt := range []struct {
		name         string
		server       *purgeServer
		cancelled    bool // the context ends after the first DELETE
		wantDeleted  int64
		wantStmts    int
		wantReadOnly bool
		wantErr      string
	}{
		{name: "nothing to purge", server: &purgeServer{affected: []int64{0}}, wantStmts: 1},
		{name: "less than a batch", server: &purgeServer{affected: []int64{17}}, wantDeleted: 17, wantStmts: 1},
		{name: "batches until a short one", server: &purgeServer{affected: []int64{PurgeBatch, PurgeBatch, 3}}, wantDeleted: 2*PurgeBatch + 3, wantStmts: 3},
		{name: "exact batches end with an empty one", server: &purgeServer{affected: []int64{PurgeBatch, 0}}, wantDeleted: PurgeBatch, wantStmts: 2},
		{name: "read-only server deletes nothing", server: &purgeServer{readOnly: true}, wantReadOnly: true},
		{name: "server turns read-only mid-purge", server: &purgeServer{deleteErr: &mysql.MySQLError{Number: 1290, Message: "--read-only"}}, wantStmts: 1, wantReadOnly: true},
		{name: "other errors are kept", server: &purgeServer{deleteErr: &mysql.MySQLError{Number: 1205, Message: "lock wait timeout"}}, wantStmts: 1, wantErr: "purge idempotency keys"},
		{name: "stops with its context", server: &purgeServer{affected: []int64{PurgeBatch, PurgeBatch}}, cancelled: true, wantDeleted: PurgeBatch, wantStmts: 1, wantErr: "context canceled"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.cancelled {
				tt.server.cancel = cancel
			}
			got, err := PurgeIdempotencyKeys(ctx, sql.OpenDB(tt.server), before)
			switch {
			case tt.wantReadOnly:
				if !errors.Is(err, ErrReadOnly) {
					t.Errorf("got error %v, want ErrReadOnly", err)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("PurgeIdempotencyKeys: %v", err)
			}
			if got != tt.wantDeleted {
				t.Errorf("got %d deleted, want %d", got, tt.wantDeleted)
			}
			if len(tt.server.deletes) != tt.wantStmts {
				t.Fatalf("got %d DELETE statements, want %d", len(tt.server.deletes), tt.wantStmts)
			}
			for _, args := range tt.server.deletes {
				if len(args) != 2 || args[0].Value != before.UTC() || args[1].Value != int64(PurgeBatch) {
					t.Errorf("DELETE arguments %v, want [%v %d]", args, before.UTC(), PurgeBatch)
				}
			}
		})
	}
}
