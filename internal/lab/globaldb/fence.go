package globaldb

import (
	"github.com/todomgmt/todomgmt/pkg/failover"
	todomysql "github.com/todomgmt/todomgmt/pkg/mysql"
)

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
