package awsops

// Hand-written, stateful fakes of the narrow AWS interfaces, for the
// logic tests (destroy, status, deploy, smoke). They enforce the rules the
// logic must respect: a call for a cluster goes to the cluster's region, a
// writer cannot leave the global cluster before its readers, a stack whose
// cluster is still a member (or protected) fails to delete, a global
// cluster with members cannot be deleted.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	kvstypes "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	cogtypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

type fakeCluster struct {
	ca         ClusterARN
	protected  bool
	instances  int
	status     string
	engine     string
	deleted    bool
	proxyState rdstypes.TargetState
	// proxyReason is the reason the proxy gives for an unavailable
	// target; "" is CONNECTION_FAILED.
	proxyReason rdstypes.TargetHealthReason
	// retention is the BackupRetentionPeriod in days.
	retention int32
}

// fakePool is a Cognito user pool: UpdateUserPool resets what a request
// leaves out, as the real API does.
type fakePool struct {
	protected bool
	adminOnly bool
	tier      cogtypes.UserPoolTierType
	deleted   bool
}

type fakeGlobal struct {
	id        string
	protected bool
	members   []string // ARNs
	writer    string
}

type fakeStack struct {
	st         Stack
	cluster    string // ARN of the stack's cluster
	pool       string // id of the stack's user pool
	ownsGlobal bool
	deleting   bool
	polls      int
	failOnce   string // a reason to fail the next deletion with
	events     []cfntypes.StackEvent
	// resources are the stack's resources, as its processed template
	// (type, DeletionPolicy) and its resource list (physical id) say.
	resources []fakeResource
}

type fakeResource struct {
	logical, typ, physical, policy string
}

// policyOf returns the DeletionPolicy of the stack's resource of type typ.
func (s *fakeStack) policyOf(typ string) string {
	for _, r := range s.resources {
		if r.typ == typ {
			return r.policy
		}
	}
	return ""
}

// olderTemplate makes every stack's user pool one the template deletes
// (the template before the pools were retained).
func (f *fakeAWS) olderTemplate() {
	for _, st := range f.stacks {
		for i, r := range st.resources {
			if r.typ == "AWS::Cognito::UserPool" || r.typ == "AWS::Cognito::UserPoolClient" {
				st.resources[i].policy = "Delete"
			}
		}
	}
}

type fakeAWS struct {
	tb        testing.TB
	mu        sync.Mutex
	log       []string
	global    *fakeGlobal
	clusters  map[string]*fakeCluster
	stacks    []*fakeStack
	snapshots map[string][]rdstypes.DBClusterSnapshot // by region
	alarms    map[string]cwtypes.StateValue           // by alarm name
	// regionAlarms are the metric alarms of each region that status
	// reads (DescribeAlarms by state and action or name prefix).
	regionAlarms map[string][]cwtypes.MetricAlarm
	// cwDown makes a region's CloudWatch fail every call.
	cwDown map[string]error
	// replicas are the replication status of each primary secret, by ARN.
	replicas map[string][]smtypes.ReplicationStatusType
	metrics  []string
	kvsValue *string
	kvsETag  int
	secrets  map[string]string // user pool id → client secret
	pools    map[string]*fakePool
	// A region that is down: CloudFormation's answer there, or no
	// answer at all from CloudFormation or Cognito (the call hangs).
	cfnDown     map[string]error
	cfnHang     map[string]bool
	cognitoHang map[string]bool
	cacheDir    string
	clock       *testClock
	// lagHistory holds a secondary's published lag datapoints by
	// cluster name; without one, a secondary's metrics answer 150 ms a
	// little before the end of whatever window is asked for.
	lagHistory map[string][]lagPoint
	// The id fence the store keeps in the writer's database: the region
	// whose writer may create, its term and the largest id.
	fence fakeFence
}

// The primary's DB secrets; their replicas in us-west-2 have these ARNs
// with the region replaced.
const (
	masterSecretARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:todomgmt/db/master-AbCdEf"
	appSecretARN    = "arn:aws:secretsmanager:us-east-1:111122223333:secret:todomgmt/db/app-GhIjKl"
)

type fakeFence struct {
	region string
	term   int64
	maxID  int64
}

