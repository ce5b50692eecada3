// Package globaldb is the lab's stand-in for Aurora Global Database: two
// MySQL-compatible servers in containers on one private Docker network,
// one writer and one read-only replica with GTID replication (MySQL 8.x
// and MariaDB 10.11 both work: the flavour is detected and the matching
// statements used). Database implements failover.Database (and the
// optional IDFencer and RecoverySnapshotter), so the real orchestrator
// moves the writer; Outage rehearses the loss of the writer's region
// (kill, failover, rebuild) and measures what it lost, from the servers'
// GTIDs; ReaderEndpoint stands in for RDS Proxy's read-only endpoint.
//
// It knows nothing of the lab's APIs, front door or drill, which build
// on it (internal/lab, pkg/drill): it is the lowest wing of the lab.
package globaldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/pkg/drill"
	"github.com/todomgmt/todomgmt/pkg/failover"
	todomysql "github.com/todomgmt/todomgmt/pkg/mysql"
)

// Defaults of Database's waits.
const (
	// DefaultCatchUpWait bounds how long Topology lets a replica reach the
	// writer's position before it calls the replica lagging.
	DefaultCatchUpWait = time.Second
	// DefaultSwitchoverWait bounds how long Switchover waits for the target
	// to apply everything the fenced writer has.
	DefaultSwitchoverWait = 20 * time.Second
	// DefaultRelayApplyWait bounds how long Failover lets the target apply
	// what it had already received before promoting it.
	DefaultRelayApplyWait = 10 * time.Second
	// DefaultRebuildWait bounds the wait for a rebuilt replica to catch up.
	DefaultRebuildWait = time.Minute
)

// Server is one region's database server as the lab started it.
type Server struct {
	// Region is the lab region ("lab-a"); Alias the server's host name on
	// the lab network, which is also its failover.Member ID.
	Region, Alias string
	ContainerID   string
	// ServerID is the server's server_id: every connection checks it.
	ServerID uint32
}

// Config describes a lab's global database.
type Config struct {
	// ID names the global database in its topology ("lab-<run id>").
	ID string
	// Schema is the application's schema.
	Schema string
	// RootPassword is root's on every server; ReplUser and ReplPassword
	// are the replication user's.
	RootPassword, ReplUser, ReplPassword string
	// Servers are the regions' servers; the first one is the writer when
	// Init sets up replication.
	Servers []Server
}

// Database is the lab's global database: two MySQL-compatible servers in
// containers, one writer and one read-only replica with GTID replication.
// It implements failover.Database. Everything Topology reports comes from
// the servers themselves (read_only, GTID positions, replica status), not
// from bookkeeping in Go, so a second process (lab:status while lab:up
// runs) sees the same thing.
type Database struct {
	id       string
	schema   string
	nodes    []*node
	replUser string
	replPass string

	// CatchUpWait, SwitchoverWait, RelayApplyWait and RebuildWait bound
	// the waits described by their defaults. The first three are single
	// waits on the server and must stay under the root pool's 30 s read
	// timeout.
	CatchUpWait    time.Duration
	SwitchoverWait time.Duration
	RelayApplyWait time.Duration
	RebuildWait    time.Duration
	// SnapshotDir is where Rebuild keeps the data of a diverged server
	// before it re-seeds it. Empty means os.TempDir()/todomgmt-lab.
	SnapshotDir string
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
}

var _ failover.Database = (*Database)(nil)

// Open returns the database of cfg's servers, whose containers ctrs
// controls and publishes. It connects lazily: nothing is dialled until a
// method needs a server. Close releases its pools (ctrs stays the
// caller's).
func Open(cfg Config, ctrs Containers) *Database {
	var nodes []*node
	for _, s := range cfg.Servers {
		nodes = append(nodes, newNode(s.Region, s.Alias, s.ContainerID, s.ServerID, cfg.RootPassword, ctrs))
	}
	return newDatabase(cfg.ID, cfg.Schema, cfg.ReplUser, cfg.ReplPassword, nodes...)
}

