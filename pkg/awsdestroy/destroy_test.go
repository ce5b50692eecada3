package awsdestroy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	cogtypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/awsops"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/console"
)

func destroyer(tb testing.TB, f *awstest.AWS, confirm string, out *strings.Builder) *Destroyer {
	tb.Helper()
	e := openEnv(tb, f, out)
	return &Destroyer{Env: e, Confirm: console.FlagConfirmation{Value: confirm}, Clock: f.Clock, Poll: time.Second}
}

// TestDestroyOrder: deletion protection off, the reader then the writer
// out of the global cluster, the stacks (secondary-role first), the
// global cluster. The user pools the template retains keep their
// protection and are not touched; an older template's pools, which
// CloudFormation deletes, are unprotected first.
func TestDestroyOrder(t *testing.T) {
	for _, tt := range []struct {
		name   string
		writer string
		older  bool
		want   []string
		kept   []string
	}{
		{
			name:   "writer in the primary stack",
			writer: east,
			kept:   allKept,
			want: []string{
				"us-east-1 ModifyDBCluster todomgmt-us-east-1 protection=false",
				"us-west-2 ModifyDBCluster todomgmt-us-west-2 protection=false",
				"us-east-1 ModifyGlobalCluster protection=false",
				"us-west-2 RemoveFromGlobalCluster " + westARN,
				"us-east-1 RemoveFromGlobalCluster " + eastARN,
				"us-west-2 DeleteStack arn:aws:cloudformation:us-west-2:111122223333:stack/todomgmt-secondary/1",
				"us-east-1 DeleteStack arn:aws:cloudformation:us-east-1:111122223333:stack/todomgmt-primary/1",
				"us-east-1 DeleteGlobalCluster todomgmt-global",
			},
		},
		{
			// After a failover the writer is the secondary stack's cluster:
			// the primary stack's cluster is the reader and leaves first.
			name:   "writer in the secondary stack",
			writer: west,
			kept:   allKept,
			want: []string{
				"us-east-1 ModifyDBCluster todomgmt-us-east-1 protection=false",
				"us-west-2 ModifyDBCluster todomgmt-us-west-2 protection=false",
				"us-west-2 ModifyGlobalCluster protection=false",
				"us-east-1 RemoveFromGlobalCluster " + eastARN,
				"us-west-2 RemoveFromGlobalCluster " + westARN,
				"us-west-2 DeleteStack arn:aws:cloudformation:us-west-2:111122223333:stack/todomgmt-secondary/1",
				"us-east-1 DeleteStack arn:aws:cloudformation:us-east-1:111122223333:stack/todomgmt-primary/1",
				"us-west-2 DeleteGlobalCluster todomgmt-global",
			},
		},
		{
			name:   "stacks of the older template (user pools deleted with them)",
			writer: east,
			older:  true,
			kept:   olderKept,
			want: []string{
				"us-east-1 ModifyDBCluster todomgmt-us-east-1 protection=false",
				"us-west-2 ModifyDBCluster todomgmt-us-west-2 protection=false",
				"us-east-1 ModifyGlobalCluster protection=false",
				"us-west-2 UpdateUserPool us-west-2_POOL protection=INACTIVE",
				"us-east-1 UpdateUserPool us-east-1_POOL protection=INACTIVE",
				"us-west-2 RemoveFromGlobalCluster " + westARN,
				"us-east-1 RemoveFromGlobalCluster " + eastARN,
				"us-west-2 DeleteStack arn:aws:cloudformation:us-west-2:111122223333:stack/todomgmt-secondary/1",
				"us-east-1 DeleteStack arn:aws:cloudformation:us-east-1:111122223333:stack/todomgmt-primary/1",
				"us-east-1 DeleteGlobalCluster todomgmt-global",
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := awstest.New(t, tt.writer)
			if tt.older {
				f.OlderTemplate()
			}
			// Snapshots that are not ours to report, so the final ones
			// come on a later page.
			for i := range 3 {
				f.Snapshots[east] = append(f.Snapshots[east], rdstypes.DBClusterSnapshot{DBClusterIdentifier: aws.String("todomgmt-us-east-1"),
					DBClusterSnapshotIdentifier: aws.String(fmt.Sprintf("rds:todomgmt-us-east-1-2026-11-0%d-03-00", i+1)), SnapshotType: aws.String("automated")})
			}
			f.Snapshots[east] = append(f.Snapshots[east], rdstypes.DBClusterSnapshot{DBClusterIdentifier: aws.String("someone-else"),
				DBClusterSnapshotIdentifier: aws.String("someone-else-final"), SnapshotType: aws.String("manual")})
			var out strings.Builder
			rep, err := destroyer(t, f, "todomgmt", &out).Run(context.Background())
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, out.String())
			}
			if diff := cmp.Diff(tt.want, f.Log(mutating...)); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if f.Global != nil {
				t.Errorf("global cluster still exists")
			}
			var kept []string
			for _, r := range rep.Retained {
				kept = append(kept, r.Region+" "+r.ID)
			}
			if diff := cmp.Diff(tt.kept, kept); diff != "" {
				t.Errorf("retained (-want +got):\n%s", diff)
			}
			if len(rep.Unchecked) != 0 {
				t.Errorf("unchecked %q, want none", rep.Unchecked)
			}
			for _, p := range f.Pools {
				if p.Deleted == !tt.older {
					t.Errorf("pool %+v: deleted = %t, want %t", *p, p.Deleted, tt.older)
				}
			}
			if !strings.Contains(out.String(), "DbCluster                                DELETE_COMPLETE") {
				t.Errorf("no stack events printed:\n%s", out.String())
			}
		})
	}
}

