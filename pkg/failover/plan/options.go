package plan

import (
	"time"
)

// DefaultMaxLag is the largest replication lag a planned switchover accepts
// when Options.MaxLag is zero. Aurora's storage-level replication usually
// lags well under a second; more than this means the switchover's
// synchronization would hold writes for long.
const DefaultMaxLag = 5 * time.Second

// Options tune planning.
type Options struct {
	// Target is the region to make the writer, as ParseTarget read it
	// from the operator's input. Empty chooses, always
	// towards the current writer after a run that stopped half way, and
	// never promoting the region an unverified run was leaving:
	//   - when the last run (failover.State.LastRun) moved the writer and the
	//     route but did not verify a write, that run's target, with the
	//     id fence and the write check as the only steps (a detach that
	//     stopped after the target left the global database likewise);
	//   - planned: the writer when the front door sends traffic
	//     elsewhere (a previous run moved the writer but not the route)
	//     or the id fence does not name it (a previous move to it has
	//     not finished), else the other region (so running it again
	//     fails back);
	//   - unplanned: the member an operation in progress promotes; else,
	//     when the id fence (failover.State.Fences, read in every region)
	//     does not name the writer, the writer if it is healthy (its
	//     cluster available and its API answering: no promotion at all),
	//     else it refuses; else, when the front door sends traffic to a
	//     region that is not the writer, the writer if it is healthy, or
	//     the routed region if the writer does not look healthy; else the
	//     other region. It refuses instead of choosing the region the
	//     last unverified run was leaving.
	// Detach needs it set.
	Target string
	// MaxLag is the largest replication lag of the target that a planned
	// switchover accepts; zero means DefaultMaxLag.
	MaxLag time.Duration
}

// maxLag is MaxLag, or DefaultMaxLag when that is not set.
func (o Options) maxLag() time.Duration {
	if o.MaxLag <= 0 {
		return DefaultMaxLag
	}
	return o.MaxLag
}
