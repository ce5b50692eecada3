package awsfailover

import (
	"context"
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
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// TestProxyTargetsOnTheWire: the targets of the proxy's default target
// group, every page, in the proxy's region; the tracked cluster is not a
// target; an available instance in the READ_WRITE role is the writer's.
func TestProxyTargetsOnTheWire(t *testing.T) {
	rec := awstest.NewRecorder(t)
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
	rec.Canned["DescribeDBProxyTargets"] = func(_ string, in any) (any, error) {
		return pages[aws.ToString(in.(*rds.DescribeDBProxyTargetsInput).Marker)], nil
	}
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients(), Proxies: map[string]string{west: "todomgmt-proxy"}}
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
// snapshots over the fakes, from the topology and its member in that
// region: a recovery snapshot of the region's cluster is reported with
// its expiry (system snapshots go with the backup retention) and its
// manual copy, found by SourceDBClusterSnapshotArn.
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
		setup  func(*awstest.AWS)
		want   failover.Safeguards
	}{
		{"as deployed", west, func(*awstest.AWS) {}, failover.Safeguards{Known: true, Cluster: "todomgmt-us-west-2", DeletionProtection: true, GlobalDeletionProtection: true,
			WantDeletionProtection: true, BackupRetention: backupRetention, WantBackupRetention: backupRetention}},
		{"unprotected, shorter retention", west, func(f *awstest.AWS) {
			f.Clusters[westARN].Protected, f.Clusters[westARN].Retention, f.Global.Protected = false, 1, false
		}, failover.Safeguards{Known: true, Cluster: "todomgmt-us-west-2", WantDeletionProtection: true, BackupRetention: 24 * time.Hour, WantBackupRetention: backupRetention}},
		{"recovery snapshots, one copied", east, func(f *awstest.AWS) {
			f.Snapshots[east] = []rdstypes.DBClusterSnapshot{
				snap("todomgmt-us-east-1", "rds:todomgmt-us-east-1-2026-11-04-03-00", "automated", ""),
				snap("todomgmt-us-east-1", lost, "automated", ""),
				snap("todomgmt-us-east-1", kept, "automated", ""),
				snap("todomgmt-us-east-1", "lost-writes-2026-10-01", "manual", "arn:aws:rds:us-east-1:111122223333:cluster-snapshot:"+kept),
			}
		}, failover.Safeguards{Known: true, Cluster: "todomgmt-us-east-1", DeletionProtection: true, GlobalDeletionProtection: true,
			WantDeletionProtection: true, BackupRetention: backupRetention, WantBackupRetention: backupRetention,
			RecoverySnapshots: []failover.RecoverySnapshot{
				{Name: lost, Created: created, Expires: created.Add(backupRetention)},
				{Name: kept, Created: created, Expires: created.Add(backupRetention), CopiedTo: "lost-writes-2026-10-01"},
			}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := awstest.New(t, east)
			tt.setup(f)
			db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: f.Clients(),
				WantDeletionProtection: true, WantBackupRetention: backupRetention}
			top, err := db.Topology(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			m, ok := top.Member(tt.region)
			if !ok {
				t.Fatalf("no member in %s: %+v", tt.region, top)
			}
			got, err := db.Safeguards(context.Background(), top, m)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("safeguards of %s (-want +got):\n%s", tt.region, diff)
			}
		})
	}
}

