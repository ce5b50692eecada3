package lab

// What the lab tells of the parts failover readiness checks beyond the
// topology (pkg/failover's optional interfaces): each region's proxy
// targets, from its read-only endpoint stand-in; no identity provider
// (the lab's APIs take no token), which it says so the check is skipped;
// and no safeguards (the lab's servers have no deletion protection,
// automated backups or recovery snapshots of that kind), which it does
// not implement, so those checks are skipped too.

import (
	"context"
	"fmt"

	"github.com/todomgmt/todomgmt/internal/lab/globaldb"
	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// ProxiedDatabase is the lab's Database that also tells each region's
// proxy targets (failover.ProxyInspector), as its endpoints see them.
type ProxiedDatabase struct {
	*globaldb.Database
	endpoints map[string]*readerEndpoint
}

var (
	_ failover.ProxyInspector = (*ProxiedDatabase)(nil)
	_ failover.IdentityProber = readinessProber{}
)

// ProxyTargets reports the region's one instance as a proxy sees it: a
// lab region's read/write endpoint reaches its server, and its read-only
// endpoint (the stand-in for RDS Proxy's) connects only while that server
// is a reader. The instance is available when the endpoint can ask it
// what it is, and in the read/write role when it is writable; a server
// that does not answer is an unavailable target, as RDS Proxy reports
// an instance it cannot reach.
func (d *ProxiedDatabase) ProxyTargets(ctx context.Context, region string) (failover.ProxyTargets, error) {
	ep, ok := d.endpoints[region]
	if !ok {
		return failover.ProxyTargets{}, fmt.Errorf("no endpoints in %s", region)
	}
	pt := failover.ProxyTargets{Known: true, Total: 1}
	ro, err := ep.readOnly(ctx)
	switch {
	case err != nil:
		pt.Detail = fmt.Sprintf("UNAVAILABLE: %v", err)
	case ro:
		pt.Available = 1
		pt.Detail = "the read-only endpoint has its target: the server is a reader"
	default:
		pt.Available, pt.Writers = 1, 1
		pt.Detail = "the read-only endpoint has no target: the server is the writer"
	}
	return pt, nil
}

// readinessProber is the lab's prober for readiness: it also answers the
// user-pool check (failover.IdentityProber), which does not apply here.
type readinessProber struct{ *apiclient.Prober }

// UserPool says the lab has no identity provider to check: its APIs take
// no token. The readiness check of the user pools is skipped, saying so.
func (readinessProber) UserPool(context.Context, string) (failover.UserPool, error) {
	return failover.UserPool{}, fmt.Errorf("the lab has no Cognito user pools (its APIs take no token): %w", failover.ErrNotApplicable)
}
