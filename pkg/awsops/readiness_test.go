package awsops

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	cogtypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// TestProxyTargetsOnTheWire: the targets of the proxy's default target
// group, every page, in the proxy's region; the tracked cluster is not a
// target; an available instance in the READ_WRITE role is the writer's.
func TestProxyTargetsOnTheWire(t *testing.T) {
	rec := newRecorder(t)
	inst := func(role rdstypes.TargetRole, state rdstypes.TargetState, reason rdstypes.TargetHealthReason) rdstypes.DBProxyTarget {
		return rdstypes.DBProxyTarget{Type: rdstypes.TargetTypeRdsInstance, Role: role, TargetHealth: &rdstypes.TargetHealth{State: state, Reason: reason}}
	}
	pages := map[string]*rds.DescribeDBProxyTargetsOutput{
		"": {Marker: aws.String("p2"), Targets: []rdstypes.DBProxyTarget{
			{Type: rdstypes.TargetTypeTrackedCluster, Role: rdstypes.TargetRoleReadWrite},
			inst(rdstypes.TargetRoleReadWrite, rdstypes.TargetStateAvailable, ""),
			inst(rdstypes.TargetRoleReadOnly, rdstypes.TargetStateAvailable, ""),
		}},
		"p2": {Targets: []rdstypes.DBProxyTarget{
			inst(rdstypes.TargetRoleReadOnly, rdstypes.TargetStateUnavailable, rdstypes.TargetHealthReasonAuthFailure),
			inst(rdstypes.TargetRoleUnknown, rdstypes.TargetStateRegistering, ""),
		}},
	}
	rec.canned["DescribeDBProxyTargets"] = func(_ string, in any) (any, error) {
		return pages[aws.ToString(in.(*rds.DescribeDBProxyTargetsInput).Marker)], nil
	}
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.clients(), Proxies: map[string]string{west: "todomgmt-proxy"}}
	got, err := db.ProxyTargets(context.Background(), west)
	if err != nil {
		t.Fatal(err)
	}
	want := failover.ProxyTargets{Known: true, Total: 4, Available: 2, Writers: 1, AuthFailures: 1, Detail: "UNAVAILABLE AUTH_FAILURE; REGISTERING"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	calls := rec.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2 (both pages)", len(calls))
	}
	for _, c := range calls {
		if in := c.Input.(*rds.DescribeDBProxyTargetsInput); c.Region != west || aws.ToString(in.DBProxyName) != "todomgmt-proxy" {
			t.Errorf("%s in %s for %q, want DescribeDBProxyTargets in %s for todomgmt-proxy", c.Op, c.Region, aws.ToString(in.DBProxyName), west)
		}
	}
	if _, err := db.ProxyTargets(context.Background(), east); err == nil || !strings.Contains(err.Error(), "no proxy known in us-east-1") {
		t.Errorf("a region without a proxy name: %v, want an error saying so", err)
	}
}

