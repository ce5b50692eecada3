package orchestrator

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

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
			name: "planned: after the switchover was requested, no record",
			kind: failover.KindPlanned, stop: after(plan.ActionSwitchover), record: recordNone,
			to:    west,
			steps: []plan.Action{plan.ActionRoute, plan.ActionFailover, plan.ActionWaitWriter, plan.ActionFenceIDs, plan.ActionVerifyWrite},
			calls: []string{"Route(" + west + ")"},
		},
		{
			name: "planned: during wait-writer, the writer moved and the global database still switching",
			kind: failover.KindPlanned, setup: func(w *world) { w.flipAfter, w.globalSettle = 0, 3 }, stop: waiting(plan.ActionWaitWriter),
			to:    west,
			steps: []plan.Action{plan.ActionRoute, plan.ActionFenceIDs, plan.ActionVerifyWrite},
			calls: []string{"Route(" + west + ")"},
		},
		{
			name: "planned: during wait-writer, the writer moved and the global database still switching, no record",
			kind: failover.KindPlanned, setup: func(w *world) { w.flipAfter, w.globalSettle = 0, 3 }, stop: waiting(plan.ActionWaitWriter), record: recordNone,
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
			name: "planned: after the fence, before the route, no record",
			kind: failover.KindPlanned, stop: after(plan.ActionFenceIDs), record: recordNone,
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
		{
			name: "planned: after the writer moved, then the new writer's region is lost, no record",
			kind: failover.KindPlanned, stop: after(plan.ActionWaitWriter), then: lose(west), record: recordNone,
			refuse: "would throw away",
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
			name: "unplanned: after the route, no record",
			kind: failover.KindUnplanned, setup: lose(east), stop: after(plan.ActionRoute), record: recordNone,
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
			name: "unplanned: after the route, the writer healthy after all, no record",
			kind: failover.KindUnplanned, stop: after(plan.ActionRoute), record: recordNone,
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
			name: "unplanned: after the failover was requested, no record",
			kind: failover.KindUnplanned, setup: lose(east), stop: after(plan.ActionFailover), record: recordNone,
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
			// The fence (term 1, us-east-1) shows the move to us-west-2
			// unfinished, and us-west-2 is not healthy yet ("modifying").
			name: "unplanned: during wait-writer, no record",
			kind: failover.KindUnplanned, setup: func(w *world) { lose(east)(w); w.flipAfter, w.memberSettle = 0, 3 }, stop: waiting(plan.ActionWaitWriter), record: recordNone,
			refuse: `a move to us-west-2 has not finished, and creates stay closed there until the fence names it; promoting us-east-1 would throw away the writes us-west-2 may have taken`,
		},
		{
			name: "unplanned: during wait-writer, no record, the old writer back",
			kind: failover.KindUnplanned, setup: func(w *world) { lose(east)(w); w.flipAfter, w.memberSettle = 0, 3 }, stop: waiting(plan.ActionWaitWriter), record: recordNone,
			then: func(w *world) {
				delete(w.healthErr, east)
				delete(w.down, east)
				w.topo.Members[0].Status = failover.StatusAvailable
			},
			refuse: `us-west-2 does not look healthy (cluster status "modifying")`,
		},
		{
			name: "unplanned: before the fence",
			kind: failover.KindUnplanned, setup: lose(east), stop: after(plan.ActionWaitWriter),
			to:    west,
			steps: []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite},
		},
		{
			name: "unplanned: before the fence, no record",
			kind: failover.KindUnplanned, setup: lose(east), stop: after(plan.ActionWaitWriter), record: recordNone,
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
			name: "unplanned: before the fence, the old writer back, no record",
			kind: failover.KindUnplanned, setup: lose(east), stop: after(plan.ActionWaitWriter), record: recordNone,
			then: func(w *world) {
				delete(w.healthErr, east)
				delete(w.down, east)
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
			// Writer, route and fence agree: without the record this is
			// a finished run, and us-east-1 (lost) the region to move to.
			name: "unplanned: after the fence, before the write check, no record",
			kind: failover.KindUnplanned, setup: lose(east), stop: after(plan.ActionFenceIDs), record: recordNone,
			refuse: `the cluster in us-east-1 has status "?"`,
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
			name: "detach: after the route, no record",
			kind: failover.KindDetach, target: west, setup: lose(east), stop: after(plan.ActionRoute), record: recordNone, detach: true,
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
// this tool left (a console failover, a manual route change), and for
// those another machine's run left: the id fence read in each region
// (s.Fences) shows a move that has not finished without any record.
func TestTowardsTheWriterWithoutARun(t *testing.T) {
	// moved puts the writer in us-west-2, as a promotion does, leaving
	// the route and the fence where they are.
	moved := func(s *failover.State) {
		s.Topology.Members[0].Writer, s.Topology.Members[1].Writer = false, true
		s.Topology.Members[0].Sync, s.Topology.Members[0].Lag, s.Topology.Members[0].LagKnown = "connected", 100*time.Millisecond, true
		s.Topology.Members[1].Sync, s.Topology.Members[1].Lag, s.Topology.Members[1].LagKnown = "", 0, false
	}
	unreadable := func(s *failover.State) {
		for r := range s.Fences {
			s.Fences[r] = failover.FenceState{ReadIn: r, Detail: "invoke todomgmt-migrate: timeout"}
		}
	}
	for _, tt := range []struct {
		name   string
		mutate func(*failover.State)
		target string
		to     string
		steps  []plan.Action
		note   string
		shown  string // in the plan's text
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
			fenced(s, west, 2) // a verified run fenced before it checked the write
		}, to: east},

		// The id fence names us-east-1 (term 1) while the writer is in
		// us-west-2: a move to us-west-2 has not finished.
		{name: "fence behind the writer, writer healthy, route with it: fence and check, nothing promoted", mutate: func(s *failover.State) {
			moved(s)
			s.Active = west
		}, to: west, steps: []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite},
			note: "the id fence names us-east-1 (term 1, read in us-east-1) but the writer is us-west-2: a move to us-west-2 has not finished"},
		{name: "fence behind the writer, writer healthy, route behind: route, fence and check", mutate: moved,
			to: west, steps: []plan.Action{plan.ActionRoute, plan.ActionFenceIDs, plan.ActionVerifyWrite},
			note: "(the front door still sends traffic to us-east-1): a move to us-west-2 has not finished"},
		{name: "fence behind the writer, writer's API down, route with it: refused", mutate: func(s *failover.State) {
			moved(s)
			s.Active = west
			s.Health[west] = failover.APIHealth{Region: west, Detail: "timeout"}
		}, shown: "    - [unfinished-move] the id fence names us-east-1 (term 1, read in us-east-1)", refuse: "the id fence names us-east-1 (term 1, read in us-east-1) but the writer is us-west-2: a move to us-west-2 has not finished, and creates stay closed there until the fence names it; promoting us-east-1 would throw away the writes us-west-2 may have taken since it became the writer, and us-west-2 does not look healthy (API: timeout)"},
		{name: "fence behind the writer, writer's cluster unreachable, route behind: refused", mutate: func(s *failover.State) {
			moved(s)
			s.Topology.Members[1].Status = ""
			s.Health[west] = failover.APIHealth{Region: west, Detail: "dial tcp: i/o timeout"}
		}, refuse: `(the front door still sends traffic to us-east-1): a move to us-west-2 has not finished`},
		{name: "fence behind the writer, writer's cluster modifying: refused", mutate: func(s *failover.State) {
			moved(s)
			s.Active = west
			s.Topology.Members[1].Status = "modifying"
		}, refuse: `us-west-2 does not look healthy (cluster status "modifying")`},
		{name: "fence behind the writer, writer unhealthy, the target named: the override", target: east, mutate: func(s *failover.State) {
			moved(s)
			s.Active = west
			s.Health[west] = failover.APIHealth{Region: west, Detail: "timeout"}
		}, to: east, steps: []plan.Action{plan.ActionRoute, plan.ActionFailover, plan.ActionWaitWriter, plan.ActionFenceIDs, plan.ActionVerifyWrite}},
		{name: "fence behind the writer only where it lags: the highest term counts", mutate: func(s *failover.State) {
			moved(s)
			s.Active = west
			s.Fences[west] = failover.FenceState{ReadIn: west, Known: true, Region: west, Term: 2}
		}, to: east, note: "a planned switchover (go tool mage failover) loses no data", shown: "id fence now: names us-west-2 (term 2); read in us-east-1 names us-east-1 (term 1); us-west-2 names us-west-2 (term 2)"},
		{name: "fence read only where the writer is lost: it names the writer, the usual rules", mutate: func(s *failover.State) {
			s.Health[east] = failover.APIHealth{Region: east, Detail: "timeout"}
			s.Topology.Members[0].Status = ""
			s.Fences[east] = failover.FenceState{ReadIn: east, Detail: "timeout"}
		}, to: west, shown: "id fence now: names us-east-1 (term 1); read in us-east-1 cannot read: timeout; us-west-2 names us-east-1 (term 1)"},
		{name: "fence unreadable everywhere, the parts agree: the usual rules, with a note", mutate: unreadable,
			to: west, note: "the id fence tells nothing (no member of the global database could read it): planned from the writer, the route and the last run's record alone"},
		{name: "fence unreadable everywhere, writer moved and route with it: the usual rules, with a note", mutate: func(s *failover.State) {
			moved(s)
			s.Active = west
			unreadable(s)
		}, to: east, note: "the id fence tells nothing"},
		{name: "fence unreadable everywhere, writer moved and unhealthy, route behind: the usual rules", mutate: func(s *failover.State) {
			moved(s)
			s.Health[west] = failover.APIHealth{Region: west, Detail: "timeout"}
			unreadable(s)
		}, to: east, note: "the writer us-west-2 does not look healthy (API: timeout): this run continues towards us-east-1"},
		{name: "members disagree at the highest term: the usual rules, with a note", mutate: func(s *failover.State) {
			moved(s)
			s.Active = west
			s.Fences[east] = failover.FenceState{ReadIn: east, Known: true, Region: east, Term: 2}
			s.Fences[west] = failover.FenceState{ReadIn: west, Known: true, Region: west, Term: 2}
		}, to: east, note: "the id fence tells nothing (the members disagree at term 2 (us-east-1 reads us-east-1, us-west-2 reads us-west-2))"},
		{name: "a detached region's own fence is not counted", mutate: func(s *failover.State) {
			// us-west-2 left the global database and fenced its own copy.
			s.Topology.Members = s.Topology.Members[:1]
			s.Fences[west] = failover.FenceState{ReadIn: west, Known: true, Region: west, Term: 2}
		}, refuse: "no member other than the writer (us-east-1) to move to",
			shown: "us-west-2 names us-west-2 (term 2), not a member of the global database: not counted"},
		// A detach to us-west-2 finished: the traffic goes there, its own
		// fence names it above the global database's; us-east-1, the
		// global database's writer, came back healthy. Moving the traffic
		// back would throw away what us-west-2 took since.
		{name: "a finished detach, the old writer back: refused", mutate: func(s *failover.State) {
			s.Topology.Members = s.Topology.Members[:1]
			s.Active = west
			s.Fences[west] = failover.FenceState{ReadIn: west, Known: true, Region: west, Term: 2}
		}, refuse: "the front door sends traffic to us-west-2, a standalone writer since a detach (its own id fence names it at term 2; the global database's names us-east-1 at term 1)"},
		{name: "a finished detach, the members' fence unreadable: refused", mutate: func(s *failover.State) {
			s.Topology.Members = s.Topology.Members[:1]
			s.Active = west
			s.Fences[east] = failover.FenceState{ReadIn: east, Detail: "timeout"}
			s.Fences[west] = failover.FenceState{ReadIn: west, Known: true, Region: west, Term: 2}
		}, refuse: "a standalone writer since a detach (its own id fence names it at term 2; the global database's is unknown)"},
		{name: "a detached region behind the global database's fence: not the writer of record", mutate: func(s *failover.State) {
			s.Topology.Members = s.Topology.Members[:1]
			s.Active = west
			s.Fences[east] = failover.FenceState{ReadIn: east, Known: true, Region: east, Term: 3}
			s.Fences[west] = failover.FenceState{ReadIn: west, Known: true, Region: west, Term: 2}
		}, to: east, note: "this run moves the traffic to the writer without promoting anything"},
		{name: "a finished detach, the target named: the override", target: east, mutate: func(s *failover.State) {
			s.Topology.Members = s.Topology.Members[:1]
			s.Active = west
			s.Fences[west] = failover.FenceState{ReadIn: west, Known: true, Region: west, Term: 2}
		}, to: east},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := healthyState(t)
			if tt.mutate != nil {
				tt.mutate(&s)
			}
			p := plan.Failover(s, plan.Options{Target: tt.target})
			if tt.shown != "" && !strings.Contains(p.String(), tt.shown) {
				t.Errorf("plan text lacks %q:\n%s", tt.shown, p)
			}
			if tt.refuse != "" {
				if err := p.Err(); err == nil || !strings.Contains(err.Error(), tt.refuse) {
					t.Errorf("refusal %v, want %q\n%s", err, tt.refuse, p)
				}
				return
			}
			if err := p.Err(); err != nil || p.To != tt.to {
				t.Errorf("plan to %s (%v), want %s\n%s", p.To, err, tt.to, p)
			}
			if tt.steps != nil {
				if diff := cmp.Diff(tt.steps, actions(p)); diff != "" {
					t.Errorf("steps (-want +got):\n%s\n%s", diff, p)
				}
			}
			if tt.note != "" && !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, tt.note) }) {
				t.Errorf("notes %q, want one containing %q", p.Notes, tt.note)
			}
		})
	}
}

// fenced makes every region of s read the id fence naming region at
// term: what a move to region that finished leaves.
func fenced(s *failover.State, region string, term int64) {
	for r := range s.Fences {
		s.Fences[r] = failover.FenceState{ReadIn: r, Known: true, Region: region, Term: term}
	}
}
