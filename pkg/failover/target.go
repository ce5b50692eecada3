package failover

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// regionName is the form of a region's name: AWS's (us-west-2,
// us-gov-west-1) and the lab's (lab-b).
var regionName = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)+$`)

// ParseTarget reads a failover target as an operator names it: a region
// name, which must be one of regions (the deployment's, when known). It
// is the one reader of a target, whatever it arrives as
// (TODOMGMT_TARGET for failover, failover:plan, failover:unplanned and
// the lab's targets; failover:detach's argument), and its result is what
// plan.Options.Target holds. An empty raw is no explicit target: the plan
// chooses one.
func ParseTarget(raw string, regions []string) (string, error) {
	switch {
	case raw == "":
		return "", nil
	case len(raw) > 64 || !regionName.MatchString(raw):
		return "", fmt.Errorf("target %q is not a region name (such as us-west-2)", raw)
	case len(regions) > 0 && !slices.Contains(regions, raw):
		return "", fmt.Errorf("target %q is not a region of this deployment (%s)", raw, strings.Join(regions, ", "))
	}
	return raw, nil
}
