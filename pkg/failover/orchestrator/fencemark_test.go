package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// TestEvaluateReadsTheFences: Evaluate reads the id fence in every
// region at once, each read bounded by the probe timeout, so a region
// that does not answer is a fence not read, never a hang; a database that
// cannot read fences in its deployment (ErrNotApplicable), or does not
// implement FenceReader, leaves the State without fences, as before.
func TestEvaluateReadsTheFences(t *testing.T) {
	t.Run("every region", func(t *testing.T) {
		w := newWorld()
		h := newHarness(t, w)
		s := h.o.Evaluate(context.Background())
		want := map[string]failover.FenceState{
			east: {ReadIn: east, Known: true, Region: east, Term: 1},
			west: {ReadIn: west, Known: true, Region: east, Term: 1},
		}
		if diff := cmp.Diff(want, s.Fences); diff != "" {
			t.Errorf("fences (-want +got):\n%s", diff)
		}
		mark, ok := s.FenceMark()
		if !ok || !mark.Names(east) || mark.Fence.Term != 1 {
			t.Errorf("mark %+v (%t), want it naming %s at term 1", mark, ok, east)
		}
	})
	t.Run("a region that hangs", func(t *testing.T) {
		w := newWorld()
		h := newHarness(t, w)
		// Real deadlines: keep them short.
		h.o.Timeouts.Probe = 50 * time.Millisecond
		w.hang[east] = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s := h.o.Evaluate(ctx)
		if ctx.Err() != nil {
			t.Fatal("the evaluation ran past the test's deadline")
		}
		if f := s.Fences[east]; f.Known || !strings.Contains(f.Detail, "deadline exceeded") || f.ReadIn != east {
			t.Errorf("fence in the region that hangs %+v, want not known, ended by its deadline", f)
		}
		if f := s.Fences[west]; !f.Known || f.Region != east {
			t.Errorf("fence in %s %+v, want read", west, f)
		}
	})
	t.Run("not applicable", func(t *testing.T) {
		w := newWorld()
		h := newHarness(t, w)
		h.o.DB = notApplicableFences{snapshotDB{db{w}}}
		if s := h.o.Evaluate(context.Background()); s.Fences != nil {
			t.Errorf("fences %+v, want none", s.Fences)
		}
		_, p, err := h.o.Plan(context.Background(), failover.KindUnplanned, plan.Options{})
		if err != nil || p.FenceMark != nil || strings.Contains(p.String(), "id fence now") || slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, "id fence") }) {
			t.Errorf("plan without fences shows one: %v\n%s", err, p)
		}
	})
	t.Run("no FenceReader", func(t *testing.T) {
		w := newWorld()
		h := newHarness(t, w)
		h.o.DB = plainDB{db{w}}
		if s := h.o.Evaluate(context.Background()); s.Fences != nil {
			t.Errorf("fences %+v, want none", s.Fences)
		}
		if w.fenceReads != 0 {
			t.Errorf("%d fence reads, want none", w.fenceReads)
		}
	})
}

// notApplicableFences is a database whose deployment gives it no way to
// read the fence (AWS's adapter without migrate functions, as the
// readiness function builds it).
type notApplicableFences struct{ snapshotDB }

func (notApplicableFences) FenceState(context.Context, string) (failover.FenceState, error) {
	return failover.FenceState{}, fmt.Errorf("no migrate function to read the id fence through: %w", failover.ErrNotApplicable)
}

// TestPlanPrintsTheFence: failover:plan prints what the fence read, in
// every kind of plan, so an operator sees a move that has not finished.
func TestPlanPrintsTheFence(t *testing.T) {
	w := newWorld()
	w.down[west] = errors.New("dial tcp: i/o timeout")
	h := newHarness(t, w)
	for _, kind := range []failover.Kind{failover.KindPlanned, failover.KindUnplanned, failover.KindDetach} {
		_, p, err := h.o.Plan(context.Background(), kind, plan.Options{Target: west})
		if err != nil {
			t.Fatal(err)
		}
		want := "  id fence now: names us-east-1 (term 1); read in us-east-1 names us-east-1 (term 1); us-west-2 cannot read: dial tcp: i/o timeout\n"
		if !strings.Contains(p.String(), want) {
			t.Errorf("%s plan lacks %q:\n%s", kind, want, p)
		}
	}
}

// TestSwitchoverFinishesAMoveTheFenceShowsUnfinished: a planned
// switchover without a target, when the writer moved and the route
// followed but the fence did not (another machine's run stopped before
// its fence step, or a console switchover), finishes that move rather
// than switching back: switching back would find the fence naming the
// old region already, skip it, and open creates there at once with a
// counter that may not be past the ids the other writer handed out. It
// fences with a gap, since nothing says the move was lossless.
func TestSwitchoverFinishesAMoveTheFenceShowsUnfinished(t *testing.T) {
	s := healthyState(t)
	s.Topology.Members[0].Writer, s.Topology.Members[1].Writer = false, true
	s.Topology.Members[0].Sync, s.Topology.Members[0].Lag, s.Topology.Members[0].LagKnown = "connected", 100*time.Millisecond, true
	s.Active = west
	p := plan.Switchover(s, plan.Options{})
	if err := p.Err(); err != nil || p.To != west {
		t.Fatalf("plan to %s (%v), want %s\n%s", p.To, err, west, p)
	}
	if p.Fence == nil || !p.Fence.DataLoss {
		t.Errorf("fence %+v, want one with a gap", p.Fence)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "a move to us-west-2 has not finished (creates stay closed there until the fence names it), so this run finishes it instead of switching back") {
		t.Errorf("notes %q, want the fence's", p.Notes)
	}
	if p := plan.Switchover(s, plan.Options{Target: east}); p.Err() != nil || p.To != east {
		t.Errorf("named target: plan to %s (%v), want %s\n%s", p.To, p.Err(), east, p)
	}
	// Once fenced, the same command switches back.
	fenced(&s, west, 2)
	if p := plan.Switchover(s, plan.Options{}); p.Err() != nil || p.To != east {
		t.Errorf("after the fence: plan to %s (%v), want %s\n%s", p.To, p.Err(), east, p)
	}
}

// TestSwitchoverLeavesADetachedWriterAlone: after a finished detach the
// traffic goes to the standalone writer; a planned switchover must not
// move it back to the global database it left (its writes exist nowhere
// else), whichever machine plans it; naming the target still overrides.
func TestSwitchoverLeavesADetachedWriterAlone(t *testing.T) {
	s := healthyState(t)
	s.Topology.Members = s.Topology.Members[:1]
	s.Active = west
	s.Fences[west] = failover.FenceState{ReadIn: west, Known: true, Region: west, Term: 2}
	p := plan.Switchover(s, plan.Options{})
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "a standalone writer since a detach") {
		t.Errorf("switchover after a detach: %v, want the detached-writer refusal\n%s", err, p)
	}
	if !slices.Contains(p.Failing(), plan.CheckDetachedWriter) {
		t.Errorf("failing %+v, want %s", p.Failing(), plan.CheckDetachedWriter)
	}
}
