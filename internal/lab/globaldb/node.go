package globaldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/internal/lab/gtid"
)

// Containers starts, stops and locates the servers' containers: Docker's
// in the lab (internal/lab). The interface keeps the database logic
// independent of how the containers came to be (started by this process,
// or by a `lab:up` running in another terminal).
type Containers interface {
	// Addr returns the host:port where the container's MySQL port is
	// published now. It returns an error when the container is not running.
	Addr(ctx context.Context, id string) (string, error)
	// Running reports whether the container is running.
	Running(ctx context.Context, id string) (bool, error)
	// Stop stops the container; timeout 0 kills it at once.
	Stop(ctx context.Context, id string, timeout time.Duration) error
	// Start starts a stopped container.
	Start(ctx context.Context, id string) error
}

// node is one regional database server: a container on the lab network.
// It reaches the server through the container's published port, which
// Docker may change when the container restarts, so it re-resolves the
// address whenever a dial fails. Every pool to the server (root's and the
// regional API's) dials through it, and every dial checks which server
// answers: a port given up by a stopped container can be given to the
// other one, whose users and passwords are the same.
type node struct {
	region      string // "lab-a"
	alias       string // the host name on the lab network; Member.ID
	containerID string
	serverID    uint32
	rootPass    string
	ctrs        Containers
	// identify returns the server_id of the server at addr; nil means
	// node.serverIDAt (tests replace it).
	identify func(ctx context.Context, addr string) (uint32, error)

	mu      sync.Mutex
	addr    string
	flav    flavour
	version string
	admin   *sql.DB
}

func newNode(region, alias, containerID string, serverID uint32, rootPass string, ctrs Containers) *node {
	return &node{region: region, alias: alias, containerID: containerID, serverID: serverID, rootPass: rootPass, ctrs: ctrs}
}

// dial connects to the server's published port, resolving it again when
// the cached address does not answer or answers as another server (the
// container restarted on another port). A connection is only returned
// once the server behind the address has said it is this node's server.
func (n *node) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	n.mu.Lock()
	addr := n.addr
	n.mu.Unlock()
	if addr != "" {
		c, err := n.dialVerified(ctx, addr)
		if err == nil {
			return c, nil
		}
		n.mu.Lock()
		if n.addr == addr {
			n.addr = ""
		}
		n.mu.Unlock()
	}
	addr, err := n.ctrs.Addr(ctx, n.containerID)
	if err != nil {
		// A dial error, like a refused connection: the store reports
		// the database unavailable, not an internal error.
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("%s: %w", n.alias, err)}
	}
	c, err := n.dialVerified(ctx, addr)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.addr = addr
	n.mu.Unlock()
	return c, nil
}

// dialVerified connects to addr, then checks over a second connection
// that the server answering there is this node's (server_id). Both
// connections reach the same listener: a published port changes hands
// only when its container stops, which also ends the first connection.
func (n *node) dialVerified(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	identify := n.identify
	if identify == nil {
		identify = n.serverIDAt
	}
	id, err := identify(ctx, addr)
	if err == nil && id != n.serverID {
		err = fmt.Errorf("the server at %s is server_id %d, not %s's %d", addr, id, n.alias, n.serverID)
	}
	if err != nil {
		c.Close()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("%s: %w", n.alias, err)}
	}
	return c, nil
}

// serverIDAt asks the server at addr for its server_id, as root, over a
// connection of its own.
func (n *node) serverIDAt(ctx context.Context, addr string) (uint32, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = "root", n.rootPass, "tcp", addr
	cfg.Logger = &mysql.NopLogger{}
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 2*time.Second, 5*time.Second, 5*time.Second
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return 0, err
	}
	db := sql.OpenDB(c)
	defer db.Close()
	var id uint32
	if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.server_id").Scan(&id); err != nil {
		return 0, fmt.Errorf("identify the server at %s: %w", addr, err)
	}
	return id, nil
}

