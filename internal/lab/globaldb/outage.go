package globaldb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/todomgmt/todomgmt/pkg/drill"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// Outage is the loss of the writer's region rehearsed on the lab's
// database: the lab's one unplanned rehearsal. RehearseUnplanned
// (`lab:failover:unplanned`) runs it whole; the drill's unplanned round
// runs its steps around its load. The steps, in order:
//
//   - Cut (optional): the replica stops receiving from the writer, as the
//     link fails first in a real regional outage, so that writes
//     acknowledged from then on are lost;
//   - Snapshot: both servers' GTID positions right before the fault;
//   - Kill: the writer's server is killed (SIGKILL, no clean shutdown);
//   - RecordFault: what the replica had received, read before anything
//     is promoted (a promotion discards the replica's relay log);
//   - the orchestrator's unplanned failover, which is the caller's;
//   - Discarded: what the promotion threw away of what had arrived;
//   - Restore: the old writer back, rebuilt as a replica of the new
//     writer, or as it was when nothing was promoted;
//   - Unreplicated: what the old writer had committed that never left it,
//     from its GTIDs once it is back.
type Outage struct {
	d    *Database
	w, r *node
	// Writer is the region whose server the outage kills, Replica the
	// other one.
	Writer, Replica string
	// Fault is what the replica had received when the writer stopped
	// (RecordFault); nil until it was read.
	Fault *drill.Fault
	// Rebuild is what Restore did to the old writer: nil until then, and
	// when it brought the old writer back as it was.
	Rebuild *drill.Rebuild
}

// NewOutage prepares the loss of the writer's region. The servers must
// show one available writer; nothing happens until a step runs.
func NewOutage(ctx context.Context, d *Database) (*Outage, error) {
	top, err := d.Topology(ctx)
	if err != nil {
		return nil, err
	}
	w, ok := top.Writer()
	if !ok || w.Status != "available" {
		return nil, fmt.Errorf("the lab has no single available writer to kill (status %s)", top.Status)
	}
	wn, err := d.node(w)
	if err != nil {
		return nil, err
	}
	rn := d.other(wn)
	return &Outage{d: d, w: wn, r: rn, Writer: wn.region, Replica: rn.region}, nil
}

// Cut stops the replica's replication IO thread: nothing more arrives
// from the writer, and the replica keeps what it has.
func (o *Outage) Cut(ctx context.Context) error {
	return o.r.stopReceiving(ctx)
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
// the writer's transactions the replica had not applied yet. Read right
// before Kill, it misses what commits between the two.
func (o *Outage) Snapshot(ctx context.Context) (GTIDSnapshot, error) {
	at := time.Now()
	wst, err := o.w.State(ctx)
	if err != nil {
		return GTIDSnapshot{}, err
	}
	rst, err := o.r.State(ctx)
	if err != nil {
		return GTIDSnapshot{}, err
	}
	n, _, err := o.w.missing(ctx, wst, rst)
	return GTIDSnapshot{
		Writer: o.w.region, Replica: o.r.region,
		WriterPosition: wst.Position, ReplicaPosition: rst.Position,
		Unreplicated: n, At: at,
	}, err
}

// Kill stops the writer's container at once (no clean shutdown).
func (o *Outage) Kill(ctx context.Context) error {
	return o.d.Kill(ctx, o.Writer)
}

// RecordFault reads, from the replica, every transaction it had
// received. Call it right after Kill and before a promotion, which
// discards the replica's relay log.
func (o *Outage) RecordFault(ctx context.Context) (drill.Fault, error) {
	f := drill.Fault{Writer: o.w.region, Replica: o.r.region, At: time.Now().UTC()}
	// State reads the executed position before the replica status, so a
	// transaction applied in between is in the received part anyway.
	st, err := o.r.State(ctx)
	if err != nil {
		return f, fmt.Errorf("record the fault: %w", err)
	}
	f.Flavour, f.Executed = string(st.Flavour), st.Position
	if st.Replica != nil {
		f.Retrieved = st.Replica.IOPos
	}
	f.Received, err = mergeReceived(st.Flavour, f.Executed, f.Retrieved)
	if err != nil {
		return f, fmt.Errorf("record the fault: %s: %w", o.r.alias, err)
	}
	o.Fault = &f
	return f, nil
}

// Discarded counts the transactions the replica had received at the fault
// that it does not hold now. After its promotion they are the ones it
// discarded with its relay log instead of applying them; any is a fault of
// the failover, since data loss was only allowed for what never arrived.
func (o *Outage) Discarded(ctx context.Context) (int64, string, error) {
	if o.Fault == nil {
		return 0, "", errors.New("discarded by the promotion: the fault was not recorded")
	}
	st, err := o.r.State(ctx)
	if err != nil {
		return 0, "", fmt.Errorf("discarded by the promotion: %w", err)
	}
	return discardedBy(*o.Fault, st)
}

// restoreInterrupted bounds Restore after the caller's context ended
// (Ctrl-C): mage allows a target 5 s to return.
const restoreInterrupted = 4 * time.Second

// Restore brings the old writer back. When the replica was promoted, the
// old writer is rebuilt as its replica (Database.Rebuild, which keeps
// aside and discards what it had that the new writer lacks); when nothing
// was promoted (the failover did not get that far), it is made writable
// again, as it was. After the caller's context ended it only brings the
// server back as it was, within a few seconds.
func (o *Outage) Restore(ctx context.Context) (*drill.Rebuild, error) {
	if ctx.Err() != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreInterrupted)
		defer cancel()
		return nil, o.d.Recover(rctx, o.Writer)
	}
	if st, err := o.r.State(ctx); err != nil || st.ReadOnly {
		o.d.logf("%s was not promoted: bringing %s back as it was", o.Replica, o.Writer)
		return nil, o.d.Recover(ctx, o.Writer)
	}
	rb, err := o.d.Rebuild(ctx, o.Writer)
	o.Rebuild = &rb
	return &rb, err
}

