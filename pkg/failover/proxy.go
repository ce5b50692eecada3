package failover

import (
	"context"
	"fmt"
)

// ProxyTargets is what a region's database proxy (RDS Proxy; the lab's
// endpoints) reaches: the instances of that region's cluster behind its
// read/write endpoint. A proxy whose region has the writer needs an
// available target in the read/write role; the region to promote needs an
// available target the proxy can log in to, which becomes the read/write
// one once promoted.
type ProxyTargets struct {
	Region string `json:"region"`
	// Known is false when the targets could not be read (Detail says
	// why).
	Known bool `json:"known"`
	// Total counts the instance targets; Available those the proxy
	// reaches and logs in to; Writers those of them in the read/write
	// role; AuthFailures those it cannot log in to (its secret does not
	// match the database user's password).
	Total        int `json:"total"`
	Available    int `json:"available"`
	Writers      int `json:"writers"`
	AuthFailures int `json:"authFailures"`
	// Detail says why targets are unavailable, or why none could be read.
	Detail string `json:"detail,omitempty"`
}

// String says how many targets are available, and why the others are
// not.
func (t ProxyTargets) String() string {
	s := fmt.Sprintf("%d of %d targets available, %d read/write", t.Available, t.Total, t.Writers)
	if t.Detail != "" {
		s += ": " + t.Detail
	}
	return s
}

// ProxyInspector is implemented by a Database whose regions reach it
// through a proxy (AWS: DescribeDBProxyTargets; the lab: its endpoints).
// The orchestrator's Evaluate reads every region's; an error is recorded as unknown targets.
type ProxyInspector interface {
	// ProxyTargets reads region's proxy targets. An error means they
	// could not be read at all (the region does not answer).
	ProxyTargets(ctx context.Context, region string) (ProxyTargets, error)
}
