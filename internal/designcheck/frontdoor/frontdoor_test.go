package frontdoor

import (
	"slices"
	"testing"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/designcheck/checktest"
)

func TestFunctionCodeIsRouterJS(t *testing.T) {
	in := checktest.Source(t)
	fn := in.Source.Resource("FrontDoorFunction")
	if fn == nil {
		t.Fatal("no FrontDoorFunction")
	}
	code, _ := designcheck.Str(designcheck.Get(fn.Prop("FunctionCode"), "Fn::Sub"))
	if code != in.RouterJS {
		t.Errorf("FunctionCode differs from frontdoor/router.js: %s", firstDifference(code, in.RouterJS))
	}
	vars, err := designcheck.SubVariables(code)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(vars)
	if want := []string{"AWS::Region", "FrontDoorKvs.Id", "PeerRegion"}; !slices.Equal(vars, want) {
		t.Errorf("Fn::Sub variables of router.js: got %v, want %v (router.test.mjs substitutes exactly these)", vars, want)
	}
}
