// Package opstest opens the deployment of internal/awstest's fakes as
// pkg/awsops does, for the tests of the packages built on awsops
// (pkg/awsdeploy, pkg/awsdestroy, pkg/awsdrill). pkg/awsops's own tests
// keep their copy: they cannot import a package that imports awsops.
package opstest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/awsops"
)

// Mutating are the fakes' calls that change the deployment.
var Mutating = []string{"ModifyDBCluster", "ModifyGlobalCluster", "UpdateUserPool", "RemoveFromGlobalCluster", "DeleteStack", "DeleteGlobalCluster"}

// Config is the samconfig the fakes deploy: the primary in awstest.East,
// the secondary in awstest.West, one global cluster.
func Config() awsops.Config {
	return awsops.Config{
		Primary: awsops.Target{Env: awsops.RolePrimary, Region: awstest.East, StackName: "todomgmt-primary",
			Overrides: map[string]string{"Role": "primary", "AppName": "todomgmt", "PeerRegion": awstest.West, "GlobalClusterIdentifier": awstest.Global}},
		Secondary: awsops.Target{Env: awsops.RoleSecondary, Region: awstest.West, StackName: "todomgmt-secondary",
			Overrides: map[string]string{"Role": "secondary", "AppName": "todomgmt", "PeerRegion": awstest.East, "GlobalClusterIdentifier": awstest.Global}},
	}
}

// Open opens the deployment over the fakes f as Config's two targets,
// with the fakes' clock and a fast poll; out receives what Open prints
// and warns.
func Open(tb testing.TB, f *awstest.AWS, out *strings.Builder) *awsops.Env {
	tb.Helper()
	e, err := awsops.Open(context.Background(), Config(), f.Clients(), awsops.OpenOptions{Out: out, Warnings: out, CacheDir: f.CacheDir})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	e.Stacks.Clock = f.Clock
	e.Stacks.Poll = time.Second
	return e
}
