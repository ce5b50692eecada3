package awsfailover

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	kvstypes "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// globalCluster is a canned DescribeGlobalClusters answer with writer as
// the writer's ARN.
func globalCluster(writer string) func(string, any) (any, error) {
	return func(string, any) (any, error) {
		var ms []rdstypes.GlobalClusterMember
		for _, arn := range []string{eastARN, westARN} {
			m := rdstypes.GlobalClusterMember{DBClusterArn: aws.String(arn), IsWriter: aws.Bool(arn == writer)}
			if arn != writer {
				m.SynchronizationStatus = rdstypes.GlobalClusterMemberSynchronizationStatusConnected
			}
			ms = append(ms, m)
		}
		return &rds.DescribeGlobalClustersOutput{GlobalClusters: []rdstypes.GlobalCluster{{
			GlobalClusterIdentifier: aws.String(global), Status: aws.String("available"), GlobalClusterMembers: ms,
		}}}, nil
	}
}

// members are the global cluster's members as Topology reports them, by
// ARN.
var members = map[string]failover.Member{
	eastARN: {Region: east, ID: eastARN, Name: "todomgmt-us-east-1"},
	westARN: {Region: west, ID: westARN, Name: "todomgmt-us-west-2"},
}

func TestSwitchoverIsCalledInTheWriterRegionWithTheTargetARN(t *testing.T) {
	for _, tt := range []struct {
		name, writer, target, wantRegion string
	}{
		{"primary to secondary", eastARN, westARN, east},
		{"failback after a failover", westARN, eastARN, west},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := awstest.NewRecorder(t)
			rec.Canned["DescribeGlobalClusters"] = globalCluster(tt.writer)
			rec.WireBody = func(awstest.WireCall) (int, string) { return 200, awstest.QueryResponse("SwitchoverGlobalCluster") }
			db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients()}
			// The members as Topology reports them: the plan's writer and target.
			writer, target := members[tt.writer], members[tt.target]
			writer.Writer = true
			if err := db.Switchover(context.Background(), writer, target); err != nil {
				t.Fatalf("Switchover: %v", err)
			}
			// The plan's writer says where to call: no second describe.
			if calls := rec.Calls(); len(calls) != 1 {
				t.Errorf("calls %+v, want SwitchoverGlobalCluster alone", calls)
			}
			calls := rec.Calls("SwitchoverGlobalCluster")
			if len(calls) != 1 {
				t.Fatalf("%d SwitchoverGlobalCluster calls, want 1", len(calls))
			}
			if calls[0].Region != tt.wantRegion {
				t.Errorf("called in %s, want the writer's region %s", calls[0].Region, tt.wantRegion)
			}
			in := calls[0].Input.(*rds.SwitchoverGlobalClusterInput)
			if got := aws.ToString(in.TargetDbClusterIdentifier); got != tt.target {
				t.Errorf("TargetDbClusterIdentifier %q, want the ARN %q", got, tt.target)
			}
			if got := aws.ToString(in.GlobalClusterIdentifier); got != global {
				t.Errorf("GlobalClusterIdentifier %q, want %q", got, global)
			}
			// On the wire: the regional endpoint, SigV4 scoped to it, the
			// ARN form-encoded.
			w := rec.Wire()
			if len(w) != 1 {
				t.Fatalf("%d wire requests, want 1", len(w))
			}
			if want := "rds." + tt.wantRegion + ".amazonaws.com"; w[0].URL.Host != want {
				t.Errorf("host %q, want %q", w[0].URL.Host, want)
			}
			if r, svc := awstest.CredentialScope(w[0].Header); r != tt.wantRegion || svc != "rds" {
				t.Errorf("signed for %s/%s, want %s/rds", r, svc, tt.wantRegion)
			}
			f := awstest.Form(t, w[0].Body)
			if f.Get("Action") != "SwitchoverGlobalCluster" || f.Get("TargetDbClusterIdentifier") != tt.target {
				t.Errorf("body %v, want Action=SwitchoverGlobalCluster TargetDbClusterIdentifier=%s", f, tt.target)
			}
		})
	}
}

