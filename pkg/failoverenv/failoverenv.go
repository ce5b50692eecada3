// Package failoverenv reads the options of the failover targets from the
// environment, the same way for AWS (failover, failover:unplanned,
// failover:plan, failover:readiness) and the lab (lab:failover,
// lab:failover:unplanned): the target region through
// failover.ParseTarget, as every other form of a target goes, and the
// planned switchover's lag bound.
package failoverenv

import (
	"fmt"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// The variables the failover targets read.
const (
	// Target names the region to fail over to; empty lets the plan
	// choose the other region.
	Target = "TODOMGMT_TARGET"
	// MaxLag bounds a planned switchover's replication lag (a Go
	// duration such as 30s); empty leaves the orchestrator's default.
	MaxLag = "TODOMGMT_MAX_LAG"
	// Plan is the kind failover:plan plans: planned (the default),
	// unplanned or detach.
	Plan = "TODOMGMT_PLAN"
)

// Options reads Target (one of regions) and MaxLag through getenv
// (os.Getenv in the magefile). An error names the variable and says what
// it wants.
func Options(getenv func(string) string, regions []string) (plan.Options, error) {
	var o plan.Options
	var err error
	if o.Target, err = failover.ParseTarget(getenv(Target), regions); err != nil {
		return o, fmt.Errorf("%s: %w", Target, err)
	}
	if v := getenv(MaxLag); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return o, fmt.Errorf("%s=%q: %w", MaxLag, v, err)
		}
		o.MaxLag = d
	}
	return o, nil
}

// Kind reads Plan through getenv: failover.KindPlanned when it is unset.
// The orchestrator refuses a kind it does not know.
func Kind(getenv func(string) string) failover.Kind {
	if k := failover.Kind(getenv(Plan)); k != "" {
		return k
	}
	return failover.KindPlanned
}
