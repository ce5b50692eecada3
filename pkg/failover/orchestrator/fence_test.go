package orchestrator

import (
	"context"
	"encoding/json"
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

// TestFenceRequests: the fence moves creates without a gap only when the
// move of the writer is known to be lossless (a switchover this run or a
// recorded one made); otherwise with a gap and the loss bound, whatever
// the command's own kind.
func TestFenceRequests(t *testing.T) {
	moved := func(s *failover.State) {
		s.Topology.Members[0].Writer, s.Topology.Members[1].Writer = false, true
		s.Topology.Members[0].Sync, s.Topology.Members[0].LagKnown = "connected", true
	}
	record := func(kind failover.Kind, dataLoss bool) func(*failover.State) {
		return func(s *failover.State) {
			moved(s)
			s.Active = west
			s.LastRun = &failover.RunRecord{Kind: kind, GlobalID: s.Topology.ID, From: east, To: west, DataLoss: dataLoss}
		}
	}
	for _, tt := range []struct {
		name   string
		plan   func(failover.State, plan.Options) plan.Plan
		mutate func(*failover.State)
		want   failover.FenceRequest
		note   string
	}{
		{name: "planned switchover", plan: plan.Switchover, want: failover.FenceRequest{Region: west}},
		{name: "unplanned failover: the target's lag", plan: plan.Failover, mutate: func(s *failover.State) { s.Topology.Members[1].Lag = 1500 * time.Millisecond },
			want: failover.FenceRequest{Region: west, DataLoss: true, Lag: 1500 * time.Millisecond}},
		{name: "unplanned failover, lag unknown", plan: plan.Failover, mutate: func(s *failover.State) { s.Topology.Members[1].LagKnown = false },
			want: failover.FenceRequest{Region: west, DataLoss: true}},
		{name: "detach", plan: func(s failover.State, o plan.Options) plan.Plan { return plan.Detach(s, plan.Options{Target: west}) },
			want: failover.FenceRequest{Region: west, DataLoss: true, Lag: 200 * time.Millisecond}},
		{name: "planned, finishing a move nobody recorded", plan: plan.Switchover, mutate: moved,
			want: failover.FenceRequest{Region: west, DataLoss: true}, note: "no record says a switchover moved the writer to us-west-2"},
		{name: "planned, finishing a recorded switchover", plan: plan.Switchover, mutate: func(s *failover.State) {
			moved(s)
			s.LastRun = &failover.RunRecord{Kind: failover.KindPlanned, GlobalID: s.Topology.ID, From: east, To: west, Verified: true}
		}, want: failover.FenceRequest{Region: west}},
		{name: "planned command finishing an unplanned run", plan: plan.Switchover, mutate: record(failover.KindUnplanned, true),
			want: failover.FenceRequest{Region: west, DataLoss: true}},
		{name: "planned command finishing a planned command that finished an unplanned run", plan: plan.Switchover, mutate: record(failover.KindPlanned, true),
			want: failover.FenceRequest{Region: west, DataLoss: true}},
		{name: "unplanned command finishing a switchover", plan: plan.Failover, mutate: record(failover.KindPlanned, false),
			want: failover.FenceRequest{Region: west}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := healthyState(t)
			if tt.mutate != nil {
				tt.mutate(&s)
			}
			p := tt.plan(s, plan.Options{})
			if err := p.Err(); err != nil {
				t.Fatalf("refused: %v", err)
			}
			if p.Fence == nil || !slices.Contains(actions(p), plan.ActionFenceIDs) {
				t.Fatalf("plan without a fence step:\n%s", p)
			}
			if diff := cmp.Diff(tt.want, *p.Fence); diff != "" {
				t.Errorf("fence request (-want +got):\n%s", diff)
			}
			if tt.note != "" && !strings.Contains(strings.Join(p.Notes, "\n"), tt.note) {
				t.Errorf("notes %q, want one containing %q", p.Notes, tt.note)
			}
		})
	}
}