func TestFailoverIsCalledInTheTargetRegion(t *testing.T) {
	for _, tt := range []struct {
		name          string
		allowDataLoss bool
		wantForm      map[string]string
		absent        string
	}{
		{"data loss allowed", true, map[string]string{"AllowDataLoss": "true"}, "Switchover"},
		{"switchover through failover", false, map[string]string{"Switchover": "true"}, "AllowDataLoss"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := awstest.NewRecorder(t)
			rec.WireBody = func(awstest.WireCall) (int, string) { return 200, awstest.QueryResponse("FailoverGlobalCluster") }
			db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients()}
			if err := db.Failover(context.Background(), failover.Member{Region: west, ID: westARN}, tt.allowDataLoss); err != nil {
				t.Fatalf("Failover: %v", err)
			}
			calls := rec.Calls()
			if len(calls) != 1 || calls[0].Op != "FailoverGlobalCluster" || calls[0].Region != west {
				t.Fatalf("calls %+v, want one FailoverGlobalCluster in %s (nothing in the lost region)", calls, west)
			}
			in := calls[0].Input.(*rds.FailoverGlobalClusterInput)
			if aws.ToString(in.TargetDbClusterIdentifier) != westARN {
				t.Errorf("TargetDbClusterIdentifier %q, want %q", aws.ToString(in.TargetDbClusterIdentifier), westARN)
			}
			w := rec.Wire()
			if len(w) != 1 || w[0].URL.Host != "rds.us-west-2.amazonaws.com" {
				t.Fatalf("wire %+v, want one request to rds.us-west-2.amazonaws.com", w)
			}
			f := awstest.Form(t, w[0].Body)
			for k, v := range tt.wantForm {
				if f.Get(k) != v {
					t.Errorf("%s=%q, want %q (body %s)", k, f.Get(k), v, w[0].Body)
				}
			}
			if f.Has(tt.absent) {
				t.Errorf("body has %s, which the API refuses together with the other flag", tt.absent)
			}
			if f.Get("TargetDbClusterIdentifier") != westARN {
				t.Errorf("TargetDbClusterIdentifier=%q on the wire, want %q", f.Get("TargetDbClusterIdentifier"), westARN)
			}
		})
	}
}

func TestDetachRemovesTheTargetInItsRegion(t *testing.T) {
	rec := awstest.NewRecorder(t)
	rec.WireBody = func(awstest.WireCall) (int, string) { return 200, awstest.QueryResponse("RemoveFromGlobalCluster") }
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients()}
	if err := db.Detach(context.Background(), failover.Member{Region: west, ID: westARN}); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	calls := rec.Calls()
	if len(calls) != 1 || calls[0].Op != "RemoveFromGlobalCluster" || calls[0].Region != west {
		t.Fatalf("calls %+v, want one RemoveFromGlobalCluster in %s", calls, west)
	}
	in := calls[0].Input.(*rds.RemoveFromGlobalClusterInput)
	if aws.ToString(in.DbClusterIdentifier) != westARN || aws.ToString(in.GlobalClusterIdentifier) != global {
		t.Errorf("input %+v, want DbClusterIdentifier=%s GlobalClusterIdentifier=%s", in, westARN, global)
	}
}

func TestMemberIDsMustBeARNs(t *testing.T) {
	rec := awstest.NewRecorder(t)
	db := &Database{GlobalClusterID: global, Regions: []string{east}, Clients: rec.Clients()}
	for name, call := range map[string]func() error{
		"switchover": func() error {
			return db.Switchover(context.Background(), members[eastARN], failover.Member{ID: "todomgmt-us-west-2"})
		},
		"failover": func() error {
			return db.Failover(context.Background(), failover.Member{ID: "todomgmt-us-west-2"}, true)
		},
		"detach": func() error { return db.Detach(context.Background(), failover.Member{ID: "todomgmt-us-west-2"}) },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "not a DB cluster ARN") {
			t.Errorf("%s with a cluster name: %v, want an ARN error", name, err)
		}
	}
	if n := len(rec.Calls()); n != 0 {
		t.Errorf("%d calls made with a bad ID", n)
	}
}

