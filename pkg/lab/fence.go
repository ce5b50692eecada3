package lab

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/pkg/failover"
	todomysql "github.com/todomgmt/todomgmt/pkg/mysql"
)

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

// fenceOf is the store's request for the orchestrator's.
func fenceOf(req failover.FenceRequest) todomysql.Fence {
	return todomysql.Fence{Region: req.Region, DataLoss: req.DataLoss, Lag: req.Lag, MinGap: req.MinGap}
}

// fenceResultOf is the orchestrator's result for the store's.
func fenceResultOf(r todomysql.FenceResult) failover.FenceResult {
	return failover.FenceResult{
		Region: r.Region, Term: r.Term, Skipped: r.Skipped,
		MaxID: r.MaxID, Floor: r.Floor, Gap: r.Gap,
		Rate: r.Rate, Window: r.Window, Reason: r.Reason,
	}
}
