package orchestrator

import (
	"time"
)

// Timeouts bound the waits of a run. Zero fields take the defaults, which
// suit AWS (an Aurora switchover or failover takes a minute or two, a
// CloudFront KeyValueStore change reaches the edges in seconds, a Route 53
// health check needs a minute or more); the lab sets much shorter ones.
type Timeouts struct {
	// Writer bounds the wait for the target to become the writer (or to
	// leave the global database), and each single call that starts a
	// promotion or a detach: an implementation may do its work before
	// returning (the lab's switchover does).
	Writer time.Duration
	// Route bounds the wait for the router to report the target.
	Route time.Duration
	// Verify bounds the retries of the write through the front door.
	Verify time.Duration
	// Fence bounds the retries of the id fence (the new writer's endpoint
	// may take a moment to accept writes after a promotion); zero means
	// the Verify bound.
	Fence time.Duration
	// Poll is the interval between checks during a wait.
	Poll time.Duration
	// Probe bounds each other single call: a topology read, a router read
	// or write, a health check, a write through the front door.
	Probe time.Duration
}

// DefaultTimeouts are used for zero fields of Orchestrator.Timeouts.
var DefaultTimeouts = Timeouts{
	Writer: 20 * time.Minute,
	Route:  5 * time.Minute,
	Verify: 5 * time.Minute,
	Poll:   10 * time.Second,
	Probe:  30 * time.Second,
}