func newDatabase(id, schema, replUser, replPass string, nodes ...*node) *Database {
	return &Database{
		id: id, schema: schema, nodes: nodes, replUser: replUser, replPass: replPass,
		CatchUpWait: DefaultCatchUpWait, SwitchoverWait: DefaultSwitchoverWait,
		RelayApplyWait: DefaultRelayApplyWait, RebuildWait: DefaultRebuildWait,
	}
}

func (d *Database) logf(format string, args ...any) {
	if d.Logf != nil {
		d.Logf(format, args...)
	}
}

// Close closes the root pools.
func (d *Database) Close() error {
	var errs []error
	for _, n := range d.nodes {
		errs = append(errs, n.Close())
	}
	return errors.Join(errs...)
}

// Init gives fresh servers a replication user and an empty GTID history,
// makes the first writable and the others its read-only replicas, and
// returns the servers' flavour and version ("mariadb 10.11.18-MariaDB").
// The servers must answer SQL already (mysqlcontainer.Start waits until
// root does).
func (d *Database) Init(ctx context.Context) (string, error) {
	w := d.nodes[0]
	var flav []flavour
	for _, n := range d.nodes {
		f, _, err := n.Flavour(ctx)
		if err != nil {
			return "", err
		}
		flav = append(flav, f)
		if err := n.createReplicationUser(ctx, d.replUser, d.replPass); err != nil {
			return "", err
		}
		if err := n.resetGTIDs(ctx); err != nil {
			return "", err
		}
	}
	for _, f := range flav[1:] {
		if f != flav[0] {
			return "", fmt.Errorf("the servers differ: %s and %s", flav[0], f)
		}
	}
	if err := w.unfence(ctx); err != nil {
		return "", err
	}
	for _, r := range d.nodes[1:] {
		if err := r.fence(ctx); err != nil {
			return "", err
		}
		if err := r.replicateFrom(ctx, w, d.replUser, d.replPass); err != nil {
			return "", err
		}
	}
	f, v, _ := w.Flavour(ctx)
	return string(f) + " " + v, nil
}

// Connector returns a connector to region's server as root, on the
// application's schema, with parseTime: what the migrations run on.
func (d *Database) Connector(region string) (driver.Connector, error) {
	n, err := d.nodeByRegion(region)
	if err != nil {
		return nil, err
	}
	cfg := n.Config("root", n.rootPass, d.schema)
	cfg.ParseTime = true
	return mysql.NewConnector(cfg)
}

// Admin returns root's pool to region's server (no default schema,
// without parseTime), for reads a lab makes behind the API's back.
func (d *Database) Admin(region string) (*sql.DB, error) {
	n, err := d.nodeByRegion(region)
	if err != nil {
		return nil, err
	}
	return n.Admin(), nil
}

// Dialer is a dial function for the MySQL driver
// (mysql.RegisterDialContext).
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// Endpoint returns how region's clients reach its server, as a Lambda
// function reaches its region's RDS Proxy endpoint: addr is the server's
// name on the lab network (informative only: dial decides), and dial
// connects wherever the server's port is published now, and only to that
// server (its server_id is checked first).
func (d *Database) Endpoint(region string) (addr string, dial Dialer, err error) {
	n, err := d.nodeByRegion(region)
	if err != nil {
		return "", nil, err
	}
	return n.alias + ":3306", n.dial, nil
}

// WaitCaughtUp waits up to timeout until replica's server replicates from
// writer's with both threads running and has applied writer's position.
func (d *Database) WaitCaughtUp(ctx context.Context, replica, writer string, timeout time.Duration) error {
	r, err := d.nodeByRegion(replica)
	if err != nil {
		return err
	}
	w, err := d.nodeByRegion(writer)
	if err != nil {
		return err
	}
	return d.waitCaughtUp(ctx, r, w, timeout)
}

