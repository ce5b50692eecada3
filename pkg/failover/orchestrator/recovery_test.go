package orchestrator

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// after stops a run once step a has succeeded; waiting stops it during
// step a's first wait.
func after(a plan.Action) func(Event) bool {
	return func(e Event) bool { return e.Kind == EventStepSucceeded && e.Step.Action == a }
}

func waiting(a plan.Action) func(Event) bool {
	return func(e Event) bool { return e.Kind == EventProgress && e.Step.Action == a }
}

// lose makes region's API and cluster unreachable, as in a regional
// outage: the API does not answer and the cluster cannot be described.
func lose(region string) func(*world) {
	return func(w *world) {
		w.healthErr[region] = errors.New("dial tcp: i/o timeout")
		w.down[region] = errors.New("dial tcp: i/o timeout")
		for i := range w.topo.Members {
			if w.topo.Members[i].Region == region {
				w.topo.Members[i].Status = ""
			}
		}
	}
}

// recordMode is what the re-run finds of the first run's record.
type recordMode int

const (
	recordKept  recordMode = iota // the record the run wrote when it stopped
	recordStart                   // the run died: only the record written before its first step
	recordNone                    // no run log at all (another machine, no cache directory)
)

// TestRecoveryTowardsTheWriter stops a real run of each kind at each of
// its stopping points, then runs failover:unplanned without a target. The
// re-run always goes towards the current writer (or refuses), and never
// promotes us-east-1, the region the first run was leaving.
func TestRecoveryTowardsTheWriter(t *testing.T) {
	for _, tt := range []struct {
		name   string
		kind   failover.Kind
		target string       // the first run's explicit target
		setup  func(*world) // before the first run
		stop   func(Event) bool
		then   func(*world) // between the runs
		record recordMode
		detach bool // the prober treats a region outside the global database as a standalone writer

		// The re-run: its target and steps, the calls it makes (the
		// fence is not a call), or its refusal.
		to     string
		steps  []plan.Action
		calls  []string
		refuse string
	}{
		// Planned switchover us-east-1 → us-west-2.
		{
			name: "planned: after the switchover was requested",
			kind: failover.KindPlanned, stop: after(plan.ActionSwitchover),
			to:    west,
			steps: []plan.Action{plan.ActionRoute, plan.ActionFailover, plan.ActionWaitWriter, plan.ActionFenceIDs, plan.ActionVerifyWrite},
			calls: []string{"Route(" + west + ")"}, // the promotion is the one in progress
		},
		{
			name: "planned: during wait-writer, the writer moved and the global database still switching",
			kind: failover.KindPlanned, setup: func(w *world) { w.flipAfter, w.globalSettle = 0, 3 }, stop: waiting(plan.ActionWaitWriter),
			to:    west,
			steps: []plan.Action{plan.ActionRoute, plan.ActionFenceIDs, plan.ActionVerifyWrite},
			calls: []string{"Route(" + west + ")"},
		},
		{
			name: "planned: after the writer moved, before the fence",
			kind: failover.KindPlanned, stop: after(plan.ActionWaitWriter),
			to:    west,
			steps: []plan.Action{plan.ActionRoute, plan.ActionFenceIDs, plan.ActionVerifyWrite},
			calls: []string{"Route(" + west + ")"},
		},
		{
			name: "planned: after the writer moved, before the fence, no record",
			kind: failover.KindPlanned, stop: after(plan.ActionWaitWriter), record: recordNone,
			to:    west,
			steps: []plan.Action{plan.ActionRoute, plan.ActionFenceIDs, plan.ActionVerifyWrite},
			calls: []string{"Route(" + west + ")"},
		},
		{
			name: "planned: after the fence, before the route",
			kind: failover.KindPlanned, stop: after(plan.ActionFenceIDs),
			to:    west,
			steps: []plan.Action{plan.ActionRoute, plan.ActionFenceIDs, plan.ActionVerifyWrite},
			calls: []string{"Route(" + west + ")"},
		},
		{
			name: "planned: after the route, before the write check",
			kind: failover.KindPlanned, stop: after(plan.ActionRoute),
			to:    west,
			steps: []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite},
		},
		{
			name: "planned: after the route, the process died",
			kind: failover.KindPlanned, stop: after(plan.ActionRoute), record: recordStart,
			to:    west,
			steps: []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite},
		},
		{
			name: "planned: the write check failed",
			kind: failover.KindPlanned, setup: func(w *world) { w.verifyErr = errors.New("502") }, then: func(w *world) { w.verifyErr = nil },
			to:    west,
			steps: []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite},
		},
		{
			name: "planned: after the writer moved, then the new writer's region is lost",
			kind: failover.KindPlanned, stop: after(plan.ActionWaitWriter), then: lose(west),
			refuse: "promoting us-east-1 again would throw away the writes us-west-2 took since",
		},

		// Unplanned failover us-east-1 → us-west-2, us-east-1 lost.
		{
			name: "unplanned: after the route",
			kind: failover.KindUnplanned, setup: lose(east), stop: after(plan.ActionRoute),
			to:    west,
			steps: []plan.Action{plan.ActionRoute, plan.ActionFailover, plan.ActionWaitWriter, plan.ActionFenceIDs, plan.ActionVerifyWrite},
			calls: []string{"Failover(" + westID + ", true)"},
		},
		{
			name: "unplanned: after the route, the writer healthy after all",
			kind: failover.KindUnplanned, stop: after(plan.ActionRoute),
			to:    east,
			steps: []plan.Action{plan.ActionRoute, plan.ActionFenceIDs, plan.ActionVerifyWrite},
			calls: []string{"Route(" + east + ")"},
		},
		{
			name: "unplanned: after the failover was requested",
			kind: failover.KindUnplanned, setup: lose(east), stop: after(plan.ActionFailover),
			to:    west,
			steps: []plan.Action{plan.ActionRoute, plan.ActionFailover, plan.ActionWaitWriter, plan.ActionFenceIDs, plan.ActionVerifyWrite},
		},
		{
			name: "unplanned: during wait-writer, the new writer's cluster not available yet",
			kind: failover.KindUnplanned, setup: func(w *world) { lose(east)(w); w.flipAfter, w.memberSettle = 0, 3 }, stop: waiting(plan.ActionWaitWriter),
			to:    west,
			steps: []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite},
		},
		{
			name: "unplanned: during wait-writer, no record",
			kind: failover.KindUnplanned, setup: func(w *world) { lose(east)(w); w.flipAfter, w.memberSettle = 0, 3 }, stop: waiting(plan.ActionWaitWriter), record: recordNone,
			refuse: `the cluster in us-east-1 has status "?"`,
		},
		{
			name: "unplanned: before the fence",
			kind: failover.KindUnplanned, setup: lose(east), stop: after(plan.ActionWaitWriter),
			to:    west,
			steps: []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite},
		},
		{
			name: "unplanned: before the fence, the old writer back",
			kind: failover.KindUnplanned, setup: lose(east), stop: after(plan.ActionWaitWriter),
			then: func(w *world) {
				delete(w.healthErr, east)
				w.topo.Members[0].Status = failover.StatusAvailable
			},
			to:    west,
			steps: []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite},
		},
		{
			name: "unplanned: after the fence, before the write check",
			kind: failover.KindUnplanned, setup: lose(east), stop: after(plan.ActionFenceIDs),
			to:    west,
			steps: []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite},
		},
		{
			name: "unplanned: the write check failed",
			kind: failover.KindUnplanned, setup: func(w *world) { lose(east)(w); w.verifyErr = errors.New("502") }, then: func(w *world) { w.verifyErr = nil },
			to:    west,
			steps: []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite},
		},

		// Detach of us-west-2, us-east-1 lost.
		{
			name: "detach: after the route",
			kind: failover.KindDetach, target: west, setup: lose(east), stop: after(plan.ActionRoute), detach: true,
			to:    west,
			steps: []plan.Action{plan.ActionRoute, plan.ActionFailover, plan.ActionWaitWriter, plan.ActionFenceIDs, plan.ActionVerifyWrite},
			calls: []string{"Failover(" + westID + ", true)"},
		},
		{
			name: "detach: after the detach",
			kind: failover.KindDetach, target: west, setup: lose(east), stop: after(plan.ActionDetach), detach: true,
			to:    west,
			steps: []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite},
		},
		{
			name: "detach: after the detach, no record",
			kind: failover.KindDetach, target: west, setup: lose(east), stop: after(plan.ActionDetach), record: recordNone, detach: true,
			refuse: "no member other than the writer (us-east-1) to move to",
		},
		{
			name: "detach: after the fence",
			kind: failover.KindDetach, target: west, setup: lose(east), stop: after(plan.ActionFenceIDs), detach: true,
			to:    west,
			steps: []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite},
		},
		{
			name: "detach: the write check failed",
			kind: failover.KindDetach, target: west, setup: func(w *world) { lose(east)(w); w.verifyErr = errors.New("502") }, then: func(w *world) { w.verifyErr = nil }, detach: true,
			to:    west,
			steps: []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			if tt.setup != nil {
				tt.setup(w)
			}
			h := newHarness(t, w)
			if tt.detach {
				h.o.Prober = detachProber{w: w}
			}
			runs := &runLog{}
			h.o.Runs = runs
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			h.o.Printer = PrinterFunc(func(e Event) {
				h.rec.Print(e)
				if tt.stop != nil && tt.stop(e) {
					cancel()
				}
			})
			if r, err := h.o.Run(ctx, tt.kind, plan.Options{Target: tt.target}); err == nil {
				t.Fatalf("first run did not stop:\n%s", r)
			}
			if tt.then != nil {
				tt.then(w)
			}
			switch tt.record {
			case recordStart:
				start := runs.saved[0]
				if start.Error != errNotEnded || start.Verified {
					t.Fatalf("first record %+v, want the unverified start record", start)
				}
				runs.last = &start
			case recordNone:
				h.o.Runs = nil
			}
			h.o.Printer = h.rec
			before := len(w.Calls())

			_, p, err := h.o.Plan(context.Background(), failover.KindUnplanned, plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := h.o.Execute(context.Background(), p)
			again := w.Calls()[before:]
			for _, c := range again {
				if strings.Contains(c, eastID) && !strings.HasPrefix(c, "Route(") {
					t.Errorf("the re-run called %s: it promoted the region the first run was leaving", c)
				}
			}
			if tt.refuse != "" {
				if err == nil || !strings.Contains(err.Error(), tt.refuse) {
					t.Errorf("re-run error %v, want a refusal containing %q\n%s", err, tt.refuse, p)
				}
				if len(again) != 0 {
					t.Errorf("a refused re-run made calls %q", again)
				}
				return
			}
			if p.To != tt.to {
				t.Errorf("re-run target %s, want %s\n%s", p.To, tt.to, p)
			}
			if diff := cmp.Diff(tt.steps, actions(p)); diff != "" {
				t.Errorf("re-run steps (-want +got):\n%s\n%s", diff, p)
			}
			if err != nil || !r.Verified {
				t.Fatalf("re-run: %v (verified=%t)\n%s", err, r.Verified, r)
			}
			if diff := cmp.Diff(tt.calls, again, cmpEmpty()); diff != "" {
				t.Errorf("re-run calls (-want +got):\n%s", diff)
			}
			if w.route != tt.to || w.fenceRegion != tt.to {
				t.Errorf("after the re-run the route is %s and the id fence names %s, want %s", w.route, w.fenceRegion, tt.to)
			}
			// Whatever the re-run's own kind, a move that may have lost
			// data is fenced with a gap.
			if last := w.fences[len(w.fences)-1]; tt.kind != failover.KindPlanned && tt.to == west && !last.DataLoss {
				t.Errorf("last fence %+v, want one with data loss after a %s run", last, tt.kind)
			}
		})
	}
}

