package awstest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cogtypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
)

// AWS is a fake two-region deployment: the global database and its
// clusters, both stacks, the user pools, the front door's KeyValueStore
// and routing alarm, the alarms and their topics' subscriptions, the
// secrets' replicas and the migrate functions, behind the interfaces of awsclient.Clients (Clients). Tests
// set its fields before the code under test runs; while that code may be
// calling, they read and change them in WithLock. The calls that change
// something, and the reads of app client secrets, are recorded (Log).
type AWS struct {
	mu  sync.Mutex
	log []string

	// Global is the global cluster; nil once deleted.
	Global *GlobalCluster
	// Clusters are the regional clusters, by ARN.
	Clusters map[string]*Cluster
	// Stacks are the regional stacks, primary first.
	Stacks []*Stack
	// Snapshots are each region's cluster snapshots.
	Snapshots map[string][]rdstypes.DBClusterSnapshot
	// Alarms are the states of the alarms the routers read, by name.
	Alarms map[string]cwtypes.StateValue
	// RegionAlarms are the metric alarms of each region that status
	// reads (DescribeAlarms by state and action or name prefix).
	RegionAlarms map[string][]cwtypes.MetricAlarm
	// CWDown makes a region's CloudWatch fail every DescribeAlarms.
	CWDown map[string]error
	// Subscriptions are each alarm topic's subscriptions, by topic ARN,
	// in the order ListSubscriptionsByTopic lists them; a topic missing
	// here does not exist. New subscribes an e-mail address, confirmed,
	// to both regions' topics.
	Subscriptions map[string][]snstypes.Subscription
	// SNSDown makes a region's SNS fail every call with its error;
	// SNSHang leaves them hanging until the caller's deadline.
	SNSDown map[string]error
	SNSHang map[string]bool
	// Replicas are the replication status of each primary secret, by ARN.
	Replicas map[string][]smtypes.ReplicationStatusType
	// KVSValue is the front door's active-region key; nil when absent.
	KVSValue *string
	kvsETag  int
	// Secrets are the app clients' secrets, by user pool id.
	Secrets map[string]string
	// Pools are the user pools, by id.
	Pools map[string]*Pool
	// A region that is down: CloudFormation's answer there, or no
	// answer at all from CloudFormation or Cognito (the call hangs until
	// the caller's deadline).
	CFNDown     map[string]error
	CFNHang     map[string]bool
	CognitoHang map[string]bool
	// CacheDir is a fresh directory for the stacks' saved descriptions.
	CacheDir string
	// Clock stamps the stack events; tests pace waits with it.
	Clock *Clock
	// LagHistory holds a secondary's published lag datapoints by
	// cluster name; without one, a secondary's metrics answer 150 ms a
	// little before the end of whatever window is asked for.
	LagHistory map[string][]LagPoint
	// Fence is the id fence the store keeps in the writer's database.
	Fence Fence
}

// GlobalCluster is the Aurora global cluster.
type GlobalCluster struct {
	ID        string
	Protected bool
	Members   []string // ARNs
	Writer    string   // ARN
}

// Cluster is one region's Aurora cluster.
type Cluster struct {
	ARN, Region, Name string
	Protected         bool
	Instances         int
	Status            string
	Engine            string
	Deleted           bool
	// ProxyState is the health of the region's proxy's target.
	ProxyState rdstypes.TargetState
	// ProxyReason is the reason the proxy gives for an unavailable
	// target; "" is CONNECTION_FAILED.
	ProxyReason rdstypes.TargetHealthReason
	// Retention is the BackupRetentionPeriod in days.
	Retention int32
}

// Pool is a Cognito user pool: UpdateUserPool resets what a request
// leaves out, as the real API does.
type Pool struct {
	Protected bool
	AdminOnly bool
	Tier      cogtypes.UserPoolTierType
	Deleted   bool
}

// Stack is a regional stack as CloudFormation keeps it.
type Stack struct {
	Name, ID, Region, Status string
	Outputs, Parameters      map[string]string
	// Cluster is the ARN of the stack's cluster, Pool the id of its
	// user pool; OwnsGlobal marks the stack that created the global
	// cluster (the primary's).
	Cluster, Pool string
	OwnsGlobal    bool
	// FailOnce is a reason to fail the next deletion with.
	FailOnce string
	// Resources are the stack's resources, as its processed template
	// (type, DeletionPolicy) and its resource list (physical id) say.
	Resources []Resource

	deleting bool
	polls    int
	events   []cfntypes.StackEvent
}

// Resource is one resource of a stack.
type Resource struct {
	Logical, Type, Physical, Policy string
}

// policyOf returns the DeletionPolicy of the stack's resource of type typ.
func (s *Stack) policyOf(typ string) string {
	for _, r := range s.Resources {
		if r.Type == typ {
			return r.Policy
		}
	}
	return ""
}

// Fence is the id fence the store keeps in the writer's database: the
// region whose writer may create, its term and the largest id.
type Fence struct {
	Region string
	Term   int64
	MaxID  int64
}

