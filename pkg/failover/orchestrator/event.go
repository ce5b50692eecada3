package orchestrator

import (
	"sync"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover/plan"
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
	Step  plan.Step
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
	Plan   *plan.Plan
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
