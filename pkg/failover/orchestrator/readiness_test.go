package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/assess"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// readinessOf returns the readiness of kind in rs.
func readinessOf(tb testing.TB, rs []assess.Readiness, kind failover.Kind) assess.Readiness {
	tb.Helper()
	for _, r := range rs {
		if r.Kind == kind {
			return r
		}
	}
	tb.Fatalf("no readiness for %s in %+v", kind, rs)
	return assess.Readiness{}
}

func failingChecks(r assess.Readiness) []plan.Check {
	var out []plan.Check
	for _, f := range r.Failing {
		if !slices.Contains(out, f.Check) {
			out = append(out, f.Check)
		}
	}
	return out
}

// TestReadinessOfAHealthyDeployment: from either region, both plans are
// ready, every check of each was made and passed, and both target the
// passive region.
func TestReadinessOfAHealthyDeployment(t *testing.T) {
	for _, from := range []string{east, west} {
		t.Run("from "+from, func(t *testing.T) {
			h := newHarness(t, newWorld())
			s, rs := h.o.Readiness(context.Background(), from, plan.Options{})
			if len(rs) != len(assess.Kinds) {
				t.Fatalf("%d readinesses, want %d", len(rs), len(assess.Kinds))
			}
			for _, r := range rs {
				if !r.Ready || len(r.Failing) != 0 || len(r.Skipped) != 0 {
					t.Errorf("%s: ready=%t failing %+v skipped %+v, want ready with every check made\n%s", r.Kind, r.Ready, r.Failing, r.Skipped, r.Plan)
				}
				if diff := cmp.Diff(plan.Checks(r.Kind), r.Passed); diff != "" {
					t.Errorf("%s: passed (-want +got):\n%s", r.Kind, diff)
				}
				if r.From != from || r.To != west {
					t.Errorf("%s: from %s to %s, want from %s to %s", r.Kind, r.From, r.To, from, west)
				}
			}
			if s.Proxies == nil || s.Pools == nil || s.Safeguards == nil {
				t.Errorf("state without the optional parts: proxies %v, pools %v, safeguards %v", s.Proxies, s.Pools, s.Safeguards)
			}
			if calls := h.w.Calls(); len(calls) != 0 {
				t.Errorf("readiness changed something: %q", calls)
			}
		})
	}
}

// readinessCase is one fault and the check it makes fail in each plan it
// concerns.
type readinessCase struct {
	name   string
	mutate func(*harness)
	// want is the failing check of each plan that must be not ready;
	// the others must be ready.
	want   map[failover.Kind]plan.Check
	detail string // in a failing finding
}

