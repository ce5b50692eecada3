package awsdestroy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/awsops"
)

// The fake deployment's names (internal/awstest).
const (
	east    = awstest.East
	west    = awstest.West
	eastARN = awstest.EastARN
	westARN = awstest.WestARN
	global  = awstest.Global
)

// mutating are the fakes' calls that change the deployment.
var mutating = []string{"ModifyDBCluster", "ModifyGlobalCluster", "UpdateUserPool", "RemoveFromGlobalCluster", "DeleteStack", "DeleteGlobalCluster"}

// testConfig is the samconfig the fakes deploy.
func testConfig() awsops.Config {
	return awsops.Config{
		Primary:   awsops.Target{Env: awsops.RolePrimary, Region: east, StackName: "todomgmt-primary", Overrides: map[string]string{"Role": "primary", "AppName": "todomgmt", "PeerRegion": west, "GlobalClusterIdentifier": global}},
		Secondary: awsops.Target{Env: awsops.RoleSecondary, Region: west, StackName: "todomgmt-secondary", Overrides: map[string]string{"Role": "secondary", "AppName": "todomgmt", "PeerRegion": east, "GlobalClusterIdentifier": global}},
	}
}

// openEnv opens the deployment over the fakes with a fast clock.
func openEnv(tb testing.TB, f *awstest.AWS, out *strings.Builder) *awsops.Env {
	tb.Helper()
	e, err := awsops.Open(context.Background(), testConfig(), f.Clients(), awsops.OpenOptions{Out: out, Warnings: out, CacheDir: f.CacheDir})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	e.Stacks.Clock = f.Clock
	e.Stacks.Poll = time.Second
	return e
}
