package failover

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Timeouts bound the waits of a run. Zero fields take the defaults, which
// suit AWS (an Aurora switchover or failover takes a minute or two, a
// CloudFront KeyValueStore change reaches the edges in seconds, a Route 53
// health check needs a minute or more); the lab sets much shorter ones.
type Timeouts struct {
	// Writer bounds the wait for the target to become the writer (or to
	// leave the global database), and each single call that starts a
	// promotion or a detach: an implementation may do its work before
	// returning (the lab's switchover does).
	Writer time.Duration
	// Route bounds the wait for the router to report the target.
	Route time.Duration
	// Verify bounds the retries of the write through the front door.
	Verify time.Duration
	// Fence bounds the retries of the id fence (the new writer's endpoint
	// may take a moment to accept writes after a promotion); zero means
	// the Verify bound.
	Fence time.Duration
	// Poll is the interval between checks during a wait.
	Poll time.Duration
	// Probe bounds each other single call: a topology read, a router read
	// or write, a health check, a write through the front door.
	Probe time.Duration
}

// DefaultTimeouts are used for zero fields of Orchestrator.Timeouts.
var DefaultTimeouts = Timeouts{
	Writer: 20 * time.Minute,
	Route:  5 * time.Minute,
	Verify: 5 * time.Minute,
	Poll:   10 * time.Second,
	Probe:  30 * time.Second,
}

// Orchestrator evaluates, plans and executes region switches over the
// interfaces. DB, Router and Prober are required; Approver is required by
// Execute (a run is never unapproved); the rest have defaults.
type Orchestrator struct {
	DB       Database
	Router   Router
	Prober   Prober
	Approver Approver
	// Printer receives the run's events; nil discards them.
	Printer Printer
	// Clock tells time and sleeps; nil is the wall clock.
	Clock Clock
	// Timeouts bound the waits; zero fields take DefaultTimeouts.
	Timeouts Timeouts
	// Regions are probed by Evaluate in addition to the database members'
	// regions, so a region is still probed when the topology is unreadable.
	Regions []string
	// Runs keeps the last run's record, so that running the command again
	// after a failed write check finishes the job instead of switching
	// back; nil keeps nothing.
	Runs RunLog
}

func (o *Orchestrator) clock() Clock {
	if o.Clock == nil {
		return RealClock
	}
	return o.Clock
}

func (o *Orchestrator) timeouts() Timeouts {
	t := o.Timeouts
	d := DefaultTimeouts
	if t.Writer <= 0 {
		t.Writer = d.Writer
	}
	if t.Route <= 0 {
		t.Route = d.Route
	}
	if t.Verify <= 0 {
		t.Verify = d.Verify
	}
	if t.Fence <= 0 {
		t.Fence = t.Verify
	}
	if t.Poll <= 0 {
		t.Poll = d.Poll
	}
	if t.Probe <= 0 {
		t.Probe = d.Probe
	}
	return t
}

func (o *Orchestrator) emit(e Event) {
	if o.Printer != nil {
		o.Printer.Print(e)
	}
}

// planners are the planning functions by kind.
var planners = map[Kind]func(State, Options) Plan{
	KindPlanned:   PlanSwitchover,
	KindUnplanned: PlanFailover,
	KindDetach:    PlanDetach,
}

// Plan evaluates the current state and plans a run of the given kind.
// An unplanned failover or a detach plans from the topology as its target
// region reads it (RegionalTopology), and every kind reads the target's
// lag history (LagHistorian) for the bound on lost writes. Only the
// target's region is asked: the other may be the lost one, whose calls
// hang until their deadline.
//
// Planning reads the topology once: from the target region when the
// target is named, else from any region. Only an unplanned failover or a
// detach without a named target on a RegionalTopology reads it twice: the
// first read chooses the target, whose region's view the plan is then
// made from. The run reads it again only to wait (Execute).
func (o *Orchestrator) Plan(ctx context.Context, kind Kind, opts Options) (State, Plan, error) {
	plan, ok := planners[kind]
	if !ok {
		return State{}, Plan{}, fmt.Errorf("unknown plan kind %q", kind)
	}
	var s State
	if _, regional := o.DB.(RegionalTopology); regional && kind != KindPlanned && opts.Target == "" {
		s = o.Evaluate(ctx)
		s = o.fromTarget(ctx, s, plan(s, opts).To)
	} else {
		from := ""
		if kind != KindPlanned {
			from = opts.Target
		}
		s = o.evaluate(ctx, from, true)
	}
	target := opts.Target
	if target == "" {
		target = plan(s, opts).To
	}
	o.readLagHistory(ctx, &s, target)
	return s, plan(s, opts), nil
}

