// Package failover switches the active region of ToDoMgmt: it evaluates the
// state of the global database, the front door and both regions' APIs,
// plans the steps of a planned switchover or an unplanned failover, asks
// for approval, executes the steps and reports what it measured.
//
// It is written once, against the small interfaces in interfaces.go: the
// AWS adapters (pkg/awsops) and the local lab (pkg/lab) implement them.
//
// Every plan that moves the writer fences the id counter on the new
// writer (IDFencer) before it checks a write, so that no id is handed out
// twice across a failover with data loss; after a run that stopped half
// way, an unplanned failover goes towards the current writer and never
// promotes the region that run was leaving.
//
// A run is Evaluate → PlanSwitchover / PlanFailover / PlanDetach →
// Execute. Planning is a pure function of the State, so a dry run
// (mage failover:plan) shows exactly what a run would do and why it would
// refuse. Every executed step checks its post-condition first, so running
// the same command again after a partial failure finishes the job instead
// of repeating it.
package failover

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind is the kind of a plan.
type Kind string

const (
	// KindPlanned is a switchover between healthy regions, without data
	// loss (RPO 0). Running it again moves the writer back (failback).
	KindPlanned Kind = "planned"
	// KindUnplanned is a failover away from a writer region assumed lost:
	// the route moves first, then the target is promoted with data loss
	// allowed.
	KindUnplanned Kind = "unplanned"
	// KindDetach detaches the target from the global database, which makes
	// it a standalone writable cluster: the last resort when a managed
	// failover cannot run. The global database is not rebuilt afterwards.
	KindDetach Kind = "detach"
)

// Title names the kind for people.
func (k Kind) Title() string {
	switch k {
	case KindPlanned:
		return "planned switchover"
	case KindUnplanned:
		return "unplanned failover"
	case KindDetach:
		return "detach and promote"
	}
	return string(k)
}

// Action is what a step does.
type Action string

const (
	// ActionSwitchover calls Database.Switchover with the target member.
	ActionSwitchover Action = "switchover"
	// ActionFailover calls Database.Failover with the target member and
	// allowDataLoss true.
	ActionFailover Action = "failover"
	// ActionDetach calls Database.Detach with the target member.
	ActionDetach Action = "detach"
	// ActionWaitWriter polls the topology until the target is the writer
	// (planned: and the global cluster is available again).
	ActionWaitWriter Action = "wait-writer"
	// ActionWaitDetached polls the topology until the target has left the
	// global database.
	ActionWaitDetached Action = "wait-detached"
	// ActionRoute sends the front door's traffic to the target region and
	// waits until the router reports it.
	ActionRoute Action = "route"
	// ActionFenceIDs fences the id counter on the target's writer
	// (IDFencer): creates open there, past any id the old writer can
	// have handed out. It runs once the target is confirmed as the
	// writer, before the write check.
	ActionFenceIDs Action = "fence-ids"
	// ActionVerifyWrite writes through the front door until the write is
	// served by the target region.
	ActionVerifyWrite Action = "verify-write"
)

// Step is one step of a plan.
type Step struct {
	Action Action `json:"action"`
	// Summary says what the step does, for people.
	Summary string `json:"summary"`
}

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
	//   - when the last run (State.LastRun) moved the writer and the
	//     route but did not verify a write, that run's target, with the
	//     id fence and the write check as the only steps (a detach that
	//     stopped after the target left the global database likewise);
	//   - planned: the writer when the front door sends traffic
	//     elsewhere (a previous run moved the writer but not the route),
	//     else the other region (so running it again fails back);
	//   - unplanned: the member an operation in progress promotes; else,
	//     when the front door sends traffic to a region that is not the
	//     writer, the writer if it is healthy (its cluster available and
	//     its API answering: no promotion at all), or the routed region
	//     if the writer does not look healthy; else the other region.
	//     It refuses instead of choosing the region the last unverified
	//     run was leaving.
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

