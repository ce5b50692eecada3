package orchestrator

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

func TestPlannedSwitchoverHappyPath(t *testing.T) {
	h := newHarness(t, newWorld())
	r, err := h.o.Run(context.Background(), failover.KindPlanned, plan.Options{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := []string{
		"plan", "waiting-for-approval", "approved",
		"step-started switchover", "step-succeeded switchover",
		"step-started wait-writer", "step-succeeded wait-writer",
		"step-started fence-ids", "step-succeeded fence-ids",
		"step-started route", "step-succeeded route",
		"step-started verify-write", "step-succeeded verify-write",
		"done",
	}
	if diff := cmp.Diff(want, kinds(h.rec.Events())); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// A switchover loses nothing: the fence moves creates without a gap.
	if diff := cmp.Diff([]failover.FenceRequest{{Region: west}}, h.w.fences); diff != "" {
		t.Errorf("fences (-want +got):\n%s", diff)
	}
	if r.Fence == nil || r.Fence.Term != 2 || r.Fence.Gap != 0 || r.Fence.Skipped {
		t.Errorf("report fence %+v, want term 2 without a gap", r.Fence)
	}
	if diff := cmp.Diff([]string{"Switchover(" + westID + ")", "Route(" + west + ")"}, h.w.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if r.From != east || r.To != west || r.Kind != failover.KindPlanned {
		t.Errorf("report %s %s → %s, want planned %s → %s", r.Kind, r.From, r.To, east, west)
	}
	if !r.Verified || r.RTO <= 0 {
		t.Errorf("report verified=%t RTO=%s, want verified with a positive RTO", r.Verified, r.RTO)
	}
	if got, want := outcomes(r), []Outcome{OutcomeDone, OutcomeDone, OutcomeDone, OutcomeDone, OutcomeDone}; !slices.Equal(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	if !r.LagKnown || r.Lag != 200*time.Millisecond {
		t.Errorf("lag %s known=%t, want 200ms known", r.Lag, r.LagKnown)
	}
	if len(r.Changes) != 3 {
		t.Errorf("changes %q, want the writer, the id fence and the route", r.Changes)
	}
	if len(h.appr.asked) != 1 || h.appr.asked[0].To != west {
		t.Errorf("approver asked %d times, want once for %s", len(h.appr.asked), west)
	}
	// The wait really waited: the fake flips the writer after two reads.
	var progress int
	for _, e := range h.rec.Events() {
		if e.Kind == EventProgress && e.Step.Action == plan.ActionWaitWriter {
			progress++
		}
	}
	if progress == 0 {
		t.Errorf("no progress event during wait-writer")
	}
}

func TestPlanSwitchoverRefusals(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(*failover.State)
		want   string
	}{
		{"topology unreadable", func(s *failover.State) { s.TopologyErr = errors.New("throttled") }, "cannot read the global database topology: throttled"},
		{"one member", func(s *failover.State) { s.Topology.Members = s.Topology.Members[:1] }, "has 1 member(s)"},
		{"no writer", func(s *failover.State) { s.Topology.Members[0].Writer = false }, "no member of the global database is the writer"},
		{"target headless", func(s *failover.State) { s.Topology.Members[1].Instances = 0 }, "the cluster in us-west-2 has no DB instance"},
		{"writer headless", func(s *failover.State) { s.Topology.Members[0].Instances = 0 }, "the cluster in us-east-1 has no DB instance"},
		{"engine versions differ", func(s *failover.State) { s.Topology.Members[1].EngineVersion = "8.0.mysql_aurora.3.09.0" }, "engine versions differ"},
		{"not in sync", func(s *failover.State) { s.Topology.Members[1].Sync = "pending-resync" }, `not in sync (synchronization status "pending-resync"`},
		{"sync unknown", func(s *failover.State) { s.Topology.Members[1].Sync = "" }, `not in sync (synchronization status "?"`},
		{"lag unknown", func(s *failover.State) { s.Topology.Members[1].LagKnown = false }, "the replication lag of us-west-2 is unknown"},
		{"lag over bound", func(s *failover.State) { s.Topology.Members[1].Lag = 6 * time.Second }, "the replication lag of us-west-2 is 6s, over the bound of 5s"},
		{"target API down", func(s *failover.State) { s.Health[west] = failover.APIHealth{Region: west, Detail: "502 bad gateway"} }, "the API in us-west-2 does not answer: 502 bad gateway"},
		{"writer API down", func(s *failover.State) { s.Health[east] = failover.APIHealth{Region: east, Detail: "timeout"} }, "the API in us-east-1 does not answer: timeout"},
		{"API not probed", func(s *failover.State) { delete(s.Health, west) }, "the API in us-west-2 was not probed"},
		{"operation in progress", func(s *failover.State) { s.Topology.Operation = "switching-over" }, `an operation is in progress on the global database (failover state "switching-over")`},
		{"global status open set", func(s *failover.State) { s.Topology.Status = "upgrading" }, `the global database's status is "upgrading", want "available"`},
		{"cluster status open set", func(s *failover.State) { s.Topology.Members[1].Status = "backing-up-to-the-moon" }, `the cluster in us-west-2 has status "backing-up-to-the-moon"`},
		{"front door unreadable", func(s *failover.State) { s.ActiveErr = errors.New("access denied") }, "cannot read the front door's active region: access denied"},
		{"unknown target", func(s *failover.State) {}, "no member of the global database is in eu-west-1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := healthyState(t)
			tt.mutate(&s)
			opts := plan.Options{}
			if tt.name == "unknown target" {
				opts.Target = "eu-west-1"
			}
			p := plan.Switchover(s, opts)
			err := p.Err()
			if err == nil {
				t.Fatalf("plan has no refusal, want %q\n%s", tt.want, p)
			}
			var refused *plan.RefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("error %T, want *RefusedError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("refusal %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestPlanSwitchoverHealthyHasNoRefusal(t *testing.T) {
	p := plan.Switchover(healthyState(t), plan.Options{})
	if err := p.Err(); err != nil {
		t.Fatalf("healthy plan refused: %v", err)
	}
	var actions []plan.Action
	for _, s := range p.Steps {
		actions = append(actions, s.Action)
	}
	if want := []plan.Action{plan.ActionSwitchover, plan.ActionWaitWriter, plan.ActionFenceIDs, plan.ActionRoute, plan.ActionVerifyWrite}; !slices.Equal(actions, want) {
		t.Errorf("steps %v, want %v", actions, want)
	}
	if p.From != east || p.To != west || p.ToMember.ID != westID {
		t.Errorf("plan %s → %s (%s), want %s → %s (%s)", p.From, p.To, p.ToMember.ID, east, west, westID)
	}
}

func TestExecuteRefusesRefusedPlan(t *testing.T) {
	h := newHarness(t, newWorld())
	h.w.topo.Members[1].Sync = "pending-resync"
	_, err := h.o.Run(context.Background(), failover.KindPlanned, plan.Options{})
	var refused *plan.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("Run error %v, want *RefusedError", err)
	}
	if calls := h.w.Calls(); len(calls) != 0 {
		t.Errorf("calls %q, want none", calls)
	}
	if len(h.appr.asked) != 0 {
		t.Errorf("approver asked for a refused plan")
	}
}

func healthyState(tb testing.TB) failover.State {
	tb.Helper()
	w := newWorld()
	h := newHarness(tb, w)
	return h.o.Evaluate(context.Background())
}

func TestUnplannedRoutesBeforePromotingTheTargetOnly(t *testing.T) {
	w := newWorld()
	// The writer's region is down: its API does not answer and its cluster
	// cannot be described.
	w.healthErr[east] = errors.New("dial tcp: i/o timeout")
	w.topo.Members[0].Status = ""
	w.topo.Members[1].Lag = 1500 * time.Millisecond
	h := newHarness(t, w)

	_, p, err := h.o.Plan(context.Background(), failover.KindPlanned, plan.Options{})
	if err != nil || p.Err() == nil {
		t.Fatalf("planned switchover with the writer region down: refusal %v, want one", p.Err())
	}

	r, err := h.o.Run(context.Background(), failover.KindUnplanned, plan.Options{})
	if err != nil {
		t.Fatalf("Run unplanned: %v", err)
	}
	want := []string{"Route(" + west + ")", "Failover(" + westID + ", true)"}
	if diff := cmp.Diff(want, w.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if !r.Verified || r.To != west || r.From != east {
		t.Errorf("report verified=%t %s → %s, want verified %s → %s", r.Verified, r.From, r.To, east, west)
	}
	if !r.LagKnown || r.Lag != 1500*time.Millisecond {
		t.Errorf("lag %s, want 1.5s as the data-loss bound", r.Lag)
	}
	if len(w.snapAsked) != 1 || w.snapAsked[0].ID != eastID {
		t.Errorf("recovery snapshot asked for %v, want the old writer %s", w.snapAsked, eastID)
	}
	if r.RecoverySnapshot != "" || !strings.Contains(r.RecoverySnapshotNote, "none yet") {
		t.Errorf("snapshot %q note %q, want none yet", r.RecoverySnapshot, r.RecoverySnapshotNote)
	}
}

func TestUnplannedReportsRecoverySnapshot(t *testing.T) {
	w := newWorld()
	w.snapshot = "rds:unplanned-global-failover-todomgmt-east-2026-11-05-09-01"
	h := newHarness(t, w)
	r, err := h.o.Run(context.Background(), failover.KindUnplanned, plan.Options{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if r.RecoverySnapshot != w.snapshot {
		t.Errorf("snapshot %q, want %q", r.RecoverySnapshot, w.snapshot)
	}
	if !strings.Contains(r.String(), w.snapshot) {
		t.Errorf("report text does not name the snapshot:\n%s", r)
	}
}

func TestUnplannedRefusals(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(*world)
		want   string
	}{
		{"target headless", func(w *world) { w.topo.Members[1].Instances = 0 }, "the cluster in us-west-2 has no DB instance"},
		{"target not available", func(w *world) { w.topo.Members[1].Status = "" }, `the cluster in us-west-2 has status "?"`},
		{"topology unreadable", func(w *world) { w.topologyErr = errors.New("no region answers") }, "cannot read the global database topology"},
		{"other operation in progress", func(w *world) { w.topo.Operation, w.topo.OperationTo = "failing-over", "arn:other" }, "an operation is in progress"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			tt.mutate(w)
			h := newHarness(t, w)
			_, err := h.o.Run(context.Background(), failover.KindUnplanned, plan.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run error %v, want it to contain %q", err, tt.want)
			}
			if calls := w.Calls(); len(calls) != 0 {
				t.Errorf("calls %q, want none", calls)
			}
		})
	}
}

func TestUnplannedResumesOperationInProgress(t *testing.T) {
	w := newWorld()
	h := newHarness(t, w)
	w.route = west
	w.pending = &pendingOp{to: westID}
	w.topo.Status, w.topo.Operation, w.topo.OperationTo = "failing-over", "failing-over", westID
	r, err := h.o.Run(context.Background(), failover.KindUnplanned, plan.Options{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if calls := w.Calls(); len(calls) != 0 {
		t.Errorf("calls %q, want none: route and promotion were already done", calls)
	}
	if got, want := outcomes(r), []Outcome{OutcomeSkipped, OutcomeSkipped, OutcomeDone, OutcomeDone, OutcomeDone}; !slices.Equal(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
}

func TestFailback(t *testing.T) {
	w := newWorld()
	h := newHarness(t, w)
	for i, want := range []struct{ from, to string }{{east, west}, {west, east}} {
		r, err := h.o.Run(context.Background(), failover.KindPlanned, plan.Options{})
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if r.From != want.from || r.To != want.to || !r.Verified {
			t.Errorf("run %d: %s → %s verified=%t, want %s → %s verified", i+1, r.From, r.To, r.Verified, want.from, want.to)
		}
	}
	want := []string{"Switchover(" + westID + ")", "Route(" + west + ")", "Switchover(" + eastID + ")", "Route(" + east + ")"}
	if diff := cmp.Diff(want, w.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestFailureMidRunThenRerunCompletes(t *testing.T) {
	for _, tt := range []struct {
		name      string
		kind      failover.Kind
		inject    func(*world)
		heal      func(*world) // before the re-run; nil: nothing to heal
		firstStep plan.Action
		second    []Outcome
		// first are the first run's calls, repeats of the same call
		// (retries) counted once; again are the re-run's.
		first, again []string
	}{
		{
			name:      "planned: route keeps failing after the switchover",
			kind:      failover.KindPlanned,
			inject:    func(w *world) { w.routeDown = errors.New("AccessDenied: cloudfront-keyvaluestore:PutKey") },
			heal:      func(w *world) { w.routeDown = nil },
			firstStep: plan.ActionRoute,
			// The fence ran before the route in the first run.
			second: []Outcome{OutcomeSkipped, OutcomeDone, OutcomeSkipped, OutcomeDone, OutcomeDone},
			first:  []string{"Switchover(" + westID + ")", "Route(" + west + ")"},
			again:  []string{"Route(" + west + ")"},
		},
		{
			name:      "planned: switchover rejected",
			kind:      failover.KindPlanned,
			inject:    func(w *world) { w.switchErr = []error{errors.New("InvalidGlobalClusterStateFault")} },
			firstStep: plan.ActionSwitchover,
			second:    []Outcome{OutcomeDone, OutcomeDone, OutcomeDone, OutcomeDone, OutcomeDone},
			first:     []string{"Switchover(" + westID + ")"},
			again:     []string{"Switchover(" + westID + ")", "Route(" + west + ")"},
		},
		{
			name: "unplanned: promotion fails after the route moved",
			kind: failover.KindUnplanned,
			inject: func(w *world) {
				// The writer's region is lost (were it healthy, the re-run
				// would move the traffic back to it: TestRecoveryTowardsTheWriter).
				w.healthErr[east] = errors.New("dial tcp: i/o timeout")
				w.topo.Members[0].Status = ""
				w.failoverErr = []error{errors.New("throttled")}
			},
			firstStep: plan.ActionFailover,
			second:    []Outcome{OutcomeSkipped, OutcomeDone, OutcomeDone, OutcomeDone, OutcomeDone},
			first:     []string{"Route(" + west + ")", "Failover(" + westID + ", true)"},
			again:     []string{"Failover(" + westID + ", true)"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			tt.inject(w)
			h := newHarness(t, w)
			r, err := h.o.Run(context.Background(), tt.kind, plan.Options{})
			if err == nil {
				t.Fatalf("first run succeeded, want a failure at %s", tt.firstStep)
			}
			failed := ""
			for _, s := range r.Steps {
				if s.Outcome == OutcomeFailed {
					failed = string(s.Step.Action)
				}
			}
			if failed != string(tt.firstStep) {
				t.Fatalf("first run failed at %q, want %q (%v)", failed, tt.firstStep, err)
			}
			first := w.Calls()
			if diff := cmp.Diff(tt.first, slices.Compact(slices.Clone(first))); diff != "" {
				t.Errorf("first run's calls (-want +got):\n%s", diff)
			}
			if tt.heal != nil {
				tt.heal(w)
			}
			r, err = h.o.Run(context.Background(), tt.kind, plan.Options{})
			if err != nil {
				t.Fatalf("re-run: %v", err)
			}
			if r.To != west || !r.Verified {
				t.Errorf("re-run to %s verified=%t, want %s verified", r.To, r.Verified, west)
			}
			if got := outcomes(r); !slices.Equal(got, tt.second) {
				t.Errorf("re-run outcomes %v, want %v", got, tt.second)
			}
			if diff := cmp.Diff(tt.again, w.Calls()[len(first):]); diff != "" {
				t.Errorf("re-run's calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRouteRetriesFailedWrites: a failed write to the router is retried
// within the route wait, with backoff; the step fails only when the wait
// expires, with the last error. An unplanned failover whose route never
// moves promotes nothing.
func TestRouteRetriesFailedWrites(t *testing.T) {
	errThrottled := errors.New("ThrottlingException: rate exceeded")
	for _, tt := range []struct {
		name       string
		kind       failover.Kind
		setup      func(*world)
		wantErr    bool
		wantRoutes int // exact Route calls; 0: checked by bounds below
	}{
		{"planned: two failures then through", failover.KindPlanned, func(w *world) { w.routeErr = []error{errThrottled, errThrottled} }, false, 3},
		{"unplanned: two failures then through", failover.KindUnplanned, func(w *world) { w.routeErr = []error{errThrottled, errThrottled} }, false, 3},
		{"planned: never through", failover.KindPlanned, func(w *world) { w.routeDown = errThrottled }, true, 0},
		{"unplanned: never through", failover.KindUnplanned, func(w *world) { w.routeDown = errThrottled }, true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			tt.setup(w)
			h := newHarness(t, w)
			r, err := h.o.Run(context.Background(), tt.kind, plan.Options{})
			var routes, promotions int
			for _, c := range w.Calls() {
				switch {
				case strings.HasPrefix(c, "Route("):
					routes++
				case strings.HasPrefix(c, "Failover("), strings.HasPrefix(c, "Switchover("):
					promotions++
				}
			}
			var routeStep StepResult
			for _, s := range r.Steps {
				if s.Step.Action == plan.ActionRoute {
					routeStep = s
				}
			}
			if !tt.wantErr {
				if err != nil || !r.Verified {
					t.Fatalf("Run: %v (verified=%t), want the route retried and the run verified", err, r.Verified)
				}
				if routes != tt.wantRoutes || routeStep.Outcome != OutcomeDone {
					t.Errorf("%d Route calls, route step %s; want %d calls and done", routes, routeStep.Outcome, tt.wantRoutes)
				}
				return
			}
			if !errors.Is(err, errThrottled) || !strings.Contains(err.Error(), "timed out after 5m0s") {
				t.Fatalf("Run error %v, want the route wait's timeout wrapping the last router error", err)
			}
			if routeStep.Outcome != OutcomeFailed {
				t.Errorf("route step %s, want failed", routeStep.Outcome)
			}
			// Backoff: fewer tries than one per poll interval, more than one.
			if perPoll := int(h.o.Timeouts.Route / h.o.Timeouts.Poll); routes < 3 || routes >= perPoll {
				t.Errorf("%d Route calls in the route wait, want between 3 and %d (backing off)", routes, perPoll-1)
			}
			if tt.kind == failover.KindUnplanned && promotions != 0 {
				t.Errorf("promoted with the route not moved: %q", w.Calls())
			}
		})
	}
}

func TestWaitTimesOut(t *testing.T) {
	for _, tt := range []struct {
		name    string
		kind    failover.Kind
		setup   func(*world)
		step    plan.Action
		timeout time.Duration
		want    string
	}{
		{"writer never changes", failover.KindPlanned, func(w *world) { w.flipAfter = -1 }, plan.ActionWaitWriter, 20 * time.Minute,
			"timed out after 20m0s waiting for us-west-2 to become the writer: us-west-2 is not the writer yet (cluster available, global switching-over, operation switching-over)"},
		{"route never shows", failover.KindPlanned, func(w *world) { w.routeLag = 1 << 30 }, plan.ActionRoute, 5 * time.Minute,
			"timed out after 5m0s waiting for the front door to report us-west-2: not propagated yet"},
		{"writes keep failing", failover.KindUnplanned, func(w *world) { w.verifyErr = errors.New("503 unavailable") }, plan.ActionVerifyWrite, 5 * time.Minute,
			"timed out after 5m0s waiting for a write through the front door served by us-west-2: 503 unavailable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			tt.setup(w)
			h := newHarness(t, w)
			began := h.clock.Now()
			r, err := h.o.Run(context.Background(), tt.kind, plan.Options{})
			if err == nil {
				t.Fatalf("Run succeeded, want a timeout")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			// The steps before the wait take 20s on the fake clock; one
			// poll interval may overrun the timeout.
			if waited := h.clock.Now().Sub(began); waited < tt.timeout || waited > tt.timeout+time.Minute {
				t.Errorf("fake clock advanced %s, want the timeout %s (plus under a minute)", waited, tt.timeout)
			}
			for i, s := range r.Steps {
				if s.Step.Action == tt.step && s.Outcome != OutcomeFailed {
					t.Errorf("step %d %s outcome %s, want failed", i+1, s.Step.Action, s.Outcome)
				}
			}
			if r.Verified {
				t.Errorf("report verified after a timeout")
			}
		})
	}
}

func TestWaitWriterTimeoutStopsTheRun(t *testing.T) {
	w := newWorld()
	w.flipAfter = -1
	h := newHarness(t, w)
	if _, err := h.o.Run(context.Background(), failover.KindPlanned, plan.Options{}); err == nil {
		t.Fatal("Run succeeded, want a timeout")
	}
	for _, c := range w.Calls() {
		if strings.HasPrefix(c, "Route(") {
			t.Errorf("route moved after the writer wait timed out: %q", w.Calls())
		}
	}
}

func TestVerifyWriteInTheWrongRegionFails(t *testing.T) {
	w := newWorld()
	w.servedBy = east
	h := newHarness(t, w)
	r, err := h.o.Run(context.Background(), failover.KindPlanned, plan.Options{})
	if err == nil {
		t.Fatal("Run succeeded with writes served by the old region")
	}
	if want := "the write was served by us-east-1, want us-west-2"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to contain %q", err, want)
	}
	if r.Verified || r.RTO != 0 {
		t.Errorf("report verified=%t RTO=%s, want not verified", r.Verified, r.RTO)
	}
	if got := r.Steps[len(r.Steps)-1]; got.Step.Action != plan.ActionVerifyWrite || got.Outcome != OutcomeFailed {
		t.Errorf("last step %s outcome %s, want verify-write failed", got.Step.Action, got.Outcome)
	}
}

// errDeclined stands for an approver's refusal (a console confirmer's
// ErrDeclined): the run must wrap it.
var errDeclined = errors.New("declined")

func TestApprovalDeclinedChangesNothing(t *testing.T) {
	for _, kind := range []failover.Kind{failover.KindPlanned, failover.KindUnplanned} {
		t.Run(string(kind), func(t *testing.T) {
			w := newWorld()
			h := newHarness(t, w)
			h.appr.err = errDeclined
			r, err := h.o.Run(context.Background(), kind, plan.Options{})
			if !errors.Is(err, errDeclined) {
				t.Fatalf("error %v, want ErrDeclined", err)
			}
			if calls := w.Calls(); len(calls) != 0 {
				t.Errorf("calls %q, want none", calls)
			}
			for _, s := range r.Steps {
				if s.Outcome != OutcomeNotRun {
					t.Errorf("step %s outcome %s, want not run", s.Step.Action, s.Outcome)
				}
			}
			got := kinds(h.rec.Events())
			if want := []string{"plan", "waiting-for-approval", "declined", "done"}; !slices.Equal(got, want) {
				t.Errorf("events %q, want %q", got, want)
			}
		})
	}
}

func TestExecuteWithoutApproverRefuses(t *testing.T) {
	w := newWorld()
	h := newHarness(t, w)
	h.o.Approver = nil
	if _, err := h.o.Run(context.Background(), failover.KindPlanned, plan.Options{}); !errors.Is(err, ErrNoApprover) {
		t.Fatalf("error %v, want ErrNoApprover", err)
	}
	if calls := w.Calls(); len(calls) != 0 {
		t.Errorf("calls %q, want none", calls)
	}
}

func TestPlanDetachNeedsExplicitTarget(t *testing.T) {
	p := plan.Detach(healthyState(t), plan.Options{})
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "explicit target") {
		t.Fatalf("detach without a target: %v, want a refusal", err)
	}
	p = plan.Detach(healthyState(t), plan.Options{Target: west})
	if err := p.Err(); err != nil {
		t.Fatalf("detach to %s refused: %v", west, err)
	}
	var actions []plan.Action
	for _, s := range p.Steps {
		actions = append(actions, s.Action)
	}
	if want := []plan.Action{plan.ActionRoute, plan.ActionDetach, plan.ActionWaitDetached, plan.ActionFenceIDs, plan.ActionVerifyWrite}; !slices.Equal(actions, want) {
		t.Errorf("steps %v, want %v", actions, want)
	}
}

// TestPlanDetachOfTheWriter: detaching the writer while another member
// exists promotes nothing and is refused; the only member may go. The
// unplanned failover's "promotion steps will be skipped" note does not
// belong to a detach.
func TestPlanDetachOfTheWriter(t *testing.T) {
	for _, tt := range []struct {
		name       string
		mutate     func(*failover.State)
		wantRefuse string
		wantNote   string
	}{
		{name: "writer with a reader", wantRefuse: "us-east-1 is the writer of the global database, which has 1 other member(s)"},
		{name: "writer alone", mutate: func(s *failover.State) { s.Topology.Members = s.Topology.Members[:1] }, wantNote: "the only member"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := healthyState(t)
			if tt.mutate != nil {
				tt.mutate(&s)
			}
			p := plan.Detach(s, plan.Options{Target: east})
			err := p.Err()
			switch {
			case tt.wantRefuse != "" && (err == nil || !strings.Contains(err.Error(), tt.wantRefuse)):
				t.Errorf("refusal %v, want %q\n%s", err, tt.wantRefuse, p)
			case tt.wantRefuse == "" && err != nil:
				t.Errorf("refused: %v", err)
			}
			notes := strings.Join(p.Notes, "\n")
			if strings.Contains(notes, "promotion steps") {
				t.Errorf("notes %q talk of promotion steps", p.Notes)
			}
			if !strings.Contains(notes, tt.wantNote) {
				t.Errorf("notes %q, want %q", p.Notes, tt.wantNote)
			}
		})
	}
	// Through the orchestrator: nothing is called.
	w := newWorld()
	h := newHarness(t, w)
	if _, err := h.o.Run(context.Background(), failover.KindDetach, plan.Options{Target: east}); err == nil {
		t.Fatal("detach of the writer ran")
	}
	if calls := w.Calls(); len(calls) != 0 {
		t.Errorf("calls %q, want none", calls)
	}
}

func TestDetachOrderAndRerun(t *testing.T) {
	w := newWorld()
	h := newHarness(t, w)
	// Writes succeed once the target left the global database.
	h.o.Prober = detachProber{w: w}
	r, err := h.o.Run(context.Background(), failover.KindDetach, plan.Options{Target: west})
	if err != nil {
		t.Fatalf("Run detach: %v", err)
	}
	if diff := cmp.Diff([]string{"Route(" + west + ")", "Detach(" + westID + ")"}, w.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if !r.Verified {
		t.Errorf("detach not verified: %s", r)
	}
	r, err = h.o.Run(context.Background(), failover.KindDetach, plan.Options{Target: west})
	if err != nil {
		t.Fatalf("re-run detach: %v", err)
	}
	if got, want := outcomes(r), []Outcome{OutcomeSkipped, OutcomeSkipped, OutcomeDone, OutcomeSkipped, OutcomeDone}; !slices.Equal(got, want) {
		t.Errorf("re-run outcomes %v, want %v", got, want)
	}
	if n := len(w.Calls()); n != 2 {
		t.Errorf("re-run made calls: %q", w.Calls())
	}
}

// detachProber is a prober for detach: a region outside the global
// database is a standalone writer.
type detachProber struct{ w *world }

func (p detachProber) Health(ctx context.Context, region string) (failover.APIHealth, error) {
	return prober(p).Health(ctx, region)
}

func (p detachProber) VerifyWrite(ctx context.Context) (string, error) {
	p.w.mu.Lock()
	defer p.w.mu.Unlock()
	if p.w.verifyErr != nil {
		return "", p.w.verifyErr
	}
	m, ok := p.w.topo.Member(p.w.route)
	if ok && !m.Writer {
		return "", errors.New("503 region_passive")
	}
	if p.w.gated && p.w.fenceRegion != p.w.route {
		return "", errors.New("503 region_passive: creates wait for the id fence")
	}
	return p.w.route, nil
}

func TestPlanSwitchoverFinishesAnInterruptedRun(t *testing.T) {
	s := healthyState(t)
	// The writer moved to us-west-2, the route stayed in us-east-1.
	s.Topology.Members[0].Writer, s.Topology.Members[1].Writer = false, true
	s.Topology.Members[0].Sync, s.Topology.Members[0].LagKnown = "connected", true
	p := plan.Switchover(s, plan.Options{})
	if err := p.Err(); err != nil {
		t.Fatalf("refused: %v", err)
	}
	if p.To != west || p.From != east {
		t.Errorf("plan %s → %s, want %s → %s (finish the interrupted run)", p.From, p.To, east, west)
	}
	if len(p.Notes) == 0 || !strings.Contains(p.Notes[0], "finishes a previous switchover") {
		t.Errorf("notes %q, want one explaining the resume", p.Notes)
	}
}

func TestProblems(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(*failover.State)
		want   []string
	}{
		{"consistent", func(*failover.State) {}, nil},
		{"traffic to the reader", func(s *failover.State) { s.Active = west }, []string{"the front door sends traffic to us-west-2 but the writer is in us-east-1"}},
		{"API role wrong", func(s *failover.State) {
			h := s.Health[west]
			h.Role = "active"
			s.Health[west] = h
		}, []string{"the API in us-west-2 reports role active but the writer is in us-east-1"}},
		{"API down", func(s *failover.State) { s.Health[west] = failover.APIHealth{Region: west, Detail: "timeout"} }, []string{"the API in us-west-2 does not answer: timeout"}},
		{"front door unreadable", func(s *failover.State) { s.ActiveErr = errors.New("denied") }, []string{"cannot read the front door's active region: denied"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := healthyState(t)
			tt.mutate(&s)
			if diff := cmp.Diff(tt.want, s.Problems()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteTable(t *testing.T) {
	s := healthyState(t)
	s.Active = west
	var b strings.Builder
	if err := s.WriteTable(&b, failover.Column{Name: "stack", Value: func(r string) string { return "CREATE_COMPLETE " + r }}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"REGION", "STACK", "writer", "reader", "200ms", "<- front door", "CREATE_COMPLETE us-west-2",
		"PROBLEM: the front door sends traffic to us-west-2 but the writer is in us-east-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestEvaluateRecordsFailures(t *testing.T) {
	w := newWorld()
	w.healthErr[east] = errors.New("connection refused")
	w.activeErr = errors.New("kvs unreachable")
	h := newHarness(t, w)
	h.o.Regions = []string{"eu-west-1"}
	s := h.o.Evaluate(context.Background())
	if s.TopologyErr != nil {
		t.Fatalf("topology error %v", s.TopologyErr)
	}
	if got := s.Health[east]; got.OK || got.Detail != "connection refused" {
		t.Errorf("health of %s = %+v, want not OK with the probe error", east, got)
	}
	if _, ok := s.Health["eu-west-1"]; !ok {
		t.Errorf("extra region not probed")
	}
	if s.ActiveErr == nil {
		t.Errorf("router error not recorded")
	}
	if got, want := s.Regions(), []string{east, west, "eu-west-1"}; !slices.Equal(got, want) {
		t.Errorf("regions %v, want %v", got, want)
	}
}

// TestRTOIsStartToFirstVerifiedWrite: the recovery time runs from the
// first step (after approval, however long the operator took) to the
// first write served by the new region, retries included.
func TestRTOIsStartToFirstVerifiedWrite(t *testing.T) {
	for _, kind := range []failover.Kind{failover.KindPlanned, failover.KindUnplanned} {
		t.Run(string(kind), func(t *testing.T) {
			w := newWorld()
			w.verifyFail = 2 // the front door's change takes a while to reach every edge
			h := newHarness(t, w)
			h.appr.clock, h.appr.think = h.clock, 3*time.Minute
			began := h.clock.Now()
			r, err := h.o.Run(context.Background(), kind, plan.Options{})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if want := began.Add(3 * time.Minute); !r.Started.Equal(want) {
				t.Errorf("started at %s, want after the approval at %s", r.Started, want)
			}
			if w.firstWriteOK.IsZero() {
				t.Fatal("no write succeeded")
			}
			if want := w.firstWriteOK.Sub(r.Started); r.RTO != want || r.RTO <= 0 {
				t.Errorf("RTO %s, want %s (start → first verified write)", r.RTO, want)
			}
		})
	}
}

// TestWaitWriterWaitsForWhatEachKindNeeds: a planned switchover keeps
// both members, so the route moves only once the global database is
// available again; an unplanned failover cannot wait for the lost member,
// so it needs only the new writer's cluster available.
func TestWaitWriterWaitsForWhatEachKindNeeds(t *testing.T) {
	t.Run("planned", func(t *testing.T) {
		w := newWorld()
		w.globalSettle, w.memberSettle = 3, 1
		h := newHarness(t, w)
		if _, err := h.o.Run(context.Background(), failover.KindPlanned, plan.Options{}); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if diff := cmp.Diff([]string{"available"}, w.statusAtRoute); diff != "" {
			t.Errorf("global status when the route moved (-want +got):\n%s", diff)
		}
	})
	t.Run("unplanned", func(t *testing.T) {
		w := newWorld()
		w.globalSettle, w.memberSettle = -1, 2 // the global status never settles
		h := newHarness(t, w)
		r, err := h.o.Run(context.Background(), failover.KindUnplanned, plan.Options{})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if !r.Verified {
			t.Errorf("not verified")
		}
		if w.statusAtFirstWrite != "available" {
			t.Errorf("the first write went to a cluster with status %q, want available", w.statusAtFirstWrite)
		}
	})
}

// hangingDB and hangingRouter never answer a call that changes
// something: only the call's deadline ends it.
type hangingDB struct{ snapshotDB }

func (hangingDB) Switchover(ctx context.Context, _, _ failover.Member) error {
	<-ctx.Done()
	return ctx.Err()
}
func (hangingDB) Failover(ctx context.Context, _ failover.Member, _ bool) error {
	<-ctx.Done()
	return ctx.Err()
}

type hangingRouter struct{ router }

func (hangingRouter) Route(ctx context.Context, _ string) error { <-ctx.Done(); return ctx.Err() }

func TestHangingCallsAreBounded(t *testing.T) {
	for _, tt := range []struct {
		name string
		kind failover.Kind
		hang func(*harness)
		step plan.Action
	}{
		{"switchover", failover.KindPlanned, func(h *harness) { h.o.DB = hangingDB{snapshotDB{db{h.w}}} }, plan.ActionSwitchover},
		{"failover", failover.KindUnplanned, func(h *harness) { h.o.DB = hangingDB{snapshotDB{db{h.w}}} }, plan.ActionFailover},
		{"route", failover.KindUnplanned, func(h *harness) { h.o.Router = hangingRouter{router{h.w}} }, plan.ActionRoute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, newWorld())
			// Real deadlines: keep them short.
			h.o.Timeouts.Writer, h.o.Timeouts.Probe = 50*time.Millisecond, 50*time.Millisecond
			tt.hang(h)
			r, err := h.o.Run(context.Background(), tt.kind, plan.Options{})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Run error %v, want the call's deadline", err)
			}
			for _, s := range r.Steps {
				if s.Step.Action == tt.step && s.Outcome != OutcomeFailed {
					t.Errorf("step %s outcome %s, want failed", s.Step.Action, s.Outcome)
				}
			}
		})
	}
}

// preparingProber is a Prober and a WritePreparer: it records what
// PrepareWrite was asked, fails the first failPrepare calls, and notes
// whether a write ran while the preparation's deadline was still running
// (it would then share its budget).
type preparingProber struct {
	prober
	mu          sync.Mutex
	targets     []string
	failPrepare int
	prepared    context.Context
	shared      bool
}

func (p *preparingProber) PrepareWrite(ctx context.Context, target string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.targets = append(p.targets, target)
	p.prepared = ctx
	if p.failPrepare > 0 {
		p.failPrepare--
		return errors.New("token endpoint: 503")
	}
	return nil
}

func (p *preparingProber) VerifyWrite(ctx context.Context) (string, error) {
	p.mu.Lock()
	switch {
	case p.prepared == nil:
		p.mu.Unlock()
		return "", errors.New("write not prepared")
	case p.prepared.Err() == nil:
		p.shared = true
	}
	p.mu.Unlock()
	return p.prober.VerifyWrite(ctx)
}

// TestVerifyPreparesEachWriteForTheTarget: a WritePreparer is asked for
// the target region before each write attempt, under a deadline that has
// ended before the write starts, and a failed preparation is retried.
func TestVerifyPreparesEachWriteForTheTarget(t *testing.T) {
	for _, kind := range []failover.Kind{failover.KindPlanned, failover.KindUnplanned} {
		t.Run(string(kind), func(t *testing.T) {
			w := newWorld()
			h := newHarness(t, w)
			p := &preparingProber{prober: prober{w}, failPrepare: 1}
			h.o.Prober = p
			r, err := h.o.Run(context.Background(), kind, plan.Options{})
			if err != nil || !r.Verified {
				t.Fatalf("Run: %v (verified=%t)", err, r.Verified)
			}
			if want := []string{west, west}; !slices.Equal(p.targets, want) {
				t.Errorf("PrepareWrite targets %q, want %q (a failure, then the retry)", p.targets, want)
			}
			if p.shared {
				t.Errorf("a write ran inside the preparation's deadline")
			}
		})
	}
}

func actions(p plan.Plan) []plan.Action {
	var out []plan.Action
	for _, s := range p.Steps {
		out = append(out, s.Action)
	}
	return out
}

// TestRerunAfterAFailedWriteCheckFinishesTheJob: a run moves the writer
// and the route, then its write check fails. Running the same command
// again checks the write and changes nothing (without the record it
// would move everything back); once verified, the next run fails back
// as usual.
func TestRerunAfterAFailedWriteCheckFinishesTheJob(t *testing.T) {
	for _, kind := range []failover.Kind{failover.KindPlanned, failover.KindUnplanned} {
		t.Run(string(kind), func(t *testing.T) {
			w := newWorld()
			h := newHarness(t, w)
			runs := &runLog{}
			h.o.Runs = runs
			w.verifyErr = errors.New("502 from the front door")
			r, err := h.o.Run(context.Background(), kind, plan.Options{})
			if err == nil || r.Verified {
				t.Fatalf("first run: %v (verified=%t), want the write check to fail", err, r.Verified)
			}
			if runs.last == nil || runs.last.Verified || runs.last.To != west || runs.last.Kind != kind || runs.last.From != east {
				t.Fatalf("record %+v, want an unverified %s run %s → %s", runs.last, kind, east, west)
			}
			changed := len(w.Calls())

			w.verifyErr = nil
			_, p, err := h.o.Plan(context.Background(), kind, plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := actions(p), []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite}; !slices.Equal(got, want) || p.To != west || p.Err() != nil {
				t.Fatalf("re-run plan %v to %s (%v), want only %v to %s\n%s", got, p.To, p.Err(), want, west, p)
			}
			if !strings.Contains(strings.Join(p.Notes, "\n"), "finishes it with the id fence and the write check alone") {
				t.Errorf("notes %q, want one saying the run finishes the last one", p.Notes)
			}
			r, err = h.o.Run(context.Background(), kind, plan.Options{})
			if err != nil || !r.Verified || r.To != west {
				t.Fatalf("re-run: %v (verified=%t, to %s), want verified in %s", err, r.Verified, r.To, west)
			}
			if calls := w.Calls()[changed:]; len(calls) != 0 {
				t.Errorf("re-run changed %q, want nothing", calls)
			}
			if !runs.last.Verified || runs.last.To != west {
				t.Errorf("record %+v, want verified in %s", runs.last, west)
			}

			// Verified: the planned command fails back again.
			r, err = h.o.Run(context.Background(), failover.KindPlanned, plan.Options{})
			if err != nil || r.From != west || r.To != east || !r.Verified {
				t.Fatalf("failback: %v, %s → %s verified=%t; want %s → %s verified", err, r.From, r.To, r.Verified, west, east)
			}
			if diff := cmp.Diff([]string{"Switchover(" + eastID + ")", "Route(" + east + ")"}, w.Calls()[changed:]); diff != "" {
				t.Errorf("failback calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFinishLastRunOnlyWhenItFits: the write check alone is planned only
// when the last run's target holds both the writer and the route, its
// write was not verified, and no other target is named.
func TestFinishLastRunOnlyWhenItFits(t *testing.T) {
	unverified := failover.RunRecord{Kind: failover.KindPlanned, GlobalID: "todomgmt-global", From: east, To: west, At: time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)}
	for _, tt := range []struct {
		name   string
		last   *failover.RunRecord
		mutate func(*failover.State)
		target string
		finish bool
	}{
		{name: "unverified, writer and route there", last: &unverified, finish: true},
		{name: "unverified, same target named", last: &unverified, target: west, finish: true},
		{name: "no record", last: nil},
		{name: "verified", last: func() *failover.RunRecord { r := unverified; r.Verified = true; return &r }()},
		{name: "another target named", last: &unverified, target: east},
		{name: "route not there", last: &unverified, mutate: func(s *failover.State) { s.Active = east }},
		{name: "writer not there", last: &unverified, mutate: func(s *failover.State) { s.Topology.Members[0].Writer, s.Topology.Members[1].Writer = true, false }},
		{name: "front door unreadable", last: &unverified, mutate: func(s *failover.State) { s.ActiveErr = errors.New("denied") }},
		{name: "another global database", last: func() *failover.RunRecord { r := unverified; r.GlobalID = "old-global"; return &r }()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := healthyState(t)
			// The state the last run was heading for: writer and route in
			// us-west-2, and the id fence it set there (this test is about
			// the record: TestRecoveryTowardsTheWriter has the runs that
			// stopped before the fence).
			s.Topology.Members[0].Writer, s.Topology.Members[1].Writer = false, true
			s.Topology.Members[0].Sync, s.Topology.Members[0].LagKnown = "connected", true
			s.Active = west
			fenced(&s, west, 2)
			s.LastRun = tt.last
			if tt.mutate != nil {
				tt.mutate(&s)
			}
			for _, p := range []plan.Plan{plan.Switchover(s, plan.Options{Target: tt.target}), plan.Failover(s, plan.Options{Target: tt.target})} {
				finished := slices.Equal(actions(p), []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite})
				if finished != tt.finish {
					t.Errorf("%s plan %v, want write check only: %t\n%s", p.Kind, actions(p), tt.finish, p)
				}
			}
		})
	}
}

// TestRunLogProblemsDoNotStopARun: an unreadable record is planned
// without; a record that cannot be written is a warning.
func TestRunLogProblemsDoNotStopARun(t *testing.T) {
	w := newWorld()
	h := newHarness(t, w)
	h.o.Runs = &runLog{readErr: errors.New("permission denied"), saveErr: errors.New("disk full")}
	r, err := h.o.Run(context.Background(), failover.KindPlanned, plan.Options{})
	if err != nil || !r.Verified {
		t.Fatalf("Run: %v (verified=%t)", err, r.Verified)
	}
	if p := h.appr.asked[0]; !strings.Contains(strings.Join(p.Notes, "\n"), "cannot read the last run's record (permission denied)") {
		t.Errorf("plan notes %q, want one about the unreadable record", p.Notes)
	}
	var warned bool
	for _, e := range h.rec.Events() {
		warned = warned || e.Kind == EventWarning && strings.Contains(e.Message, "disk full")
	}
	if !warned {
		t.Errorf("no warning about the record that could not be written: %q", kinds(h.rec.Events()))
	}
}