// newFakeAWS is a healthy two-region deployment; writer names the region
// whose cluster is the writer (after a failover it is the secondary's).
func newFakeAWS(tb testing.TB, writer string) *fakeAWS {
	f := &fakeAWS{tb: tb, clusters: map[string]*fakeCluster{}, snapshots: map[string][]rdstypes.DBClusterSnapshot{},
		clock:  &testClock{now: time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)},
		alarms: map[string]cwtypes.StateValue{}, secrets: map[string]string{"us-east-1_POOL": "s3cr3t-east", "us-west-2_POOL": "s3cr3t-west"},
		pools: map[string]*fakePool{}, cfnDown: map[string]error{}, cfnHang: map[string]bool{}, cognitoHang: map[string]bool{}, cacheDir: tb.TempDir(),
		regionAlarms: map[string][]cwtypes.MetricAlarm{}, cwDown: map[string]error{}, replicas: map[string][]smtypes.ReplicationStatusType{}}
	for _, arn := range []string{masterSecretARN, appSecretARN} {
		f.replicas[arn] = []smtypes.ReplicationStatusType{{Region: aws.String(west), Status: smtypes.StatusTypeInSync,
			KmsKeyId: aws.String("arn:aws:kms:us-west-2:111122223333:key/key-us-west-2")}}
	}
	for _, arn := range []string{eastARN, westARN} {
		ca, _ := ParseClusterARN(arn)
		f.clusters[arn] = &fakeCluster{ca: ca, protected: true, instances: 1, status: "available", engine: "8.0.mysql_aurora.3.08.0", proxyState: rdstypes.TargetStateAvailable, retention: 7}
	}
	w := eastARN
	if writer == west {
		w = westARN
	}
	f.global = &fakeGlobal{id: global, protected: true, members: []string{eastARN, westARN}, writer: w}
	for _, x := range []struct {
		role, region, name, arn string
	}{{RolePrimary, east, "todomgmt-primary", eastARN}, {RoleSecondary, west, "todomgmt-secondary", westARN}} {
		ca, _ := ParseClusterARN(x.arn)
		fs := &fakeStack{cluster: x.arn, pool: x.region + "_POOL", ownsGlobal: x.role == RolePrimary, resources: []fakeResource{
			{"DbKey", "AWS::KMS::Key", "key-" + x.region, "Retain"},
			{"DbCluster", "AWS::RDS::DBCluster", ca.Name, "Snapshot"},
			{"ApiFunction", "AWS::Lambda::Function", "fn", ""},
			{"UserPool", "AWS::Cognito::UserPool", x.region + "_POOL", "Retain"},
			{"AppClient", "AWS::Cognito::UserPoolClient", "client-" + x.region, "Retain"},
		}}
		if x.role == RolePrimary {
			fs.resources = append(fs.resources,
				fakeResource{"MasterSecret", "AWS::SecretsManager::Secret", masterSecretARN, "Retain"},
				fakeResource{"AppSecret", "AWS::SecretsManager::Secret", appSecretARN, "Retain"})
		}
		// LITE, not the default ESSENTIALS, so a reset shows.
		f.pools[fs.pool] = &fakePool{protected: true, adminOnly: true, tier: cogtypes.UserPoolTierTypeLite}
		fs.st = Stack{Name: x.name, ID: "arn:aws:cloudformation:" + x.region + ":111122223333:stack/" + x.name + "/1", Region: x.region,
			Status: "UPDATE_COMPLETE", Parameters: map[string]string{"Role": x.role, "PeerUserPoolArn": "", "PeerApiDomain": ""},
			Outputs: map[string]string{
				"Region": x.region, "Role": x.role, "ClusterArn": x.arn, "GlobalClusterIdentifier": global,
				"UserPoolId": x.region + "_POOL", "AppClientId": "client-" + x.region, "TokenUrl": "https://auth." + x.region + ".example/oauth2/token",
				"UserPoolArn": "arn:aws:cognito-idp:" + x.region + ":111122223333:userpool/" + x.region + "_POOL",
				"ApiDomain":   "api-" + x.region + ".execute-api." + x.region + ".amazonaws.com",
				"ApiUrl":      "https://api-" + x.region + ".execute-api." + x.region + ".amazonaws.com/prod",
				"ProxyName":   "todomgmt-proxy", "FrontDoorMode": "cloudfront",
				"DbKeyArn":      "arn:aws:kms:" + x.region + ":111122223333:key/key-" + x.region,
				"AlarmTopicArn": topicARN(x.region),
				"DashboardUrl":  "https://console.aws.amazon.com/cloudwatch/home?region=" + x.region + "#dashboards/dashboard/todomgmt-" + x.region,
			}}
		if x.role == RolePrimary {
			fs.st.Outputs["KeyValueStoreArn"] = kvsARN
			fs.st.Outputs["FrontDoorUrl"] = "https://d111.cloudfront.net"
			fs.st.Outputs["MasterSecretArn"] = masterSecretARN
			fs.st.Outputs["AppSecretArn"] = appSecretARN
		}
		f.stacks = append(f.stacks, fs)
	}
	f.kvsValue = aws.String(writer)
	f.fence = fakeFence{region: writer, term: 1, maxID: 100}
	f.lagHistory = map[string][]lagPoint{}
	return f
}

func (f *fakeAWS) record(region, format string, args ...any) {
	f.log = append(f.log, region+" "+fmt.Sprintf(format, args...))
}

// Log returns the recorded calls whose operation is one of ops (all when
// none given).
func (f *fakeAWS) Log(ops ...string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, l := range f.log {
		op := strings.Fields(l)[1]
		if len(ops) == 0 || slices.Contains(ops, op) {
			out = append(out, l)
		}
	}
	return out
}

func (f *fakeAWS) clients() *awsclient.Clients {
	return &awsclient.Clients{
		RDS:            func(r string) awsclient.RDSAPI { return fakeRDS{f, r} },
		CloudWatch:     func(r string) awsclient.CloudWatchAPI { return fakeCW{f, r} },
		CloudFormation: func(r string) awsclient.CloudFormationAPI { return fakeCFN{f, r} },
		Cognito:        func(r string) awsclient.CognitoAPI { return fakeCognito{f, r} },
		Lambda:         func(r string) awsclient.LambdaAPI { return fakeLambda{f, r} },
		SecretsManager: func(r string) awsclient.SecretsManagerAPI { return fakeSM{f, r} },
		KVS:            fakeKVS{f},
	}
}

func (f *fakeAWS) cluster(region, id string) (*fakeCluster, error) {
	for _, c := range f.clusters {
		if (c.ca.ARN == id || c.ca.Name == id) && !c.deleted {
			if c.ca.Region != region {
				return nil, fmt.Errorf("cluster %s asked for in %s, it lives in %s", id, region, c.ca.Region)
			}
			return c, nil
		}
	}
	return nil, &rdstypes.DBClusterNotFoundFault{Message: aws.String(id)}
}

