package awsops

import (
	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// Prober is the API prober of a deployment (apiclient.Prober: health,
// the write check through the front door) that can also tell whether each
// region's Cognito user pool answers (UserPool, in readiness.go): the
// failover plans and the readiness function check that the surviving
// region can still issue tokens.
type Prober struct {
	*apiclient.Prober
	// UserPools are the regions' Cognito user pool ids, by region, and
	// Clients the SDK clients UserPool asks them with.
	UserPools map[string]string
	Clients   *awsclient.Clients
}

var (
	_ failover.Prober        = (*Prober)(nil)
	_ failover.WritePreparer = (*Prober)(nil)
)
