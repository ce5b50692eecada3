package frontdoor

import (
	"os"
	"testing"

	"github.com/todomgmt/todomgmt/internal/designcheck/checktest"
)

func TestMain(m *testing.M) { os.Exit(checktest.Main(m)) }

func TestTemplatePassesEveryCheck(t *testing.T) { checktest.PassesEveryCheck(t, Checks) }

// TestEachCheckCatchesItsMutation: each check of the package reports a
// copy of the files broken in the way its mutations say.
func TestEachCheckCatchesItsMutation(t *testing.T) {
	checktest.CatchesEveryMutation(t, Checks, mutations)
}
