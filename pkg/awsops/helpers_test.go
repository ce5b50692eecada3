package awsops

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/internal/awstest"
)

// The fake deployment's names (internal/awstest).
const (
	east    = awstest.East
	west    = awstest.West
	eastARN = awstest.EastARN
	westARN = awstest.WestARN
	global  = awstest.Global
	kvsARN  = awstest.KVSARN
)

// mutating are the fakes' calls that change the deployment (what a
// read-only target must never make).
var mutating = []string{"ModifyDBCluster", "ModifyGlobalCluster", "UpdateUserPool", "RemoveFromGlobalCluster", "DeleteStack", "DeleteGlobalCluster"}

// testConfig is the samconfig both fakes deploy.
func testConfig() Config {
	return Config{
		Primary:   Target{Env: RolePrimary, Region: east, StackName: "todomgmt-primary", Overrides: map[string]string{"Role": "primary", "AppName": "todomgmt", "PeerRegion": west, "GlobalClusterIdentifier": global}},
		Secondary: Target{Env: RoleSecondary, Region: west, StackName: "todomgmt-secondary", Overrides: map[string]string{"Role": "secondary", "AppName": "todomgmt", "PeerRegion": east, "GlobalClusterIdentifier": global}},
	}
}

// openEnv opens the deployment over the fakes with a fast clock.
func openEnv(tb testing.TB, f *awstest.AWS, out *strings.Builder) *Env {
	tb.Helper()
	e, err := Open(context.Background(), testConfig(), f.Clients(), OpenOptions{Out: out, Warnings: out, CacheDir: f.CacheDir})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	e.Stacks.Clock = f.Clock
	e.Stacks.Poll = time.Second
	return e
}

// deployment is the AWS fakes plus the fake HTTP surface, linked
// (awstest.NewDeployment), opened.
func deployment(tb testing.TB, writer string) (*awstest.AWS, *awstest.API, *Env, *strings.Builder) {
	tb.Helper()
	f, a := awstest.NewDeployment(tb, writer)
	var out strings.Builder
	e := openEnv(tb, f, &out)
	e.Clients.HTTP = a.Server.Client()
	return f, a, e, &out
}

// countPrefix counts the log lines of region prefix.
func countPrefix(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix+" ") {
			n++
		}
	}
	return n
}

// net503 is what a region that does not answer fails with.
type net503 struct{}

func (*net503) Error() string { return "dial tcp: i/o timeout" }