func TestTopology(t *testing.T) {
	rec := awstest.NewRecorder(t)
	now := time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)
	rec.Canned["DescribeGlobalClusters"] = func(region string, in any) (any, error) {
		out, _ := globalCluster(eastARN)(region, in)
		o := out.(*rds.DescribeGlobalClustersOutput)
		o.GlobalClusters[0].FailoverState = &rdstypes.FailoverState{Status: rdstypes.FailoverStatusPending, ToDbClusterArn: aws.String(westARN)}
		o.GlobalClusters[0].DeletionProtection = aws.Bool(true)
		return o, nil
	}
	rec.Canned["DescribeDBClusters"] = func(region string, in any) (any, error) {
		id := aws.ToString(in.(*rds.DescribeDBClustersInput).DBClusterIdentifier)
		c := rdstypes.DBCluster{DBClusterArn: aws.String(id), Status: aws.String("available"), EngineVersion: aws.String("8.0.mysql_aurora.3.08.0"),
			DBClusterMembers:   []rdstypes.DBClusterMember{{DBInstanceIdentifier: aws.String("i1")}},
			DeletionProtection: aws.Bool(true), BackupRetentionPeriod: aws.Int32(7)}
		if region == west {
			c.Status = aws.String("replicating-but-new-word")
			c.DBClusterMembers = append(c.DBClusterMembers, rdstypes.DBClusterMember{DBInstanceIdentifier: aws.String("i2")})
			c.DeletionProtection, c.BackupRetentionPeriod = aws.Bool(false), aws.Int32(1)
		}
		return &rds.DescribeDBClustersOutput{DBClusters: []rdstypes.DBCluster{c}}, nil
	}
	rec.Canned["ListMetrics"] = lagMetricsOf("todomgmt-us-west-2", east)
	rec.Canned["GetMetricData"] = func(region string, in any) (any, error) {
		// By query: the latest of each metric counts, when fresh; the
		// progress lag's latest is too old.
		series := map[string]cwtypes.MetricDataResult{
			"AuroraGlobalDBReplicationLag": {Timestamps: []time.Time{now.Add(-2 * time.Minute), now.Add(-time.Minute)}, Values: []float64{900, 120}},
			"AuroraGlobalDBRPOLag":         {Timestamps: []time.Time{now.Add(-time.Minute)}, Values: []float64{350}},
			"AuroraGlobalDBProgressLag":    {Timestamps: []time.Time{now.Add(-10 * time.Minute)}, Values: []float64{5000}},
		}
		out := &cloudwatch.GetMetricDataOutput{}
		for _, q := range in.(*cloudwatch.GetMetricDataInput).MetricDataQueries {
			r := series[aws.ToString(q.MetricStat.Metric.MetricName)]
			r.Id = q.Id
			out.MetricDataResults = append(out.MetricDataResults, r)
		}
		return out, nil
	}
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients(), Now: func() time.Time { return now }}
	top, err := db.Topology(context.Background())
	if err != nil {
		t.Fatalf("Topology: %v", err)
	}
	want := failover.Topology{ID: global, Status: "available", Operation: "pending", OperationTo: westARN, DeletionProtection: true, DeletionProtectionKnown: true, Members: []failover.Member{
		{Region: east, ID: eastARN, Name: "todomgmt-us-east-1", Writer: true, Status: "available", Instances: 1, EngineVersion: "8.0.mysql_aurora.3.08.0",
			DeletionProtection: true, BackupRetention: 7 * 24 * time.Hour, SafeguardsKnown: true},
		{Region: west, ID: westARN, Name: "todomgmt-us-west-2", Status: "replicating-but-new-word", Instances: 2, EngineVersion: "8.0.mysql_aurora.3.08.0",
			Sync: "connected", Lag: 350 * time.Millisecond, LagKnown: true, DeletionProtection: false, BackupRetention: 24 * time.Hour, SafeguardsKnown: true},
	}}
	if diff := cmp.Diff(want, top); diff != "" {
		t.Errorf("topology (-want +got):\n%s", diff)
	}
	for _, c := range rec.Calls("DescribeDBClusters") {
		id := aws.ToString(c.Input.(*rds.DescribeDBClustersInput).DBClusterIdentifier)
		ca, _ := ParseClusterARN(id)
		if ca.Region != c.Region {
			t.Errorf("DescribeDBClusters(%s) called in %s, want the member's region", id, c.Region)
		}
	}
	checkLagQueries(t, rec, now.Add(-15*time.Minute), now, 1)
}

// lagMetricsOf is a canned ListMetrics answer: the three lag metrics of
// the secondary cluster name, replicating from source, when the request
// filters on that cluster.
func lagMetricsOf(name, source string) func(string, any) (any, error) {
	return func(_ string, in any) (any, error) {
		out := &cloudwatch.ListMetricsOutput{}
		f := in.(*cloudwatch.ListMetricsInput).Dimensions
		if len(f) != 1 || aws.ToString(f[0].Name) != "DBClusterIdentifier" || aws.ToString(f[0].Value) != name {
			return out, nil
		}
		for _, m := range lagMetrics {
			out.Metrics = append(out.Metrics, cwtypes.Metric{Namespace: aws.String("AWS/RDS"), MetricName: aws.String(m), Dimensions: []cwtypes.Dimension{
				{Name: aws.String("DBClusterIdentifier"), Value: aws.String(name)}, {Name: aws.String("SourceRegion"), Value: aws.String(source)}}})
		}
		// Another metric of the cluster, not a lag: not read.
		out.Metrics = append(out.Metrics, cwtypes.Metric{Namespace: aws.String("AWS/RDS"), MetricName: aws.String("CPUUtilization"),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("DBClusterIdentifier"), Value: aws.String(name)}}})
		return out, nil
	}
}

