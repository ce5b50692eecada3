package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// run is one execution's state.
type run struct {
	o     *Orchestrator
	p     plan.Plan
	r     *Report
	t     Timeouts
	start time.Time
	index int
	step  plan.Step
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
func (x *run) do(ctx context.Context, s plan.Step) (skipped bool, detail string, err error) {
	switch s.Action {
	case plan.ActionSwitchover:
		return x.promote(ctx, "switchover", func(ctx context.Context, to failover.Member) error {
			if !x.p.FromMember.Writer {
				// Planning names the writer whenever this step has work.
				return fmt.Errorf("the plan names no writer to switch %s from", x.p.To)
			}
			return x.o.DB.Switchover(ctx, x.p.FromMember, to)
		})
	case plan.ActionFailover:
		return x.promote(ctx, "failover with data loss allowed", func(ctx context.Context, to failover.Member) error { return x.o.DB.Failover(ctx, to, true) })
	case plan.ActionDetach:
		return x.detach(ctx)
	case plan.ActionWaitWriter:
		return false, "", x.waitWriter(ctx)
	case plan.ActionWaitDetached:
		return false, "", x.waitDetached(ctx)
	case plan.ActionRoute:
		return x.route(ctx)
	case plan.ActionFenceIDs:
		return x.fence(ctx)
	case plan.ActionVerifyWrite:
		d, err := x.verify(ctx)
		return false, d, err
	}
	return false, "", fmt.Errorf("unknown step action %q", s.Action)
}

// topology reads the topology. An unplanned failover or a detach asks
// its target region first (RegionalTopology): the old writer's region may
// answer with a stale view, or not at all. When the target region does
// not answer, any region's view is used, with a warning the first time.
func (x *run) topology(ctx context.Context) (failover.Topology, error) {
	if rt, ok := x.o.DB.(failover.RegionalTopology); ok && x.p.Kind != failover.KindPlanned && x.p.To != "" {
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

// promote issues a switchover or failover of the plan's target member
// unless, when planned, it already was the writer or an operation
// promoting it was already in progress. It reads no topology: the plan
// was made from one a moment ago, and the wait that follows polls it. A
// state that changed in between (say, while the operator approved) makes
// the database refuse the call, and running again plans afresh.
func (x *run) promote(ctx context.Context, what string, call func(context.Context, failover.Member) error) (bool, string, error) {
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
// unless the plan found it outside already (plan.Detach then leaves its ID
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
		case m.Status != failover.StatusAvailable:
			return false, fmt.Sprintf("%s is the writer, cluster status %s", x.p.To, orUnknown(m.Status)), nil
		case x.p.Kind == failover.KindPlanned && (t.Status != failover.StatusAvailable || t.Operation != ""):
			// A switchover keeps every member: wait for all of it.
			return false, fmt.Sprintf("%s is the writer, global database %s%s", x.p.To, orUnknown(t.Status), opSuffix(t)), nil
		}
		return true, "", nil
	})
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

func opSuffix(t failover.Topology) string {
	if t.Operation == "" {
		return ""
	}
	return ", operation " + t.Operation
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

// fence runs the id fence on the target's writer, retrying with backoff
// within the Fence timeout (right after a promotion the writer's endpoint
// may still refuse writes); each call is bounded by Probe. The report
// keeps what the fence did.
func (x *run) fence(ctx context.Context) (bool, string, error) {
	f, ok := x.o.DB.(failover.IDFencer)
	if !ok || x.p.Fence == nil {
		return false, "", errors.New("this database cannot fence ids")
	}
	req := *x.p.Fence
	var res failover.FenceResult
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

// verify writes through the front door until the target serves a write.
// Failed writes and writes served elsewhere are retried until the timeout:
// the front door's change takes a little while to reach every edge. A
// WritePreparer prepares each attempt under a deadline of its own.
func (x *run) verify(ctx context.Context) (string, error) {
	var served string
	err := x.wait(ctx, x.t.Verify, fmt.Sprintf("a write through the front door served by %s", x.p.To), func(ctx context.Context) (bool, string, error) {
		if wp, ok := x.o.Prober.(failover.WritePreparer); ok {
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

func (x *run) recoverySnapshot(ctx context.Context) {
	rs, ok := x.o.DB.(failover.RecoverySnapshotter)
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