// cmpEmpty treats nil and empty slices alike.
func cmpEmpty() cmp.Option {
	return cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Comparer(func(a, b []string) bool { return true }))
}

// TestTowardsTheWriterWithoutARun: the rules hold for states no run of
// this tool left (a console failover, a manual route change).
func TestTowardsTheWriterWithoutARun(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(*failover.State)
		to     string
		note   string
		refuse string
	}{
		{name: "consistent: move away from the writer", to: west, note: "a planned switchover (go tool mage failover) loses no data"},
		{name: "route elsewhere, writer healthy: to the writer", mutate: func(s *failover.State) { s.Active = west }, to: east,
			note: "this run moves the traffic to the writer without promoting anything"},
		{name: "route elsewhere, writer's API down: towards the route", mutate: func(s *failover.State) {
			s.Active = west
			s.Health[east] = failover.APIHealth{Region: east, Detail: "timeout"}
		}, to: west, note: "the writer us-east-1 does not look healthy (API: timeout): this run continues towards us-west-2"},
		{name: "an operation promoting the other member", mutate: func(s *failover.State) {
			s.Topology.Operation, s.Topology.OperationTo = "failing-over", westID
		}, to: west, note: "this run goes the same way and does not promote anything itself"},
		{name: "an operation promoting an unknown member", mutate: func(s *failover.State) {
			s.Topology.Operation, s.Topology.OperationTo = "failing-over", "arn:other"
		}, refuse: "an operation is in progress"},
		{name: "the last unverified run left the other member", mutate: func(s *failover.State) {
			s.Topology.Members[0].Writer, s.Topology.Members[1].Writer = false, true
			s.Active = east
			s.Health[west] = failover.APIHealth{Region: west, Detail: "timeout"}
			s.LastRun = &failover.RunRecord{Kind: failover.KindPlanned, GlobalID: s.Topology.ID, From: east, To: west}
		}, refuse: "promoting us-east-1 again would throw away the writes us-west-2 took since"},
		{name: "the last run left the other member and was verified: a new failover", mutate: func(s *failover.State) {
			s.Topology.Members[0].Writer, s.Topology.Members[1].Writer = false, true
			s.Active = west
			s.LastRun = &failover.RunRecord{Kind: failover.KindPlanned, GlobalID: s.Topology.ID, From: east, To: west, Verified: true}
		}, to: east},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := healthyState(t)
			if tt.mutate != nil {
				tt.mutate(&s)
			}
			p := plan.Failover(s, plan.Options{})
			if tt.refuse != "" {
				if err := p.Err(); err == nil || !strings.Contains(err.Error(), tt.refuse) {
					t.Errorf("refusal %v, want %q\n%s", err, tt.refuse, p)
				}
				return
			}
			if err := p.Err(); err != nil || p.To != tt.to {
				t.Errorf("plan to %s (%v), want %s\n%s", p.To, err, tt.to, p)
			}
			if tt.note != "" && !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, tt.note) }) {
				t.Errorf("notes %q, want one containing %q", p.Notes, tt.note)
			}
		})
	}
}
