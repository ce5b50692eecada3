package failover

import (
	"fmt"
	"time"
)

// The checks of what a plan relies on beyond the database's topology:
// the front door's route, the proxies, the user pools and the safeguards.
// Each reads a part of the State that the adapters may not provide (the
// optional interfaces); a part that is missing is a Skip that says so,
// never a pass.

// checkRoute warns when the front door does not send traffic to the
// writer: clients' writes fail (503 region_passive) until it does.
func (s State) checkRoute(p *Plan, writer Member) {
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
func (s State) checkProxies(p *Plan, writer *Member, target Member) {
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

// String says how many targets are available, and why the others are
// not.
func (t ProxyTargets) String() string {
	s := fmt.Sprintf("%d of %d targets available, %d read/write", t.Available, t.Total, t.Writers)
	if t.Detail != "" {
		s += ": " + t.Detail
	}
	return s
}

// checkPools warns about each region's user pool that does not answer.
func (s State) checkPools(p *Plan, regions []string) {
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
func (s State) checkSafeguards(p *Plan, regions []string) {
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
func (s State) checkRecoverySnapshots(p *Plan, target string) {
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
func (s State) checkTargetReplication(p *Plan, target, writer Member, hasWriter bool, bound time.Duration) {
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
	case target.Sync != syncConnected:
		p.warn(CheckReplication, "the cluster in %s is not in sync (synchronization status %q, want %q): a failover would lose what it lacks", target.Region, orUnknown(target.Sync), syncConnected)
	case !target.LagKnown:
		p.warn(CheckReplication, "the replication lag of %s is unknown", target.Region)
	case target.Lag > bound:
		p.warn(CheckReplication, "the replication lag of %s is %s, over the bound of %s: a failover now would lose that much", target.Region, target.Lag, bound)
	}
}

// checkTargetAPI warns when the API of the region an unplanned failover
// would move to does not answer: the write check goes through it.
func (s State) checkTargetAPI(p *Plan, target Member) {
	p.made(CheckAPIHealth)
	h, ok := s.Health[target.Region]
	switch {
	case !ok:
		p.warn(CheckAPIHealth, "the API in %s was not probed", target.Region)
	case !h.OK:
		p.warn(CheckAPIHealth, "the API in %s does not answer: %s", target.Region, orUnknown(h.Detail))
	}
}

func (p *Plan) hasFinding(c Check) bool {
	for _, f := range p.Findings {
		if f.Check == c {
			return true
		}
	}
	return false
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
