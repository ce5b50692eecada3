package plan

import (
	"fmt"
	"strings"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

// The id fence as the durable marker of a move: every run that moves the
// writer ends by fencing the ids in the new writer's region, and until
// then the store refuses creates there. The fence's row replicates with
// the data, so a fence that does not name the writer shows that a move
// to the writer has not finished, whoever plans and wherever: without
// the last run's record (another operator, another machine) too. A fence
// that names the writer says nothing more: the route and the record
// decide, as without a fence.

// showFence records on the plan what the fence read, when the database
// reads it, so that failover:plan prints it.
func (s state) showFence(p *Plan) {
	if mark, ok := s.FenceMark(); ok {
		p.FenceMark = &mark
	}
}

// unfinishedMove returns the fence when it shows that a move to writer
// has not finished: it is known and names another region. When the
// fences were read but tell nothing (no member could read its fence,
// or the members disagree), it notes that the plan does without them.
func (s state) unfinishedMove(p *Plan, writer failover.Member) (failover.FenceState, bool) {
	mark, ok := s.FenceMark()
	switch {
	case !ok || writer.Region == "":
		return failover.FenceState{}, false
	case !mark.Known:
		p.note("the id fence tells nothing (%s): planned from the writer, the route and the last run's record alone", orUnknown(mark.Why))
		return failover.FenceState{}, false
	}
	return mark.Fence, !mark.Names(writer.Region)
}

// finishMove plans towards writer after fence showed that a move to it
// has not finished: the writer itself when it is healthy (route there if
// needed, fence, check a write; nothing is promoted). Otherwise it
// refuses: the other region is the one that move was leaving, and
// promoting it again would throw away the writes the writer may have
// taken since it became the writer (updates and deletes are not gated by
// the fence). Naming the target explicitly overrides.
func (s state) finishMove(p *Plan, writer failover.Member, fence failover.FenceState) (failover.Member, bool) {
	routed := ""
	if s.ActiveErr == nil && s.Active != "" && s.Active != writer.Region {
		routed = fmt.Sprintf(" (the front door still sends traffic to %s)", s.Active)
	}
	shown := fmt.Sprintf("the id fence names %s (term %d, read in %s) but the writer is %s%s: a move to %s has not finished, and creates stay closed there until the fence names it",
		orUnknown(fence.Region), fence.Term, orUnknown(fence.ReadIn), writer.Region, routed, writer.Region)
	other := s.promotable(writer)
	if s.healthy(writer) {
		steps := "fences the ids and checks a write"
		if routed != "" || s.ActiveErr != nil {
			steps = "routes the traffic there, fences the ids and checks a write"
		}
		p.note("%s. %s is healthy (cluster available, API answers): this run finishes that move, %s, and promotes nothing (name %s as the target to promote it instead)",
			shown, writer.Region, steps, other)
		return writer, true
	}
	if s.leaving(other, writer.Region) {
		// The last run's record tells the same, with the run.
		s.refuseLeaving(p, other, writer)
		return failover.Member{}, false
	}
	p.refuse(CheckUnfinishedMove, "%s; promoting %s would throw away the writes %s may have taken since it became the writer, and %s (go tool mage status tells). If %s is lost, name %s as the target to fail over to it anyway",
		shown, other, writer.Region, s.writerCondition(writer), writer.Region, other)
	return failover.Member{}, false
}

// detachedWriter returns the fence of the region the front door sends
// traffic to when that region is outside the global database and its
// own fence names it at a higher term than the members' (or theirs
// cannot be read): a detach made it a standalone writer, which took the
// writes since, and the global database's writer is the past.
func (s state) detachedWriter() (failover.FenceState, bool) {
	mark, ok := s.FenceMark()
	if !ok || s.ActiveErr != nil || s.Active == "" {
		return failover.FenceState{}, false
	}
	for _, r := range mark.Reads {
		if r.Member || !r.Known || r.ReadIn != s.Active || r.Region != s.Active {
			continue
		}
		if !mark.Known || r.Term > mark.Fence.Term {
			return r.FenceState, true
		}
	}
	return failover.FenceState{}, false
}

// refuseDetached refuses a plan that would take the traffic away from
// the detached writer d, or promote anything in the global database it
// left: whatever it took since the detach exists nowhere else.
func (s state) refuseDetached(p *Plan, d failover.FenceState) {
	members := "is unknown"
	if mark, ok := s.FenceMark(); ok && mark.Known {
		members = fmt.Sprintf("names %s at term %d", orUnknown(mark.Fence.Region), mark.Fence.Term)
	}
	p.refuse(CheckDetachedWriter, "the front door sends traffic to %s, a standalone writer since a detach (its own id fence names it at term %d; the global database's %s): moving the traffic back or promoting anything in the global database would throw away the writes %s took since, and nothing replicates between them any more. Rebuild the other region from %s (runbook: Detach and promote); name a target only to give those writes up",
		d.ReadIn, d.Term, members, d.ReadIn, d.ReadIn)
}

// promotable names the region an unplanned failover would otherwise
// promote: the routed region when it is another member, else the only
// member other than the writer.
func (s state) promotable(writer failover.Member) string {
	if s.ActiveErr == nil && s.Active != writer.Region {
		if _, ok := s.Topology.Member(s.Active); ok {
			return s.Active
		}
	}
	var others []string
	for _, m := range s.Topology.Members {
		if m.Region != writer.Region {
			others = append(others, m.Region)
		}
	}
	if len(others) == 1 {
		return others[0]
	}
	if len(others) == 0 {
		return "another region"
	}
	return "one of " + strings.Join(others, ", ")
}