// TestSafeguards reads a region's protection, retention and recovery
// snapshots over the fakes: a recovery snapshot of the region's cluster is
// reported with its expiry (system snapshots go with the backup
// retention) and its manual copy, found by SourceDBClusterSnapshotArn.
func TestSafeguards(t *testing.T) {
	created := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	snap := func(cluster, id, typ, source string) rdstypes.DBClusterSnapshot {
		return rdstypes.DBClusterSnapshot{DBClusterIdentifier: aws.String(cluster), DBClusterSnapshotIdentifier: aws.String(id),
			DBClusterSnapshotArn: aws.String("arn:aws:rds:us-east-1:111122223333:cluster-snapshot:" + id), SnapshotType: aws.String(typ),
			SnapshotCreateTime: aws.Time(created), SourceDBClusterSnapshotArn: aws.String(source)}
	}
	lost := "rds:unplanned-global-failover-todomgmt-us-east-1-2026-11-01-08-00"
	kept := "rds:unplanned-global-failover-todomgmt-us-east-1-2026-10-01-08-00"
	for _, tt := range []struct {
		name   string
		region string
		setup  func(*fakeAWS)
		want   failover.Safeguards
	}{
		{"as deployed", west, func(*fakeAWS) {}, failover.Safeguards{Known: true, Cluster: "todomgmt-us-west-2", DeletionProtection: true, GlobalDeletionProtection: true,
			WantDeletionProtection: true, BackupRetention: BackupRetention, WantBackupRetention: BackupRetention}},
		{"unprotected, shorter retention", west, func(f *fakeAWS) {
			f.clusters[westARN].protected, f.clusters[westARN].retention, f.global.protected = false, 1, false
		}, failover.Safeguards{Known: true, Cluster: "todomgmt-us-west-2", WantDeletionProtection: true, BackupRetention: 24 * time.Hour, WantBackupRetention: BackupRetention}},
		{"recovery snapshots, one copied", east, func(f *fakeAWS) {
			f.snapshots[east] = []rdstypes.DBClusterSnapshot{
				snap("todomgmt-us-east-1", "rds:todomgmt-us-east-1-2026-11-04-03-00", "automated", ""),
				snap("todomgmt-us-east-1", lost, "automated", ""),
				snap("todomgmt-us-east-1", kept, "automated", ""),
				snap("todomgmt-us-east-1", "lost-writes-2026-10-01", "manual", "arn:aws:rds:us-east-1:111122223333:cluster-snapshot:"+kept),
			}
		}, failover.Safeguards{Known: true, Cluster: "todomgmt-us-east-1", DeletionProtection: true, GlobalDeletionProtection: true,
			WantDeletionProtection: true, BackupRetention: BackupRetention, WantBackupRetention: BackupRetention,
			RecoverySnapshots: []failover.RecoverySnapshot{
				{Name: lost, Created: created, Expires: created.Add(BackupRetention)},
				{Name: kept, Created: created, Expires: created.Add(BackupRetention), CopiedTo: "lost-writes-2026-10-01"},
			}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAWS(t, east)
			tt.setup(f)
			db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: f.clients(),
				WantDeletionProtection: true, WantBackupRetention: BackupRetention}
			got, err := db.Safeguards(context.Background(), tt.region)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("safeguards of %s (-want +got):\n%s", tt.region, diff)
			}
		})
	}
}

// TestSafeguardsAskOnlyTheRegion: every call goes to the region asked
// about, the cluster is named by its ARN, and a region that does not
// answer is an error (the plans record it as unknown).
func TestSafeguardsAskOnlyTheRegion(t *testing.T) {
	rec := newRecorder(t)
	rec.canned["DescribeGlobalClusters"] = func(region string, in any) (any, error) {
		if region == east {
			return nil, &net503{}
		}
		return globalCluster(eastARN)(region, in)
	}
	rec.canned["DescribeDBClusters"] = func(string, any) (any, error) {
		return &rds.DescribeDBClustersOutput{DBClusters: []rdstypes.DBCluster{{DeletionProtection: aws.Bool(true), BackupRetentionPeriod: aws.Int32(7)}}}, nil
	}
	rec.canned["DescribeDBClusterSnapshots"] = func(string, any) (any, error) { return &rds.DescribeDBClusterSnapshotsOutput{}, nil }
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.clients()}
	if _, err := db.Safeguards(context.Background(), west); err != nil {
		t.Fatal(err)
	}
	for _, c := range rec.Calls() {
		if c.Region != west {
			t.Errorf("%s called in %s, want %s only", c.Op, c.Region, west)
		}
		if in, ok := c.Input.(*rds.DescribeDBClustersInput); ok && aws.ToString(in.DBClusterIdentifier) != westARN {
			t.Errorf("DescribeDBClusters for %q, want the member's ARN %s", aws.ToString(in.DBClusterIdentifier), westARN)
		}
	}
	if _, err := db.Safeguards(context.Background(), east); err == nil || !strings.Contains(err.Error(), "dial tcp: i/o timeout") {
		t.Errorf("safeguards of a region that does not answer: %v, want its error", err)
	}
}

