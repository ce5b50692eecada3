package orchestrator

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// countingDB counts the topology reads of a Database (any region's, and
// one region's when it is a RegionalTopology).
type countingDB struct {
	failover.Database
	mu          sync.Mutex
	any, region int
}

func (d *countingDB) Topology(ctx context.Context) (failover.Topology, error) {
	d.mu.Lock()
	d.any++
	d.mu.Unlock()
	return d.Database.Topology(ctx)
}

func (d *countingDB) reads() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.any + d.region
}

// FenceIDs passes the fence on, so plans fence as with the bare fake.
func (d *countingDB) FenceIDs(ctx context.Context, target failover.Member, req failover.FenceRequest) (failover.FenceResult, error) {
	return d.Database.(failover.IDFencer).FenceIDs(ctx, target, req)
}

// countingRegionalDB is a countingDB that reads one region's view too.
type countingRegionalDB struct{ *countingDB }

func (d countingRegionalDB) TopologyFrom(ctx context.Context, region string) (failover.Topology, error) {
	d.mu.Lock()
	d.region++
	d.mu.Unlock()
	return d.Database.Topology(ctx)
}

// TestTopologyReadsPerRun counts the topology reads of a whole run, and
// holds them to the least a run can do: planning reads the topology
// once, because the plan must be made from what the database says now
// (its writer, its members' IDs, an operation in progress). It reads it
// twice only for an unplanned failover or a detach that must choose its
// target on a database that can answer from one region: the first read
// chooses the target, the second is that region's view, the one that
// counts while the other region may be lost. Executing reads nothing
// more than the waits' polls: the steps act on the members the plan
// chose. The fake shows a new writer on the third read after the
// promotion (flipAfter 2), so a wait for the writer needs three polls,
// and a detach is visible on the first.
func TestTopologyReadsPerRun(t *testing.T) {
	for _, tt := range []struct {
		name     string
		kind     failover.Kind
		target   string
		regional bool
		lost     bool // the writer's region is lost
		plan     int  // reads while planning
		run      int  // reads while executing: the waits' polls
	}{
		{name: "planned switchover", kind: failover.KindPlanned, plan: 1, run: 3},
		{name: "planned switchover, named target", kind: failover.KindPlanned, target: west, regional: true, plan: 1, run: 3},
		{name: "unplanned failover", kind: failover.KindUnplanned, lost: true, plan: 1, run: 3},
		{name: "unplanned failover, named target, from the target region", kind: failover.KindUnplanned, target: west, regional: true, lost: true, plan: 1, run: 3},
		{name: "unplanned failover, target chosen, from the target region", kind: failover.KindUnplanned, regional: true, lost: true, plan: 2, run: 3},
		{name: "detach", kind: failover.KindDetach, target: west, regional: true, plan: 1, run: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			if tt.lost {
				lose(east)(w)
			}
			h := newHarness(t, w)
			if tt.kind == failover.KindDetach {
				h.o.Prober = detachProber{w: w}
			}
			c := &countingDB{Database: snapshotDB{db{w}}}
			h.o.DB = c
			if tt.regional {
				h.o.DB = countingRegionalDB{c}
			}
			_, p, err := h.o.Plan(context.Background(), tt.kind, plan.Options{Target: tt.target})
			if err != nil || p.Err() != nil {
				t.Fatalf("plan: %v %v\n%s", err, p.Err(), p)
			}
			if got := c.reads(); got != tt.plan {
				t.Errorf("planning read the topology %d times, want %d", got, tt.plan)
			}
			if tt.regional && tt.kind != failover.KindPlanned && c.region == 0 {
				t.Errorf("planning never read the target region's view")
			}
			before := c.reads()
			r, err := h.o.Execute(context.Background(), p)
			if err != nil || !r.Verified {
				t.Fatalf("run: %v\n%s", err, r)
			}
			if got := c.reads() - before; got != tt.run {
				t.Errorf("the run read the topology %d times, want %d (the waits' polls)", got, tt.run)
			}
		})
	}
}

// TestSafeguardsOfTheTopologysMembers: the safeguards of each region are
// asked of the member the topology reported there, with that topology,
// once per evaluation; a region the topology has no member in (probed
// beside the members, or the topology unreadable) gets a record that says
// why, without a call.
func TestSafeguardsOfTheTopologysMembers(t *testing.T) {
	const other = "eu-west-1"
	for _, tt := range []struct {
		name       string
		setup      func(*world)
		wantAsked  []string // regions whose member was asked, sorted
		wantDetail map[string]string
	}{
		{name: "both members and a region without one", wantAsked: []string{east, west},
			wantDetail: map[string]string{other: "the global database todomgmt-global has no member in eu-west-1"}},
		{name: "after a detach", setup: func(w *world) {
			w.topo.Members = w.topo.Members[:1]
		}, wantAsked: []string{east}, wantDetail: map[string]string{
			west:  "the global database todomgmt-global has no member in us-west-2",
			other: "the global database todomgmt-global has no member in eu-west-1"}},
		{name: "topology unreadable", setup: func(w *world) {
			w.topologyErr = errors.New("dial tcp: i/o timeout")
		}, wantDetail: map[string]string{
			east:  "the global database could not be read, so its cluster in us-east-1 is not known",
			west:  "the global database could not be read, so its cluster in us-west-2 is not known",
			other: "the global database could not be read, so its cluster in eu-west-1 is not known"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.unprotected[west] = true
			if tt.setup != nil {
				tt.setup(w)
			}
			h := newHarness(t, w)
			h.o.Regions = []string{east, west, other}
			s := h.o.Evaluate(context.Background())

			var asked []string
			for _, m := range w.guardsAsked {
				want, ok := s.Topology.Member(m.Region)
				if !ok || !cmp.Equal(want, m) {
					t.Errorf("asked about %+v, want the topology's member in %s (%+v)", m, m.Region, want)
				}
				asked = append(asked, m.Region)
			}
			slices.Sort(asked)
			if !slices.Equal(asked, tt.wantAsked) {
				t.Errorf("asked about the members in %v, want %v, once each", asked, tt.wantAsked)
			}
			for r, detail := range tt.wantDetail {
				if diff := cmp.Diff(failover.Safeguards{Region: r, Detail: detail}, s.Safeguards[r]); diff != "" {
					t.Errorf("safeguards of %s (-want +got):\n%s", r, diff)
				}
			}
			for _, r := range tt.wantAsked {
				g := s.Safeguards[r]
				if !g.Known || g.Region != r || g.DeletionProtection == w.unprotected[r] || !g.GlobalDeletionProtection {
					t.Errorf("safeguards of %s: %+v, want known, as the topology told them", r, g)
				}
			}
		})
	}
}