// checkLagQueries checks that the secondary's lag was read in its own
// region, as the listed metrics with their exact dimensions (MetricStat,
// Maximum per minute), from start to end, in pages GetMetricData calls
// (the first is checked): no Metrics Insights query, of which a request
// may hold one only.
func checkLagQueries(t *testing.T, rec *awstest.Recorder, start, end time.Time, pages int) {
	t.Helper()
	lists := rec.Calls("ListMetrics")
	if len(lists) != 1 || lists[0].Region != west || aws.ToString(lists[0].Input.(*cloudwatch.ListMetricsInput).Namespace) != "AWS/RDS" {
		t.Fatalf("ListMetrics calls %+v, want one for AWS/RDS in the secondary's region %s", lists, west)
	}
	metrics := rec.Calls("GetMetricData")
	if len(metrics) != pages || metrics[0].Region != west {
		t.Fatalf("GetMetricData calls %+v, want %d in the secondary's region %s", metrics, pages, west)
	}
	in := metrics[0].Input.(*cloudwatch.GetMetricDataInput)
	if !aws.ToTime(in.StartTime).Equal(start) || !aws.ToTime(in.EndTime).Equal(end) {
		t.Errorf("window %s – %s, want %s – %s", aws.ToTime(in.StartTime), aws.ToTime(in.EndTime), start, end)
	}
	var got []string
	for _, q := range in.MetricDataQueries {
		if q.Expression != nil || q.MetricStat == nil {
			t.Fatalf("query %+v, want a MetricStat", q)
		}
		ms := q.MetricStat
		dims := map[string]string{}
		for _, d := range ms.Metric.Dimensions {
			dims[aws.ToString(d.Name)] = aws.ToString(d.Value)
		}
		if aws.ToString(ms.Stat) != "Maximum" || aws.ToInt32(ms.Period) != 60 || dims["DBClusterIdentifier"] != "todomgmt-us-west-2" || dims["SourceRegion"] != east {
			t.Errorf("query %s: stat %s period %d dimensions %v, want Maximum per 60 s of todomgmt-us-west-2 from %s", aws.ToString(q.Id), aws.ToString(ms.Stat), aws.ToInt32(ms.Period), dims, east)
		}
		got = append(got, aws.ToString(ms.Metric.MetricName))
	}
	if diff := cmp.Diff(lagMetrics, got); diff != "" {
		t.Errorf("metrics read (-want +got):\n%s", diff)
	}
}

func TestTopologyWithALostRegion(t *testing.T) {
	rec := awstest.NewRecorder(t)
	rec.Canned["DescribeGlobalClusters"] = func(region string, in any) (any, error) {
		if region == east {
			return nil, &net503{}
		}
		return globalCluster(eastARN)(region, in)
	}
	rec.Canned["DescribeDBClusters"] = func(region string, in any) (any, error) {
		if region == east {
			return nil, &net503{}
		}
		return &rds.DescribeDBClustersOutput{DBClusters: []rdstypes.DBCluster{{Status: aws.String("available"),
			DBClusterMembers: []rdstypes.DBClusterMember{{}}, EngineVersion: aws.String("v")}}}, nil
	}
	rec.Canned["ListMetrics"] = lagMetricsOf("todomgmt-us-west-2", east)
	rec.Canned["GetMetricData"] = func(string, any) (any, error) { return &cloudwatch.GetMetricDataOutput{}, nil }
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients()}
	top, err := db.Topology(context.Background())
	if err != nil {
		t.Fatalf("Topology with %s down: %v", east, err)
	}
	e, _ := top.Member(east)
	w, _ := top.Member(west)
	if e.Status != "" || !e.Writer || w.Status != "available" || w.LagKnown {
		t.Errorf("members %+v / %+v, want the lost writer with an unknown status and the secondary available with unknown lag", e, w)
	}
	if e.SafeguardsKnown {
		t.Errorf("the lost writer's safeguards are known (%+v), want unknown: its cluster was not described", e)
	}
}