// StopReceiving stops region's replication IO thread: the link from the
// writer is cut, the server keeps what it has.
func (d *Database) StopReceiving(ctx context.Context, region string) error {
	n, err := d.nodeByRegion(region)
	if err != nil {
		return err
	}
	return n.stopReceiving(ctx)
}

// StartReceiving starts the region's replication IO thread again after
// StopReceiving: the server catches up with what the writer took since.
func (d *Database) StartReceiving(ctx context.Context, region string) error {
	n, err := d.nodeByRegion(region)
	if err != nil {
		return err
	}
	return n.startReceiving(ctx)
}

// node returns the member's node, by ID (the network alias) or region.
func (d *Database) node(m failover.Member) (*node, error) {
	for _, n := range d.nodes {
		if m.ID != "" && n.alias == m.ID || m.ID == "" && n.region == m.Region {
			return n, nil
		}
	}
	return nil, fmt.Errorf("no lab member %q (region %q)", m.ID, m.Region)
}

// nodeByRegion returns the region's node.
func (d *Database) nodeByRegion(region string) (*node, error) {
	return d.node(failover.Member{Region: region})
}

func (d *Database) other(n *node) *node {
	for _, o := range d.nodes {
		if o != n {
			return o
		}
	}
	return nil
}

// observation is one node's state as read now.
type observation struct {
	n       *node
	st      serverState
	err     error
	running bool
	exists  bool
}

// observe reads every node's state in parallel, each bounded by a few
// seconds, so an unreachable server does not stall the others.
func (d *Database) observe(ctx context.Context) []observation {
	obs := make([]observation, len(d.nodes))
	var wg sync.WaitGroup
	for i, n := range d.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := observation{n: n}
			running, err := n.ctrs.Running(ctx, n.containerID)
			o.exists = err == nil
			o.running = running
			if err == nil && !running {
				o.err = fmt.Errorf("%s: container is not running", n.alias)
			} else {
				sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				o.st, o.err = n.State(sctx)
				cancel()
			}
			obs[i] = o
		}()
	}
	wg.Wait()
	return obs
}

// Topology reads both servers. A reachable server is the writer when it is
// writable; when no reachable server is writable, the member that a
// reachable replica replicates from is reported as the (unreachable)
// writer, which is what Aurora shows for a lost primary region. A replica
// is "connected" when both replication threads run and it reaches the
// writer's GTID position within CatchUpWait; Lag is how long that took
// (or Seconds_Behind_Master when it did not get there).
func (d *Database) Topology(ctx context.Context) (failover.Topology, error) {
	obs := d.observe(ctx)
	top := failover.Topology{ID: d.id}
	var writers []int
	for i, o := range obs {
		if o.err == nil && !o.st.ReadOnly {
			writers = append(writers, i)
		}
	}
	if len(writers) == 0 {
		for _, o := range obs {
			if o.err != nil || o.st.Replica == nil {
				continue
			}
			for j, p := range obs {
				if p.n.alias == o.st.Replica.SourceHost && p.err != nil {
					writers = append(writers, j)
				}
			}
		}
	}
	switch {
	case len(writers) == 1 && obs[writers[0]].err == nil:
		top.Status = "available"
	case len(writers) == 1:
		top.Status = "writer-unreachable"
	case len(writers) == 0:
		top.Status = "no-writer"
	default:
		top.Status = "split-brain"
	}
	isWriter := func(i int) bool {
		for _, w := range writers {
			if w == i {
				return true
			}
		}
		return false
	}
	var writer *observation
	if len(writers) == 1 {
		writer = &obs[writers[0]]
	}
	for i, o := range obs {
		m := failover.Member{Region: o.n.region, ID: o.n.alias, Writer: isWriter(i)}
		if o.exists {
			m.Instances = 1
		}
		switch {
		case o.err == nil:
			m.Status = "available"
			m.EngineVersion = strings.TrimSuffix(o.st.Version, "-log")
		case o.exists && !o.running:
			m.Status = "stopped"
		default:
			m.Status = "unreachable"
		}
		if m.Writer {
			m.LagKnown = o.err == nil
			top.Members = append(top.Members, m)
			continue
		}
		if o.err != nil {
			top.Members = append(top.Members, m)
			continue
		}
		r := o.st.Replica
		switch {
		case r == nil:
			// A read-only server that replicates from nobody: a fenced
			// former writer waiting to be rebuilt.
			m.Sync = "pending-resync"
		case r.LastSQLError != "":
			m.Sync = "error"
		case !r.Running() && r.IORunning == "Connecting":
			m.Sync = "connecting"
		case !r.Running():
			m.Sync = "stopped"
		case writer == nil || writer.err != nil || writer.n.alias != r.SourceHost:
			m.Sync = "source-unreachable"
		default:
			ok, took, err := o.n.waitPosition(ctx, writer.st.Position, d.CatchUpWait)
			switch {
			case err != nil:
				m.Sync = "unknown"
			case ok:
				m.Sync = "connected"
				m.Lag, m.LagKnown = took, true
			default:
				m.Sync = "lagging"
				m.Lag, m.LagKnown = d.CatchUpWait, true
				if r.SecondsBehind.Valid && time.Duration(r.SecondsBehind.Int64)*time.Second > m.Lag {
					m.Lag = time.Duration(r.SecondsBehind.Int64) * time.Second
				}
			}
		}
		top.Members = append(top.Members, m)
	}
	return top, nil
}

