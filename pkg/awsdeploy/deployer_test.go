package awsdeploy

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/awsops"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// fakeSAM records the SAM CLI's calls and deploys to the fake stacks: a
// deploy creates a missing stack (from held) and sets its parameters to
// the overrides, as CloudFormation would; a failed deploy changes nothing
// (a change set that fails rolls back).
type fakeSAM struct {
	f     *awstest.AWS
	held  map[string]*awstest.Stack // stacks not created yet, by role
	calls []string
	// deploys are the deploys asked for, with the parameter overrides
	// read back from the command line as the SAM CLI reads them (nil
	// without --parameter-overrides: samconfig's own apply).
	deploys []deployCall
	fail    string // a role whose deploys fail
	failAt  int    // the deploy (1-based) that fails; 0 for none
	syncErr error  // what Sync fails with
}

type deployCall struct {
	Role      string
	Overrides map[string]string
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
	s.deploys = append(s.deploys, deployCall{role, overrides})
	if role == s.fail || len(s.deploys) == s.failAt {
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
				// The template creates the CloudFront front door, and its
				// KeyValueStore output, in the primary once the peer's API
				// is known (condition CloudFrontFrontDoor).
				if role == awsops.RolePrimary && st.Outputs != nil {
					if st.Parameters["PeerApiDomain"] != "" {
						st.Outputs["KeyValueStoreArn"] = awstest.KVSARN
					} else {
						delete(st.Outputs, "KeyValueStoreArn")
					}
				}
			}
		}
	})
	return nil
}

func (s *fakeSAM) Sync(_ context.Context, args []string, env map[string]string) error {
	s.calls = append(s.calls, "sync "+strings.Join(args, " ")+" GOFLAGS="+env["GOFLAGS"]+" CGO_ENABLED="+env["CGO_ENABLED"])
	return s.syncErr
}

// primaryAlone is the fakes with the primary stack deployed in its first
// pass (no peer, so no front door and no KeyValueStore output) and the
// secondary not yet (held for the fake SAM CLI to create), the front
// door's route not written yet.
func primaryAlone(tb testing.TB) (*awstest.AWS, *fakeSAM) {
	f := awstest.New(tb, east)
	secondary := f.Stacks[1]
	f.Stacks = f.Stacks[:1]
	delete(f.Stacks[0].Outputs, "KeyValueStoreArn")
	f.KVSValue = nil
	return f, &fakeSAM{f: f, held: map[string]*awstest.Stack{awsops.RoleSecondary: secondary}}
}

// deployer is a Deployer over the fakes that describes them afresh each
// time, as each step of a mage run does.
func deployer(tb testing.TB, f *awstest.AWS, sam *fakeSAM, out *strings.Builder) *Deployer {
	return &Deployer{SAM: sam, Out: out, Open: func(context.Context) (*awsops.Env, error) { return openEnv(tb, f, &strings.Builder{}), nil }}
}

// peerValues are what each stack takes from its peer's outputs in the
// fake deployment: the secondary the primary's user pool, API domain,
// DB secrets and KeyValueStore; the primary the secondary's user pool,
// API domain and key (for the replicas of its secrets).
func peerValues(role string) map[string]string {
	if role == awsops.RoleSecondary {
		return map[string]string{
			"PeerUserPoolArn":           "arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_POOL",
			"PeerApiDomain":             "api-us-east-1.execute-api.us-east-1.amazonaws.com",
			"PrimaryMasterSecretArn":    awstest.MasterSecretARN,
			"PrimaryAppSecretArn":       awstest.AppSecretARN,
			"FrontDoorKeyValueStoreArn": kvsARN,
		}
	}
	return map[string]string{
		"PeerUserPoolArn": "arn:aws:cognito-idp:us-west-2:111122223333:userpool/us-west-2_POOL",
		"PeerApiDomain":   "api-us-west-2.execute-api.us-west-2.amazonaws.com",
		"PeerDbKeyArn":    "arn:aws:kms:us-west-2:111122223333:key/key-us-west-2",
	}
}