// allKept is what a destroy of the fake deployment keeps, per region,
// primary first: what the template retains (by physical id: the DB
// secrets in the primary region, the app client, the KMS key, the user
// pool), the clusters' log groups, the final snapshots.
var allKept = []string{
	"us-east-1 " + awstest.AppSecretARN, "us-east-1 " + awstest.MasterSecretARN, "us-east-1 client-us-east-1", "us-east-1 key-us-east-1", "us-east-1 us-east-1_POOL",
	"us-east-1 /aws/rds/cluster/todomgmt-us-east-1/error", "us-east-1 /aws/rds/cluster/todomgmt-us-east-1/slowquery",
	"us-east-1 todomgmt-us-east-1-final",
	"us-west-2 client-us-west-2", "us-west-2 key-us-west-2", "us-west-2 us-west-2_POOL",
	"us-west-2 /aws/rds/cluster/todomgmt-us-west-2/error", "us-west-2 /aws/rds/cluster/todomgmt-us-west-2/slowquery",
	"us-west-2 todomgmt-us-west-2-final",
}

// olderKept is allKept for stacks whose template deletes the user pools
// and their clients.
var olderKept = []string{
	"us-east-1 " + awstest.AppSecretARN, "us-east-1 " + awstest.MasterSecretARN, "us-east-1 key-us-east-1",
	"us-east-1 /aws/rds/cluster/todomgmt-us-east-1/error", "us-east-1 /aws/rds/cluster/todomgmt-us-east-1/slowquery",
	"us-east-1 todomgmt-us-east-1-final",
	"us-west-2 key-us-west-2",
	"us-west-2 /aws/rds/cluster/todomgmt-us-west-2/error", "us-west-2 /aws/rds/cluster/todomgmt-us-west-2/slowquery",
	"us-west-2 todomgmt-us-west-2-final",
}