// Config returns a driver configuration for user on schema db that dials
// this node.
func (n *node) Config(user, password, db string) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = user
	cfg.Passwd = password
	cfg.Net = "tcp"
	cfg.Addr = n.alias + ":3306" // informative only: DialFunc decides
	cfg.DialFunc = n.dial
	cfg.DBName = db
	cfg.Logger = &mysql.NopLogger{}
	cfg.Timeout = 2 * time.Second
	// Longer than any single GTID wait the lab asks a server for
	// (SwitchoverWait, RelayApplyWait, catchUpSlice), which holds the
	// connection's read for its whole length.
	cfg.ReadTimeout = 30 * time.Second
	cfg.WriteTimeout = 10 * time.Second
	return cfg
}

// Admin returns root's pool to the server (no default schema).
func (n *node) Admin() *sql.DB {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.admin == nil {
		// Without parseTime: Rebuild copies rows as text.
		c, _ := mysql.NewConnector(n.Config("root", n.rootPass, ""))
		db := sql.OpenDB(c)
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(2)
		db.SetConnMaxLifetime(30 * time.Second)
		db.SetConnMaxIdleTime(5 * time.Second)
		n.admin = db
	}
	return n.admin
}

// Close closes root's pool.
func (n *node) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.admin == nil {
		return nil
	}
	err := n.admin.Close()
	n.admin = nil
	return err
}

// Flavour returns the server's flavour, asking the server the first time.
func (n *node) Flavour(ctx context.Context) (flavour, string, error) {
	n.mu.Lock()
	f, v := n.flav, n.version
	n.mu.Unlock()
	if f != "" {
		return f, v, nil
	}
	if err := n.Admin().QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
		return "", "", fmt.Errorf("%s: version: %w", n.alias, err)
	}
	f = flavourMySQL
	if strings.Contains(strings.ToLower(v), "mariadb") {
		f = flavourMariaDB
	}
	n.mu.Lock()
	n.flav, n.version = f, v
	n.mu.Unlock()
	return f, v, nil
}

