package plan

import (
	"fmt"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

// Failover plans an unplanned failover: the writer's region is assumed
// lost, so the route moves first (the old region cannot take writes
// anyway), then the target is promoted with data loss allowed and the id
// counter fenced past any id the old writer can have handed out. It
// refuses when the topology cannot be read, the target has no available
// cluster with an instance, another operation is in progress, or the
// database cannot fence ids. It warns, without refusing, about what the
// surviving side needs and lacks: the target's replication (while the
// writer still looks healthy), API, proxy target, user pool and
// safeguards, the front door's route, and recovery snapshots of an
// earlier failover that have no manual copy. After a run that stopped half way it goes
// towards the current writer (see Options.Target); when the target is
// already the writer nothing is promoted (nor routed, when the front door
// sends traffic there already).
func Failover(st failover.State, o Options) (p Plan) {
	s := state{st}
	defer s.showFence(&p)
	if p, ok := finishLastRun(s, o, failover.KindUnplanned); ok {
		return p
	}
	p = Plan{Kind: failover.KindUnplanned}
	s.noteLastRunErr(&p)
	target, ok := s.planAway(&p, o)
	if !ok {
		return p
	}
	s.lossBound(&p, target)
	writer, hasWriter := s.Topology.Writer()
	if hasWriter && writer.Region != target.Region && s.healthy(writer) {
		p.note("the API in %s still answers and its cluster is available: a planned switchover (go tool mage failover) loses no data", writer.Region)
	}
	p.made(CheckIDFence)
	if !s.fence(&p, true) {
		p.refuse(CheckIDFence, "%s", errNoFencer(p.To))
	}
	// What the failover needs of the side that survives, beyond what
	// it refuses without: none of it stops the run (the region it
	// leaves is assumed lost), but each is a reason it may not end well.
	if !hasWriter {
		p.warn(CheckTopology, "the global database does not have exactly one writer")
	}
	s.checkTargetReplication(&p, target, writer, hasWriter, o.maxLag())
	s.checkTargetAPI(&p, target)
	if s.ActiveErr != nil {
		p.warn(CheckFrontDoor, "cannot read the front door's active region: %v", s.ActiveErr)
	} else if hasWriter {
		s.checkRoute(&p, writer)
	}
	p.made(CheckFrontDoor)
	s.checkProxies(&p, nil, target)
	s.checkPools(&p, []string{target.Region})
	s.checkSafeguards(&p, []string{target.Region})
	s.checkRecoverySnapshots(&p, target.Region)
	if target.Writer && s.ActiveErr == nil && s.Active == target.Region {
		p.note("%s is already the writer and takes the traffic: nothing is promoted or routed; this run fences the ids and checks a write", target.Region)
		p.Steps = []Step{fenceStep(p), verifyStep(p.To)}
		return p
	}
	if target.Writer {
		p.note("%s is already the writer: nothing is promoted; this run routes the traffic there, fences the ids and checks a write", target.Region)
		p.Steps = []Step{
			{ActionRoute, fmt.Sprintf("send the front door's traffic to %s, the writer", p.To)},
			fenceStep(p),
			verifyStep(p.To),
		}
		return p
	}
	p.Steps = []Step{
		{ActionRoute, fmt.Sprintf("send the front door's traffic to %s first (the old writer region is assumed lost)", p.To)},
		{ActionFailover, fmt.Sprintf("promote %s (%s) with data loss allowed", p.To, target.ID)},
		{ActionWaitWriter, fmt.Sprintf("wait until %s is the writer and its cluster is available", p.To)},
		fenceStep(p),
		verifyStep(p.To),
	}
	return p
}

// errNoFencer is the refusal of a plan that may lose data on a database
// that cannot fence ids.
func errNoFencer(to string) string {
	return fmt.Sprintf("this database cannot fence ids: after a failover with data loss the writer in %s would hand out again the ids of acknowledged creates it never received (and a store that gates creates on a fence would refuse them all)", to)
}