// firstSecondary is the secondary's first deploy: wired to the primary,
// whose front door (and KeyValueStore) its second pass creates later.
func firstSecondary() deployCall {
	c := wired(awsops.RoleSecondary)
	c.Overrides["FrontDoorKeyValueStoreArn"] = ""
	return c
}

// wired is the deploy of role with samconfig's overrides and its peer's
// values: the full set, since --parameter-overrides replaces samconfig's.
func wired(role string) deployCall {
	t, _ := testConfig().Target(role)
	o := maps.Clone(t.Overrides)
	maps.Copy(o, peerValues(role))
	return deployCall{role, o}
}

// TestDeployerTwoPasses: from a primary alone (its first pass: no peer,
// no front door), deploy runs the primary without peer values, the
// secondary with the primary's, the primary again with the secondary's
// (which creates the front door), then the secondary again for the
// front door's KeyValueStore; builds once, and leaves an existing route
// alone.
func TestDeployerTwoPasses(t *testing.T) {
	f := awstest.New(t, east)
	secondary := f.Stacks[1]
	f.Stacks = f.Stacks[:1]
	delete(f.Stacks[0].Outputs, "KeyValueStoreArn")
	sam := &fakeSAM{f: f, held: map[string]*awstest.Stack{awsops.RoleSecondary: secondary}}
	var out strings.Builder
	d := &Deployer{SAM: sam, Out: &out, Open: func(context.Context) (*awsops.Env, error) { return openEnv(t, f, &strings.Builder{}), nil }}
	if err := d.All(context.Background()); err != nil {
		t.Fatalf("All: %v\n%s", err, out.String())
	}
	want := []string{
		"build build --config-env primary GOFLAGS=" + BuildEnv()["GOFLAGS"],
		"deploy primary",
		"deploy secondary PeerApiDomain=api-us-east-1.execute-api.us-east-1.amazonaws.com",
		"deploy primary PeerApiDomain=api-us-west-2.execute-api.us-west-2.amazonaws.com",
		"deploy secondary PeerApiDomain=api-us-east-1.execute-api.us-east-1.amazonaws.com",
	}
	if diff := cmp.Diff(want, sam.calls); diff != "" {
		t.Errorf("SAM calls (-want +got):\n%s", diff)
	}
	if w := "front door: active-region already set, traffic goes to us-east-1 (left as is)"; !strings.Contains(out.String(), w) {
		t.Errorf("output lacks %q:\n%s", w, out.String())
	}
	// The parameters of each pass: the primary first with samconfig's
	// alone (no peer yet), the secondary with the primary's outputs (the
	// secrets' ARNs its proxy reads the replicas of; no KeyValueStore
	// yet), the primary again with the secondary's (the key the replicas
	// are encrypted with), and the secondary again with the KeyValueStore
	// its readiness function reads, which the primary's second pass
	// created.
	wantDeploys := []deployCall{{awsops.RolePrimary, nil}, firstSecondary(), wired(awsops.RolePrimary), wired(awsops.RoleSecondary)}
	if diff := cmp.Diff(wantDeploys, sam.deploys); diff != "" {
		t.Errorf("parameters of each pass (-want +got):\n%s", diff)
	}

	// Deployed again: everything is wired, one deploy per stack keeps it.
	sam.calls, sam.deploys = nil, nil
	d = &Deployer{SAM: sam, Out: &out, Open: d.Open}
	if err := d.All(context.Background()); err != nil {
		t.Fatal(err)
	}
	want = []string{want[0], want[3], want[4]}
	if diff := cmp.Diff(want, sam.calls); diff != "" {
		t.Errorf("SAM calls of a redeploy (-want +got):\n%s", diff)
	}
	for _, w := range []string{"todomgmt-primary already has its peer's values", "todomgmt-secondary already has its peer's values"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	if diff := cmp.Diff([]deployCall{wired(awsops.RolePrimary), wired(awsops.RoleSecondary)}, sam.deploys); diff != "" {
		t.Errorf("parameters of a redeploy (-want +got):\n%s", diff)
	}

	// One stack alone (deploy:primary) keeps its peer's values too:
	// without them sam deploy would reset them and remove the front door.
	sam.calls, sam.deploys = nil, nil
	if err := deployer(t, f, sam, &out).Stack(context.Background(), awsops.RolePrimary); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{want[0], want[1]}, sam.calls); diff != "" {
		t.Errorf("SAM calls of deploy:primary (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]deployCall{wired(awsops.RolePrimary)}, sam.deploys); diff != "" {
		t.Errorf("parameters of deploy:primary (-want +got):\n%s", diff)
	}
}

// TestDeployerStops: a failed deploy stops the passes, and the secondary
// alone is refused before anything runs.
func TestDeployerStops(t *testing.T) {
	f := awstest.New(t, east)
	sam := &fakeSAM{f: f, fail: awsops.RolePrimary}
	open := func(context.Context) (*awsops.Env, error) { return openEnv(t, f, &strings.Builder{}), nil }
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
	d = &Deployer{SAM: sam, Out: &strings.Builder{}, Open: func(context.Context) (*awsops.Env, error) { return openEnv(t, f, &strings.Builder{}), nil }}
	if err := d.Stack(context.Background(), awsops.RoleSecondary); err == nil || !strings.Contains(err.Error(), "deploy the primary first") {
		t.Fatalf("Stack(secondary) without the primary = %v, want a refusal", err)
	}
	if slices.ContainsFunc(sam.calls, func(c string) bool { return strings.HasPrefix(c, "deploy") }) {
		t.Errorf("calls %q, want no deploy", sam.calls)
	}
}

// TestDeployerFailsHalfWay: a deploy that fails in the middle of the
// passes stops them with an error naming that deploy, after the progress
// lines of what did deploy, and the front door is left unseeded. Running
// deploy again (a new mage run, a new Deployer: it builds again) finishes
// the job: a stack whose peer now exists gets the peer's values in the
// first pass already, and the front door is seeded once.
func TestDeployerFailsHalfWay(t *testing.T) {
	for _, tt := range []struct {
		name   string
		failAt int
		// wantErr names the failed deploy; wantOut is what the
		// progress says had deployed.
		wantErr, wantOut string
		// rerun are the deploys of the run after the failure.
		rerun []deployCall
	}{
		{
			name: "the secondary's first deploy", failAt: 2,
			wantErr: "sam deploy --config-env secondary: stack update failed", wantOut: "todomgmt-primary deployed in",
			// The secondary was never created: the same passes as the
			// first time.
			rerun: []deployCall{{awsops.RolePrimary, nil}, firstSecondary(), wired(awsops.RolePrimary), wired(awsops.RoleSecondary)},
		},
		{
			name: "the primary's second pass", failAt: 3,
			wantErr: "sam deploy --config-env primary: stack update failed", wantOut: "todomgmt-secondary deployed in",
			// Both stacks exist: the first pass wires both, the second
			// has nothing left to do.
			rerun: []deployCall{wired(awsops.RolePrimary), wired(awsops.RoleSecondary)},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, sam := primaryAlone(t)
			sam.failAt = tt.failAt
			var out strings.Builder
			err := deployer(t, f, sam, &out).All(context.Background())
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("All = %v, want %q\n%s", err, tt.wantErr, out.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, out.String())
			}
			if len(sam.deploys) != tt.failAt {
				t.Errorf("%d deploys, want the passes to stop at the failed one (%d)", len(sam.deploys), tt.failAt)
			}
			if w := f.Log("PutKey", "PutMetricData"); len(w) != 0 {
				t.Errorf("the front door was seeded after a failed deploy: %q", w)
			}

			sam.failAt, sam.calls, sam.deploys = 0, nil, nil
			out.Reset()
			if err := deployer(t, f, sam, &out).All(context.Background()); err != nil {
				t.Fatalf("the run after the failure: %v\n%s", err, out.String())
			}
			if n := len(slices.DeleteFunc(slices.Clone(sam.calls), func(c string) bool { return !strings.HasPrefix(c, "build ") })); n != 1 {
				t.Errorf("%d builds in the run after the failure, want 1: %q", n, sam.calls)
			}
			if diff := cmp.Diff(tt.rerun, sam.deploys); diff != "" {
				t.Errorf("deploys of the run after the failure (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"global PutKey active-region=us-east-1"}, f.Log("PutKey", "PutMetricData")); diff != "" {
				t.Errorf("front door writes (-want +got):\n%s", diff)
			}
			for _, st := range f.Stacks {
				for k, v := range peerValues(st.Parameters["Role"]) {
					if st.Parameters[k] != v {
						t.Errorf("stack %s: %s=%q, want %q", st.Name, k, st.Parameters[k], v)
					}
				}
			}
		})
	}
}