// fakeRDS is the RDS API of one region.
type fakeRDS struct {
	f      *fakeAWS
	region string
}

func (r fakeRDS) DescribeGlobalClusters(_ context.Context, in *rds.DescribeGlobalClustersInput, _ ...func(*rds.Options)) (*rds.DescribeGlobalClustersOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.global == nil || aws.ToString(in.GlobalClusterIdentifier) != f.global.id {
		return nil, &rdstypes.GlobalClusterNotFoundFault{Message: aws.String("no such global cluster")}
	}
	gc := rdstypes.GlobalCluster{GlobalClusterIdentifier: aws.String(f.global.id), Status: aws.String("available"), DeletionProtection: aws.Bool(f.global.protected)}
	for _, m := range f.global.members {
		gm := rdstypes.GlobalClusterMember{DBClusterArn: aws.String(m), IsWriter: aws.Bool(m == f.global.writer)}
		if m != f.global.writer {
			gm.SynchronizationStatus = rdstypes.GlobalClusterMemberSynchronizationStatusConnected
		}
		gc.GlobalClusterMembers = append(gc.GlobalClusterMembers, gm)
	}
	return &rds.DescribeGlobalClustersOutput{GlobalClusters: []rdstypes.GlobalCluster{gc}}, nil
}

func (r fakeRDS) DescribeDBClusters(_ context.Context, in *rds.DescribeDBClustersInput, _ ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.cluster(r.region, aws.ToString(in.DBClusterIdentifier))
	if err != nil {
		return nil, err
	}
	out := rdstypes.DBCluster{DBClusterArn: aws.String(c.ca.ARN), DBClusterIdentifier: aws.String(c.ca.Name), Status: aws.String(c.status),
		EngineVersion: aws.String(c.engine), DeletionProtection: aws.Bool(c.protected), EnabledCloudwatchLogsExports: []string{"error", "slowquery"},
		BackupRetentionPeriod: aws.Int32(c.retention)}
	for range c.instances {
		out.DBClusterMembers = append(out.DBClusterMembers, rdstypes.DBClusterMember{})
	}
	return &rds.DescribeDBClustersOutput{DBClusters: []rdstypes.DBCluster{out}}, nil
}

func (r fakeRDS) SwitchoverGlobalCluster(_ context.Context, in *rds.SwitchoverGlobalClusterInput, _ ...func(*rds.Options)) (*rds.SwitchoverGlobalClusterOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	target := aws.ToString(in.TargetDbClusterIdentifier)
	f.record(r.region, "SwitchoverGlobalCluster %s", target)
	if w, _ := ParseClusterARN(f.global.writer); w.Region != r.region {
		return nil, fmt.Errorf("switchover called in %s, the writer is in %s", r.region, w.Region)
	}
	if !slices.Contains(f.global.members, target) {
		return nil, &rdstypes.DBClusterNotFoundFault{Message: aws.String(target + " is not a member (an ARN is needed)")}
	}
	f.global.writer = target
	return &rds.SwitchoverGlobalClusterOutput{}, nil
}

func (r fakeRDS) FailoverGlobalCluster(_ context.Context, in *rds.FailoverGlobalClusterInput, _ ...func(*rds.Options)) (*rds.FailoverGlobalClusterOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	target := aws.ToString(in.TargetDbClusterIdentifier)
	f.record(r.region, "FailoverGlobalCluster %s allowDataLoss=%t", target, aws.ToBool(in.AllowDataLoss))
	if t, _ := ParseClusterARN(target); t.Region != r.region {
		return nil, fmt.Errorf("failover called in %s, the target is in %s", r.region, t.Region)
	}
	f.global.writer = target
	return &rds.FailoverGlobalClusterOutput{}, nil
}

func (r fakeRDS) RemoveFromGlobalCluster(_ context.Context, in *rds.RemoveFromGlobalClusterInput, _ ...func(*rds.Options)) (*rds.RemoveFromGlobalClusterOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	arn := aws.ToString(in.DbClusterIdentifier)
	f.record(r.region, "RemoveFromGlobalCluster %s", arn)
	c, err := f.cluster(r.region, arn)
	if err != nil {
		return nil, err
	}
	if f.global == nil || !slices.Contains(f.global.members, arn) {
		return nil, &rdstypes.GlobalClusterNotFoundFault{Message: aws.String("not a member")}
	}
	if arn == f.global.writer && len(f.global.members) > 1 {
		return nil, &rdstypes.InvalidGlobalClusterStateFault{Message: aws.String("remove the secondary clusters before the primary")}
	}
	f.global.members = slices.DeleteFunc(f.global.members, func(m string) bool { return m == arn })
	_ = c
	return &rds.RemoveFromGlobalClusterOutput{}, nil
}

func (r fakeRDS) ModifyDBCluster(_ context.Context, in *rds.ModifyDBClusterInput, _ ...func(*rds.Options)) (*rds.ModifyDBClusterOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r.region, "ModifyDBCluster %s protection=%t", aws.ToString(in.DBClusterIdentifier), aws.ToBool(in.DeletionProtection))
	c, err := f.cluster(r.region, aws.ToString(in.DBClusterIdentifier))
	if err != nil {
		return nil, err
	}
	c.protected = aws.ToBool(in.DeletionProtection)
	return &rds.ModifyDBClusterOutput{}, nil
}

