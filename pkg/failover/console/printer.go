package console

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
)

// TextPrinter prints events as lines for a terminal or a CI log.
type TextPrinter struct {
	W io.Writer
}

// Print writes one line per event (the plan and the report span several).
func (p TextPrinter) Print(e orchestrator.Event) {
	stamp := fmt.Sprintf("[%7s]", e.Elapsed.Round(100*time.Millisecond))
	step := ""
	if e.Index > 0 {
		step = fmt.Sprintf("%d/%d %s", e.Index, e.Total, e.Step.Action)
	}
	switch e.Kind {
	case orchestrator.EventPlan:
		if e.Plan != nil {
			fmt.Fprint(p.W, e.Plan.String())
		}
	case orchestrator.EventWaitingForApproval:
		fmt.Fprintf(p.W, "waiting for approval: %s\n", e.Message)
	case orchestrator.EventApproved:
		fmt.Fprintf(p.W, "approved: %s\n", e.Message)
	case orchestrator.EventDeclined:
		fmt.Fprintf(p.W, "not approved, nothing changed: %v\n", e.Err)
	case orchestrator.EventStepStarted:
		fmt.Fprintf(p.W, "%s %s: %s\n", stamp, step, e.Step.Summary)
	case orchestrator.EventStepSucceeded:
		fmt.Fprintf(p.W, "%s %s: done in %s%s\n", stamp, step, e.Took.Round(100*time.Millisecond), suffix(e.Message))
	case orchestrator.EventStepSkipped:
		fmt.Fprintf(p.W, "%s %s: skipped%s\n", stamp, step, suffix(e.Message))
	case orchestrator.EventStepFailed:
		fmt.Fprintf(p.W, "%s %s: FAILED after %s: %v\n", stamp, step, e.Took.Round(100*time.Millisecond), e.Err)
	case orchestrator.EventWarning:
		fmt.Fprintf(p.W, "warning: %s\n", e.Message)
	case orchestrator.EventProgress:
		fmt.Fprintf(p.W, "%s %s: %s\n", stamp, step, e.Message)
	case orchestrator.EventDone:
		if e.Report != nil {
			fmt.Fprint(p.W, e.Report.String())
		}
	default:
		fmt.Fprintf(p.W, "%s %s %s\n", stamp, e.Kind, strings.TrimSpace(step+" "+e.Message))
	}
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return " (" + msg + ")"
}