// fromTarget re-reads the topology from the target region when the
// database can, and notes why when it cannot.
func (o *Orchestrator) fromTarget(ctx context.Context, s State, target string) State {
	rt, ok := o.DB.(RegionalTopology)
	if !ok || target == "" {
		return s
	}
	tctx, cancel := context.WithTimeout(ctx, o.timeouts().Probe)
	t, err := rt.TopologyFrom(tctx, target)
	cancel()
	if err != nil {
		s.TopologyNote = topologyNote(target, err, s.TopologyErr)
		return s
	}
	s.Topology, s.TopologyErr, s.TopologyFrom = t, nil, target
	return s
}

// topologyNote says why a plan is not made from the target region's view:
// fromErr is why that read failed, anyErr why the read from any region
// did (nil when it did not).
func topologyNote(target string, fromErr, anyErr error) string {
	from := "the topology read from whichever region answered first"
	if anyErr != nil {
		from = "no topology"
	}
	return fmt.Sprintf("cannot read the global database from %s, the target region (%v): planned from %s", target, fromErr, from)
}

// readLagHistory reads the target member's lag history, bounded by the
// Probe timeout. A history that cannot be read is kept as evidence
// without a bound that says why.
func (o *Orchestrator) readLagHistory(ctx context.Context, s *State, target string) {
	lh, ok := o.DB.(LagHistorian)
	if !ok || s.TopologyErr != nil {
		return
	}
	m, ok := s.Topology.Member(target)
	if !ok {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, o.timeouts().Probe)
	defer cancel()
	ev, err := lh.LagEvidence(lctx, m)
	if err != nil {
		ev = LagEvidence{Why: fmt.Sprintf("cannot read the lag history: %v", err)}
	}
	ev.Region = m.Region
	s.LagEvidence = map[string]LagEvidence{m.Region: ev}
}

// Run evaluates, plans, prints the plan, and executes it when it has no
// refusals.
func (o *Orchestrator) Run(ctx context.Context, kind Kind, opts Options) (Report, error) {
	_, p, err := o.Plan(ctx, kind, opts)
	if err != nil {
		return Report{}, err
	}
	o.emit(Event{Kind: EventPlan, Plan: &p, Message: p.Summary()})
	return o.Execute(ctx, p)
}

// ErrNoApprover is returned by Execute when the Orchestrator has no
// Approver: a run that changes the active region always needs one.
var ErrNoApprover = errors.New("no approver configured")