// TestProberUserPool asks each region's Cognito for its own pool.
func TestProberUserPool(t *testing.T) {
	f := newFakeAWS(t, east)
	f.pools["us-west-2_POOL"].deleted = true
	p := &Prober{UserPools: map[string]string{east: "us-east-1_POOL", west: "us-west-2_POOL"}, Clients: f.clients()}
	got, err := p.UserPool(context.Background(), east)
	if err != nil || !got.OK || got.ID != "us-east-1_POOL" {
		t.Errorf("east: %+v, %v; want the pool OK", got, err)
	}
	got, err = p.UserPool(context.Background(), west)
	if err != nil || got.OK || !strings.Contains(got.Detail, "ResourceNotFoundException") {
		t.Errorf("west: %+v, %v; want not OK with Cognito's ResourceNotFoundException", got, err)
	}
	if _, err := p.UserPool(context.Background(), "eu-west-1"); err == nil {
		t.Errorf("a region without a pool: no error")
	}

	rec := newRecorder(t)
	rec.canned["DescribeUserPool"] = func(_ string, in any) (any, error) {
		return &cognitoidentityprovider.DescribeUserPoolOutput{UserPool: &cogtypes.UserPoolType{Id: in.(*cognitoidentityprovider.DescribeUserPoolInput).UserPoolId}}, nil
	}
	p = &Prober{UserPools: map[string]string{west: "us-west-2_POOL"}, Clients: rec.clients()}
	if got, err := p.UserPool(context.Background(), west); err != nil || !got.OK {
		t.Fatalf("%+v, %v", got, err)
	}
	if c := rec.Calls(); len(c) != 1 || c[0].Op != "DescribeUserPool" || c[0].Region != west {
		t.Errorf("calls %+v, want one DescribeUserPool in %s", c, west)
	}
}

// TestReadinessOverTheAdapters: the orchestrator over the AWS adapters
// and the fakes judges both plans ready from either region, making every
// check; an uncopied recovery snapshot of the former writer makes the
// unplanned failover not ready, and a passive proxy that cannot log in
// makes both not ready. Nothing is changed.
func TestReadinessOverTheAdapters(t *testing.T) {
	f, _, e, _ := deployment(t, east)
	o, err := e.Orchestrator(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{east, west} {
		_, rs := o.Readiness(context.Background(), from, plan.Options{})
		for _, r := range rs {
			if !r.Ready || len(r.Skipped) != 0 || !slices.Equal(r.Passed, plan.Checks(r.Kind)) {
				t.Errorf("from %s: %s ready=%t failing %+v skipped %+v\n%s", from, r.Kind, r.Ready, r.Failing, r.Skipped, r.Plan)
			}
		}
	}
	f.snapshots[east] = []rdstypes.DBClusterSnapshot{{DBClusterIdentifier: aws.String("todomgmt-us-east-1"),
		DBClusterSnapshotIdentifier: aws.String("rds:unplanned-global-failover-todomgmt-us-east-1-2026-11-01-08-00"),
		DBClusterSnapshotArn:        aws.String("arn:aws:rds:us-east-1:111122223333:cluster-snapshot:rds:unplanned-global-failover-todomgmt-us-east-1-2026-11-01-08-00"),
		SnapshotType:                aws.String("automated"), SnapshotCreateTime: aws.Time(time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC))}}
	f.clusters[westARN].proxyState, f.clusters[westARN].proxyReason = rdstypes.TargetStateUnavailable, rdstypes.TargetHealthReasonAuthFailure
	_, rs := o.Readiness(context.Background(), west, plan.Options{})
	want := map[failover.Kind][]plan.Check{
		failover.KindPlanned:   {plan.CheckProxyTarget},
		failover.KindUnplanned: {plan.CheckProxyTarget, plan.CheckRecoverySnapshot},
	}
	for _, r := range rs {
		var got []plan.Check
		for _, fi := range r.Failing {
			got = append(got, fi.Check)
		}
		if r.Ready || !slices.Equal(got, want[r.Kind]) {
			t.Errorf("%s: ready=%t failing %+v, want %v", r.Kind, r.Ready, r.Failing, want[r.Kind])
		}
	}
	if changes := f.Log("PutKey", "SwitchoverGlobalCluster", "FailoverGlobalCluster", "ModifyDBCluster", "ModifyGlobalCluster", "Invoke", "UpdateUserPool"); len(changes) != 0 {
		t.Errorf("readiness changed something: %q", changes)
	}
}
