// Package contract checks the stack's contract with whoever deploys it:
// the parameters and outputs of the stack interface, the Rules that
// refuse the combinations that would fail mid-deployment, the mappings,
// that every parameter set samcheck derives from samconfig.toml deploys,
// and the files that set them, samconfig.toml and env.json.
package contract

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/samcheck"
)

// Checks are the stack contract checks, in the order they report.
var Checks = []designcheck.Check{
	{Name: "parameter-sets", Doc: "samcheck's parameter sets derive from samconfig.toml and pass the template's AllowedValues, AllowedPattern and Rules (cfn-lint checks neither patterns nor Rules)", Translated: false, Run: checkParameterSets},
	{Name: "rules", Doc: "the Rules section refuses the parameter combinations of RuleCases that would fail mid-deployment, and accepts their neighbours", Translated: false, Run: checkRules},
	{Name: "parameters", Doc: "the parameters of the stack interface exist with their defaults", Translated: false, Run: checkParameters},
	{Name: "outputs", Doc: "the outputs of the stack interface exist, exported as ${AWS::StackName}-<Name>, in the deployments they belong to", Translated: true, Run: checkOutputs},
	{Name: "deployments", Doc: "the translated template evaluates for every parameter set (its Rules accept the set, its conditions evaluate)", Translated: true, Run: checkDeployments},
	{Name: "mappings", Doc: "every Fn::FindInMap names an entry of Mappings (cfn-lint 1.51 checks the keys only where it validates the resolved value)", Translated: true, Run: checkMappings},
	{Name: "samconfig", Doc: "samconfig.toml environments match the template's parameters and each other", Translated: false, Run: checkSamConfig},
	{Name: "envjson", Doc: "env.json names existing functions and only variables their Environment declares (sam local ignores the others)", Translated: true, Run: checkEnvJSON},
}

// ----------------------------------------------------------- parameters

// ContractParameter is a parameter of the stack interface.
type ContractParameter struct {
	Name          string
	Default       *string  // nil: no default required or checked
	AllowedValues []string // checked when set
}

func strp(s string) *string { return &s }

// ContractParameters are the parameters mage deploy and the runbook set.
var ContractParameters = []ContractParameter{
	{Name: "Role", AllowedValues: []string{"primary", "secondary"}},
	{Name: "AppName", Default: strp("todomgmt")},
	{Name: "GlobalClusterIdentifier"},
	{Name: "PeerRegion"},
	{Name: "PeerUserPoolArn", Default: strp("")},
	{Name: "PeerApiDomain", Default: strp("")},
	{Name: "DomainName", Default: strp("")},
	{Name: "HostedZoneId", Default: strp("")},
	{Name: "CertificateArn", Default: strp("")},
	{Name: "VpcCidr"},
	{Name: "DbMinCapacity"},
	{Name: "DbMaxCapacity"},
	{Name: "DbReaderInstances", Default: strp("0"), AllowedValues: []string{"0", "1", "2"}},
	{Name: "DeletionProtection", AllowedValues: []string{"true", "false"}},
	{Name: "LogRetentionDays"},
	{Name: "AlarmEmail", Default: strp("")},
	{Name: "PrimaryMasterSecretArn", Default: strp("")},
	{Name: "PrimaryAppSecretArn", Default: strp("")},
	{Name: "PeerDbKeyArn", Default: strp("")},
	{Name: "FrontDoorKeyValueStoreArn", Default: strp("")},
	{Name: "ReadinessIntervalMinutes", Default: strp("5"), AllowedValues: []string{"5", "10", "15", "30", "60"}},
	{Name: "ReadinessAlarmPeriods", Default: strp("3")},
}

