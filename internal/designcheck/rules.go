package designcheck

import (
	"errors"
	"maps"
)

// ----------------------------------------------------------------- rules

// RuleCase is a combination of parameter values applied on top of one of
// the Scenarios: CloudFormation's Rules must refuse it (Refused) before
// anything is deployed, or accept it.
type RuleCase struct {
	Name     string
	Scenario string // the Scenario.Name it modifies
	Params   map[string]string
	Refused  bool
}

// RuleCases are the parameter combinations that would otherwise fail in
// the middle of a deployment, and neighbours that must still deploy.
var RuleCases = []RuleCase{
	{"CloudFront front door without PeerRegion (origin id \"\")", "primary (second pass)", map[string]string{"PeerRegion": ""}, true},
	{"peer API without PeerRegion in the secondary", "secondary (second pass)", map[string]string{"PeerRegion": ""}, true},
	{"DbMinCapacity above DbMaxCapacity", "primary (first pass)", map[string]string{"DbMinCapacity": "8", "DbMaxCapacity": "2"}, true},
	{"largest DbMinCapacity above DbMaxCapacity", "secondary (first pass)", map[string]string{"DbMinCapacity": "256", "DbMaxCapacity": "128"}, true},
	{"custom domain without hosted zone", "primary (route53)", map[string]string{"HostedZoneId": ""}, true},
	{"custom domain without certificate", "secondary (route53 first pass)", map[string]string{"CertificateArn": ""}, true},
	{"equal capacities", "primary (first pass)", map[string]string{"DbMinCapacity": "4", "DbMaxCapacity": "4"}, false},
	{"widest capacity range", "secondary (second pass)", map[string]string{"DbMinCapacity": "0.5", "DbMaxCapacity": "256"}, false},
	{"first pass without a peer", "primary (first pass)", map[string]string{"PeerRegion": ""}, false},
}

func checkRules(in *Input, r *report) {
	scenarios := map[string]Scenario{}
	for _, s := range in.Scenarios() {
		scenarios[s.Name] = s
	}
	for _, rc := range RuleCases {
		base, ok := scenarios[rc.Scenario]
		if !ok {
			r.add(rc.Name, "no scenario %q", rc.Scenario)
			continue
		}
		s := base
		s.Name = rc.Scenario + " with " + rc.Name
		s.Params = maps.Clone(base.Params)
		maps.Copy(s.Params, rc.Params)
		_, err := in.Template.Deploy(s)
		refused := errors.Is(err, ErrRuleFailed)
		switch {
		case rc.Refused && !refused:
			r.add(rc.Name, "%v: not refused by the template's Rules (err %v); CloudFormation would fail halfway through the deployment", rc.Params, err)
		case !rc.Refused && err != nil:
			r.add(rc.Name, "%v: want it deployable, got %v", rc.Params, err)
		}
	}
}
