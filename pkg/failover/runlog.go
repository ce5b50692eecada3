package failover

import (
	"context"
	"time"
)

// RunRecord is what a run leaves for the next one: enough to tell a job
// that is done from one whose last step, the write check, did not pass.
type RunRecord struct {
	Kind     Kind   `json:"kind"`
	GlobalID string `json:"globalId"`
	From     string `json:"from"`
	To       string `json:"to"`
	// Verified is true when a write through the front door was served by
	// To.
	Verified bool `json:"verified"`
	// DataLoss is true when the run's move of the writer may have lost
	// data (an unplanned failover, a detach, or finishing a move not
	// known to be lossless): a run that finishes it fences ids with a
	// gap, whatever its own kind.
	DataLoss bool `json:"dataLoss"`
	// At is when the run's first step started.
	At    time.Time `json:"at"`
	Error string    `json:"error,omitempty"`
}

// RunLog keeps the last run's record from one process to the next (the
// AWS targets: a file in the user's cache directory). It is optional:
// without one, every run plans from the state alone.
type RunLog interface {
	// LastRun returns the last recorded run; false when there is none.
	LastRun(ctx context.Context) (RunRecord, bool, error)
	// RecordRun replaces the record.
	RecordRun(ctx context.Context, r RunRecord) error
}