// TestTopologySafeguardsUnknownUnlessTold: deletion protection and backup
// retention are optional in the GlobalCluster and DBCluster shapes of
// the RDS API reference; one that is absent is unknown, not off, and one
// told false is known and off.
func TestTopologySafeguardsUnknownUnlessTold(t *testing.T) {
	for _, tt := range []struct {
		name            string
		global          *bool
		protection      *bool
		retention       *int32
		want            failover.Member
		wantGlobal      bool
		wantGlobalKnown bool
	}{
		{name: "absent", want: failover.Member{}},
		{name: "retention absent", protection: aws.Bool(true), want: failover.Member{}},
		{name: "told off", global: aws.Bool(false), protection: aws.Bool(false), retention: aws.Int32(0),
			want: failover.Member{SafeguardsKnown: true}, wantGlobalKnown: true},
		{name: "told on", global: aws.Bool(true), protection: aws.Bool(true), retention: aws.Int32(35),
			want: failover.Member{DeletionProtection: true, BackupRetention: 35 * 24 * time.Hour, SafeguardsKnown: true}, wantGlobal: true, wantGlobalKnown: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := awstest.NewRecorder(t)
			rec.Canned["DescribeGlobalClusters"] = func(region string, in any) (any, error) {
				out, _ := globalCluster(eastARN)(region, in)
				o := out.(*rds.DescribeGlobalClustersOutput)
				o.GlobalClusters[0].DeletionProtection = tt.global
				return o, nil
			}
			rec.Canned["DescribeDBClusters"] = func(string, any) (any, error) {
				return &rds.DescribeDBClustersOutput{DBClusters: []rdstypes.DBCluster{{Status: aws.String("available"),
					DeletionProtection: tt.protection, BackupRetentionPeriod: tt.retention}}}, nil
			}
			rec.Canned["ListMetrics"] = func(string, any) (any, error) { return &cloudwatch.ListMetricsOutput{}, nil }
			db := &Database{GlobalClusterID: global, Regions: []string{east}, Clients: rec.Clients()}
			top, err := db.TopologyFrom(context.Background(), east)
			if err != nil {
				t.Fatal(err)
			}
			if top.DeletionProtection != tt.wantGlobal || top.DeletionProtectionKnown != tt.wantGlobalKnown {
				t.Errorf("global deletion protection %t (known %t), want %t (known %t)", top.DeletionProtection, top.DeletionProtectionKnown, tt.wantGlobal, tt.wantGlobalKnown)
			}
			for _, m := range top.Members {
				got := failover.Member{DeletionProtection: m.DeletionProtection, BackupRetention: m.BackupRetention, SafeguardsKnown: m.SafeguardsKnown}
				if got != tt.want {
					t.Errorf("%s: safeguards %+v, want %+v", m.Region, got, tt.want)
				}
			}
		})
	}
}

type net503 struct{}

func (*net503) Error() string { return "dial tcp: i/o timeout" }

func TestTopologyGlobalClusterNotFound(t *testing.T) {
	rec := awstest.NewRecorder(t)
	rec.Canned["DescribeGlobalClusters"] = func(string, any) (any, error) {
		return nil, &rdstypes.GlobalClusterNotFoundFault{Message: aws.String("not found")}
	}
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients()}
	_, err := db.Topology(context.Background())
	var nf *GlobalClusterNotFoundError
	if !errorsAs(err, &nf) {
		t.Fatalf("error %v, want *GlobalClusterNotFoundError", err)
	}
}

