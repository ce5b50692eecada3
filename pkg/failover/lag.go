package failover

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

// LagDatapoint is one replication-lag datapoint the database published.
type LagDatapoint struct {
	Metric string        `json:"metric"`
	At     time.Time     `json:"at"`
	Value  time.Duration `json:"value"`
}

// LagEvidence is the bound on writes lost by a failover with data loss,
// read from the target's replication-lag history around the moment the
// writer became unreachable, and the datapoints it was read from. It does
// not depend on when the plan runs: an operator who plans hours after the
// fault gets the same bound.
type LagEvidence struct {
	// Region is the member whose lag history this is.
	Region string `json:"region"`
	// Bound is the largest lag among Used; Known is false when no
	// datapoint fits (Why says why).
	Bound time.Duration `json:"bound"`
	Known bool          `json:"known"`
	// FaultAt is when the writer became unreachable as the history
	// shows it; zero when the history shows no fault (replication was
	// still live at its last datapoint).
	FaultAt time.Time `json:"faultAt,omitzero"`
	// Why says how FaultAt was found, or why there is no bound.
	Why string `json:"why"`
	// From and To bound the window whose datapoints were used.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Used are the datapoints in the window, oldest first.
	Used []LagDatapoint `json:"used,omitempty"`
}

// Summary says in one line what bound the evidence gives and how the
// fault was found.
func (e LagEvidence) Summary() string {
	if !e.Known {
		return fmt.Sprintf("no bound from the lag history of %s: %s", orUnknown(e.Region), orUnknown(e.Why))
	}
	return fmt.Sprintf("%s from %d datapoint(s) of %s's lag history, %s to %s: %s", e.Bound, len(e.Used), orUnknown(e.Region),
		e.From.UTC().Format(time.RFC3339), e.To.UTC().Format(time.RFC3339), e.Why)
}

// Lines renders the evidence for a plan or a report: the bound and how
// it was found on one line, then the datapoints it used, one a line,
// indented under it.
func (e LagEvidence) Lines() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  loss bound: %s\n", e.Summary())
	if len(e.Used) == 0 {
		return b.String()
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, d := range e.Used {
		fmt.Fprintf(tw, "    %s\t%s\t%s\n", d.At.UTC().Format(time.RFC3339), d.Metric, d.Value)
	}
	tw.Flush()
	return b.String()
}

// LagHistorian is implemented by a Database that keeps its members'
// replication-lag history (Aurora: CloudWatch). The orchestrator reads
// the target's when planning a move that may lose data, which reports
// that bound and gives it to the id fence.
type LagHistorian interface {
	// LagEvidence reads member's lag history as a secondary. An error
	// means the history could not be read at all.
	LagEvidence(ctx context.Context, member Member) (LagEvidence, error)
}