func checkParameters(in *designcheck.Input, r *designcheck.Report) {
	contract := map[string]bool{}
	for _, cp := range ContractParameters {
		contract[cp.Name] = true
		p := in.Source.Parameter(cp.Name)
		where := "Parameters." + cp.Name
		if p == nil {
			r.Add(where, "missing (stack interface parameter)")
			continue
		}
		if cp.Default != nil && (p.Default == nil || *p.Default != *cp.Default) {
			r.Add(where, "default must be %q", *cp.Default)
		}
		if cp.AllowedValues != nil && !slices.Equal(p.AllowedValues, cp.AllowedValues) {
			r.Add(where, "AllowedValues %v, want %v", p.AllowedValues, cp.AllowedValues)
		}
	}
	for _, p := range in.Source.Parameters() {
		if !contract[p.Name] && p.Default == nil {
			r.Add("Parameters."+p.Name, "not in the stack interface and has no default: mage would not set it")
		}
	}
}

// -------------------------------------------------------------- outputs

// ContractOutputs are the outputs present in every deployment, which
// mage and the orchestrator read.
var ContractOutputs = []string{
	"Region", "Role", "ApiUrl", "ApiDomain", "ApiId", "UserPoolId", "UserPoolArn", "TokenUrl",
	"AppClientId", "ClusterArn", "ClusterIdentifier", "GlobalClusterIdentifier", "ProxyEndpoint",
	"ProxyReadOnlyEndpoint", "ProxyName", "ApiFunctionName", "MigrateFunctionName", "FrontDoorMode",
	"AlarmTopicArn", "DashboardUrl", "DbKeyArn",
}

// ConditionalOutputs are the outputs that exist only with a front door.
var ConditionalOutputs = []string{"FrontDoorUrl", "DistributionId", "KeyValueStoreArn", "RoutingAlarmName", "MasterSecretArn", "AppSecretArn", "ReadinessFunctionName"}

func checkOutputs(in *designcheck.Input, r *designcheck.Report) {
	outs := in.Source.Section("Outputs")
	for _, name := range append(slices.Clone(ContractOutputs), ConditionalOutputs...) {
		o := designcheck.Get(outs, name)
		where := "Outputs." + name
		if o == nil {
			r.Add(where, "missing (stack interface output)")
			continue
		}
		want := "${AWS::StackName}-" + name
		f, arg, ok := designcheck.Intrinsic(designcheck.Get(o, "Export", "Name"))
		if s, _ := designcheck.Str(arg); !ok || f != "Fn::Sub" || s != want {
			r.Add(where, "Export.Name must be !Sub %q", want)
		}
	}
	for _, d := range in.Deployments() {
		s := d.Set
		for _, name := range ContractOutputs {
			if designcheck.Get(outs, name) != nil && d.Outputs[name] == nil {
				r.AddIn(d, "Outputs."+name, "missing in this deployment")
			}
		}
		cloudFront := designcheck.CloudFrontMode(s) && s.Role() == "primary"
		want := map[string]bool{
			"FrontDoorUrl":     cloudFront || designcheck.Route53Mode(s),
			"DistributionId":   cloudFront,
			"KeyValueStoreArn": cloudFront,
			"RoutingAlarmName": designcheck.Route53Mode(s) && s.Role() == "secondary",
			// The secondary's PrimaryMasterSecretArn and PrimaryAppSecretArn.
			"MasterSecretArn": s.Role() == "primary",
			"AppSecretArn":    s.Role() == "primary",
			// Readiness needs a region to fail over to.
			"ReadinessFunctionName": d.Params["PeerRegion"] != "",
		}
		for _, name := range ConditionalOutputs {
			if got := d.Outputs[name] != nil; got != want[name] {
				r.AddIn(d, "Outputs."+name, "present=%v, want %v", got, want[name])
			}
		}
		wantMode := "none"
		switch {
		case designcheck.Route53Mode(s):
			wantMode = "route53"
		case designcheck.CloudFrontMode(s):
			wantMode = "cloudfront"
		}
		if o := d.Outputs["FrontDoorMode"]; o != nil {
			if got, err := d.Value(designcheck.Get(o, "Value")); err != nil || got != wantMode {
				r.AddIn(d, "Outputs.FrontDoorMode", "%q (%v), want %q", got, err, wantMode)
			}
		}
	}
}

// ------------------------------------------------------- parameter sets