// TestDatabaseThatCannotFence: a planned switchover loses nothing, so it
// runs without a fence step (the write check tells whether the store
// waits for a fence); a failover with data loss or a detach refuses.
func TestDatabaseThatCannotFence(t *testing.T) {
	for _, tt := range []struct {
		name   string
		kind   failover.Kind
		target string
		gated  bool
		refuse bool
		wantOK bool
	}{
		{name: "planned, store without a fence", kind: failover.KindPlanned, wantOK: true},
		{name: "planned, store that waits for a fence", kind: failover.KindPlanned, gated: true},
		{name: "unplanned", kind: failover.KindUnplanned, refuse: true},
		{name: "detach", kind: failover.KindDetach, target: west, refuse: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.gated = tt.gated
			h := newHarness(t, w)
			h.o.DB = noFenceDB{snapshotDB{db{w}}}
			r, err := h.o.Run(context.Background(), tt.kind, plan.Options{Target: tt.target})
			if tt.refuse {
				if err == nil || !strings.Contains(err.Error(), "this database cannot fence ids") {
					t.Errorf("error %v, want the refusal of a lossy move without a fence", err)
				}
				if calls := w.Calls(); len(calls) != 0 {
					t.Errorf("calls %q, want none", calls)
				}
				return
			}
			if slices.ContainsFunc(r.Steps, func(s StepResult) bool { return s.Step.Action == plan.ActionFenceIDs }) {
				t.Errorf("steps %v include a fence", r.Steps)
			}
			if r.Fence != nil || r.FenceNote != "not fenced: this database does not fence ids" || !strings.Contains(r.String(), "id fence: not fenced") {
				t.Errorf("report fence %+v note %q, want the note only\n%s", r.Fence, r.FenceNote, r)
			}
			if tt.wantOK != (err == nil && r.Verified) {
				t.Errorf("run: %v (verified=%t), want verified %t", err, r.Verified, tt.wantOK)
			}
			if !tt.wantOK && (err == nil || !strings.Contains(err.Error(), "creates wait for the id fence")) {
				t.Errorf("error %v, want the write check to fail on the fence", err)
			}
		})
	}
}

// TestFenceRetriesUntilTheWriterTakesIt: right after a promotion the new
// writer's endpoint may still refuse writes: the fence is retried with
// backoff within the Fence timeout, each call bounded; a fence that never
// gets through fails the run before the write check, and the next run
// fences again.
func TestFenceRetriesUntilTheWriterTakesIt(t *testing.T) {
	errReadOnly := errors.New("fence ids: the server is read-only (Error 1290)")
	t.Run("two failures then through", func(t *testing.T) {
		w := newWorld()
		w.fenceErr = []error{errReadOnly, errReadOnly}
		h := newHarness(t, w)
		r, err := h.o.Run(context.Background(), failover.KindUnplanned, plan.Options{})
		if err != nil || !r.Verified {
			t.Fatalf("Run: %v\n%s", err, r)
		}
		if len(w.fences) != 3 || r.Fence == nil || r.Fence.Term != 2 {
			t.Errorf("%d fence calls, report fence %+v; want 3 calls and term 2", len(w.fences), r.Fence)
		}
	})
	t.Run("never through", func(t *testing.T) {
		w := newWorld()
		for range 100 {
			w.fenceErr = append(w.fenceErr, errReadOnly)
		}
		h := newHarness(t, w)
		h.o.Timeouts.Fence = 2 * time.Minute
		runs := &runLog{}
		h.o.Runs = runs
		r, err := h.o.Run(context.Background(), failover.KindUnplanned, plan.Options{})
		if !errors.Is(err, errReadOnly) || !strings.Contains(err.Error(), "timed out after 2m0s waiting for the id fence in us-west-2") {
			t.Fatalf("error %v, want the fence's timeout wrapping the last error", err)
		}
		if got, want := outcomes(r), []Outcome{OutcomeDone, OutcomeDone, OutcomeDone, OutcomeFailed, OutcomeNotRun}; !slices.Equal(got, want) {
			t.Errorf("outcomes %v, want %v", got, want)
		}
		if n := len(w.fences); n < 3 || n > 12 {
			t.Errorf("%d fence calls in 2 minutes of 10 s polls, want a few (backing off)", n)
		}
		if w.fenceRegion != east {
			t.Errorf("the fence names %s, want still %s: creates stay closed in %s", w.fenceRegion, east, west)
		}
		// The next run finishes: the fence, then the write check.
		w.fenceErr = nil
		_, p, _ := h.o.Plan(context.Background(), failover.KindUnplanned, plan.Options{})
		if got, want := actions(p), []plan.Action{plan.ActionFenceIDs, plan.ActionVerifyWrite}; !slices.Equal(got, want) || !p.Fence.DataLoss {
			t.Errorf("next plan %v fence %+v, want %v with data loss\n%s", got, p.Fence, want, p)
		}
	})
}