// readinessCases are the faults TestReadinessEachCheckFailsAlone injects,
// one at a time: together they make every check of both plans fail.
func readinessCases() []readinessCase {
	snapshot := failover.RecoverySnapshot{Name: "rds:unplanned-global-failover-todomgmt-east-2026-11-01-08-00", Created: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC),
		Expires: time.Date(2026, 11, 8, 8, 0, 0, 0, time.UTC)}
	return []readinessCase{
		{"operation in progress", func(h *harness) { h.w.topo.Operation, h.w.topo.OperationTo = "failing-over", "arn:other" },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckTopology, failover.KindUnplanned: plan.CheckTopology}, `failover state "failing-over"`},
		{"global database not available", func(h *harness) { h.w.topo.Status = "upgrading" },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckTopology}, `status is "upgrading"`},
		{"passive cluster not available", func(h *harness) { h.w.topo.Members[1].Status = "backing-up-to-the-moon" },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckCluster, failover.KindUnplanned: plan.CheckCluster}, `us-west-2 has status "backing-up-to-the-moon"`},
		{"engine versions differ", func(h *harness) { h.w.topo.Members[1].EngineVersion = "8.0.mysql_aurora.3.09.0" },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckCluster}, "engine versions differ"},
		{"replication not in sync", func(h *harness) { h.w.topo.Members[1].Sync = "pending-resync" },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckReplication, failover.KindUnplanned: plan.CheckReplication}, `"pending-resync"`},
		{"replication lag over the bound", func(h *harness) { h.w.topo.Members[1].Lag = 7 * time.Second },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckReplication, failover.KindUnplanned: plan.CheckReplication}, "7s, over the bound of 5s"},
		{"passive API down", func(h *harness) { h.w.healthErr[west] = errors.New("502 bad gateway") },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckAPIHealth, failover.KindUnplanned: plan.CheckAPIHealth}, "the API in us-west-2 does not answer: 502 bad gateway"},
		{"active API down", func(h *harness) { h.w.healthErr[east] = errors.New("503 unavailable") },
			// The unplanned failover is what an active region that does
			// not answer calls for: it stays ready (replication is not
			// judged while the writer looks unhealthy).
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckAPIHealth}, "the API in us-east-1 does not answer"},
		{"route not on the writer", func(h *harness) { h.w.route = west },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckFrontDoor, failover.KindUnplanned: plan.CheckFrontDoor}, "the front door sends traffic to us-west-2 but the writer is in us-east-1"},
		{"front door unreadable", func(h *harness) { h.w.activeErr = errors.New("AccessDeniedException: cloudfront-keyvaluestore:GetKey") },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckFrontDoor, failover.KindUnplanned: plan.CheckFrontDoor}, "cannot read the front door's active region: AccessDeniedException"},
		{"passive proxy without an available target", func(h *harness) { h.w.proxyDown[west] = "UNAVAILABLE CONNECTION_FAILED" },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckProxyTarget, failover.KindUnplanned: plan.CheckProxyTarget}, "the proxy in us-west-2 has no available target (0 of 1 targets available, 0 read/write: UNAVAILABLE CONNECTION_FAILED)"},
		{"passive proxy cannot log in", func(h *harness) { h.w.proxyAuth[west] = true },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckProxyTarget, failover.KindUnplanned: plan.CheckProxyTarget}, "AUTH_FAILURE"},
		{"writer's proxy without a read/write target", func(h *harness) { h.w.proxyDown[east] = "UNAVAILABLE CONNECTION_FAILED" },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckProxyTarget}, "the proxy in us-east-1, where the writer is, has no available read/write target"},
		{"passive user pool does not answer", func(h *harness) { h.w.poolDown[west] = "ResourceNotFoundException" },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckUserPool, failover.KindUnplanned: plan.CheckUserPool}, "the user pool in us-west-2 does not answer: ResourceNotFoundException"},
		{"active user pool does not answer", func(h *harness) { h.w.poolDown[east] = "InternalErrorException" },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckUserPool}, "the user pool in us-east-1 does not answer"},
		{"database cannot fence ids", func(h *harness) { h.o.DB = unfencedDB{db{h.w}} },
			map[failover.Kind]plan.Check{failover.KindUnplanned: plan.CheckIDFence}, "cannot fence ids"},
		{"passive cluster unprotected", func(h *harness) { h.w.unprotected[west] = true },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckDeletionProtection, failover.KindUnplanned: plan.CheckDeletionProtection}, "is not protected from deletion"},
		{"active cluster unprotected", func(h *harness) { h.w.unprotected[east] = true },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckDeletionProtection}, "the cluster " + eastID + " in us-east-1 is not protected"},
		{"global cluster unprotected", func(h *harness) { h.w.globalOpen = true },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckDeletionProtection, failover.KindUnplanned: plan.CheckDeletionProtection}, "the global cluster is not protected"},
		{"backups kept one day", func(h *harness) { h.w.retention[west] = 24 * time.Hour },
			map[failover.Kind]plan.Check{failover.KindPlanned: plan.CheckBackupRetention, failover.KindUnplanned: plan.CheckBackupRetention}, "keeps automated backups 1 day, less than the 7 days"},
		{"recovery snapshot not copied", func(h *harness) { h.w.recovery[east] = []failover.RecoverySnapshot{snapshot} },
			map[failover.Kind]plan.Check{failover.KindUnplanned: plan.CheckRecoverySnapshot}, "the recovery snapshot " + snapshot.Name + " of " + eastID + " (taken 2026-11-01T08:00:00Z) holds the writes an unplanned failover lost and expires around 2026-11-08T08:00:00Z"},
	}
}