func TestRecoverySnapshot(t *testing.T) {
	rec := awstest.NewRecorder(t)
	t0 := time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)
	snap := func(cluster, id string, at time.Time) rdstypes.DBClusterSnapshot {
		return rdstypes.DBClusterSnapshot{DBClusterIdentifier: aws.String(cluster), DBClusterSnapshotIdentifier: aws.String(id), SnapshotCreateTime: aws.Time(at)}
	}
	// Two pages; the newest recovery snapshot is on the second. A cluster
	// whose name extends ours must not be taken for it.
	pages := map[string]*rds.DescribeDBClusterSnapshotsOutput{
		"": {Marker: aws.String("page2"), DBClusterSnapshots: []rdstypes.DBClusterSnapshot{
			snap("todomgmt-us-east-1", "rds:todomgmt-us-east-1-2026-11-04-03-00", t0),
			snap("todomgmt-us-east-1", "rds:unplanned-global-failover-todomgmt-us-east-1-2026-10-01-01-00", t0.Add(-time.Hour)),
		}},
		"page2": {DBClusterSnapshots: []rdstypes.DBClusterSnapshot{
			snap("todomgmt-us-east-1", "rds:unplanned-global-failover-todomgmt-us-east-1-2026-11-05-09-10", t0.Add(10*time.Minute)),
			snap("todomgmt-us-east-1-copy", "rds:unplanned-global-failover-todomgmt-us-east-1-copy-2026-11-05-09-20", t0.Add(20*time.Minute)),
		}},
	}
	rec.Canned["DescribeDBClusterSnapshots"] = func(_ string, in any) (any, error) {
		return pages[aws.ToString(in.(*rds.DescribeDBClusterSnapshotsInput).Marker)], nil
	}
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients()}
	got, err := db.RecoverySnapshot(context.Background(), members[eastARN])
	if err != nil {
		t.Fatal(err)
	}
	if want := "rds:unplanned-global-failover-todomgmt-us-east-1-2026-11-05-09-10"; got != want {
		t.Errorf("snapshot %q, want the newest recovery snapshot %q", got, want)
	}
	calls := rec.Calls("DescribeDBClusterSnapshots")
	if len(calls) != 2 {
		t.Fatalf("%d DescribeDBClusterSnapshots calls, want 2 (both pages)", len(calls))
	}
	for i, wantMarker := range []string{"", "page2"} {
		in := calls[i].Input.(*rds.DescribeDBClusterSnapshotsInput)
		if calls[i].Region != east || aws.ToString(in.Marker) != wantMarker || in.DBClusterIdentifier != nil {
			// DBClusterIdentifier must name an existing cluster: the
			// filter is applied on our side.
			t.Errorf("call %d: region %s marker %q DBClusterIdentifier %v, want %s, %q, none",
				i+1, calls[i].Region, aws.ToString(in.Marker), aws.ToString(in.DBClusterIdentifier), east, wantMarker)
		}
	}
}

