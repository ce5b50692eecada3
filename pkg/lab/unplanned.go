package lab

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

// Unplanned is what RehearseUnplanned did.
type Unplanned struct {
	// Killed is the region whose server was killed; Before holds both
	// servers' GTID positions read right before the kill.
	Killed string
	Before GTIDSnapshot
	// Fault is what the replica had received when the writer stopped.
	Fault *Fault
	// Report is the orchestrator's report.
	Report failover.Report
	// Discarded counts the received transactions the promotion threw
	// away (0 unless the replica could not apply its relay log).
	Discarded *int64
	// Rebuild is what became of the old writer; nil when the failover did
	// not complete and the old writer was brought back as it was.
	Rebuild *RebuildResult
	// Unreplicated counts the old writer's transactions the replica had
	// not received at the fault, from the old writer's GTIDs once back.
	Unreplicated *int64
}

// RehearseUnplanned rehearses an unplanned failover, as
// `lab:failover:unplanned` does: it kills the writer's server, runs o's
// unplanned failover with opts, and then rebuilds the old writer as a
// replica of the new one or, when the failover did not complete, brings
// the old writer back as it was. A target in opts must not be the writer
// it kills.
func (d *Database) RehearseUnplanned(ctx context.Context, o *failover.Orchestrator, opts failover.Options) (Unplanned, error) {
	top, err := d.Topology(ctx)
	if err != nil {
		return Unplanned{}, err
	}
	w, ok := top.Writer()
	if !ok || w.Status != "available" {
		return Unplanned{}, fmt.Errorf("the lab has no single available writer to kill (status %s)", top.Status)
	}
	if opts.Target == w.Region {
		return Unplanned{}, fmt.Errorf("the target %s is the writer this rehearsal kills: name the other region, or none", opts.Target)
	}
	u := Unplanned{Killed: w.Region}
	if u.Before, err = d.Snapshot(ctx, w.Region); err != nil {
		return u, err
	}
	d.logf("killing %s's database server (%s); it had %d transaction(s) not yet on %s", w.Region, w.ID, u.Before.Unreplicated, u.Before.Replica)
	if err := d.Kill(ctx, w.Region); err != nil {
		return u, err
	}
	if f, err := d.RecordFault(ctx, w.Region); err != nil {
		d.logf("could not read what the replica had received: %v", err)
	} else {
		u.Fault = &f
	}
	u.Report, err = o.Run(ctx, failover.KindUnplanned, opts)
	if err != nil {
		// After Ctrl-C mage allows 5 s: try, but briefly.
		wait := 2 * time.Minute
		if ctx.Err() != nil {
			wait = 4 * time.Second
		}
		d.logf("the failover did not complete (%v): bringing %s back as it was", err, w.Region)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
		defer cancel()
		return u, errors.Join(err, d.Recover(rctx, w.Region))
	}
	if u.Fault != nil {
		if n, detail, err := d.Discarded(ctx, *u.Fault); err == nil {
			u.Discarded = &n
			if n > 0 {
				d.logf("the promotion discarded %d received transaction(s): %s", n, detail)
			}
		}
	}
	d.logf("bringing %s back as a replica of the new writer", w.Region)
	rb, err := d.Rebuild(ctx, w.Region)
	u.Rebuild = &rb
	if u.Fault != nil && rb.Position != "" {
		if n, _, uerr := u.Fault.Unreplicated(rb.Position); uerr == nil {
			u.Unreplicated = &n
		}
	}
	return u, err
}
