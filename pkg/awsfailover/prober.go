package awsfailover

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// Prober is the API prober of a deployment (apiclient.Prober: health,
// the write check through the front door) that can also tell whether each
// region's Cognito user pool answers (UserPool): the
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
	_ failover.Prober         = (*Prober)(nil)
	_ failover.WritePreparer  = (*Prober)(nil)
	_ failover.IdentityProber = (*Prober)(nil)
)

// UserPool asks region's Cognito for its user pool (DescribeUserPool): a
// pool the API answers for is one the token endpoint serves.
func (p *Prober) UserPool(ctx context.Context, region string) (failover.UserPool, error) {
	id := p.UserPools[region]
	if id == "" {
		return failover.UserPool{}, fmt.Errorf("no user pool known in %s", region)
	}
	if p.Clients == nil || p.Clients.Cognito == nil {
		return failover.UserPool{}, errors.New("no Cognito client")
	}
	up := failover.UserPool{ID: id}
	out, err := p.Clients.Cognito(region).DescribeUserPool(ctx, &cognitoidentityprovider.DescribeUserPoolInput{UserPoolId: aws.String(id)})
	switch {
	case err != nil:
		up.Detail = fmt.Sprintf("DescribeUserPool %s in %s: %v", id, region, err)
	case out.UserPool == nil || aws.ToString(out.UserPool.Id) != id:
		up.Detail = fmt.Sprintf("DescribeUserPool %s in %s: no such pool in the answer", id, region)
	default:
		up.OK = true
	}
	return up, nil
}
