package designcheck

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// Finding is one violation reported by a check.
type Finding struct {
	Check   string
	Where   string
	Message string
}

func (f Finding) String() string {
	return fmt.Sprintf("[%s] %s: %s", f.Check, f.Where, f.Message)
}

// Input is what the checks read.
type Input struct {
	Template  *Template
	SamConfig *samconfig.Config
	// RouterJS is frontdoor/router.js; the front-door check compares it
	// with the CloudFront Function's code. Empty skips that comparison.
	RouterJS string
	// Handlers are the Go main packages the template must build, relative
	// to the module root (handlers/api, handlers/migrate).
	Handlers []string
	// EnvJSON is env.json, the variables of `sam local start-api --env-vars`.
	EnvJSON map[string]map[string]string

	deployments []*Deployment
	deployErrs  []error
	deployed    bool
}

// Check is one named check.
type Check struct {
	Name string
	Doc  string
	run  func(in *Input, r *report)
}

type report struct {
	check    string
	findings []Finding
}

func (r *report) add(where, format string, args ...any) {
	r.findings = append(r.findings, Finding{Check: r.check, Where: where, Message: fmt.Sprintf(format, args...)})
}

// Checks are all the checks.
var Checks = []Check{
	{"scenarios", "every deployment samconfig.toml describes (first pass, second pass, Route 53) evaluates, with parameter values the template allows", checkScenarios},
	{"refs", "every Ref, Fn::GetAtt, Fn::Sub variable, Fn::FindInMap, condition and DependsOn names something that exists", checkRefs},
	{"cycles", "in each deployment, the dependencies by Ref, Fn::GetAtt, Fn::Sub and DependsOn (SAM Api events reversed) form no cycle", checkCycles},
	{"rules", "the Rules section refuses the parameter combinations of RuleCases that would fail mid-deployment, and accepts their neighbours", checkRules},
	{"refs-active", "in each deployment, existing resources and outputs reference only resources that exist in that deployment", checkActiveRefs},
	{"types", "resource types come from AllowedTypes, set that type's required properties and no property or resource attribute the type does not have", checkTypes},
	{"parameters", "the parameters of the stack interface (CONTRACTS.md) exist with their defaults", checkParameters},
	{"outputs", "the outputs of the stack interface exist, exported as ${AWS::StackName}-<Name>, in the deployments they belong to", checkOutputs},
	{"api", "REST API: stage prod, regional, tracing, throttling, access logs; the routes of ARCHITECTURE.md §3 with the Cognito authorizer and their scopes; health public", checkAPI},
	{"proxy", "RDS Proxy: IAM auth required on every secret, TLS required, borrow timeout under 29 s, a read-only endpoint, the role reads only its secrets", checkProxy},
	{"iam", "no IAM statement allows a wildcard action on a wildcard resource; no broad managed policies", checkIAM},
	{"functions", "Lambda functions: provided.al2023 arm64, go1.x build of the module's handlers, VPC, log groups with retention, contract environment, least-privilege DB access", checkFunctions},
	{"network", "no NAT/internet gateway or EIP or default route; 2+ subnets in distinct AZs; S3 gateway endpoint; 3306 only functions -> proxy -> cluster", checkNetwork},
	{"keypolicy", "KMS key policies: the account administers the key unconditionally (PutKeyPolicy, deletion, ...) but uses it only through kms:ViaService RDS and Secrets Manager", checkKeyPolicy},
	{"encryption", "cluster and global cluster encrypted with a rotating, retained KMS key; secrets encrypted with it", checkEncryption},
	{"secrets", "the primary generates the DB secrets and replicates them to PeerRegion; the secondary copies the replicas by name", checkSecrets},
	{"database", "Aurora MySQL 3 Serverless v2 in a global cluster, backups, snapshot on delete/replace, an instance per cluster", checkDatabase},
	{"secondary-cluster", "the secondary joins the global cluster with an instance and without master credentials; the primary creates the global cluster", checkSecondaryCluster},
	{"cognito", "user pool, domain, resource server api with read and upsert-delete, client-credentials client with a secret", checkCognito},
	{"frontdoor", "CloudFront mode: KeyValueStore, cloudfront-js-2.0 viewer-request function (code = frontdoor/router.js), both regional origins by region id, caching disabled, AllViewerExceptHostHeader", checkFrontDoor},
	{"route53", "Route 53 mode: regional custom domain per region, failover records whose alias zone matches their target, the PRIMARY health check follows the standby region's routing alarm", checkRoute53},
	{"alarms", "alarms on API 5xx, Lambda errors and throttles of the API function, proxy connection failures, secondary replication lag, each with the dimensions of the resource it watches", checkAlarms},
	{"migration", "the migration custom resource exists in both roles, after the database path is ready, with a function timeout for retries and a ServiceTimeout above it, reaching this region's proxy and app secret, and the migrate function purges idempotency keys hourly", checkMigration},
	{"samconfig", "samconfig.toml environments match the template's parameters and each other", checkSamConfig},
	{"envjson", "env.json names existing functions and only variables their Environment declares (sam local ignores the others)", checkEnvJSON},
}

