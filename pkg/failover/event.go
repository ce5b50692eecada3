package failover

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// EventKind says what happened.
type EventKind string

const (
	// EventPlan carries the plan about to be approved and run.
	EventPlan EventKind = "plan"
	// EventWaitingForApproval is sent before the Approver is asked.
	EventWaitingForApproval EventKind = "waiting-for-approval"
	// EventApproved and EventDeclined report the Approver's answer.
	EventApproved EventKind = "approved"
	EventDeclined EventKind = "declined"
	// EventStepStarted, EventStepSucceeded, EventStepSkipped (its
	// post-condition already held) and EventStepFailed frame each step.
	EventStepStarted   EventKind = "step-started"
	EventStepSucceeded EventKind = "step-succeeded"
	EventStepSkipped   EventKind = "step-skipped"
	EventStepFailed    EventKind = "step-failed"
	// EventProgress reports a wait that is not satisfied yet; it is sent
	// when what is observed changes, not on every poll.
	EventProgress EventKind = "progress"
	// EventWarning reports something the operator should know that does
	// not stop the run (the run could not be recorded, say).
	EventWarning EventKind = "warning"
	// EventDone carries the final report.
	EventDone EventKind = "done"
)

// Event is one thing that happened during a run.
type Event struct {
	Kind EventKind
	// Step, Index (1-based) and Total are set on step and progress events.
	Step  Step
	Index int
	Total int
	// Elapsed is the time since the run started (after approval; zero
	// before it).
	Elapsed time.Duration
	// Took is the step's duration, on step end events.
	Took time.Duration
	// Message says what was observed or done.
	Message string
	// Err is the failure, on EventStepFailed and EventDeclined.
	Err error
	// Plan is set on EventPlan, Report on EventDone.
	Plan   *Plan
	Report *Report
}

// Printer receives a run's events as they happen.
type Printer interface {
	Print(Event)
}

// PrinterFunc adapts a function to Printer.
type PrinterFunc func(Event)

// Print calls f(e).
func (f PrinterFunc) Print(e Event) { f(e) }

// Recorder is a Printer that keeps every event; safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Print records e.
func (r *Recorder) Print(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events returns the events recorded so far.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

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

// Clock tells the time and sleeps; tests inject a fake one so waits and
// timeouts run instantly.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends, returning ctx's error then.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
var RealClock Clock = realClock{}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
