// Package plan decides what a region switch would do: Switchover (a
// planned switchover between healthy regions, without data loss),
// Failover (an unplanned failover away from a writer region assumed
// lost) and Detach (the last resort). Each is a pure function of a
// failover.State, so a dry run (mage failover:plan) shows exactly what a
// run would do and why it would refuse: every refusal and every warning
// is a Finding of one named Check, which readiness, the logs and the
// alarms name the same way.
//
// Every plan that moves the writer fences the id counter on the new
// writer (its fence-ids step, on a failover.IDFencer) before it checks a
// write, so that no id is handed out twice across a failover with data
// loss. After a run that stopped half way, a plan finishes that run, or
// goes towards the current writer, and never promotes the region that
// run was leaving: the last run's record (failover.State.LastRun) tells
// where it stopped on the machine that ran it, and the id fence
// (failover.State.Fences), which names the writer once a move has
// finished, tells any machine that a move has not.
package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

// Plan is what a run would do, decided from a State.
type Plan struct {
	Kind failover.Kind
	// GlobalID names the global database.
	GlobalID string
	// From and To name the regions losing and gaining the writer and the
	// traffic. From is empty when it cannot be told.
	From, To string
	// FromMember and ToMember are the members as the topology showed them:
	// the steps act on them.
	FromMember, ToMember failover.Member
	// Resumes is the failover state of an operation that was already
	// promoting ToMember when planned ("failing-over"): the promotion
	// step is then skipped and the wait follows that operation.
	Resumes string
	// Steps run in order.
	Steps []Step
	// Refusals say why the plan must not run; empty when it may.
	Refusals []string
	// Notes are facts the operator should know before approving.
	Notes []string
	// Lag and LagKnown are the target's replication lag when planned: for
	// an unplanned failover, the bound on the writes that will be lost.
	Lag      time.Duration
	LagKnown bool
	// LagEvidence is the target's replication-lag history around the
	// fault, when the database keeps one (failover.LagHistorian) and the plan may
	// lose data; Lag is its bound when it has one.
	LagEvidence *failover.LagEvidence
	// MaxLag is the bound a planned switchover was checked against.
	MaxLag time.Duration
	// Fence is what the fence-ids step asks for; nil when the plan has
	// no fence step (the database cannot fence ids).
	Fence *failover.FenceRequest
	// FenceMark is what the id fence read when planned, in every region
	// (failover.FenceReader): the fence a move of the writer ends with,
	// which shows a move that has not finished. Nil when the database
	// does not read it.
	FenceMark *failover.FenceMark
	// Findings are the checks that do not hold, in the order found: each
	// refusal (also in Refusals) and each warning (the plan would run,
	// but something it relies on is missing).
	Findings []Finding
	// Checked are the checks the plan made, whatever their outcome;
	// Skipped those it could not make, and why.
	Checked []Check
	Skipped []Skip
}

// Err returns a *RefusedError when the plan has refusals, else nil.
func (p Plan) Err() error {
	if len(p.Refusals) == 0 {
		return nil
	}
	return &RefusedError{Kind: p.Kind, Reasons: slices.Clone(p.Refusals)}
}

// Summary is a one-line description of the plan.
func (p Plan) Summary() string {
	from := p.From
	if from == "" {
		from = "?"
	}
	return fmt.Sprintf("%s of %s: writer and traffic %s → %s", p.Kind.Title(), orUnknown(p.GlobalID), from, orUnknown(p.To))
}

