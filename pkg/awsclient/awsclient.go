// Package awsclient hands out the AWS SDK clients of the ToDoMgmt
// packages that call AWS (pkg/awsfailover, pkg/awsops, pkg/readiness),
// one per service and region, behind narrow interfaces that list exactly
// the operations those packages use: the SDK clients implement them, and
// tests fill Clients with hand-written fakes (internal/awstest).
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// RDSAPI is the part of the RDS API the packages use.
type RDSAPI interface {
	DescribeGlobalClusters(context.Context, *rds.DescribeGlobalClustersInput, ...func(*rds.Options)) (*rds.DescribeGlobalClustersOutput, error)
	DescribeDBClusters(context.Context, *rds.DescribeDBClustersInput, ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
	SwitchoverGlobalCluster(context.Context, *rds.SwitchoverGlobalClusterInput, ...func(*rds.Options)) (*rds.SwitchoverGlobalClusterOutput, error)
	FailoverGlobalCluster(context.Context, *rds.FailoverGlobalClusterInput, ...func(*rds.Options)) (*rds.FailoverGlobalClusterOutput, error)
	RemoveFromGlobalCluster(context.Context, *rds.RemoveFromGlobalClusterInput, ...func(*rds.Options)) (*rds.RemoveFromGlobalClusterOutput, error)
	ModifyDBCluster(context.Context, *rds.ModifyDBClusterInput, ...func(*rds.Options)) (*rds.ModifyDBClusterOutput, error)
	ModifyGlobalCluster(context.Context, *rds.ModifyGlobalClusterInput, ...func(*rds.Options)) (*rds.ModifyGlobalClusterOutput, error)
	DeleteGlobalCluster(context.Context, *rds.DeleteGlobalClusterInput, ...func(*rds.Options)) (*rds.DeleteGlobalClusterOutput, error)
	DescribeDBClusterSnapshots(context.Context, *rds.DescribeDBClusterSnapshotsInput, ...func(*rds.Options)) (*rds.DescribeDBClusterSnapshotsOutput, error)
	DescribeDBProxyTargets(context.Context, *rds.DescribeDBProxyTargetsInput, ...func(*rds.Options)) (*rds.DescribeDBProxyTargetsOutput, error)
}

// CloudWatchAPI is the part of the CloudWatch API the packages use.
type CloudWatchAPI interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	ListMetrics(context.Context, *cloudwatch.ListMetricsInput, ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error)
	PutMetricData(context.Context, *cloudwatch.PutMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// KVSAPI is the part of the CloudFront KeyValueStore API the packages use.
type KVSAPI interface {
	DescribeKeyValueStore(context.Context, *cloudfrontkeyvaluestore.DescribeKeyValueStoreInput, ...func(*cloudfrontkeyvaluestore.Options)) (*cloudfrontkeyvaluestore.DescribeKeyValueStoreOutput, error)
	GetKey(context.Context, *cloudfrontkeyvaluestore.GetKeyInput, ...func(*cloudfrontkeyvaluestore.Options)) (*cloudfrontkeyvaluestore.GetKeyOutput, error)
	PutKey(context.Context, *cloudfrontkeyvaluestore.PutKeyInput, ...func(*cloudfrontkeyvaluestore.Options)) (*cloudfrontkeyvaluestore.PutKeyOutput, error)
}

// LambdaAPI is the part of the Lambda API the packages use: invoking
// the migrate function directly (the id fence).
type LambdaAPI interface {
	Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// CloudFormationAPI is the part of the CloudFormation API the packages use.
type CloudFormationAPI interface {
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	DescribeStackEvents(context.Context, *cloudformation.DescribeStackEventsInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error)
	DeleteStack(context.Context, *cloudformation.DeleteStackInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error)
	ListStackResources(context.Context, *cloudformation.ListStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error)
	GetTemplate(context.Context, *cloudformation.GetTemplateInput, ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error)
}

// CognitoAPI is the part of the Cognito user pools API the packages use.
type CognitoAPI interface {
	DescribeUserPoolClient(context.Context, *cognitoidentityprovider.DescribeUserPoolClientInput, ...func(*cognitoidentityprovider.Options)) (*cognitoidentityprovider.DescribeUserPoolClientOutput, error)
	DescribeUserPool(context.Context, *cognitoidentityprovider.DescribeUserPoolInput, ...func(*cognitoidentityprovider.Options)) (*cognitoidentityprovider.DescribeUserPoolOutput, error)
	UpdateUserPool(context.Context, *cognitoidentityprovider.UpdateUserPoolInput, ...func(*cognitoidentityprovider.Options)) (*cognitoidentityprovider.UpdateUserPoolOutput, error)
}

// SecretsManagerAPI is the part of the Secrets Manager API the packages
// use: the replication status of the primary's DB secrets.
type SecretsManagerAPI interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// SNSAPI is the part of the SNS API the packages use: who an alarm topic
// notifies.
type SNSAPI interface {
	ListSubscriptionsByTopic(context.Context, *sns.ListSubscriptionsByTopicInput, ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
}

var (
	_ SNSAPI            = (*sns.Client)(nil)
	_ SecretsManagerAPI = (*secretsmanager.Client)(nil)
	_ RDSAPI            = (*rds.Client)(nil)
	_ CloudWatchAPI     = (*cloudwatch.Client)(nil)
	_ KVSAPI            = (*cloudfrontkeyvaluestore.Client)(nil)
	_ CloudFormationAPI = (*cloudformation.Client)(nil)
	_ CognitoAPI        = (*cognitoidentityprovider.Client)(nil)
	_ LambdaAPI         = (*lambda.Client)(nil)
)

// Clients hands out API clients per region. Tests fill the fields with
// fakes; New fills them with SDK clients.
type Clients struct {
	RDS            func(region string) RDSAPI
	CloudWatch     func(region string) CloudWatchAPI
	CloudFormation func(region string) CloudFormationAPI
	Cognito        func(region string) CognitoAPI
	Lambda         func(region string) LambdaAPI
	SecretsManager func(region string) SecretsManagerAPI
	SNS            func(region string) SNSAPI
	// KVS is global: the KeyValueStore API is signed with SigV4A for all
	// regions ("*") and its endpoint comes from the store's ARN.
	KVS KVSAPI
	// HTTP calls the APIs and the Cognito token endpoints.
	HTTP *http.Client
}

// New builds SDK clients from cfg, one per service and region,
// created on first use. cfg.Region is only the default; every call that
// matters names its region.
func New(cfg aws.Config) *Clients {
	var mu sync.Mutex
	type key struct{ service, region string }
	cache := map[key]any{}
	get := func(service, region string, build func(aws.Config) any) any {
		mu.Lock()
		defer mu.Unlock()
		k := key{service, region}
		if c, ok := cache[k]; ok {
			return c
		}
		rc := cfg.Copy()
		rc.Region = region
		c := build(rc)
		cache[k] = c
		return c
	}
	return &Clients{
		RDS: func(region string) RDSAPI {
			return get("rds", region, func(c aws.Config) any { return rds.NewFromConfig(c) }).(RDSAPI)
		},
		CloudWatch: func(region string) CloudWatchAPI {
			return get("cloudwatch", region, func(c aws.Config) any { return cloudwatch.NewFromConfig(c) }).(CloudWatchAPI)
		},
		CloudFormation: func(region string) CloudFormationAPI {
			return get("cloudformation", region, func(c aws.Config) any { return cloudformation.NewFromConfig(c) }).(CloudFormationAPI)
		},
		Cognito: func(region string) CognitoAPI {
			return get("cognito", region, func(c aws.Config) any { return cognitoidentityprovider.NewFromConfig(c) }).(CognitoAPI)
		},
		Lambda: func(region string) LambdaAPI {
			return get("lambda", region, func(c aws.Config) any { return lambda.NewFromConfig(c) }).(LambdaAPI)
		},
		SecretsManager: func(region string) SecretsManagerAPI {
			return get("secretsmanager", region, func(c aws.Config) any { return secretsmanager.NewFromConfig(c) }).(SecretsManagerAPI)
		},
		SNS: func(region string) SNSAPI {
			return get("sns", region, func(c aws.Config) any { return sns.NewFromConfig(c) }).(SNSAPI)
		},
		// The KeyValueStore client resolves its endpoint from the ARN in each
		// request and signs with SigV4A (github.com/aws/aws-sdk-go-v2/internal/v4a,
		// built into the client): the configured region only picks the
		// partition.
		KVS:  cloudfrontkeyvaluestore.NewFromConfig(cfg),
		HTTP: &http.Client{Timeout: 20 * time.Second},
	}
}

// ErrNoCredentials is returned by LoadConfig (wrapped, with the cause) when
// no AWS credentials can be retrieved: none configured, an expired SSO
// session, a failing credential_process, ...
var ErrNoCredentials = errors.New("no AWS credentials: set AWS_PROFILE (after aws sso login or aws configure) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")

// LoadConfig loads the shared AWS configuration and checks that
// credentials can be retrieved, so a target fails at once with one clear
// line instead of on its first call. region is the default region.
func LoadConfig(ctx context.Context, region string) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		// The cause tells an expired SSO session from missing
		// configuration; errors.Is(err, ErrNoCredentials) still holds.
		return aws.Config{}, fmt.Errorf("%w (cause: %w)", ErrNoCredentials, err)
	}
	return cfg, nil
}