// LagPoint is one published datapoint of one of Aurora's lag metrics.
type LagPoint struct {
	Metric string
	At     time.Time
	Value  time.Duration
}

// New is a healthy two-region deployment; writer names the region whose
// cluster is the writer (after a failover it is the secondary's).
func New(tb testing.TB, writer string) *AWS {
	tb.Helper()
	f := &AWS{Clusters: map[string]*Cluster{}, Snapshots: map[string][]rdstypes.DBClusterSnapshot{},
		Clock:  NewClock(time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)),
		Alarms: map[string]cwtypes.StateValue{}, Secrets: map[string]string{"us-east-1_POOL": "s3cr3t-east", "us-west-2_POOL": "s3cr3t-west"},
		Pools: map[string]*Pool{}, CFNDown: map[string]error{}, CFNHang: map[string]bool{}, CognitoHang: map[string]bool{}, CacheDir: tb.TempDir(),
		RegionAlarms: map[string][]cwtypes.MetricAlarm{}, CWDown: map[string]error{}, Replicas: map[string][]smtypes.ReplicationStatusType{},
		LagHistory: map[string][]LagPoint{}, Subscriptions: map[string][]snstypes.Subscription{}, SNSDown: map[string]error{}, SNSHang: map[string]bool{}}
	for _, arn := range []string{MasterSecretARN, AppSecretARN} {
		f.Replicas[arn] = []smtypes.ReplicationStatusType{{Region: aws.String(West), Status: smtypes.StatusTypeInSync,
			KmsKeyId: aws.String("arn:aws:kms:us-west-2:111122223333:key/key-us-west-2")}}
	}
	for _, arn := range []string{EastARN, WestARN} {
		region, name := splitARN(arn)
		f.Clusters[arn] = &Cluster{ARN: arn, Region: region, Name: name, Protected: true, Instances: 1, Status: "available",
			Engine: "8.0.mysql_aurora.3.08.0", ProxyState: rdstypes.TargetStateAvailable, Retention: 7}
	}
	w := EastARN
	if writer == West {
		w = WestARN
	}
	f.Global = &GlobalCluster{ID: Global, Protected: true, Members: []string{EastARN, WestARN}, Writer: w}
	for _, x := range []struct {
		role, region, name, arn string
	}{{"primary", East, "todomgmt-primary", EastARN}, {"secondary", West, "todomgmt-secondary", WestARN}} {
		_, cluster := splitARN(x.arn)
		fs := &Stack{Cluster: x.arn, Pool: x.region + "_POOL", OwnsGlobal: x.role == "primary", Resources: []Resource{
			{"DbKey", "AWS::KMS::Key", "key-" + x.region, "Retain"},
			{"DbCluster", "AWS::RDS::DBCluster", cluster, "Snapshot"},
			{"ApiFunction", "AWS::Lambda::Function", "fn", ""},
			{"UserPool", "AWS::Cognito::UserPool", x.region + "_POOL", "Retain"},
			{"AppClient", "AWS::Cognito::UserPoolClient", "client-" + x.region, "Retain"},
		}}
		if x.role == "primary" {
			fs.Resources = append(fs.Resources,
				Resource{"MasterSecret", "AWS::SecretsManager::Secret", MasterSecretARN, "Retain"},
				Resource{"AppSecret", "AWS::SecretsManager::Secret", AppSecretARN, "Retain"})
		}
		// LITE, not the default ESSENTIALS, so a reset shows.
		f.Pools[fs.Pool] = &Pool{Protected: true, AdminOnly: true, Tier: cogtypes.UserPoolTierTypeLite}
		fs.Name, fs.ID, fs.Region, fs.Status = x.name, "arn:aws:cloudformation:"+x.region+":111122223333:stack/"+x.name+"/1", x.region, "UPDATE_COMPLETE"
		fs.Parameters = map[string]string{"Role": x.role, "PeerUserPoolArn": "", "PeerApiDomain": ""}
		fs.Outputs = map[string]string{
			"Region": x.region, "Role": x.role, "ClusterArn": x.arn, "GlobalClusterIdentifier": Global,
			"UserPoolId": x.region + "_POOL", "AppClientId": "client-" + x.region, "TokenUrl": "https://auth." + x.region + ".example/oauth2/token",
			"UserPoolArn": "arn:aws:cognito-idp:" + x.region + ":111122223333:userpool/" + x.region + "_POOL",
			"ApiDomain":   "api-" + x.region + ".execute-api." + x.region + ".amazonaws.com",
			"ApiUrl":      "https://api-" + x.region + ".execute-api." + x.region + ".amazonaws.com/prod",
			"ProxyName":   "todomgmt-proxy", "FrontDoorMode": "cloudfront",
			"DbKeyArn":      "arn:aws:kms:" + x.region + ":111122223333:key/key-" + x.region,
			"AlarmTopicArn": TopicARN(x.region),
			"DashboardUrl":  "https://console.aws.amazon.com/cloudwatch/home?region=" + x.region + "#dashboards/dashboard/todomgmt-" + x.region,
		}
		if x.role == "primary" {
			fs.Outputs["KeyValueStoreArn"] = KVSARN
			fs.Outputs["FrontDoorUrl"] = "https://d111.cloudfront.net"
			fs.Outputs["MasterSecretArn"] = MasterSecretARN
			fs.Outputs["AppSecretArn"] = AppSecretARN
		}
		f.Stacks = append(f.Stacks, fs)
		f.Subscriptions[TopicARN(x.region)] = []snstypes.Subscription{Subscription(TopicARN(x.region), "email", "oncall@example.com", true)}
	}
	f.KVSValue = aws.String(writer)
	f.Fence = Fence{Region: writer, Term: 1, MaxID: 100}
	return f
}