// Plan is what a run would do, decided from a State.
type Plan struct {
	Kind Kind
	// GlobalID names the global database.
	GlobalID string
	// From and To name the regions losing and gaining the writer and the
	// traffic. From is empty when it cannot be told.
	From, To string
	// FromMember and ToMember are the members as the topology showed them:
	// the steps act on them.
	FromMember, ToMember Member
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
	// fault, when the database keeps one (LagHistorian) and the plan may
	// lose data; Lag is its bound when it has one.
	LagEvidence *LagEvidence
	// MaxLag is the bound a planned switchover was checked against.
	MaxLag time.Duration
	// RouteAtStart is the front door's region when planned ("" if unknown).
	RouteAtStart string
	// Fence is what the fence-ids step asks for; nil when the plan has
	// no fence step (the database cannot fence ids).
	Fence *FenceRequest
	// Findings are the checks that do not hold, in the order found: each
	// refusal (also in Refusals) and each warning (the plan would run,
	// but something it relies on is missing).
	Findings []Finding
	// Checked are the checks the plan made, whatever their outcome;
	// Skipped those it could not make, and why.
	Checked []Check
	Skipped []Skip
}

// RefusedError is returned by Plan.Err and Execute when a plan has
// refusals.
type RefusedError struct {
	Kind    Kind
	Reasons []string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s refused: %s", e.Kind.Title(), strings.Join(e.Reasons, "; "))
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
	lossy := p.Kind != KindPlanned || p.Fence != nil && p.Fence.DataLoss
	switch {
	case p.LagKnown && !lossy:
		fmt.Fprintf(&b, "  replication lag of %s: %s (bound %s)\n", p.To, p.Lag, p.MaxLag)
	case p.LagKnown:
		fmt.Fprintf(&b, "  replication lag of %s: %s (writes newer than this may be lost)\n", p.To, p.Lag)
	case p.To != "":
		fmt.Fprintf(&b, "  replication lag of %s: unknown\n", p.To)
	}
	if p.LagEvidence != nil {
		writeEvidence(&b, *p.LagEvidence)
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

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

func (p *Plan) note(format string, args ...any) {
	p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
}

// statusAvailable is the only status string treated as ready. Status sets
// are open: anything else, including values this code has never seen,
// means "not yet".
const statusAvailable = "available"

// syncConnected is the only synchronization status treated as in sync.
const syncConnected = "connected"

// PlanSwitchover plans a planned switchover (RPO 0). It refuses unless the
// topology is readable, no operation is in progress and the global cluster
// is available, both clusters are available and have instances, their
// engine versions match, every reader is in sync with a known lag under
// the bound, both regions' APIs answer, the front door can be read and,
// where the database tells (ProxyInspector), the target region's proxy
// has an available target. It warns, without refusing, when the front
// door does not send traffic to the writer, the writer region's proxy has
// no available read/write target, a user pool does not answer, or a
// safeguard is not as the deployment asks (see Check). The id fence
// follows the writer's move without a gap: nothing was lost.
func PlanSwitchover(s State, o Options) Plan {
	if p, ok := finishLastRun(s, o, KindPlanned); ok {
		return p
	}
	p := Plan{Kind: KindPlanned, MaxLag: o.maxLag(), RouteAtStart: s.Active}
	s.noteLastRunErr(&p)
	if s.TopologyErr != nil {
		p.refuse(CheckTopology, "cannot read the global database topology: %v", s.TopologyErr)
		return p
	}
	t := s.Topology
	p.GlobalID = t.ID
	writer, ok := s.onlyWriter(&p)
	if len(t.Members) < 2 {
		p.refuse(CheckTopology, "the global database has %d member(s); a switchover needs two clusters", len(t.Members))
	}
	if !ok {
		return p
	}
	target, ok := s.chooseTarget(&p, o.Target, writer, true)
	if !ok {
		return p
	}
	p.ToMember, p.To = target, target.Region
	p.FromMember, p.From = writer, writer.Region
	// A switchover this run requests loses nothing; a writer that moved
	// before this run did so without data loss only if the last run
	// says it was a switchover.
	lossless := !target.Writer || s.movedLosslessly(target.Region)
	if target.Writer {
		// Finishing a previous run: the writer moved, the route did not.
		if s.ActiveErr == nil && s.Active != "" && s.Active != target.Region {
			p.From = s.Active
			if m, ok := t.Member(s.Active); ok {
				p.FromMember = m
			}
			p.note("%s is already the writer but the front door sends traffic to %s: this run finishes a previous switchover (the switchover step will be skipped)", target.Region, s.Active)
		} else {
			p.note("%s is already the writer and takes the traffic: only the id fence and the write check will run", target.Region)
		}
		if !lossless {
			p.note("no record says a switchover moved the writer to %s, so the id fence leaves a gap as after a failover with data loss (it costs unused ids, never a reused one)", target.Region)
			s.lossBound(&p, target)
		}
	}

	if t.Operation != "" {
		p.refuse(CheckTopology, "an operation is in progress on the global database (failover state %q): wait until it ends (go tool mage status), then run again", t.Operation)
	}
	if t.Status != statusAvailable {
		p.refuse(CheckTopology, "the global database's status is %q, want %q", t.Status, statusAvailable)
	}
	for _, m := range t.Members {
		if m.Instances < 1 {
			p.refuse(CheckCluster, "the cluster in %s has no DB instance (a cluster without instances cannot take the writer role)", m.Region)
		}
		if m.Status != statusAvailable {
			p.refuse(CheckCluster, "the cluster in %s has status %q, want %q", m.Region, orUnknown(m.Status), statusAvailable)
		}
		if m.EngineVersion != writer.EngineVersion {
			p.refuse(CheckCluster, "engine versions differ: %s runs %q, %s runs %q (a switchover needs the same version)", writer.Region, writer.EngineVersion, m.Region, m.EngineVersion)
		}
		if !m.Writer && m.Sync != syncConnected {
			p.refuse(CheckReplication, "the cluster in %s is not in sync (synchronization status %q, want %q)", m.Region, orUnknown(m.Sync), syncConnected)
		}
	}
	if !target.Writer {
		p.Lag, p.LagKnown = target.Lag, target.LagKnown
		switch {
		case !target.LagKnown:
			p.refuse(CheckReplication, "the replication lag of %s is unknown", target.Region)
		case target.Lag > p.MaxLag:
			p.refuse(CheckReplication, "the replication lag of %s is %s, over the bound of %s", target.Region, target.Lag, p.MaxLag)
		}
	}
	for _, region := range s.Regions() {
		h, ok := s.Health[region]
		switch {
		case !ok:
			p.refuse(CheckAPIHealth, "the API in %s was not probed", region)
		case !h.OK:
			p.refuse(CheckAPIHealth, "the API in %s does not answer: %s", region, orUnknown(h.Detail))
		}
	}
	if s.ActiveErr != nil {
		p.refuse(CheckFrontDoor, "cannot read the front door's active region: %v", s.ActiveErr)
	}
	p.made(CheckTopology, CheckCluster, CheckReplication, CheckAPIHealth, CheckFrontDoor)
	s.checkRoute(&p, writer)
	s.checkProxies(&p, &writer, target)
	s.checkPools(&p, s.Regions())
	s.checkSafeguards(&p, s.Regions())

	switchover := fmt.Sprintf("switch the writer to %s (%s) without data loss; %s becomes a reader", p.To, target.ID, writer.Region)
	if target.Writer {
		switchover = fmt.Sprintf("make %s (%s) the writer: already done, will be skipped", p.To, target.ID)
	}
	p.Steps = []Step{
		{ActionSwitchover, switchover},
		{ActionWaitWriter, fmt.Sprintf("wait until %s is the writer and the global database is available", p.To)},
	}
	if s.fence(&p, !lossless) {
		p.Steps = append(p.Steps, fenceStep(p))
	} else {
		// Nothing was lost, so no id can be handed out twice; but a
		// store that gates creates on a fence refuses them in the new
		// region, and the write check says so.
		p.note("this database does not fence ids: creates in %s work only if its store does not wait for an id fence (the write check will tell)", p.To)
	}
	p.Steps = append(p.Steps,
		Step{ActionRoute, fmt.Sprintf("send the front door's traffic to %s", p.To)},
		verifyStep(p.To))
	return p
}

// PlanFailover plans an unplanned failover: the writer's region is assumed
// lost, so the route moves first (the old region cannot take writes
// anyway), then the target is promoted with data loss allowed and the id
// counter fenced past any id the old writer can have handed out. It
// refuses when the topology cannot be read, the target has no available
// cluster with an instance, another operation is in progress, or the
// database cannot fence ids. It warns, without refusing, about what the
// surviving side needs and lacks: the target's replication (while the
// writer still looks healthy), API, proxy target, user pool and
// safeguards, the front door's route, and recovery snapshots of an
// earlier failover that have no manual copy. After a run that stopped half way it goes
// towards the current writer (see Options.Target); when the target is
// already the writer nothing is promoted.
func PlanFailover(s State, o Options) Plan {
	if p, ok := finishLastRun(s, o, KindUnplanned); ok {
		return p
	}
	p := Plan{Kind: KindUnplanned, RouteAtStart: s.Active}
	s.noteLastRunErr(&p)
	target, ok := s.planAway(&p, o)
	if !ok {
		return p
	}
	s.lossBound(&p, target)
	writer, hasWriter := s.Topology.Writer()
	if hasWriter && writer.Region != target.Region && s.healthy(writer) {
		p.note("the API in %s still answers and its cluster is available: a planned switchover (go tool mage failover) loses no data", writer.Region)
	}
	p.made(CheckIDFence)
	if !s.fence(&p, true) {
		p.refuse(CheckIDFence, "%s", errNoFencer(p.To))
	}
	// What the failover needs of the side that survives, beyond what
	// it refuses without: none of it stops the run (the region it
	// leaves is assumed lost), but each is a reason it may not end well.
	if !hasWriter {
		p.warn(CheckTopology, "the global database does not have exactly one writer")
	}
	s.checkTargetReplication(&p, target, writer, hasWriter, o.maxLag())
	s.checkTargetAPI(&p, target)
	if s.ActiveErr != nil {
		p.warn(CheckFrontDoor, "cannot read the front door's active region: %v", s.ActiveErr)
	} else if hasWriter {
		s.checkRoute(&p, writer)
	}
	p.made(CheckFrontDoor)
	s.checkProxies(&p, nil, target)
	s.checkPools(&p, []string{target.Region})
	s.checkSafeguards(&p, []string{target.Region})
	s.checkRecoverySnapshots(&p, target.Region)
	if target.Writer {
		p.note("%s is already the writer: nothing is promoted; this run routes the traffic there, fences the ids and checks a write", target.Region)
		p.Steps = []Step{
			{ActionRoute, fmt.Sprintf("send the front door's traffic to %s, the writer", p.To)},
			fenceStep(p),
			verifyStep(p.To),
		}
		return p
	}
	p.Steps = []Step{
		{ActionRoute, fmt.Sprintf("send the front door's traffic to %s first (the old writer region is assumed lost)", p.To)},
		{ActionFailover, fmt.Sprintf("promote %s (%s) with data loss allowed", p.To, target.ID)},
		{ActionWaitWriter, fmt.Sprintf("wait until %s is the writer and its cluster is available", p.To)},
		fenceStep(p),
		verifyStep(p.To),
	}
	return p
}

// errNoFencer is the refusal of a plan that may lose data on a database
// that cannot fence ids.
func errNoFencer(to string) string {
	return fmt.Sprintf("this database cannot fence ids: after a failover with data loss the writer in %s would hand out again the ids of acknowledged creates it never received (and a store that gates creates on a fence would refuse them all)", to)
}

// finishLastRun plans the rest of the last run when that run got the
// writer to its target but did not verify a write there (the check timed
// out, or the run was interrupted after the writer moved): the id fence
// (skipped when done) and the write check. It applies when the writer
// and the route agree on the last run's target, or when the last run
// was a detach whose target has left the global database (then the
// route follows too). A plan from the state alone would move everything
// back. An explicit other target wins.
func finishLastRun(s State, o Options, kind Kind) (Plan, bool) {
	last := s.LastRun
	if last == nil || last.Verified || last.To == "" || s.TopologyErr != nil || s.ActiveErr != nil {
		return Plan{}, false
	}
	if o.Target != "" && o.Target != last.To {
		return Plan{}, false
	}
	if last.GlobalID != "" && last.GlobalID != s.Topology.ID {
		return Plan{}, false
	}
	writer, ok := s.Topology.Writer()
	_, member := s.Topology.Member(last.To)
	detached := last.Kind == KindDetach && !member
	switch {
	case detached:
		// A standalone writer now, outside the topology.
		writer = Member{Region: last.To}
	case !ok || writer.Region != last.To || s.Active != last.To:
		return Plan{}, false
	}
	p := Plan{Kind: kind, GlobalID: s.Topology.ID, From: last.From, To: last.To, ToMember: writer, RouteAtStart: s.Active, MaxLag: o.maxLag()}
	if m, ok := s.Topology.Member(last.From); ok {
		p.FromMember = m
	}
	started := last.At.UTC().Format(time.RFC3339)
	if detached {
		p.note("the last run (%s %s → %s, started %s) detached %s from the global database but did not verify a write there: this run finishes it (name another target region to move away instead)",
			last.Kind.Title(), orUnknown(last.From), last.To, started, last.To)
	} else {
		p.note("the last run (%s %s → %s, started %s) left the writer and the traffic in %s but did not verify a write there: this run finishes it with the id fence and the write check alone (name another target region to move away instead)",
			last.Kind.Title(), orUnknown(last.From), last.To, started, last.To)
	}
	if detached && s.Active != last.To {
		p.Steps = append(p.Steps, Step{ActionRoute, fmt.Sprintf("send the front door's traffic to %s", p.To)})
	}
	lossy := last.Kind != KindPlanned || last.DataLoss
	if lossy {
		s.lossBound(&p, writer)
	}
	switch {
	case s.fence(&p, lossy):
		p.Steps = append(p.Steps, fenceStep(p))
	case lossy:
		p.refuse(CheckIDFence, "%s", errNoFencer(p.To))
	default:
		p.note("this database does not fence ids: creates in %s work only if its store does not wait for an id fence (the write check will tell)", p.To)
	}
	p.Steps = append(p.Steps, verifyStep(p.To))
	return p, true
}

func (s State) noteLastRunErr(p *Plan) {
	if s.LastRunErr != nil {
		p.note("cannot read the last run's record (%v): planned from the state alone", s.LastRunErr)
	}
}

// movedLosslessly reports whether the last run was a switchover that
// moved the writer to region (verified or not).
func (s State) movedLosslessly(region string) bool {
	l := s.LastRun
	return l != nil && l.Kind == KindPlanned && !l.DataLoss && l.To == region && (l.GlobalID == "" || l.GlobalID == s.Topology.ID)
}

// leaving reports whether the last run, unverified, was moving the writer
// from one region to another: promoting from again would throw away the
// writes to took since.
func (s State) leaving(from, to string) bool {
	l := s.LastRun
	return l != nil && !l.Verified && l.From == from && l.To == to && (l.GlobalID == "" || l.GlobalID == s.Topology.ID)
}

// fence sets the plan's fence request and reports whether the database
// can fence at all. With dataLoss the request carries the plan's loss
// bound.
func (s State) fence(p *Plan, dataLoss bool) bool {
	if !s.FencesIDs {
		return false
	}
	f := FenceRequest{Region: p.To, DataLoss: dataLoss}
	if dataLoss && p.LagKnown {
		f.Lag = p.Lag
	}
	p.Fence = &f
	return true
}

func fenceStep(p Plan) Step {
	if p.Fence != nil && p.Fence.DataLoss {
		return Step{ActionFenceIDs, fmt.Sprintf("fence the ids in %s past any id the old writer can have handed out, then creates open there", p.To)}
	}
	return Step{ActionFenceIDs, fmt.Sprintf("fence the ids in %s (no gap: nothing was lost), then creates open there", p.To)}
}

// String says what the fence asks for.
func (f FenceRequest) String() string {
	if !f.DataLoss {
		return fmt.Sprintf("creates move to %s without a gap (nothing was lost)", f.Region)
	}
	lag := "unknown"
	if f.Lag > 0 {
		lag = f.Lag.String()
	}
	return fmt.Sprintf("creates move to %s past a gap sized from the data and the loss bound (%s)", f.Region, lag)
}

// lossBound sets the plan's bound on lost writes: the target's lag
// history around the fault when the database keeps one, else its latest
// lag (a writer has none).
func (s State) lossBound(p *Plan, target Member) {
	if !target.Writer {
		p.Lag, p.LagKnown = target.Lag, target.LagKnown
	}
	ev, ok := s.LagEvidence[target.Region]
	if ok {
		p.LagEvidence = &ev
	}
	switch {
	case ok && ev.Known:
		if p.LagKnown && p.Lag > ev.Bound {
			p.note("the replication lag of %s is %s now, more than the %s around the fault: it grows while the old writer is unreachable, and writes the old writer still took after the fault, if any, are lost too", target.Region, p.Lag, ev.Bound)
		}
		p.Lag, p.LagKnown = ev.Bound, true
	case ok && p.LagKnown:
		p.note("the lag history of %s gives no bound (%s): the bound is its latest lag", target.Region, orUnknown(ev.Why))
	case ok:
		p.note("the lag history of %s gives no bound (%s), so the data-loss bound is unknown", target.Region, orUnknown(ev.Why))
	case !p.LagKnown:
		p.note("the replication lag of %s is unknown, so the data-loss bound is unknown", target.Region)
	}
}

// PlanDetach plans the last resort: detach the target from the global
// database so it becomes a standalone writable cluster. It needs an
// explicit target. The old writer keeps its own copy; nothing replicates
// between them afterwards, and rebuilding the global database is manual.
// The id fence treats it as a failover with data loss.
func PlanDetach(s State, o Options) Plan {
	p := Plan{Kind: KindDetach, RouteAtStart: s.Active}
	if o.Target == "" {
		p.refuse(CheckTarget, "detach needs an explicit target region")
		return p
	}
	if s.TopologyErr == nil {
		if _, ok := s.Topology.Member(o.Target); !ok {
			// Already detached by an earlier run: route, fence and
			// verify remain.
			p.GlobalID = s.Topology.ID
			p.To, p.ToMember = o.Target, Member{Region: o.Target}
			p.note("%s is not a member of the global database (already detached?): the detach steps will be skipped", o.Target)
			s.lossBound(&p, p.ToMember)
			if !s.fence(&p, true) {
				p.refuse(CheckIDFence, "%s", errNoFencer(p.To))
			}
			p.Steps = detachSteps(p, "")
			return p
		}
	}
	target, ok := s.planAway(&p, o)
	if !ok {
		return p
	}
	if target.Writer {
		if others := len(s.Topology.Members) - 1; others > 0 {
			// Detaching the writer would not make anything writable that
			// is not already, and Aurora removes the writer last.
			p.refuse(CheckTarget, "%s is the writer of the global database, which has %d other member(s): detach promotes a reader; to move the writer use go tool mage failover (or failover:unplanned)", target.Region, others)
		} else {
			p.note("%s is the writer and the only member: detaching it leaves the global database empty", target.Region)
		}
	}
	s.lossBound(&p, target)
	p.made(CheckIDFence)
	if !s.fence(&p, true) {
		p.refuse(CheckIDFence, "%s", errNoFencer(p.To))
	}
	p.note("after a detach the regions no longer replicate: rebuilding the global database is a manual job")
	p.Steps = detachSteps(p, target.ID)
	return p
}

// verifyStep is every plan's last step.
func verifyStep(to string) Step {
	return Step{ActionVerifyWrite, fmt.Sprintf("write through the front door and check %s served it", to)}
}

func detachSteps(p Plan, id string) []Step {
	steps := []Step{
		{ActionRoute, fmt.Sprintf("send the front door's traffic to %s first", p.To)},
		{ActionDetach, fmt.Sprintf("detach %s (%s) from the global database; it becomes a standalone writer", p.To, orUnknown(id))},
		{ActionWaitDetached, fmt.Sprintf("wait until %s has left the global database", p.To)},
	}
	if p.Fence != nil {
		steps = append(steps, fenceStep(p))
	}
	return append(steps, verifyStep(p.To))
}

// planAway holds the checks shared by unplanned failover and detach.
func (s State) planAway(p *Plan, o Options) (Member, bool) {
	if s.TopologyErr != nil {
		p.refuse(CheckTopology, "cannot read the global database topology: %v", s.TopologyErr)
		return Member{}, false
	}
	t := s.Topology
	p.GlobalID = t.ID
	if s.TopologyNote != "" {
		p.note("%s", s.TopologyNote)
	}
	writer, hasWriter := t.Writer()
	target, ok := s.chooseTarget(p, o.Target, writer, false)
	if !ok {
		return Member{}, false
	}
	p.ToMember, p.To = target, target.Region
	if hasWriter {
		p.FromMember, p.From = writer, writer.Region
	}
	if target.Writer && s.ActiveErr == nil && s.Active != "" && s.Active != target.Region {
		p.From = s.Active
		if m, ok := t.Member(s.Active); ok {
			p.FromMember = m
		}
	}
	if target.Instances < 1 {
		p.refuse(CheckCluster, "the cluster in %s has no DB instance (a cluster without instances cannot be promoted)", target.Region)
	}
	if target.Status != statusAvailable {
		p.refuse(CheckCluster, "the cluster in %s has status %q, want %q", target.Region, orUnknown(target.Status), statusAvailable)
	}
	if t.Operation != "" {
		if t.OperationTo != "" && t.OperationTo == target.ID {
			p.Resumes = t.Operation
			p.note("an operation promoting %s is already in progress (failover state %q): this run resumes it", target.Region, t.Operation)
		} else {
			p.refuse(CheckTopology, "an operation is in progress on the global database (failover state %q): wait until it ends (go tool mage status), then run again", t.Operation)
		}
	}
	if s.ActiveErr != nil {
		p.note("cannot read the front door's active region (%v): the route step will set it anyway", s.ActiveErr)
	}
	p.made(CheckTopology, CheckCluster)
	return target, true
}

// onlyWriter returns the single writer, refusing when there is none or
// more than one.
func (s State) onlyWriter(p *Plan) (Member, bool) {
	var writers []Member
	for _, m := range s.Topology.Members {
		if m.Writer {
			writers = append(writers, m)
		}
	}
	switch len(writers) {
	case 0:
		p.refuse(CheckTopology, "no member of the global database is the writer")
		return Member{}, false
	case 1:
		return writers[0], true
	}
	p.refuse(CheckTopology, "%d members claim to be the writer (%s)", len(writers), strings.Join(regionsOf(writers), ", "))
	return Member{}, false
}

// chooseTarget picks the target member: the explicit region; else, for a
// planned switchover, the writer when the route points elsewhere (a
// previous run moved the writer but not the route) or the other member;
// else, for an unplanned failover or a detach, towardsWriter.
func (s State) chooseTarget(p *Plan, explicit string, writer Member, planned bool) (Member, bool) {
	t := s.Topology
	if explicit != "" {
		m, ok := t.Member(explicit)
		if !ok {
			p.refuse(CheckTarget, "no member of the global database is in %s (members: %s)", explicit, strings.Join(regionsOf(t.Members), ", "))
		}
		return m, ok
	}
	if !planned {
		return s.towardsWriter(p, writer)
	}
	if s.ActiveErr == nil && s.Active != "" && writer.Region != "" && s.Active != writer.Region {
		return writer, true
	}
	return s.otherThan(p, writer)
}

// towardsWriter picks an unplanned run's target so that a run after one
// that stopped half way moves the traffic towards the current writer and
// never promotes the region an unverified run was leaving:
//   - an operation promoting a member is in progress: that member (this
//     run promotes nothing itself);
//   - the front door sends traffic to a region that is not the writer (a
//     run stopped between moving one and the other): the writer if it is
//     healthy, which needs no promotion at all; else the routed region,
//     unless the last unverified run was leaving it for the writer;
//   - the parts agree: the other member (the writer's region is assumed
//     lost), unless the last unverified run was leaving it for the
//     writer.
//
// Where it refuses, naming the target explicitly overrides.
func (s State) towardsWriter(p *Plan, writer Member) (Member, bool) {
	t := s.Topology
	if t.Operation != "" && t.OperationTo != "" {
		if m, ok := t.memberByID(t.OperationTo); ok {
			p.note("an operation promoting %s is in progress (failover state %q): this run goes the same way and does not promote anything itself", m.Region, t.Operation)
			return m, true
		}
	}
	if s.ActiveErr == nil && s.Active != "" && writer.Region != "" && s.Active != writer.Region {
		if s.healthy(writer) {
			p.note("the front door sends traffic to %s but the writer is %s, whose cluster is available and whose API answers: a previous run stopped half way, and this run moves the traffic to the writer without promoting anything (name %s as the target to promote it instead)", s.Active, writer.Region, s.Active)
			return writer, true
		}
		if s.leaving(s.Active, writer.Region) {
			s.refuseLeaving(p, s.Active, writer)
			return Member{}, false
		}
		if m, ok := t.Member(s.Active); ok {
			p.note("the front door already sends traffic to %s and the writer %s does not look healthy (%s): this run continues towards %s", s.Active, writer.Region, s.unhealthy(writer), s.Active)
			return m, true
		}
	}
	m, ok := s.otherThan(p, writer)
	if ok && s.leaving(m.Region, writer.Region) {
		s.refuseLeaving(p, m.Region, writer)
		return Member{}, false
	}
	return m, ok
}

func (s State) refuseLeaving(p *Plan, from string, writer Member) {
	l := s.LastRun
	p.refuse(CheckLastRun, "the last run (%s %s → %s, started %s, not verified) moved the writer to %s: promoting %s again would throw away the writes %s took since. %s: go tool mage status tells; if %s is lost, name %s as the target to fail over to it anyway",
		l.Kind.Title(), l.From, l.To, l.At.UTC().Format(time.RFC3339), writer.Region, from, writer.Region,
		upperFirst(s.writerCondition(writer)), writer.Region, from)
}

func (s State) writerCondition(w Member) string {
	if s.healthy(w) {
		return fmt.Sprintf("%s looks healthy", w.Region)
	}
	return fmt.Sprintf("%s does not look healthy (%s)", w.Region, s.unhealthy(w))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// healthy reports whether m's cluster is available and its region's API
// answers: a writer that can take the traffic as it is.
func (s State) healthy(m Member) bool {
	h, ok := s.Health[m.Region]
	return m.Status == statusAvailable && ok && h.OK
}

// unhealthy says why healthy(m) is false.
func (s State) unhealthy(m Member) string {
	var why []string
	if m.Status != statusAvailable {
		why = append(why, fmt.Sprintf("cluster status %q", orUnknown(m.Status)))
	}
	switch h, ok := s.Health[m.Region]; {
	case !ok:
		why = append(why, "API not probed")
	case !h.OK:
		why = append(why, "API: "+orUnknown(h.Detail))
	}
	return strings.Join(why, ", ")
}

// otherThan returns the only member other than the writer.
func (s State) otherThan(p *Plan, writer Member) (Member, bool) {
	var others []Member
	for _, m := range s.Topology.Members {
		if m.Region != writer.Region {
			others = append(others, m)
		}
	}
	switch len(others) {
	case 0:
		p.refuse(CheckTopology, "no member other than the writer (%s) to move to", orUnknown(writer.Region))
		return Member{}, false
	case 1:
		return others[0], true
	}
	p.refuse(CheckTarget, "several regions could take over (%s): name the target", strings.Join(regionsOf(others), ", "))
	return Member{}, false
}

func regionsOf(ms []Member) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Region)
	}
	return out
}