// Execute asks for approval, then runs the plan's steps in order, each
// checking its post-condition first and skipping what is already done.
// It stops at the first failed step. The report is returned in every
// case; the error is the refusal, the declined approval or the failure.
func (o *Orchestrator) Execute(ctx context.Context, p Plan) (Report, error) {
	r := Report{Kind: p.Kind, GlobalID: p.GlobalID, From: p.From, To: p.To, Lag: p.Lag, LagKnown: p.LagKnown, LagEvidence: p.LagEvidence,
		DataLoss: p.Kind != KindPlanned || p.Fence != nil && p.Fence.DataLoss}
	if p.Fence == nil && len(p.Steps) > 0 {
		r.FenceNote = "not fenced: this database does not fence ids"
	}
	for _, s := range p.Steps {
		r.Steps = append(r.Steps, StepResult{Step: s, Outcome: OutcomeNotRun})
	}
	started := false
	fail := func(err error) (Report, error) {
		r.Error = err.Error()
		if started {
			o.record(ctx, r)
		}
		o.emit(Event{Kind: EventDone, Report: &r})
		return r, err
	}
	if err := p.Err(); err != nil {
		return fail(err)
	}
	if o.Approver == nil {
		return fail(ErrNoApprover)
	}
	o.emit(Event{Kind: EventWaitingForApproval, Message: p.Summary()})
	if err := o.Approver.Approve(ctx, p); err != nil {
		err = fmt.Errorf("not approved: %w", err)
		o.emit(Event{Kind: EventDeclined, Err: err})
		return fail(err)
	}
	o.emit(Event{Kind: EventApproved, Message: p.Summary()})

	run := &run{o: o, p: p, r: &r, start: o.clock().Now(), t: o.timeouts()}
	r.Started = run.start
	started = true
	// Recorded before the first step, so that a run that dies without
	// recording its end (killed, or the machine lost) still tells the
	// next one which way it was going.
	o.record(ctx, Report{Kind: r.Kind, GlobalID: r.GlobalID, From: r.From, To: r.To, Started: r.Started, DataLoss: r.DataLoss, Error: errNotEnded})
	for i, step := range p.Steps {
		run.index = i + 1
		run.step = step
		if err := ctx.Err(); err != nil {
			// Interrupted: a step is never started on a cancelled
			// context (its calls could still get through).
			return fail(fmt.Errorf("interrupted before step %d/%d %s: %w", i+1, len(p.Steps), step.Action, err))
		}
		began := o.clock().Now()
		o.emit(run.event(EventStepStarted, ""))
		skipped, detail, err := run.do(ctx, step)
		took := o.clock().Now().Sub(began)
		r.Steps[i].Took, r.Steps[i].Detail = took, detail
		r.Took = o.clock().Now().Sub(run.start)
		switch {
		case err != nil:
			r.Steps[i].Outcome = OutcomeFailed
			r.Steps[i].Detail = err.Error()
			e := run.event(EventStepFailed, "")
			e.Took, e.Err = took, err
			o.emit(e)
			return fail(fmt.Errorf("step %d/%d %s: %w", i+1, len(p.Steps), step.Action, err))
		case skipped:
			r.Steps[i].Outcome = OutcomeSkipped
			e := run.event(EventStepSkipped, detail)
			e.Took = took
			o.emit(e)
		default:
			r.Steps[i].Outcome = OutcomeDone
			e := run.event(EventStepSucceeded, detail)
			e.Took = took
			o.emit(e)
		}
	}
	if p.Kind == KindUnplanned {
		run.recoverySnapshot(ctx)
	}
	o.record(ctx, r)
	o.emit(Event{Kind: EventDone, Report: &r, Elapsed: r.Took})
	return r, nil
}

// errNotEnded is the error of the record written before the first step:
// the run replaces it when it ends.
const errNotEnded = "the run did not record its end (interrupted?)"

// record keeps the run's outcome in the RunLog, even when ctx was
// cancelled (an interrupted run is the one a re-run must know about).
func (o *Orchestrator) record(ctx context.Context, r Report) {
	if o.Runs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.timeouts().Probe)
	defer cancel()
	rec := RunRecord{Kind: r.Kind, GlobalID: r.GlobalID, From: r.From, To: r.To, Verified: r.Verified, At: r.Started, Error: r.Error, DataLoss: r.DataLoss}
	if err := o.Runs.RecordRun(ctx, rec); err != nil {
		o.emit(Event{Kind: EventWarning, Message: fmt.Sprintf("could not record this run, so a re-run will plan without it: %v", err)})
	}
}

// run is one execution's state.
type run struct {
	o     *Orchestrator
	p     Plan
	r     *Report
	t     Timeouts
	start time.Time
	index int
	step  Step
	// warnedTopology is set once the run has warned that the target
	// region's topology could not be read.
	warnedTopology bool
}

func (x *run) event(k EventKind, msg string) Event {
	return Event{Kind: k, Step: x.step, Index: x.index, Total: len(x.p.Steps),
		Elapsed: x.o.clock().Now().Sub(x.start), Message: msg}
}

// do runs one step: it returns skipped when the step's post-condition
// already held, and a detail for the report.
func (x *run) do(ctx context.Context, s Step) (skipped bool, detail string, err error) {
	switch s.Action {
	case ActionSwitchover:
		return x.promote(ctx, "switchover", func(ctx context.Context, to Member) error {
			if !x.p.FromMember.Writer {
				// Planning names the writer whenever this step has work.
				return fmt.Errorf("the plan names no writer to switch %s from", x.p.To)
			}
			return x.o.DB.Switchover(ctx, x.p.FromMember, to)
		})
	case ActionFailover:
		return x.promote(ctx, "failover with data loss allowed", func(ctx context.Context, to Member) error { return x.o.DB.Failover(ctx, to, true) })
	case ActionDetach:
		return x.detach(ctx)
	case ActionWaitWriter:
		return false, "", x.waitWriter(ctx)
	case ActionWaitDetached:
		return false, "", x.waitDetached(ctx)
	case ActionRoute:
		return x.route(ctx)
	case ActionFenceIDs:
		return x.fence(ctx)
	case ActionVerifyWrite:
		d, err := x.verify(ctx)
		return false, d, err
	}
	return false, "", fmt.Errorf("unknown step action %q", s.Action)
}