// TestReadinessEachCheckFailsAlone makes one check fail at a time and
// requires each plan it concerns to be not ready with exactly that check
// failing and every other check passing, and the plans it does not
// concern to stay ready. Together the cases make every check of both
// plans fail.
func TestReadinessEachCheckFailsAlone(t *testing.T) {
	for _, tt := range readinessCases() {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, newWorld())
			tt.mutate(h)
			for _, from := range []string{east, west} {
				_, rs := h.o.Readiness(context.Background(), from, plan.Options{})
				for _, kind := range assess.Kinds {
					r := readinessOf(t, rs, kind)
					check, concerned := tt.want[kind]
					if !concerned {
						if !r.Ready {
							t.Errorf("from %s: %s not ready (%+v), want ready: the fault does not concern it", from, kind, r.Failing)
						}
						continue
					}
					if r.Ready {
						t.Fatalf("from %s: %s ready, want not ready with %s failing\n%s", from, kind, check, r.Plan)
					}
					if got := failingChecks(r); !slices.Equal(got, []plan.Check{check}) {
						t.Errorf("from %s: %s failing %v, want [%s] alone: %+v", from, kind, got, check, r.Failing)
					}
					if !slices.ContainsFunc(r.Failing, func(f plan.Finding) bool { return strings.Contains(f.Detail, tt.detail) }) {
						t.Errorf("from %s: %s findings %+v, want one containing %q", from, kind, r.Failing, tt.detail)
					}
					others := slices.DeleteFunc(plan.Checks(kind), func(c plan.Check) bool { return c == check })
					if diff := cmp.Diff(others, r.Passed); diff != "" || len(r.Skipped) != 0 {
						t.Errorf("from %s: %s passed (-want +got):\n%s\nskipped %+v", from, kind, diff, r.Skipped)
					}
				}
			}
		})
	}
}

// TestReadinessCasesCoverEveryCheck: the table above makes every check of
// every assessed plan fail (a new check needs a case).
func TestReadinessCasesCoverEveryCheck(t *testing.T) {
	covered := map[failover.Kind][]plan.Check{}
	for _, c := range readinessCases() {
		for kind, check := range c.want {
			covered[kind] = append(covered[kind], check)
		}
	}
	for _, k := range assess.Kinds {
		for _, c := range plan.Checks(k) {
			if !slices.Contains(covered[k], c) {
				t.Errorf("%s check %s has no failing case", k, c)
			}
		}
	}
}