// TestRunRecordedBeforeItsFirstStep: a run that dies leaves the record
// written before its first step, which says which way it went and that
// it may lose data; an interrupted run starts no further step.
func TestRunRecordedBeforeItsFirstStep(t *testing.T) {
	w := newWorld()
	h := newHarness(t, w)
	runs := &runLog{}
	h.o.Runs = runs
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.o.Printer = PrinterFunc(func(e Event) {
		if after(plan.ActionFailover)(e) {
			cancel()
		}
	})
	r, err := h.o.Run(ctx, failover.KindUnplanned, plan.Options{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted before step 3/5 wait-writer") {
		t.Fatalf("error %v, want an interruption before wait-writer", err)
	}
	if got, want := outcomes(r), []Outcome{OutcomeDone, OutcomeDone, OutcomeNotRun, OutcomeNotRun, OutcomeNotRun}; !slices.Equal(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	if len(runs.saved) != 2 {
		t.Fatalf("%d records, want the start and the end", len(runs.saved))
	}
	want := failover.RunRecord{Kind: failover.KindUnplanned, GlobalID: "todomgmt-global", From: east, To: west, DataLoss: true, At: r.Started, Error: errNotEnded}
	if diff := cmp.Diff(want, runs.saved[0]); diff != "" {
		t.Errorf("start record (-want +got):\n%s", diff)
	}
	if end := runs.saved[1]; end.Verified || !strings.Contains(end.Error, "interrupted") || !end.DataLoss {
		t.Errorf("end record %+v, want an unverified interrupted run that may lose data", end)
	}
}

// evidenceDB is a Database that keeps a lag history (LagHistorian).
type evidenceDB struct {
	snapshotDB
	ev  map[string]failover.LagEvidence
	err error
}

func (d evidenceDB) LagEvidence(_ context.Context, m failover.Member) (failover.LagEvidence, error) {
	d.w.mu.Lock()
	d.w.log("LagEvidence(%s)", m.Region)
	d.w.mu.Unlock()
	if d.err != nil {
		return failover.LagEvidence{}, d.err
	}
	return d.ev[m.Region], nil
}

// TestLagEvidenceIsTheLossBound: an unplanned failover's bound on lost
// writes is the lag around the fault from the target's history, not its
// lag now; the plan, the fence and the report carry it with the
// datapoints used.
func TestLagEvidenceIsTheLossBound(t *testing.T) {
	fault := time.Date(2026, 11, 5, 8, 0, 0, 0, time.UTC)
	known := failover.LagEvidence{Bound: 4 * time.Second, Known: true, FaultAt: fault, From: fault.Add(-5 * time.Minute), To: fault,
		Why: "the datapoints stop after 08:00", Used: []failover.LagDatapoint{
			{Metric: "AuroraGlobalDBRPOLag", At: fault.Add(-time.Minute), Value: 4 * time.Second},
			{Metric: "AuroraGlobalDBReplicationLag", At: fault, Value: time.Second},
		}}
	for _, tt := range []struct {
		name     string
		ev       failover.LagEvidence
		err      error
		lagNow   time.Duration
		lagKnown bool
		want     time.Duration
		wantOK   bool
		note     string
	}{
		{name: "history", ev: known, lagNow: 200 * time.Millisecond, lagKnown: true, want: 4 * time.Second, wantOK: true},
		{name: "history, the lag grew since", ev: known, lagNow: 3 * time.Hour, lagKnown: true, want: 4 * time.Second, wantOK: true,
			note: "the replication lag of us-west-2 is 3h0m0s now, more than the 4s around the fault"},
		{name: "no bound in the history: the latest lag", ev: failover.LagEvidence{Why: "no lag datapoint in the last 24h"}, lagNow: 200 * time.Millisecond, lagKnown: true,
			want: 200 * time.Millisecond, wantOK: true, note: "gives no bound (no lag datapoint in the last 24h): the bound is its latest lag"},
		{name: "history unreadable, lag unknown", err: errors.New("AccessDenied"),
			note: "gives no bound (cannot read the lag history: AccessDenied), so the data-loss bound is unknown"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.topo.Members[1].Lag, w.topo.Members[1].LagKnown = tt.lagNow, tt.lagKnown
			h := newHarness(t, w)
			h.o.DB = evidenceDB{snapshotDB: snapshotDB{db{w}}, ev: map[string]failover.LagEvidence{west: tt.ev}, err: tt.err}
			s, p, err := h.o.Plan(context.Background(), failover.KindUnplanned, plan.Options{})
			if err != nil || p.Err() != nil {
				t.Fatalf("plan: %v %v", err, p.Err())
			}
			// The target's history only: the other region may be the
			// lost one.
			if _, ok := s.LagEvidence[west]; len(s.LagEvidence) != 1 || !ok || !slices.Equal(w.Calls(), []string{"LagEvidence(" + west + ")"}) {
				t.Errorf("evidence read for %v (calls %q), want %s's only", s.LagEvidence, w.Calls(), west)
			}
			if p.Lag != tt.want || p.LagKnown != tt.wantOK || p.Fence.Lag != tt.want {
				t.Errorf("bound %s known %t, fence lag %s; want %s %t", p.Lag, p.LagKnown, p.Fence.Lag, tt.want, tt.wantOK)
			}
			if p.LagEvidence == nil || p.LagEvidence.Region != west {
				t.Errorf("plan evidence %+v, want the target's", p.LagEvidence)
			}
			if tt.note != "" && !strings.Contains(strings.Join(p.Notes, "\n"), tt.note) {
				t.Errorf("notes %q, want one containing %q", p.Notes, tt.note)
			}
			r, err := h.o.Execute(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if got := w.fences[len(w.fences)-1]; got.Lag != tt.want || !got.DataLoss {
				t.Errorf("fence asked %+v, want data loss with lag %s", got, tt.want)
			}
			if r.LagEvidence == nil {
				t.Fatalf("report without the evidence")
			}
			if tt.ev.Known {
				text := r.String()
				if !strings.Contains(text, "loss bound: 4s from 2 datapoint(s) of us-west-2's lag history, 2026-11-05T07:55:00Z to 2026-11-05T08:00:00Z") {
					t.Errorf("report lacks the bound's summary:\n%s", text)
				}
				// Each datapoint used: its time, metric and value.
				for _, d := range tt.ev.Used {
					if !slices.ContainsFunc(strings.Split(text, "\n"), func(l string) bool {
						f := strings.Fields(l)
						return len(f) == 3 && f[0] == d.At.Format(time.RFC3339) && f[1] == d.Metric && f[2] == d.Value.String()
					}) {
						t.Errorf("report lacks the datapoint %+v:\n%s", d, text)
					}
				}
			}
		})
	}
	// A planned switchover loses nothing: it does not read the history.
	w := newWorld()
	h := newHarness(t, w)
	h.o.DB = evidenceDB{snapshotDB: snapshotDB{db{w}}, ev: map[string]failover.LagEvidence{west: known}}
	_, p, _ := h.o.Plan(context.Background(), failover.KindPlanned, plan.Options{})
	if p.LagEvidence != nil || p.Lag != 200*time.Millisecond || p.Fence.DataLoss {
		t.Errorf("planned: evidence %v lag %s fence %+v, want the lag now and no data loss", p.LagEvidence, p.Lag, p.Fence)
	}
	if calls := w.Calls(); len(calls) != 0 {
		t.Errorf("planned: calls %q, want no read of the lag history", calls)
	}
	// Finishing a move of the writer no record says was lossless, it may
	// lose data: it reads the history for the bound.
	w = newWorld()
	w.setWriter(westID)
	h = newHarness(t, w)
	h.o.DB = evidenceDB{snapshotDB: snapshotDB{db{w}}, ev: map[string]failover.LagEvidence{west: known}}
	_, p, _ = h.o.Plan(context.Background(), failover.KindPlanned, plan.Options{})
	if p.To != west || p.LagEvidence == nil || p.Lag != 4*time.Second || !p.Fence.DataLoss || !slices.Equal(w.Calls(), []string{"LagEvidence(" + west + ")"}) {
		t.Errorf("planned, finishing a move: to %s evidence %v lag %s fence %+v calls %q, want %s's history as the bound", p.To, p.LagEvidence, p.Lag, p.Fence, w.Calls(), west)
	}
}

// regionalDB is a Database that reads the topology from one region
// (RegionalTopology). Its Topology answers the stale view a lost region
// may give, when set.
type regionalDB struct {
	snapshotDB
	mu      *sync.Mutex
	stale   *failover.Topology
	fromErr error
	asked   *[]string
	anyRead *int
}

func (d regionalDB) Topology(ctx context.Context) (failover.Topology, error) {
	d.mu.Lock()
	*d.anyRead++
	stale := d.stale
	d.mu.Unlock()
	if stale != nil {
		return *stale, nil
	}
	return d.snapshotDB.Topology(ctx)
}

func (d regionalDB) TopologyFrom(ctx context.Context, region string) (failover.Topology, error) {
	d.mu.Lock()
	*d.asked = append(*d.asked, region)
	err := d.fromErr
	d.mu.Unlock()
	if err != nil {
		return failover.Topology{}, err
	}
	return d.snapshotDB.Topology(ctx)
}

// TestUnplannedReadsTheTopologyFromTheTarget: the plan and every
// topology read of the run ask the target region; when it does not
// answer, whichever region answers is used, with a note and one warning.
func TestUnplannedReadsTheTopologyFromTheTarget(t *testing.T) {
	t.Run("the target answers", func(t *testing.T) {
		w := newWorld()
		lose(east)(w)
		h := newHarness(t, w)
		// The lost region answers first, with an operation it thinks is
		// in progress: planning from it would refuse.
		stale := w.topo
		stale.Members = slices.Clone(w.topo.Members)
		stale.Operation, stale.OperationTo = "failing-over", "arn:other"
		var asked []string
		anyRead := 0
		h.o.DB = regionalDB{snapshotDB: snapshotDB{db{w}}, mu: &sync.Mutex{}, stale: &stale, asked: &asked, anyRead: &anyRead}
		s, p, err := h.o.Plan(context.Background(), failover.KindUnplanned, plan.Options{})
		if err != nil || p.Err() != nil || s.TopologyFrom != west {
			t.Fatalf("plan: %v %v, topology from %q; want a plan from %s's view\n%s", err, p.Err(), s.TopologyFrom, west, p)
		}
		readsBefore := anyRead
		r, err := h.o.Execute(context.Background(), p)
		if err != nil || !r.Verified {
			t.Fatalf("Run: %v\n%s", err, r)
		}
		if anyRead != readsBefore {
			t.Errorf("the run read the topology from any region %d times, want none", anyRead-readsBefore)
		}
		if len(asked) < 3 || slices.ContainsFunc(asked, func(r string) bool { return r != west }) {
			t.Errorf("regions asked %q, want %s only, at planning and during the run", asked, west)
		}
	})
	t.Run("the target does not answer", func(t *testing.T) {
		w := newWorld()
		lose(east)(w)
		h := newHarness(t, w)
		var asked []string
		anyRead := 0
		h.o.DB = regionalDB{snapshotDB: snapshotDB{db{w}}, mu: &sync.Mutex{}, fromErr: errors.New("throttled"), asked: &asked, anyRead: &anyRead}
		r, err := h.o.Run(context.Background(), failover.KindUnplanned, plan.Options{})
		if err != nil || !r.Verified {
			t.Fatalf("Run: %v\n%s", err, r)
		}
		p := h.rec.Events()[0].Plan
		if !strings.Contains(strings.Join(p.Notes, "\n"), "cannot read the global database from us-west-2, the target region (throttled): planned from the topology read from whichever region answered first") {
			t.Errorf("notes %q, want the fallback explained", p.Notes)
		}
		warnings := 0
		for _, e := range h.rec.Events() {
			if e.Kind == EventWarning && strings.Contains(e.Message, "cannot read the global database from us-west-2") {
				warnings++
			}
		}
		if warnings != 1 || anyRead < 3 {
			t.Errorf("%d warnings, %d reads from any region; want one warning for several reads", warnings, anyRead)
		}
	})
}

// TestReportJSON: the report's JSON carries the fence and the evidence.
func TestReportJSON(t *testing.T) {
	at := time.Date(2026, 11, 5, 8, 0, 0, 0, time.UTC)
	r := Report{Kind: failover.KindUnplanned, To: west,
		Fence:       &failover.FenceResult{Region: west, Term: 3, MaxID: 1234, Floor: 1001235, Gap: 1000000, Rate: 2.5, Window: 75 * time.Second, Reason: "r"},
		LagEvidence: &failover.LagEvidence{Region: west, Bound: time.Second, Known: true, FaultAt: at, Why: "w", Used: []failover.LagDatapoint{{Metric: "m", At: at, Value: time.Second}}}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Fence       map[string]any `json:"fence"`
		LagEvidence map[string]any `json:"lagEvidence"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"region", "term", "skipped", "maxId", "floor", "gap", "rate", "window", "reason"} {
		if _, ok := got.Fence[k]; !ok {
			t.Errorf("fence JSON %v lacks %q", got.Fence, k)
		}
	}
	for _, k := range []string{"region", "bound", "known", "faultAt", "why", "used"} {
		if _, ok := got.LagEvidence[k]; !ok {
			t.Errorf("evidence JSON %v lacks %q", got.LagEvidence, k)
		}
	}
}

// TestReportSaysWhatWasLost: the report's line on lost writes follows
// whether the move may lose data and where the bound came from.
func TestReportSaysWhatWasLost(t *testing.T) {
	ran := []StepResult{{Step: plan.Step{Action: plan.ActionVerifyWrite, Summary: "write through the front door and check " + west + " served it"}, Outcome: OutcomeDone}}
	for _, tt := range []struct {
		name string
		r    Report
		want string
	}{
		{"switchover", Report{Kind: failover.KindPlanned, Lag: time.Second, LagKnown: true},
			"replication lag at start: 1s (a switchover synchronizes first: no data loss)"},
		{"failover, bound from the history", Report{Kind: failover.KindUnplanned, DataLoss: true, Lag: 4 * time.Second, LagKnown: true, LagEvidence: &failover.LagEvidence{Known: true, Bound: 4 * time.Second}},
			"bound on writes lost: 4s (the replication lag around the fault, below)"},
		{"failover, latest lag", Report{Kind: failover.KindUnplanned, DataLoss: true, Lag: 2 * time.Second, LagKnown: true},
			"replication lag at start: 2s (the bound on writes lost)"},
		{"planned command finishing a lossy move", Report{Kind: failover.KindPlanned, DataLoss: true},
			"replication lag at start: unknown (the bound on writes lost)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.To, tt.r.Steps = west, ran
			if got := tt.r.String(); !strings.Contains(got, tt.want) {
				t.Errorf("report lacks %q:\n%s", tt.want, got)
			}
		})
	}
}