func (r fakeRDS) ModifyGlobalCluster(_ context.Context, in *rds.ModifyGlobalClusterInput, _ ...func(*rds.Options)) (*rds.ModifyGlobalClusterOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r.region, "ModifyGlobalCluster protection=%t", aws.ToBool(in.DeletionProtection))
	f.global.protected = aws.ToBool(in.DeletionProtection)
	return &rds.ModifyGlobalClusterOutput{}, nil
}

func (r fakeRDS) DeleteGlobalCluster(_ context.Context, in *rds.DeleteGlobalClusterInput, _ ...func(*rds.Options)) (*rds.DeleteGlobalClusterOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r.region, "DeleteGlobalCluster %s", aws.ToString(in.GlobalClusterIdentifier))
	return nil, f.deleteGlobal()
}

func (f *fakeAWS) deleteGlobal() error {
	switch {
	case f.global == nil:
		return &rdstypes.GlobalClusterNotFoundFault{Message: aws.String("gone")}
	case len(f.global.members) > 0:
		return &rdstypes.InvalidGlobalClusterStateFault{Message: aws.String("the global cluster still has members")}
	case f.global.protected:
		return &rdstypes.InvalidGlobalClusterStateFault{Message: aws.String("deletion protection is on")}
	}
	f.global = nil
	return nil
}

