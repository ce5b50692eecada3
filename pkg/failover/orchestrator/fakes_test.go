package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

const (
	east   = "us-east-1"
	west   = "us-west-2"
	eastID = "arn:aws:rds:us-east-1:111122223333:cluster:todomgmt-east"
	westID = "arn:aws:rds:us-west-2:111122223333:cluster:todomgmt-west"
)

// world is an in-memory deployment: a global database with two members,
// a front door and two APIs. The fakes share it and log every call that
// changes something, in order.
type world struct {
	mu    sync.Mutex
	topo  failover.Topology
	route string
	calls []string

	// flipAfter is how many topology reads after a promotion request the
	// new writer shows up; -1 never.
	flipAfter int
	pending   *pendingOp
	// After the flip, the global database keeps the operation's status
	// for globalSettle more reads and the new writer's cluster is
	// "modifying" for memberSettle more reads; -1 is forever.
	globalSettle, memberSettle int
	settling                   *settling

	topologyErr error
	switchErr   []error // popped per call
	failoverErr []error
	detachErr   []error
	routeErr    []error
	routeDown   error // while set, every Route call fails with it
	routeLag    int   // Active reads after a Route call before it shows
	routeSeen   int
	routeMoved  bool

	health     map[string]failover.APIHealth
	healthErr  map[string]error
	servedBy   string // when set, VerifyWrite reports this region
	verifyErr  error
	verifyFail int // the first verifyFail writes fail with 503
	// What the fakes saw: the global status at each Route call, the
	// routed member's cluster status at the first write, and the time of
	// the first write that succeeded (now is the harness clock).
	statusAtRoute      []string
	statusAtFirstWrite string
	firstWriteOK       time.Time
	now                func() time.Time
	snapshot           string
	snapErr            error
	snapAsked          []failover.Member
	activeErr          error
	writesSeen         int

	// The id fence, as the store keeps it: the region whose writer may
	// create, its term, and the largest id handed out. While gated,
	// a write through the front door fails in a region the fence does
	// not name, as the store refuses creates there.
	fenceRegion string
	fenceTerm   int64
	maxID       int64
	gated       bool
	fenceErr    []error
	fences      []failover.FenceRequest // every FenceIDs call, in order
	fenceReads  int                     // FenceState calls that answered

	// What the optional interfaces tell (ProxyInspector, SafeguardReader,
	// IdentityProber), healthy unless set: a region that does not answer
	// them (down; hang: the call blocks until its deadline), a proxy
	// whose targets are unavailable (proxyDown, the reason) or that
	// cannot log in (proxyAuth), a user pool that does not answer, a
	// cluster without deletion protection, a shorter backup retention,
	// the recovery snapshots of each region's cluster. The topology
	// tells the clusters' protection and retention (describeSafeguards).
	down        map[string]error
	hang        map[string]bool
	proxyDown   map[string]string
	proxyAuth   map[string]bool
	poolDown    map[string]string
	unprotected map[string]bool
	globalOpen  bool
	retention   map[string]time.Duration
	recovery    map[string][]failover.RecoverySnapshot
	// guardsAsked are the members Safeguards was asked about, in order.
	guardsAsked []failover.Member
}

// wantRetention is the backup retention the fake deployment asks for (the
// template's 7 days).
const wantRetention = 7 * 24 * time.Hour

type settling struct {
	writer        string // member ID
	op            string
	global, membr int
}

type pendingOp struct {
	to        string // member ID
	reads     int
	dataLoss  bool
	operation string
}

func member(region, id string, writer bool) failover.Member {
	m := failover.Member{Region: region, ID: id, Writer: writer, Status: "available", Instances: 1, EngineVersion: "8.0.mysql_aurora.3.08.0"}
	if !writer {
		m.Sync, m.Lag, m.LagKnown = "connected", 200*time.Millisecond, true
	}
	return m
}

