package orchestrator

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// Outcome is how a step ended.
type Outcome string

const (
	OutcomeDone    Outcome = "done"
	OutcomeSkipped Outcome = "skipped" // its post-condition already held
	OutcomeFailed  Outcome = "failed"
	OutcomeNotRun  Outcome = "not run" // an earlier step failed
)

// StepResult is what one step did.
type StepResult struct {
	Step    plan.Step     `json:"step"`
	Outcome Outcome       `json:"outcome"`
	Took    time.Duration `json:"took"`
	Detail  string        `json:"detail,omitempty"`
}

// Report is what a run did and measured.
type Report struct {
	Kind     failover.Kind `json:"kind"`
	GlobalID string        `json:"globalId"`
	From     string        `json:"from"`
	To       string        `json:"to"`
	// Started is when the first step started (after approval); Took is
	// the time from then to the end of the last step that ran.
	Started time.Time     `json:"started"`
	Took    time.Duration `json:"took"`
	Steps   []StepResult  `json:"steps"`
	// Verified is true when a write through the front door was served by
	// the target region; RTO is the time from Started to that write.
	Verified bool          `json:"verified"`
	RTO      time.Duration `json:"rto"`
	// Lag and LagKnown are the target's replication lag when the run was
	// planned: the bound on lost writes for an unplanned failover (zero
	// loss for a planned switchover, which synchronizes first).
	Lag      time.Duration `json:"lag"`
	LagKnown bool          `json:"lagKnown"`
	// DataLoss is true when the run's move of the writer may lose data:
	// an unplanned failover, a detach, or finishing a move not known to
	// be a switchover.
	DataLoss bool `json:"dataLoss"`
	// LagEvidence is the lag history Lag was read from, with the
	// datapoints used; nil when the database keeps none or the plan
	// loses nothing.
	LagEvidence *failover.LagEvidence `json:"lagEvidence,omitempty"`
	// Fence is what the id fence did (nil when it did not run);
	// FenceNote says why there is no fence step.
	Fence     *failover.FenceResult `json:"fence,omitempty"`
	FenceNote string                `json:"fenceNote,omitempty"`
	// Changes lists what this run changed; steps that were skipped
	// changed nothing.
	Changes []string `json:"changes"`
	// RecoverySnapshot names the snapshot the database keeps of the old
	// writer after an unplanned failover; RecoverySnapshotNote explains
	// when it is not known.
	RecoverySnapshot     string `json:"recoverySnapshot,omitempty"`
	RecoverySnapshotNote string `json:"recoverySnapshotNote,omitempty"`
	// Error is the failure that stopped the run, if any.
	Error string `json:"error,omitempty"`
}

// String renders the report for people.
func (r Report) String() string {
	var b strings.Builder
	result := "verified"
	if r.Error != "" {
		result = "FAILED: " + r.Error
	} else if !r.Verified {
		result = "not verified"
	}
	fmt.Fprintf(&b, "%s %s → %s: %s\n", r.Kind.Title(), orUnknown(r.From), orUnknown(r.To), result)
	ran := false
	for _, s := range r.Steps {
		ran = ran || s.Outcome != OutcomeNotRun
	}
	if !ran {
		fmt.Fprintln(&b, "  no step ran: nothing changed")
		return b.String()
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tSTEP\tOUTCOME\tTOOK\tDETAIL")
	for i, s := range r.Steps {
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", i+1, s.Step.Action, s.Outcome, s.Took.Round(100*time.Millisecond), s.Detail)
	}
	tw.Flush()
	if r.Verified {
		fmt.Fprintf(&b, "  recovery time (start → first verified write in %s): %s\n", r.To, r.RTO.Round(100*time.Millisecond))
	} else {
		fmt.Fprintf(&b, "  recovery time: not measured (no verified write in %s)\n", orUnknown(r.To))
	}
	lag := "unknown"
	if r.LagKnown {
		lag = r.Lag.String()
	}
	switch {
	case !r.DataLoss:
		fmt.Fprintf(&b, "  replication lag at start: %s (a switchover synchronizes first: no data loss)\n", lag)
	case r.LagEvidence != nil && r.LagEvidence.Known:
		fmt.Fprintf(&b, "  bound on writes lost: %s (the replication lag around the fault, below)\n", lag)
	default:
		fmt.Fprintf(&b, "  replication lag at start: %s (the bound on writes lost)\n", lag)
	}
	if r.LagEvidence != nil {
		b.WriteString(r.LagEvidence.Lines())
	}
	switch {
	case r.Fence != nil:
		fmt.Fprintf(&b, "  id fence: %s\n", r.Fence.Summary())
		if r.Fence.Reason != "" {
			fmt.Fprintf(&b, "    %s\n", r.Fence.Reason)
		}
	case r.FenceNote != "":
		fmt.Fprintf(&b, "  id fence: %s\n", r.FenceNote)
	}
	if len(r.Changes) == 0 {
		fmt.Fprintln(&b, "  changed: nothing")
	}
	for _, c := range r.Changes {
		fmt.Fprintf(&b, "  changed: %s\n", c)
	}
	if r.RecoverySnapshot != "" {
		fmt.Fprintf(&b, "  snapshot of the old writer: %s\n", r.RecoverySnapshot)
	}
	if r.RecoverySnapshotNote != "" {
		fmt.Fprintf(&b, "  snapshot of the old writer: %s\n", r.RecoverySnapshotNote)
	}
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}
