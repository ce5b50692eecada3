package mysql

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"
)

func TestEmbeddedMigrations(t *testing.T) {
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 {
		t.Fatalf("got %d migrations, want at least 2", len(ms))
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Errorf("migration %d has version %d, want %d (no gaps)", i, m.Version, i+1)
		}
		for _, stmt := range m.Statements {
			// Every statement must be safe to re-run: DDL commits implicitly,
			// so a half-applied migration runs again from the start.
			upper := strings.ToUpper(stmt)
			if strings.HasPrefix(upper, "CREATE TABLE") && !strings.HasPrefix(upper, "CREATE TABLE IF NOT EXISTS") {
				t.Errorf("migration %04d_%s: CREATE TABLE without IF NOT EXISTS", m.Version, m.Name)
			}
			if strings.Contains(upper, "RETURNING") {
				t.Errorf("migration %04d_%s uses RETURNING, which MySQL lacks", m.Version, m.Name)
			}
			// An ALTER TABLE is re-runnable only as ADD (its duplicate
			// column or index counts as done: alreadyAdded).
			if strings.HasPrefix(upper, "ALTER TABLE") && !strings.Contains(upper, " ADD ") {
				t.Errorf("migration %04d_%s: ALTER TABLE other than ADD cannot be re-run: %s", m.Version, m.Name, stmt)
			}
			// Replicas replay statements: no non-deterministic functions.
			for _, f := range []string{"UUID(", "RAND(", "NOW(", "SYSDATE("} {
				if strings.Contains(upper, f) {
					t.Errorf("migration %04d_%s uses %s, which a replica would not repeat", m.Version, m.Name, f)
				}
			}
		}
	}
}

func TestAlreadyAdded(t *testing.T) {
	dupColumn := &mysql.MySQLError{Number: 1060, Message: "Duplicate column name 'write_tag'"}
	dupKey := &mysql.MySQLError{Number: 1061, Message: "Duplicate key name 'k'"}
	other := &mysql.MySQLError{Number: 1054, Message: "Unknown column"}
	for _, tt := range []struct {
		name string
		stmt string
		err  error
		want bool
	}{
		{"a column added before", "ALTER TABLE todos ADD COLUMN write_tag BIGINT", dupColumn, true},
		{"an index added before", "alter table todos add index k (status)", dupKey, true},
		{"another error", "ALTER TABLE todos ADD COLUMN x INT", other, false},
		{"a duplicate column outside ALTER", "CREATE TABLE IF NOT EXISTS t (a INT, a INT)", dupColumn, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := alreadyAdded(tt.stmt, tt.err); got != tt.want {
				t.Errorf("alreadyAdded = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseMigrations(t *testing.T) {
	for _, tt := range []struct {
		name    string
		files   fstest.MapFS
		want    []Migration
		wantErr bool
	}{
		{
			name: "ordered by number, not by name",
			files: fstest.MapFS{
				"m/10_ten.sql": {Data: []byte("CREATE TABLE IF NOT EXISTS ten (id INT);\n")},
				"m/2_two.sql":  {Data: []byte("-- a comment\nCREATE TABLE IF NOT EXISTS a (\n  id INT\n);\nCREATE INDEX i ON a (id);\n")},
				"m/README.md":  {Data: []byte("ignored")},
			},
			want: []Migration{
				{Version: 2, Name: "two", Statements: []string{"CREATE TABLE IF NOT EXISTS a (\n  id INT\n)", "CREATE INDEX i ON a (id)"}},
				{Version: 10, Name: "ten", Statements: []string{"CREATE TABLE IF NOT EXISTS ten (id INT)"}},
			},
		},
		{
			name:  "last statement without semicolon",
			files: fstest.MapFS{"m/1_a.sql": {Data: []byte("SELECT 1")}},
			want:  []Migration{{Version: 1, Name: "a", Statements: []string{"SELECT 1"}}},
		},
		{
			name:    "duplicate version",
			files:   fstest.MapFS{"m/1_a.sql": {Data: []byte("SELECT 1;")}, "m/001_b.sql": {Data: []byte("SELECT 2;")}},
			wantErr: true,
		},
		{
			name:    "bad name",
			files:   fstest.MapFS{"m/first.sql": {Data: []byte("SELECT 1;")}},
			wantErr: true,
		},
		{
			name:    "empty file",
			files:   fstest.MapFS{"m/1_a.sql": {Data: []byte("-- nothing\n")}},
			wantErr: true,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMigrations(tt.files, "m")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("migrations (-want +got):\n%s", diff)
			}
		})
	}
}