// newWorld is a healthy deployment: writer and traffic in us-east-1.
func newWorld() *world {
	return &world{
		topo: failover.Topology{ID: "todomgmt-global", Status: "available",
			Members: []failover.Member{member(east, eastID, true), member(west, westID, false)}},
		route:     east,
		flipAfter: 2,
		health: map[string]failover.APIHealth{
			east: {Region: east, OK: true, Role: "active", Latency: 40 * time.Millisecond},
			west: {Region: west, OK: true, Role: "passive", Latency: 60 * time.Millisecond},
		},
		healthErr:   map[string]error{},
		down:        map[string]error{},
		hang:        map[string]bool{},
		proxyDown:   map[string]string{},
		proxyAuth:   map[string]bool{},
		poolDown:    map[string]string{},
		unprotected: map[string]bool{},
		retention:   map[string]time.Duration{},
		recovery:    map[string][]failover.RecoverySnapshot{},
		fenceRegion: east, // the migration seeds the fence with the first writer's region
		fenceTerm:   1,
		maxID:       100,
		gated:       true,
	}
}

func pop(errs *[]error) error {
	if len(*errs) == 0 {
		return nil
	}
	err := (*errs)[0]
	*errs = (*errs)[1:]
	return err
}

func (w *world) log(format string, args ...any) {
	w.calls = append(w.calls, fmt.Sprintf(format, args...))
}

func (w *world) Calls() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.calls...)
}

// setWriter makes the member with ID id the writer, the way Aurora shows
// it after a switchover or failover.
func (w *world) setWriter(id string) {
	for i := range w.topo.Members {
		m := &w.topo.Members[i]
		m.Writer = m.ID == id
		if m.Writer {
			m.Sync, m.Lag, m.LagKnown = "", 0, false
		} else {
			m.Sync, m.Lag, m.LagKnown = "connected", 100*time.Millisecond, true
		}
	}
	w.topo.Status, w.topo.Operation, w.topo.OperationTo = "available", "", ""
	// The APIs follow their database's role.
	for r, h := range w.health {
		m, _ := w.topo.Member(r)
		h.Role = "passive"
		if m.Writer {
			h.Role = "active"
		}
		w.health[r] = h
	}
}

// db is the Database fake.
type db struct{ w *world }

func (d db) Topology(ctx context.Context) (failover.Topology, error) {
	w := d.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.topologyErr != nil {
		return failover.Topology{}, w.topologyErr
	}
	if st := w.settling; st != nil {
		if st.global > 0 {
			st.global--
		}
		if st.membr > 0 {
			st.membr--
		}
	}
	if p := w.pending; p != nil {
		p.reads++
		if w.flipAfter >= 0 && p.reads > w.flipAfter {
			w.setWriter(p.to)
			w.pending = nil
			if w.globalSettle != 0 || w.memberSettle != 0 {
				w.settling = &settling{writer: p.to, op: p.operation, global: w.globalSettle, membr: w.memberSettle}
			}
		}
	}
	if st := w.settling; st != nil {
		if st.global != 0 {
			w.topo.Status, w.topo.Operation, w.topo.OperationTo = st.op, st.op, st.writer
		} else {
			w.topo.Status, w.topo.Operation, w.topo.OperationTo = "available", "", ""
		}
		for i := range w.topo.Members {
			if m := &w.topo.Members[i]; m.ID == st.writer {
				m.Status = "available"
				if st.membr != 0 {
					m.Status = "modifying"
				}
			}
		}
		if st.global == 0 && st.membr == 0 {
			w.settling = nil
		}
	}
	t := w.topo
	t.Members = append([]failover.Member(nil), w.topo.Members...)
	w.describeSafeguards(&t)
	return t, nil
}

// describeSafeguards fills in what describing the global cluster and
// each member in its own region tells of their safeguards, as the AWS
// adapter's Topology does: the deployment asks for deletion protection
// and 7 days of backups, and gets them unless set. A member whose region
// does not answer (down, hang) was not described: its safeguards are
// unknown. The caller holds w.mu.
func (w *world) describeSafeguards(t *failover.Topology) {
	t.DeletionProtection, t.DeletionProtectionKnown = !w.globalOpen, true
	for i := range t.Members {
		m := &t.Members[i]
		if w.down[m.Region] != nil || w.hang[m.Region] {
			continue
		}
		m.DeletionProtection, m.BackupRetention, m.SafeguardsKnown = !w.unprotected[m.Region], wantRetention, true
		if r, ok := w.retention[m.Region]; ok {
			m.BackupRetention = r
		}
	}
}

func (d db) start(target failover.Member, op string, dataLoss bool) {
	w := d.w
	w.pending = &pendingOp{to: target.ID, dataLoss: dataLoss, operation: op}
	w.topo.Status, w.topo.Operation, w.topo.OperationTo = op, op, target.ID
}

