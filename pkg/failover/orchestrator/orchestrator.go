// Package orchestrator runs a region switch over the interfaces of
// package failover: it reads the State (Evaluate), has package plan plan
// the run, asks the Approver, executes the plan's steps and reports what
// it measured, sending each Event to a Printer as it happens. Every step
// checks its post-condition first, so running the same command again
// after a partial failure finishes the job instead of repeating it, and
// the RunLog tells the next run where the last one stopped.
//
// It is written once: the AWS adapters (pkg/awsfailover) and the lab's
// (internal/lab/globaldb) implement the interfaces it drives. It also judges failover
// readiness (package assess) from one region's point of view, without
// executing anything.
package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/assess"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// Orchestrator evaluates, plans and executes region switches over the
// interfaces. DB, Router and Prober are required; Approver is required by
// Execute (a run is never unapproved); the rest have defaults.
type Orchestrator struct {
	DB       failover.Database
	Router   failover.Router
	Prober   failover.Prober
	Approver Approver
	// Printer receives the run's events; nil discards them.
	Printer Printer
	// Clock tells time and sleeps; nil is the wall clock.
	Clock failover.Clock
	// Timeouts bound the waits; zero fields take DefaultTimeouts.
	Timeouts Timeouts
	// Regions are probed by Evaluate in addition to the database members'
	// regions, so a region is still probed when the topology is unreadable.
	Regions []string
	// Runs keeps the last run's record, so that running the command again
	// after a failed write check finishes the job instead of switching
	// back; nil keeps nothing.
	Runs failover.RunLog
}

// Approver confirms a destructive or disruptive plan before it runs.
type Approver interface {
	// Approve returns nil when the plan may run, or an error saying why not
	// (declined, or no confirmation possible without a flag).
	Approve(ctx context.Context, p plan.Plan) error
}

// ErrNoApprover is returned by Execute when the Orchestrator has no
// Approver: a run that changes the active region always needs one.
var ErrNoApprover = errors.New("no approver configured")

// Evaluate reads the topology (from whichever region answers first), the
// front door, every region's API health, what the optional interfaces
// tell (proxy targets, user pools, safeguards, id fences) and the last
// run's record. Safeguards are asked of the members the topology
// reported, one per region; a region without one has none to read. It
// does not fail when a part cannot be read: the part's error is recorded
// in the State, and planning decides what that means.
func (o *Orchestrator) Evaluate(ctx context.Context) failover.State {
	return o.evaluate(ctx, "", true)
}

