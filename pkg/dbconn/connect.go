package dbconn

import (
	"context"
	"database/sql/driver"
)

// ConnectError is an error from opening a connection (dial, TLS handshake,
// login) as opposed to one from a statement on an open connection.
//
// The difference matters in a passive region: RDS Proxy's read/write
// endpoint in front of a secondary cluster, which has no writer, refuses
// the login with a server error ("The target group doesn't have any
// associated read/write instances"). Without this mark the store would
// take that server error for a failed statement (an internal error) rather
// than for an endpoint it cannot use, and would neither fall back to the
// reader nor answer region_passive.
type ConnectError struct {
	Err error
}

func (e *ConnectError) Error() string { return "connect: " + e.Err.Error() }

func (e *ConnectError) Unwrap() error { return e.Err }

// ConnectFailed marks the error for pkg/mysql, which recognises it by this
// method without importing this package.
func (e *ConnectError) ConnectFailed() bool { return true }

// markingConnector wraps the driver's connector so that every error from
// Connect is a *ConnectError. The cause stays reachable (errors.Is and
// errors.As still see driver.ErrBadConn or a *mysql.MySQLError), and an
// error caused by the caller's context is left as it is.
type markingConnector struct {
	driver.Connector
}

func (c markingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil && ctx.Err() == nil {
		return nil, &ConnectError{Err: err}
	}
	return conn, err
}
