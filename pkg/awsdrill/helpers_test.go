package awsdrill

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/awsops"
)

// The fake deployment's regions (internal/awstest).
const (
	east = awstest.East
	west = awstest.West

	eastARN = awstest.EastARN
	westARN = awstest.WestARN
)

// deployment is the linked fakes (awstest.NewDeployment), opened as
// samconfig's two targets with a fast clock.
func deployment(tb testing.TB, writer string) (*awstest.AWS, *awstest.API, *awsops.Env, *strings.Builder) {
	tb.Helper()
	f, a := awstest.NewDeployment(tb, writer)
	cfg := awsops.Config{
		Primary:   awsops.Target{Env: awsops.RolePrimary, Region: east, StackName: "todomgmt-primary", Overrides: map[string]string{"Role": "primary", "AppName": "todomgmt", "PeerRegion": west, "GlobalClusterIdentifier": awstest.Global}},
		Secondary: awsops.Target{Env: awsops.RoleSecondary, Region: west, StackName: "todomgmt-secondary", Overrides: map[string]string{"Role": "secondary", "AppName": "todomgmt", "PeerRegion": east, "GlobalClusterIdentifier": awstest.Global}},
	}
	var out strings.Builder
	e, err := awsops.Open(context.Background(), cfg, f.Clients(), awsops.OpenOptions{Out: &out, Warnings: &out, CacheDir: f.CacheDir})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	e.Stacks.Clock = f.Clock
	e.Stacks.Poll = time.Second
	e.Clients.HTTP = a.Server.Client()
	return f, a, e, &out
}
