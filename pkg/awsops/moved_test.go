package awsops

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

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
	f.Snapshots[east] = []rdstypes.DBClusterSnapshot{{DBClusterIdentifier: aws.String("todomgmt-us-east-1"),
		DBClusterSnapshotIdentifier: aws.String("rds:unplanned-global-failover-todomgmt-us-east-1-2026-11-01-08-00"),
		DBClusterSnapshotArn:        aws.String("arn:aws:rds:us-east-1:111122223333:cluster-snapshot:rds:unplanned-global-failover-todomgmt-us-east-1-2026-11-01-08-00"),
		SnapshotType:                aws.String("automated"), SnapshotCreateTime: aws.Time(time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC))}}
	f.Clusters[westARN].ProxyState, f.Clusters[westARN].ProxyReason = rdstypes.TargetStateUnavailable, rdstypes.TargetHealthReasonAuthFailure
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

// TestMigrateFunctionNames: the stack's MigrateFunctionName output, else
// the template's fixed name <AppName>-migrate, for a stack described
// before the output existed and for a stand-in.
func TestMigrateFunctionNames(t *testing.T) {
	f := awstest.New(t, east)
	f.Stacks[1].Outputs["MigrateFunctionName"] = "renamed-migrate"
	var out strings.Builder
	e := openEnv(t, f, &out)
	got := e.Database().MigrateFunctions
	if diff := cmp.Diff(map[string]string{east: "todomgmt-migrate", west: "renamed-migrate"}, got); diff != "" {
		t.Errorf("migrate functions (-want +got):\n%s", diff)
	}
	c := testConfig()
	c.Primary.Overrides["AppName"] = "acme"
	st := standIn(c.Secondary, c.AppName(), OpenOptions{KVSARN: kvsARN})
	if got := st.Output("MigrateFunctionName"); got != "acme-migrate" {
		t.Errorf("stand-in's MigrateFunctionName %q, want acme-migrate", got)
	}
}

func TestProxyHealthReadsEveryPage(t *testing.T) {
	rec := awstest.NewRecorder(t)
	target := func(typ rdstypes.TargetType, state rdstypes.TargetState) rdstypes.DBProxyTarget {
		return rdstypes.DBProxyTarget{Type: typ, TargetHealth: &rdstypes.TargetHealth{State: state}}
	}
	pages := map[string]*rds.DescribeDBProxyTargetsOutput{
		"": {Marker: aws.String("p2"), Targets: []rdstypes.DBProxyTarget{
			{Type: rdstypes.TargetTypeTrackedCluster},
			target(rdstypes.TargetTypeRdsInstance, rdstypes.TargetStateAvailable),
		}},
		"p2": {Targets: []rdstypes.DBProxyTarget{
			{Type: rdstypes.TargetTypeRdsInstance, TargetHealth: &rdstypes.TargetHealth{State: rdstypes.TargetStateUnavailable,
				Reason: rdstypes.TargetHealthReasonAuthFailure, Description: aws.String("secret mismatch")}},
		}},
	}
	rec.Canned["DescribeDBProxyTargets"] = func(_ string, in any) (any, error) {
		return pages[aws.ToString(in.(*rds.DescribeDBProxyTargetsInput).Marker)], nil
	}
	// What status shows is what Evaluate read through the database
	// adapter.
	e := &Env{Config: testConfig(), Clients: rec.Clients()}
	pt, err := e.Database().ProxyTargets(context.Background(), west)
	if err != nil {
		t.Fatal(err)
	}
	got := proxyHealth(pt)
	want := ProxyHealth{Available: 1, Total: 2, AuthFailures: 1, Detail: "UNAVAILABLE AUTH_FAILURE secret mismatch"}
	if got != want {
		t.Errorf("proxy health %+v, want %+v", got, want)
	}
	calls := rec.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2 (both pages)", len(calls))
	}
	for _, c := range calls {
		in := c.Input.(*rds.DescribeDBProxyTargetsInput)
		if c.Op != "DescribeDBProxyTargets" || c.Region != west || aws.ToString(in.DBProxyName) != "todomgmt-proxy" || in.TargetGroupName != nil {
			t.Errorf("call %s in %s proxy %q group %v, want DescribeDBProxyTargets in %s for todomgmt-proxy's default group",
				c.Op, c.Region, aws.ToString(in.DBProxyName), aws.ToString(in.TargetGroupName), west)
		}
	}
}

