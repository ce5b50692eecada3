package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
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
// is allowed; Database.Discarded measures it). An SQL thread stopped
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

// GTIDSnapshot is both servers' GTID positions read one right after the
// other, and the number of the writer's transactions the replica lacked.
type GTIDSnapshot struct {
	Writer, Replica                 string
	WriterPosition, ReplicaPosition string
	Unreplicated                    int64
	At                              time.Time
}

// Snapshot reads the writer's position, then the replica's, and counts
// the writer's transactions the replica had not applied yet.
func (d *Database) Snapshot(ctx context.Context, writerRegion string) (GTIDSnapshot, error) {
	w, err := d.nodeByRegion(writerRegion)
	if err != nil {
		return GTIDSnapshot{}, err
	}
	r := d.other(w)
	at := time.Now()
	wst, err := w.State(ctx)
	if err != nil {
		return GTIDSnapshot{}, err
	}
	rst, err := r.State(ctx)
	if err != nil {
		return GTIDSnapshot{}, err
	}
	n, _, err := w.missing(ctx, wst, rst)
	return GTIDSnapshot{
		Writer: w.region, Replica: r.region,
		WriterPosition: wst.Position, ReplicaPosition: rst.Position,
		Unreplicated: n, At: at,
	}, err
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