// Unreplicated counts the old writer's transactions that the replica had
// not received at the fault, from the old writer's GTIDs as Restore
// found them (its binlog survives the kill), and names them.
func (o *Outage) Unreplicated() (int64, string, error) {
	if o.Fault == nil || o.Rebuild == nil || o.Rebuild.Position == "" {
		return 0, "", errors.New("unreplicated at the fault: the fault or the old writer's position was not read")
	}
	return unreplicated(*o.Fault, o.Rebuild.Position)
}

// Unplanned is what RehearseUnplanned did.
type Unplanned struct {
	// Killed is the region whose server was killed; Before holds both
	// servers' GTID positions read right before the kill.
	Killed string
	Before GTIDSnapshot
	// Fault is what the replica had received when the writer stopped.
	Fault *drill.Fault
	// Report is the orchestrator's report.
	Report orchestrator.Report
	// Discarded counts the received transactions the promotion threw
	// away (0 unless the replica could not apply its relay log).
	Discarded *int64
	// Rebuild is what became of the old writer; nil when nothing was
	// promoted and the old writer was brought back as it was.
	Rebuild *drill.Rebuild
	// Unreplicated counts the old writer's transactions the replica had
	// not received at the fault, from the old writer's GTIDs once back.
	Unreplicated *int64
}

// RehearseUnplanned rehearses an unplanned failover as a whole, as
// `lab:failover:unplanned` does: an Outage of the writer's region with
// o's unplanned failover (with opts) in the middle. A target in opts must
// not be the writer it kills.
func RehearseUnplanned(ctx context.Context, d *Database, o *orchestrator.Orchestrator, opts plan.Options) (Unplanned, error) {
	out, err := NewOutage(ctx, d)
	if err != nil {
		return Unplanned{}, err
	}
	if opts.Target == out.Writer {
		return Unplanned{}, fmt.Errorf("the target %s is the writer this rehearsal kills: name the other region, or none", opts.Target)
	}
	u := Unplanned{Killed: out.Writer}
	if u.Before, err = out.Snapshot(ctx); err != nil {
		return u, err
	}
	d.logf("killing %s's database server (%s); it had %d transaction(s) not yet on %s", out.Writer, out.w.alias, u.Before.Unreplicated, out.Replica)
	if err := out.Kill(ctx); err != nil {
		return u, err
	}
	if _, err := out.RecordFault(ctx); err != nil {
		d.logf("could not read what the replica had received: %v", err)
	}
	u.Fault = out.Fault
	u.Report, err = o.Run(ctx, failover.KindUnplanned, opts)
	if err != nil {
		d.logf("the failover did not complete (%v): bringing %s back", err, out.Writer)
		rb, rerr := out.Restore(ctx)
		u.Rebuild = rb
		return u, errors.Join(err, rerr)
	}
	if n, detail, err := out.Discarded(ctx); err == nil {
		u.Discarded = &n
		if n > 0 {
			d.logf("the promotion discarded %d received transaction(s): %s", n, detail)
		}
	}
	d.logf("bringing %s back as a replica of the new writer", out.Writer)
	u.Rebuild, err = out.Restore(ctx)
	if n, _, uerr := out.Unreplicated(); uerr == nil {
		u.Unreplicated = &n
	}
	return u, err
}
