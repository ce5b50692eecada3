// Package readiness is the logic of the readiness function
// (handlers/readiness), which runs on a schedule in each region: it
// builds the AWS adapters of pkg/awsfailover from its environment, asks
// pkg/failover's planning code whether a planned switchover and an
// unplanned failover would work now, seen from its own region
// (orchestrator.Orchestrator.Readiness), and reports each plan as one metric
// datum (Ready, 1 or 0) and one structured log line naming the failing
// checks. It reads only: it never executes a plan, and its role may only
// describe, get and list, and put metric data in its namespace.
package readiness

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The function's environment, as template.yaml sets it.
const (
	EnvAppName            = "TODOMGMT_APP_NAME"
	EnvRegion             = "TODOMGMT_REGION"
	EnvPeerRegion         = "TODOMGMT_PEER_REGION"
	EnvPrimaryRegion      = "TODOMGMT_PRIMARY_REGION"
	EnvGlobalCluster      = "TODOMGMT_GLOBAL_CLUSTER"
	EnvProxyName          = "TODOMGMT_PROXY_NAME"
	EnvAPIURL             = "TODOMGMT_API_URL"
	EnvPeerAPIURL         = "TODOMGMT_PEER_API_URL"
	EnvUserPoolID         = "TODOMGMT_USER_POOL_ID"
	EnvPeerUserPoolARN    = "TODOMGMT_PEER_USER_POOL_ARN"
	EnvFrontDoorMode      = "TODOMGMT_FRONT_DOOR_MODE"
	EnvKVSARN             = "TODOMGMT_KVS_ARN"
	EnvRoutingAlarm       = "TODOMGMT_ROUTING_ALARM"
	EnvDeletionProtection = "TODOMGMT_DELETION_PROTECTION"
	EnvBackupRetention    = "TODOMGMT_BACKUP_RETENTION_DAYS"
	EnvMaxLag             = "TODOMGMT_MAX_LAG"
	EnvProbeTimeout       = "TODOMGMT_PROBE_TIMEOUT"
)

// Env lists every variable the function reads.
var Env = []string{EnvAppName, EnvRegion, EnvPeerRegion, EnvPrimaryRegion, EnvGlobalCluster, EnvProxyName, EnvAPIURL,
	EnvPeerAPIURL, EnvUserPoolID, EnvPeerUserPoolARN, EnvFrontDoorMode, EnvKVSARN, EnvRoutingAlarm, EnvDeletionProtection,
	EnvBackupRetention, EnvMaxLag, EnvProbeTimeout}

// RequiredEnv are the variables the function cannot run without; the
// others are known once the peer exists (the second deploy pass) or have
// defaults.
var RequiredEnv = []string{EnvAppName, EnvRegion, EnvPeerRegion, EnvPrimaryRegion, EnvGlobalCluster, EnvProxyName, EnvAPIURL,
	EnvUserPoolID, EnvFrontDoorMode, EnvDeletionProtection, EnvBackupRetention}

// Defaults of the optional settings.
const (
	// DefaultProbeTimeout bounds each read (a region that does not
	// answer costs at most this, per phase of the evaluation).
	DefaultProbeTimeout = 8 * time.Second
)

// Front door modes, as the FrontDoorMode output names them.
const (
	FrontDoorCloudFront = "cloudfront"
	FrontDoorRoute53    = "route53"
	FrontDoorNone       = "none"
)

