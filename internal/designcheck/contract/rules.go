package contract

import (
	"errors"
	"maps"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/samcheck"
)

// RuleCase is a combination of parameter values applied on top of one of
// the parameter sets: CloudFormation's Rules must refuse it (Refused)
// before anything is deployed, or accept it.
type RuleCase struct {
	Name    string
	Set     string // the ParameterSet.Name it modifies
	Params  map[string]string
	Refused bool
}

// RuleCases are the parameter combinations that would otherwise fail in
// the middle of a deployment, and neighbours that must still deploy.
// cfn-lint does not evaluate Rules against parameter values.
var RuleCases = []RuleCase{
	{"CloudFront front door without PeerRegion (origin id \"\")", "primary-cloudfront", map[string]string{"PeerRegion": "", "PeerDbKeyArn": ""}, true},
	{"peer API without PeerRegion in the secondary", "secondary-cloudfront", map[string]string{"PeerRegion": ""}, true},
	{"DbMinCapacity above DbMaxCapacity", "primary", map[string]string{"DbMinCapacity": "8", "DbMaxCapacity": "2"}, true},
	{"largest DbMinCapacity above DbMaxCapacity", "secondary", map[string]string{"DbMinCapacity": "256", "DbMaxCapacity": "128"}, true},
	{"custom domain without hosted zone", "primary-route53", map[string]string{"HostedZoneId": ""}, true},
	{"custom domain without certificate", "secondary-route53", map[string]string{"CertificateArn": ""}, true},
	{"secondary without the primary's master secret", "secondary", map[string]string{"PrimaryMasterSecretArn": ""}, true},
	{"secondary without the primary's app secret", "secondary-cloudfront", map[string]string{"PrimaryAppSecretArn": ""}, true},
	{"the replica key given to the secondary", "secondary-cloudfront", map[string]string{"PeerDbKeyArn": samcheck.KeyArn("us-east-1")}, true},
	{"the replica key without a peer region", "primary-cloudfront", map[string]string{"PeerRegion": "", "PeerApiDomain": "", "PeerUserPoolArn": ""}, true},
	{"the front door's store given to the primary", "primary-cloudfront", map[string]string{"FrontDoorKeyValueStoreArn": samcheck.KeyValueStoreArn}, true},
	{"second pass of the primary without the peer's key", "primary-cloudfront", map[string]string{"PeerDbKeyArn": ""}, false},
	{"equal capacities", "primary", map[string]string{"DbMinCapacity": "4", "DbMaxCapacity": "4"}, false},
	{"widest capacity range", "secondary-cloudfront", map[string]string{"DbMinCapacity": "0.5", "DbMaxCapacity": "256"}, false},
	{"first pass without a peer", "primary", map[string]string{"PeerRegion": ""}, false},
}

func checkRules(in *designcheck.Input, r *designcheck.Report) {
	if in.SamConfig == nil {
		r.Add("samconfig.toml", "missing or unreadable")
		return
	}
	all, err := samcheck.ParameterSets(in.SamConfig)
	if err != nil {
		r.Add("samconfig.toml", "parameter sets: %v", err)
		return
	}
	sets := map[string]samcheck.ParameterSet{}
	for _, s := range all {
		sets[s.Name] = s
	}
	for _, rc := range RuleCases {
		base, ok := sets[rc.Set]
		if !ok {
			r.Add(rc.Name, "no parameter set %q", rc.Set)
			continue
		}
		s := base
		s.Name = rc.Set + " with " + rc.Name
		s.Params = maps.Clone(base.Params)
		maps.Copy(s.Params, rc.Params)
		_, err := designcheck.Deploy(in.Source, s)
		refused := errors.Is(err, designcheck.ErrRuleFailed)
		switch {
		case rc.Refused && !refused:
			r.Add(rc.Name, "%v: not refused by the template's Rules (err %v); CloudFormation would fail halfway through the deployment", rc.Params, err)
		case !rc.Refused && err != nil:
			r.Add(rc.Name, "%v: want it deployable, got %v", rc.Params, err)
		}
	}
}