// RunCheck runs one check.
func RunCheck(c Check, in *Input) []Finding {
	r := &report{check: c.Name}
	c.run(in, r)
	return r.findings
}

// ------------------------------------------------------------ scenarios

// Scenario kinds: the deploy passes of `mage deploy`.
const (
	FirstPass  = "first pass"
	SecondPass = "second pass"
	// Route53FirstPass has a custom domain from the start, peers unknown.
	Route53FirstPass = "route53 first pass"
	// Route53 is the second pass with a custom domain.
	Route53 = "route53"
)

// isRoute53 reports whether a pass has a custom domain.
func isRoute53(pass string) bool {
	return pass == Route53 || pass == Route53FirstPass
}

// samEnv is what a scenario takes from one samconfig environment: the
// region and the parameter overrides of `sam deploy --config-env <env>`.
type samEnv struct {
	region string
	params map[string]string
}

// fallbackEnvs stand in for samconfig.toml when it is missing or broken,
// so the template checks still run.
var fallbackEnvs = map[string]samEnv{
	"primary":   {"us-east-1", map[string]string{"Role": "primary", "GlobalClusterIdentifier": "todomgmt-global", "PeerRegion": "us-west-2", "VpcCidr": "10.10.0.0/16"}},
	"secondary": {"us-west-2", map[string]string{"Role": "secondary", "GlobalClusterIdentifier": "todomgmt-global", "PeerRegion": "us-east-1", "VpcCidr": "10.20.0.0/16"}},
}

// deployEnv reads environment name's deploy command from samconfig.toml as
// `sam deploy` (and mage, through pkg/samconfig) reads it; ok is false
// when the file, the environment, its region or readable overrides are
// missing.
func (in *Input) deployEnv(name string) (e samEnv, ok bool) {
	if in.SamConfig == nil {
		return samEnv{}, false
	}
	env, found := in.SamConfig.Envs[name]
	if !found {
		return samEnv{}, false
	}
	p := env.Params("deploy")
	ov, err := p.ParameterOverrides()
	if err != nil || p.Region() == "" {
		return samEnv{}, false
	}
	return samEnv{p.Region(), ov}, true
}

// Scenarios returns the deployments to check: for the [primary] and
// [secondary] environments of samconfig.toml, the first deploy pass as
// configured, the second pass (peer user pool and API domain known), and
// both passes again with a custom domain (Route 53 front door); and the
// [default] development stack as configured.
func (in *Input) Scenarios() []Scenario {
	envs := map[string]samEnv{}
	for _, role := range []string{"primary", "secondary"} {
		e, ok := in.deployEnv(role)
		if !ok {
			e = fallbackEnvs[role]
		}
		envs[role] = e
	}
	var out []Scenario
	for _, role := range []string{"primary", "secondary"} {
		peer := "secondary"
		if role == "secondary" {
			peer = "primary"
		}
		e, peerRegion := envs[role], envs[peer].region
		for _, pass := range []string{FirstPass, SecondPass, Route53FirstPass, Route53} {
			params := maps.Clone(e.params)
			if pass == SecondPass || pass == Route53 {
				params["PeerUserPoolArn"] = fmt.Sprintf("arn:aws:cognito-idp:%s:%s:userpool/%s_Example1", peerRegion, fakeAccount, peerRegion)
				params["PeerApiDomain"] = fmt.Sprintf("abcdef1234.execute-api.%s.amazonaws.com", peerRegion)
			}
			if isRoute53(pass) {
				params["DomainName"] = "api.example.com"
				params["HostedZoneId"] = "Z0123456789EXAMPLE"
				params["CertificateArn"] = fmt.Sprintf("arn:aws:acm:%s:%s:certificate/00000000-0000-0000-0000-000000000000", e.region, fakeAccount)
			}
			out = append(out, Scenario{Name: role + " (" + pass + ")", Role: role, Pass: pass, Region: e.region, Params: params})
		}
	}
	// The [default] development stack: one region, configured as is.
	if e, ok := in.deployEnv("default"); ok {
		out = append(out, Scenario{Name: "default (" + FirstPass + ")", Role: e.params["Role"], Pass: FirstPass, Region: e.region, Params: e.params})
	}
	return out
}