// Switchover makes to the writer without losing data: it fences from, the
// writer (read-only), waits until to has applied everything from has
// (GTID wait, bounded by SwitchoverWait; on timeout it lifts the fence
// and fails), promotes to, and makes from a replica of it, so the
// topology is kept. It is safe to re-run: each step checks the servers
// first.
func (d *Database) Switchover(ctx context.Context, from, to failover.Member) error {
	t, err := d.node(to)
	if err != nil {
		return err
	}
	w, err := d.node(from)
	if err != nil {
		return err
	}
	if w == t {
		return fmt.Errorf("switchover to %s: it is the writer named to switch from", t.alias)
	}
	return d.switchover(ctx, w, t)
}

// switchover is Switchover from w to t.
func (d *Database) switchover(ctx context.Context, w, t *node) error {
	tst, err := t.State(ctx)
	if err != nil {
		return fmt.Errorf("switchover to %s: %w", t.alias, err)
	}
	wst, err := w.State(ctx)
	if err != nil {
		return fmt.Errorf("switchover to %s: writer: %w", t.alias, err)
	}
	if !tst.ReadOnly {
		if !wst.ReadOnly {
			return fmt.Errorf("switchover to %s: both servers are writable (split brain); fence one first", t.alias)
		}
		// Done before, or stopped half-way: only the old writer's
		// re-pointing may be left (the id fence is the orchestrator's
		// next step, FenceIDs).
		if wst.Replica.Running() && wst.Replica.SourceHost == t.alias {
			return nil
		}
		d.logf("%s is writer already; re-pointing %s at it", t.alias, w.alias)
		return d.repoint(ctx, w, t)
	}
	if tst.Replica == nil || tst.Replica.SourceHost != w.alias {
		return fmt.Errorf("switchover to %s: it does not replicate from %s", t.alias, w.alias)
	}
	if !tst.Replica.Running() {
		return fmt.Errorf("switchover to %s: replication is not running (IO %s, SQL %s) %s%s", t.alias,
			tst.Replica.IORunning, tst.Replica.SQLRunning, tst.Replica.LastIOError, tst.Replica.LastSQLError)
	}

	d.logf("fencing %s (read-only)", w.alias)
	if err := w.fence(ctx); err != nil {
		return fmt.Errorf("switchover: fence %s: %w", w.alias, err)
	}
	wst, err = w.State(ctx)
	if err != nil {
		return fmt.Errorf("switchover: read %s after fencing: %w", w.alias, err)
	}
	d.logf("waiting for %s to apply %s", t.alias, wst.Position)
	ok, took, err := t.waitPosition(ctx, wst.Position, d.SwitchoverWait)
	if err != nil || !ok {
		// Roll back so that the region keeps its writer.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		uerr := w.unfence(uctx)
		if err == nil {
			err = fmt.Errorf("%s did not reach %s within %s", t.alias, wst.Position, d.SwitchoverWait)
		}
		return errors.Join(fmt.Errorf("switchover: %w; %s is writable again", err, w.alias), uerr)
	}
	d.logf("%s caught up in %s; promoting it", t.alias, took.Round(time.Millisecond))
	if err := d.promote(ctx, t); err != nil {
		return err
	}
	return d.repoint(ctx, w, t)
}