// TestRegionAlarmsOnTheWire: status asks each region's CloudWatch for the
// alarms in ALARM that notify the stack's alarm topic, every page; a
// stack without the topic output falls back to the alarms named
// <AppName>-*; the Route 53 routing alarm is marked as a route.
func TestRegionAlarmsOnTheWire(t *testing.T) {
	rec := awstest.NewRecorder(t)
	pages := map[string]*cloudwatch.DescribeAlarmsOutput{
		"": {NextToken: aws.String("p2"), MetricAlarms: []cwtypes.MetricAlarm{
			{AlarmName: aws.String("todomgmt-replication-lag"), StateReason: aws.String("Threshold Crossed")}}},
		"p2": {MetricAlarms: []cwtypes.MetricAlarm{
			{AlarmName: aws.String("todomgmt-primary-enabled"), StateReason: aws.String("PrimaryEnabled < 1")}}},
	}
	rec.Canned["DescribeAlarms"] = func(_ string, in any) (any, error) {
		return pages[aws.ToString(in.(*cloudwatch.DescribeAlarmsInput).NextToken)], nil
	}
	e := &Env{Config: testConfig(), Clients: rec.Clients()}
	st := &Stack{Region: west, Outputs: map[string]string{"AlarmTopicArn": awstest.TopicARN(west)}}
	got := regionAlarms(context.Background(), e, st, "todomgmt-primary-enabled")
	want := RegionAlarms{InAlarm: []Alarm{
		{Name: "todomgmt-primary-enabled", Reason: "PrimaryEnabled < 1", Routing: true},
		{Name: "todomgmt-replication-lag", Reason: "Threshold Crossed"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alarms (-want +got):\n%s", diff)
	}
	calls := rec.Calls("DescribeAlarms")
	if len(calls) != 2 {
		t.Fatalf("%d DescribeAlarms calls, want 2 (both pages)", len(calls))
	}
	in := calls[0].Input.(*cloudwatch.DescribeAlarmsInput)
	if calls[0].Region != west || in.StateValue != cwtypes.StateValueAlarm || aws.ToString(in.ActionPrefix) != awstest.TopicARN(west) || in.AlarmNamePrefix != nil || len(in.AlarmNames) != 0 {
		t.Errorf("DescribeAlarms in %s with %+v, want StateValue ALARM and ActionPrefix %s in %s", calls[0].Region, *in, awstest.TopicARN(west), west)
	}
	// An older stack without the topic output.
	old := &Stack{Region: east, Outputs: map[string]string{}}
	regionAlarms(context.Background(), e, old, "")
	calls = rec.Calls("DescribeAlarms")
	in = calls[len(calls)-1].Input.(*cloudwatch.DescribeAlarmsInput)
	if aws.ToString(in.AlarmNamePrefix) != "todomgmt-" || in.ActionPrefix != nil {
		t.Errorf("without AlarmTopicArn: %+v, want AlarmNamePrefix todomgmt-", *in)
	}
	// A region that does not answer says so.
	rec.Canned["DescribeAlarms"] = func(string, any) (any, error) { return nil, errors.New("dial tcp: i/o timeout") }
	if a := regionAlarms(context.Background(), e, st, ""); a.Err == nil || !strings.Contains(a.Err.Error(), "CloudWatch in us-west-2 does not answer") || a.String() != "unknown" {
		t.Errorf("region down: %+v, want an error naming the region and \"unknown\"", a)
	}
}

// TestSecretsReport: the primary's secrets are described in the primary
// region; their replica in the secondary's region is reported with its
// status and whether its key is that region's own (ReplicationStatus
// gives the key as an ARN, a key id or an alias).
func TestSecretsReport(t *testing.T) {
	for _, tt := range []struct {
		name, key string
		status    smtypes.StatusType
		own       bool
		problem   string
	}{
		{"in sync on the region's key (ARN)", "arn:aws:kms:us-west-2:111122223333:key/key-us-west-2", smtypes.StatusTypeInSync, true, ""},
		{"in sync on the region's key (key id)", "key-us-west-2", smtypes.StatusTypeInSync, true, ""},
		{"in sync on the region's key (alias)", "alias/todomgmt-db", smtypes.StatusTypeInSync, true, ""},
		{"first pass: the AWS managed key", "alias/aws/secretsmanager", smtypes.StatusTypeInSync, false, ""},
		{"failed", "key-us-west-2", smtypes.StatusTypeFailed, true, "failed to replicate (KMS access denied)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := awstest.NewRecorder(t)
			rec.Canned["DescribeSecret"] = func(region string, in any) (any, error) {
				return &secretsmanager.DescribeSecretOutput{ARN: in.(*secretsmanager.DescribeSecretInput).SecretId, ReplicationStatus: []smtypes.ReplicationStatusType{
					{Region: aws.String("eu-west-1"), Status: smtypes.StatusTypeFailed},
					{Region: aws.String(west), Status: tt.status, StatusMessage: aws.String("KMS access denied"), KmsKeyId: aws.String(tt.key)},
				}}, nil
			}
			e := &Env{Config: testConfig(), Clients: rec.Clients(),
				Primary:   &Stack{Region: east, Outputs: map[string]string{"MasterSecretArn": awstest.MasterSecretARN, "AppSecretArn": awstest.AppSecretARN}},
				Secondary: &Stack{Region: west, Outputs: map[string]string{"DbKeyArn": "arn:aws:kms:us-west-2:111122223333:key/key-us-west-2"}}}
			rep := secretsReport(context.Background(), e)
			if rep.Err != nil || len(rep.Replicas) != 2 {
				t.Fatalf("report %+v, want two replicas", rep)
			}
			for _, r := range rep.Replicas {
				if r.Region != west || r.Status != string(tt.status) || r.OwnKey != tt.own {
					t.Errorf("replica %+v, want %s %s own key %t", r, west, tt.status, tt.own)
				}
			}
			probs := strings.Join(rep.problems(), "\n")
			if tt.problem == "" && probs != "" || tt.problem != "" && !strings.Contains(probs, tt.problem) {
				t.Errorf("problems %q, want %q", probs, tt.problem)
			}
			for _, c := range rec.Calls("DescribeSecret") {
				if c.Region != east {
					t.Errorf("DescribeSecret in %s, want the primary region %s", c.Region, east)
				}
			}
		})
	}
}