// String renders the plan for people: summary, lag, steps, notes, refusals.
func (p Plan) String() string {
	var b strings.Builder
	fmt.Fprintln(&b, p.Summary())
	lossy := p.MayLoseData()
	switch {
	case p.LagKnown && !lossy:
		fmt.Fprintf(&b, "  replication lag of %s: %s (bound %s)\n", p.To, p.Lag, p.MaxLag)
	case p.LagKnown:
		fmt.Fprintf(&b, "  replication lag of %s: %s (writes newer than this may be lost)\n", p.To, p.Lag)
	case p.To != "":
		fmt.Fprintf(&b, "  replication lag of %s: unknown\n", p.To)
	}
	if p.LagEvidence != nil {
		b.WriteString(p.LagEvidence.Lines())
	}
	if m := p.FenceMark; m != nil {
		fmt.Fprintf(&b, "  id fence now: %s\n", m)
	}
	if f := p.Fence; f != nil {
		fmt.Fprintf(&b, "  id fence: %s\n", f)
	}
	if len(p.Steps) > 0 {
		fmt.Fprintln(&b, "  steps:")
		for i, s := range p.Steps {
			fmt.Fprintf(&b, "    %d. %-13s %s\n", i+1, s.Action, s.Summary)
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	warnings := p.Warnings()
	for _, w := range warnings {
		fmt.Fprintf(&b, "  warning [%s]: %s\n", w.Check, w.Detail)
	}
	for _, s := range p.Skipped {
		fmt.Fprintf(&b, "  not checked [%s]: %s\n", s.Check, s.Why)
	}
	switch {
	case len(p.Refusals) > 0:
		fmt.Fprintln(&b, "  REFUSED:")
		for _, f := range p.Findings {
			if f.Refuses {
				fmt.Fprintf(&b, "    - [%s] %s\n", f.Check, f.Detail)
			}
		}
	case len(warnings) > 0:
		fmt.Fprintf(&b, "  all preconditions hold, with %d warning(s): the run would start, but not everything it relies on is in place\n", len(warnings))
	default:
		fmt.Fprintln(&b, "  all preconditions hold")
	}
	return b.String()
}

// MayLoseData reports whether the plan's move of the writer may lose
// data: an unplanned failover, a detach, or a move this run cannot tell
// was lossless (its fence leaves a gap). Only such a plan has a bound on
// lost writes.
func (p Plan) MayLoseData() bool {
	return p.Kind != failover.KindPlanned || p.Fence != nil && p.Fence.DataLoss
}

// Warnings returns the findings that do not refuse the plan.
func (p Plan) Warnings() []Finding {
	var out []Finding
	for _, f := range p.Findings {
		if !f.Refuses {
			out = append(out, f)
		}
	}
	return out
}

// Failing returns the checks that have a finding, in report order (the
// kind's checks first, then any other).
func (p Plan) Failing() []Check {
	var out []Check
	for _, c := range append(Checks(p.Kind), CheckTarget, CheckLastRun, CheckUnfinishedMove, CheckDetachedWriter) {
		if slices.ContainsFunc(p.Findings, func(f Finding) bool { return f.Check == c }) {
			out = append(out, c)
		}
	}
	return out
}

func (p *Plan) refuse(c Check, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.Refusals = append(p.Refusals, msg)
	p.Findings = append(p.Findings, Finding{Check: c, Detail: msg, Refuses: true})
	p.made(c)
}

// warn records a finding that does not stop the plan.
func (p *Plan) warn(c Check, format string, args ...any) {
	p.Findings = append(p.Findings, Finding{Check: c, Detail: fmt.Sprintf(format, args...)})
	p.made(c)
}

// skip records a check the plan cannot make, once.
func (p *Plan) skip(c Check, format string, args ...any) {
	if slices.ContainsFunc(p.Skipped, func(s Skip) bool { return s.Check == c }) {
		return
	}
	p.Skipped = append(p.Skipped, Skip{Check: c, Why: fmt.Sprintf(format, args...)})
}

// made records that the plan made checks cs (whatever their outcome).
func (p *Plan) made(cs ...Check) {
	for _, c := range cs {
		if !slices.Contains(p.Checked, c) {
			p.Checked = append(p.Checked, c)
		}
	}
}

func (p *Plan) note(format string, args ...any) {
	p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
}

func (p *Plan) hasFinding(c Check) bool {
	for _, f := range p.Findings {
		if f.Check == c {
			return true
		}
	}
	return false
}

// ForKind returns the planning function of plans of kind k: Switchover,
// Failover or Detach. It is false for a kind it does not know.
func ForKind(k failover.Kind) (func(failover.State, Options) Plan, bool) {
	switch k {
	case failover.KindPlanned:
		return Switchover, true
	case failover.KindUnplanned:
		return Failover, true
	case failover.KindDetach:
		return Detach, true
	}
	return nil, false
}

// RefusedError is returned by Plan.Err, and by the orchestrator's
// Execute, when a plan has refusals.
type RefusedError struct {
	Kind    failover.Kind
	Reasons []string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s refused: %s", e.Kind.Title(), strings.Join(e.Reasons, "; "))
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}