// TestReadinessWhileTheActiveRegionIsDown: the active region does not
// answer at all (its calls hang until their deadline). From the passive
// region the evaluation ends within its deadlines; the unplanned
// failover is ready (that is when it matters) and the switchover is not,
// naming what the lost region does not answer. From the lost region's
// own view nothing can be read: both plans fail on the topology.
func TestReadinessWhileTheActiveRegionIsDown(t *testing.T) {
	w := newWorld()
	h := newHarness(t, w)
	// Real deadlines: keep them short.
	h.o.Timeouts.Probe = 50 * time.Millisecond
	w.healthErr[east] = context.DeadlineExceeded
	w.hang[east] = true
	w.topo.Members[0].Status = "" // its cluster cannot be described
	rdb := regionalDB{snapshotDB: snapshotDB{db{w}}, mu: &sync.Mutex{}, asked: new([]string), anyRead: new(int)}
	h.o.DB = lostRegionDB{regionalDB: rdb, lost: east}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	began := time.Now()
	s, rs := h.o.Readiness(ctx, west, plan.Options{})
	if ctx.Err() != nil {
		t.Fatalf("the evaluation ran past the test's deadline (%s)", time.Since(began))
	}
	if s.TopologyFrom != west {
		t.Errorf("topology read from %q, want %s", s.TopologyFrom, west)
	}
	unplanned := readinessOf(t, rs, failover.KindUnplanned)
	if !unplanned.Ready || unplanned.To != west {
		t.Errorf("unplanned from %s: ready=%t to %s, failing %+v; want ready to take over\n%s", west, unplanned.Ready, unplanned.To, unplanned.Failing, unplanned.Plan)
	}
	if !slices.ContainsFunc(unplanned.Skipped, func(s plan.Skip) bool { return s.Check == plan.CheckReplication }) {
		t.Errorf("unplanned skipped %+v, want replication skipped while the writer does not answer", unplanned.Skipped)
	}
	planned := readinessOf(t, rs, failover.KindPlanned)
	for _, c := range []plan.Check{plan.CheckCluster, plan.CheckAPIHealth, plan.CheckProxyTarget, plan.CheckUserPool, plan.CheckDeletionProtection} {
		if planned.Ready || !slices.Contains(failingChecks(planned), c) {
			t.Errorf("planned from %s: failing %v, want %s among them", west, failingChecks(planned), c)
		}
	}
	if !slices.ContainsFunc(planned.Failing, func(f plan.Finding) bool {
		return f.Check == plan.CheckProxyTarget && strings.Contains(f.Detail, "context deadline exceeded")
	}) {
		t.Errorf("planned findings %+v, want the proxy read in %s ended by its deadline", planned.Failing, east)
	}

	_, rs = h.o.Readiness(ctx, east, plan.Options{})
	for _, r := range rs {
		if r.Ready || !slices.Equal(failingChecks(r), []plan.Check{plan.CheckTopology}) {
			t.Errorf("%s from the lost region: failing %v, want [topology]", r.Kind, failingChecks(r))
		}
		if len(r.Passed) != 0 || len(r.Skipped) != len(plan.Checks(r.Kind))-1 || !strings.Contains(r.Skipped[0].Why, "not checked: the plan stopped at [topology] cannot read the global database topology: from us-east-1") {
			t.Errorf("%s from the lost region: passed %v, skipped %+v; want every other check skipped, saying why", r.Kind, r.Passed, r.Skipped)
		}
	}
}

// lostRegionDB reads the topology from one region's API (TopologyFrom)
// and cannot reach the lost region's API at all.
type lostRegionDB struct {
	regionalDB
	lost string
}

func (d lostRegionDB) TopologyFrom(ctx context.Context, region string) (failover.Topology, error) {
	if region == d.lost {
		<-ctx.Done()
		return failover.Topology{}, ctx.Err()
	}
	return d.regionalDB.TopologyFrom(ctx, region)
}

// TestReadinessSkipsWhatTheAdaptersCannotTell: without the optional
// interfaces (the database and prober of a deployment that has no
// proxies, pools or safeguards to tell), those checks are skipped with
// the reason, never passed; the plans are otherwise ready. A prober that
// says its deployment has no identity provider (ErrNotApplicable) has the
// user-pool check skipped with its own words.
func TestReadinessSkipsWhatTheAdaptersCannotTell(t *testing.T) {
	h := newHarness(t, newWorld())
	h.o.DB = plainDB{db{h.w}}
	h.o.Prober = notApplicableProber{prober{h.w}}
	_, rs := h.o.Readiness(context.Background(), west, plan.Options{})
	for _, r := range rs {
		if !r.Ready {
			t.Errorf("%s not ready: %+v", r.Kind, r.Failing)
		}
		want := map[plan.Check]string{
			plan.CheckProxyTarget:        "this database does not tell its proxies' targets",
			plan.CheckUserPool:           "the lab has no Cognito: not applicable",
			plan.CheckDeletionProtection: "this database does not tell its safeguards",
			plan.CheckBackupRetention:    "this database does not tell its safeguards",
		}
		if r.Kind == failover.KindUnplanned {
			want[plan.CheckRecoverySnapshot] = "this database does not tell its snapshots"
		}
		got := map[plan.Check]string{}
		for _, s := range r.Skipped {
			got[s.Check] = s.Why
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s skipped (-want +got):\n%s", r.Kind, diff)
		}
		for _, c := range r.Passed {
			if _, ok := want[c]; ok {
				t.Errorf("%s: %s passed, want it skipped", r.Kind, c)
			}
		}
	}
}

