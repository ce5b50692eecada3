// Package roundtrip counts database round trips where they happen: on the
// client's network connection, under the MySQL driver.
//
// A round trip is one request/response exchange with the server: the
// client writes (one or more packets: a command, or a prepared statement's
// close followed by the next command) and then reads the server's answer.
// A Conn counts one round trip each time it reads after having written.
// Writes that get no answer (COM_QUIT when a connection closes, or
// COM_STMT_CLOSE on its own) and what the server sends unasked (its
// greeting when a connection opens) count nothing. Counting happens below
// TLS when the driver uses it: a TLS record boundary does not change the
// count of exchanges on a warm connection.
//
// The integration tests use it to pin each store operation's count (counts
// are deterministic, latencies are not), and `mage bench` to print them:
//
//	var c roundtrip.Counter
//	dsn, deregister, err := c.DSN(appDSN) // same address, a counting network
//	defer deregister()
//	... open the pool with dsn, warm it, then:
//	before := c.Count(); store.Get(ctx, 1); n := c.Count() - before
package roundtrip

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"syscall"

	"github.com/go-sql-driver/mysql"
)

// Counter counts the round trips of the connections it wraps. The zero
// value is ready to use; it is safe for concurrent use.
type Counter struct {
	n atomic.Int64
}

// Count returns the round trips counted so far.
func (c *Counter) Count() int64 { return c.n.Load() }

// Wrap returns nc counting its round trips on c. The result keeps nc's
// syscall.Conn, if it has one: the MySQL driver checks an idle
// connection's liveness through it (a non-blocking read on the socket,
// which is not a round trip and is not counted).
func (c *Counter) Wrap(nc net.Conn) net.Conn {
	cc := &Conn{Conn: nc, counter: c}
	if sc, ok := nc.(syscall.Conn); ok {
		return &sysConn{Conn: cc, sc: sc}
	}
	return cc
}

// Dial opens a TCP connection to addr that counts on c.
func (c *Counter) Dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetKeepAlive(true) // as the driver does for its own TCP connections
	}
	return c.Wrap(nc), nil
}

var networks atomic.Int64

// DSN returns dsn (a go-sql-driver/mysql DSN over TCP) with its network
// replaced by one registered with the driver (mysql.RegisterDialContext)
// whose connections dial the same address over TCP and count on c, and a
// function that deregisters that network again. Everything else in the
// DSN is kept.
func (c *Counter) DSN(dsn string) (string, func(), error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", nil, fmt.Errorf("roundtrip: %w", err)
	}
	if cfg.Net != "tcp" {
		return "", nil, fmt.Errorf("roundtrip: the DSN's network is %q, want tcp", cfg.Net)
	}
	network := fmt.Sprintf("todomgmt-roundtrip-%d", networks.Add(1))
	mysql.RegisterDialContext(network, c.Dial)
	cfg.Net = network
	return cfg.FormatDSN(), func() { mysql.DeregisterDialContext(network) }, nil
}

// Conn is a net.Conn that counts its round trips on a Counter.
type Conn struct {
	net.Conn
	counter *Counter
	// wrote is set by a write and cleared by the read that answers it.
	wrote atomic.Bool
}

func (c *Conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.wrote.Store(true)
	}
	return n, err
}

func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.wrote.Swap(false) {
		c.counter.n.Add(1)
	}
	return n, err
}

// sysConn is a Conn over a connection that has a syscall.Conn.
type sysConn struct {
	*Conn
	sc syscall.Conn
}

func (c *sysConn) SyscallConn() (syscall.RawConn, error) { return c.sc.SyscallConn() }