// TestDeployRefusesASavedDescription: when a region's CloudFormation does
// not answer, the stacks are known from their saved descriptions only;
// deploy acts on the stacks as they are now, so it refuses before any
// sam deploy.
func TestDeployRefusesASavedDescription(t *testing.T) {
	f := awstest.New(t, east)
	_ = openEnv(t, f, &strings.Builder{}) // saves both descriptions
	f.CFNDown[east] = errors.New("dial tcp: i/o timeout")
	sam := &fakeSAM{f: f}
	d := &Deployer{SAM: sam, Out: &strings.Builder{}, Open: func(ctx context.Context) (*awsops.Env, error) {
		return awsops.Open(ctx, testConfig(), f.Clients(), awsops.OpenOptions{Out: &strings.Builder{}, Warnings: &strings.Builder{}, CacheDir: f.CacheDir, Timeout: 50 * time.Millisecond})
	}}
	for name, run := range map[string]func(context.Context) error{
		"deploy":           d.All,
		"deploy:secondary": func(ctx context.Context) error { return d.Stack(ctx, awsops.RoleSecondary) },
	} {
		if err := run(context.Background()); err == nil || !strings.Contains(err.Error(), "CloudFormation in us-east-1 does not answer") || !strings.Contains(err.Error(), "try again when it answers") {
			t.Errorf("%s = %v, want a refusal naming the region that does not answer", name, err)
		}
	}
	if len(sam.deploys) != 0 {
		t.Errorf("deploys %+v, want none", sam.deploys)
	}
}

// TestSync: the development stack's sync empties SAM's build cache (and
// nothing else of .aws-sam), then runs sam sync on samconfig's default
// environment with the Lambda build flags; its failure is returned.
func TestSync(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{".aws-sam/cache/a1b2/bootstrap", ".aws-sam/build/template.yaml"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("stale"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sam := &fakeSAM{}
	var out strings.Builder
	if err := Sync(context.Background(), sam, dir, &out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".aws-sam", "cache")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the build cache is still there (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".aws-sam", "build", "template.yaml")); err != nil {
		t.Errorf("the build output went with the cache: %v", err)
	}
	want := []string{"sync sync --config-env default GOFLAGS=" + BuildEnv()["GOFLAGS"] + " CGO_ENABLED=0"}
	if diff := cmp.Diff(want, sam.calls); diff != "" {
		t.Errorf("SAM calls (-want +got):\n%s", diff)
	}
	if want := "==> sam sync --config-env default (GOFLAGS=\"" + BuildEnv()["GOFLAGS"] + "\")\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}

	sam.syncErr = errors.New("exit status 1")
	if err := Sync(context.Background(), sam, dir, &out); !errors.Is(err, sam.syncErr) {
		t.Errorf("Sync = %v, want the sam sync failure", err)
	}
}