// TestDestroyReportSaysHowToDeleteWhatIsKept: each retained secret, pool
// and key comes with why it is kept and the commands that delete it; the
// primary's secrets name their replica's region.
func TestDestroyReportSaysHowToDeleteWhatIsKept(t *testing.T) {
	f := awstest.New(t, east)
	var out strings.Builder
	rep, err := destroyer(t, f, "todomgmt", &out).Run(context.Background())
	if err != nil {
		t.Fatalf("destroy: %v\n%s", err, out.String())
	}
	var b strings.Builder
	WriteReport(&b, rep)
	for _, want := range []string{
		"kept: us-east-1 AWS::SecretsManager::Secret " + awstest.MasterSecretARN + " (DeletionPolicy Retain (MasterSecret); the final snapshot's DB users log in with it; its replica in us-west-2 is kept too; its name blocks a new stack with the same AppName",
		"to delete it: aws secretsmanager remove-regions-from-replication --region us-east-1 --secret-id " + awstest.AppSecretARN + " --remove-replica-regions us-west-2 && aws secretsmanager delete-secret --region us-east-1 --secret-id " + awstest.AppSecretARN + " --force-delete-without-recovery",
		"kept: us-west-2 AWS::Cognito::UserPool us-west-2_POOL (DeletionPolicy Retain (UserPool); its app clients and their secrets, deletion protection still on",
		"to delete it: aws cognito-idp update-user-pool --region us-west-2 --user-pool-id us-west-2_POOL --deletion-protection INACTIVE && aws cognito-idp delete-user-pool --region us-west-2 --user-pool-id us-west-2_POOL",
		"kept: us-east-1 AWS::Cognito::UserPoolClient client-us-east-1 (DeletionPolicy Retain (AppClient); deleted with its user pool)",
		"to delete it: aws kms schedule-key-deletion --region us-west-2 --key-id key-us-west-2 --pending-window-in-days 30",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

// keptIDs returns "region id" of each kept thing, and which of them come
// from an earlier run's record.
func keptIDs(rep Report) (kept, recorded []string) {
	for _, r := range rep.Retained {
		kept = append(kept, r.Region+" "+r.ID)
		if strings.Contains(r.Why, "not checked since") {
			recorded = append(recorded, r.Region+" "+r.ID)
		}
	}
	return kept, recorded
}

func TestDestroyNotConfirmedChangesNothing(t *testing.T) {
	for _, confirm := range []string{"", "us-west-2", "yes"} {
		t.Run(confirm, func(t *testing.T) {
			f := awstest.New(t, west)
			var out strings.Builder
			_, err := destroyer(t, f, confirm, &out).Run(context.Background())
			if !errors.Is(err, console.ErrDeclined) {
				t.Fatalf("error %v, want ErrDeclined", err)
			}
			if calls := f.Log(mutating...); len(calls) != 0 {
				t.Errorf("calls %q, want none", calls)
			}
		})
	}
}

func TestDestroyRerunAfterPartialFailure(t *testing.T) {
	f := awstest.New(t, west)
	f.Stacks[0].FailOnce = "Resource handler returned message: internal failure" // the primary stack
	var out strings.Builder
	_, err := destroyer(t, f, "todomgmt", &out).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "DELETE_FAILED") || !strings.Contains(err.Error(), "internal failure") {
		t.Fatalf("first run error %v, want DELETE_FAILED with the reason", err)
	}
	first := len(f.Log(mutating...))
	// The pools are retained: neither unprotected nor reset.
	if calls := f.Log("UpdateUserPool"); len(calls) != 0 {
		t.Errorf("UpdateUserPool calls %q on retained pools, want none", calls)
	}

	// The operator runs destroy again: the secondary stack is gone, the
	// clusters have left the global cluster; only the rest is done.
	rep, err := destroyer(t, f, "todomgmt", &out).Run(context.Background())
	if err != nil {
		t.Fatalf("re-run: %v\n%s", err, out.String())
	}
	again := f.Log(mutating...)[first:]
	want := []string{
		"us-east-1 DeleteStack arn:aws:cloudformation:us-east-1:111122223333:stack/todomgmt-primary/1",
		"us-east-1 DeleteGlobalCluster todomgmt-global",
	}
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("re-run calls (-want +got):\n%s", diff)
	}
	if len(rep.Changes) == 0 {
		t.Errorf("re-run reports no change")
	}
	// The secondary's stack and cluster went in the first run: what they
	// keep is listed from the first run's record, nothing is forgotten.
	kept, recorded := keptIDs(rep)
	if diff := cmp.Diff(allKept, kept); diff != "" {
		t.Errorf("re-run kept (-want +got):\n%s", diff)
	}
	wantRecorded := []string{"us-west-2 client-us-west-2", "us-west-2 key-us-west-2", "us-west-2 us-west-2_POOL",
		"us-west-2 /aws/rds/cluster/todomgmt-us-west-2/error", "us-west-2 /aws/rds/cluster/todomgmt-us-west-2/slowquery"}
	if diff := cmp.Diff(wantRecorded, recorded); diff != "" {
		t.Errorf("re-run's recorded (not re-checked) entries (-want +got):\n%s", diff)
	}
	if len(rep.Unchecked) != 0 {
		t.Errorf("re-run unchecked %q, want none", rep.Unchecked)
	}
	// And a third run finds nothing to do, but still lists what is kept.
	var third strings.Builder
	rep, err = destroyer(t, f, "", &third).Run(context.Background())
	if err != nil {
		t.Fatalf("third run: %v", err)
	}
	if len(rep.Changes) != 0 {
		t.Errorf("third run changed %q, want nothing", rep.Changes)
	}
	if kept, _ := keptIDs(rep); !cmp.Equal(allKept, kept) {
		t.Errorf("third run kept %q, want %q", kept, allKept)
	}
	WriteReport(&third, rep)
	if strings.Contains(third.String(), "kept: nothing") {
		t.Errorf("third run's report says nothing is kept:\n%s", third.String())
	}
	// Deleted stacks leave no saved description that a later run could
	// take for a live one.
	for _, region := range []string{east, west} {
		if saved, _ := filepath.Glob(filepath.Join(f.CacheDir, region, "*.json")); len(saved) != 0 {
			t.Errorf("saved descriptions %q after the stacks are gone", saved)
		}
	}
}

