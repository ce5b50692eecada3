package plan

import (
	"fmt"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

// Switchover plans a planned switchover (RPO 0). It refuses unless the
// topology is readable, no operation is in progress and the global cluster
// is available, both clusters are available and have instances, their
// engine versions match, every reader is in sync with a known lag under
// the bound, both regions' APIs answer, the front door can be read and,
// where the database tells (failover.ProxyInspector), the target
// region's proxy has an available target. It warns, without refusing,
// when the front door does not send traffic to the writer, the writer
// region's proxy has no available read/write target, a user pool does
// not answer, or a safeguard is not as the deployment asks (see Check).
// The id fence follows the writer's move without a gap: nothing was
// lost.
func Switchover(st failover.State, o Options) (p Plan) {
	s := state{st}
	defer s.showFence(&p)
	if p, ok := finishLastRun(s, o, failover.KindPlanned); ok {
		return p
	}
	p = Plan{Kind: failover.KindPlanned, MaxLag: o.maxLag()}
	s.noteLastRunErr(&p)
	if s.TopologyErr != nil {
		p.refuse(CheckTopology, "cannot read the global database topology: %v", s.TopologyErr)
		return p
	}
	t := s.Topology
	p.GlobalID = t.ID
	writer, ok := s.onlyWriter(&p)
	if len(t.Members) < 2 {
		p.refuse(CheckTopology, "the global database has %d member(s); a switchover needs two clusters", len(t.Members))
	}
	if !ok {
		return p
	}
	target, ok := s.chooseTarget(&p, o.Target, writer, true)
	if !ok {
		return p
	}
	p.ToMember, p.To = target, target.Region
	p.FromMember, p.From = writer, writer.Region
	// A switchover this run requests loses nothing; a writer that moved
	// before this run did so without data loss only if the last run
	// says it was a switchover.
	lossless := !target.Writer || s.movedLosslessly(target.Region)
	if target.Writer {
		// Finishing a previous run: the writer moved, the route did not.
		if s.ActiveErr == nil && s.Active != "" && s.Active != target.Region {
			p.From = s.Active
			if m, ok := t.Member(s.Active); ok {
				p.FromMember = m
			}
			p.note("%s is already the writer but the front door sends traffic to %s: this run finishes a previous switchover (the switchover step will be skipped)", target.Region, s.Active)
		} else {
			p.note("%s is already the writer and takes the traffic: only the id fence and the write check will run", target.Region)
		}
		if !lossless {
			p.note("no record says a switchover moved the writer to %s, so the id fence leaves a gap as after a failover with data loss (it costs unused ids, never a reused one)", target.Region)
			s.lossBound(&p, target)
		}
	}

	if t.Operation != "" {
		p.refuse(CheckTopology, "an operation is in progress on the global database (failover state %q): wait until it ends (go tool mage status), then run again", t.Operation)
	}
	if t.Status != failover.StatusAvailable {
		p.refuse(CheckTopology, "the global database's status is %q, want %q", t.Status, failover.StatusAvailable)
	}
	for _, m := range t.Members {
		if m.Instances < 1 {
			p.refuse(CheckCluster, "the cluster in %s has no DB instance (a cluster without instances cannot take the writer role)", m.Region)
		}
		if m.Status != failover.StatusAvailable {
			p.refuse(CheckCluster, "the cluster in %s has status %q, want %q", m.Region, orUnknown(m.Status), failover.StatusAvailable)
		}
		if m.EngineVersion != writer.EngineVersion {
			p.refuse(CheckCluster, "engine versions differ: %s runs %q, %s runs %q (a switchover needs the same version)", writer.Region, writer.EngineVersion, m.Region, m.EngineVersion)
		}
		if !m.Writer && m.Sync != failover.SyncConnected {
			p.refuse(CheckReplication, "the cluster in %s is not in sync (synchronization status %q, want %q)", m.Region, orUnknown(m.Sync), failover.SyncConnected)
		}
	}
	if !target.Writer {
		p.Lag, p.LagKnown = target.Lag, target.LagKnown
		switch {
		case !target.LagKnown:
			p.refuse(CheckReplication, "the replication lag of %s is unknown", target.Region)
		case target.Lag > p.MaxLag:
			p.refuse(CheckReplication, "the replication lag of %s is %s, over the bound of %s", target.Region, target.Lag, p.MaxLag)
		}
	}
	for _, region := range s.Regions() {
		h, ok := s.Health[region]
		switch {
		case !ok:
			p.refuse(CheckAPIHealth, "the API in %s was not probed", region)
		case !h.OK:
			p.refuse(CheckAPIHealth, "the API in %s does not answer: %s", region, orUnknown(h.Detail))
		}
	}
	if s.ActiveErr != nil {
		p.refuse(CheckFrontDoor, "cannot read the front door's active region: %v", s.ActiveErr)
	}
	p.made(CheckTopology, CheckCluster, CheckReplication, CheckAPIHealth, CheckFrontDoor)
	s.checkRoute(&p, writer)
	s.checkProxies(&p, &writer, target)
	s.checkPools(&p, s.Regions())
	s.checkSafeguards(&p, s.Regions())

	switchover := fmt.Sprintf("switch the writer to %s (%s) without data loss; %s becomes a reader", p.To, target.ID, writer.Region)
	if target.Writer {
		switchover = fmt.Sprintf("make %s (%s) the writer: already done, will be skipped", p.To, target.ID)
	}
	p.Steps = []Step{
		{ActionSwitchover, switchover},
		{ActionWaitWriter, fmt.Sprintf("wait until %s is the writer and the global database is available", p.To)},
	}
	if s.fence(&p, !lossless) {
		p.Steps = append(p.Steps, fenceStep(p))
	} else {
		// Nothing was lost, so no id can be handed out twice; but a
		// store that gates creates on a fence refuses them in the new
		// region, and the write check says so.
		p.note("this database does not fence ids: creates in %s work only if its store does not wait for an id fence (the write check will tell)", p.To)
	}
	p.Steps = append(p.Steps,
		Step{ActionRoute, fmt.Sprintf("send the front door's traffic to %s", p.To)},
		verifyStep(p.To))
	return p
}
