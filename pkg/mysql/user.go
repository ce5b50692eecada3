package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// AppPrivileges are the only privileges EnsureAppUser grants, on the
// application schema only: the API reads and writes rows, nothing else.
const AppPrivileges = "SELECT, INSERT, UPDATE, DELETE"

// User and schema names cannot be placeholders in CREATE USER or GRANT, so
// they are checked against this, and their length, before they are
// spliced into SQL. (A bounded repetition such as {0,63} would compile to
// a program 64 times the size, at every process start, the API's cold
// start included; the length is checked apart instead.)
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// MaxPasswordLength is the longest password EnsureAppUser accepts.
const MaxPasswordLength = 256

// ValidateUserName reports whether name may be used as a MySQL user name
// here: 1–32 ASCII letters, digits and underscores, not starting with a digit.
func ValidateUserName(name string) error {
	if len(name) > 32 || !identifier.MatchString(name) {
		return todo.Errorf(todo.Invalid, "user name %q must be 1-32 letters, digits or underscores, not starting with a digit", name)
	}
	return nil
}

// ValidateSchemaName reports whether name may be used as a schema name
// here: 1–64 ASCII letters, digits and underscores, not starting with a digit.
func ValidateSchemaName(name string) error {
	if len(name) > 64 || !identifier.MatchString(name) {
		return todo.Errorf(todo.Invalid, "schema name %q must be 1-64 letters, digits or underscores, not starting with a digit", name)
	}
	return nil
}

func validatePassword(pw string) error {
	if pw == "" || len(pw) > MaxPasswordLength {
		return todo.Errorf(todo.Invalid, "password must be 1 to %d bytes", MaxPasswordLength)
	}
	for _, r := range pw {
		if r < 0x20 || r == 0x7f {
			return todo.Errorf(todo.Invalid, "password must not contain control characters")
		}
	}
	return nil
}

// EnsureAppUser creates the application user user@'%' if it does not
// exist, sets its password (so a rotated secret takes effect), and grants
// it SELECT, INSERT, UPDATE, DELETE on schema.* only. It is safe to re-run.
// It does not revoke privileges granted by other means.
//
// Statements with the password are never echoed in errors: a failure names
// the step and the server's error number only. On a read-only server it
// changes nothing and returns an error wrapping ErrReadOnly.
func EnsureAppUser(ctx context.Context, db *sql.DB, user, password, schema string) (err error) {
	if err := ValidateUserName(user); err != nil {
		return err
	}
	if err := ValidateSchemaName(schema); err != nil {
		return err
	}
	if err := validatePassword(password); err != nil {
		return err
	}
	defer wrapErr(&err, "ensure app user "+user)

	// One connection: the quoting below depends on its sql_mode.
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	ro, err := readOnly(ctx, conn)
	if err != nil {
		return err
	}
	if ro {
		return readOnlyError()
	}
	var sqlMode string
	if err := conn.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&sqlMode); err != nil {
		return err
	}
	pw := quoteString(password, !strings.Contains(strings.ToUpper(sqlMode), "NO_BACKSLASH_ESCAPES"))
	account := "'" + user + "'@'%'"

	for _, step := range []struct {
		name, stmt string
	}{
		{"create user", "CREATE USER IF NOT EXISTS " + account + " IDENTIFIED BY " + pw},
		{"set password", "ALTER USER " + account + " IDENTIFIED BY " + pw},
		{"grant", "GRANT " + AppPrivileges + " ON `" + schema + "`.* TO " + account},
	} {
		if _, err := conn.ExecContext(ctx, step.stmt); err != nil {
			return redact(step.name, err)
		}
	}
	return nil
}

// quoteString returns s as a single-quoted SQL string literal. Quotes are
// doubled, which every sql_mode reads back as one quote; backslashes are
// doubled only when the server treats them as escapes.
func quoteString(s string, backslashEscapes bool) string {
	s = strings.ReplaceAll(s, "'", "''")
	if backslashEscapes {
		s = strings.ReplaceAll(s, `\`, `\\`)
	}
	return "'" + s + "'"
}

// redact replaces a driver error whose text could quote a statement (and
// so a password) with one that names the step and the error number only.
// The server's error stays reachable by number for classification.
func redact(step string, err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return &redactedError{step: step, number: me.Number, state: string(me.SQLState[:])}
	}
	if isConnError(err) {
		return fmt.Errorf("%s: %w", step, err)
	}
	return fmt.Errorf("%s: statement failed (%T)", step, err)
}

type redactedError struct {
	step   string
	number uint16
	state  string
}

func (e *redactedError) Error() string {
	return fmt.Sprintf("%s: server error %d (SQLSTATE %s)", e.step, e.number, e.state)
}

// As lets errors.As find a *mysql.MySQLError with the number (and no text).
func (e *redactedError) As(target any) bool {
	if p, ok := target.(**mysql.MySQLError); ok {
		*p = &mysql.MySQLError{Number: e.number, SQLState: [5]byte([]byte(e.state + "     ")[:5])}
		return true
	}
	return false
}

// Prepare migrates the schema, seeding the id fence with region (the
// region of the writer db reaches), and ensures the application user, as
// root (the master user) on db: the state handlers/migrate leaves a
// deployment in. The local server (mage local), the lab, the benchmarks and
// the integration tests start from it; their stores need WithRegion(region).
func Prepare(ctx context.Context, db *sql.DB, region, user, password, schema string) error {
	if err := Migrate(ctx, db, region); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := EnsureAppUser(ctx, db, user, password, schema); err != nil {
		return fmt.Errorf("app user %s: %w", user, err)
	}
	return nil
}
