package awsdestroy

import (
	"strings"
	"testing"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/internal/awstest/opstest"
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
var mutating = opstest.Mutating

// testConfig is the samconfig the fakes deploy.
func testConfig() awsops.Config { return opstest.Config() }

// openEnv opens the deployment over the fakes with a fast clock.
func openEnv(tb testing.TB, f *awstest.AWS, out *strings.Builder) *awsops.Env {
	return opstest.Open(tb, f, out)
}
