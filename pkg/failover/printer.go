package failover

import (
	"fmt"
	"io"
	"strings"

	"time"
)

// TextPrinter prints events as lines for a terminal or a CI log.
type TextPrinter struct {
	W io.Writer
}

// Print writes one line per event (the plan and the report span several).
func (p TextPrinter) Print(e Event) {
	stamp := fmt.Sprintf("[%7s]", e.Elapsed.Round(100*time.Millisecond))
	step := ""
	if e.Index > 0 {
		step = fmt.Sprintf("%d/%d %s", e.Index, e.Total, e.Step.Action)
	}
	switch e.Kind {
	case EventPlan:
		if e.Plan != nil {
			fmt.Fprint(p.W, e.Plan.String())
		}
	case EventWaitingForApproval:
		fmt.Fprintf(p.W, "waiting for approval: %s\n", e.Message)
	case EventApproved:
		fmt.Fprintf(p.W, "approved: %s\n", e.Message)
	case EventDeclined:
		fmt.Fprintf(p.W, "not approved, nothing changed: %v\n", e.Err)
	case EventStepStarted:
		fmt.Fprintf(p.W, "%s %s: %s\n", stamp, step, e.Step.Summary)
	case EventStepSucceeded:
		fmt.Fprintf(p.W, "%s %s: done in %s%s\n", stamp, step, e.Took.Round(100*time.Millisecond), suffix(e.Message))
	case EventStepSkipped:
		fmt.Fprintf(p.W, "%s %s: skipped%s\n", stamp, step, suffix(e.Message))
	case EventStepFailed:
		fmt.Fprintf(p.W, "%s %s: FAILED after %s: %v\n", stamp, step, e.Took.Round(100*time.Millisecond), e.Err)
	case EventWarning:
		fmt.Fprintf(p.W, "warning: %s\n", e.Message)
	case EventProgress:
		fmt.Fprintf(p.W, "%s %s: %s\n", stamp, step, e.Message)
	case EventDone:
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
