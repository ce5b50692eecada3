package plan

import (
	"fmt"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

// finishLastRun plans the rest of the last run when that run got the
// writer to its target but did not verify a write there (the check timed
// out, or the run was interrupted after the writer moved): the id fence
// (skipped when done) and the write check. It applies when the writer
// and the route agree on the last run's target, or when the last run
// was a detach whose target has left the global database (then the
// route follows too). A plan from the state alone would move everything
// back. An explicit other target wins.
func finishLastRun(s state, o Options, kind failover.Kind) (Plan, bool) {
	last := s.LastRun
	if last == nil || last.Verified || last.To == "" || s.TopologyErr != nil || s.ActiveErr != nil {
		return Plan{}, false
	}
	if o.Target != "" && o.Target != last.To {
		return Plan{}, false
	}
	if last.GlobalID != "" && last.GlobalID != s.Topology.ID {
		return Plan{}, false
	}
	writer, ok := s.Topology.Writer()
	_, member := s.Topology.Member(last.To)
	detached := last.Kind == failover.KindDetach && !member
	switch {
	case detached:
		// A standalone writer now, outside the topology.
		writer = failover.Member{Region: last.To}
	case !ok || writer.Region != last.To || s.Active != last.To:
		return Plan{}, false
	}
	p := Plan{Kind: kind, GlobalID: s.Topology.ID, From: last.From, To: last.To, ToMember: writer, MaxLag: o.maxLag()}
	if m, ok := s.Topology.Member(last.From); ok {
		p.FromMember = m
	}
	started := last.At.UTC().Format(time.RFC3339)
	if detached {
		p.note("the last run (%s %s → %s, started %s) detached %s from the global database but did not verify a write there: this run finishes it (name another target region to move away instead)",
			last.Kind.Title(), orUnknown(last.From), last.To, started, last.To)
	} else {
		p.note("the last run (%s %s → %s, started %s) left the writer and the traffic in %s but did not verify a write there: this run finishes it with the id fence and the write check alone (name another target region to move away instead)",
			last.Kind.Title(), orUnknown(last.From), last.To, started, last.To)
	}
	if detached && s.Active != last.To {
		p.Steps = append(p.Steps, Step{ActionRoute, fmt.Sprintf("send the front door's traffic to %s", p.To)})
	}
	lossy := last.Kind != failover.KindPlanned || last.DataLoss
	if lossy {
		s.lossBound(&p, writer)
	}
	switch {
	case s.fence(&p, lossy):
		p.Steps = append(p.Steps, fenceStep(p))
	case lossy:
		p.refuse(CheckIDFence, "%s", errNoFencer(p.To))
	default:
		p.note("this database does not fence ids: creates in %s work only if its store does not wait for an id fence (the write check will tell)", p.To)
	}
	p.Steps = append(p.Steps, verifyStep(p.To))
	return p, true
}