func (r fakeRDS) DescribeDBClusterSnapshots(_ context.Context, in *rds.DescribeDBClusterSnapshotsInput, _ ...func(*rds.Options)) (*rds.DescribeDBClusterSnapshotsOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	// As documented: DBClusterIdentifier, when given, must name an
	// existing cluster; results come in pages (of 2 here, to exercise the
	// Marker).
	var all []rdstypes.DBClusterSnapshot
	if id := aws.ToString(in.DBClusterIdentifier); id != "" {
		if _, err := f.cluster(r.region, id); err != nil {
			return nil, err
		}
		for _, s := range f.snapshots[r.region] {
			if aws.ToString(s.DBClusterIdentifier) == id {
				all = append(all, s)
			}
		}
	} else {
		all = f.snapshots[r.region]
	}
	const pageSize = 2
	start := 0
	if m := aws.ToString(in.Marker); m != "" {
		fmt.Sscan(m, &start)
	}
	end := min(start+pageSize, len(all))
	out := &rds.DescribeDBClusterSnapshotsOutput{DBClusterSnapshots: slices.Clone(all[start:end])}
	if end < len(all) {
		out.Marker = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (r fakeRDS) DescribeDBProxyTargets(_ context.Context, in *rds.DescribeDBProxyTargetsInput, _ ...func(*rds.Options)) (*rds.DescribeDBProxyTargetsOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	// As DBProxyTarget documents it: the tracked cluster, then one
	// RDS_INSTANCE per instance, in the READ_WRITE role on the global
	// writer's cluster and READ_ONLY on a secondary's.
	out := &rds.DescribeDBProxyTargetsOutput{Targets: []rdstypes.DBProxyTarget{{Type: rdstypes.TargetTypeTrackedCluster}}}
	for _, c := range f.clusters {
		if c.ca.Region == r.region {
			reason := c.proxyReason
			if reason == "" {
				reason = rdstypes.TargetHealthReasonConnectionFailed
			}
			role := rdstypes.TargetRoleReadOnly
			if f.global != nil && f.global.writer == c.ca.ARN {
				role = rdstypes.TargetRoleReadWrite
			}
			t := rdstypes.DBProxyTarget{Type: rdstypes.TargetTypeRdsInstance, Role: role, TargetHealth: &rdstypes.TargetHealth{State: c.proxyState}}
			if c.proxyState != rdstypes.TargetStateAvailable {
				t.TargetHealth.Reason = reason
			}
			out.Targets = append(out.Targets, t)
		}
	}
	return out, nil
}

// fakeCFN is the CloudFormation API of one region.
type fakeCFN struct {
	f      *fakeAWS
	region string
}

func notExist(name string) error {
	return &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + name + " does not exist"}
}

func (c fakeCFN) find(name string) *fakeStack {
	for _, s := range c.f.stacks {
		if s.st.Region == c.region && (s.st.Name == name || s.st.ID == name) {
			return s
		}
	}
	return nil
}

func (c fakeCFN) DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f := c.f
	f.mu.Lock()
	if f.cfnHang[c.region] {
		// A lost region that leaves the connection hanging: only the
		// caller's deadline ends the call.
		f.mu.Unlock()
		<-ctx.Done()
		return nil, fmt.Errorf("describe stacks: %w", ctx.Err())
	}
	defer f.mu.Unlock()
	name := aws.ToString(in.StackName)
	if err := f.cfnDown[c.region]; err != nil {
		return nil, err
	}
	s := c.find(name)
	if s == nil || s.st.Status == "DELETE_COMPLETE" && name == s.st.Name {
		return nil, notExist(name)
	}
	if s.deleting {
		c.progress(s)
	}
	cs := cfntypes.Stack{StackName: aws.String(s.st.Name), StackId: aws.String(s.st.ID), StackStatus: cfntypes.StackStatus(s.st.Status)}
	for k, v := range s.st.Outputs {
		cs.Outputs = append(cs.Outputs, cfntypes.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	for k, v := range s.st.Parameters {
		cs.Parameters = append(cs.Parameters, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{cs}}, nil
}

// progress advances a deletion: after two polls it fails or completes,
// following RDS's rules.
func (c fakeCFN) progress(s *fakeStack) {
	s.polls++
	if s.polls < 2 {
		return
	}
	f := c.f
	s.deleting = false
	fail := func(logical, reason string) {
		s.st.Status = "DELETE_FAILED"
		f.event(s, logical, cfntypes.ResourceStatusDeleteFailed, reason)
	}
	cl := f.clusters[s.cluster]
	switch {
	case s.failOnce != "":
		fail("DbCluster", s.failOnce)
		s.failOnce = ""
		return
	case cl != nil && !cl.deleted && cl.protected:
		fail("DbCluster", "Cannot delete protected Cluster, please disable deletion protection and try again.")
		return
	case cl != nil && f.global != nil && slices.Contains(f.global.members, cl.ca.ARN):
		fail("DbCluster", "This cluster is a part of a global cluster, please remove it from globalcluster first")
		return
	case f.pools[s.pool] != nil && !f.pools[s.pool].deleted && f.pools[s.pool].protected && s.policyOf("AWS::Cognito::UserPool") != "Retain":
		fail("UserPool", "Deletion protection must be inactivated first. (Service: CognitoIdentityProvider, Status Code: 400, InvalidParameterException)")
		return
	case s.ownsGlobal && f.global != nil && len(f.global.members) > 0:
		fail("GlobalCluster", "Global cluster still has members")
		return
	}
	if cl != nil && !cl.deleted {
		cl.deleted = true
		f.snapshots[cl.ca.Region] = append(f.snapshots[cl.ca.Region], rdstypes.DBClusterSnapshot{
			DBClusterIdentifier: aws.String(cl.ca.Name), DBClusterSnapshotIdentifier: aws.String(cl.ca.Name + "-final"), SnapshotType: aws.String("manual")})
		f.event(s, "DbCluster", cfntypes.ResourceStatusDeleteComplete, "")
	}
	if p := f.pools[s.pool]; p != nil && s.policyOf("AWS::Cognito::UserPool") != "Retain" {
		p.deleted = true
	}
	if s.ownsGlobal && f.global != nil {
		f.global.protected = false // the template's property is what CloudFormation last set; the fake keeps it simple
		if err := f.deleteGlobal(); err != nil {
			fail("GlobalCluster", err.Error())
			return
		}
	}
	s.st.Status = "DELETE_COMPLETE"
	f.event(s, s.st.Name, cfntypes.ResourceStatusDeleteComplete, "")
}

func (f *fakeAWS) event(s *fakeStack, logical string, status cfntypes.ResourceStatus, reason string) {
	n := len(s.events) + 1
	e := cfntypes.StackEvent{EventId: aws.String(fmt.Sprintf("e%d", n)), LogicalResourceId: aws.String(logical), ResourceStatus: status,
		ResourceType: aws.String("AWS::Test"), Timestamp: aws.Time(f.clock.Now()), ResourceStatusReason: aws.String(reason)}
	s.events = append([]cfntypes.StackEvent{e}, s.events...) // newest first
}

func (c fakeCFN) DescribeStackEvents(_ context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	s := c.find(aws.ToString(in.StackName))
	if s == nil {
		return nil, notExist(aws.ToString(in.StackName))
	}
	return &cloudformation.DescribeStackEventsOutput{StackEvents: slices.Clone(s.events)}, nil
}

func (c fakeCFN) DeleteStack(_ context.Context, in *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(c.region, "DeleteStack %s", aws.ToString(in.StackName))
	s := c.find(aws.ToString(in.StackName))
	if s == nil || s.st.Status == "DELETE_COMPLETE" {
		return &cloudformation.DeleteStackOutput{}, nil
	}
	s.deleting, s.polls, s.st.Status = true, 0, "DELETE_IN_PROGRESS"
	f.event(s, s.st.Name, cfntypes.ResourceStatusDeleteInProgress, "User Initiated")
	return &cloudformation.DeleteStackOutput{}, nil
}

func (c fakeCFN) ListStackResources(_ context.Context, in *cloudformation.ListStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	s := c.find(aws.ToString(in.StackName))
	out := &cloudformation.ListStackResourcesOutput{}
	for _, r := range s.resources {
		out.StackResourceSummaries = append(out.StackResourceSummaries, cfntypes.StackResourceSummary{
			LogicalResourceId: aws.String(r.logical), PhysicalResourceId: aws.String(r.physical), ResourceType: aws.String(r.typ)})
	}
	return out, nil
}

// GetTemplate returns the processed template (JSON, as after the SAM
// transform) with each resource's type and DeletionPolicy.
func (c fakeCFN) GetTemplate(_ context.Context, in *cloudformation.GetTemplateInput, _ ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error) {
	if in.TemplateStage != cfntypes.TemplateStageProcessed {
		return nil, fmt.Errorf("want the processed template")
	}
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	s := c.find(aws.ToString(in.StackName))
	if s == nil {
		return nil, notExist(aws.ToString(in.StackName))
	}
	type res struct {
		Type           string `json:"Type"`
		DeletionPolicy string `json:"DeletionPolicy,omitempty"`
	}
	t := struct {
		Resources map[string]res `json:"Resources"`
	}{Resources: map[string]res{}}
	for _, r := range s.resources {
		t.Resources[r.logical] = res{r.typ, r.policy}
	}
	b, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	return &cloudformation.GetTemplateOutput{TemplateBody: aws.String(string(b))}, nil
}

// fakeCW is CloudWatch in one region.
type fakeCW struct {
	f      *fakeAWS
	region string
}

// secondaries returns the clusters in the region that are secondaries of
// the global cluster: the ones Aurora publishes lag metrics for.
func (c fakeCW) secondaries() map[string]bool {
	f := c.f
	out := map[string]bool{}
	if f.global == nil {
		return out
	}
	for _, arn := range f.global.members {
		if cl := f.clusters[arn]; cl != nil && arn != f.global.writer && cl.ca.Region == c.region {
			out[cl.ca.Name] = true
		}
	}
	return out
}

// ListMetrics lists the Aurora global lag metrics of the region's
// secondaries (DBClusterIdentifier and SourceRegion, as Aurora publishes
// them) and of any cluster of the region with a lag history; a filter
// on a dimension matches a metric that also has others (ListMetrics, API
// reference).
func (c fakeCW) ListMetrics(_ context.Context, in *cloudwatch.ListMetricsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	names := c.secondaries()
	for name := range f.lagHistory {
		for _, cl := range f.clusters {
			if cl.ca.Name == name && cl.ca.Region == c.region {
				names[name] = true
			}
		}
	}
	w, _ := ParseClusterARN(f.global.writer)
	out := &cloudwatch.ListMetricsOutput{}
	for name := range names {
		for _, m := range lagMetrics {
			metric := cwtypes.Metric{Namespace: aws.String("AWS/RDS"), MetricName: aws.String(m), Dimensions: []cwtypes.Dimension{
				{Name: aws.String("DBClusterIdentifier"), Value: aws.String(name)}, {Name: aws.String("SourceRegion"), Value: aws.String(w.Region)}}}
			if matches(metric, in) {
				out.Metrics = append(out.Metrics, metric)
			}
		}
	}
	return out, nil
}

func matches(m cwtypes.Metric, in *cloudwatch.ListMetricsInput) bool {
	if in.Namespace != nil && aws.ToString(in.Namespace) != aws.ToString(m.Namespace) ||
		in.MetricName != nil && aws.ToString(in.MetricName) != aws.ToString(m.MetricName) {
		return false
	}
	for _, f := range in.Dimensions {
		found := false
		for _, d := range m.Dimensions {
			found = found || aws.ToString(d.Name) == aws.ToString(f.Name) && (f.Value == nil || aws.ToString(d.Value) == aws.ToString(f.Value))
		}
		if !found {
			return false
		}
	}
	return true
}

// GetMetricData answers MetricStat queries of the lag metrics from the
// cluster's lag history, or with 150 ms shortly before EndTime for a
// secondary without one. As the API reference says, a request may hold
// one Metrics Insights query at most.
func (c fakeCW) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	insights := 0
	for _, q := range in.MetricDataQueries {
		if strings.HasPrefix(strings.TrimSpace(aws.ToString(q.Expression)), "SELECT") {
			insights++
		}
	}
	if insights > 1 {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "only one Metrics Insights query is allowed per request"}
	}
	start, end := aws.ToTime(in.StartTime), aws.ToTime(in.EndTime)
	out := &cloudwatch.GetMetricDataOutput{}
	secondaries := c.secondaries()
	for _, q := range in.MetricDataQueries {
		r := cwtypes.MetricDataResult{Id: q.Id}
		if q.MetricStat == nil || q.MetricStat.Metric == nil {
			out.MetricDataResults = append(out.MetricDataResults, r)
			continue
		}
		metric, cluster := aws.ToString(q.MetricStat.Metric.MetricName), ""
		for _, d := range q.MetricStat.Metric.Dimensions {
			if aws.ToString(d.Name) == "DBClusterIdentifier" {
				cluster = aws.ToString(d.Value)
			}
		}
		history, ok := f.lagHistory[cluster]
		if !ok && secondaries[cluster] {
			history = []lagPoint{{metric: metric, at: end.Add(-30 * time.Second), value: 150 * time.Millisecond}}
		}
		for _, p := range history {
			if p.metric == metric && !p.at.Before(start) && p.at.Before(end) {
				r.Timestamps = append(r.Timestamps, p.at)
				r.Values = append(r.Values, float64(p.value)/float64(time.Millisecond))
			}
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	return out, nil
}

func (c fakeCW) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	d := in.MetricData[0]
	f.record(c.region, "PutMetricData %s/%s=%v", aws.ToString(in.Namespace), aws.ToString(d.MetricName), aws.ToFloat64(d.Value))
	return &cloudwatch.PutMetricDataOutput{}, nil
}

// topicARN is the alarm topic of the stack in region.
func topicARN(region string) string {
	return "arn:aws:sns:" + region + ":111122223333:todomgmt-alarms"
}

// alarm is a metric alarm of the fake deployment, notifying topic.
func alarm(name, topic string, state cwtypes.StateValue, reason string) cwtypes.MetricAlarm {
	return cwtypes.MetricAlarm{AlarmName: aws.String(name), StateValue: state, StateReason: aws.String(reason),
		StateUpdatedTimestamp: aws.Time(time.Date(2026, 11, 5, 8, 30, 0, 0, time.UTC)),
		AlarmActions:          []string{topic}, OKActions: []string{topic}}
}

// DescribeAlarms answers the router's question (AlarmNames: the routing
// alarm's state) and status's (StateValue with ActionPrefix, which
// matches an alarm with an action starting with it, and AlarmNamePrefix),
// one alarm per page to exercise NextToken. AlarmNamePrefix with
// AlarmNames is a validation error, as the API reference says.
func (c fakeCW) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.cwDown[c.region]; err != nil {
		return nil, err
	}
	if len(in.AlarmNames) == 0 {
		var match []cwtypes.MetricAlarm
		for _, a := range f.regionAlarms[c.region] {
			if in.StateValue != "" && a.StateValue != in.StateValue ||
				in.AlarmNamePrefix != nil && !strings.HasPrefix(aws.ToString(a.AlarmName), aws.ToString(in.AlarmNamePrefix)) ||
				in.ActionPrefix != nil && !slices.ContainsFunc(a.AlarmActions, func(x string) bool { return strings.HasPrefix(x, aws.ToString(in.ActionPrefix)) }) {
				continue
			}
			match = append(match, a)
		}
		start := 0
		if t := aws.ToString(in.NextToken); t != "" {
			fmt.Sscan(t, &start)
		}
		out := &cloudwatch.DescribeAlarmsOutput{}
		if start < len(match) {
			out.MetricAlarms = match[start : start+1]
			if start+1 < len(match) {
				out.NextToken = aws.String(fmt.Sprint(start + 1))
			}
		}
		return out, nil
	}
	if in.AlarmNamePrefix != nil {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "AlarmNamePrefix and AlarmNames cannot be used together"}
	}
	st, ok := f.alarms[in.AlarmNames[0]]
	if !ok {
		return &cloudwatch.DescribeAlarmsOutput{}, nil
	}
	return &cloudwatch.DescribeAlarmsOutput{MetricAlarms: []cwtypes.MetricAlarm{{StateValue: st}}}, nil
}