// WaitReady waits until root can run a query, or ctx ends.
func (n *node) WaitReady(ctx context.Context) error {
	var last error
	for {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, _, err := n.Flavour(pctx)
		if err == nil {
			err = n.Admin().PingContext(pctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last error: %v)", n.alias, ctx.Err(), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// replicaStatus is the part of SHOW SLAVE/REPLICA STATUS the lab reads.
type replicaStatus struct {
	SourceHost    string
	IORunning     string // "Yes", "No", "Connecting"
	SQLRunning    string // "Yes", "No"
	SecondsBehind sql.NullInt64
	LastIOError   string
	LastSQLError  string
	// IOPos is what the IO thread has received: Gtid_IO_Pos (MariaDB) or
	// Retrieved_Gtid_Set (MySQL).
	IOPos string
}

// Running reports whether both replication threads run.
func (r *replicaStatus) Running() bool {
	return r != nil && r.IORunning == "Yes" && r.SQLRunning == "Yes"
}

// serverState is what one server says about itself.
type serverState struct {
	Version  string
	Flavour  flavour
	ReadOnly bool
	// Position is everything the server has executed, as a GTID position
	// (MariaDB, highest GTID per domain) or GTID set (MySQL).
	Position string
	// MariaDB only: PositionGTIDs is Position parsed; BinlogState is
	// @@gtid_binlog_state merged with the position (the last GTID per
	// domain and originating server); SlavePos is @@gtid_slave_pos.
	PositionGTIDs []gtid.Maria
	BinlogState   []gtid.Maria
	SlavePos      []gtid.Maria
	ServerID      uint32
	// Replica is nil when the server is not configured as a replica.
	Replica *replicaStatus
}

// State reads the server's role, GTID position and replica status.
func (n *node) State(ctx context.Context) (serverState, error) {
	f, v, err := n.Flavour(ctx)
	if err != nil {
		return serverState{}, err
	}
	st := serverState{Version: v, Flavour: f}
	db := n.Admin()
	switch f {
	case flavourMariaDB:
		var binlogPos, slavePos, binlogState string
		err = db.QueryRowContext(ctx,
			"SELECT @@GLOBAL.read_only, @@GLOBAL.server_id, @@GLOBAL.gtid_binlog_pos, @@GLOBAL.gtid_slave_pos, @@GLOBAL.gtid_binlog_state").
			Scan(&st.ReadOnly, &st.ServerID, &binlogPos, &slavePos, &binlogState)
		if err != nil {
			return st, fmt.Errorf("%s: read state: %w", n.alias, err)
		}
		bp, err1 := gtid.ParseMaria(binlogPos)
		sp, err2 := gtid.ParseMaria(slavePos)
		bs, err3 := gtid.ParseMaria(binlogState)
		if err := errors.Join(err1, err2, err3); err != nil {
			return st, fmt.Errorf("%s: %w", n.alias, err)
		}
		pos := gtid.MariaPosition(bp, sp)
		st.Position = gtid.FormatMaria(pos)
		st.PositionGTIDs = pos
		st.BinlogState = append(bs, pos...)
		st.SlavePos = sp
	default:
		var superRO bool
		err = db.QueryRowContext(ctx,
			"SELECT @@GLOBAL.read_only, @@GLOBAL.super_read_only, @@GLOBAL.server_id, @@GLOBAL.gtid_executed").
			Scan(&st.ReadOnly, &superRO, &st.ServerID, &st.Position)
		if err != nil {
			return st, fmt.Errorf("%s: read state: %w", n.alias, err)
		}
		st.ReadOnly = st.ReadOnly || superRO
		st.Position = strings.Join(strings.Fields(st.Position), "")
	}
	st.Replica, err = n.replicaStatus(ctx, f)
	if err != nil {
		return st, err
	}
	return st, nil
}

func (n *node) replicaStatus(ctx context.Context, f flavour) (*replicaStatus, error) {
	q := dialect{flavour: f}.replicaStatus()
	rows, err := n.Admin().QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", n.alias, q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		return nil, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", n.alias, q, err)
	}
	col := map[string]sql.NullString{}
	for i, c := range cols {
		col[c] = vals[i]
	}
	// The two flavours name the same columns differently.
	pick := func(names ...string) sql.NullString {
		for _, name := range names {
			if v, ok := col[name]; ok {
				return v
			}
		}
		return sql.NullString{}
	}
	r := &replicaStatus{
		SourceHost:   pick("Master_Host", "Source_Host").String,
		IORunning:    pick("Slave_IO_Running", "Replica_IO_Running").String,
		SQLRunning:   pick("Slave_SQL_Running", "Replica_SQL_Running").String,
		LastIOError:  pick("Last_IO_Error").String,
		LastSQLError: pick("Last_SQL_Error").String,
		IOPos:        strings.Join(strings.Fields(pick("Gtid_IO_Pos", "Retrieved_Gtid_Set").String), ""),
	}
	if sb := pick("Seconds_Behind_Master", "Seconds_Behind_Source"); sb.Valid {
		var secs int64
		if _, err := fmt.Sscan(sb.String, &secs); err == nil {
			r.SecondsBehind = sql.NullInt64{Int64: secs, Valid: true}
		}
	}
	return r, rows.Err()
}

// exec runs statements in order on one connection of root's pool.
func (n *node) exec(ctx context.Context, stmts ...string) error {
	conn, err := n.Admin().Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", n.alias, err)
	}
	defer conn.Close()
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %s: %w", n.alias, redact(s), err)
		}
	}
	return nil
}

// dialect returns the server's dialect, asking the server for its flavour
// the first time.
func (n *node) dialect(ctx context.Context) (dialect, error) {
	f, v, err := n.Flavour(ctx)
	if err != nil {
		return dialect{}, err
	}
	return dialect{flavour: f, version: v}, nil
}

// run builds statements for the server's dialect and runs them in order.
func (n *node) run(ctx context.Context, build func(dialect) ([]string, error)) error {
	d, err := n.dialect(ctx)
	if err != nil {
		return err
	}
	stmts, err := build(d)
	if err != nil {
		return fmt.Errorf("%s: %w", n.alias, err)
	}
	return n.exec(ctx, stmts...)
}

func fixed(f func(dialect) []string) func(dialect) ([]string, error) {
	return func(d dialect) ([]string, error) { return f(d), nil }
}

// createReplicationUser creates the replication user on this server only.
func (n *node) createReplicationUser(ctx context.Context, user, password string) error {
	return n.run(ctx, func(d dialect) ([]string, error) { return d.createReplicationUser(user, password) })
}

// resetGTIDs forgets the server's binlog and GTID history. Only for a
// fresh server, or one about to be re-seeded.
func (n *node) resetGTIDs(ctx context.Context) error { return n.run(ctx, fixed(dialect.resetGTIDs)) }