// plainDB is the fake database with the Database and IDFencer methods
// only: no proxies, no safeguards.
type plainDB struct{ d db }

func (p plainDB) Topology(ctx context.Context) (failover.Topology, error) { return p.d.Topology(ctx) }
func (p plainDB) Switchover(ctx context.Context, from, to failover.Member) error {
	return p.d.Switchover(ctx, from, to)
}
func (p plainDB) Failover(ctx context.Context, m failover.Member, loss bool) error {
	return p.d.Failover(ctx, m, loss)
}
func (p plainDB) Detach(ctx context.Context, m failover.Member) error { return p.d.Detach(ctx, m) }
func (p plainDB) FenceIDs(ctx context.Context, m failover.Member, r failover.FenceRequest) (failover.FenceResult, error) {
	return p.d.FenceIDs(ctx, m, r)
}

// notApplicableProber has no identity provider to probe, as the lab.
type notApplicableProber struct{ prober }

func (notApplicableProber) UserPool(context.Context, string) (failover.UserPool, error) {
	return failover.UserPool{}, fmt.Errorf("the lab has no Cognito: %w", failover.ErrNotApplicable)
}

// TestReadinessString: what failover:readiness prints.
func TestReadinessString(t *testing.T) {
	w := newWorld()
	w.poolDown[west] = "InternalErrorException"
	h := newHarness(t, w)
	h.o.DB = plainDB{db{w}}
	_, rs := h.o.Readiness(context.Background(), west, plan.Options{})
	got := readinessOf(t, rs, failover.KindUnplanned).String()
	for _, want := range []string{
		"unplanned failover from us-west-2 (to us-west-2): NOT READY",
		"  failing [user-pool] (warning): the user pool in us-west-2 does not answer: InternalErrorException",
		"  not checked [proxy-target]: this database does not tell its proxies' targets",
		"  passed: topology, cluster, replication, api-health, front-door, id-fence",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q:\n%s", want, got)
		}
	}
}

// TestPlanShowsWarningsAndSkips: failover:plan prints each warning with
// its check, what was not checked, and still says the preconditions hold
// (its exit status follows refusals only).
func TestPlanShowsWarningsAndSkips(t *testing.T) {
	w := newWorld()
	w.poolDown[west] = "InternalErrorException"
	h := newHarness(t, w)
	h.o.Prober = notApplicableProber{prober{w}}
	w.unprotected[east] = true
	_, p, err := h.o.Plan(context.Background(), failover.KindPlanned, plan.Options{})
	if err != nil || p.Err() != nil {
		t.Fatalf("plan: %v %v", err, p.Err())
	}
	out := p.String()
	for _, want := range []string{
		"warning [deletion-protection]: the cluster " + eastID + " in us-east-1 is not protected from deletion",
		"not checked [user-pool]: the lab has no Cognito",
		"all preconditions hold, with 1 warning(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan text lacks %q:\n%s", want, out)
		}
	}
	w.proxyDown[west] = "UNAVAILABLE CONNECTION_FAILED"
	_, p, _ = h.o.Plan(context.Background(), failover.KindPlanned, plan.Options{})
	if err := p.Err(); err == nil || !strings.Contains(p.String(), "    - [proxy-target] the proxy in us-west-2 has no available target") {
		t.Errorf("a switchover to a region whose proxy reaches nothing: %v, want refused naming the check\n%s", err, p)
	}
}
