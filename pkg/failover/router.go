package failover

import (
	"context"
)

// Router is the front door: it decides which region takes traffic.
type Router interface {
	// Active returns the region that takes traffic now.
	Active(ctx context.Context) (string, error)
	// Route sends all traffic to region. It is idempotent.
	Route(ctx context.Context, region string) error
}
