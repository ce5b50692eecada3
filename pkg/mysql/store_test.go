package mysql

import (
	"database/sql"
	"testing"
	"time"

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
