package failover

import (
	"context"
	"errors"
	"time"
)

// APIHealth is what a region's /v1/health reports.
type APIHealth struct {
	Region  string
	OK      bool   // the API answered 200
	Role    string // "active" or "passive", as the API reports it
	Latency time.Duration
	Detail  string // why not OK, when not
}

// Prober checks the regions' APIs from outside.
type Prober interface {
	// Health calls region's health endpoint directly (not through the front
	// door). It returns an error only when the probe itself cannot run;
	// an unhealthy API is reported in APIHealth.
	Health(ctx context.Context, region string) (APIHealth, error)
	// VerifyWrite writes through the front door and reads the write back.
	// It returns the region that served the write.
	VerifyWrite(ctx context.Context) (string, error)
}

// WritePreparer is implemented by a Prober whose write check needs
// something fetched first, such as an access token. Before each write
// attempt the orchestrator calls PrepareWrite with the target region,
// under a deadline of its own, so a slow credential source does not eat
// the write's deadline, and the prober can ask the target region first
// (the other region may be the one that is lost).
type WritePreparer interface {
	PrepareWrite(ctx context.Context, target string) error
}

// UserPool is a region's identity provider (a Cognito user pool), as
// probed: the write check and the clients need a token from the pool of
// the region that takes over.
type UserPool struct {
	Region string `json:"region"`
	OK     bool   `json:"ok"`
	// ID names the pool; Detail says why it is not OK.
	ID     string `json:"id,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// ErrNotApplicable is wrapped by an optional probe's error when the
// deployment has nothing to probe (the lab has no Cognito): the check is
// then skipped, saying why, never passed.
var ErrNotApplicable = errors.New("not applicable")

// IdentityProber is implemented by a Prober that can check each region's
// identity provider. It returns an error wrapping ErrNotApplicable when
// the deployment has none.
type IdentityProber interface {
	// UserPool probes region's pool; a pool that does not answer is
	// reported as not OK, an error means the probe could not run.
	UserPool(ctx context.Context, region string) (UserPool, error)
}