// checkParameterSets: the sets samcheck derives from samconfig.toml are
// deployments CloudFormation would start: every value passes its
// parameter's constraints and the Rules. cfn-lint's check of parameter
// values (E2900) reads AllowedValues but neither AllowedPattern nor Rules.
func checkParameterSets(in *designcheck.Input, r *designcheck.Report) {
	if in.SamConfig == nil {
		r.Add("samconfig.toml", "missing or unreadable")
		return
	}
	sets, err := samcheck.ParameterSets(in.SamConfig)
	if err != nil {
		r.Add("samconfig.toml", "parameter sets: %v", err)
		return
	}
	for _, s := range sets {
		for _, name := range slices.Sorted(maps.Keys(s.Params)) {
			v := s.Params[name]
			p := in.Source.Parameter(name)
			if p == nil {
				r.Add(s.Name, "parameter %s is not a template parameter", name)
				continue
			}
			if msg := validateParameter(p, v); msg != "" {
				r.Add(s.Name, "parameter %s=%q: %s", name, v, msg)
			}
		}
		if _, err := designcheck.Deploy(in.Source, s); err != nil {
			r.Add(s.Name, "%v", err)
		}
	}
}

// validateParameter applies a parameter's AllowedValues, AllowedPattern and
// numeric bounds to a value, as CloudFormation does before deploying.
func validateParameter(p *designcheck.Parameter, v string) string {
	if len(p.AllowedValues) > 0 && !slices.Contains(p.AllowedValues, v) {
		return fmt.Sprintf("not one of %v", p.AllowedValues)
	}
	if p.AllowedPattern != "" {
		re, err := regexp.Compile("^(?:" + p.AllowedPattern + ")$")
		if err != nil {
			return fmt.Sprintf("AllowedPattern does not compile: %v", err)
		}
		if !re.MatchString(v) {
			return fmt.Sprintf("does not match AllowedPattern %s", p.AllowedPattern)
		}
	}
	if p.Type == "Number" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return "not a number"
		}
		if lo, ok := designcheck.Str(designcheck.Get(p.Node, "MinValue")); ok {
			if l, _ := strconv.ParseFloat(lo, 64); f < l {
				return "below MinValue " + lo
			}
		}
		if hi, ok := designcheck.Str(designcheck.Get(p.Node, "MaxValue")); ok {
			if h, _ := strconv.ParseFloat(hi, 64); f > h {
				return "above MaxValue " + hi
			}
		}
	}
	return ""
}

// --------------------------------------------------------- deployments

func checkDeployments(in *designcheck.Input, r *designcheck.Report) {
	for _, err := range in.DeploymentErrors() {
		r.Add("deployment", "%v", err)
	}
}

// ------------------------------------------------------------- mappings

// checkMappings: CloudFormation refuses a template whose Fn::FindInMap
// names no entry. cfn-lint 1.51 reports it only where it validates the
// resolved value against the property's schema, not in a Lambda
// function's environment or an Aurora EngineVersion, where this template
// uses mappings.
func checkMappings(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		scan := func(where string, n *yaml.Node) {
			designcheck.Walk(n, func(x *yaml.Node) {
				f, arg, ok := designcheck.Intrinsic(x)
				if !ok || f != "Fn::FindInMap" {
					return
				}
				if arg.Kind != yaml.SequenceNode || len(arg.Content) != 3 {
					r.AddIn(d, where, "line %d: Fn::FindInMap needs [Map, TopKey, SecondKey]", x.Line)
					return
				}
				var path []string
				for _, k := range arg.Content {
					v, err := d.Value(k)
					if err != nil {
						return // a key known only at deploy time
					}
					path = append(path, v)
				}
				if _, found := designcheck.Str(designcheck.Get(d.Template.Section("Mappings"), path...)); !found {
					r.AddIn(d, where, "Fn::FindInMap %s: no such entry in Mappings", strings.Join(path, "/"))
				}
			})
		}
		for _, res := range d.Resources {
			scan("Resources."+res.Name, res.Node)
		}
		for _, name := range slices.Sorted(maps.Keys(d.Outputs)) {
			scan("Outputs."+name, d.Outputs[name])
		}
	}
}
