package awsdeploy

import (
	"strings"
	"testing"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/internal/awstest/opstest"
	"github.com/todomgmt/todomgmt/pkg/awsops"
)

// The fake deployment's names (internal/awstest).
const (
	east   = awstest.East
	west   = awstest.West
	global = awstest.Global
	kvsARN = awstest.KVSARN
)

// testConfig is the samconfig both fakes deploy.
func testConfig() awsops.Config { return opstest.Config() }

// openEnv opens the deployment over the fakes with a fast clock.
func openEnv(tb testing.TB, f *awstest.AWS, out *strings.Builder) *awsops.Env {
	return opstest.Open(tb, f, out)
}