// Deployments evaluates the template for every scenario. Scenarios that do
// not evaluate are left out (the scenarios check reports them).
func (in *Input) Deployments() []*Deployment {
	if !in.deployed {
		in.deployed = true
		for _, s := range in.Scenarios() {
			d, err := in.Template.Deploy(s)
			if err != nil {
				in.deployErrs = append(in.deployErrs, err)
				continue
			}
			in.deployments = append(in.deployments, d)
		}
	}
	return in.deployments
}

func checkScenarios(in *Input, r *report) {
	in.Deployments()
	for _, err := range in.deployErrs {
		r.add("deployment", "%v", err)
	}
	for _, s := range in.Scenarios() {
		for name, v := range s.Params {
			p := in.Template.Parameter(name)
			if p == nil {
				continue // reported by Deploy
			}
			if msg := validateParameter(p, v); msg != "" {
				r.add(s.Name, "parameter %s=%q: %s", name, v, msg)
			}
		}
	}
}

// validateParameter applies a parameter's AllowedValues, AllowedPattern and
// numeric bounds to a value, as CloudFormation does before deploying.
func validateParameter(p *Parameter, v string) string {
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
		if lo, ok := str(get(p.Node, "MinValue")); ok {
			if l, _ := strconv.ParseFloat(lo, 64); f < l {
				return "below MinValue " + lo
			}
		}
		if hi, ok := str(get(p.Node, "MaxValue")); ok {
			if h, _ := strconv.ParseFloat(hi, 64); f > h {
				return "above MaxValue " + hi
			}
		}
	}
	return ""
}

// ----------------------------------------------------------------- refs

func checkRefs(in *Input, r *report) {
	t := in.Template
	params := map[string]bool{}
	for _, p := range t.Parameters() {
		params[p.Name] = true
	}
	resources := map[string]*Resource{}
	for _, res := range t.Resources() {
		resources[res.Name] = res
	}
	conds := map[string]bool{}
	for _, c := range keys(t.Section("Conditions")) {
		conds[c] = true
	}
	checkName := func(where string, ref Reference, paramsOnly bool) {
		switch ref.Kind {
		case "Condition":
			if !conds[ref.Target] {
				r.add(where, "%s: no such condition", ref)
			}
			return
		case "GetAtt":
			checkAttr(r, where, ref, resources)
			return
		case "Sub":
			if ref.Attr != "" {
				checkAttr(r, where, ref, resources)
				return
			}
		}
		if ref.Kind == "Ref" && ref.Attr != "" {
			res := resources[ref.Target]
			if res == nil {
				r.add(where, "%s: no such resource", ref)
				return
			}
			if !slices.Contains(AllowedTypes[res.Type].RefProperties, ref.Attr) {
				r.add(where, "%s: %s has no SAM reference property %s", ref, res.Type, ref.Attr)
				return
			}
			if (ref.Attr == "Version" || ref.Attr == "Alias") && res.Prop("AutoPublishAlias") == nil {
				r.add(where, "%s: needs AutoPublishAlias on %s", ref, res.Name)
			}
			return
		}
		if pseudoParameters[ref.Target] || params[ref.Target] {
			return
		}
		if resources[ref.Target] != nil {
			if paramsOnly {
				r.add(where, "%s: conditions and rules may reference parameters only", ref)
			}
			return
		}
		r.add(where, "%s: no such parameter, pseudo parameter or resource", ref)
	}
	scan := func(where string, n *yaml.Node, paramsOnly bool) {
		refs, errs := references(n)
		for _, err := range errs {
			r.add(where, "%v", err)
		}
		for _, ref := range refs {
			checkName(where, ref, paramsOnly)
		}
		for _, ref := range conditionNames(n) {
			checkName(where, ref, paramsOnly)
		}
		checkFindInMaps(r, where, t, n)
	}
	for _, name := range keys(t.Section("Conditions")) {
		body := get(t.Section("Conditions"), name)
		scan("Conditions."+name, body, true)
		// The template reference defines a condition with Fn::And, Fn::Or,
		// Fn::Not or Fn::Equals; the Condition function appears only inside
		// them. A bare `!Condition X` body is not a documented form.
		if k := keys(body); len(k) != 1 || !slices.Contains([]string{"Fn::And", "Fn::Or", "Fn::Not", "Fn::Equals"}, k[0]) {
			r.add("Conditions."+name, "must be Fn::And, Fn::Or, Fn::Not or Fn::Equals, got %v", k)
		}
	}
	scan("Rules", t.Section("Rules"), true)
	for _, res := range t.Resources() {
		where := "Resources." + res.Name
		scan(where, res.Properties, false)
		if res.Condition != "" && !conds[res.Condition] {
			r.add(where, "Condition %s: no such condition", res.Condition)
		}
		for _, dep := range res.DependsOn {
			switch {
			case dep == res.Name:
				r.add(where, "DependsOn %s: depends on itself", dep)
			case resources[dep] == nil:
				r.add(where, "DependsOn %s: no such resource", dep)
			}
		}
	}
	outs := t.Section("Outputs")
	for _, name := range keys(outs) {
		o := get(outs, name)
		where := "Outputs." + name
		scan(where, get(o, "Value"), false)
		scan(where, get(o, "Export"), false)
		if c, ok := str(get(o, "Condition")); ok && !conds[c] {
			r.add(where, "Condition %s: no such condition", c)
		}
	}
}

