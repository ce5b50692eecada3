package lab

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/todomgmt/todomgmt/internal/lab/globaldb"
)

// readerPoll is how often a reader endpoint asks its server whether it is
// still a reader.
const readerPoll = 50 * time.Millisecond

// readerEndpoint stands in for a region's RDS Proxy read-only endpoint,
// which sends connections to the cluster's reader instances only: "if …
// an Aurora cluster containing only a single writer … any requests to the
// reader endpoint fail with an error" (Amazon RDS Proxy endpoints, "Using
// reader endpoints with Aurora clusters"). A lab region has one server, so
// its endpoint has a target while that server is read-only (a replica, a
// fenced former writer) and none once it is the writer: new connections
// are refused, and the ones it had are dropped when it notices (it asks
// the server every readerPoll; the proxy also needs a moment to see a
// promotion). That is the state in which the reads failed: the
// region that has just become the writer, whose store still takes the
// region for passive and reads through this endpoint first.
type readerEndpoint struct {
	region string
	// dial reaches the region's server (globaldb.Database.Endpoint).
	dial globaldb.Dialer
	// root is the endpoint's own small pool to the server, so that its
	// checks never wait behind the lab's long GTID waits on root's pool.
	root     *sql.DB
	readOnly func(context.Context) (bool, error)

	mu    sync.Mutex
	conns map[*endpointConn]struct{}

	stop chan struct{}
	done chan struct{}
}

// newReaderEndpoint starts region's reader endpoint over dial, asking the
// server through root (a connector as root) whether it is a reader; Close
// stops it.
func newReaderEndpoint(region string, dial globaldb.Dialer, root driver.Connector) *readerEndpoint {
	db := sql.OpenDB(root)
	db.SetMaxOpenConns(2)
	db.SetConnMaxLifetime(30 * time.Second)
	e := startReaderEndpoint(region, dial, func(ctx context.Context) (bool, error) {
		// As a proxy tells readers from the writer.
		var ro int
		err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.read_only").Scan(&ro)
		return ro != 0, err
	})
	e.root = db
	return e
}

// startReaderEndpoint starts region's endpoint over dial that asks
// readOnly whether the server is a reader.
func startReaderEndpoint(region string, dial globaldb.Dialer, readOnly func(context.Context) (bool, error)) *readerEndpoint {
	e := &readerEndpoint{
		region:   region,
		dial:     dial,
		readOnly: readOnly,
		conns:    map[*endpointConn]struct{}{},
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go e.watch()
	return e
}

// Dial connects to the region's server only while it is read-only: a
// dial function for the driver (mysql.RegisterDialContext).
func (e *readerEndpoint) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	ro, err := e.readOnly(ctx)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("%s's read-only endpoint: %w", e.region, err)}
	}
	if !ro {
		return nil, errNoReader(e.region)
	}
	c, err := e.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	ec := &endpointConn{Conn: c, e: e}
	e.mu.Lock()
	e.conns[ec] = struct{}{}
	e.mu.Unlock()
	return ec, nil
}

func errNoReader(region string) error {
	return &net.OpError{Op: "dial", Net: "tcp",
		Err: fmt.Errorf("%s's read-only endpoint has no reader instance: its server is the writer", region)}
}

// watch drops the endpoint's connections once its server is the writer.
// A server it cannot ask (stopped, restarting) changes nothing: its
// connections fail by themselves.
func (e *readerEndpoint) watch() {
	defer close(e.done)
	t := time.NewTicker(readerPoll)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		ro, err := e.readOnly(ctx)
		cancel()
		if err == nil && !ro {
			e.drop()
		}
	}
}

// drop closes every connection the endpoint holds.
func (e *readerEndpoint) drop() {
	e.mu.Lock()
	conns := make([]*endpointConn, 0, len(e.conns))
	for c := range e.conns {
		conns = append(conns, c)
	}
	e.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Close stops watching and drops the endpoint's connections.
func (e *readerEndpoint) Close() {
	close(e.stop)
	<-e.done
	e.drop()
	if e.root != nil {
		// Its connections may be to a server that is gone, whose goodbye
		// (COM_QUIT) fails: nothing is left open either way.
		_ = e.root.Close()
	}
}

// endpointConn is a connection through a reader endpoint.
type endpointConn struct {
	net.Conn
	e    *readerEndpoint
	once sync.Once
}

func (c *endpointConn) Close() error {
	var err error
	c.once.Do(func() {
		c.e.mu.Lock()
		delete(c.e.conns, c)
		c.e.mu.Unlock()
		err = c.Conn.Close()
	})
	return err
}