// promote turns a replica into the writer. Creates stay closed there
// until the orchestrator's fence-ids step (FenceIDs) names its region.
func (d *Database) promote(ctx context.Context, t *node) error {
	if err := t.forgetSource(ctx); err != nil {
		return fmt.Errorf("promote %s: %w", t.alias, err)
	}
	if err := t.unfence(ctx); err != nil {
		return fmt.Errorf("promote %s: %w", t.alias, err)
	}
	return nil
}

// repoint makes r (read-only, with nothing the writer lacks) a replica of w.
func (d *Database) repoint(ctx context.Context, r, w *node) error {
	if err := r.fence(ctx); err != nil {
		return fmt.Errorf("re-point %s: %w", r.alias, err)
	}
	if err := r.replicateFrom(ctx, w, d.replUser, d.replPass); err != nil {
		return fmt.Errorf("re-point %s at %s: %w", r.alias, w.alias, err)
	}
	return nil
}

// Failover makes target the writer when the current writer may be gone.
// Without allowDataLoss it is Switchover. With it, it tries to fence the
// old writer for a moment (it is usually unreachable), stops target's IO
// thread, lets it apply everything it had already received (applyRelayLog)
// and promotes it. The data loss allowed is what never reached target;
// promoting discards target's relay log, so a relay log that is still
// being applied when RelayApplyWait runs out fails the failover instead
// (run it again to wait again). The old writer is left alone: when it
// comes back it may hold transactions target never got, and Rebuild deals
// with it.
func (d *Database) Failover(ctx context.Context, target failover.Member, allowDataLoss bool) error {
	t, err := d.node(target)
	if err != nil {
		return err
	}
	w := d.other(t)
	if !allowDataLoss {
		return d.switchover(ctx, w, t)
	}
	fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	if err := w.fence(fctx); err != nil {
		d.logf("could not fence %s (expected when it is down): %v", w.alias, err)
	}
	cancel()
	tst, err := t.State(ctx)
	if err != nil {
		return fmt.Errorf("failover to %s: %w", t.alias, err)
	}
	if !tst.ReadOnly && tst.Replica == nil {
		return nil // promoted already
	}
	if tst.Replica != nil {
		// The SQL thread first, while the IO thread still runs (or
		// retries): on MariaDB, starting it once both threads are
		// stopped resets the relay log to gtid_slave_pos, and what it
		// held is gone.
		if tst.Replica.SQLRunning != "Yes" && tst.Replica.LastSQLError == "" {
			if err := t.startApplying(ctx); err != nil {
				return fmt.Errorf("failover to %s: %w", t.alias, err)
			}
		}
		if err := t.stopReceiving(ctx); err != nil {
			return fmt.Errorf("failover to %s: %w", t.alias, err)
		}
		if err := d.applyRelayLog(ctx, t, tst.Flavour); err != nil {
			return fmt.Errorf("failover to %s: %w", t.alias, err)
		}
	}
	d.logf("promoting %s without waiting for %s", t.alias, w.alias)
	return d.promote(ctx, t)
}

