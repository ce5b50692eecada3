package plan

import (
	"fmt"
)

// Action is what a step does.
type Action string

const (
	// ActionSwitchover calls Database.Switchover with the target member.
	ActionSwitchover Action = "switchover"
	// ActionFailover calls Database.Failover with the target member and
	// allowDataLoss true.
	ActionFailover Action = "failover"
	// ActionDetach calls Database.Detach with the target member.
	ActionDetach Action = "detach"
	// ActionWaitWriter polls the topology until the target is the writer
	// (planned: and the global cluster is available again).
	ActionWaitWriter Action = "wait-writer"
	// ActionWaitDetached polls the topology until the target has left the
	// global database.
	ActionWaitDetached Action = "wait-detached"
	// ActionRoute sends the front door's traffic to the target region and
	// waits until the router reports it.
	ActionRoute Action = "route"
	// ActionFenceIDs fences the id counter on the target's writer
	// (failover.IDFencer): creates open there, past any id the old writer can
	// have handed out. It runs once the target is confirmed as the
	// writer, before the write check.
	ActionFenceIDs Action = "fence-ids"
	// ActionVerifyWrite writes through the front door until the write is
	// served by the target region.
	ActionVerifyWrite Action = "verify-write"
)

// Step is one step of a plan.
type Step struct {
	Action Action `json:"action"`
	// Summary says what the step does, for people.
	Summary string `json:"summary"`
}

// verifyStep is every plan's last step.
func verifyStep(to string) Step {
	return Step{ActionVerifyWrite, fmt.Sprintf("write through the front door and check %s served it", to)}
}

func fenceStep(p Plan) Step {
	if p.Fence != nil && p.Fence.DataLoss {
		return Step{ActionFenceIDs, fmt.Sprintf("fence the ids in %s past any id the old writer can have handed out, then creates open there", p.To)}
	}
	return Step{ActionFenceIDs, fmt.Sprintf("fence the ids in %s (no gap: nothing was lost), then creates open there", p.To)}
}

func detachSteps(p Plan, id string) []Step {
	steps := []Step{
		{ActionRoute, fmt.Sprintf("send the front door's traffic to %s first", p.To)},
		{ActionDetach, fmt.Sprintf("detach %s (%s) from the global database; it becomes a standalone writer", p.To, orUnknown(id))},
		{ActionWaitDetached, fmt.Sprintf("wait until %s has left the global database", p.To)},
	}
	if p.Fence != nil {
		steps = append(steps, fenceStep(p))
	}
	return append(steps, verifyStep(p.To))
}