// fakeLambda is the Lambda API of one region, with the migrate function
// (<AppName>-migrate) answering the fence-ids action as the store's
// fence does: on the region's writer only (a read-only server is a
// function error, as Lambda reports a handler's error: X-Amz-Function-
// Error with {"errorMessage", "errorType"}), skipped when the fence
// already names the region, a gap only with data loss.
type fakeLambda struct {
	f      *fakeAWS
	region string
}

func (l fakeLambda) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f := l.f
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.FunctionName)
	var req fenceInvoke
	if err := json.Unmarshal(in.Payload, &req); err != nil {
		return nil, err
	}
	f.record(l.region, "Invoke %s %s region=%s dataLoss=%t lag=%gs", name, req.Action, req.Fence.Region, req.Fence.DataLoss, req.Fence.LagSeconds)
	if name != "todomgmt-migrate" {
		return nil, &lambdatypes.ResourceNotFoundException{Message: aws.String("Function not found: " + name)}
	}
	if in.InvocationType != lambdatypes.InvocationTypeRequestResponse {
		return nil, fmt.Errorf("invocation type %q, want RequestResponse", in.InvocationType)
	}
	fail := func(msg string) (*lambda.InvokeOutput, error) {
		b, _ := json.Marshal(functionError{ErrorMessage: msg, ErrorType: "errorString"})
		return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"), Payload: b}, nil
	}
	if req.Action != "fence-ids" {
		return fail("unknown action " + req.Action)
	}
	if w, _ := ParseClusterARN(f.global.writer); w.Region != l.region {
		return fail("fence ids: the server is read-only (this region's cluster is not the writer)")
	}
	a := fenceAnswer{Region: req.Fence.Region, Term: f.fence.term, Skipped: true, MaxID: f.fence.maxID, Floor: f.fence.maxID + 1}
	if f.fence.region != req.Fence.Region {
		a.Skipped = false
		if req.Fence.DataLoss {
			a.Gap, a.Rate, a.WindowSeconds = 1_000_000, 0.25, req.Fence.LagSeconds+60
			a.Reason = "gap 1000000 (the floor)"
		}
		a.Floor = a.MaxID + a.Gap + 1
		f.fence = fakeFence{region: req.Fence.Region, term: f.fence.term + 1, maxID: a.Floor}
		a.Term = f.fence.term
	}
	b, _ := json.Marshal(a)
	return &lambda.InvokeOutput{StatusCode: 200, Payload: b}, nil
}