// topology reads the topology. An unplanned failover or a detach asks
// its target region first (RegionalTopology): the old writer's region may
// answer with a stale view, or not at all. When the target region does
// not answer, any region's view is used, with a warning the first time.
func (x *run) topology(ctx context.Context) (Topology, error) {
	if rt, ok := x.o.DB.(RegionalTopology); ok && x.p.Kind != KindPlanned && x.p.To != "" {
		tctx, cancel := context.WithTimeout(ctx, x.t.Probe)
		t, err := rt.TopologyFrom(tctx, x.p.To)
		cancel()
		if err == nil {
			return t, nil
		}
		if !x.warnedTopology {
			x.warnedTopology = true
			x.o.emit(Event{Kind: EventWarning, Message: fmt.Sprintf("cannot read the global database from %s (%v): using whichever region answers", x.p.To, err)})
		}
	}
	ctx, cancel := context.WithTimeout(ctx, x.t.Probe)
	defer cancel()
	return x.o.DB.Topology(ctx)
}

// fence runs the id fence on the target's writer, retrying with backoff
// within the Fence timeout (right after a promotion the writer's endpoint
// may still refuse writes); each call is bounded by Probe. The report
// keeps what the fence did.
func (x *run) fence(ctx context.Context) (bool, string, error) {
	f, ok := x.o.DB.(IDFencer)
	if !ok || x.p.Fence == nil {
		return false, "", errors.New("this database cannot fence ids")
	}
	req := *x.p.Fence
	var res FenceResult
	err := x.waitBackoff(ctx, x.t.Fence, fmt.Sprintf("the id fence in %s", x.p.To), func(ctx context.Context) (bool, string, error) {
		ctx, cancel := context.WithTimeout(ctx, x.t.Probe)
		defer cancel()
		r, err := f.FenceIDs(ctx, x.p.ToMember, req)
		if err != nil {
			return false, "", err
		}
		res = r
		return true, "", nil
	})
	if err != nil {
		return false, "", err
	}
	x.r.Fence = &res
	if res.Skipped {
		return true, fmt.Sprintf("the fence already names %s (term %d)", orUnknown(res.Region), res.Term), nil
	}
	x.r.Changes = append(x.r.Changes, fmt.Sprintf("id fence term %d: creates open in %s, next id ≥ %d", res.Term, orUnknown(res.Region), res.Floor))
	return false, res.Summary(), nil
}

// promote issues a switchover or failover of the plan's target member
// unless, when planned, it already was the writer or an operation
// promoting it was already in progress. It reads no topology: the plan
// was made from one a moment ago, and the wait that follows polls it. A
// state that changed in between (say, while the operator approved) makes
// the database refuse the call, and running again plans afresh.
func (x *run) promote(ctx context.Context, what string, call func(context.Context, Member) error) (bool, string, error) {
	target := x.p.ToMember
	switch {
	case target.Writer:
		return true, fmt.Sprintf("%s is already the writer", x.p.To), nil
	case x.p.Resumes != "":
		return true, fmt.Sprintf("an operation promoting %s is already in progress (%s)", x.p.To, x.p.Resumes), nil
	case target.ID == "":
		return false, "", fmt.Errorf("the member in %s is unknown: cannot promote it", x.p.To)
	}
	cctx, cancel := context.WithTimeout(ctx, x.t.Writer)
	defer cancel()
	if err := call(cctx, target); err != nil {
		return false, "", err
	}
	x.r.Changes = append(x.r.Changes, fmt.Sprintf("writer %s → %s (%s)", orUnknown(x.p.From), x.p.To, what))
	return false, fmt.Sprintf("%s requested for %s", what, target.ID), nil
}

