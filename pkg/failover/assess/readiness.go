// Package assess judges failover readiness: whether each plan of Kinds
// would work now, seen from one region. A plan's refusals and warnings
// are its failing checks; the other checks it made passed, and those it
// could not make are skipped with the reason. It plans and never
// executes.
package assess

import (
	"fmt"
	"slices"
	"strings"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// Readiness says whether a plan would work now, seen from one region:
// the plan's refusals and warnings are its failing checks.
//
// Both plans move the writer to the region that is not the writer now
// (the passive region), whichever region looks:
//
//   - planned: a switchover started now would pass every precondition and
//     find what it relies on in both regions. Both regions judge the same
//     switchover; each reads the global database from its own region.
//   - unplanned: if the writer's region were lost now, a failover to the
//     passive region would work and lose no more than the lag bound. Only
//     what the surviving side needs is judged: the passive cluster, its
//     replication (while the writer looks healthy), API, proxy target,
//     user pool and safeguards, the front door, the id fence, and the
//     recovery snapshots of an earlier failover. In the passive region
//     this is its own readiness to take over, and it holds while the
//     active region is down; in the active region it is the passive
//     region's, seen from here.
type Readiness struct {
	Kind failover.Kind `json:"plan"`
	// From is the region whose point of view this is; To the region the
	// plan would make the writer ("" when it could not be told).
	From string `json:"region"`
	To   string `json:"to,omitempty"`
	// Ready is true when no check fails.
	Ready bool `json:"ready"`
	// Failing are the failing checks, refusals and warnings alike, in the
	// order the plan found them.
	Failing []plan.Finding `json:"failing"`
	// Passed are the checks made that hold; Skipped those not made, and
	// why (the adapters cannot tell, the deployment does not ask, or the
	// plan stopped at a refusal before them).
	Passed  []plan.Check `json:"passed"`
	Skipped []plan.Skip  `json:"skipped,omitempty"`
	// Plan is the plan the readiness was read from.
	Plan plan.Plan `json:"-"`
}

// Kinds are the plans whose readiness is assessed.
var Kinds = []failover.Kind{failover.KindPlanned, failover.KindUnplanned}

// Plans plans each of Kinds from s, seen from region from, and
// says whether it would work. opts.Target is ignored: each plan targets
// the member that is not the writer (from itself when it is a member and
// the topology has no single writer).
func Plans(s failover.State, from string, opts plan.Options) []Readiness {
	opts.Target = readinessTarget(s, from)
	out := make([]Readiness, 0, len(Kinds))
	for _, k := range Kinds {
		planFor, _ := plan.ForKind(k)
		out = append(out, assess(planFor(s, opts), from))
	}
	return out
}

// readinessTarget is the member a failover would promote: the one that is
// not the writer.
func readinessTarget(s failover.State, from string) string {
	if s.TopologyErr != nil {
		return ""
	}
	w, ok := s.Topology.Writer()
	if !ok {
		if _, member := s.Topology.Member(from); member {
			return from
		}
		return ""
	}
	target := ""
	for _, m := range s.Topology.Members {
		if m.Region != w.Region && (target == "" || m.Region == from) {
			target = m.Region
		}
	}
	return target
}

func assess(p plan.Plan, from string) Readiness {
	r := Readiness{Kind: p.Kind, From: from, To: p.To, Plan: p, Failing: p.Findings, Skipped: slices.Clone(p.Skipped)}
	if r.Failing == nil {
		r.Failing = []plan.Finding{}
	}
	failing := p.Failing()
	skipped := func(c plan.Check) bool {
		return slices.ContainsFunc(r.Skipped, func(s plan.Skip) bool { return s.Check == c })
	}
	for _, c := range plan.Checks(p.Kind) {
		switch {
		case slices.Contains(failing, c) || skipped(c):
		case slices.Contains(p.Checked, c):
			r.Passed = append(r.Passed, c)
		default:
			r.Skipped = append(r.Skipped, plan.Skip{Check: c, Why: fmt.Sprintf("not checked: the plan stopped at %s", firstRefusal(p))})
		}
	}
	if r.Passed == nil {
		r.Passed = []plan.Check{}
	}
	r.Ready = len(r.Failing) == 0
	return r
}

func firstRefusal(p plan.Plan) string {
	for _, f := range p.Findings {
		if f.Refuses {
			return fmt.Sprintf("[%s] %s", f.Check, f.Detail)
		}
	}
	return "an earlier check"
}

// String renders the readiness for people: the verdict, then each
// failing check with its detail, and what was skipped and why.
func (r Readiness) String() string {
	var b strings.Builder
	verdict := "READY"
	if !r.Ready {
		verdict = "NOT READY"
	}
	fmt.Fprintf(&b, "%s from %s (to %s): %s\n", r.Kind.Title(), orUnknown(r.From), orUnknown(r.To), verdict)
	for _, f := range r.Failing {
		how := "warning"
		if f.Refuses {
			how = "refused"
		}
		fmt.Fprintf(&b, "  failing [%s] (%s): %s\n", f.Check, how, f.Detail)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "  not checked [%s]: %s\n", s.Check, s.Why)
	}
	if len(r.Passed) > 0 {
		passed := make([]string, len(r.Passed))
		for i, c := range r.Passed {
			passed[i] = string(c)
		}
		fmt.Fprintf(&b, "  passed: %s\n", strings.Join(passed, ", "))
	}
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}
