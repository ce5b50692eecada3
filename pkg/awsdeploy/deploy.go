package awsdeploy

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/todomgmt/todomgmt/pkg/awsfailover"
	"github.com/todomgmt/todomgmt/pkg/awsops"
	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// BuildEnv is the environment for `sam build`: SAM's go1.x builder runs
// `go build` for GOOS=linux and the function's architecture; GOFLAGS and
// CGO_ENABLED carry the project's Lambda build flags (pkg/lambdabuild).
func BuildEnv() map[string]string {
	return map[string]string{"GOFLAGS": lambdabuild.GoFlags(), "CGO_ENABLED": "0"}
}

// SamBuildArgs are the arguments of `sam build` for a config environment.
func SamBuildArgs(t awsops.Target) []string {
	return []string{"build", "--config-env", t.Env}
}

// SamSyncArgs are the arguments of `sam sync` for a config environment.
func SamSyncArgs(env string) []string {
	return []string{"sync", "--config-env", env}
}

// SamDeployArgs are the arguments of `sam deploy` for t. With overrides,
// they replace samconfig's parameter_overrides entirely (the SAM CLI does
// not merge the two), so callers pass the full set: see PeerOverrides.
// An empty change set is not an error, so a deploy can be re-run.
func SamDeployArgs(t awsops.Target, overrides map[string]string) []string {
	args := []string{"deploy", "--config-env", t.Env, "--no-confirm-changeset", "--no-fail-on-empty-changeset"}
	if overrides != nil {
		args = append(args, "--parameter-overrides", strings.Join(samconfig.FormatOverrides(overrides), " "))
	}
	return args
}

// peerParams are, by the role of the stack deployed, the parameters it
// takes from its peer stack's outputs: both trust the peer's user pool
// and know its API domain; the secondary's proxy reads the replicas of
// the primary's DB secrets (their ARNs are the primary's with the region
// replaced, which the template computes) and its readiness function the
// primary's KeyValueStore; the primary encrypts those replicas with the
// secondary's own key.
var peerParams = map[string][]peerParam{
	awsops.RolePrimary: {
		{"PeerUserPoolArn", "UserPoolArn", true},
		{"PeerApiDomain", "ApiDomain", true},
		// Optional: a secondary deployed before the output existed gets
		// it on its next deploy, and the primary's next pass uses it.
		{"PeerDbKeyArn", "DbKeyArn", false},
	},
	awsops.RoleSecondary: {
		{"PeerUserPoolArn", "UserPoolArn", true},
		{"PeerApiDomain", "ApiDomain", true},
		{"PrimaryMasterSecretArn", "MasterSecretArn", true},
		{"PrimaryAppSecretArn", "AppSecretArn", true},
		// Optional: the primary has a KeyValueStore in CloudFront mode
		// once its second pass created it; the secondary's readiness
		// function reads the front door's route there.
		{"FrontDoorKeyValueStoreArn", "KeyValueStoreArn", false},
	},
}

// peerParam is a parameter and the peer output it comes from.
type peerParam struct {
	param, output string
	required      bool
}

