package plan

import (
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// Detach plans the last resort: detach the target from the global
// database so it becomes a standalone writable cluster. It needs an
// explicit target. The old writer keeps its own copy; nothing replicates
// between them afterwards, and rebuilding the global database is manual.
// The id fence treats it as a failover with data loss.
func Detach(st failover.State, o Options) (p Plan) {
	s := state{st}
	defer s.showFence(&p)
	p = Plan{Kind: failover.KindDetach}
	if o.Target == "" {
		p.refuse(CheckTarget, "detach needs an explicit target region")
		return p
	}
	if s.TopologyErr == nil {
		if _, ok := s.Topology.Member(o.Target); !ok {
			// Already detached by an earlier run: route, fence and
			// verify remain.
			p.GlobalID = s.Topology.ID
			p.To, p.ToMember = o.Target, failover.Member{Region: o.Target}
			p.note("%s is not a member of the global database (already detached?): the detach steps will be skipped", o.Target)
			s.lossBound(&p, p.ToMember)
			if !s.fence(&p, true) {
				p.refuse(CheckIDFence, "%s", errNoFencer(p.To))
			}
			p.Steps = detachSteps(p, "")
			return p
		}
	}
	target, ok := s.planAway(&p, o)
	if !ok {
		return p
	}
	if target.Writer {
		if others := len(s.Topology.Members) - 1; others > 0 {
			// Detaching the writer would not make anything writable that
			// is not already, and Aurora removes the writer last.
			p.refuse(CheckTarget, "%s is the writer of the global database, which has %d other member(s): detach promotes a reader; to move the writer use go tool mage failover (or failover:unplanned)", target.Region, others)
		} else {
			p.note("%s is the writer and the only member: detaching it leaves the global database empty", target.Region)
		}
	}
	s.lossBound(&p, target)
	p.made(CheckIDFence)
	if !s.fence(&p, true) {
		p.refuse(CheckIDFence, "%s", errNoFencer(p.To))
	}
	p.note("after a detach the regions no longer replicate: rebuilding the global database is a manual job")
	p.Steps = detachSteps(p, target.ID)
	return p
}