// TestDestroyOlderTemplateUnprotectsThePoolsSafely: with a template that
// deletes the user pools, destroy lifts their protection with
// UpdateUserPool; a pool that outlives a failed stack deletion keeps what
// the template set (UpdateUserPool resets what a request leaves out).
func TestDestroyOlderTemplateUnprotectsThePoolsSafely(t *testing.T) {
	f := awstest.New(t, west)
	f.OlderTemplate()
	f.Stacks[0].FailOnce = "Resource handler returned message: internal failure" // the primary stack
	var out strings.Builder
	if _, err := destroyer(t, f, "todomgmt", &out).Run(context.Background()); err == nil {
		t.Fatalf("first run: no error, want DELETE_FAILED")
	}
	if p := f.Pools["us-east-1_POOL"]; p.Deleted || p.Protected || !p.AdminOnly || p.Tier != cogtypes.UserPoolTierTypeLite {
		t.Errorf("surviving pool %+v, want unprotected, still admin-only sign-up, tier LITE", *p)
	}
}

// TestDestroyKeptWithoutARecord: the stacks were deleted by an earlier
// destroy on another machine (no record here). The snapshots are found by
// the clusters' identifiers; what only the stacks could tell is reported
// as not checked, and the report does not claim nothing is kept.
func TestDestroyKeptWithoutARecord(t *testing.T) {
	f := awstest.New(t, east)
	var out strings.Builder
	if _, err := destroyer(t, f, "todomgmt", &out).Run(context.Background()); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out.String())
	}
	f.CacheDir = t.TempDir() // another machine
	rep, err := destroyer(t, f, "", &out).Run(context.Background())
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	kept, _ := keptIDs(rep)
	if diff := cmp.Diff([]string{"us-east-1 todomgmt-us-east-1-final", "us-west-2 todomgmt-us-west-2-final"}, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	unchecked := strings.Join(rep.Unchecked, "\n")
	for _, want := range []string{
		"us-east-1: what stack todomgmt-primary retains", "us-west-2: what stack todomgmt-secondary retains",
		"us-east-1: log groups /aws/rds/cluster/todomgmt-us-east-1/*", "us-west-2: log groups /aws/rds/cluster/todomgmt-us-west-2/*",
	} {
		if !strings.Contains(unchecked, want) {
			t.Errorf("unchecked lacks %q:\n%s", want, unchecked)
		}
	}
	var b strings.Builder
	WriteReport(&b, rep)
	if strings.Contains(b.String(), "kept: nothing") || !strings.Contains(b.String(), "not checked: ") {
		t.Errorf("report:\n%s\nwant the snapshots and the not-checked lines, not \"kept: nothing\"", b.String())
	}
}

// TestDestroyClearsTheRunRecord: a new deployment starts without the old
// one's failover history.
func TestDestroyClearsTheRunRecord(t *testing.T) {
	f := awstest.New(t, east)
	var out strings.Builder
	d := destroyer(t, f, "todomgmt", &out)
	rf, ok := awsops.RunFileOf(d.Env)
	if !ok {
		t.Fatal("no run file with a cache directory")
	}
	if err := rf.RecordRun(context.Background(), failover.RunRecord{Kind: failover.KindPlanned, To: west}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Run(context.Background()); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out.String())
	}
	if _, ok, err := rf.LastRun(context.Background()); ok || err != nil {
		t.Errorf("run record still there (%t, %v) after destroy", ok, err)
	}
}