// detach removes the plan's target member from the global database,
// unless the plan found it outside already (PlanDetach then leaves its ID
// empty). Like promote, it reads no topology.
func (x *run) detach(ctx context.Context) (bool, string, error) {
	target := x.p.ToMember
	if target.ID == "" {
		return true, fmt.Sprintf("%s is no longer a member of the global database", x.p.To), nil
	}
	cctx, cancel := context.WithTimeout(ctx, x.t.Writer)
	defer cancel()
	if err := x.o.DB.Detach(cctx, target); err != nil {
		return false, "", err
	}
	x.r.Changes = append(x.r.Changes, fmt.Sprintf("%s (%s) detached from the global database: standalone writer", x.p.To, target.ID))
	return false, "detach requested", nil
}

func (x *run) waitWriter(ctx context.Context) error {
	return x.wait(ctx, x.t.Writer, fmt.Sprintf("%s to become the writer", x.p.To), func(ctx context.Context) (bool, string, error) {
		t, err := x.topology(ctx)
		if err != nil {
			return false, "", err
		}
		m, ok := t.Member(x.p.To)
		switch {
		case !ok:
			return false, fmt.Sprintf("%s is not a member", x.p.To), nil
		case !m.Writer:
			return false, fmt.Sprintf("%s is not the writer yet (cluster %s, global %s%s)", x.p.To, orUnknown(m.Status), orUnknown(t.Status), opSuffix(t)), nil
		case m.Status != statusAvailable:
			return false, fmt.Sprintf("%s is the writer, cluster status %s", x.p.To, orUnknown(m.Status)), nil
		case x.p.Kind == KindPlanned && (t.Status != statusAvailable || t.Operation != ""):
			// A switchover keeps every member: wait for all of it.
			return false, fmt.Sprintf("%s is the writer, global database %s%s", x.p.To, orUnknown(t.Status), opSuffix(t)), nil
		}
		return true, "", nil
	})
}

func opSuffix(t Topology) string {
	if t.Operation == "" {
		return ""
	}
	return ", operation " + t.Operation
}

func (x *run) waitDetached(ctx context.Context) error {
	return x.wait(ctx, x.t.Writer, fmt.Sprintf("%s to leave the global database", x.p.To), func(ctx context.Context) (bool, string, error) {
		t, err := x.topology(ctx)
		if err != nil {
			return false, "", err
		}
		if _, ok := t.Member(x.p.To); ok {
			return false, fmt.Sprintf("%s is still a member", x.p.To), nil
		}
		return true, "", nil
	})
}

// route moves the front door unless it already points at the target, then
// waits until the router reports the target. A failed write to the router
// (a throttled or conflicting call, a region's endpoint blinking) is
// retried with backoff until the route wait expires: one failed call does
// not fail the step.
func (x *run) route(ctx context.Context) (bool, string, error) {
	active, err := x.active(ctx)
	if err == nil && active == x.p.To {
		return true, fmt.Sprintf("the front door already sends traffic to %s", x.p.To), nil
	}
	before := active
	if err != nil {
		before = "?"
	}
	sent := false
	err = x.waitBackoff(ctx, x.t.Route, fmt.Sprintf("the front door to report %s", x.p.To), func(ctx context.Context) (bool, string, error) {
		if !sent {
			if err := x.sendRoute(ctx); err != nil {
				return false, "", fmt.Errorf("send traffic to %s: %w", x.p.To, err)
			}
			sent = true
			x.r.Changes = append(x.r.Changes, fmt.Sprintf("front door %s → %s", orUnknown(before), x.p.To))
		}
		a, err := x.active(ctx)
		if err != nil {
			return false, "", err
		}
		if a == x.p.To {
			return true, "", nil
		}
		// Route is idempotent: saying it again keeps a router that
		// converges slowly (a metric-driven health check) fed.
		if err := x.sendRoute(ctx); err != nil {
			return false, "", fmt.Errorf("send traffic to %s again (the front door still reports %s): %w", x.p.To, orUnknown(a), err)
		}
		return false, fmt.Sprintf("the front door still reports %s", orUnknown(a)), nil
	})
	return false, fmt.Sprintf("traffic %s → %s", orUnknown(before), x.p.To), err
}

func (x *run) sendRoute(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, x.t.Probe)
	defer cancel()
	return x.o.Router.Route(ctx, x.p.To)
}

func (x *run) active(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, x.t.Probe)
	defer cancel()
	return x.o.Router.Active(ctx)
}