// relaySlice bounds each GTID wait of applyRelayLog, so that an SQL
// thread stopping on an error is noticed while waiting.
const relaySlice = time.Second

// applyRelayLog waits, up to RelayApplyWait, until t (its IO thread
// stopped) has applied everything it received. It returns nil when it has,
// or at once when t's SQL thread has stopped on an error: nothing more can
// be applied, and the promotion that follows discards the rest (data loss
// is allowed; Outage.Discarded measures it). An SQL thread stopped
// without an error is started again (on MariaDB that may already have
// reset the relay log; Discarded shows it). When the wait runs out or
// fails it returns an error, and nothing received is thrown away.
func (d *Database) applyRelayLog(ctx context.Context, t *node, f flavour) error {
	start := time.Now()
	deadline := start.Add(d.RelayApplyWait)
	for {
		r, err := t.replicaStatus(ctx, f)
		if err != nil {
			return err
		}
		if r == nil || r.IOPos == "" {
			return nil // nothing received
		}
		if r.LastSQLError != "" {
			d.logf("%s's SQL thread stopped on an error, so its relay log (received up to %s) cannot be applied; promoting it discards the rest: %s",
				t.alias, r.IOPos, r.LastSQLError)
			return nil
		}
		if r.SQLRunning != "Yes" {
			if err := t.startApplying(ctx); err != nil {
				return err
			}
		}
		ok, _, err := t.waitPosition(ctx, r.IOPos, min(time.Until(deadline), relaySlice))
		if err != nil {
			return fmt.Errorf("apply the relay log: %w", err)
		}
		if ok {
			d.logf("%s applied everything it received (up to %s) in %s", t.alias, r.IOPos, time.Since(start).Round(time.Millisecond))
			return nil
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("%s did not apply its relay log (received up to %s) within %s; promoting it now would discard received transactions: run the failover again to wait longer",
				t.alias, r.IOPos, d.RelayApplyWait)
		}
	}
}

// Detach makes target a standalone writable server, whatever the other
// server is doing: the last resort. It does not fence the other server.
func (d *Database) Detach(ctx context.Context, target failover.Member) error {
	t, err := d.node(target)
	if err != nil {
		return err
	}
	return d.promote(ctx, t)
}

// Kill stops the container of the region's server at once (no clean
// shutdown): the fault of an unplanned failover.
func (d *Database) Kill(ctx context.Context, region string) error {
	n, err := d.nodeByRegion(region)
	if err != nil {
		return err
	}
	return n.ctrs.Stop(ctx, n.containerID, 0)
}

// Recover brings a killed server back without changing roles: it starts
// its container and, when the other server is not writable (no failover
// happened), makes it writable again, since every lab server starts
// read-only. When the other server is the writer, it stays read-only and
// Rebuild makes it a replica.
func (d *Database) Recover(ctx context.Context, region string) error {
	m, err := d.nodeByRegion(region)
	if err != nil {
		return err
	}
	if err := d.ensureRunning(ctx, m); err != nil {
		return fmt.Errorf("recover %s: %w", m.alias, err)
	}
	ost, err := d.other(m).State(ctx)
	if err == nil && !ost.ReadOnly {
		return nil
	}
	return m.unfence(ctx)
}

// Positions returns each reachable region's GTID position (MariaDB) or
// executed GTID set (MySQL), as the servers report them.
func (d *Database) Positions(ctx context.Context) map[string]string {
	out := map[string]string{}
	for _, o := range d.observe(ctx) {
		if o.err == nil {
			out[o.n.region] = o.st.Position
		}
	}
	return out
}

var _ failover.IDFencer = (*Database)(nil)