func TestDestroyRefusesDuringAnOperation(t *testing.T) {
	f := awstest.New(t, east)
	e := openEnv(t, f, &strings.Builder{})
	e.Clients.RDS = func(r string) awsclient.RDSAPI { return inProgressRDS{f.RDS(r)} }
	_, err := (&Destroyer{Env: e, Confirm: console.FlagConfirmation{Value: "todomgmt"}}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "operation is in progress") {
		t.Fatalf("error %v, want a refusal while an operation is in progress", err)
	}
	if calls := f.Log(mutating...); len(calls) != 0 {
		t.Errorf("calls %q, want none", calls)
	}
}

// TestDestroyRefusesASavedDescription: when a region's CloudFormation
// refuses or leaves the call hanging, Open falls back to the stack's
// saved description or, with nothing saved, to the operator's
// TODOMGMT_KVS_ARN and TODOMGMT_FRONT_DOOR_URL; destroy acts on the
// stacks as they are now, so it refuses either before changing anything.
func TestDestroyRefusesASavedDescription(t *testing.T) {
	for _, tt := range []struct {
		name      string
		hang      bool
		saved     bool
		overrides bool
	}{
		{name: "refuses, saved description", saved: true},
		{name: "hangs, saved description", hang: true, saved: true},
		{name: "hangs, nothing saved, overrides", hang: true, overrides: true},
		{name: "refuses, nothing saved, overrides", overrides: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := awstest.New(t, east)
			_ = openEnv(t, f, &strings.Builder{}) // saves both descriptions
			if tt.hang {
				f.CFNHang[east] = true
			} else {
				f.CFNDown[east] = errors.New("dial tcp: i/o timeout")
			}
			var out strings.Builder
			o := awsops.OpenOptions{Out: &out, Warnings: &out, CacheDir: f.CacheDir, Timeout: 50 * time.Millisecond}
			if !tt.saved {
				o.CacheDir = t.TempDir()
			}
			if tt.overrides {
				o.KVSARN, o.FrontDoorURL = awstest.KVSARN, "https://todo.example.com"
			}
			e, err := awsops.Open(context.Background(), testConfig(), f.Clients(), o)
			if err != nil {
				t.Fatalf("Open with %s's CloudFormation down: %v", east, err)
			}
			if e.Primary == nil || e.Saved[east] == "" {
				t.Fatalf("primary %+v saved %q, want the lost primary stack from its description or the overrides", e.Primary, e.Saved)
			}
			// The fake clock and a bound: a destroy that went ahead would
			// fail, not wait on the fakes (the refusal makes no call).
			e.Stacks.Clock, e.Stacks.Poll = f.Clock, time.Second
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = (&Destroyer{Env: e, Confirm: console.FlagConfirmation{Value: "todomgmt"}, Clock: f.Clock, Poll: time.Second}).Run(ctx)
			if err == nil || !strings.Contains(err.Error(), "CloudFormation in us-east-1 does not answer") || !strings.Contains(err.Error(), "try again when it answers") {
				t.Errorf("destroy on a saved description = %v, want a refusal naming the region that does not answer", err)
			}
			if calls := f.Log(mutating...); len(calls) != 0 {
				t.Errorf("destroy made calls %q", calls)
			}
		})
	}
}

// inProgressRDS reports a failover in progress on the global cluster.
type inProgressRDS struct{ awsclient.RDSAPI }

func (r inProgressRDS) DescribeGlobalClusters(ctx context.Context, in *rds.DescribeGlobalClustersInput, o ...func(*rds.Options)) (*rds.DescribeGlobalClustersOutput, error) {
	out, err := r.RDSAPI.DescribeGlobalClusters(ctx, in, o...)
	if err == nil {
		out.GlobalClusters[0].FailoverState = &rdstypes.FailoverState{Status: rdstypes.FailoverStatusFailingOver}
	}
	return out, err
}

