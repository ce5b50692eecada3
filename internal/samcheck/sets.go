package samcheck

import (
	"fmt"
	"maps"

	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// ParameterSet is one deployment of template.yaml: a region and the
// parameter values CloudFormation would get (the others take their
// defaults). The translator and cfn-lint see the template once per set.
type ParameterSet struct {
	// Name says what the set covers and names its files (primary-cloudfront).
	Name string
	// Covers is a one-line description of the deployment.
	Covers string
	// Env is the samconfig.toml environment the set starts from.
	Env    string
	Region string
	Params map[string]string
	// ArtifactPrefix is the environment's s3_prefix, under which
	// `sam deploy` uploads the functions' code.
	ArtifactPrefix string
}

// Role is the set's Role parameter (primary or secondary).
func (s ParameterSet) Role() string { return s.Params["Role"] }

// DefaultAppName is the template's AppName default.
const DefaultAppName = "todomgmt"

// ExampleAccount is the account id in the ARNs the sets make up.
const ExampleAccount = "123456789012"

// Example values of the parameters no samconfig environment sets: the
// second deploy pass's peer outputs, a custom domain, an e-mail address.
const (
	ExampleDomainName   = "api.example.com"
	ExampleHostedZoneID = "Z0123456789EXAMPLE"
	ExampleAlarmEmail   = "ops@example.com"
)

// PeerUserPoolArn is the made-up user pool ARN of the peer in region, as
// the second deploy pass reads it from the peer stack's outputs.
func PeerUserPoolArn(region string) string {
	return fmt.Sprintf("arn:aws:cognito-idp:%s:%s:userpool/%s_EXAMPLE1", region, ExampleAccount, region)
}

// PeerAPIDomain is the made-up execute-api host of the peer in region.
func PeerAPIDomain(region string) string {
	return fmt.Sprintf("a1b2c3d4e5.execute-api.%s.amazonaws.com", region)
}

// SecretArn is the made-up ARN of the primary's DB secret
// <appName>/db/<user> in region: Secrets Manager appends a random suffix,
// and a replica's ARN differs only by its region.
func SecretArn(region, appName, user string) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s/db/%s-AbCdEf", region, ExampleAccount, appName, user)
}

// KeyArn is the made-up ARN of the DbKey of the stack in region.
func KeyArn(region string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/1234abcd-12ab-34cd-56ef-1234567890ab", region, ExampleAccount)
}

// KeyValueStoreArn is the made-up KeyValueStore of the primary's CloudFront
// front door (its KeyValueStoreArn output, the secondary's second pass).
const KeyValueStoreArn = "arn:aws:cloudfront::" + ExampleAccount + ":key-value-store/0a1b2c3d-1111-2222-3333-444455556666"

// CertificateArn is the made-up ACM certificate of the custom domain in region.
func CertificateArn(region string) string {
	return fmt.Sprintf("arn:aws:acm:%s:%s:certificate/00000000-0000-4000-8000-000000000000", region, ExampleAccount)
}