// splitARN returns a DB cluster ARN's region and cluster name
// (arn:aws:rds:<region>:<account>:cluster:<name>).
func splitARN(arn string) (region, name string) {
	p := strings.Split(arn, ":")
	if len(p) != 7 {
		return "", ""
	}
	return p[3], p[6]
}

// WithLock runs fn while no fake call runs: how a test reads or changes
// the fake while the code under test may be calling it.
func (f *AWS) WithLock(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// OlderTemplate makes every stack's user pool one the template deletes
// (the template before the pools were retained).
func (f *AWS) OlderTemplate() {
	for _, st := range f.Stacks {
		for i, r := range st.Resources {
			if r.Type == "AWS::Cognito::UserPool" || r.Type == "AWS::Cognito::UserPoolClient" {
				st.Resources[i].Policy = "Delete"
			}
		}
	}
}

// record adds a call to the log; the caller holds f.mu.
func (f *AWS) record(region, format string, args ...any) {
	f.log = append(f.log, region+" "+fmt.Sprintf(format, args...))
}

// Log returns the recorded calls ("<region> <operation> <what>") whose
// operation is one of ops (all when none given).
func (f *AWS) Log(ops ...string) []string {
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

// Clients returns clients of every service over the fake, without an
// HTTP client (NewDeployment's API has one).
func (f *AWS) Clients() *awsclient.Clients {
	return &awsclient.Clients{
		RDS:            f.RDS,
		CloudWatch:     func(r string) awsclient.CloudWatchAPI { return cwAPI{f, r} },
		CloudFormation: func(r string) awsclient.CloudFormationAPI { return cfnAPI{f, r} },
		Cognito:        func(r string) awsclient.CognitoAPI { return cognitoAPI{f, r} },
		Lambda:         func(r string) awsclient.LambdaAPI { return lambdaAPI{f, r} },
		SecretsManager: func(r string) awsclient.SecretsManagerAPI { return smAPI{f, r} },
		SNS:            func(r string) awsclient.SNSAPI { return snsAPI{f, r} },
		KVS:            kvsAPI{f},
	}
}

// RDS returns the fake RDS API of region, for a test that wraps it.
func (f *AWS) RDS(region string) awsclient.RDSAPI { return rdsAPI{f, region} }

// cluster returns the live cluster named id (ARN or name), asked for in
// region; the caller holds f.mu.
func (f *AWS) cluster(region, id string) (*Cluster, error) {
	for _, c := range f.Clusters {
		if (c.ARN == id || c.Name == id) && !c.Deleted {
			if c.Region != region {
				return nil, fmt.Errorf("cluster %s asked for in %s, it lives in %s", id, region, c.Region)
			}
			return c, nil
		}
	}
	return nil, &rdstypes.DBClusterNotFoundFault{Message: aws.String(id)}
}

// event adds a stack event, newest first; the caller holds f.mu.
func (f *AWS) event(s *Stack, logical string, status cfntypes.ResourceStatus, reason string) {
	n := len(s.events) + 1
	e := cfntypes.StackEvent{EventId: aws.String(fmt.Sprintf("e%d", n)), LogicalResourceId: aws.String(logical), ResourceStatus: status,
		ResourceType: aws.String("AWS::Test"), Timestamp: aws.Time(f.Clock.Now()), ResourceStatusReason: aws.String(reason)}
	s.events = append([]cfntypes.StackEvent{e}, s.events...) // newest first
}

// deleteGlobal deletes the global cluster as RDS allows it: without
// members or deletion protection; the caller holds f.mu.
func (f *AWS) deleteGlobal() error {
	switch {
	case f.Global == nil:
		return &rdstypes.GlobalClusterNotFoundFault{Message: aws.String("gone")}
	case len(f.Global.Members) > 0:
		return &rdstypes.InvalidGlobalClusterStateFault{Message: aws.String("the global cluster still has members")}
	case f.Global.Protected:
		return &rdstypes.InvalidGlobalClusterStateFault{Message: aws.String("deletion protection is on")}
	}
	f.Global = nil
	return nil
}
