package awsfailover

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

var _ failover.FenceReader = (*Database)(nil)

// fenceStateAnswer is the migrate function's answer to
// {"action":"fence-state"} (handlers/migrate).
type fenceStateAnswer struct {
	Region string `json:"region"`
	Term   *int64 `json:"term"`
	// Unread says why the function could not read the fence (its
	// database does not answer): an answer, not a function error, so
	// that a read-only look raises none of its alarms.
	Unread string `json:"unread"`
}

// FenceState reads the id fence in region by invoking its migrate
// function (Lambda Invoke, RequestResponse) with the fence-state action:
// the function alone reaches the region's database (it runs in the VPC),
// and reads the fence's row from whichever endpoint answers (a region
// without the writer has only its read-only one). It changes nothing.
// Without migrate functions (the readiness function's Database, whose
// role may not invoke) it returns an error wrapping
// failover.ErrNotApplicable, so the fence is not read at all. The caller
// bounds the call with ctx.
func (d *Database) FenceState(ctx context.Context, region string) (failover.FenceState, error) {
	if len(d.MigrateFunctions) == 0 {
		return failover.FenceState{}, fmt.Errorf("no migrate function to read the id fence through: %w", failover.ErrNotApplicable)
	}
	name := d.MigrateFunctions[region]
	if name == "" {
		return failover.FenceState{}, fmt.Errorf("read the id fence in %s: no migrate function known there", region)
	}
	out, err := invokeMigrate(ctx, d.Clients.Lambda(region), name, region, []byte(`{"action":"fence-state"}`))
	if err != nil {
		return failover.FenceState{}, err
	}
	var a fenceStateAnswer
	if err := json.Unmarshal(out, &a); err != nil {
		return failover.FenceState{}, fmt.Errorf("%s in %s: the fence's answer is not JSON: %w", name, region, err)
	}
	if a.Unread != "" {
		return failover.FenceState{}, fmt.Errorf("%s in %s cannot read the id fence: %s", name, region, a.Unread)
	}
	// Never report a fence the function did not read: an answer from a
	// function that does not know the action yet (an older build
	// answers with an error), or a garbled one, is not a fence.
	if a.Term == nil || *a.Term < 0 || a.Region == "" {
		return failover.FenceState{}, fmt.Errorf("%s in %s: the answer is not a fence: %s", name, region, out)
	}
	return failover.FenceState{Region: a.Region, Term: *a.Term}, nil
}
