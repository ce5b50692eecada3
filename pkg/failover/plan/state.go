package plan

import (
	"fmt"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

// state is the State as the plans read it: its methods are the plans'
// questions to it (which member to move to, is that member healthy, what
// bounds the writes a move may lose) and their checks of what it shows.
// Each check records on the plan what it made, found and skipped.
type state struct{ failover.State }

func (s state) noteLastRunErr(p *Plan) {
	if s.LastRunErr != nil {
		p.note("cannot read the last run's record (%v): planned from the state alone", s.LastRunErr)
	}
}

// planAway holds the checks shared by unplanned failover and detach.
func (s state) planAway(p *Plan, o Options) (failover.Member, bool) {
	if s.TopologyErr != nil {
		p.refuse(CheckTopology, "cannot read the global database topology: %v", s.TopologyErr)
		return failover.Member{}, false
	}
	t := s.Topology
	p.GlobalID = t.ID
	if s.TopologyNote != "" {
		p.note("%s", s.TopologyNote)
	}
	writer, hasWriter := t.Writer()
	target, ok := s.chooseTarget(p, o.Target, writer, false)
	if !ok {
		return failover.Member{}, false
	}
	p.ToMember, p.To = target, target.Region
	if hasWriter {
		p.FromMember, p.From = writer, writer.Region
	}
	if target.Writer && s.ActiveErr == nil && s.Active != "" && s.Active != target.Region {
		p.From = s.Active
		if m, ok := t.Member(s.Active); ok {
			p.FromMember = m
		}
	}
	if target.Instances < 1 {
		p.refuse(CheckCluster, "the cluster in %s has no DB instance (a cluster without instances cannot be promoted)", target.Region)
	}
	if target.Status != failover.StatusAvailable {
		p.refuse(CheckCluster, "the cluster in %s has status %q, want %q", target.Region, orUnknown(target.Status), failover.StatusAvailable)
	}
	if t.Operation != "" {
		if t.OperationTo != "" && t.OperationTo == target.ID {
			p.Resumes = t.Operation
			p.note("an operation promoting %s is already in progress (failover state %q): this run resumes it", target.Region, t.Operation)
		} else {
			p.refuse(CheckTopology, "an operation is in progress on the global database (failover state %q): wait until it ends (go tool mage status), then run again", t.Operation)
		}
	}
	if s.ActiveErr != nil {
		p.note("cannot read the front door's active region (%v): the route step will set it anyway", s.ActiveErr)
	}
	p.made(CheckTopology, CheckCluster)
	return target, true
}

// onlyWriter returns the single writer, refusing when there is none or
// more than one.
func (s state) onlyWriter(p *Plan) (failover.Member, bool) {
	var writers []failover.Member
	for _, m := range s.Topology.Members {
		if m.Writer {
			writers = append(writers, m)
		}
	}
	switch len(writers) {
	case 0:
		p.refuse(CheckTopology, "no member of the global database is the writer")
		return failover.Member{}, false
	case 1:
		return writers[0], true
	}
	p.refuse(CheckTopology, "%d members claim to be the writer (%s)", len(writers), strings.Join(regionsOf(writers), ", "))
	return failover.Member{}, false
}

// chooseTarget picks the target member: the explicit region; else none
// while the traffic goes to a standalone writer a detach made
// (detachedWriter); else, for a planned switchover, the writer when the route points elsewhere (a
// previous run moved the writer but not the route) or the id fence does
// not name it (a previous move to it has not finished), else the other
// member; else, for an unplanned failover or a detach, towardsWriter.
func (s state) chooseTarget(p *Plan, explicit string, writer failover.Member, planned bool) (failover.Member, bool) {
	t := s.Topology
	if explicit != "" {
		m, ok := t.Member(explicit)
		if !ok {
			p.refuse(CheckTarget, "no member of the global database is in %s (members: %s)", explicit, strings.Join(regionsOf(t.Members), ", "))
		}
		return m, ok
	}
	if d, ok := s.detachedWriter(); ok {
		s.refuseDetached(p, d)
		return failover.Member{}, false
	}
	if !planned {
		return s.towardsWriter(p, writer)
	}
	if s.ActiveErr == nil && s.Active != "" && writer.Region != "" && s.Active != writer.Region {
		return writer, true
	}
	if fence, ok := s.unfinishedMove(p, writer); ok {
		p.note("the id fence names %s (term %d, read in %s) but the writer is %s: a move to %s has not finished (creates stay closed there until the fence names it), so this run finishes it instead of switching back (name %s as the target to switch to it anyway)",
			orUnknown(fence.Region), fence.Term, orUnknown(fence.ReadIn), writer.Region, writer.Region, s.promotable(writer))
		return writer, true
	}
	return s.otherThan(p, writer)
}

// towardsWriter picks an unplanned run's target so that a run after one
// that stopped half way moves the traffic towards the current writer and
// never promotes the region an unverified run was leaving:
//   - an operation promoting a member is in progress: that member (this
//     run promotes nothing itself);
//   - the id fence does not name the writer (a move to the writer has
//     not finished, whoever ran it): the writer if it is healthy, else
//     it refuses (finishMove);
//   - the front door sends traffic to a region that is not the writer (a
//     run stopped between moving one and the other): the writer if it is
//     healthy, which needs no promotion at all; else the routed region,
//     unless the last unverified run was leaving it for the writer;
//   - the parts agree: the other member (the writer's region is assumed
//     lost), unless the last unverified run was leaving it for the
//     writer.
//
// Where it refuses, naming the target explicitly overrides.
func (s state) towardsWriter(p *Plan, writer failover.Member) (failover.Member, bool) {
	t := s.Topology
	if t.Operation != "" && t.OperationTo != "" {
		if m, ok := t.MemberByID(t.OperationTo); ok {
			p.note("an operation promoting %s is in progress (failover state %q): this run goes the same way and does not promote anything itself", m.Region, t.Operation)
			return m, true
		}
	}
	if fence, ok := s.unfinishedMove(p, writer); ok {
		return s.finishMove(p, writer, fence)
	}
	if s.ActiveErr == nil && s.Active != "" && writer.Region != "" && s.Active != writer.Region {
		if s.healthy(writer) {
			p.note("the front door sends traffic to %s but the writer is %s, whose cluster is available and whose API answers: a previous run stopped half way, and this run moves the traffic to the writer without promoting anything (name %s as the target to promote it instead)", s.Active, writer.Region, s.Active)
			return writer, true
		}
		if s.leaving(s.Active, writer.Region) {
			s.refuseLeaving(p, s.Active, writer)
			return failover.Member{}, false
		}
		if m, ok := t.Member(s.Active); ok {
			p.note("the front door already sends traffic to %s and the writer %s does not look healthy (%s): this run continues towards %s", s.Active, writer.Region, s.unhealthy(writer), s.Active)
			return m, true
		}
	}
	m, ok := s.otherThan(p, writer)
	if ok && s.leaving(m.Region, writer.Region) {
		s.refuseLeaving(p, m.Region, writer)
		return failover.Member{}, false
	}
	return m, ok
}

func (s state) refuseLeaving(p *Plan, from string, writer failover.Member) {
	l := s.LastRun
	p.refuse(CheckLastRun, "the last run (%s %s → %s, started %s, not verified) moved the writer to %s: promoting %s again would throw away the writes %s took since. %s: go tool mage status tells; if %s is lost, name %s as the target to fail over to it anyway",
		l.Kind.Title(), l.From, l.To, l.At.UTC().Format(time.RFC3339), writer.Region, from, writer.Region,
		upperFirst(s.writerCondition(writer)), writer.Region, from)
}

func (s state) writerCondition(w failover.Member) string {
	if s.healthy(w) {
		return fmt.Sprintf("%s looks healthy", w.Region)
	}
	return fmt.Sprintf("%s does not look healthy (%s)", w.Region, s.unhealthy(w))
}

// healthy reports whether m's cluster is available and its region's API
// answers: a writer that can take the traffic as it is.
func (s state) healthy(m failover.Member) bool {
	h, ok := s.Health[m.Region]
	return m.Status == failover.StatusAvailable && ok && h.OK
}

// unhealthy says why healthy(m) is false.
func (s state) unhealthy(m failover.Member) string {
	var why []string
	if m.Status != failover.StatusAvailable {
		why = append(why, fmt.Sprintf("cluster status %q", orUnknown(m.Status)))
	}
	switch h, ok := s.Health[m.Region]; {
	case !ok:
		why = append(why, "API not probed")
	case !h.OK:
		why = append(why, "API: "+orUnknown(h.Detail))
	}
	return strings.Join(why, ", ")
}

// otherThan returns the only member other than the writer.
func (s state) otherThan(p *Plan, writer failover.Member) (failover.Member, bool) {
	var others []failover.Member
	for _, m := range s.Topology.Members {
		if m.Region != writer.Region {
			others = append(others, m)
		}
	}
	switch len(others) {
	case 0:
		p.refuse(CheckTopology, "no member other than the writer (%s) to move to", orUnknown(writer.Region))
		return failover.Member{}, false
	case 1:
		return others[0], true
	}
	p.refuse(CheckTarget, "several regions could take over (%s): name the target", strings.Join(regionsOf(others), ", "))
	return failover.Member{}, false
}

// movedLosslessly reports whether the last run was a switchover that
// moved the writer to region (verified or not).
func (s state) movedLosslessly(region string) bool {
	l := s.LastRun
	return l != nil && l.Kind == failover.KindPlanned && !l.DataLoss && l.To == region && (l.GlobalID == "" || l.GlobalID == s.Topology.ID)
}

// leaving reports whether the last run, unverified, was moving the writer
// from one region to another: promoting from again would throw away the
// writes to took since.
func (s state) leaving(from, to string) bool {
	l := s.LastRun
	return l != nil && !l.Verified && l.From == from && l.To == to && (l.GlobalID == "" || l.GlobalID == s.Topology.ID)
}

// fence sets the plan's fence request and reports whether the database
// can fence at all. With dataLoss the request carries the plan's loss
// bound.
func (s state) fence(p *Plan, dataLoss bool) bool {
	if !s.FencesIDs {
		return false
	}
	f := failover.FenceRequest{Region: p.To, DataLoss: dataLoss}
	if dataLoss && p.LagKnown {
		f.Lag = p.Lag
	}
	p.Fence = &f
	return true
}

// lossBound sets the plan's bound on lost writes: the target's lag
// history around the fault when the database keeps one, else its latest
// lag (a writer has none).
func (s state) lossBound(p *Plan, target failover.Member) {
	if !target.Writer {
		p.Lag, p.LagKnown = target.Lag, target.LagKnown
	}
	ev, ok := s.LagEvidence[target.Region]
	if ok {
		p.LagEvidence = &ev
	}
	switch {
	case ok && ev.Known:
		if p.LagKnown && p.Lag > ev.Bound {
			p.note("the replication lag of %s is %s now, more than the %s around the fault: it grows while the old writer is unreachable, and writes the old writer still took after the fault, if any, are lost too", target.Region, p.Lag, ev.Bound)
		}
		p.Lag, p.LagKnown = ev.Bound, true
	case ok && p.LagKnown:
		p.note("the lag history of %s gives no bound (%s): the bound is its latest lag", target.Region, orUnknown(ev.Why))
	case ok:
		p.note("the lag history of %s gives no bound (%s), so the data-loss bound is unknown", target.Region, orUnknown(ev.Why))
	case !p.LagKnown:
		p.note("the replication lag of %s is unknown, so the data-loss bound is unknown", target.Region)
	}
}

// The checks of what a plan relies on beyond the database's topology:
// the front door's route, the proxies, the user pools and the safeguards.
// Each reads a part of the State that the adapters may not provide (the
// optional interfaces); a part that is missing is a Skip that says so,
// never a pass.

// checkRoute warns when the front door does not send traffic to the
// writer: clients' writes fail (503 region_passive) until it does.
func (s state) checkRoute(p *Plan, writer failover.Member) {
	p.made(CheckFrontDoor)
	if s.ActiveErr != nil || writer.Region == "" || s.Active == writer.Region {
		return
	}
	p.warn(CheckFrontDoor, "the front door sends traffic to %s but the writer is in %s: writes through it fail until the route follows the writer (go tool mage failover finishes the move)",
		orUnknown(s.Active), writer.Region)
}

// checkProxies checks the proxy of the region to promote (target) and,
// for a switchover, that of the writer's region. The target's proxy must
// have an available target: once promoted, that instance is the one its
// read/write endpoint reaches, and without one the new writer's API
// cannot write. A switchover refuses without it (it can wait); an
// unplanned failover warns. writer is nil for an unplanned failover,
// which does not rely on the region it leaves.
func (s state) checkProxies(p *Plan, writer *failover.Member, target failover.Member) {
	if s.Proxies == nil {
		p.skip(CheckProxyTarget, "this database does not tell its proxies' targets")
		return
	}
	p.made(CheckProxyTarget)
	planned := writer != nil
	fail := p.warn
	if planned {
		fail = p.refuse
	}
	pt, ok := s.Proxies[target.Region]
	switch {
	case !ok:
		fail(CheckProxyTarget, "the proxy targets in %s were not read", target.Region)
		return
	case !pt.Known:
		fail(CheckProxyTarget, "cannot read the proxy targets in %s: %s", target.Region, orUnknown(pt.Detail))
		return
	case target.Writer && pt.Writers == 0:
		// The writer moved already: what is left (route, fence, write
		// check) is what brings the traffic to it, so it is not refused.
		p.warn(CheckProxyTarget, "the proxy in %s, where the writer is, has no available read/write target (%s): its API cannot write", target.Region, pt)
		return
	case pt.Available == 0:
		fail(CheckProxyTarget, "the proxy in %s has no available target (%s): once %s is the writer its API could not reach it", target.Region, pt, target.Region)
		return
	case pt.AuthFailures > 0:
		p.warn(CheckProxyTarget, "the proxy in %s cannot log in to %d of its %d targets (AUTH_FAILURE: the secret it reads does not match the database user's password)", target.Region, pt.AuthFailures, pt.Total)
	}
	if !planned || target.Writer {
		return
	}
	wp, ok := s.Proxies[writer.Region]
	switch {
	case !ok || !wp.Known:
		p.warn(CheckProxyTarget, "cannot read the proxy targets in %s, where the writer is: %s", writer.Region, orUnknown(wp.Detail))
	case wp.Writers == 0:
		p.warn(CheckProxyTarget, "the proxy in %s, where the writer is, has no available read/write target (%s): its API cannot write now", writer.Region, wp)
	}
}

// checkPools warns about each region's user pool that does not answer.
func (s state) checkPools(p *Plan, regions []string) {
	if s.Pools == nil {
		why := s.PoolsNotApplicable
		if why == "" {
			why = "this prober does not check user pools"
		}
		p.skip(CheckUserPool, "%s", why)
		return
	}
	p.made(CheckUserPool)
	for _, r := range regions {
		up, ok := s.Pools[r]
		switch {
		case !ok:
			p.warn(CheckUserPool, "the user pool in %s was not probed", r)
		case !up.OK:
			p.warn(CheckUserPool, "the user pool in %s does not answer: %s (the write check and the clients need a token from it)", r, orUnknown(up.Detail))
		}
	}
}

// checkSafeguards warns about each region's cluster (and the global
// cluster) whose deletion protection or backup retention is not what
// the deployment asks.
func (s state) checkSafeguards(p *Plan, regions []string) {
	if s.Safeguards == nil {
		p.skip(CheckDeletionProtection, "this database does not tell its safeguards")
		p.skip(CheckBackupRetention, "this database does not tell its safeguards")
		return
	}
	wantProtection, wantRetention := false, false
	globalChecked := false
	for _, r := range regions {
		g, ok := s.Safeguards[r]
		if !ok || !g.Known {
			detail := "not read"
			if ok {
				detail = orUnknown(g.Detail)
			}
			p.warn(CheckDeletionProtection, "cannot read the deletion protection in %s: %s", r, detail)
			p.warn(CheckBackupRetention, "cannot read the backup retention in %s: %s", r, detail)
			continue
		}
		if g.WantDeletionProtection {
			wantProtection = true
			p.made(CheckDeletionProtection)
			if !g.DeletionProtection {
				p.warn(CheckDeletionProtection, "the cluster %s in %s is not protected from deletion (the deployment asks for DeletionProtection): turn it back on (aws rds modify-db-cluster --deletion-protection) or deploy again", orUnknown(g.Cluster), r)
			}
			if !globalChecked {
				globalChecked = true
				if !g.GlobalDeletionProtection {
					p.warn(CheckDeletionProtection, "the global cluster is not protected from deletion (the deployment asks for DeletionProtection): turn it back on (aws rds modify-global-cluster --deletion-protection)")
				}
			}
		}
		if g.WantBackupRetention > 0 {
			wantRetention = true
			p.made(CheckBackupRetention)
			if g.BackupRetention < g.WantBackupRetention {
				p.warn(CheckBackupRetention, "the cluster %s in %s keeps automated backups %s, less than the %s the deployment sets: an unplanned failover's recovery snapshot would expire sooner", orUnknown(g.Cluster), r, days(g.BackupRetention), days(g.WantBackupRetention))
			}
		}
	}
	if !wantProtection && !p.hasFinding(CheckDeletionProtection) {
		p.skip(CheckDeletionProtection, "the deployment does not ask for deletion protection (DeletionProtection=false)")
	}
	if !wantRetention && !p.hasFinding(CheckBackupRetention) {
		p.skip(CheckBackupRetention, "the deployment sets no backup retention to check against")
	}
}

// checkRecoverySnapshots warns about each recovery snapshot of a former
// writer that has no manual copy: it holds the writes an unplanned
// failover lost and expires with the cluster's backup retention. Every
// region whose safeguards were read is looked at; the target's must be
// readable, another region that could not be read is noted.
func (s state) checkRecoverySnapshots(p *Plan, target string) {
	if s.Safeguards == nil {
		p.skip(CheckRecoverySnapshot, "this database does not tell its snapshots")
		return
	}
	p.made(CheckRecoverySnapshot)
	for _, r := range s.Regions() {
		g, ok := s.Safeguards[r]
		if !ok || !g.Known {
			detail := "not read"
			if ok {
				detail = orUnknown(g.Detail)
			}
			if r == target {
				p.warn(CheckRecoverySnapshot, "cannot read the recovery snapshots in %s: %s", r, detail)
			} else {
				p.note("the recovery snapshots in %s could not be read (%s)", r, detail)
			}
			continue
		}
		for _, rs := range g.RecoverySnapshots {
			if rs.CopiedTo != "" {
				continue
			}
			expires := "with the cluster's backup retention"
			if !rs.Expires.IsZero() {
				expires = "around " + rs.Expires.UTC().Format(time.RFC3339)
			}
			p.warn(CheckRecoverySnapshot, "the recovery snapshot %s of %s (taken %s) holds the writes an unplanned failover lost and expires %s: copy it to a manual snapshot (aws rds copy-db-cluster-snapshot --source-db-cluster-snapshot-identifier %s ...)",
				rs.Name, orUnknown(g.Cluster), rs.Created.UTC().Format(time.RFC3339), expires, rs.Name)
		}
	}
}

// checkTargetReplication warns when the reader an unplanned failover
// would promote is not in sync, or lags more than the bound: the
// failover would lose more than the bound. While the writer does not
// look healthy (the outage an unplanned failover is for) replication
// cannot be judged from the state: the loss bound then comes from the
// lag history when the failover is planned, and the check is skipped.
func (s state) checkTargetReplication(p *Plan, target, writer failover.Member, hasWriter bool, bound time.Duration) {
	if target.Writer {
		p.made(CheckReplication)
		return
	}
	if !hasWriter || !s.healthy(writer) {
		why := "no single writer"
		if hasWriter {
			why = fmt.Sprintf("the writer in %s does not look healthy (%s)", writer.Region, s.unhealthy(writer))
		}
		p.skip(CheckReplication, "%s: replication to %s cannot be judged now; the loss bound comes from the lag history when the failover is planned", why, target.Region)
		return
	}
	p.made(CheckReplication)
	switch {
	case target.Sync != failover.SyncConnected:
		p.warn(CheckReplication, "the cluster in %s is not in sync (synchronization status %q, want %q): a failover would lose what it lacks", target.Region, orUnknown(target.Sync), failover.SyncConnected)
	case !target.LagKnown:
		p.warn(CheckReplication, "the replication lag of %s is unknown", target.Region)
	case target.Lag > bound:
		p.warn(CheckReplication, "the replication lag of %s is %s, over the bound of %s: a failover now would lose that much", target.Region, target.Lag, bound)
	}
}

// checkTargetAPI warns when the API of the region an unplanned failover
// would move to does not answer: the write check goes through it.
func (s state) checkTargetAPI(p *Plan, target failover.Member) {
	p.made(CheckAPIHealth)
	h, ok := s.Health[target.Region]
	switch {
	case !ok:
		p.warn(CheckAPIHealth, "the API in %s was not probed", target.Region)
	case !h.OK:
		p.warn(CheckAPIHealth, "the API in %s does not answer: %s", target.Region, orUnknown(h.Detail))
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func regionsOf(ms []failover.Member) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Region)
	}
	return out
}

// days renders a retention in days.
func days(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		if n := d / (24 * time.Hour); n != 1 {
			return fmt.Sprintf("%d days", n)
		}
		return "1 day"
	}
	return d.String()
}
