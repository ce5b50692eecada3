// Package awstest holds the in-process fakes the tests of the AWS packages
// share (pkg/awsfailover, pkg/awsops, pkg/awsdeploy, pkg/awsdestroy,
// pkg/awsdrill):
//
//   - AWS, a stateful fake of a two-region deployment behind the narrow
//     interfaces of pkg/awsclient, which enforces the rules the logic
//     must respect (a call for a cluster goes to the cluster's region, a
//     writer cannot leave the global cluster before its readers, a stack
//     whose cluster is still a member or protected fails to delete, ...);
//   - API, the deployed HTTP surface (both regions' APIs, the front door,
//     Cognito's token endpoint) on one httptest server;
//   - Recorder, real SDK clients whose requests are captured before they
//     leave, for tests at the SDK boundary;
//   - Clock, a clock that advances only when slept on.
//
// Each fake follows the documented behaviour of the AWS API it stands
// for; where that matters, the comment cites the API reference.
package awstest

import (
	"context"
	"sync"
	"time"
)

// The fake deployment: the primary stack in East, the secondary in West.
const (
	East    = "us-east-1"
	West    = "us-west-2"
	EastARN = "arn:aws:rds:us-east-1:111122223333:cluster:todomgmt-us-east-1"
	WestARN = "arn:aws:rds:us-west-2:111122223333:cluster:todomgmt-us-west-2"
	Global  = "todomgmt-global"
	KVSARN  = "arn:aws:cloudfront::111122223333:key-value-store/0a1b2c3d-1111-2222-3333-444455556666"

	// MasterSecretARN and AppSecretARN are the primary's DB secrets;
	// their replicas in West have these ARNs with the region replaced.
	MasterSecretARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:todomgmt/db/master-AbCdEf"
	AppSecretARN    = "arn:aws:secretsmanager:us-east-1:111122223333:secret:todomgmt/db/app-GhIjKl"
)

// Clock is a failover.Clock that advances only when slept on.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that reads now until slept on.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the clock by d at once, unless ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}