// evaluate is Evaluate with the topology read from region's view when
// region is set and the database can (RegionalTopology). When that read
// fails: with fallback, from any region's, with a note saying so (a plan
// still needs a topology); without, the topology is unreadable (readiness
// is judged from that region's point of view alone). Every read is
// bounded by the Probe timeout, and the reads that may go to another
// region run at once, so a region that does not answer costs one Probe,
// not one per call.
func (o *Orchestrator) evaluate(ctx context.Context, region string, fallback bool) failover.State {
	s := failover.State{At: o.clock().Now(), Health: map[string]failover.APIHealth{}}
	_, s.FencesIDs = o.DB.(failover.IDFencer)
	rt, regional := o.DB.(failover.RegionalTopology)
	regional = regional && region != ""
	var fromErr error
	if regional {
		tctx, cancel := context.WithTimeout(ctx, o.timeouts().Probe)
		s.Topology, fromErr = rt.TopologyFrom(tctx, region)
		cancel()
		if fromErr == nil {
			s.TopologyFrom = region
		}
	}
	switch {
	case regional && fromErr == nil:
	case regional && !fallback:
		s.TopologyErr = fmt.Errorf("from %s: %w", region, fromErr)
	default:
		tctx, cancel := context.WithTimeout(ctx, o.timeouts().Probe)
		s.Topology, s.TopologyErr = o.DB.Topology(tctx)
		cancel()
		if fromErr != nil {
			s.TopologyNote = topologyNote(region, fromErr, s.TopologyErr)
		}
	}

	if o.Runs != nil {
		rctx, cancel := context.WithTimeout(ctx, o.timeouts().Probe)
		last, ok, err := o.Runs.LastRun(rctx)
		cancel()
		switch {
		case err != nil:
			s.LastRunErr = err
		case ok:
			s.LastRun = &last
		}
	}

	regions := slices.Clone(o.Regions)
	for _, m := range s.Topology.Members {
		if !slices.Contains(regions, m.Region) {
			regions = append(regions, m.Region)
		}
	}
	proxies, hasProxies := o.DB.(failover.ProxyInspector)
	guards, hasGuards := o.DB.(failover.SafeguardReader)
	fences, hasFences := o.DB.(failover.FenceReader)
	pools, hasPools := o.Prober.(failover.IdentityProber)
	if hasProxies {
		s.Proxies = map[string]failover.ProxyTargets{}
	}
	if hasGuards {
		s.Safeguards = map[string]failover.Safeguards{}
	}
	if hasFences {
		s.Fences = map[string]failover.FenceState{}
	}
	if hasPools {
		s.Pools = map[string]failover.UserPool{}
	}
	// fencesNotApplicable is set when the database cannot read fences in
	// this deployment (ErrNotApplicable): the State then has none.
	fencesNotApplicable := false

	// The probes record into s while they run, so the topology is read
	// from these copies, not from s.
	topology, topologyErr := s.Topology, s.TopologyErr
	var wg sync.WaitGroup
	var mu sync.Mutex
	// probe runs read in a goroutine of its own, bounded by Probe, and
	// records its result under the lock.
	probe := func(read func(ctx context.Context) func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, o.timeouts().Probe)
			defer cancel()
			record := read(ctx)
			mu.Lock()
			record()
			mu.Unlock()
		}()
	}
	probe(func(ctx context.Context) func() {
		active, err := o.Router.Active(ctx)
		return func() { s.Active, s.ActiveErr = active, err }
	})
	for _, r := range regions {
		probe(func(ctx context.Context) func() {
			h, err := o.Prober.Health(ctx, r)
			if err != nil {
				h = failover.APIHealth{Region: r, Detail: err.Error()}
			}
			h.Region = r
			return func() { s.Health[r] = h }
		})
		if hasProxies {
			probe(func(ctx context.Context) func() {
				pt, err := proxies.ProxyTargets(ctx, r)
				if err != nil {
					pt = failover.ProxyTargets{Detail: err.Error()}
				}
				pt.Region = r
				return func() { s.Proxies[r] = pt }
			})
		}
		if hasGuards {
			// The safeguards of the member the topology reported in r:
			// the adapter acts on it, without reading the topology again.
			if m, ok := topology.Member(r); ok {
				probe(func(ctx context.Context) func() {
					g, err := guards.Safeguards(ctx, topology, m)
					if err != nil {
						g = failover.Safeguards{Detail: err.Error()}
					}
					g.Region = r
					return func() { s.Safeguards[r] = g }
				})
			} else {
				g := failover.Safeguards{Region: r, Detail: noMember(topology, topologyErr, r)}
				mu.Lock()
				s.Safeguards[r] = g
				mu.Unlock()
			}
		}
		if hasFences {
			probe(func(ctx context.Context) func() {
				f, err := fences.FenceState(ctx, r)
				na := errors.Is(err, failover.ErrNotApplicable)
				if err != nil {
					f = failover.FenceState{Detail: err.Error()}
				}
				f.ReadIn, f.Known = r, err == nil
				return func() {
					fencesNotApplicable = fencesNotApplicable || na
					s.Fences[r] = f
				}
			})
		}
		if hasPools {
			probe(func(ctx context.Context) func() {
				up, err := pools.UserPool(ctx, r)
				na := errors.Is(err, failover.ErrNotApplicable)
				if err != nil {
					up = failover.UserPool{Detail: err.Error()}
				}
				up.Region = r
				return func() {
					if na {
						s.PoolsNotApplicable = err.Error()
						return
					}
					s.Pools[r] = up
				}
			})
		}
	}
	wg.Wait()
	if fencesNotApplicable {
		s.Fences = nil
	}
	if s.PoolsNotApplicable != "" {
		s.Pools = nil
	}
	return s
}

// Plan evaluates the current state and plans a run of the given kind.
// An unplanned failover or a detach plans from the topology as its target
// region reads it (RegionalTopology), and a plan that may lose data
// (plan.Plan.MayLoseData) reads the target's lag history (LagHistorian)
// for the bound on lost writes; a switchover, which loses nothing, does
// not. Only the target's region is asked: the other may be the lost one,
// whose calls hang until their deadline.
//
// Planning reads the topology once: from the target region when the
// target is named, else from any region. Only an unplanned failover or a
// detach without a named target on a RegionalTopology reads it twice: the
// first read chooses the target, whose region's view the plan is then
// made from. The run reads it again only to wait (Execute).
func (o *Orchestrator) Plan(ctx context.Context, kind failover.Kind, opts plan.Options) (failover.State, plan.Plan, error) {
	planFor, ok := plan.ForKind(kind)
	if !ok {
		return failover.State{}, plan.Plan{}, fmt.Errorf("unknown plan kind %q", kind)
	}
	var s failover.State
	if _, regional := o.DB.(failover.RegionalTopology); regional && kind != failover.KindPlanned && opts.Target == "" {
		s = o.Evaluate(ctx)
		s = o.fromTarget(ctx, s, planFor(s, opts).To)
	} else {
		from := ""
		if kind != failover.KindPlanned {
			from = opts.Target
		}
		s = o.evaluate(ctx, from, true)
	}
	p := planFor(s, opts)
	if p.MayLoseData() {
		o.readLagHistory(ctx, &s, p.To)
		p = planFor(s, opts)
	}
	return s, p, nil
}