func checkAttr(r *report, where string, ref Reference, resources map[string]*Resource) {
	res := resources[ref.Target]
	if res == nil {
		r.add(where, "%s: no such resource", ref)
		return
	}
	typ, known := AllowedTypes[res.Type]
	if known && typ.Attributes != nil && !slices.Contains(typ.Attributes, ref.Attr) {
		r.add(where, "%s: %s has no attribute %s", ref, res.Type, ref.Attr)
	}
}

func checkFindInMaps(r *report, where string, t *Template, n *yaml.Node) {
	walk(n, func(x *yaml.Node) {
		f, arg, ok := intrinsic(x)
		if !ok || f != "Fn::FindInMap" {
			return
		}
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 3 {
			r.add(where, "line %d: Fn::FindInMap needs [Map, TopKey, SecondKey]", x.Line)
			return
		}
		path := []string{}
		for _, k := range arg.Content {
			s, literal := str(k)
			if !literal {
				return // computed keys are checked per deployment
			}
			path = append(path, s)
		}
		if get(t.Section("Mappings"), path...) == nil {
			r.add(where, "line %d: Fn::FindInMap %s: no such mapping entry", x.Line, strings.Join(path, "/"))
		}
	})
}

func checkActiveRefs(in *Input, r *report) {
	for _, d := range in.Deployments() {
		active := func(where string, n *yaml.Node) {
			refs, _ := references(n)
			for _, ref := range refs {
				if pseudoParameters[ref.Target] || hasKey(d.Params, ref.Target) {
					continue
				}
				if in.Template.Resource(ref.Target) != nil && d.Resource(ref.Target) == nil {
					r.add(d.Scenario.Name+": "+where, "%s: the resource does not exist in this deployment", ref)
				}
			}
		}
		for _, res := range d.Resources {
			active("Resources."+res.Name, res.Properties)
			for _, dep := range res.DependsOn {
				if in.Template.Resource(dep) != nil && d.Resource(dep) == nil {
					r.add(d.Scenario.Name+": Resources."+res.Name, "DependsOn %s: the resource does not exist in this deployment", dep)
				}
			}
		}
		for _, name := range sortedKeys(d.Outputs) {
			active("Outputs."+name, get(d.Outputs[name], "Value"))
		}
	}
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// ---------------------------------------------------------------- types

func checkTypes(in *Input, r *report) {
	for _, res := range in.Template.Resources() {
		where := "Resources." + res.Name
		typ, ok := AllowedTypes[res.Type]
		if !ok {
			r.add(where, "type %q is not an allowed resource type", res.Type)
			continue
		}
		for _, p := range typ.Required {
			if res.Prop(p) == nil {
				r.add(where, "%s requires property %s", res.Type, p)
			}
		}
		if typ.Properties != nil {
			for _, p := range keys(res.Properties) {
				if !slices.Contains(typ.Properties, p) {
					r.add(where, "%s has no property %s%s", res.Type, p, didYouMean(p, typ.Properties))
				}
			}
		}
		for _, k := range keys(res.Node) {
			if !slices.Contains(resourceAttributes, k) && !slices.Contains(typ.ResourceAttributes, k) {
				r.add(where, "%s is not a resource attribute%s", k, didYouMean(k, append(slices.Clone(resourceAttributes), typ.ResourceAttributes...)))
			}
		}
	}
}

// didYouMean names the candidate that differs from s only in letter case
// or by one edit (PreferedBackupWindow, IdleClientTimeOut), if any.
func didYouMean(s string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(c, s) || editDistance(strings.ToLower(c), strings.ToLower(s)) <= 1 {
			return " (did you mean " + c + "?)"
		}
	}
	return ""
}