func TestKVSRouter(t *testing.T) {
	for _, tt := range []struct {
		name      string
		current   *string // nil: key absent
		route     string
		wantPut   bool
		wantErr   string
		conflicts int
	}{
		{name: "moves the key with the ETag", current: aws.String(east), route: west, wantPut: true},
		{name: "already there: no write", current: aws.String(west), route: west},
		{name: "absent key", route: west, wantPut: true},
		{name: "conflict then success", current: aws.String(east), route: west, wantPut: true, conflicts: 1},
		{name: "not an origin", current: aws.String(east), route: "eu-west-1", wantErr: "not a front door origin"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := awstest.NewRecorder(t)
			etag := 0
			rec.Canned["GetKey"] = func(string, any) (any, error) {
				if tt.current == nil {
					return nil, &kvstypes.ResourceNotFoundException{Message: aws.String("no key")}
				}
				return &cloudfrontkeyvaluestore.GetKeyOutput{Key: aws.String(ActiveRegionKey), Value: tt.current}, nil
			}
			rec.Canned["DescribeKeyValueStore"] = func(string, any) (any, error) {
				etag++
				return &cloudfrontkeyvaluestore.DescribeKeyValueStoreOutput{ETag: aws.String("ETAG" + string(rune('0'+etag))), Status: aws.String("READY")}, nil
			}
			conflicts := tt.conflicts
			rec.Canned["PutKey"] = func(string, any) (any, error) {
				if conflicts > 0 {
					conflicts--
					return nil, &kvstypes.ConflictException{Message: aws.String("etag mismatch")}
				}
				return &cloudfrontkeyvaluestore.PutKeyOutput{ETag: aws.String("next")}, nil
			}
			r := &KVSRouter{ARN: kvsARN, Regions: []string{east, west}, Fallback: east, Client: rec.Clients().KVS}
			err := r.Route(context.Background(), tt.route)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Route error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Route: %v", err)
			}
			puts := rec.Calls("PutKey")
			if !tt.wantPut {
				if len(puts) != 0 {
					t.Errorf("%d PutKey calls, want none", len(puts))
				}
				return
			}
			if len(puts) != tt.conflicts+1 {
				t.Fatalf("%d PutKey calls, want %d", len(puts), tt.conflicts+1)
			}
			last := puts[len(puts)-1].Input.(*cloudfrontkeyvaluestore.PutKeyInput)
			want := &cloudfrontkeyvaluestore.PutKeyInput{KvsARN: aws.String(kvsARN), Key: aws.String(ActiveRegionKey), Value: aws.String(tt.route),
				IfMatch: aws.String("ETAG" + string(rune('0'+tt.conflicts+1)))}
			if diff := cmp.Diff(want, last, awstest.CmpIgnoreUnexported()); diff != "" {
				t.Errorf("PutKey input (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKVSRouterActive(t *testing.T) {
	for _, tt := range []struct {
		name     string
		value    *string
		noStore  bool // DescribeKeyValueStore: ResourceNotFoundException too
		want     string
		wantErr  string
		describe int // DescribeKeyValueStore calls
	}{
		{name: "set", value: aws.String(west), want: west},
		{name: "absent: the function's fallback", want: east, describe: 1},
		{name: "unknown value: the function's fallback", value: aws.String("mars-1"), want: east},
		// GetKey cannot tell a missing key from a missing store: a wrong
		// ARN must be an error, not "the primary is active".
		{name: "store missing: an error", noStore: true, wantErr: "KeyValueStore " + kvsARN + " does not exist", describe: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := awstest.NewRecorder(t)
			rec.Canned["GetKey"] = func(string, any) (any, error) {
				if tt.value == nil {
					return nil, &kvstypes.ResourceNotFoundException{Message: aws.String("not found")}
				}
				return &cloudfrontkeyvaluestore.GetKeyOutput{Value: tt.value}, nil
			}
			rec.Canned["DescribeKeyValueStore"] = func(string, any) (any, error) {
				if tt.noStore {
					return nil, &kvstypes.ResourceNotFoundException{Message: aws.String("not found")}
				}
				return &cloudfrontkeyvaluestore.DescribeKeyValueStoreOutput{ETag: aws.String("E1"), Status: aws.String("READY")}, nil
			}
			r := &KVSRouter{ARN: kvsARN, Regions: []string{east, west}, Fallback: east, Client: rec.Clients().KVS}
			got, err := r.Active(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Active = %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
			} else if err != nil || got != tt.want {
				t.Errorf("Active = %q, %v; want %q", got, err, tt.want)
			}
			calls := rec.Calls("DescribeKeyValueStore")
			if len(calls) != tt.describe {
				t.Fatalf("%d DescribeKeyValueStore calls, want %d", len(calls), tt.describe)
			}
			for _, c := range calls {
				if got := aws.ToString(c.Input.(*cloudfrontkeyvaluestore.DescribeKeyValueStoreInput).KvsARN); got != kvsARN {
					t.Errorf("DescribeKeyValueStore KvsARN %q, want %q", got, kvsARN)
				}
			}
		})
	}
}

// TestKVSRouterRouteToAMissingStore: a wrong ARN fails the route instead
// of writing to nowhere.
func TestKVSRouterRouteToAMissingStore(t *testing.T) {
	rec := awstest.NewRecorder(t)
	rec.Canned["GetKey"] = func(string, any) (any, error) {
		return nil, &kvstypes.ResourceNotFoundException{Message: aws.String("not found")}
	}
	rec.Canned["DescribeKeyValueStore"] = func(string, any) (any, error) {
		return nil, &kvstypes.ResourceNotFoundException{Message: aws.String("not found")}
	}
	r := &KVSRouter{ARN: kvsARN, Regions: []string{east, west}, Fallback: east, Client: rec.Clients().KVS}
	if err := r.Route(context.Background(), west); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Route to a missing store: %v, want an error", err)
	}
	if n := len(rec.Calls("PutKey")); n != 0 {
		t.Errorf("%d PutKey calls, want none", n)
	}
}

// TestKVSOnTheWire lets PutKey through to the wire: the SDK resolves the
// endpoint from the ARN, signs with SigV4A for every region, and sends
// the ETag as If-Match.
func TestKVSOnTheWire(t *testing.T) {
	rec := awstest.NewRecorder(t)
	rec.Canned["GetKey"] = func(string, any) (any, error) {
		return &cloudfrontkeyvaluestore.GetKeyOutput{Value: aws.String(east)}, nil
	}
	rec.Canned["DescribeKeyValueStore"] = func(string, any) (any, error) {
		return &cloudfrontkeyvaluestore.DescribeKeyValueStoreOutput{ETag: aws.String("KV123")}, nil
	}
	rec.WireBody = func(awstest.WireCall) (int, string) {
		return 200, `{"ETag":"KV124","ItemCount":1,"TotalSizeInBytes":20}`
	}
	r := &KVSRouter{ARN: kvsARN, Regions: []string{east, west}, Fallback: east, Client: rec.Clients().KVS}
	if err := r.Route(context.Background(), west); err != nil {
		t.Fatalf("Route: %v", err)
	}
	w := rec.Wire()
	if len(w) != 1 {
		t.Fatalf("%d wire requests, want 1 (PutKey)", len(w))
	}
	req := w[0]
	if req.Method != http.MethodPut || req.URL.Host != "111122223333.cloudfront-kvs.global.api.aws" {
		t.Errorf("%s %s, want PUT to 111122223333.cloudfront-kvs.global.api.aws", req.Method, req.URL.Host)
	}
	if !strings.HasSuffix(req.URL.EscapedPath(), "/keys/active-region") {
		t.Errorf("path %s, want it to end in /keys/active-region", req.URL.EscapedPath())
	}
	if got := req.Header.Get("If-Match"); got != "KV123" {
		t.Errorf("If-Match %q, want KV123", got)
	}
	if a := req.Header.Get("Authorization"); !strings.HasPrefix(a, "AWS4-ECDSA-P256-SHA256 ") {
		t.Errorf("Authorization %q, want a SigV4A signature", a)
	}
	if got := req.Header.Get("X-Amz-Region-Set"); got != "*" {
		t.Errorf("X-Amz-Region-Set %q, want *", got)
	}
	if !strings.Contains(req.Body, `"Value":"us-west-2"`) {
		t.Errorf("body %s, want Value us-west-2", req.Body)
	}
}

func TestMetricRouter(t *testing.T) {
	for _, tt := range []struct {
		route     string
		wantValue float64
		wantErr   bool
	}{
		{west, 0, false},
		{east, 1, false},
		{"eu-west-1", 0, true},
	} {
		t.Run(tt.route, func(t *testing.T) {
			rec := awstest.NewRecorder(t)
			rec.Canned["PutMetricData"] = func(string, any) (any, error) { return &cloudwatch.PutMetricDataOutput{}, nil }
			now := time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)
			r := &MetricRouter{AppName: "todomgmt", PrimaryRegion: east, StandbyRegion: west, AlarmName: "todomgmt-primary-enabled",
				Clients: rec.Clients(), Now: func() time.Time { return now }}
			err := r.Route(context.Background(), tt.route)
			if tt.wantErr {
				if err == nil || len(rec.Calls()) != 0 {
					t.Fatalf("Route(%s) = %v with %d calls, want an error and no call", tt.route, err, len(rec.Calls()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			calls := rec.Calls()
			if len(calls) != 1 || calls[0].Op != "PutMetricData" || calls[0].Region != west {
				t.Fatalf("calls %+v, want one PutMetricData in the standby region %s", calls, west)
			}
			want := &cloudwatch.PutMetricDataInput{Namespace: aws.String("ToDoMgmt/Routing"), MetricData: []cwtypes.MetricDatum{{
				MetricName: aws.String("PrimaryEnabled"), Dimensions: []cwtypes.Dimension{{Name: aws.String("AppName"), Value: aws.String("todomgmt")}},
				Value: aws.Float64(tt.wantValue), Unit: cwtypes.StandardUnitCount, Timestamp: aws.Time(now),
			}}}
			if diff := cmp.Diff(want, calls[0].Input, awstest.CmpIgnoreUnexported()); diff != "" {
				t.Errorf("PutMetricData input (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMetricRouterActive(t *testing.T) {
	for _, tt := range []struct {
		state cwtypes.StateValue
		want  string
	}{
		{cwtypes.StateValueAlarm, west},
		{cwtypes.StateValueOk, east},
		{cwtypes.StateValueInsufficientData, east},
	} {
		t.Run(string(tt.state), func(t *testing.T) {
			rec := awstest.NewRecorder(t)
			rec.Canned["DescribeAlarms"] = func(region string, in any) (any, error) {
				return &cloudwatch.DescribeAlarmsOutput{MetricAlarms: []cwtypes.MetricAlarm{{StateValue: tt.state}}}, nil
			}
			r := &MetricRouter{AppName: "todomgmt", PrimaryRegion: east, StandbyRegion: west, AlarmName: "todomgmt-primary-enabled", Clients: rec.Clients()}
			got, err := r.Active(context.Background())
			if err != nil || got != tt.want {
				t.Errorf("Active = %q, %v; want %q", got, err, tt.want)
			}
			c := rec.Calls()
			if len(c) != 1 || c[0].Region != west || c[0].Input.(*cloudwatch.DescribeAlarmsInput).AlarmNames[0] != "todomgmt-primary-enabled" {
				t.Errorf("calls %+v, want DescribeAlarms for the alarm in %s", c, west)
			}
		})
	}
}
