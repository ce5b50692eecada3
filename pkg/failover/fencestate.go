package failover

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// FenceState is the id fence as one region's database reads it: the
// region whose writer may create todos, and the fence's term. Every run
// that moves the writer ends by fencing the ids in the new writer's
// region (IDFencer), and the fence's row replicates with the data. So a
// fence that does not name the writer shows that a move to the writer
// has not finished, to whoever reads it, wherever: it needs no record of
// the run that moved it.
type FenceState struct {
	// ReadIn is the region whose database was read.
	ReadIn string `json:"readIn"`
	// Known is false when the fence could not be read (Detail says why).
	Known  bool   `json:"known"`
	Detail string `json:"detail,omitempty"`
	// Region is the region the fence names; Term its term (one more per
	// fence that changed it; the migration seeds it at 0).
	Region string `json:"region,omitempty"`
	Term   int64  `json:"term"`
}

// String says what the fence names, or why it could not be read.
func (f FenceState) String() string {
	if !f.Known {
		return "cannot read: " + orUnknown(f.Detail)
	}
	return fmt.Sprintf("names %s (term %d)", orUnknown(f.Region), f.Term)
}

// FenceReader is implemented by a Database that can read the id fence
// in each region (AWS: through the region's migrate function, the only
// thing that reaches its database; the lab: a query on the region's
// server). The orchestrator's Evaluate reads every region's at once, each
// bounded by the probe timeout. A database that cannot read the fence in
// this deployment returns an error wrapping ErrNotApplicable (the
// readiness function has no migrate function to invoke): the State then
// has no fences, as without the interface.
type FenceReader interface {
	// FenceState reads the fence from region's database, through
	// whichever endpoint answers (a region without the writer has only a
	// reader). An error means it could not be read.
	FenceState(ctx context.Context, region string) (FenceState, error)
}

// FenceMark is what the id fence tells of the global database's writer:
// the fence with the highest term among its members that answered (a
// replica may lag a fence behind its writer). A region outside the
// global database (a detached one) keeps a fence of its own, which is
// shown but not counted.
type FenceMark struct {
	// Known is false when no member's fence could be read, or the
	// members disagree at the highest term (Why says which).
	Known bool   `json:"known"`
	Why   string `json:"why,omitempty"`
	// Fence is the fence with the highest term, when Known.
	Fence FenceState `json:"fence"`
	// Reads are every region's reads, members first in topology order.
	Reads []FenceReadout `json:"reads"`
	// MembersUnknown is true when the topology could not be read: no
	// read counts, and none is known not to be a member's.
	MembersUnknown bool `json:"membersUnknown,omitempty"`
}

// FenceReadout is one region's read of the fence, and whether it counts
// (the region is a member of the global database).
type FenceReadout struct {
	FenceState
	Member bool `json:"member"`
}

// FenceMark returns what the fences read tell of the writer; false when
// none were read (the database is not a FenceReader).
func (s State) FenceMark() (FenceMark, bool) {
	if s.Fences == nil {
		return FenceMark{}, false
	}
	var mark FenceMark
	regions := s.Regions()
	var extra []string
	for r := range s.Fences {
		if !slices.Contains(regions, r) {
			extra = append(extra, r)
		}
	}
	slices.Sort(extra)
	regions = append(regions, extra...)
	var best []FenceState
	for _, r := range regions {
		f, ok := s.Fences[r]
		if !ok {
			continue
		}
		// A topology that could not be read has no members: nothing
		// counts.
		_, member := s.Topology.Member(r)
		mark.Reads = append(mark.Reads, FenceReadout{FenceState: f, Member: member})
		if !member || !f.Known {
			continue
		}
		switch {
		case len(best) == 0 || f.Term > best[0].Term:
			best = []FenceState{f}
		case f.Term == best[0].Term:
			best = append(best, f)
		}
	}
	switch {
	case s.TopologyErr != nil:
		mark.MembersUnknown = true
		mark.Why = "the global database's members are unknown (its topology could not be read)"
	case len(best) == 0:
		mark.Why = "no member of the global database could read it"
	case slices.ContainsFunc(best, func(f FenceState) bool { return f.Region != best[0].Region }):
		var says []string
		for _, f := range best {
			says = append(says, fmt.Sprintf("%s reads %s", f.ReadIn, orUnknown(f.Region)))
		}
		mark.Why = fmt.Sprintf("the members disagree at term %d (%s)", best[0].Term, strings.Join(says, ", "))
	default:
		mark.Known, mark.Fence = true, best[0]
	}
	return mark, true
}

// Names reports whether the mark is known and names region.
func (m FenceMark) Names(region string) bool {
	return m.Known && m.Fence.Region == region
}

// String says what the fence names (or why that is unknown) and what
// each region read.
func (m FenceMark) String() string {
	var b strings.Builder
	if m.Known {
		fmt.Fprintf(&b, "names %s (term %d)", orUnknown(m.Fence.Region), m.Fence.Term)
	} else {
		fmt.Fprintf(&b, "unknown: %s", orUnknown(m.Why))
	}
	var reads []string
	for _, r := range m.Reads {
		s := fmt.Sprintf("%s %s", orUnknown(r.ReadIn), r.FenceState)
		if !r.Member && !m.MembersUnknown {
			s += ", not a member of the global database: not counted"
		}
		reads = append(reads, s)
	}
	if len(reads) > 0 {
		fmt.Fprintf(&b, "; read in %s", strings.Join(reads, "; "))
	}
	return b.String()
}
