//go:build integration

package integration

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/todomgmt/todomgmt/internal/lab"
	"github.com/todomgmt/todomgmt/internal/lab/globaldb"
	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/drill"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// TestLabDrill runs one short round of the lab drill, through the drill
// runner the AWS drill shares (pkg/drill) with the lab as its
// environment, with its default unplanned scenario (planned switchover, failback, unplanned failover with
// the replication link cut for a second before the writer is killed, so
// that acknowledged creates and updates are lost) and checks every target
// that does not depend on timing: issue 10's items 1, 2 and 4 with real
// replication among them. Timing goals are measured by `go tool mage
// lab:drill`.
func TestLabDrill(t *testing.T) {
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	l := startLab(ctx, t)

	rep, err := drill.Run(ctx, lab.NewDrillEnv(l, nil), drill.Config{
		Rounds: 1,
		// Long enough that the second's cut does not update every todo
		// created before it: some ETags are still current afterwards.
		Warmup:   1500 * time.Millisecond,
		Cooldown: 1500 * time.Millisecond,
		Logf:     t.Logf,
	})
	if err != nil {
		t.Fatalf("drill: %v", err)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Logf("the drill's report:\n%s", table.String())
	if rep.Partition <= 0 {
		t.Errorf("the default drill cut no replication link (partition %vs), want a cut", rep.Partition)
	}
	for _, tg := range rep.Targets {
		timing := strings.HasPrefix(tg.Goal, "write gap") || strings.HasPrefix(tg.Goal, "writes restored")
		if !tg.Met && !timing {
			t.Errorf("target MISSED: %s %s: %s", tg.Scenario, tg.Goal, tg.Measured)
		}
	}
	if len(rep.Scenarios) != 3 {
		t.Fatalf("the drill ran %d scenarios, want 3", len(rep.Scenarios))
	}
	for _, s := range rep.Scenarios {
		t.Run(s.Name, func(t *testing.T) {
			w := s.Writes
			t.Logf("%s %s → %s: %d writes, %d acked, %d lost, %d duplicates, errors %v, gap %s, unreplicated at fault %v, discarded by the promotion %v",
				s.Name, s.From, s.To, w.Writes, w.Acked, w.Lost, w.Duplicates, w.Errors, w.WriteGap, deref(s.UnreplicatedAtFault), deref(s.DiscardedAtPromotion))
			t.Logf("%s: %d updates (%d lost), %d ids reused, %d stale ETags sent (%d of lost writes, %d matched: %v), %d current (%d refused), %d reads in %s (%d failed: %v)",
				s.Name, w.Updates, w.LostUpdates, w.ReusedIDs, w.StaleETagWrites, w.LostETagWrites, w.StaleETagAccepted, w.StaleETagOutcomes,
				w.CurrentETagWrites, w.CurrentETagRefused, s.Reads.Reads, s.Reads.Region, s.Reads.Failures, s.Reads.FailureSample)
			// No id is handed out twice; no stale ETag matches, the
			// current one still does; reads in the target region work
			// from the switch on.
			if w.ReusedIDs != 0 {
				t.Errorf("ids handed out twice = %d (%v), want 0", w.ReusedIDs, w.ReusedIDSample)
			}
			if w.StaleETagAccepted != 0 {
				t.Errorf("writes that matched a stale ETag = %d (%v), want 0", w.StaleETagAccepted, w.StaleETagOutcomes)
			}
			if w.CurrentETagRefused != 0 {
				t.Errorf("writes with the current ETag refused = %d of %d, want 0", w.CurrentETagRefused, w.CurrentETagWrites)
			}
			if s.Reads.Reads == 0 || s.Reads.Failures != 0 || s.Reads.Region != s.To {
				t.Errorf("reads in %s (want %s): %d, %d failed (%v); want some, none failed", s.Reads.Region, s.To, s.Reads.Reads, s.Reads.Failures, s.Reads.FailureSample)
			}
			if w.Updates == 0 || w.CurrentETagWrites == 0 {
				t.Errorf("updates %d, writes with the current ETag %d: want some of both", w.Updates, w.CurrentETagWrites)
			}
			if len(s.Errors) > 0 {
				t.Errorf("scenario errors: %q", s.Errors)
			}
			if !s.Report.Verified {
				t.Errorf("the orchestrator did not verify a write in %s: %s", s.To, s.Report.Error)
			}
			if w.Acked == 0 {
				t.Errorf("no write was acknowledged: the load generator did not run")
			}
			if w.Duplicates != 0 {
				t.Errorf("duplicates = %d (keys %q), want 0", w.Duplicates, w.DuplicateKeys)
			}
			switch s.Name {
			case drill.ScenarioPlanned, drill.ScenarioFailback:
				if w.Lost != 0 || w.LostUpdates != 0 || w.StaleETagWrites != 0 {
					t.Errorf("lost = %d creates (keys %q), %d updates, %d stale ETags; want 0 for a planned switchover",
						w.Lost, w.LostKeys, w.LostUpdates, w.StaleETagWrites)
				}
				if s.Report.Fence == nil || s.Report.Fence.Gap != 0 || s.Report.Fence.Skipped {
					t.Errorf("the switchover's id fence = %+v, want one that ran, without a gap", s.Report.Fence)
				}
			case drill.ScenarioUnplanned:
				if s.UnreplicatedAtFault == nil || s.DiscardedAtPromotion == nil {
					t.Fatalf("unreplicated at the fault (%v) or discarded by the promotion (%v) was not measured",
						deref(s.UnreplicatedAtFault), deref(s.DiscardedAtPromotion))
				}
				// The replica's received GTIDs were read when the writer
				// stopped, before the promotion: a promotion that threw
				// away received transactions shows here, not as loss
				// hidden inside the unreplicated count.
				if *s.DiscardedAtPromotion != 0 {
					t.Errorf("discarded by the promotion = %d, want 0 (the replica applies all it received first)", *s.DiscardedAtPromotion)
				}
				// Lost is counted in the application's rows, unreplicated
				// from the old writer's GTIDs against what the replica had
				// received: two independent measures.
				// Every acknowledged create and update is one transaction.
				if int64(w.Lost+w.LostUpdates) > *s.UnreplicatedAtFault {
					t.Errorf("lost = %d creates (keys %q) + %d updates, want ≤ %d (transactions unreplicated at the fault)",
						w.Lost, w.LostKeys, w.LostUpdates, *s.UnreplicatedAtFault)
				}
				// The link was cut for a second under load: there were
				// unreplicated writes, so the comparison above is real,
				// and lost writes whose ids and ETags were tried again.
				if *s.UnreplicatedAtFault == 0 {
					t.Errorf("unreplicated at the fault = 0, want > 0 after cutting replication for 1s under load")
				}
				if w.Lost == 0 || w.LostUpdates == 0 || w.LostETagWrites == 0 {
					t.Errorf("lost %d creates and %d updates, %d ETags of lost writes sent again; want some of each after the cut",
						w.Lost, w.LostUpdates, w.LostETagWrites)
				}
				if s.Report.Fence == nil || s.Report.Fence.Gap == 0 {
					t.Errorf("the unplanned failover's id fence = %+v, want one with a gap", s.Report.Fence)
				}
				if s.Rebuild == nil || !s.Rebuild.Reseeded {
					t.Errorf("rebuild = %+v, want the diverged old writer re-seeded", s.Rebuild)
				} else if _, err := os.Stat(s.Rebuild.Snapshot); err != nil {
					t.Errorf("the old writer's diverged data: %v, want it kept in a file", err)
				}
			}
			// Issue item 5: after the role change, without restarting
			// anything, the active API writes and the passive one refuses
			// writes with 503 region_passive but serves reads.
			c := s.Checks
			if c.ActiveWrite != "201" {
				t.Errorf("write to the active region %s = %q, want 201", c.Active, c.ActiveWrite)
			}
			if c.PassiveWrite != "503 region_passive" {
				t.Errorf("write to the passive region %s = %q, want 503 region_passive", c.Passive, c.PassiveWrite)
			}
			if c.PassiveRead != "200" {
				t.Errorf("read from the passive region %s = %q, want 200", c.Passive, c.PassiveRead)
			}
			if !c.ReplicaConsistent {
				t.Errorf("the replica differs from the writer: %s", c.ReplicaDetail)
			}
		})
	}

	// What lab:failover:unplanned runs, on the lab the drill left.
	u, err := globaldb.RehearseUnplanned(ctx, l.DB, l.Orchestrator(drill.AutoApprove{}, nil), plan.Options{})
	if err != nil {
		t.Fatalf("rehearse an unplanned failover: %v", err)
	}
	if !u.Report.Verified || u.Rebuild == nil {
		t.Errorf("unplanned rehearsal: verified %v, rebuild %+v; want a verified failover and the old writer rebuilt", u.Report.Verified, u.Rebuild)
	}
	if u.Discarded == nil || *u.Discarded != 0 || u.Unreplicated == nil {
		t.Errorf("unplanned rehearsal: discarded %v, unreplicated %v; want 0 discarded and unreplicated measured", deref(u.Discarded), deref(u.Unreplicated))
	}

	top, err := l.DB.Topology(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w, ok := top.Writer(); !ok || top.Status != "available" || w.Region == u.Killed {
		t.Errorf("after the drill and the rehearsal the topology is %s with members %+v, want one available writer other than %s", top.Status, top.Members, u.Killed)
	}
	for _, m := range top.Members {
		if !m.Writer && m.Sync != "connected" {
			t.Errorf("after the drill and the rehearsal %s is %q, want a connected replica", m.Region, m.Sync)
		}
	}

	// Recovery towards the writer with real replication: a planned switchover that
	// stopped once the writer moved, before its id fence, is finished by
	// an unplanned run that has no record of it (the lab's orchestrator
	// keeps none, like another operator's machine): the fence, read on
	// both servers, shows the move unfinished.
	t.Run("a switchover stopped before its fence, finished without its record", func(t *testing.T) {
		from, ok := top.Writer()
		if !ok {
			t.Fatal("no writer to switch from")
		}
		to := ""
		for _, m := range top.Members {
			if m.Region != from.Region {
				to = m.Region
			}
		}
		sctx, stop := context.WithCancel(ctx)
		defer stop()
		first := l.Orchestrator(drill.AutoApprove{}, orchestrator.PrinterFunc(func(e orchestrator.Event) {
			if e.Kind == orchestrator.EventStepSucceeded && e.Step.Action == plan.ActionWaitWriter {
				stop()
			}
		}))
		if r, err := first.Run(sctx, failover.KindPlanned, plan.Options{}); err == nil || r.Fence != nil {
			t.Fatalf("the first run: %v, fence %+v; want it stopped before its fence\n%s", err, r.Fence, r)
		}
		for _, region := range l.Regions() {
			if f, err := l.DB.FenceState(ctx, region); err != nil || f.Region != from.Region {
				t.Errorf("the fence read in %s: %+v, %v; want it still naming %s", region, f, err, from.Region)
			}
		}
		o := l.Orchestrator(drill.AutoApprove{}, nil)
		_, p, err := o.Plan(ctx, failover.KindUnplanned, plan.Options{})
		if err != nil || p.Err() != nil || p.To != to || len(p.Steps) != 3 || p.Steps[0].Action != plan.ActionRoute || p.Steps[1].Action != plan.ActionFenceIDs {
			t.Fatalf("the re-run's plan (%v): want route, fence and write check in %s, nothing promoted\n%s", err, to, p)
		}
		r, err := o.Execute(ctx, p)
		t.Logf("the re-run's plan:\n%s\nits report:\n%s", p, r)
		if err != nil || !r.Verified || r.Fence == nil || r.Fence.Region != to {
			t.Fatalf("the re-run: %v, verified %t, fence %+v; want a verified write in %s after its fence\n%s", err, r.Verified, r.Fence, to, r)
		}
		// The replica reads the new fence once it has replicated it.
		deadline := time.Now().Add(10 * time.Second)
		for _, region := range l.Regions() {
			for {
				f, err := l.DB.FenceState(ctx, region)
				if err == nil && f.Region == to && f.Term == r.Fence.Term {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("the fence read in %s: %+v, %v; want it naming %s at term %d", region, f, err, to, r.Fence.Term)
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	})
}

// startLab starts a lab that is removed when tb ends, and checks that
// nothing of it is left.
func startLab(ctx context.Context, tb testing.TB) *lab.Lab {
	tb.Helper()
	l, err := lab.Start(ctx, lab.Config{Logf: tb.Logf})
	if err != nil {
		tb.Fatalf("start the lab: %v", err)
	}
	runID := l.State().RunID
	l.DB.SnapshotDir = tb.TempDir() // the old writers' diverged data, kept by Rebuild
	tb.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := l.Close(cctx); err != nil {
			tb.Errorf("close the lab: %v", err)
		}
		assertNoLabLeftovers(tb, runID)
	})
	return l
}

// TestLabRebuildKeepsTheIDCounter: Rebuild re-seeds a diverged old writer
// with a copy of the new writer's rows. Ids the new writer handed out and
// deleted again at the very top are in no row, so a copy of the rows alone
// would set the rebuilt server's counter to MAX(id)+1, and a later planned
// failback (whose fence leaves no gap: a switchover loses nothing) would
// hand those ids out again. The copy must carry the counter.
func TestLabRebuildKeepsTheIDCounter(t *testing.T) {
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := startLab(ctx, t)
	a, b := l.Regions()[0], l.Regions()[1]
	fd := l.FrontDoor.URL()
	o := l.Orchestrator(drill.AutoApprove{}, nil)

	labCreate(ctx, t, fd, "replicated everywhere")
	// a diverges: b stops receiving, a takes one more create and dies.
	if err := l.DB.StopReceiving(ctx, b); err != nil {
		t.Fatal(err)
	}
	labCreate(ctx, t, fd, "only on a")
	if err := l.DB.Kill(ctx, a); err != nil {
		t.Fatal(err)
	}
	rep, err := o.Run(ctx, failover.KindUnplanned, plan.Options{Target: b})
	if err != nil || !rep.Verified {
		t.Fatalf("unplanned failover to %s: verified %v, %v", b, rep.Verified, err)
	}
	// b hands out three ids and the top two are deleted again.
	var ids []int64
	for i := range 3 {
		ids = append(ids, labCreate(ctx, t, fd, fmt.Sprintf("on %s #%d", b, i)))
	}
	for _, id := range ids[1:] {
		labDelete(ctx, t, fd, id)
	}
	top := ids[2]

	rb, err := l.DB.Rebuild(ctx, a)
	if err != nil || !rb.Reseeded {
		t.Fatalf("rebuild %s = %+v, %v; want it re-seeded (it diverged)", a, rb, err)
	}
	rep, err = o.Run(ctx, failover.KindPlanned, plan.Options{Target: a})
	if err != nil || !rep.Verified {
		t.Fatalf("planned failback to %s: verified %v, %v", a, rep.Verified, err)
	}
	if rep.Fence == nil || rep.Fence.Gap != 0 {
		t.Errorf("the failback's fence = %+v, want one without a gap (the case where the counter alone keeps ids unique)", rep.Fence)
	}
	if id := labCreate(ctx, t, fd, "after the failback"); id <= top {
		t.Errorf("%s hands out id %d after the failback, want > %d: %s handed out ids up to %d (the top ones deleted) before %s was re-seeded from it",
			a, id, top, b, top, a)
	}
}

// labCreate creates a todo through base (the front door) and returns its id.
func labCreate(ctx context.Context, tb testing.TB, base, task string) int64 {
	tb.Helper()
	created, r, err := (&apiclient.Client{BaseURL: base}).Create(ctx, apiclient.NewTodo{Task: task}, "")
	if err != nil || r.Status != http.StatusCreated {
		tb.Fatalf("create %q: %d, %v; want 201 with a todo", task, r.Status, err)
	}
	return created.ID
}

// labDelete deletes a todo through base (the front door).
func labDelete(ctx context.Context, tb testing.TB, base string, id int64) {
	tb.Helper()
	r, err := (&apiclient.Client{BaseURL: base}).Delete(ctx, id, "")
	if err != nil || r.Status != http.StatusNoContent {
		tb.Fatalf("delete %d: %d, %v; want 204", id, r.Status, err)
	}
}

// assertNoLabLeftovers fails tb when a container or network of the run
// still exists.
func assertNoLabLeftovers(tb testing.TB, runID string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		tb.Errorf("docker: %v", err)
		return
	}
	defer cli.Close()
	filter := make(client.Filters).Add("label", lab.LabelLab+"="+runID)
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		tb.Errorf("list containers: %v", err)
	} else if len(cs.Items) != 0 {
		tb.Errorf("%d lab container(s) left after Close", len(cs.Items))
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		tb.Errorf("list networks: %v", err)
	} else if len(ns.Items) != 0 {
		tb.Errorf("%d lab network(s) left after Close", len(ns.Items))
	}
}

func deref(p *int64) any {
	if p == nil {
		return "?"
	}
	return *p
}
