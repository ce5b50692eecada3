package awsdrill

import (
	"strings"
	"testing"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/internal/awstest/opstest"
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
	var out strings.Builder
	e := opstest.Open(tb, f, &out)
	e.Clients.HTTP = a.Server.Client()
	return f, a, e, &out
}