// FenceIDs runs the store's id fence (pkg/mysql.FenceIDs) on target's
// server, as root, as the migrate function's "fence-ids" action does on
// the new writer in AWS. It is the only place the lab fences ids: the
// orchestrator calls it in its fence-ids step after every move of the
// writer, with the loss bound it planned with, so the lab runs the same
// sizing (and the same report) as AWS. Like the migrate function it
// refuses a request for another region than target's, and fails on a
// read-only server (the orchestrator retries until the promotion is
// visible).
func (d *Database) FenceIDs(ctx context.Context, target failover.Member, req failover.FenceRequest) (failover.FenceResult, error) {
	t, err := d.node(target)
	if err != nil {
		return failover.FenceResult{}, err
	}
	if req.Region != t.region {
		return failover.FenceResult{}, fmt.Errorf("fence ids on %s: the request names region %q, the server is %s's", t.alias, req.Region, t.region)
	}
	cfg := t.Config("root", t.rootPass, d.schema)
	cfg.ParseTime = true
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return failover.FenceResult{}, err
	}
	db := sql.OpenDB(c)
	defer db.Close()
	res, err := todomysql.FenceIDs(ctx, db, fenceOf(req))
	if err != nil {
		return failover.FenceResult{}, fmt.Errorf("fence ids on %s: %w", t.alias, err)
	}
	if !res.Skipped {
		d.logf("id fence term %d on %s: %s", res.Term, t.alias, res.Reason)
	}
	return fenceResultOf(res), nil
}

// Rebuild brings a former writer back as a replica of the current writer:
// it starts the container if it is stopped, keeps it read-only, and
// compares both servers' GTID sets. When the member holds nothing the
// writer lacks, it simply replicates from the writer.
//
// When it has diverged (an unplanned failover promoted the other server
// before it received the member's last transactions), it cannot simply
// re-attach: MariaDB's gtid_strict_mode refuses the conflicting history,
// and MySQL would replicate around the errant transactions and leave
// different data on the two servers. Rebuild then does what Aurora does
// with the old primary after a failover with data loss: it keeps the old
// data aside (a JSON file of the schema's tables in SnapshotDir, the
// lab's stand-in for Aurora's snapshot of the old primary), discards the
// diverged transactions by re-seeding the member with a consistent copy
// of the writer's schema (logical copy under a brief read lock on the
// writer, GTID history reset to the copy's position, AUTO_INCREMENT
// counters carried over: see autoIncrements), and replicates from there.
func (d *Database) Rebuild(ctx context.Context, region string) (drill.Rebuild, error) {
	start := time.Now()
	m, err := d.nodeByRegion(region)
	if err != nil {
		return drill.Rebuild{}, err
	}
	w := d.other(m)
	res := drill.Rebuild{Member: m.region, Writer: w.region}

	if err := d.ensureRunning(ctx, m); err != nil {
		return res, fmt.Errorf("rebuild %s: %w", m.alias, err)
	}
	wst, err := w.State(ctx)
	if err != nil {
		return res, fmt.Errorf("rebuild %s: the writer: %w", m.alias, err)
	}
	if wst.ReadOnly {
		return res, fmt.Errorf("rebuild %s: %s is not writable; promote it first", m.alias, w.alias)
	}
	if err := m.fence(ctx); err != nil {
		return res, fmt.Errorf("rebuild %s: %w", m.alias, err)
	}
	if err := m.stopReplication(ctx); err != nil {
		return res, fmt.Errorf("rebuild %s: %w", m.alias, err)
	}
	mst, err := m.State(ctx)
	if err != nil {
		return res, fmt.Errorf("rebuild %s: %w", m.alias, err)
	}
	res.Position = mst.Position
	res.Diverged, res.DivergedPosition, err = m.missing(ctx, mst, wst)
	if err != nil {
		return res, fmt.Errorf("rebuild %s: compare GTID sets: %w", m.alias, err)
	}
	if res.Diverged > 0 {
		d.logf("%s has %d transaction(s) %s never received: keeping them aside and re-seeding", m.alias, res.Diverged, w.alias)
		res.Snapshot, err = saveSnapshot(ctx, m, d.schema, d.snapshotDir(), res)
		if err != nil {
			return res, fmt.Errorf("rebuild %s: snapshot: %w", m.alias, err)
		}
		if err := reseed(ctx, m, w, d.schema); err != nil {
			return res, fmt.Errorf("rebuild %s: re-seed from %s: %w", m.alias, w.alias, err)
		}
		res.Reseeded = true
	} else {
		res.DivergedPosition = ""
	}
	if err := d.repoint(ctx, m, w); err != nil {
		return res, err
	}
	if err := d.waitCaughtUp(ctx, m, w, d.RebuildWait); err != nil {
		return res, fmt.Errorf("rebuild %s: %w", m.alias, err)
	}
	res.Took = time.Since(start)
	return res, nil
}

