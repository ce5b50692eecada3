package awsops

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// fakeSAM records the SAM CLI's calls and deploys to the fake stacks: a
// deploy creates a missing stack (from held) and sets its parameters to
// the overrides, as CloudFormation would.
type fakeSAM struct {
	f     *awstest.AWS
	held  map[string]*awstest.Stack // stacks not created yet, by role
	calls []string
	fail  string // a role whose deploy fails
}

func (s *fakeSAM) Build(_ context.Context, args []string, env map[string]string) error {
	s.calls = append(s.calls, "build "+strings.Join(args, " ")+" GOFLAGS="+env["GOFLAGS"])
	return nil
}

func (s *fakeSAM) Deploy(_ context.Context, args []string) error {
	role := args[slices.Index(args, "--config-env")+1]
	call := "deploy " + role
	var overrides map[string]string
	if i := slices.Index(args, "--parameter-overrides"); i >= 0 {
		var err error
		if overrides, err = samconfig.ParseOverrides(args[i+1]); err != nil {
			return err
		}
		call += " PeerApiDomain=" + overrides["PeerApiDomain"]
	}
	s.calls = append(s.calls, call)
	if role == s.fail {
		return errors.New("stack update failed")
	}
	s.f.WithLock(func() {
		if st, ok := s.held[role]; ok {
			s.f.Stacks = append(s.f.Stacks, st)
			delete(s.held, role)
		}
		for _, st := range s.f.Stacks {
			if st.Parameters["Role"] == role {
				for k, v := range overrides {
					st.Parameters[k] = v
				}
			}
		}
	})
	return nil
}

// TestDeployerTwoPasses: from a primary alone, deploy runs the primary
// without peer values, the secondary with the primary's, then the primary
// again with the secondary's, skips the wired secondary, builds once, and
// leaves an existing route alone.
func TestDeployerTwoPasses(t *testing.T) {
	f := awstest.New(t, east)
	secondary := f.Stacks[1]
	f.Stacks = f.Stacks[:1]
	sam := &fakeSAM{f: f, held: map[string]*awstest.Stack{RoleSecondary: secondary}}
	var out strings.Builder
	d := &Deployer{SAM: sam, Out: &out, Open: func(context.Context) (*Env, error) { return openEnv(t, f, &strings.Builder{}), nil }}
	if err := d.All(context.Background()); err != nil {
		t.Fatalf("All: %v\n%s", err, out.String())
	}
	want := []string{
		"build build --config-env primary GOFLAGS=" + BuildEnv()["GOFLAGS"],
		"deploy primary",
		"deploy secondary PeerApiDomain=api-us-east-1.execute-api.us-east-1.amazonaws.com",
		"deploy primary PeerApiDomain=api-us-west-2.execute-api.us-west-2.amazonaws.com",
	}
	if diff := cmp.Diff(want, sam.calls); diff != "" {
		t.Errorf("SAM calls (-want +got):\n%s", diff)
	}
	for _, w := range []string{"todomgmt-secondary already has its peer's values", "front door: active-region already set, traffic goes to us-east-1 (left as is)"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}

	// Deployed again: everything is wired, one deploy per stack keeps it.
	sam.calls = nil
	d = &Deployer{SAM: sam, Out: &out, Open: d.Open}
	if err := d.All(context.Background()); err != nil {
		t.Fatal(err)
	}
	want = []string{want[0], want[3], want[2]}
	if diff := cmp.Diff(want, sam.calls); diff != "" {
		t.Errorf("SAM calls of a redeploy (-want +got):\n%s", diff)
	}
}

// TestDeployerStops: a failed deploy stops the passes, and the secondary
// alone is refused before anything runs.
func TestDeployerStops(t *testing.T) {
	f := awstest.New(t, east)
	sam := &fakeSAM{f: f, fail: RolePrimary}
	open := func(context.Context) (*Env, error) { return openEnv(t, f, &strings.Builder{}), nil }
	d := &Deployer{SAM: sam, Out: &strings.Builder{}, Open: open}
	if err := d.All(context.Background()); err == nil || !strings.Contains(err.Error(), "sam deploy --config-env primary") {
		t.Fatalf("All = %v, want the primary's failure", err)
	}
	if len(sam.calls) != 2 {
		t.Errorf("calls %q, want the build and the failed deploy only", sam.calls)
	}

	f = awstest.New(t, east)
	f.Stacks = f.Stacks[1:]
	sam = &fakeSAM{f: f}
	d = &Deployer{SAM: sam, Out: &strings.Builder{}, Open: func(context.Context) (*Env, error) { return openEnv(t, f, &strings.Builder{}), nil }}
	if err := d.Stack(context.Background(), RoleSecondary); err == nil || !strings.Contains(err.Error(), "deploy the primary first") {
		t.Fatalf("Stack(secondary) without the primary = %v, want a refusal", err)
	}
	if slices.ContainsFunc(sam.calls, func(c string) bool { return strings.HasPrefix(c, "deploy") }) {
		t.Errorf("calls %q, want no deploy", sam.calls)
	}
}