// verify writes through the front door until the target serves a write.
// Failed writes and writes served elsewhere are retried until the timeout:
// the front door's change takes a little while to reach every edge. A
// WritePreparer prepares each attempt under a deadline of its own.
func (x *run) verify(ctx context.Context) (string, error) {
	var served string
	err := x.wait(ctx, x.t.Verify, fmt.Sprintf("a write through the front door served by %s", x.p.To), func(ctx context.Context) (bool, string, error) {
		if wp, ok := x.o.Prober.(WritePreparer); ok {
			pctx, cancel := context.WithTimeout(ctx, x.t.Probe)
			err := wp.PrepareWrite(pctx, x.p.To)
			cancel()
			if err != nil {
				return false, "", fmt.Errorf("prepare the write: %w", err)
			}
		}
		ctx, cancel := context.WithTimeout(ctx, x.t.Probe)
		defer cancel()
		region, err := x.o.Prober.VerifyWrite(ctx)
		if err != nil {
			return false, "", err
		}
		if region != x.p.To {
			return false, fmt.Sprintf("the write was served by %s, want %s", orUnknown(region), x.p.To), nil
		}
		served = region
		return true, "", nil
	})
	if err != nil {
		return "", err
	}
	x.r.Verified = true
	x.r.RTO = x.o.clock().Now().Sub(x.start)
	return fmt.Sprintf("write served by %s", served), nil
}

// wait polls check every Poll until it reports true, the timeout passes,
// or ctx ends. Errors from check are not fatal: a read may fail while a
// region changes role. The timeout error carries (and wraps, when it was
// an error) the last observation.
func (x *run) wait(ctx context.Context, timeout time.Duration, what string, check func(context.Context) (bool, string, error)) error {
	return x.poll(ctx, timeout, what, false, check)
}

// waitBackoff is wait, except that after each failed check the pause
// doubles, up to maxBackoff polls: a call that keeps failing (throttled,
// say) is not hammered.
func (x *run) waitBackoff(ctx context.Context, timeout time.Duration, what string, check func(context.Context) (bool, string, error)) error {
	return x.poll(ctx, timeout, what, true, check)
}

// maxBackoff caps waitBackoff's pause, in poll intervals.
const maxBackoff = 8

func (x *run) poll(ctx context.Context, timeout time.Duration, what string, backoff bool, check func(context.Context) (bool, string, error)) error {
	clock := x.o.clock()
	deadline := clock.Now().Add(timeout)
	last, reported := "", ""
	var lastErr error
	pause := x.t.Poll
	for {
		ok, detail, err := check(ctx)
		lastErr = err
		if err != nil {
			detail = err.Error()
		}
		if ok {
			return nil
		}
		last = detail
		if detail != reported {
			x.o.emit(x.event(EventProgress, detail))
			reported = detail
		}
		now := clock.Now()
		if !now.Before(deadline) {
			if lastErr != nil {
				return fmt.Errorf("timed out after %s waiting for %s: %w", timeout, what, lastErr)
			}
			return fmt.Errorf("timed out after %s waiting for %s: %s", timeout, what, orUnknown(last))
		}
		sleep := x.t.Poll
		if backoff {
			if err != nil {
				sleep = pause
				pause = min(2*pause, maxBackoff*x.t.Poll)
			} else {
				pause = x.t.Poll
			}
			// The last try comes at the deadline, not after it.
			sleep = min(sleep, deadline.Sub(now))
		}
		if err := clock.Sleep(ctx, sleep); err != nil {
			return fmt.Errorf("waiting for %s: %w (last: %s)", what, err, orUnknown(last))
		}
	}
}

func (x *run) recoverySnapshot(ctx context.Context) {
	rs, ok := x.o.DB.(RecoverySnapshotter)
	if !ok {
		x.r.RecoverySnapshotNote = "unknown (this database does not name one)"
		return
	}
	if x.p.FromMember.ID == "" {
		x.r.RecoverySnapshotNote = "unknown (the old writer was not known when planning)"
		return
	}
	ctx, cancel := context.WithTimeout(ctx, x.t.Probe)
	defer cancel()
	name, err := rs.RecoverySnapshot(ctx, x.p.FromMember)
	switch {
	case err != nil:
		x.r.RecoverySnapshotNote = fmt.Sprintf("unknown (%v)", err)
	case name == "":
		x.r.RecoverySnapshotNote = fmt.Sprintf("none yet: the database takes it when %s recovers; look again then", orUnknown(x.p.From))
	default:
		x.r.RecoverySnapshot = name
	}
}
