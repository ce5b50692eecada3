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
	// Report is the orchestrator's report.
	Report failover.Report
	// Rebuild is what became of the old writer; nil when the failover did
	// not complete and the old writer was brought back as it was.
	Rebuild *RebuildResult
}

// RehearseUnplanned rehearses an unplanned failover, as
// `lab:failover:unplanned` does: it kills the writer's server, runs o's
// unplanned failover, and then rebuilds the old writer as a replica of the
// new one or, when the failover did not complete, brings the old writer
// back as it was.
func (d *Database) RehearseUnplanned(ctx context.Context, o *failover.Orchestrator) (Unplanned, error) {
	top, err := d.Topology(ctx)
	if err != nil {
		return Unplanned{}, err
	}
	w, ok := top.Writer()
	if !ok || w.Status != "available" {
		return Unplanned{}, fmt.Errorf("the lab has no single available writer to kill (status %s)", top.Status)
	}
	u := Unplanned{Killed: w.Region}
	if u.Before, err = d.Snapshot(ctx, w.Region); err != nil {
		return u, err
	}
	d.logf("killing %s's database server (%s); it had %d transaction(s) not yet on %s", w.Region, w.ID, u.Before.Unreplicated, u.Before.Replica)
	if err := d.Kill(ctx, w.Region); err != nil {
		return u, err
	}
	u.Report, err = o.Run(ctx, failover.KindUnplanned, failover.Options{})
	if err != nil {
		d.logf("the failover did not complete (%v): bringing %s back as it was", err, w.Region)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		return u, errors.Join(err, d.Recover(rctx, w.Region))
	}
	d.logf("bringing %s back as a replica of the new writer", w.Region)
	rb, err := d.Rebuild(ctx, w.Region)
	u.Rebuild = &rb
	return u, err
}