// Config is the function's configuration.
type Config struct {
	// AppName is the metric's AppName dimension and the prefix of names.
	AppName string
	// Region is the function's own region, whose point of view it
	// judges from; PeerRegion the other; PrimaryRegion the one whose
	// stack was created as primary (the front door's fallback, Route 53's
	// PRIMARY record).
	Region, PeerRegion, PrimaryRegion string
	GlobalClusterID                   string
	// ProxyName is the RDS Proxy's name, the same in both stacks
	// (<AppName>-proxy).
	ProxyName string
	// APIURL and PeerAPIURL are the regional APIs' base URLs (stage
	// included); the peer's is empty until the second deploy pass.
	APIURL, PeerAPIURL string
	// UserPoolID is this region's pool; PeerUserPoolID the peer's (from
	// PeerUserPoolArn; empty until the second deploy pass).
	UserPoolID, PeerUserPoolID string
	// FrontDoorMode is cloudfront, route53 or none; KVSARN the
	// KeyValueStore of the CloudFront front door (empty until known);
	// RoutingAlarm the Route 53 mode's alarm in the standby region.
	FrontDoorMode string
	KVSARN        string
	RoutingAlarm  string
	// WantDeletionProtection and WantBackupRetention are what the
	// deployment asks of the clusters.
	WantDeletionProtection bool
	WantBackupRetention    time.Duration
	// MaxLag is the replication lag bound (zero: plan.DefaultMaxLag);
	// ProbeTimeout bounds each read (zero: DefaultProbeTimeout).
	MaxLag       time.Duration
	ProbeTimeout time.Duration
}

// ConfigFromEnv reads the configuration, refusing a missing required
// variable or a value it cannot use, all at once.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	for _, k := range RequiredEnv {
		if strings.TrimSpace(getenv(k)) == "" {
			errs = append(errs, fmt.Errorf("%s is not set", k))
		}
	}
	c := Config{
		AppName: getenv(EnvAppName), Region: getenv(EnvRegion), PeerRegion: getenv(EnvPeerRegion), PrimaryRegion: getenv(EnvPrimaryRegion),
		GlobalClusterID: getenv(EnvGlobalCluster), ProxyName: getenv(EnvProxyName),
		APIURL: strings.TrimSuffix(getenv(EnvAPIURL), "/"), PeerAPIURL: strings.TrimSuffix(getenv(EnvPeerAPIURL), "/"),
		UserPoolID: getenv(EnvUserPoolID), FrontDoorMode: getenv(EnvFrontDoorMode), KVSARN: getenv(EnvKVSARN),
		RoutingAlarm: getenv(EnvRoutingAlarm),
	}
	if c.Region != "" && c.Region == c.PeerRegion {
		errs = append(errs, fmt.Errorf("%s and %s are both %s", EnvRegion, EnvPeerRegion, c.Region))
	}
	if p := c.PrimaryRegion; p != "" && p != c.Region && p != c.PeerRegion {
		errs = append(errs, fmt.Errorf("%s=%s is neither %s nor %s", EnvPrimaryRegion, p, c.Region, c.PeerRegion))
	}
	if arn := getenv(EnvPeerUserPoolARN); arn != "" {
		_, id, ok := strings.Cut(arn, ":userpool/")
		if !ok || id == "" || !strings.HasPrefix(arn, "arn:") {
			errs = append(errs, fmt.Errorf("%s=%q is not a user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<id>)", EnvPeerUserPoolARN, arn))
		}
		c.PeerUserPoolID = id
	}
	switch c.FrontDoorMode {
	case FrontDoorCloudFront, FrontDoorNone, "":
	case FrontDoorRoute53:
		if c.RoutingAlarm == "" {
			errs = append(errs, fmt.Errorf("%s=route53 needs %s", EnvFrontDoorMode, EnvRoutingAlarm))
		}
	default:
		errs = append(errs, fmt.Errorf("%s=%q: want cloudfront, route53 or none", EnvFrontDoorMode, c.FrontDoorMode))
	}
	if v := getenv(EnvDeletionProtection); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want true or false", EnvDeletionProtection, v))
		}
		c.WantDeletionProtection = b
	}
	if v := getenv(EnvBackupRetention); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 35 {
			errs = append(errs, fmt.Errorf("%s=%q: want whole days from 1 to 35 (Aurora's range)", EnvBackupRetention, v))
		}
		c.WantBackupRetention = time.Duration(n) * 24 * time.Hour
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{EnvMaxLag, &c.MaxLag}, {EnvProbeTimeout, &c.ProbeTimeout}} {
		v := getenv(d.name)
		if v == "" {
			continue
		}
		x, err := time.ParseDuration(v)
		if err != nil || x <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive Go duration (5s)", d.name, v))
		}
		*d.dst = x
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = DefaultProbeTimeout
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("readiness configuration: %w", err)
	}
	return c, nil
}
