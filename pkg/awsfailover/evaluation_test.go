package awsfailover

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// TestEvaluationDescribesEachClusterOnce records the SDK calls of one
// whole evaluation over these adapters (real SDK clients answered by the
// stateful fake): the global cluster is described once per region asked
// for it (Evaluate asks both at once and takes the first answer; the
// readiness of one region asks that region alone), and each member
// cluster once, in its own region, by the topology. The safeguards are
// what that describe told, with the snapshots read in each member's
// region: no second describe of either.
func TestEvaluationDescribesEachClusterOnce(t *testing.T) {
	for _, tt := range []struct {
		name string
		eval func(context.Context, *orchestrator.Orchestrator) failover.State
		// globalIn are the regions DescribeGlobalClusters goes to, each
		// once.
		globalIn []string
	}{
		{"evaluate", func(ctx context.Context, o *orchestrator.Orchestrator) failover.State { return o.Evaluate(ctx) }, []string{east, west}},
		{"readiness from the passive region", func(ctx context.Context, o *orchestrator.Orchestrator) failover.State {
			s, _ := o.Readiness(ctx, west, plan.Options{})
			return s
		}, []string{west}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, api := awstest.NewDeployment(t, east)
			// Distinct settings per cluster, so that each region's
			// safeguards must come from its own member.
			f.Clusters[westARN].Protected, f.Clusters[westARN].Retention = false, 1
			rec := awstest.NewRecorder(t)
			rec.AnswerFrom(f.Clients())
			clients := rec.Clients()
			o := &orchestrator.Orchestrator{
				DB: &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: clients,
					Proxies:                map[string]string{east: "todomgmt-proxy", west: "todomgmt-proxy"},
					WantDeletionProtection: true, WantBackupRetention: backupRetention, Now: f.Clock.Now},
				Router: &KVSRouter{ARN: kvsARN, Regions: []string{east, west}, Fallback: east, Client: clients.KVS},
				Prober: &Prober{Prober: &apiclient.Prober{APIs: map[string]string{east: api.APIURL(east), west: api.APIURL(west)}, HTTP: api.Server.Client()},
					UserPools: map[string]string{east: "us-east-1_POOL", west: "us-west-2_POOL"}, Clients: clients},
				Regions:  []string{east, west},
				Timeouts: orchestrator.Timeouts{Probe: 10 * time.Second},
			}
			s := tt.eval(context.Background(), o)
			if s.TopologyErr != nil {
				t.Fatalf("topology: %v", s.TopologyErr)
			}

			globals := map[string]int{}
			for _, c := range rec.Calls("DescribeGlobalClusters") {
				globals[c.Region]++
			}
			for _, r := range tt.globalIn {
				if globals[r] > 1 {
					t.Errorf("%d DescribeGlobalClusters in %s, want at most 1: the topology's (calls by region %v)", globals[r], r, globals)
				}
			}
			for r := range globals {
				if !slices.Contains(tt.globalIn, r) {
					t.Errorf("DescribeGlobalClusters in %s, want only in %v", r, tt.globalIn)
				}
			}
			if n := len(rec.Calls("DescribeGlobalClusters")); n < 1 || n > len(tt.globalIn) {
				t.Errorf("%d DescribeGlobalClusters (by region %v), want one in each of %v at most, and at least one", n, globals, tt.globalIn)
			}
			described := map[string]int{}
			for _, c := range rec.Calls("DescribeDBClusters") {
				arn := aws.ToString(c.Input.(*rds.DescribeDBClustersInput).DBClusterIdentifier)
				described[arn]++
				if m, ok := s.Topology.MemberByID(arn); !ok || m.Region != c.Region {
					t.Errorf("DescribeDBClusters(%s) in %s, want a member described in its own region", arn, c.Region)
				}
			}
			for _, m := range s.Topology.Members {
				if described[m.ID] != 1 {
					t.Errorf("%s described %d times, want once per evaluation (calls %v)", m.Name, described[m.ID], described)
				}
			}
			if n := len(rec.Calls("DescribeDBClusters")); n != len(s.Topology.Members) {
				t.Errorf("%d DescribeDBClusters, want %d: one per member", n, len(s.Topology.Members))
			}
			for _, c := range rec.Calls("DescribeDBClusterSnapshots") {
				if _, ok := s.Topology.Member(c.Region); !ok {
					t.Errorf("DescribeDBClusterSnapshots in %s, where the topology has no member", c.Region)
				}
			}

			// What the safeguards say came from those describes.
			for _, want := range []failover.Safeguards{
				{Region: east, Known: true, Cluster: "todomgmt-us-east-1", DeletionProtection: true, GlobalDeletionProtection: true,
					WantDeletionProtection: true, BackupRetention: backupRetention, WantBackupRetention: backupRetention},
				{Region: west, Known: true, Cluster: "todomgmt-us-west-2", DeletionProtection: false, GlobalDeletionProtection: true,
					WantDeletionProtection: true, BackupRetention: 24 * time.Hour, WantBackupRetention: backupRetention},
			} {
				if diff := cmp.Diff(want, s.Safeguards[want.Region]); diff != "" {
					t.Errorf("safeguards of %s (-want +got):\n%s", want.Region, diff)
				}
			}
			t.Logf("calls: %d DescribeGlobalClusters %v, %d DescribeDBClusters %v, %d DescribeDBClusterSnapshots",
				len(rec.Calls("DescribeGlobalClusters")), globals, len(rec.Calls("DescribeDBClusters")), described, len(rec.Calls("DescribeDBClusterSnapshots")))
		})
	}
}