// PeerOverrides returns t's parameter overrides once its peer exists: the
// samconfig ones plus what it takes from the peer's outputs (peerParams).
// needed is false when self already has those values (nothing to deploy).
func PeerOverrides(t awsops.Target, self *awsops.Stack, peer *awsops.Stack) (overrides map[string]string, needed bool, err error) {
	if peer == nil {
		return nil, false, fmt.Errorf("the peer of %s is not deployed", t.StackName)
	}
	params, ok := peerParams[t.Env]
	if !ok {
		return nil, false, fmt.Errorf("no peer parameters for samconfig environment %q (want %s or %s)", t.Env, awsops.RolePrimary, awsops.RoleSecondary)
	}
	o := maps.Clone(t.Overrides)
	if o == nil {
		o = map[string]string{}
	}
	var missing []string
	for _, p := range params {
		v := peer.Output(p.output)
		if v == "" && p.required {
			missing = append(missing, p.output)
		}
		o[p.param] = v
	}
	if len(missing) > 0 {
		return nil, false, fmt.Errorf("stack %s in %s lacks the %s output(s): deploy it again with this template (go tool mage deploy:%s)",
			peer.Name, peer.Region, strings.Join(missing, ", "), peer.Parameters["Role"])
	}
	if o["PeerRegion"] == "" {
		o["PeerRegion"] = peer.Region
	}
	if o["PeerRegion"] != peer.Region {
		return nil, false, fmt.Errorf("samconfig [%s] says PeerRegion=%s but the peer stack is in %s", t.Env, o["PeerRegion"], peer.Region)
	}
	needed = self == nil
	for _, p := range params {
		if self != nil && self.Parameters[p.param] != o[p.param] {
			needed = true
		}
	}
	return o, needed, nil
}

// DeployOverrides returns the parameter overrides for deploying t now.
// While the primary's peer does not exist they are nil: samconfig's own
// apply. Once the peer exists they are samconfig's plus what the stack
// takes from the peer (PeerOverrides), so deploying a stack again never
// drops what an earlier pass wired (sam deploy would otherwise reset them
// to samconfig's empty values and remove the front door). The secondary
// cannot be deployed before the primary: its proxy reads the replicas of
// the primary's secrets. wired reports whether t's stack already has the
// peer's values.
func DeployOverrides(e *awsops.Env, t awsops.Target) (overrides map[string]string, wired bool, err error) {
	if err := e.RequireFresh(); err != nil {
		return nil, false, err
	}
	self, peer := e.Primary, e.Secondary
	if t.Env == awsops.RoleSecondary {
		self, peer = e.Secondary, e.Primary
	}
	if peer == nil {
		if t.Env == awsops.RoleSecondary {
			return nil, false, fmt.Errorf("stack %s not found in %s: deploy the primary first (go tool mage deploy:primary); the secondary's proxy reads the replicas of its secrets",
				e.Config.Primary.StackName, e.Config.Primary.Region)
		}
		return nil, false, nil
	}
	o, needed, err := PeerOverrides(t, self, peer)
	if err != nil {
		return nil, false, err
	}
	return o, !needed, nil
}

// SeedFrontDoor names the primary region as active on the front door's
// first creation only: CloudFront mode writes the KeyValueStore key when
// it is absent; Route 53 mode writes PrimaryEnabled=1 while the alarm has
// no data yet. It never moves traffic that is already routed, so a deploy
// after a failover leaves the route alone. It returns what it did.
func SeedFrontDoor(ctx context.Context, e *awsops.Env) (string, error) {
	if err := e.RequireStacks(); err != nil {
		return "", err
	}
	router, err := e.Router()
	if err != nil {
		return "", err
	}
	switch r := router.(type) {
	case *awsfailover.KVSRouter:
		wrote, err := r.Seed(ctx, e.Primary.Region)
		if err != nil {
			return "", err
		}
		if wrote {
			return fmt.Sprintf("front door: %s=%s written (first creation)", awsfailover.ActiveRegionKey, e.Primary.Region), nil
		}
		active, err := r.Active(ctx)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("front door: %s already set, traffic goes to %s (left as is)", awsfailover.ActiveRegionKey, active), nil
	case *awsfailover.MetricRouter:
		wrote, state, err := r.Seed(ctx)
		if err != nil {
			return "", err
		}
		if !wrote {
			return fmt.Sprintf("front door: alarm %s is %s (left as is)", r.AlarmName, state), nil
		}
		return fmt.Sprintf("front door: %s/%s=1 written in %s (first creation)", awsfailover.RoutingNamespace, awsfailover.RoutingMetric, r.StandbyRegion), nil
	}
	return "", fmt.Errorf("unknown router %T", router)
}