// TestUnprotectUserPool lifts a pool's deletion protection in the pool's
// region, with UpdateUserPool carrying over what a reset would change.
func TestUnprotectUserPool(t *testing.T) {
	const pool = "us-west-2_AbC123"
	for _, tt := range []struct {
		name        string
		describe    func(string, any) (any, error)
		wantChanged bool
	}{
		{"protected", func(string, any) (any, error) {
			return &cognitoidentityprovider.DescribeUserPoolOutput{UserPool: &cogtypes.UserPoolType{Id: aws.String(pool),
				DeletionProtection: cogtypes.DeletionProtectionTypeActive, UserPoolTier: cogtypes.UserPoolTierTypeLite,
				AdminCreateUserConfig: &cogtypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true, UnusedAccountValidityDays: 7}}}, nil
		}, true},
		{"already unprotected", func(string, any) (any, error) {
			return &cognitoidentityprovider.DescribeUserPoolOutput{UserPool: &cogtypes.UserPoolType{Id: aws.String(pool),
				DeletionProtection: cogtypes.DeletionProtectionTypeInactive}}, nil
		}, false},
		{"gone", func(string, any) (any, error) {
			return nil, &cogtypes.ResourceNotFoundException{Message: aws.String("User pool " + pool + " does not exist.")}
		}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := awstest.NewRecorder(t)
			rec.Canned["DescribeUserPool"] = tt.describe
			rec.WireBody = func(awstest.WireCall) (int, string) { return 200, `{}` }
			changed, err := unprotectUserPool(context.Background(), rec.Clients().Cognito(west), pool)
			if err != nil || changed != tt.wantChanged {
				t.Fatalf("unprotectUserPool = %t, %v; want %t, nil", changed, err, tt.wantChanged)
			}
			var ops []string
			for _, c := range rec.Calls() {
				ops = append(ops, c.Op+" "+c.Region)
			}
			want := []string{"DescribeUserPool " + west}
			if tt.wantChanged {
				want = append(want, "UpdateUserPool "+west)
			}
			if diff := cmp.Diff(want, ops); diff != "" {
				t.Fatalf("calls (-want +got):\n%s", diff)
			}
			if !tt.wantChanged {
				return
			}
			w := rec.Wire()
			if len(w) != 1 || w[0].URL.Host != "cognito-idp.us-west-2.amazonaws.com" {
				t.Fatalf("wire %+v, want one request to cognito-idp.us-west-2.amazonaws.com", w)
			}
			if got := w[0].Header.Get("X-Amz-Target"); got != "AWSCognitoIdentityProviderService.UpdateUserPool" {
				t.Errorf("X-Amz-Target %q, want AWSCognitoIdentityProviderService.UpdateUserPool", got)
			}
			if r, svc := awstest.CredentialScope(w[0].Header); r != west || svc != "cognito-idp" {
				t.Errorf("signed for %s/%s, want %s/cognito-idp", r, svc, west)
			}
			// Exactly these fields: the pool, protection off, and the two
			// settings a reset to defaults would change.
			var body map[string]any
			if err := json.Unmarshal([]byte(w[0].Body), &body); err != nil {
				t.Fatalf("body %q: %v", w[0].Body, err)
			}
			wantBody := map[string]any{"UserPoolId": pool, "DeletionProtection": "INACTIVE", "UserPoolTier": "LITE",
				"AdminCreateUserConfig": map[string]any{"AllowAdminCreateUserOnly": true}}
			if diff := cmp.Diff(wantBody, body); diff != "" {
				t.Errorf("UpdateUserPool body (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDestroyWritesTheReport: the report follows a destroy, and a failed
// one too when it changed something; a destroy declined prints none.
func TestDestroyWritesTheReport(t *testing.T) {
	f := awstest.New(t, east)
	var out strings.Builder
	if err := Destroy(context.Background(), openEnv(t, f, &strings.Builder{}), console.FlagConfirmation{Value: "no"}, &out); err == nil {
		t.Fatal("Destroy declined = nil error")
	}
	if out.String() != "" {
		t.Errorf("a declined destroy printed %q", out.String())
	}

	f.Stacks[0].FailOnce = "Resource handler returned message: internal failure"
	err := Destroy(context.Background(), openEnv(t, f, &strings.Builder{}), console.FlagConfirmation{Value: "todomgmt"}, &out)
	if err == nil || !strings.Contains(out.String(), "changed: deletion protection off: todomgmt-us-east-1 in us-east-1") || !strings.Contains(out.String(), "kept: ") {
		t.Fatalf("Destroy failing half way = %v, want the report so far:\n%s", err, out.String())
	}
	out.Reset()
	if err := Destroy(context.Background(), openEnv(t, f, &strings.Builder{}), console.FlagConfirmation{Value: "todomgmt"}, &out); err != nil {
		t.Fatalf("Destroy again: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "changed: deleted stack todomgmt-primary in us-east-1") {
		t.Errorf("report lacks the deletion of the primary stack:\n%s", out.String())
	}
}