// Switchover is called with the current writer, as Aurora's
// SwitchoverGlobalCluster is called in the writer's region: naming any
// other member as from fails, as that call would there.
func (d db) Switchover(ctx context.Context, from, to failover.Member) error {
	w := d.w
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log("Switchover(%s)", to.ID)
	if err := pop(&w.switchErr); err != nil {
		return err
	}
	if m, ok := w.topo.Member(from.Region); !ok || !m.Writer || m.ID != from.ID {
		return fmt.Errorf("switchover called from %s (%s), which is not the writer", from.Region, from.ID)
	}
	d.start(to, "switching-over", false)
	return nil
}

func (d db) Failover(ctx context.Context, target failover.Member, allowDataLoss bool) error {
	w := d.w
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log("Failover(%s, %t)", target.ID, allowDataLoss)
	if err := pop(&w.failoverErr); err != nil {
		return err
	}
	d.start(target, "failing-over", allowDataLoss)
	return nil
}

func (d db) Detach(ctx context.Context, target failover.Member) error {
	w := d.w
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log("Detach(%s)", target.ID)
	if err := pop(&w.detachErr); err != nil {
		return err
	}
	var kept []failover.Member
	for _, m := range w.topo.Members {
		if m.ID != target.ID {
			kept = append(kept, m)
		}
	}
	w.topo.Members = kept
	return nil
}

// FenceIDs is the store's fence, as pkg/mysql documents it: it runs on
// a writer only (a member of the global database that is the writer, or
// a region that left it: a standalone writer), is skipped when the fence
// already names the region, and otherwise moves creates there past a gap
// (none without data loss).
func (d db) FenceIDs(ctx context.Context, target failover.Member, req failover.FenceRequest) (failover.FenceResult, error) {
	w := d.w
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fences = append(w.fences, req)
	if err := pop(&w.fenceErr); err != nil {
		return failover.FenceResult{}, err
	}
	if m, ok := w.topo.Member(target.Region); ok && !m.Writer {
		return failover.FenceResult{}, fmt.Errorf("fence ids in %s: the server is read-only", target.Region)
	}
	if w.fenceRegion == req.Region {
		return failover.FenceResult{Region: req.Region, Term: w.fenceTerm, Skipped: true, MaxID: w.maxID, Floor: w.maxID + 1}, nil
	}
	var gap int64
	if req.DataLoss {
		gap = 1_000_000
	}
	w.fenceRegion, w.fenceTerm = req.Region, w.fenceTerm+1
	r := failover.FenceResult{Region: req.Region, Term: w.fenceTerm, MaxID: w.maxID, Floor: w.maxID + gap + 1, Gap: gap,
		Reason: fmt.Sprintf("gap %d", gap)}
	if req.DataLoss {
		r.Rate, r.Window = 0.5, req.Lag+time.Minute
	}
	w.maxID = r.Floor
	return r, nil
}

