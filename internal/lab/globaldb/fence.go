package globaldb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/pkg/failover"
	todomysql "github.com/todomgmt/todomgmt/pkg/mysql"
)

var _ failover.FenceReader = (*Database)(nil)

// FenceState reads the id fence (pkg/mysql.ReadFence) on region's
// server as root, writer or read-only replica alike: the fence's row
// replicates with the data, so a replica reads the fence its writer last
// replicated, as the migrate function reads it through either endpoint
// in AWS. It changes nothing. A server that does not answer (killed, or
// cut off) is an error, bounded by ctx.
func (d *Database) FenceState(ctx context.Context, region string) (failover.FenceState, error) {
	n, err := d.nodeByRegion(region)
	if err != nil {
		return failover.FenceState{}, err
	}
	cfg := n.Config("root", n.rootPass, d.schema)
	cfg.ParseTime = true
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return failover.FenceState{}, err
	}
	db := sql.OpenDB(c)
	defer db.Close()
	row, err := todomysql.ReadFence(ctx, db)
	if err != nil {
		return failover.FenceState{}, fmt.Errorf("read the id fence on %s: %w", n.alias, err)
	}
	return failover.FenceState{Region: row.Region, Term: row.Term}, nil
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