// fence makes the server read-only for the application; statements that
// are running finish first.
func (n *node) fence(ctx context.Context) error { return n.run(ctx, fixed(dialect.fence)) }

// unfence makes the server writable.
func (n *node) unfence(ctx context.Context) error { return n.run(ctx, fixed(dialect.unfence)) }

// stopReplication stops both replication threads (a no-op when none run).
func (n *node) stopReplication(ctx context.Context) error {
	return n.run(ctx, fixed(dialect.stopReplication))
}

// stopReceiving stops the IO thread only: nothing more arrives from the
// source, and the SQL thread goes on applying what has arrived.
func (n *node) stopReceiving(ctx context.Context) error {
	return n.run(ctx, fixed(dialect.stopReceiving))
}

// startReceiving starts the IO thread again after stopReceiving: the
// server catches up with what the writer took since.
func (n *node) startReceiving(ctx context.Context) error {
	return n.run(ctx, fixed(dialect.startReceiving))
}

// startApplying starts the SQL thread (a no-op when it runs).
func (n *node) startApplying(ctx context.Context) error {
	return n.run(ctx, fixed(dialect.startApplying))
}

// forgetSource stops replication and removes the source configuration, so
// the server is a standalone server again.
func (n *node) forgetSource(ctx context.Context) error {
	return n.run(ctx, fixed(dialect.forgetSource))
}

// replicateFrom makes the server a replica of source, starting where the
// server's own GTID history ends, and starts the threads. The server must
// not have transactions source lacks (see Database.Rebuild).
func (n *node) replicateFrom(ctx context.Context, source *node, user, password string) error {
	d, err := n.dialect(ctx)
	if err != nil {
		return err
	}
	executed := ""
	if d.mariaDB() {
		st, err := n.State(ctx)
		if err != nil {
			return err
		}
		executed = st.Position
	}
	stmts, err := d.replicateFrom(source.alias, user, password, executed)
	if err != nil {
		return fmt.Errorf("%s: %w", n.alias, err)
	}
	return n.exec(ctx, stmts...)
}

// minGTIDWait is the shortest timeout waitPosition gives the server: a
// GTID wait must never get 0 or less, which means "no timeout" to
// WAIT_FOR_EXECUTED_GTID_SET (0) and MASTER_GTID_WAIT (negative), and
// is an error for WAIT_FOR_EXECUTED_GTID_SET (negative). A caller's
// remaining time (waitCaughtUp's) can be either.
const minGTIDWait = time.Millisecond

// waitPosition waits up to timeout until the server has applied pos (a
// position or GTID set read from another server). It returns whether it
// got there and how long that took, measured around the server's own wait
// function (MASTER_GTID_WAIT or WAIT_FOR_EXECUTED_GTID_SET).
func (n *node) waitPosition(ctx context.Context, pos string, timeout time.Duration) (bool, time.Duration, error) {
	d, err := n.dialect(ctx)
	if err != nil {
		return false, 0, err
	}
	timeout = max(timeout, minGTIDWait)
	secs := timeout.Seconds()
	wctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	start := time.Now()
	var res sql.NullInt64
	err = n.Admin().QueryRowContext(wctx, d.waitQuery(), pos, secs).Scan(&res)
	took := time.Since(start)
	if err != nil {
		return false, took, fmt.Errorf("%s: wait for GTID %s: %w", n.alias, pos, err)
	}
	return res.Valid && res.Int64 == 0, took, nil
}

// missing counts the transactions in st (one server's state) that other
// (another server's state) lacks: for an old writer, the transactions
// the new writer never received.
func (n *node) missing(ctx context.Context, st, other serverState) (int64, string, error) {
	if st.Flavour == flavourMariaDB {
		cnt := gtid.MariaMissing(st.PositionGTIDs, other.BinlogState, other.SlavePos)
		return cnt, st.Position, nil
	}
	var diff string
	if err := n.Admin().QueryRowContext(ctx, "SELECT GTID_SUBTRACT(?, ?)", st.Position, other.Position).Scan(&diff); err != nil {
		return 0, "", fmt.Errorf("%s: GTID_SUBTRACT: %w", n.alias, err)
	}
	cnt, err := gtid.CountMySQL(diff)
	return cnt, strings.Join(strings.Fields(diff), ""), err
}