// FenceState reads the fence's row as a member's database would: the
// row replicates with the data, so every member that answers reads the
// same fence (the store's, which FenceIDs keeps); a region that does not
// answer fails, after its deadline when it hangs.
func (d db) FenceState(ctx context.Context, region string) (failover.FenceState, error) {
	w := d.w
	if err := w.unreachable(ctx, region); err != nil {
		return failover.FenceState{}, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fenceReads++
	return failover.FenceState{Region: w.fenceRegion, Term: w.fenceTerm}, nil
}

// unreachable returns the error of a call to region's optional probes:
// after its deadline when the region hangs, at once when it is down.
func (w *world) unreachable(ctx context.Context, region string) error {
	w.mu.Lock()
	hang, err := w.hang[region], w.down[region]
	w.mu.Unlock()
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

// ProxyTargets answers as DescribeDBProxyTargets describes a proxy over an
// Aurora cluster: one target per instance, in the READ_WRITE role on the
// writer's cluster and READ_ONLY elsewhere, AVAILABLE unless the proxy
// cannot reach or log in to it (state UNAVAILABLE, reason AUTH_FAILURE).
// A cluster's status does not make its instances unreachable: "modifying"
// or "backing-up" clusters serve connections.
func (d db) ProxyTargets(ctx context.Context, region string) (failover.ProxyTargets, error) {
	w := d.w
	if err := w.unreachable(ctx, region); err != nil {
		return failover.ProxyTargets{}, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	m, ok := w.topo.Member(region)
	if !ok {
		return failover.ProxyTargets{}, fmt.Errorf("DBProxyNotFoundFault: no proxy in %s", region)
	}
	pt := failover.ProxyTargets{Known: true, Total: m.Instances, Available: m.Instances}
	switch {
	case w.proxyAuth[region]:
		pt.Available, pt.AuthFailures, pt.Detail = 0, m.Instances, "UNAVAILABLE AUTH_FAILURE"
	case w.proxyDown[region] != "":
		pt.Available, pt.Detail = 0, w.proxyDown[region]
	}
	if m.Writer {
		pt.Writers = pt.Available
	}
	return pt, nil
}

// Safeguards answers as the AWS adapter does: what the topology told of
// m and the global cluster, with the recovery snapshots
// DescribeDBClusterSnapshots lists in m's region; no call when the
// topology did not tell them. Each member asked is recorded.
func (d db) Safeguards(ctx context.Context, t failover.Topology, m failover.Member) (failover.Safeguards, error) {
	w := d.w
	w.mu.Lock()
	w.guardsAsked = append(w.guardsAsked, m)
	w.mu.Unlock()
	if !t.DeletionProtectionKnown || !m.SafeguardsKnown {
		return failover.Safeguards{}, fmt.Errorf("the cluster %s was not described with the topology", m.ID)
	}
	if err := w.unreachable(ctx, m.Region); err != nil {
		return failover.Safeguards{}, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return failover.Safeguards{Known: true, Cluster: m.ID, DeletionProtection: m.DeletionProtection, GlobalDeletionProtection: t.DeletionProtection,
		WantDeletionProtection: true, BackupRetention: m.BackupRetention, WantBackupRetention: wantRetention,
		RecoverySnapshots: slices.Clone(w.recovery[m.Region])}, nil
}

// noFenceDB is a Database that cannot fence ids: only the interface's
// methods show through.
type noFenceDB struct{ failover.Database }

// unfencedDB is the fake database without FenceIDs, but with everything
// else it tells.
type unfencedDB struct{ d db }

func (u unfencedDB) Topology(ctx context.Context) (failover.Topology, error) {
	return u.d.Topology(ctx)
}
func (u unfencedDB) Switchover(ctx context.Context, from, to failover.Member) error {
	return u.d.Switchover(ctx, from, to)
}
func (u unfencedDB) Failover(ctx context.Context, m failover.Member, loss bool) error {
	return u.d.Failover(ctx, m, loss)
}
func (u unfencedDB) Detach(ctx context.Context, m failover.Member) error { return u.d.Detach(ctx, m) }
func (u unfencedDB) ProxyTargets(ctx context.Context, r string) (failover.ProxyTargets, error) {
	return u.d.ProxyTargets(ctx, r)
}
func (u unfencedDB) Safeguards(ctx context.Context, t failover.Topology, m failover.Member) (failover.Safeguards, error) {
	return u.d.Safeguards(ctx, t, m)
}

// snapshotDB adds the optional RecoverySnapshotter.
type snapshotDB struct{ db }

func (d snapshotDB) RecoverySnapshot(ctx context.Context, old failover.Member) (string, error) {
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	d.w.snapAsked = append(d.w.snapAsked, old)
	return d.w.snapshot, d.w.snapErr
}

// router is the Router fake.
type router struct{ w *world }

func (r router) Active(ctx context.Context) (string, error) {
	w := r.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.activeErr != nil {
		return "", w.activeErr
	}
	if w.routeMoved && w.routeSeen < w.routeLag {
		w.routeSeen++
		return "", errors.New("not propagated yet")
	}
	return w.route, nil
}

func (r router) Route(ctx context.Context, region string) error {
	w := r.w
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log("Route(%s)", region)
	w.statusAtRoute = append(w.statusAtRoute, w.topo.Status)
	if w.routeDown != nil {
		return w.routeDown
	}
	if err := pop(&w.routeErr); err != nil {
		return err
	}
	w.route = region
	w.routeSeen, w.routeMoved = 0, true
	return nil
}

// prober is the Prober fake: a write through the front door succeeds only
// when the routed region's cluster is the writer, like the real API.
type prober struct{ w *world }

func (p prober) Health(ctx context.Context, region string) (failover.APIHealth, error) {
	w := p.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.healthErr[region]; err != nil {
		return failover.APIHealth{}, err
	}
	h, ok := w.health[region]
	if !ok {
		return failover.APIHealth{}, fmt.Errorf("no API in %s", region)
	}
	return h, nil
}

// UserPool answers as DescribeUserPool would: the region's pool, unless
// the region is unreachable or the pool does not answer.
func (p prober) UserPool(ctx context.Context, region string) (failover.UserPool, error) {
	w := p.w
	if err := w.unreachable(ctx, region); err != nil {
		return failover.UserPool{}, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	up := failover.UserPool{OK: true, ID: region + "_POOL"}
	if why := w.poolDown[region]; why != "" {
		up.OK, up.Detail = false, why
	}
	return up, nil
}

func (p prober) VerifyWrite(ctx context.Context) (string, error) {
	w := p.w
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writesSeen++
	m, ok := w.topo.Member(w.route)
	if w.writesSeen == 1 {
		w.statusAtFirstWrite = m.Status
	}
	if w.verifyErr != nil {
		return "", w.verifyErr
	}
	if w.verifyFail > 0 {
		w.verifyFail--
		return "", errors.New("503 unavailable")
	}
	if w.servedBy != "" {
		return w.servedBy, nil
	}
	if !ok || !m.Writer {
		return "", fmt.Errorf("503 region_passive from %s", w.route)
	}
	if w.gated && w.fenceRegion != w.route {
		return "", fmt.Errorf("503 region_passive from %s: creates wait for the id fence", w.route)
	}
	w.maxID++
	if w.firstWriteOK.IsZero() && w.now != nil {
		w.firstWriteOK = w.now()
	}
	return w.route, nil
}

// fakeClock advances only when slept on.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}

// approver is the Approver fake. With think set it sleeps that long on
// clock before answering, like an operator reading the plan.
type approver struct {
	err   error
	asked []plan.Plan
	clock failover.Clock
	think time.Duration
}

func (a *approver) Approve(ctx context.Context, p plan.Plan) error {
	a.asked = append(a.asked, p)
	if a.think > 0 {
		if err := a.clock.Sleep(ctx, a.think); err != nil {
			return err
		}
	}
	return a.err
}

// harness wires an orchestrator over a world with a fake clock and an
// event recorder.
type harness struct {
	w     *world
	o     *Orchestrator
	clock *fakeClock
	rec   *Recorder
	appr  *approver
}

func newHarness(tb testing.TB, w *world) *harness {
	tb.Helper()
	h := &harness{w: w, clock: newClock(), rec: &Recorder{}, appr: &approver{}}
	w.now = h.clock.Now
	h.o = &Orchestrator{
		DB: snapshotDB{db{w}}, Router: router{w}, Prober: prober{w}, Approver: h.appr,
		Printer: h.rec, Clock: h.clock,
		Timeouts: Timeouts{Writer: 20 * time.Minute, Route: 5 * time.Minute, Verify: 5 * time.Minute, Poll: 10 * time.Second, Probe: time.Second},
	}
	return h
}

// kinds returns the events' kinds with their step actions, without
// progress events.
func kinds(events []Event) []string {
	var out []string
	for _, e := range events {
		if e.Kind == EventProgress {
			continue
		}
		s := string(e.Kind)
		if e.Index > 0 {
			s += " " + string(e.Step.Action)
		}
		out = append(out, s)
	}
	return out
}

func outcomes(r Report) []Outcome {
	var out []Outcome
	for _, s := range r.Steps {
		out = append(out, s.Outcome)
	}
	return out
}

// runLog is the RunLog fake: one record in memory.
type runLog struct {
	mu      sync.Mutex
	last    *failover.RunRecord
	readErr error
	saveErr error
	saved   []failover.RunRecord
}

func (l *runLog) LastRun(context.Context) (failover.RunRecord, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.readErr != nil {
		return failover.RunRecord{}, false, l.readErr
	}
	if l.last == nil {
		return failover.RunRecord{}, false, nil
	}
	return *l.last, true, nil
}

func (l *runLog) RecordRun(_ context.Context, r failover.RunRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.saveErr != nil {
		return l.saveErr
	}
	l.last = &r
	l.saved = append(l.saved, r)
	return nil
}