// fakeKVS is the KeyValueStore.
type fakeKVS struct{ f *fakeAWS }

func (k fakeKVS) DescribeKeyValueStore(context.Context, *cloudfrontkeyvaluestore.DescribeKeyValueStoreInput, ...func(*cloudfrontkeyvaluestore.Options)) (*cloudfrontkeyvaluestore.DescribeKeyValueStoreOutput, error) {
	k.f.mu.Lock()
	defer k.f.mu.Unlock()
	return &cloudfrontkeyvaluestore.DescribeKeyValueStoreOutput{ETag: aws.String(fmt.Sprint(k.f.kvsETag))}, nil
}

func (k fakeKVS) GetKey(context.Context, *cloudfrontkeyvaluestore.GetKeyInput, ...func(*cloudfrontkeyvaluestore.Options)) (*cloudfrontkeyvaluestore.GetKeyOutput, error) {
	k.f.mu.Lock()
	defer k.f.mu.Unlock()
	if k.f.kvsValue == nil {
		return nil, &kvstypes.ResourceNotFoundException{Message: aws.String("no key")}
	}
	return &cloudfrontkeyvaluestore.GetKeyOutput{Value: aws.String(*k.f.kvsValue)}, nil
}

func (k fakeKVS) PutKey(_ context.Context, in *cloudfrontkeyvaluestore.PutKeyInput, _ ...func(*cloudfrontkeyvaluestore.Options)) (*cloudfrontkeyvaluestore.PutKeyOutput, error) {
	f := k.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("global", "PutKey %s=%s", aws.ToString(in.Key), aws.ToString(in.Value))
	if aws.ToString(in.IfMatch) != fmt.Sprint(f.kvsETag) {
		return nil, &kvstypes.ConflictException{Message: aws.String("etag")}
	}
	f.kvsETag++
	f.kvsValue = aws.String(aws.ToString(in.Value))
	return &cloudfrontkeyvaluestore.PutKeyOutput{}, nil
}