// ensureRunning starts m's container if it is stopped and waits until
// the server answers. A container that exits again is started once more;
// if it does not stay up, the error says why (exit code, log tail).
func (d *Database) ensureRunning(ctx context.Context, m *node) error {
	for attempt := 1; ; attempt++ {
		running, err := m.ctrs.Running(ctx, m.containerID)
		if err != nil {
			return err
		}
		if !running {
			d.logf("starting %s's container", m.alias)
			if err := m.ctrs.Start(ctx, m.containerID); err != nil {
				return err
			}
		}
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		err = m.WaitReady(rctx)
		cancel()
		if err == nil {
			return nil
		}
		diag := ""
		if dg, ok := m.ctrs.(interface {
			Diagnose(context.Context, string) string
		}); ok {
			diag = dg.Diagnose(ctx, m.containerID)
		}
		if running, rerr := m.ctrs.Running(ctx, m.containerID); rerr != nil || running || attempt == 2 || ctx.Err() != nil {
			return fmt.Errorf("%w (%s)", err, diag)
		}
		d.logf("%s's container exited again; starting it once more (%s)", m.alias, diag)
	}
}

// catchUpSlice bounds each GTID wait of waitCaughtUp: well under the root
// pool's read timeout (node.Config), which would otherwise cut a long wait
// short with "invalid connection", and short enough that a replication
// error is noticed while waiting.
const catchUpSlice = 5 * time.Second

// waitCaughtUp waits up to timeout until r replicates from w with both
// threads running and has applied w's position as read at the start of
// its last wait.
func (d *Database) waitCaughtUp(ctx context.Context, r, w *node, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		rst, err := r.State(ctx)
		if err != nil {
			return err
		}
		if rst.Replica.Running() {
			wst, err := w.State(ctx)
			if err != nil {
				return err
			}
			ok, _, err := r.waitPosition(ctx, wst.Position, min(time.Until(deadline), catchUpSlice))
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
		} else if rst.Replica != nil && rst.Replica.LastSQLError+rst.Replica.LastIOError != "" && rst.Replica.IORunning != "Connecting" {
			return fmt.Errorf("replication stopped: %s%s", rst.Replica.LastIOError, rst.Replica.LastSQLError)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not catch up with %s within %s", r.alias, w.alias, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (d *Database) snapshotDir() string {
	if d.SnapshotDir != "" {
		return d.SnapshotDir
	}
	return filepath.Join(os.TempDir(), "todomgmt-lab")
}

// RecoverySnapshot names the newest file Rebuild wrote for the old
// writer's diverged data, or "" when there is none (yet): it is written
// when the old writer comes back, as Aurora takes its snapshot when the
// old primary's region recovers. It implements failover.RecoverySnapshotter.
func (d *Database) RecoverySnapshot(_ context.Context, old failover.Member) (string, error) {
	m, err := d.node(old)
	if err != nil {
		return "", err
	}
	matches, err := filepath.Glob(filepath.Join(d.snapshotDir(), snapshotPrefix(m)+"*.json"))
	if err != nil || len(matches) == 0 {
		return "", err
	}
	slices.Sort(matches)
	return matches[len(matches)-1], nil
}

var _ failover.RecoverySnapshotter = (*Database)(nil)
