package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"

	"github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// MySQL and MariaDB error numbers the store translates.
const (
	errDupFieldName      = 1060 // ER_DUP_FIELDNAME
	errDupKeyName        = 1061 // ER_DUP_KEYNAME
	errDupEntry          = 1062 // ER_DUP_ENTRY
	errTableAccessDenied = 1142 // ER_TABLEACCESS_DENIED_ERROR: the user lacks write rights
	errOptionPrevents    = 1290 // ER_OPTION_PREVENTS_STATEMENT: --read-only
	errReadOnlyTx        = 1792 // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
	errReadOnlyMode      = 1836 // ER_READ_ONLY_MODE
	errLockWaitTimeout   = 1205 // ER_LOCK_WAIT_TIMEOUT
	errLockDeadlock      = 1213 // ER_LOCK_DEADLOCK
	errTooManyConns      = 1040 // ER_CON_COUNT_ERROR
	errServerShutdown    = 1053 // ER_SERVER_SHUTDOWN
	errQueryInterrupted  = 1317 // ER_QUERY_INTERRUPTED
	errConnKilled        = 1927 // MariaDB ER_CONNECTION_KILLED
	errQueryTimeout      = 3024 // MySQL ER_QUERY_TIMEOUT (max_execution_time)
)

// Client-safe messages.
const (
	msgUnavailable = "the database is unavailable; retry later"
	msgPassive     = "this region is passive and does not accept writes; retry against the active region"
	msgInternal    = "internal error"
)

// translate maps an error from database/sql or the driver onto a
// *todo.Error, by type. write says whether the statement was a write:
// only then is a permission error a sign of a passive region. An error that
// already is a *todo.Error is returned unchanged.
func translate(err error, write bool) error {
	if err == nil {
		return nil
	}
	var te *todo.Error
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return todo.Wrap(err, todo.NotFound, "not found")
	}
	if connectFailed(err) {
		// Whatever the cause (a refused login included), this endpoint
		// could not be used: checked before the server-error numbers.
		return todo.Wrap(err, todo.Unavailable, msgUnavailable)
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case errDupEntry:
			return todo.Wrap(err, todo.Conflict, "the request conflicts with existing data")
		case errOptionPrevents, errReadOnlyTx, errReadOnlyMode:
			return todo.Wrap(err, todo.RegionPassive, msgPassive)
		case errTableAccessDenied:
			if write {
				return todo.Wrap(err, todo.RegionPassive, msgPassive)
			}
		case errLockDeadlock, errLockWaitTimeout, errTooManyConns, errServerShutdown,
			errQueryInterrupted, errConnKilled, errQueryTimeout:
			return todo.Wrap(err, todo.Unavailable, msgUnavailable)
		}
		return todo.Wrap(err, todo.Internal, msgInternal)
	}
	if isConnError(err) {
		return todo.Wrap(err, todo.Unavailable, msgUnavailable)
	}
	return todo.Wrap(err, todo.Internal, msgInternal)
}

// connectFailed reports whether err happened while opening a connection,
// as pkg/dbconn marks such errors (a ConnectFailed method, recognised
// without importing it). RDS Proxy's read/write endpoint in front of a
// secondary cluster refuses the login with a server error: a statement
// never ran, and the endpoint is unusable rather than the request bad.
func connectFailed(err error) bool {
	var cf interface{ ConnectFailed() bool }
	return errors.As(err, &cf) && cf.ConnectFailed()
}

// isConnError reports whether err says the connection failed or the caller
// ran out of time, rather than that the server refused the statement.
// With rejectReadOnly=true the driver reports a read-only server as
// driver.ErrBadConn too, which is why writes that fail with it
// double-check the role.
func isConnError(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

func isMySQLError(err error, numbers ...uint16) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	for _, n := range numbers {
		if me.Number == n {
			return true
		}
	}
	return false
}

func notFound(id int64) error {
	return todo.Errorf(todo.NotFound, "todo %d not found", id)
}
