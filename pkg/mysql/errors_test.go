package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

func TestTranslate(t *testing.T) {
	dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	for _, tt := range []struct {
		name  string
		err   error
		write bool
		want  todo.Code
	}{
		{"nil", nil, false, ""},
		{"no rows", sql.ErrNoRows, false, todo.NotFound},
		{"duplicate key", &mysql.MySQLError{Number: 1062}, true, todo.Conflict},
		{"read-only option 1290", &mysql.MySQLError{Number: 1290}, true, todo.RegionPassive},
		{"read-only transaction 1792", &mysql.MySQLError{Number: 1792}, true, todo.RegionPassive},
		{"read-only mode 1836", &mysql.MySQLError{Number: 1836}, true, todo.RegionPassive},
		{"write denied 1142 on a write", &mysql.MySQLError{Number: 1142}, true, todo.RegionPassive},
		{"denied 1142 on a read", &mysql.MySQLError{Number: 1142}, false, todo.Internal},
		{"deadlock", &mysql.MySQLError{Number: 1213}, true, todo.Unavailable},
		{"lock wait timeout", &mysql.MySQLError{Number: 1205}, true, todo.Unavailable},
		{"too many connections", &mysql.MySQLError{Number: 1040}, false, todo.Unavailable},
		{"syntax error", &mysql.MySQLError{Number: 1064, Message: "near 'x'"}, false, todo.Internal},
		{"wrapped MySQL error", fmt.Errorf("insert: %w", &mysql.MySQLError{Number: 1062}), true, todo.Conflict},
		{"bad connection", driver.ErrBadConn, true, todo.Unavailable},
		{"invalid connection", mysql.ErrInvalidConn, false, todo.Unavailable},
		{"dial refused", dialErr, false, todo.Unavailable},
		{"deadline", context.DeadlineExceeded, false, todo.Unavailable},
		{"wrapped deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), false, todo.Unavailable},
		{"unexpected EOF", io.ErrUnexpectedEOF, false, todo.Unavailable},
		{"already a todo error", todo.Errorf(todo.PreconditionFailed, "stale"), true, todo.PreconditionFailed},
		{"anything else", errors.New("boom"), false, todo.Internal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := translate(tt.err, tt.write)
			if code := todo.ErrorCode(got); code != tt.want {
				t.Errorf("code = %q, want %q (err %v)", code, tt.want, got)
			}
			if tt.err != nil && !errors.Is(got, tt.err) {
				t.Errorf("translated error %v does not keep its cause %v", got, tt.err)
			}
		})
	}
}

func TestTranslateKeepsDriverTextOutOfMessage(t *testing.T) {
	err := translate(&mysql.MySQLError{Number: 1064, Message: "You have an error near 'secret'"}, true)
	if msg := todo.ErrorMessage(err); strings.Contains(msg, "secret") {
		t.Errorf("client message %q contains driver text", msg)
	}
}

func TestRedact(t *testing.T) {
	err := redact("create user", &mysql.MySQLError{Number: 1064, SQLState: [5]byte{'4', '2', '0', '0', '0'}, Message: "near 'hunter2'"})
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("redacted error %q contains the statement text", err)
	}
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1064 {
		t.Errorf("errors.As(*mysql.MySQLError) = %v, want number 1064", me)
	}
	if got, want := err.Error(), "create user: server error 1064 (SQLSTATE 42000)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestQuoteString(t *testing.T) {
	for _, tt := range []struct {
		in        string
		backslash bool
		want      string
	}{
		{"plain", true, "'plain'"},
		{"it's", true, "'it''s'"},
		{`a\b`, true, `'a\\b'`},
		{`a\b`, false, `'a\b'`},
		{`\'; DROP TABLE todos; --`, true, `'\\''; DROP TABLE todos; --'`},
	} {
		if got := quoteString(tt.in, tt.backslash); got != tt.want {
			t.Errorf("quoteString(%q, %v) = %s, want %s", tt.in, tt.backslash, got, tt.want)
		}
	}
}

func TestValidateNames(t *testing.T) {
	for _, tt := range []struct {
		name   string
		user   bool
		value  string
		wantOK bool
	}{
		{"app user", true, "todo_app", true},
		{"user of 32", true, strings.Repeat("u", 32), true},
		{"user of 33", true, strings.Repeat("u", 33), false},
		{"user with quote", true, "x'@'%", false},
		{"user with space", true, "todo app", false},
		{"user starting with digit", true, "1app", false},
		{"empty user", true, "", false},
		{"schema", false, "todomgmt", true},
		{"schema with backtick", false, "todo`; DROP DATABASE x; --", false},
		{"schema with dot", false, "a.b", false},
		{"schema of 64", false, strings.Repeat("s", 64), true},
		{"schema of 65", false, strings.Repeat("s", 65), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.user {
				err = ValidateUserName(tt.value)
			} else {
				err = ValidateSchemaName(tt.value)
			}
			if got := err == nil; got != tt.wantOK {
				t.Errorf("valid = %v, want %v (err %v)", got, tt.wantOK, err)
			}
			if err != nil && todo.ErrorCode(err) != todo.Invalid {
				t.Errorf("code = %q, want %q", todo.ErrorCode(err), todo.Invalid)
			}
		})
	}
}

func TestValidatePassword(t *testing.T) {
	for _, tt := range []struct {
		name   string
		pw     string
		wantOK bool
	}{
		{"generated", `Ab3$x!_-{}[]'"\`, true},
		{"empty", "", false},
		{"newline", "a\nb", false},
		{"NUL", "a\x00b", false},
		{"too long", strings.Repeat("p", MaxPasswordLength+1), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := validatePassword(tt.pw) == nil; got != tt.wantOK {
				t.Errorf("valid = %v, want %v", got, tt.wantOK)
			}
		})
	}
}

func TestTimeValue(t *testing.T) {
	want := time.Date(2026, 11, 22, 1, 2, 3, 456000000, time.UTC)
	for _, tt := range []struct {
		name string
		src  any
	}{
		{"time.Time", want.In(time.FixedZone("x", 3600))},
		{"bytes", []byte("2026-11-22 01:02:03.456")},
		{"string", "2026-11-22 01:02:03.456"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var v timeValue
			if err := v.Scan(tt.src); err != nil {
				t.Fatal(err)
			}
			if !v.t.Equal(want) || v.t.Location() != time.UTC {
				t.Errorf("got %v, want %v", v.t, want)
			}
		})
	}
	var v timeValue
	if err := v.Scan(42); err == nil {
		t.Error("Scan(42) succeeded, want an error")
	}
}