// ParameterSets returns the deployments to check: each samconfig.toml
// environment's `sam deploy` (region and parameter_overrides) as `go tool
// mage deploy` runs it (the secondary also gets the primary's secret
// ARNs, which it cannot deploy without), and one set for each mode of the
// template's Conditions no environment covers: the second deploy pass
// (peer user pool and API domain known: the CloudFront front door in the
// primary, an origin in the secondary; the primary also knows the
// secondary's key, PeerDbKeyArn, the secondary the primary's
// KeyValueStore, FrontDoorKeyValueStoreArn), Route 53 mode in each role (with and
// without the peer in the primary, where the health check depends on it),
// and AlarmEmail.
func ParameterSets(sc *samconfig.Config) ([]ParameterSet, error) {
	envs := map[string]ParameterSet{}
	for _, name := range []string{"default", "primary", "secondary"} {
		env, err := sc.Env(name)
		if err != nil {
			return nil, err
		}
		p := env.Params("deploy")
		ov, err := p.ParameterOverrides()
		if err != nil {
			return nil, fmt.Errorf("[%s.deploy] parameter_overrides: %w", name, err)
		}
		if p.Region() == "" {
			return nil, fmt.Errorf("[%s.deploy] has no region", name)
		}
		envs[name] = ParameterSet{Env: name, Region: p.Region(), Params: ov, ArtifactPrefix: p.String("s3_prefix")}
	}
	// The secondary reads the replicas of the primary's secrets: mage
	// passes their ARNs from the primary stack's outputs on every deploy.
	primaryApp := envs["primary"].Params["AppName"]
	if primaryApp == "" {
		primaryApp = DefaultAppName
	}
	secondary := envs["secondary"]
	secondary.Params = maps.Clone(secondary.Params)
	secondary.Params["PrimaryMasterSecretArn"] = SecretArn(envs["primary"].Region, primaryApp, "master")
	secondary.Params["PrimaryAppSecretArn"] = SecretArn(envs["primary"].Region, primaryApp, "app")
	envs["secondary"] = secondary
	// derive starts from an environment and adds parameters.
	derive := func(env, name, covers string, add map[string]string) ParameterSet {
		s := envs[env]
		s.Name, s.Covers = name, covers
		s.Params = maps.Clone(s.Params)
		maps.Copy(s.Params, add)
		return s
	}
	secondPass := func(env string) (map[string]string, error) {
		peer := envs[env].Params["PeerRegion"]
		if peer == "" {
			return nil, fmt.Errorf("[%s.deploy] has no PeerRegion: the second deploy pass needs the peer", env)
		}
		add := map[string]string{"PeerUserPoolArn": PeerUserPoolArn(peer), "PeerApiDomain": PeerAPIDomain(peer)}
		if envs[env].Params["Role"] == "primary" {
			add["PeerDbKeyArn"] = KeyArn(peer)
		} else {
			add["FrontDoorKeyValueStoreArn"] = KeyValueStoreArn
		}
		return add, nil
	}
	route53 := func(env string) map[string]string {
		// No KeyValueStore in Route 53 mode: the primary has no
		// KeyValueStoreArn output to pass.
		return map[string]string{"DomainName": ExampleDomainName, "HostedZoneId": ExampleHostedZoneID, "CertificateArn": CertificateArn(envs[env].Region),
			"FrontDoorKeyValueStoreArn": ""}
	}
	union := func(ms ...map[string]string) map[string]string {
		out := map[string]string{}
		for _, m := range ms {
			maps.Copy(out, m)
		}
		return out
	}
	primaryPeer, err := secondPass("primary")
	if err != nil {
		return nil, err
	}
	secondaryPeer, err := secondPass("secondary")
	if err != nil {
		return nil, err
	}
	return []ParameterSet{
		derive("default", "default", "[default] development stack: one region, no peer, no deletion protection", nil),
		derive("primary", "primary", "[primary], first deploy pass: creates the global cluster and the secrets, no front door yet", nil),
		derive("secondary", "secondary", "[secondary], first deploy pass: joins the global cluster, its proxy reads the replicas of the primary's secrets", nil),
		derive("primary", "primary-cloudfront", "[primary], second pass: trusts the peer's pool, creates the CloudFront front door, encrypts the replicas with the peer's key", primaryPeer),
		derive("secondary", "secondary-cloudfront", "[secondary], second pass: trusts the peer's pool, is an origin of the primary's distribution", secondaryPeer),
		derive("primary", "primary-route53-first-pass", "[primary] with a custom domain, peer unknown: PRIMARY failover record without a health check", route53("primary")),
		derive("primary", "primary-route53", "[primary] with a custom domain, second pass: PRIMARY record with the health check on the standby's alarm", union(primaryPeer, route53("primary"))),
		derive("secondary", "secondary-route53", "[secondary] with a custom domain, second pass: SECONDARY record and the routing alarm", union(secondaryPeer, route53("secondary"))),
		derive("secondary", "secondary-alarm-email", "[secondary], second pass, with AlarmEmail: SNS topic, e-mail subscription, alarm actions", union(secondaryPeer, map[string]string{"AlarmEmail": ExampleAlarmEmail})),
		derive("primary", "primary-two-readers", "[primary], second pass, with DbReaderInstances=2: the second reader", union(primaryPeer, map[string]string{"DbReaderInstances": "2"})),
	}, nil
}