// editDistance is the Levenshtein distance of two strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// ----------------------------------------------------------- parameters

// ContractParameter is a parameter of the stack interface.
type ContractParameter struct {
	Name          string
	Default       *string  // nil: no default required or checked
	AllowedValues []string // checked when set
}

func strp(s string) *string { return &s }

// ContractParameters are CONTRACTS.md's "Stack interface" parameters.
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
	{Name: "DeletionProtection", AllowedValues: []string{"true", "false"}},
	{Name: "LogRetentionDays"},
	{Name: "AlarmEmail", Default: strp("")},
}

func checkParameters(in *Input, r *report) {
	contract := map[string]bool{}
	for _, cp := range ContractParameters {
		contract[cp.Name] = true
		p := in.Template.Parameter(cp.Name)
		where := "Parameters." + cp.Name
		if p == nil {
			r.add(where, "missing (stack interface parameter)")
			continue
		}
		if cp.Default != nil && (p.Default == nil || *p.Default != *cp.Default) {
			r.add(where, "default must be %q", *cp.Default)
		}
		if cp.AllowedValues != nil && !slices.Equal(p.AllowedValues, cp.AllowedValues) {
			r.add(where, "AllowedValues %v, want %v", p.AllowedValues, cp.AllowedValues)
		}
	}
	for _, p := range in.Template.Parameters() {
		if !contract[p.Name] && p.Default == nil {
			r.add("Parameters."+p.Name, "not in the stack interface and has no default: mage would not set it")
		}
	}
}

// -------------------------------------------------------------- outputs

// ContractOutputs are CONTRACTS.md's outputs present in every deployment.
var ContractOutputs = []string{
	"Region", "Role", "ApiUrl", "ApiDomain", "ApiId", "UserPoolId", "UserPoolArn", "TokenUrl",
	"AppClientId", "ClusterArn", "ClusterIdentifier", "GlobalClusterIdentifier", "ProxyEndpoint",
	"ProxyReadOnlyEndpoint", "ProxyName", "ApiFunctionName", "FrontDoorMode",
}

// ConditionalOutputs are the outputs that exist only with a front door.
var ConditionalOutputs = []string{"FrontDoorUrl", "DistributionId", "KeyValueStoreArn", "RoutingAlarmName"}

func checkOutputs(in *Input, r *report) {
	outs := in.Template.Section("Outputs")
	for _, name := range append(slices.Clone(ContractOutputs), ConditionalOutputs...) {
		o := get(outs, name)
		where := "Outputs." + name
		if o == nil {
			r.add(where, "missing (stack interface output)")
			continue
		}
		want := "${AWS::StackName}-" + name
		f, arg, ok := intrinsic(get(o, "Export", "Name"))
		if s, _ := str(arg); !ok || f != "Fn::Sub" || s != want {
			r.add(where, "Export.Name must be !Sub %q", want)
		}
	}
	for _, d := range in.Deployments() {
		m := d.Scenario
		where := d.Scenario.Name
		for _, name := range ContractOutputs {
			if get(outs, name) != nil && d.Outputs[name] == nil {
				r.add(where, "output %s missing in this deployment", name)
			}
		}
		cloudFront := m.Pass == SecondPass && m.Role == "primary"
		route53 := isRoute53(m.Pass)
		want := map[string]bool{
			"FrontDoorUrl":     cloudFront || route53,
			"DistributionId":   cloudFront,
			"KeyValueStoreArn": cloudFront,
			"RoutingAlarmName": route53 && m.Role == "secondary",
		}
		for _, name := range ConditionalOutputs {
			if got := d.Outputs[name] != nil; got != want[name] {
				r.add(where, "output %s present=%v, want %v", name, got, want[name])
			}
		}
		wantMode := map[string]string{FirstPass: "none", SecondPass: "cloudfront", Route53FirstPass: "route53", Route53: "route53"}[m.Pass]
		if o := d.Outputs["FrontDoorMode"]; o != nil {
			if got, err := d.Value(get(o, "Value")); err != nil || got != wantMode {
				r.add(where, "FrontDoorMode = %q (%v), want %q", got, err, wantMode)
			}
		}
	}
}