// TestSafeguardsAskOnlyTheRegion: the safeguards of a member are what
// the topology told of it, with one call of their own,
// DescribeDBClusterSnapshots in the member's region (every page, without
// DBClusterIdentifier, which must name an existing cluster). No call at
// all when the topology did not tell them; a region that does not answer
// is an error (the plans record it as unknown).
func TestSafeguardsAskOnlyTheRegion(t *testing.T) {
	created := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	lost := "rds:unplanned-global-failover-todomgmt-us-west-2-2026-11-01-08-00"
	top := failover.Topology{ID: global, DeletionProtection: true, DeletionProtectionKnown: true}
	member := failover.Member{Region: west, ID: westARN, Name: "todomgmt-us-west-2", DeletionProtection: true, BackupRetention: 3 * 24 * time.Hour, SafeguardsKnown: true}
	for _, tt := range []struct {
		name      string
		top       failover.Topology
		m         failover.Member
		down      bool // the region's RDS API does not answer
		want      failover.Safeguards
		wantErr   string
		wantCalls int
	}{
		{name: "as the topology told", top: top, m: member, wantCalls: 2, want: failover.Safeguards{Known: true, Cluster: "todomgmt-us-west-2",
			DeletionProtection: true, GlobalDeletionProtection: true, WantDeletionProtection: true, BackupRetention: 3 * 24 * time.Hour, WantBackupRetention: backupRetention,
			RecoverySnapshots: []failover.RecoverySnapshot{{Name: lost, Created: created, Expires: created.Add(3 * 24 * time.Hour)}}}},
		{name: "the member's cluster was not described", top: top, m: failover.Member{Region: west, ID: westARN, Name: "todomgmt-us-west-2"},
			wantErr: "the cluster todomgmt-us-west-2 was not described in us-west-2 with the topology"},
		{name: "the global cluster's protection was not told", top: failover.Topology{ID: global}, m: member,
			wantErr: "the topology does not tell the deletion protection of the global cluster " + global},
		{name: "a member without a name", top: top, m: failover.Member{Region: west, ID: westARN, SafeguardsKnown: true},
			wantErr: "has no cluster name"},
		{name: "the region does not answer", top: top, m: member, down: true, wantCalls: 1, wantErr: "dial tcp: i/o timeout"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := awstest.NewRecorder(t)
			// Two pages: the recovery snapshot is on the second, beside
			// another cluster's.
			pages := map[string]*rds.DescribeDBClusterSnapshotsOutput{
				"": {Marker: aws.String("p2"), DBClusterSnapshots: []rdstypes.DBClusterSnapshot{{DBClusterIdentifier: aws.String("todomgmt-us-west-2"),
					DBClusterSnapshotIdentifier: aws.String("rds:todomgmt-us-west-2-2026-11-04-03-00"), SnapshotType: aws.String("automated"), SnapshotCreateTime: aws.Time(created)}}},
				"p2": {DBClusterSnapshots: []rdstypes.DBClusterSnapshot{
					{DBClusterIdentifier: aws.String("todomgmt-us-west-2"), DBClusterSnapshotIdentifier: aws.String(lost), SnapshotType: aws.String("automated"), SnapshotCreateTime: aws.Time(created)},
					{DBClusterIdentifier: aws.String("other"), DBClusterSnapshotIdentifier: aws.String("rds:unplanned-global-failover-other-2026-11-01-08-00"), SnapshotType: aws.String("automated")},
				}},
			}
			rec.Canned["DescribeDBClusterSnapshots"] = func(_ string, in any) (any, error) {
				if tt.down {
					return nil, &net503{}
				}
				return pages[aws.ToString(in.(*rds.DescribeDBClusterSnapshotsInput).Marker)], nil
			}
			db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients(),
				WantDeletionProtection: true, WantBackupRetention: backupRetention}
			got, err := db.Safeguards(context.Background(), tt.top, tt.m)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one containing %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			default:
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("safeguards (-want +got):\n%s", diff)
				}
			}
			calls := rec.Calls()
			if len(calls) != tt.wantCalls {
				t.Errorf("calls %+v, want %d", calls, tt.wantCalls)
			}
			for _, c := range calls {
				in, ok := c.Input.(*rds.DescribeDBClusterSnapshotsInput)
				if !ok || c.Region != west || in.DBClusterIdentifier != nil {
					t.Errorf("%s in %s (%+v), want DescribeDBClusterSnapshots in %s alone, without DBClusterIdentifier", c.Op, c.Region, c.Input, west)
				}
			}
		})
	}
}

// TestProberUserPool asks each region's Cognito for its own pool.
func TestProberUserPool(t *testing.T) {
	f := awstest.New(t, east)
	f.Pools["us-west-2_POOL"].Deleted = true
	p := &Prober{UserPools: map[string]string{east: "us-east-1_POOL", west: "us-west-2_POOL"}, Clients: f.Clients()}
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

	rec := awstest.NewRecorder(t)
	rec.Canned["DescribeUserPool"] = func(_ string, in any) (any, error) {
		return &cognitoidentityprovider.DescribeUserPoolOutput{UserPool: &cogtypes.UserPoolType{Id: in.(*cognitoidentityprovider.DescribeUserPoolInput).UserPoolId}}, nil
	}
	p = &Prober{UserPools: map[string]string{west: "us-west-2_POOL"}, Clients: rec.Clients()}
	if got, err := p.UserPool(context.Background(), west); err != nil || !got.OK {
		t.Fatalf("%+v, %v", got, err)
	}
	if c := rec.Calls(); len(c) != 1 || c[0].Op != "DescribeUserPool" || c[0].Region != west {
		t.Errorf("calls %+v, want one DescribeUserPool in %s", c, west)
	}
}