// fromTarget re-reads the topology from the target region when the
// database can, and notes why when it cannot.
func (o *Orchestrator) fromTarget(ctx context.Context, s failover.State, target string) failover.State {
	rt, ok := o.DB.(failover.RegionalTopology)
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

// readLagHistory reads the target member's lag history, bounded by the
// Probe timeout. A history that cannot be read is kept as evidence
// without a bound that says why.
func (o *Orchestrator) readLagHistory(ctx context.Context, s *failover.State, target string) {
	lh, ok := o.DB.(failover.LagHistorian)
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
		ev = failover.LagEvidence{Why: fmt.Sprintf("cannot read the lag history: %v", err)}
	}
	ev.Region = m.Region
	s.LagEvidence = map[string]failover.LagEvidence{m.Region: ev}
}

// Readiness evaluates the state from region from's point of view (the
// topology read from its own region's API when the database can, every
// other part bounded by the Probe timeout, so a region that does not
// answer is a failing check, not a hang) and assesses both plans. It
// changes nothing: it reads, and never executes a step.
func (o *Orchestrator) Readiness(ctx context.Context, from string, opts plan.Options) (failover.State, []assess.Readiness) {
	s := o.evaluate(ctx, from, false)
	return s, assess.Plans(s, from, opts)
}

// Run evaluates, plans, prints the plan, and executes it when it has no
// refusals.
func (o *Orchestrator) Run(ctx context.Context, kind failover.Kind, opts plan.Options) (Report, error) {
	_, p, err := o.Plan(ctx, kind, opts)
	if err != nil {
		return Report{}, err
	}
	o.emit(Event{Kind: EventPlan, Plan: &p, Message: p.Summary()})
	return o.Execute(ctx, p)
}

// Execute asks for approval, then runs the plan's steps in order, each
// checking its post-condition first and skipping what is already done.
// It stops at the first failed step. The report is returned in every
// case; the error is the refusal, the declined approval or the failure.
func (o *Orchestrator) Execute(ctx context.Context, p plan.Plan) (Report, error) {
	r := Report{Kind: p.Kind, GlobalID: p.GlobalID, From: p.From, To: p.To, Lag: p.Lag, LagKnown: p.LagKnown, LagEvidence: p.LagEvidence,
		DataLoss: p.MayLoseData()}
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
	if p.Kind == failover.KindUnplanned {
		run.recoverySnapshot(ctx)
	}
	o.record(ctx, r)
	o.emit(Event{Kind: EventDone, Report: &r, Elapsed: r.Took})
	return r, nil
}

// record keeps the run's outcome in the RunLog, even when ctx was
// cancelled (an interrupted run is the one a re-run must know about).
func (o *Orchestrator) record(ctx context.Context, r Report) {
	if o.Runs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.timeouts().Probe)
	defer cancel()
	rec := failover.RunRecord{Kind: r.Kind, GlobalID: r.GlobalID, From: r.From, To: r.To, Verified: r.Verified, At: r.Started, Error: r.Error, DataLoss: r.DataLoss}
	if err := o.Runs.RecordRun(ctx, rec); err != nil {
		o.emit(Event{Kind: EventWarning, Message: fmt.Sprintf("could not record this run, so a re-run will plan without it: %v", err)})
	}
}

func (o *Orchestrator) clock() failover.Clock {
	if o.Clock == nil {
		return failover.RealClock
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

// noMember says why region has no safeguards to read: the topology was
// not read, or it has no member there (a region the orchestrator probes
// beside the members, or one whose cluster was detached).
func noMember(t failover.Topology, topologyErr error, region string) string {
	if topologyErr != nil {
		return fmt.Sprintf("the global database could not be read, so its cluster in %s is not known", region)
	}
	return fmt.Sprintf("the global database %s has no member in %s", t.ID, region)
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

// errNotEnded is the error of the record written before the first step:
// the run replaces it when it ends.
const errNotEnded = "the run did not record its end (interrupted?)"
