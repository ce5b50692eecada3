package failover

import (
	"context"
	"fmt"
	"time"
)

// FenceRequest asks a Database to fence the id counter on the target's
// writer: from then on only Region's writer may create todos, and its
// next id is past any id the old writer can have handed out. It mirrors
// the store's fence (pkg/mysql), which this package does not import.
type FenceRequest struct {
	// Region is the region whose writer may create from now on.
	Region string `json:"region"`
	// DataLoss is true when the old writer may have issued ids this
	// writer lacks (a failover with data loss, a detach, or a move this
	// run cannot tell was lossless): the store then leaves a gap sized
	// from the data and Lag.
	DataLoss bool `json:"dataLoss"`
	// Lag is the measured bound on lost writes (zero when unknown or
	// when nothing was lost).
	Lag time.Duration `json:"lag"`
	// MinGap is the gap's floor when DataLoss; zero is the store's
	// default.
	MinGap int64 `json:"minGap,omitempty"`
}

// String says what the fence asks for.
func (f FenceRequest) String() string {
	if !f.DataLoss {
		return fmt.Sprintf("creates move to %s without a gap (nothing was lost)", f.Region)
	}
	lag := "unknown"
	if f.Lag > 0 {
		lag = f.Lag.String()
	}
	return fmt.Sprintf("creates move to %s past a gap sized from the data and the loss bound (%s)", f.Region, lag)
}

// FenceResult is what a fence did.
type FenceResult struct {
	Region string `json:"region"`
	// Term is the fence's term, one more per fence.
	Term int64 `json:"term"`
	// Skipped is true when the fence already named Region: nothing
	// changed (re-runs are safe).
	Skipped bool `json:"skipped"`
	// MaxID is the largest id the writer held; the next id is at least
	// Floor; Gap is Floor - MaxID - 1 (0 for a lossless move).
	MaxID int64 `json:"maxId"`
	Floor int64 `json:"floor"`
	Gap   int64 `json:"gap"`
	// Rate is the ids per second consumed recently, measured from the
	// data; Window how long the old writer may have issued ids this
	// writer lacks.
	Rate   float64       `json:"rate"`
	Window time.Duration `json:"window"`
	// Reason says in one sentence how the gap was sized.
	Reason string `json:"reason"`
}

// Summary says what the fence did in one line.
func (f FenceResult) Summary() string {
	if f.Skipped {
		return fmt.Sprintf("already named %s (term %d): nothing changed", orUnknown(f.Region), f.Term)
	}
	if f.Gap == 0 {
		return fmt.Sprintf("term %d names %s: next id ≥ %d (largest id here %d, no gap)", f.Term, orUnknown(f.Region), f.Floor, f.MaxID)
	}
	return fmt.Sprintf("term %d names %s: next id ≥ %d (largest id here %d, gap %d; %.3g ids/s over a %s window)",
		f.Term, orUnknown(f.Region), f.Floor, f.MaxID, f.Gap, f.Rate, f.Window.Round(time.Second))
}

// IDFencer is implemented by a Database whose store gates creates on an
// id fence (AWS: the target region's migrate function; the lab: the
// store's fence run as root on the target server). Every plan that moves
// the writer fences right after the target is confirmed as the writer
// and before the write check: creates in a region are refused until a
// fence names it. Fencing a region the fence already names changes
// nothing (FenceResult.Skipped).
type IDFencer interface {
	// FenceIDs runs the fence on target's writer. It fails when target
	// is not writable.
	FenceIDs(ctx context.Context, target Member, req FenceRequest) (FenceResult, error)
}