// fakeSM is Secrets Manager in one region: the primary's secrets live in
// us-east-1, their replication status comes from f.replicas.
type fakeSM struct {
	f      *fakeAWS
	region string
}

func (m fakeSM) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	m.f.mu.Lock()
	defer m.f.mu.Unlock()
	arn := aws.ToString(in.SecretId)
	reps, ok := m.f.replicas[arn]
	if !ok || !strings.Contains(arn, ":"+m.region+":") {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
	}
	return &secretsmanager.DescribeSecretOutput{ARN: aws.String(arn), PrimaryRegion: aws.String(east), ReplicationStatus: slices.Clone(reps)}, nil
}

// fakeCognito holds the app clients' secrets.
type fakeCognito struct {
	f      *fakeAWS
	region string
}

func (c fakeCognito) DescribeUserPoolClient(ctx context.Context, in *cognitoidentityprovider.DescribeUserPoolClientInput, _ ...func(*cognitoidentityprovider.Options)) (*cognitoidentityprovider.DescribeUserPoolClientOutput, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	pool := aws.ToString(in.UserPoolId)
	if !strings.HasPrefix(pool, c.region) {
		return nil, fmt.Errorf("pool %s asked for in %s", pool, c.region)
	}
	c.f.record(c.region, "DescribeUserPoolClient %s", pool)
	if c.f.cognitoHang[c.region] {
		// A lost region that leaves the call hanging.
		c.f.mu.Unlock()
		<-ctx.Done()
		c.f.mu.Lock()
		return nil, fmt.Errorf("DescribeUserPoolClient: %w", ctx.Err())
	}
	return &cognitoidentityprovider.DescribeUserPoolClientOutput{UserPoolClient: &cogtypes.UserPoolClientType{
		ClientId: in.ClientId, ClientSecret: aws.String(c.f.secrets[pool])}}, nil
}

func (c fakeCognito) pool(id string) (*fakePool, error) {
	if !strings.HasPrefix(id, c.region) {
		return nil, fmt.Errorf("pool %s asked for in %s", id, c.region)
	}
	p := c.f.pools[id]
	if p == nil || p.deleted {
		return nil, &cogtypes.ResourceNotFoundException{Message: aws.String("User pool " + id + " does not exist.")}
	}
	return p, nil
}

func (c fakeCognito) DescribeUserPool(_ context.Context, in *cognitoidentityprovider.DescribeUserPoolInput, _ ...func(*cognitoidentityprovider.Options)) (*cognitoidentityprovider.DescribeUserPoolOutput, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	p, err := c.pool(aws.ToString(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	dp := cogtypes.DeletionProtectionTypeInactive
	if p.protected {
		dp = cogtypes.DeletionProtectionTypeActive
	}
	return &cognitoidentityprovider.DescribeUserPoolOutput{UserPool: &cogtypes.UserPoolType{Id: in.UserPoolId, DeletionProtection: dp,
		UserPoolTier: p.tier, AdminCreateUserConfig: &cogtypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: p.adminOnly, UnusedAccountValidityDays: 7}}}, nil
}

// UpdateUserPool sets what the request carries and resets the rest to
// Cognito's defaults.
func (c fakeCognito) UpdateUserPool(_ context.Context, in *cognitoidentityprovider.UpdateUserPoolInput, _ ...func(*cognitoidentityprovider.Options)) (*cognitoidentityprovider.UpdateUserPoolOutput, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.record(c.region, "UpdateUserPool %s protection=%s", aws.ToString(in.UserPoolId), in.DeletionProtection)
	p, err := c.pool(aws.ToString(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	p.protected = in.DeletionProtection == cogtypes.DeletionProtectionTypeActive
	p.adminOnly = in.AdminCreateUserConfig != nil && in.AdminCreateUserConfig.AllowAdminCreateUserOnly
	p.tier = in.UserPoolTier
	if p.tier == "" {
		p.tier = cogtypes.UserPoolTierTypeEssentials
	}
	return &cognitoidentityprovider.UpdateUserPoolOutput{}, nil
}

// testClock advances only when slept on.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}

var _ failover.Clock = (*testClock)(nil)

// testConfig is the samconfig both fakes deploy.
func testConfig() Config {
	return Config{
		Primary:   Target{Env: RolePrimary, Region: east, StackName: "todomgmt-primary", Overrides: map[string]string{"Role": "primary", "AppName": "todomgmt", "PeerRegion": west, "GlobalClusterIdentifier": global}},
		Secondary: Target{Env: RoleSecondary, Region: west, StackName: "todomgmt-secondary", Overrides: map[string]string{"Role": "secondary", "AppName": "todomgmt", "PeerRegion": east, "GlobalClusterIdentifier": global}},
	}
}

// openEnv opens the deployment over the fakes with a fast clock.
func openEnv(tb testing.TB, f *fakeAWS, out *strings.Builder) *Env {
	tb.Helper()
	e, err := Open(context.Background(), testConfig(), f.clients(), OpenOptions{Out: out, Warnings: out, CacheDir: f.cacheDir})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	e.Stacks.Clock = f.clock
	e.Stacks.Poll = time.Second
	return e
}
