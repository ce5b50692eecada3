package cfn

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
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
	SamConfig *SamConfig
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

// Checks are all the checks, in the order Run runs them.
var Checks = []Check{
	{"scenarios", "every deployment samconfig.toml describes (first pass, second pass, Route 53) evaluates, with parameter values the template allows", checkScenarios},
	{"refs", "every Ref, Fn::GetAtt, Fn::Sub variable, Fn::FindInMap, condition and DependsOn names something that exists", checkRefs},
	{"refs-active", "in each deployment, existing resources and outputs reference only resources that exist in that deployment", checkActiveRefs},
	{"types", "resource types come from AllowedTypes and set that type's required properties", checkTypes},
	{"parameters", "the parameters of the stack interface (CONTRACTS.md) exist with their defaults", checkParameters},
	{"outputs", "the outputs of the stack interface exist, exported as ${AWS::StackName}-<Name>, in the deployments they belong to", checkOutputs},
	{"api", "REST API: stage prod, regional, tracing, throttling, access logs; the routes of ARCHITECTURE.md §3 with the Cognito authorizer and their scopes; health public", checkAPI},
	{"proxy", "RDS Proxy: IAM auth required on every secret, TLS required, borrow timeout under 29 s, a read-only endpoint, the role reads only its secrets", checkProxy},
	{"iam", "no IAM statement allows a wildcard action on a wildcard resource; no broad managed policies", checkIAM},
	{"functions", "Lambda functions: provided.al2023 arm64, go1.x build of the module's handlers, VPC, log groups with retention, contract environment, least-privilege DB access", checkFunctions},
	{"network", "no NAT/internet gateway or EIP or default route; 2+ subnets in distinct AZs; S3 gateway endpoint; 3306 only functions -> proxy -> cluster", checkNetwork},
	{"encryption", "cluster and global cluster encrypted with a rotating, retained KMS key; secrets encrypted with it", checkEncryption},
	{"secrets", "the primary generates the DB secrets and replicates them to PeerRegion; the secondary copies the replicas by name", checkSecrets},
	{"database", "Aurora MySQL 3 Serverless v2 in a global cluster, backups, snapshot on delete/replace, an instance per cluster", checkDatabase},
	{"secondary-cluster", "the secondary joins the global cluster with an instance and without master credentials; the primary creates the global cluster", checkSecondaryCluster},
	{"cognito", "user pool, domain, resource server api with read and upsert-delete, client-credentials client with a secret", checkCognito},
	{"frontdoor", "CloudFront mode: KeyValueStore, cloudfront-js-2.0 viewer-request function (code = frontdoor/router.js), both regional origins by region id, caching disabled, AllViewerExceptHostHeader", checkFrontDoor},
	{"route53", "Route 53 mode: regional custom domain per region, failover records, the PRIMARY health check follows the standby region's routing alarm", checkRoute53},
	{"alarms", "alarms on API 5xx, Lambda errors and throttles, proxy connection failures, secondary replication lag", checkAlarms},
	{"migration", "the migration custom resource exists in the primary only, after the database path is ready", checkMigration},
	{"samconfig", "samconfig.toml environments match the template's parameters and each other", checkSamConfig},
	{"envjson", "env.json names existing functions and only variables their Environment declares (sam local ignores the others)", checkEnvJSON},
}

// Run runs every check and returns all findings.
func Run(in *Input) []Finding {
	var all []Finding
	for _, c := range Checks {
		all = append(all, RunCheck(c, in)...)
	}
	return all
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

// fallbackEnvs stand in for samconfig.toml when it is missing or broken,
// so the template checks still run.
var fallbackEnvs = map[string]struct {
	region string
	params map[string]string
}{
	"primary":   {"us-east-1", map[string]string{"Role": "primary", "GlobalClusterIdentifier": "todomgmt-global", "PeerRegion": "us-west-2", "VpcCidr": "10.10.0.0/16"}},
	"secondary": {"us-west-2", map[string]string{"Role": "secondary", "GlobalClusterIdentifier": "todomgmt-global", "PeerRegion": "us-east-1", "VpcCidr": "10.20.0.0/16"}},
}

// Scenarios returns the deployments to check: for the [primary] and
// [secondary] environments of samconfig.toml, the first deploy pass as
// configured, the second pass (peer user pool and API domain known), and
// the second pass with a custom domain (Route 53 front door).
func (in *Input) Scenarios() []Scenario {
	type env struct {
		region string
		params map[string]string
	}
	envs := map[string]env{}
	for _, role := range []string{"primary", "secondary"} {
		fb := fallbackEnvs[role]
		e := env{region: fb.region, params: fb.params}
		if in.SamConfig != nil {
			if se := in.SamConfig.Envs[role]; se != nil {
				ov, err := se.Overrides("deploy")
				if region := se.String("deploy", "region"); err == nil && region != "" {
					e = env{region: region, params: ov}
				}
			}
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
			params := map[string]string{}
			for k, v := range e.params {
				params[k] = v
			}
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
	if in.SamConfig != nil {
		if se := in.SamConfig.Envs["default"]; se != nil {
			ov, err := se.Overrides("deploy")
			if region := se.String("deploy", "region"); err == nil && region != "" {
				out = append(out, Scenario{Name: "default (" + FirstPass + ")", Role: ov["Role"], Pass: FirstPass, Region: region, Params: ov})
			}
		}
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
		scan("Conditions."+name, get(t.Section("Conditions"), name), true)
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
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
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
	}
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

// ------------------------------------------------------------------ API

// Route is one method of the REST API.
type Route struct {
	Method, Path string
	// Scopes are the accepted OAuth scopes; nil means public (no authorizer).
	Scopes []string
}

var (
	readScopes  = []string{"api/read", "api/upsert-delete"}
	writeScopes = []string{"api/upsert-delete"}
)

// Routes are ARCHITECTURE.md §3's routes and their scopes.
var Routes = []Route{
	{"GET", "/v1/todos", readScopes},
	{"POST", "/v1/todos", writeScopes},
	{"GET", "/v1/todos/{id}", readScopes},
	{"PUT", "/v1/todos/{id}", writeScopes},
	{"DELETE", "/v1/todos/{id}", writeScopes},
	{"GET", "/v1", readScopes},
	{"POST", "/v1", writeScopes},
	{"DELETE", "/v1", writeScopes},
	{"GET", "/v1/health", nil},
}

func checkAPI(in *Input, r *report) {
	t := in.Template
	apis := t.ResourcesOfType("AWS::Serverless::Api")
	if len(apis) != 1 {
		r.add("Resources", "want exactly one AWS::Serverless::Api, got %d", len(apis))
		return
	}
	api := apis[0]
	where := "Resources." + api.Name
	if v, _ := str(api.Prop("StageName")); v != "prod" {
		r.add(where, "StageName %q, want prod", v)
	}
	ec := api.Prop("EndpointConfiguration")
	if v, _ := str(get(ec, "Type")); v != "REGIONAL" {
		if v2, _ := str(ec); v2 != "REGIONAL" {
			r.add(where, "EndpointConfiguration must be REGIONAL")
		}
	}
	if v, _ := str(api.Prop("TracingEnabled")); v != "true" {
		r.add(where, "TracingEnabled must be true")
	}
	throttled := false
	for _, ms := range items(api.Prop("MethodSettings")) {
		if get(ms, "ThrottlingRateLimit") != nil && get(ms, "ThrottlingBurstLimit") != nil {
			throttled = true
		}
	}
	if !throttled {
		r.add(where, "MethodSettings must set ThrottlingRateLimit and ThrottlingBurstLimit")
	}
	if api.Prop("AccessLogSetting", "DestinationArn") == nil || api.Prop("AccessLogSetting", "Format") == nil {
		r.add(where, "AccessLogSetting needs DestinationArn and Format")
	}
	defAuth, _ := str(api.Prop("Auth", "DefaultAuthorizer"))
	if defAuth == "" {
		r.add(where, "Auth.DefaultAuthorizer must be the Cognito authorizer")
	}
	if defAuth != "" {
		pools := api.Prop("Auth", "Authorizers", defAuth, "UserPoolArn")
		if pools == nil || pools.Kind != yaml.SequenceNode {
			r.add(where, "the authorizer %s must be Cognito with UserPoolArn as a list (own pool + peer pool)", defAuth)
		}
	}
	// Per deployment: own pool always, the peer's exactly when given.
	for _, d := range in.Deployments() {
		res := d.Resource(api.Name)
		if res == nil || defAuth == "" {
			continue
		}
		list := res.Prop("Auth", "Authorizers", defAuth, "UserPoolArn")
		own, peer := false, false
		for _, it := range items(list) {
			if rn, attr, ok := getAttTarget(it); ok && attr == "Arn" && d.Resource(rn) != nil && d.Resource(rn).Type == "AWS::Cognito::UserPool" {
				own = true
			}
			if isRef(it, "PeerUserPoolArn") {
				peer = true
			}
		}
		wantPeer := d.Params["PeerUserPoolArn"] != ""
		if !own || peer != wantPeer {
			r.add(d.Scenario.Name+": "+where, "authorizer pools: own=%v peer=%v, want own=true peer=%v", own, peer, wantPeer)
		}
	}

	type got struct {
		fn, event  string
		authorizer string
		scopes     []string
	}
	seen := map[string][]got{}
	for _, fn := range t.ResourcesOfType("AWS::Serverless::Function") {
		events := fn.Prop("Events")
		for _, ev := range keys(events) {
			e := get(events, ev)
			if typ, _ := str(get(e, "Type")); typ != "Api" {
				continue
			}
			ewhere := "Resources." + fn.Name + ".Events." + ev
			p := get(e, "Properties")
			if !isRef(get(p, "RestApiId"), api.Name) {
				r.add(ewhere, "RestApiId must be !Ref %s (otherwise SAM creates an implicit API)", api.Name)
			}
			method, _ := str(get(p, "Method"))
			path, _ := str(get(p, "Path"))
			g := got{fn: fn.Name, event: ev, authorizer: defAuth}
			if a, ok := str(get(p, "Auth", "Authorizer")); ok {
				g.authorizer = a
			}
			for _, s := range items(get(p, "Auth", "AuthorizationScopes")) {
				v, _ := str(s)
				g.scopes = append(g.scopes, v)
			}
			key := strings.ToUpper(method) + " " + path
			seen[key] = append(seen[key], g)
		}
	}
	want := map[string]bool{}
	for _, rt := range Routes {
		key := rt.Method + " " + rt.Path
		want[key] = true
		gs := seen[key]
		if len(gs) != 1 {
			r.add("routes", "%s: defined %d times, want once", key, len(gs))
			continue
		}
		g := gs[0]
		ewhere := "Resources." + g.fn + ".Events." + g.event
		if rt.Scopes == nil {
			if g.authorizer != "NONE" {
				r.add(ewhere, "%s must be public (Auth.Authorizer: NONE)", key)
			}
			continue
		}
		if g.authorizer == "" || g.authorizer == "NONE" || g.authorizer != defAuth {
			r.add(ewhere, "%s must use the Cognito authorizer %s, got %q", key, defAuth, g.authorizer)
		}
		gotScopes := slices.Clone(g.scopes)
		slices.Sort(gotScopes)
		wantScopes := slices.Clone(rt.Scopes)
		slices.Sort(wantScopes)
		if !slices.Equal(gotScopes, wantScopes) {
			r.add(ewhere, "%s scopes %v, want %v", key, g.scopes, rt.Scopes)
		}
	}
	for _, key := range sortedKeys(seen) {
		if !want[key] {
			r.add("routes", "%s is not a route of ARCHITECTURE.md §3", key)
		}
	}
}

// ---------------------------------------------------------------- proxy

func checkProxy(in *Input, r *report) {
	for _, d := range in.Deployments() {
		proxies := d.OfType("AWS::RDS::DBProxy")
		if len(proxies) != 1 {
			r.add(d.Scenario.Name, "want one AWS::RDS::DBProxy, got %d", len(proxies))
			continue
		}
		p := proxies[0]
		where := d.Scenario.Name + ": Resources." + p.Name
		if v, _ := str(p.Prop("RequireTLS")); v != "true" {
			r.add(where, "RequireTLS must be true")
		}
		if v, _ := str(p.Prop("EngineFamily")); v != "MYSQL" {
			r.add(where, "EngineFamily %q, want MYSQL", v)
		}
		auths := items(p.Prop("Auth"))
		if len(auths) == 0 {
			r.add(where, "no Auth entries")
		}
		var secrets []*yaml.Node
		for i, a := range auths {
			if v, _ := str(get(a, "IAMAuth")); v != "REQUIRED" {
				r.add(where, "Auth[%d].IAMAuth %q, want REQUIRED", i, v)
			}
			if v, _ := str(get(a, "AuthScheme")); v != "SECRETS" {
				r.add(where, "Auth[%d].AuthScheme %q, want SECRETS", i, v)
			}
			secrets = append(secrets, get(a, "SecretArn"))
		}
		// The target group: the cluster, a borrow timeout under 29 s.
		tgs := 0
		for _, tg := range d.OfType("AWS::RDS::DBProxyTargetGroup") {
			if !isRef(tg.Prop("DBProxyName"), p.Name) {
				continue
			}
			tgs++
			tw := d.Scenario.Name + ": Resources." + tg.Name
			clusters := items(tg.Prop("DBClusterIdentifiers"))
			if len(clusters) != 1 || len(d.OfType("AWS::RDS::DBCluster")) != 1 || !isRef(clusters[0], d.OfType("AWS::RDS::DBCluster")[0].Name) {
				r.add(tw, "DBClusterIdentifiers must be the one cluster")
			}
			bt, ok := str(tg.Prop("ConnectionPoolConfigurationInfo", "ConnectionBorrowTimeout"))
			n, err := strconv.Atoi(bt)
			if !ok || err != nil || n < 1 || n >= 29 {
				r.add(tw, "ConnectionBorrowTimeout %q: must be set, under API Gateway's 29 s", bt)
			}
		}
		if tgs != 1 {
			r.add(where, "want one target group for the proxy, got %d", tgs)
		}
		ro := 0
		for _, ep := range d.OfType("AWS::RDS::DBProxyEndpoint") {
			if isRef(ep.Prop("DBProxyName"), p.Name) {
				if v, _ := str(ep.Prop("TargetRole")); v == "READ_ONLY" {
					ro++
				}
			}
		}
		if ro != 1 {
			r.add(where, "want one READ_ONLY proxy endpoint, got %d", ro)
		}
		// The proxy's role may read exactly the proxy's secrets.
		roleName, _, _ := getAttTarget(p.Prop("RoleArn"))
		role := d.Resource(roleName)
		if role == nil {
			r.add(where, "RoleArn must be !GetAtt of a role in the stack")
			continue
		}
		var readable []*yaml.Node
		walk(role.Properties, func(n *yaml.Node) {
			for _, st := range items(get(n, "Statement")) {
				for _, a := range items(get(st, "Action")) {
					if v, _ := str(a); strings.HasPrefix(v, "secretsmanager:") {
						if v != "secretsmanager:GetSecretValue" {
							r.add(d.Scenario.Name+": Resources."+role.Name, "proxy role action %s: only secretsmanager:GetSecretValue", v)
						}
						readable = append(readable, items(get(st, "Resource"))...)
					}
				}
			}
		})
		if !sameNodes(readable, secrets) {
			r.add(d.Scenario.Name+": Resources."+role.Name, "secretsmanager:GetSecretValue must cover exactly the proxy's Auth secrets")
		}
	}
}

// sameNodes reports whether two lists hold the same nodes, in any order.
func sameNodes(a, b []*yaml.Node) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
outer:
	for _, x := range a {
		for j, y := range b {
			if !used[j] && equal(x, y) {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}

// ------------------------------------------------------------------ IAM

// broadManagedPolicies may not be attached anywhere.
var broadManagedPolicies = []string{"AdministratorAccess", "PowerUserAccess", "FullAccess", "IAMFullAccess"}

func checkIAM(in *Input, r *report) {
	for _, res := range in.Template.Resources() {
		where := "Resources." + res.Name
		walk(res.Properties, func(n *yaml.Node) {
			for i, st := range items(get(n, "Statement")) {
				if st.Kind != yaml.MappingNode {
					continue
				}
				if e, _ := str(get(st, "Effect")); e != "Allow" {
					continue
				}
				anyAction := get(st, "NotAction") != nil || containsStar(get(st, "Action"), true)
				anyResource := get(st, "NotResource") != nil || containsStar(get(st, "Resource"), false)
				if anyAction && anyResource {
					sid, _ := str(get(st, "Sid"))
					r.add(where, "statement %d %q allows a wildcard action on a wildcard resource (line %d)", i, sid, st.Line)
				}
			}
		})
		var managed []*yaml.Node
		managed = append(managed, items(res.Prop("ManagedPolicyArns"))...)
		if res.Type == "AWS::Serverless::Function" {
			managed = append(managed, items(res.Prop("Policies"))...)
		}
		for _, m := range managed {
			text := ""
			if s, ok := str(m); ok {
				text = s
			} else if f, arg, ok := intrinsic(m); ok && f == "Fn::Sub" {
				text, _ = str(arg)
			}
			for _, bad := range broadManagedPolicies {
				if strings.Contains(text, bad) {
					r.add(where, "managed policy %q is too broad", text)
				}
			}
		}
	}
}

// containsStar reports whether an Action or Resource value is "*" (for
// actions also "*:*"-style service wildcards such as "s3:*" do not count;
// only a bare "*").
func containsStar(n *yaml.Node, action bool) bool {
	for _, it := range items(n) {
		if v, ok := str(it); ok && (v == "*" || (action && v == "*:*")) {
			return true
		}
	}
	return false
}

// ------------------------------------------------------------ functions

// ContractEnv are the environment variables of CONTRACTS.md.
var ContractEnv = []string{
	"TODOMGMT_REGION", "TODOMGMT_DB_DSN", "TODOMGMT_DB_HOST", "TODOMGMT_DB_READER_HOST", "TODOMGMT_DB_PORT",
	"TODOMGMT_DB_NAME", "TODOMGMT_DB_USER", "TODOMGMT_DB_MAX_OPEN_CONNS", "TODOMGMT_DB_CONN_MAX_LIFETIME",
	"TODOMGMT_DB_CONNECT_TIMEOUT", "TODOMGMT_REQUEST_TIMEOUT", "TODOMGMT_LOG_FORMAT", "TODOMGMT_APP_USER",
	"TODOMGMT_APP_SECRET_ARN",
}

// requiredEnv are the variables each handler must get from the template.
var requiredEnv = map[string][]string{
	"handlers/api":     {"TODOMGMT_REGION", "TODOMGMT_DB_HOST", "TODOMGMT_DB_READER_HOST", "TODOMGMT_DB_NAME", "TODOMGMT_DB_USER"},
	"handlers/migrate": {"TODOMGMT_REGION", "TODOMGMT_DB_HOST", "TODOMGMT_DB_NAME", "TODOMGMT_DB_USER", "TODOMGMT_APP_USER", "TODOMGMT_APP_SECRET_ARN"},
}

func checkFunctions(in *Input, r *report) {
	t := in.Template
	fns := t.ResourcesOfType("AWS::Serverless::Function")
	var handlers []string
	for _, fn := range fns {
		where := "Resources." + fn.Name
		h, _ := str(fn.Prop("Handler"))
		handlers = append(handlers, h)
		if v, _ := str(fn.Prop("Runtime")); v != "provided.al2023" {
			r.add(where, "Runtime %q, want provided.al2023", v)
		}
		if a := items(fn.Prop("Architectures")); len(a) != 1 || a[0].Value != "arm64" {
			r.add(where, "Architectures must be [arm64]")
		}
		if v, _ := str(fn.Prop("CodeUri")); v != "." {
			r.add(where, "CodeUri %q, want \".\" (the module root, so go.mod and pkg/ are in the build and its cache key)", v)
		}
		if v, _ := str(get(fn.Node, "Metadata", "BuildMethod")); v != "go1.x" {
			r.add(where, "Metadata.BuildMethod %q, want go1.x", v)
		}
		if v, _ := str(fn.Prop("Tracing")); v != "Active" {
			r.add(where, "Tracing must be Active")
		}
		if fn.Prop("VpcConfig", "SubnetIds") == nil || fn.Prop("VpcConfig", "SecurityGroupIds") == nil {
			r.add(where, "VpcConfig needs SubnetIds and SecurityGroupIds")
		}
		if fn.Prop("FunctionName") == nil {
			r.add(where, "FunctionName must be set (its log group is created first, with retention)")
		}
		if !slices.Contains(in.Handlers, h) {
			r.add(where, "Handler %q is not one of the module's Lambda packages %v", h, in.Handlers)
		}
		if timeout, _ := str(fn.Prop("Timeout")); len(apiEvents(fn)) > 0 {
			if n, err := strconv.Atoi(timeout); err != nil || n >= 29 {
				r.add(where, "Timeout %q: an API function must finish before API Gateway's 29 s", timeout)
			}
		}
		env := fn.Prop("Environment", "Variables")
		for _, k := range keys(env) {
			if !slices.Contains(ContractEnv, k) {
				r.add(where, "environment variable %s is not in CONTRACTS.md", k)
			}
		}
		for _, k := range requiredEnv[h] {
			if get(env, k) == nil {
				r.add(where, "environment variable %s missing for %s", k, h)
			}
		}
		if dsn := get(env, "TODOMGMT_DB_DSN"); dsn != nil && mustStr(dsn) != "" {
			r.add(where, "TODOMGMT_DB_DSN (password auth) must be empty in AWS; only env.json sets it")
		}
		checkFunctionPolicies(r, where, fn, env)
	}
	for _, h := range in.Handlers {
		if !slices.Contains(handlers, h) {
			r.add("Resources", "no function builds %s", h)
		}
	}
	// Each function's log group exists first, named after it, with retention.
	for _, d := range in.Deployments() {
		for _, fn := range d.OfType("AWS::Serverless::Function") {
			where := d.Scenario.Name + ": Resources." + fn.Name
			name, err := d.Value(fn.Prop("FunctionName"))
			if err != nil {
				continue
			}
			found := false
			for _, dep := range fn.DependsOn {
				lg := d.Resource(dep)
				if lg == nil || lg.Type != "AWS::Logs::LogGroup" {
					continue
				}
				if v, err := d.Value(lg.Prop("LogGroupName")); err == nil && v == "/aws/lambda/"+name && lg.Prop("RetentionInDays") != nil {
					found = true
				}
			}
			if !found {
				r.add(where, "must DependsOn a log group /aws/lambda/%s with RetentionInDays", name)
			}
		}
	}
}

func apiEvents(fn *Resource) []string {
	var evs []string
	for _, ev := range keys(fn.Prop("Events")) {
		if typ, _ := str(get(fn.Prop("Events"), ev, "Type")); typ == "Api" {
			evs = append(evs, ev)
		}
	}
	return evs
}

// checkFunctionPolicies: rds-db:connect for the function's own DB user on
// the stack's proxy only; secrets only the one the function is told about.
func checkFunctionPolicies(r *report, where string, fn *Resource, env *yaml.Node) {
	connects := 0
	walk(fn.Prop("Policies"), func(n *yaml.Node) {
		for _, st := range items(get(n, "Statement")) {
			for _, a := range items(get(st, "Action")) {
				action, _ := str(a)
				switch {
				case action == "rds-db:connect" || action == "rds-db:*":
					connects++
					checkConnectResource(r, where, get(st, "Resource"), get(env, "TODOMGMT_DB_USER"))
				case strings.HasPrefix(action, "secretsmanager:"):
					secret := get(env, "TODOMGMT_APP_SECRET_ARN")
					res := items(get(st, "Resource"))
					if action != "secretsmanager:GetSecretValue" || secret == nil || len(res) != 1 || !equal(res[0], secret) {
						r.add(where, "%s: a function may read only the secret named by its TODOMGMT_APP_SECRET_ARN", action)
					}
				}
			}
		}
	})
	if connects != 1 {
		r.add(where, "want exactly one rds-db:connect statement, got %d", connects)
	}
}

// checkConnectResource wants
// !Sub [".../dbuser:${ProxyId}/${User}", {ProxyId: !Select [6, !Split [":", !GetAtt Proxy.DBProxyArn]], User: <the TODOMGMT_DB_USER value>}].
func checkConnectResource(r *report, where string, res, dbUser *yaml.Node) {
	f, arg, ok := intrinsic(res)
	if !ok || f != "Fn::Sub" || arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		r.add(where, "rds-db:connect Resource must be !Sub [arn...:dbuser:${ProxyId}/${User}, {...}]")
		return
	}
	s, _ := str(arg.Content[0])
	if !strings.HasPrefix(s, "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:") || !strings.HasSuffix(s, ":dbuser:${ProxyId}/${User}") {
		r.add(where, "rds-db:connect Resource %q: want arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${ProxyId}/${User}", s)
	}
	vars := arg.Content[1]
	if !equal(get(vars, "User"), dbUser) {
		r.add(where, "rds-db:connect User must be the function's TODOMGMT_DB_USER")
	}
	pf, parg, ok := intrinsic(get(vars, "ProxyId"))
	valid := ok && pf == "Fn::Select" && len(parg.Content) == 2 && parg.Content[0].Value == "6"
	if valid {
		sf, sarg, ok := intrinsic(parg.Content[1])
		valid = ok && sf == "Fn::Split" && len(sarg.Content) == 2 && sarg.Content[0].Value == ":"
		if valid {
			_, attr, ok := getAttTarget(sarg.Content[1])
			valid = ok && attr == "DBProxyArn"
		}
	}
	if !valid {
		r.add(where, "rds-db:connect ProxyId must be !Select [6, !Split [\":\", !GetAtt <proxy>.DBProxyArn]] (the prx-... resource id)")
	}
}

// -------------------------------------------------------------- network

// forbiddenNetwork are resource types that would connect the VPC to the
// internet.
var forbiddenNetwork = []string{
	"AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::EIP",
	"AWS::EC2::VPCGatewayAttachment", "AWS::EC2::EgressOnlyInternetGateway",
	"AWS::EC2::TransitGatewayAttachment", "AWS::EC2::VPNGateway",
}

type sgRule struct {
	group    string // the security group's logical id
	ingress  bool
	proto    string
	from, to string
	peer     string // other security group's logical id, if any
	cidr     string
	where    string
}

func checkNetwork(in *Input, r *report) {
	t := in.Template
	for _, res := range t.Resources() {
		where := "Resources." + res.Name
		if slices.Contains(forbiddenNetwork, res.Type) {
			r.add(where, "%s connects the VPC to the internet; the design has none", res.Type)
		}
		if res.Type == "AWS::EC2::Route" {
			r.add(where, "routes beyond the VPC are not allowed (only the S3 gateway endpoint's)")
		}
	}
	subnets := t.ResourcesOfType("AWS::EC2::Subnet")
	if len(subnets) < 2 {
		r.add("Resources", "want at least 2 private subnets, got %d", len(subnets))
	}
	azs := map[string]string{}
	for _, s := range subnets {
		where := "Resources." + s.Name
		if v, _ := str(s.Prop("MapPublicIpOnLaunch")); v == "true" {
			r.add(where, "MapPublicIpOnLaunch must be false")
		}
		f, arg, ok := intrinsic(s.Prop("AvailabilityZone"))
		if !ok || f != "Fn::Select" || len(arg.Content) != 2 {
			r.add(where, "AvailabilityZone must be !Select [i, !GetAZs \"\"]")
			continue
		}
		if gf, _, ok := intrinsic(arg.Content[1]); !ok || gf != "Fn::GetAZs" {
			r.add(where, "AvailabilityZone must be !Select [i, !GetAZs \"\"]")
		}
		if other, dup := azs[arg.Content[0].Value]; dup {
			r.add(where, "same availability zone as %s", other)
		}
		azs[arg.Content[0].Value] = s.Name
	}
	s3 := false
	for _, ep := range t.ResourcesOfType("AWS::EC2::VPCEndpoint") {
		typ, _ := str(ep.Prop("VpcEndpointType"))
		f, arg, _ := intrinsic(ep.Prop("ServiceName"))
		svc, _ := str(arg)
		if typ == "Gateway" && f == "Fn::Sub" && svc == "com.amazonaws.${AWS::Region}.s3" {
			s3 = true
		}
	}
	if !s3 {
		r.add("Resources", "no S3 gateway endpoint (custom-resource responses)")
	}
	checkSecurityGroups(in, r)
}

func checkSecurityGroups(in *Input, r *report) {
	t := in.Template
	var rules []sgRule
	add := func(group string, ingress bool, rule *yaml.Node, where string) {
		sr := sgRule{group: group, ingress: ingress, where: where}
		sr.proto, _ = str(get(rule, "IpProtocol"))
		sr.from, _ = str(get(rule, "FromPort"))
		sr.to, _ = str(get(rule, "ToPort"))
		for _, k := range []string{"SourceSecurityGroupId", "DestinationSecurityGroupId"} {
			if p, ok := refTarget(get(rule, k)); ok {
				sr.peer = p
			} else if p, _, ok := getAttTarget(get(rule, k)); ok {
				sr.peer = p
			}
		}
		for _, k := range []string{"CidrIp", "CidrIpv6", "SourcePrefixListId", "DestinationPrefixListId"} {
			if v, ok := str(get(rule, k)); ok {
				sr.cidr = v
			} else if get(rule, k) != nil {
				sr.cidr = "(computed)"
			}
		}
		rules = append(rules, sr)
	}
	groups := map[string]bool{}
	for _, sg := range t.ResourcesOfType("AWS::EC2::SecurityGroup") {
		groups[sg.Name] = true
		for i, rule := range items(sg.Prop("SecurityGroupIngress")) {
			add(sg.Name, true, rule, fmt.Sprintf("Resources.%s.SecurityGroupIngress[%d]", sg.Name, i))
		}
		egress := items(sg.Prop("SecurityGroupEgress"))
		if len(egress) == 0 {
			r.add("Resources."+sg.Name, "no inline egress rule: EC2 keeps its default allow-all egress")
		}
		for i, rule := range egress {
			add(sg.Name, false, rule, fmt.Sprintf("Resources.%s.SecurityGroupEgress[%d]", sg.Name, i))
		}
	}
	for _, typ := range []string{"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"} {
		for _, res := range t.ResourcesOfType(typ) {
			g, _ := refTarget(res.Prop("GroupId"))
			if g == "" {
				g, _, _ = getAttTarget(res.Prop("GroupId"))
			}
			add(g, typ == "AWS::EC2::SecurityGroupIngress", res.Properties, "Resources."+res.Name)
		}
	}
	refsIn := func(n *yaml.Node) map[string]bool {
		m := map[string]bool{}
		for _, it := range items(n) {
			if g, ok := refTarget(it); ok {
				m[g] = true
			}
		}
		return m
	}
	cluster, proxy, endpoint, fnSGs, apiSGs := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, res := range t.ResourcesOfType("AWS::RDS::DBCluster") {
		for g := range refsIn(res.Prop("VpcSecurityGroupIds")) {
			cluster[g] = true
		}
	}
	for _, res := range append(t.ResourcesOfType("AWS::RDS::DBProxy"), t.ResourcesOfType("AWS::RDS::DBProxyEndpoint")...) {
		for g := range refsIn(res.Prop("VpcSecurityGroupIds")) {
			proxy[g] = true
		}
	}
	for _, res := range t.ResourcesOfType("AWS::EC2::VPCEndpoint") {
		for g := range refsIn(res.Prop("SecurityGroupIds")) {
			endpoint[g] = true
		}
	}
	for _, fn := range t.ResourcesOfType("AWS::Serverless::Function") {
		for g := range refsIn(fn.Prop("VpcConfig", "SecurityGroupIds")) {
			fnSGs[g] = true
			if len(apiEvents(fn)) > 0 {
				apiSGs[g] = true
			}
		}
	}
	if len(cluster) == 0 || len(proxy) == 0 {
		r.add("Resources", "the cluster and the proxy must each have their own security group")
	}
	for g := range cluster {
		if proxy[g] || fnSGs[g] {
			r.add("Resources."+g, "the cluster's security group must not be shared with the proxy or a function")
		}
	}
	for g := range proxy {
		if fnSGs[g] {
			r.add("Resources."+g, "the proxy's security group must not be shared with a function")
		}
	}
	for _, sr := range rules {
		port3306 := sr.proto == "tcp" && sr.from == "3306" && sr.to == "3306"
		port443 := sr.proto == "tcp" && sr.from == "443" && sr.to == "443"
		placeholder := sr.cidr == "127.0.0.1/32"
		if !groups[sr.group] {
			r.add(sr.where, "rule on %q, which is not a security group of the stack", sr.group)
			continue
		}
		if sr.ingress {
			switch {
			case sr.cidr != "" || sr.peer == "":
				r.add(sr.where, "ingress must come from a security group, not %q", sr.cidr)
			case cluster[sr.group] && !(port3306 && proxy[sr.peer]):
				r.add(sr.where, "the cluster accepts only tcp 3306 from the proxy, got %s %s-%s from %s", sr.proto, sr.from, sr.to, sr.peer)
			case proxy[sr.group] && !(port3306 && fnSGs[sr.peer]):
				r.add(sr.where, "the proxy accepts only tcp 3306 from the functions, got %s %s-%s from %s", sr.proto, sr.from, sr.to, sr.peer)
			case endpoint[sr.group] && !port443:
				r.add(sr.where, "endpoints accept only tcp 443")
			case !cluster[sr.group] && !proxy[sr.group] && !endpoint[sr.group]:
				r.add(sr.where, "ingress to %s, which is neither the cluster, the proxy nor an endpoint", sr.group)
			}
			continue
		}
		switch {
		case placeholder:
		case apiSGs[sr.group] && !(port3306 && proxy[sr.peer]):
			r.add(sr.where, "the API function may only reach the proxy on tcp 3306, got %s %s-%s to %q%s", sr.proto, sr.from, sr.to, sr.peer, sr.cidr)
		case port3306 && sr.peer != "" && (proxy[sr.peer] || cluster[sr.peer]):
		case port443 && (endpoint[sr.peer] || sr.cidr == "0.0.0.0/0"):
			if sr.cidr != "" && !fnSGs[sr.group] {
				r.add(sr.where, "only a function may send 443 outside the VPC's endpoints")
			}
		default:
			r.add(sr.where, "egress %s %s-%s to %q%s is not part of the design", sr.proto, sr.from, sr.to, sr.peer, sr.cidr)
		}
	}
}

// ----------------------------------------------------------- encryption

func checkEncryption(in *Input, r *report) {
	t := in.Template
	keysByName := map[string]*Resource{}
	for _, k := range t.ResourcesOfType("AWS::KMS::Key") {
		keysByName[k.Name] = k
		where := "Resources." + k.Name
		if v, _ := str(k.Prop("EnableKeyRotation")); v != "true" {
			r.add(where, "EnableKeyRotation must be true")
		}
		if k.Attr("DeletionPolicy") != "Retain" || k.Attr("UpdateReplacePolicy") != "Retain" {
			r.add(where, "DeletionPolicy and UpdateReplacePolicy must be Retain (final snapshots are encrypted with this key)")
		}
		accountRoot := node0("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
		for i, st := range items(k.Prop("KeyPolicy", "Statement")) {
			principal := get(st, "Principal", "AWS")
			f, arg, ok := intrinsic(principal)
			if !ok || f != "Fn::Sub" || !equal(arg, accountRoot) || get(st, "Principal", "Service") != nil || get(st, "NotPrincipal") != nil {
				r.add(where, "KeyPolicy statement %d must name only this account's root principal", i)
			}
		}
	}
	usesKey := func(n *yaml.Node) bool {
		if name, ok := refTarget(n); ok && keysByName[name] != nil {
			return true
		}
		name, _, ok := getAttTarget(n)
		return ok && keysByName[name] != nil
	}
	for _, c := range t.ResourcesOfType("AWS::RDS::DBCluster") {
		where := "Resources." + c.Name
		if v, _ := str(c.Prop("StorageEncrypted")); v != "true" {
			r.add(where, "StorageEncrypted must be true")
		}
		if !usesKey(c.Prop("KmsKeyId")) {
			r.add(where, "KmsKeyId must be this region's customer managed key")
		}
	}
	for _, g := range t.ResourcesOfType("AWS::RDS::GlobalCluster") {
		if v, _ := str(g.Prop("StorageEncrypted")); v != "true" {
			r.add("Resources."+g.Name, "StorageEncrypted must be true")
		}
	}
	for _, s := range t.ResourcesOfType("AWS::SecretsManager::Secret") {
		if !usesKey(s.Prop("KmsKeyId")) {
			r.add("Resources."+s.Name, "KmsKeyId must be this region's customer managed key")
		}
	}
}

// ------------------------------------------------------------- database

func checkDatabase(in *Input, r *report) {
	t := in.Template
	for _, c := range t.ResourcesOfType("AWS::RDS::DBCluster") {
		where := "Resources." + c.Name
		if v, _ := str(c.Prop("Engine")); v != "aurora-mysql" {
			r.add(where, "Engine %q, want aurora-mysql", v)
		}
		if c.Attr("DeletionPolicy") != "Snapshot" || c.Attr("UpdateReplacePolicy") != "Snapshot" {
			r.add(where, "DeletionPolicy and UpdateReplacePolicy must be Snapshot")
		}
		if n, _ := strconv.Atoi(mustStr(c.Prop("BackupRetentionPeriod"))); n < 1 {
			r.add(where, "BackupRetentionPeriod must be at least 1 day")
		}
		if !isRef(c.Prop("DeletionProtection"), "DeletionProtection") {
			r.add(where, "DeletionProtection must be !Ref DeletionProtection")
		}
		sv2 := c.Prop("ServerlessV2ScalingConfiguration")
		if !isRef(get(sv2, "MinCapacity"), "DbMinCapacity") || !isRef(get(sv2, "MaxCapacity"), "DbMaxCapacity") {
			r.add(where, "ServerlessV2ScalingConfiguration must use DbMinCapacity and DbMaxCapacity")
		}
		if c.Prop("DBSubnetGroupName") == nil || c.Prop("VpcSecurityGroupIds") == nil {
			r.add(where, "DBSubnetGroupName and VpcSecurityGroupIds must be set (private subnets, own group)")
		}
	}
	for _, d := range in.Deployments() {
		for _, c := range d.OfType("AWS::RDS::DBCluster") {
			v, err := d.Value(c.Prop("EngineVersion"))
			if err != nil || !strings.HasPrefix(v, "8.0.mysql_aurora.3.") {
				r.add(d.Scenario.Name+": Resources."+c.Name, "EngineVersion %q: want Aurora MySQL 3 (8.0.mysql_aurora.3.*)", v)
			}
			for _, g := range d.OfType("AWS::RDS::GlobalCluster") {
				gv, _ := d.Value(g.Prop("EngineVersion"))
				if gv != v {
					r.add(d.Scenario.Name+": Resources."+g.Name, "EngineVersion %q differs from the cluster's %q", gv, v)
				}
			}
		}
		for _, i := range d.OfType("AWS::RDS::DBInstance") {
			where := d.Scenario.Name + ": Resources." + i.Name
			if v, _ := str(i.Prop("DBInstanceClass")); v != "db.serverless" {
				r.add(where, "DBInstanceClass %q, want db.serverless", v)
			}
			if v, _ := str(i.Prop("PubliclyAccessible")); v == "true" {
				r.add(where, "PubliclyAccessible must be false")
			}
		}
	}
}

func mustStr(n *yaml.Node) string {
	s, _ := str(n)
	return s
}

// masterCredentialProps must not be set on a secondary cluster.
var masterCredentialProps = []string{"MasterUsername", "MasterUserPassword", "ManageMasterUserPassword", "MasterUserSecret", "DatabaseName", "SnapshotIdentifier"}

func checkSecondaryCluster(in *Input, r *report) {
	for _, d := range in.Deployments() {
		role := d.Scenario.Role
		clusters := d.OfType("AWS::RDS::DBCluster")
		globals := d.OfType("AWS::RDS::GlobalCluster")
		if len(clusters) != 1 {
			r.add(d.Scenario.Name, "want one DBCluster, got %d", len(clusters))
			continue
		}
		c := clusters[0]
		where := d.Scenario.Name + ": Resources." + c.Name
		instances := 0
		for _, i := range d.OfType("AWS::RDS::DBInstance") {
			if isRef(i.Prop("DBClusterIdentifier"), c.Name) {
				instances++
			}
		}
		if instances < 1 {
			r.add(where, "the %s cluster has no instance (a headless secondary cannot be promoted)", role)
		}
		switch role {
		case "secondary":
			if len(globals) != 0 {
				r.add(d.Scenario.Name, "the secondary must not create the global cluster")
			}
			for _, p := range masterCredentialProps {
				if c.Prop(p) != nil {
					r.add(where, "the secondary cluster must not set %s (it replicates the primary)", p)
				}
			}
			if !isRef(c.Prop("GlobalClusterIdentifier"), "GlobalClusterIdentifier") {
				r.add(where, "the secondary must join !Ref GlobalClusterIdentifier")
			}
		case "primary":
			if len(globals) != 1 {
				r.add(d.Scenario.Name, "the primary must create the global cluster, got %d", len(globals))
				continue
			}
			if !isRef(globals[0].Prop("GlobalClusterIdentifier"), "GlobalClusterIdentifier") {
				r.add(d.Scenario.Name+": Resources."+globals[0].Name, "GlobalClusterIdentifier must be the parameter")
			}
			if !isRef(c.Prop("GlobalClusterIdentifier"), globals[0].Name) {
				r.add(where, "the primary cluster must join !Ref %s", globals[0].Name)
			}
			for _, p := range []string{"MasterUsername", "MasterUserPassword"} {
				f, arg, ok := intrinsic(c.Prop(p))
				s, _ := str(arg)
				if !ok || f != "Fn::Sub" || !strings.HasPrefix(s, "{{resolve:secretsmanager:") {
					r.add(where, "%s must be a secretsmanager dynamic reference", p)
				}
			}
		}
	}
}

// -------------------------------------------------------------- cognito

func checkCognito(in *Input, r *report) {
	for _, d := range in.Deployments() {
		pools := d.OfType("AWS::Cognito::UserPool")
		if len(pools) != 1 {
			r.add(d.Scenario.Name, "want one user pool, got %d", len(pools))
			continue
		}
		pool := pools[0].Name
		domains, servers, clients := 0, 0, 0
		for _, dom := range d.OfType("AWS::Cognito::UserPoolDomain") {
			if isRef(dom.Prop("UserPoolId"), pool) {
				domains++
			}
		}
		if domains != 1 {
			r.add(d.Scenario.Name, "want one user pool domain, got %d", domains)
		}
		serverName := ""
		for _, rs := range d.OfType("AWS::Cognito::UserPoolResourceServer") {
			where := d.Scenario.Name + ": Resources." + rs.Name
			if !isRef(rs.Prop("UserPoolId"), pool) {
				continue
			}
			servers++
			serverName = rs.Name
			if v, _ := str(rs.Prop("Identifier")); v != "api" {
				r.add(where, "Identifier %q, want api", v)
			}
			var scopes []string
			for _, s := range items(rs.Prop("Scopes")) {
				scopes = append(scopes, mustStr(get(s, "ScopeName")))
			}
			slices.Sort(scopes)
			if !slices.Equal(scopes, []string{"read", "upsert-delete"}) {
				r.add(where, "scopes %v, want [read upsert-delete]", scopes)
			}
		}
		if servers != 1 {
			r.add(d.Scenario.Name, "want one resource server, got %d", servers)
		}
		for _, c := range d.OfType("AWS::Cognito::UserPoolClient") {
			where := d.Scenario.Name + ": Resources." + c.Name
			if !isRef(c.Prop("UserPoolId"), pool) {
				continue
			}
			clients++
			if v, _ := str(c.Prop("GenerateSecret")); v != "true" {
				r.add(where, "GenerateSecret must be true")
			}
			if v, _ := str(c.Prop("AllowedOAuthFlowsUserPoolClient")); v != "true" {
				r.add(where, "AllowedOAuthFlowsUserPoolClient must be true")
			}
			if f := items(c.Prop("AllowedOAuthFlows")); len(f) != 1 || f[0].Value != "client_credentials" {
				r.add(where, "AllowedOAuthFlows must be [client_credentials]")
			}
			var scopes []string
			for _, s := range items(c.Prop("AllowedOAuthScopes")) {
				scopes = append(scopes, mustStr(s))
			}
			slices.Sort(scopes)
			if !slices.Equal(scopes, []string{"api/read", "api/upsert-delete"}) {
				r.add(where, "AllowedOAuthScopes %v, want [api/read api/upsert-delete]", scopes)
			}
			if serverName != "" && !slices.Contains(c.DependsOn, serverName) {
				r.add(where, "must DependsOn %s (its scopes must exist first)", serverName)
			}
		}
		if clients != 1 {
			r.add(d.Scenario.Name, "want one app client, got %d", clients)
		}
	}
}

// ----------------------------------------------------------- front door

// Managed CloudFront policy ids.
const (
	CachingDisabledPolicyID           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	AllViewerExceptHostHeaderPolicyID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

func checkFrontDoor(in *Input, r *report) {
	// The deployed code is frontdoor/router.js.
	for _, fn := range in.Template.ResourcesOfType("AWS::CloudFront::Function") {
		where := "Resources." + fn.Name
		f, arg, ok := intrinsic(fn.Prop("FunctionCode"))
		code, isStr := str(arg)
		if !ok || f != "Fn::Sub" || !isStr {
			r.add(where, "FunctionCode must be !Sub of frontdoor/router.js")
			continue
		}
		if in.RouterJS != "" && code != in.RouterJS {
			r.add(where, "FunctionCode differs from frontdoor/router.js (%s)", firstDifference(code, in.RouterJS))
		}
	}
	for _, d := range in.Deployments() {
		m := d.Scenario
		want := m.Role == "primary" && m.Pass == SecondPass
		kvss := d.OfType("AWS::CloudFront::KeyValueStore")
		fns := d.OfType("AWS::CloudFront::Function")
		dists := d.OfType("AWS::CloudFront::Distribution")
		if !want {
			if len(kvss)+len(fns)+len(dists) != 0 {
				r.add(d.Scenario.Name, "the CloudFront front door belongs to the primary's second pass without a custom domain only")
			}
			continue
		}
		if len(kvss) != 1 || len(fns) != 1 || len(dists) != 1 {
			r.add(d.Scenario.Name, "want one KeyValueStore, one function, one distribution; got %d, %d, %d", len(kvss), len(fns), len(dists))
			continue
		}
		kvs, fn, dist := kvss[0], fns[0], dists[0]
		fw := d.Scenario.Name + ": Resources." + fn.Name
		if v, _ := str(fn.Prop("FunctionConfig", "Runtime")); v != "cloudfront-js-2.0" {
			r.add(fw, "Runtime %q, want cloudfront-js-2.0", v)
		}
		if v, _ := str(fn.Prop("AutoPublish")); v != "true" {
			r.add(fw, "AutoPublish must be true")
		}
		assoc := items(fn.Prop("FunctionConfig", "KeyValueStoreAssociations"))
		if len(assoc) != 1 {
			r.add(fw, "must be associated with the KeyValueStore")
		} else if rn, attr, ok := getAttTarget(get(assoc[0], "KeyValueStoreARN")); !ok || rn != kvs.Name || attr != "Arn" {
			r.add(fw, "KeyValueStoreARN must be !GetAtt %s.Arn", kvs.Name)
		}
		if code, _ := str(get(fn.Prop("FunctionCode"), "Fn::Sub")); !strings.Contains(code, "${"+kvs.Name+".Id}") {
			r.add(fw, "the code must name the KeyValueStore by ${%s.Id}", kvs.Name)
		}
		dw := d.Scenario.Name + ": Resources." + dist.Name
		cfg := dist.Prop("DistributionConfig")
		if get(cfg, "OriginGroups") != nil {
			r.add(dw, "no origin groups: they fail over only GET/HEAD/OPTIONS")
		}
		if get(cfg, "CacheBehaviors") != nil {
			r.add(dw, "one behavior (the default) for every path")
		}
		origins := items(get(cfg, "Origins"))
		ids := map[string]*yaml.Node{}
		for _, o := range origins {
			id, err := d.Value(get(o, "Id"))
			if err != nil {
				r.add(dw, "origin Id must be a region name: %v", err)
				continue
			}
			ids[id] = o
			if v, _ := str(get(o, "CustomOriginConfig", "OriginProtocolPolicy")); v != "https-only" {
				r.add(dw, "origin %s: OriginProtocolPolicy must be https-only", id)
			}
			if v, _ := str(get(o, "OriginPath")); v != "/prod" {
				r.add(dw, "origin %s: OriginPath %q, want /prod", id, v)
			}
		}
		self, peer := d.Scenario.Region, d.Params["PeerRegion"]
		if len(origins) != 2 || ids[self] == nil || ids[peer] == nil {
			r.add(dw, "want two origins with ids %s and %s", self, peer)
		} else {
			if !isRef(get(ids[peer], "DomainName"), "PeerApiDomain") {
				r.add(dw, "origin %s must be !Ref PeerApiDomain", peer)
			}
			f, arg, _ := intrinsic(get(ids[self], "DomainName"))
			if s, _ := str(arg); f != "Fn::Sub" || !strings.HasSuffix(s, ".execute-api.${AWS::Region}.${AWS::URLSuffix}") {
				r.add(dw, "origin %s must be this region's execute-api host", self)
			}
		}
		b := get(cfg, "DefaultCacheBehavior")
		if v, _ := str(get(b, "ViewerProtocolPolicy")); v != "https-only" {
			r.add(dw, "ViewerProtocolPolicy %q, want https-only", v)
		}
		var methods []string
		for _, m := range items(get(b, "AllowedMethods")) {
			methods = append(methods, mustStr(m))
		}
		for _, m := range []string{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"} {
			if !slices.Contains(methods, m) {
				r.add(dw, "AllowedMethods lacks %s", m)
			}
		}
		if v, err := d.Value(get(b, "CachePolicyId")); err != nil || v != CachingDisabledPolicyID {
			r.add(dw, "CachePolicyId %q, want CachingDisabled %s", v, CachingDisabledPolicyID)
		}
		if v, err := d.Value(get(b, "OriginRequestPolicyId")); err != nil || v != AllViewerExceptHostHeaderPolicyID {
			r.add(dw, "OriginRequestPolicyId %q, want AllViewerExceptHostHeader %s", v, AllViewerExceptHostHeaderPolicyID)
		}
		assocs := items(get(b, "FunctionAssociations"))
		okAssoc := len(assocs) == 1 && mustStr(get(assocs[0], "EventType")) == "viewer-request"
		if okAssoc {
			rn, attr, ok := getAttTarget(get(assocs[0], "FunctionARN"))
			okAssoc = ok && rn == fn.Name && attr == "FunctionARN"
		}
		if !okAssoc {
			r.add(dw, "the default behavior must run %s on viewer-request", fn.Name)
		}
		if v, err := d.Value(get(b, "TargetOriginId")); err != nil || v != self {
			r.add(dw, "TargetOriginId must be this (primary) region")
		}
	}
}

// firstDifference describes where two texts first differ.
func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y || i >= len(la) || i >= len(lb) {
			return fmt.Sprintf("line %d: template %q, router.js %q", i+1, x, y)
		}
	}
	return "same lines, different bytes"
}

// -------------------------------------------------------------- route53

func checkRoute53(in *Input, r *report) {
	for _, d := range in.Deployments() {
		m := d.Scenario
		domains := d.OfType("AWS::ApiGateway::DomainName")
		records := d.OfType("AWS::Route53::RecordSet")
		checks := d.OfType("AWS::Route53::HealthCheck")
		mappings := d.OfType("AWS::ApiGateway::BasePathMapping")
		var alarm *Resource
		for _, a := range d.OfType("AWS::CloudWatch::Alarm") {
			if v, _ := str(a.Prop("Namespace")); v == "ToDoMgmt/Routing" {
				alarm = a
			}
		}
		if !isRoute53(m.Pass) {
			if len(domains)+len(records)+len(checks)+len(mappings) != 0 || alarm != nil {
				r.add(d.Scenario.Name, "Route 53 front-door resources exist without a custom domain")
			}
			continue
		}
		if len(domains) != 1 || len(mappings) != 1 || len(records) != 1 {
			r.add(d.Scenario.Name, "want one regional domain, base path mapping and record; got %d, %d, %d", len(domains), len(mappings), len(records))
			continue
		}
		dom := domains[0]
		if t := items(dom.Prop("EndpointConfiguration", "Types")); len(t) != 1 || t[0].Value != "REGIONAL" {
			r.add(d.Scenario.Name+": Resources."+dom.Name, "the custom domain must be REGIONAL")
		}
		if !isRef(mappings[0].Prop("DomainName"), dom.Name) {
			r.add(d.Scenario.Name+": Resources."+mappings[0].Name, "must map the regional domain")
		}
		rec := records[0]
		rw := d.Scenario.Name + ": Resources." + rec.Name
		wantFailover := map[string]string{"primary": "PRIMARY", "secondary": "SECONDARY"}[m.Role]
		if v, _ := str(rec.Prop("Failover")); v != wantFailover {
			r.add(rw, "Failover %q, want %s", v, wantFailover)
		}
		if rn, _, ok := getAttTarget(rec.Prop("AliasTarget", "DNSName")); !ok || rn != dom.Name {
			r.add(rw, "must alias the regional domain")
		}
		switch m.Role {
		case "primary":
			if alarm != nil {
				r.add(d.Scenario.Name, "the routing alarm belongs to the standby (secondary) region")
			}
			if d.Params["PeerApiDomain"] == "" {
				// First pass: the standby's alarm may not exist yet.
				if len(checks) != 0 || rec.Prop("HealthCheckId") != nil {
					r.add(rw, "no health check before the standby stack (and its alarm) exists")
				}
				continue
			}
			if len(checks) != 1 {
				r.add(d.Scenario.Name, "want the PRIMARY record's health check, got %d", len(checks))
				continue
			}
			hc := checks[0]
			hw := d.Scenario.Name + ": Resources." + hc.Name
			if !isRef(rec.Prop("HealthCheckId"), hc.Name) {
				r.add(rw, "HealthCheckId must be !Ref %s", hc.Name)
			}
			cfg := hc.Prop("HealthCheckConfig")
			if v, _ := str(get(cfg, "Type")); v != "CLOUDWATCH_METRIC" {
				r.add(hw, "Type %q, want CLOUDWATCH_METRIC", v)
			}
			if !isRef(get(cfg, "AlarmIdentifier", "Region"), "PeerRegion") {
				r.add(hw, "AlarmIdentifier.Region must be !Ref PeerRegion (the standby region)")
			}
			if !equal(get(cfg, "AlarmIdentifier", "Name"), routingAlarmName(in.Template)) {
				r.add(hw, "AlarmIdentifier.Name must equal the routing alarm's AlarmName")
			}
		case "secondary":
			if len(checks) != 0 || rec.Prop("HealthCheckId") != nil {
				r.add(rw, "the SECONDARY record has no health check")
			}
			if alarm == nil {
				r.add(d.Scenario.Name, "the standby region needs the routing alarm (namespace ToDoMgmt/Routing)")
				continue
			}
			aw := d.Scenario.Name + ": Resources." + alarm.Name
			for k, want := range map[string]string{
				"MetricName": "PrimaryEnabled", "ComparisonOperator": "LessThanThreshold",
				"Threshold": "1", "TreatMissingData": "ignore", "Period": "60",
			} {
				if v, _ := str(alarm.Prop(k)); v != want {
					r.add(aw, "%s %q, want %q", k, v, want)
				}
			}
			dims := items(alarm.Prop("Dimensions"))
			if len(dims) != 1 || mustStr(get(dims[0], "Name")) != "AppName" || !isRef(get(dims[0], "Value"), "AppName") {
				r.add(aw, "Dimensions must be [AppName=!Ref AppName]")
			}
		}
	}
}

// routingAlarmName returns the AlarmName node of the routing alarm.
func routingAlarmName(t *Template) *yaml.Node {
	for _, a := range t.ResourcesOfType("AWS::CloudWatch::Alarm") {
		if v, _ := str(a.Prop("Namespace")); v == "ToDoMgmt/Routing" {
			return a.Prop("AlarmName")
		}
	}
	return nil
}

// --------------------------------------------------------------- alarms

func checkAlarms(in *Input, r *report) {
	for _, d := range in.Deployments() {
		have := map[string]bool{}
		for _, a := range d.OfType("AWS::CloudWatch::Alarm") {
			ns, _ := str(a.Prop("Namespace"))
			metric, _ := str(a.Prop("MetricName"))
			have[ns+" "+metric] = true
			if d.Params["AlarmEmail"] != "" && ns != "ToDoMgmt/Routing" && a.Prop("AlarmActions") == nil {
				r.add(d.Scenario.Name+": Resources."+a.Name, "AlarmActions must notify the topic when AlarmEmail is set")
			}
		}
		want := []string{"AWS/ApiGateway 5XXError", "AWS/Lambda Errors", "AWS/Lambda Throttles"}
		if d.Scenario.Role == "secondary" {
			want = append(want, "AWS/RDS AuroraGlobalDBRPOLag")
		}
		for _, w := range want {
			if !have[w] {
				r.add(d.Scenario.Name, "no alarm on %s", w)
			}
		}
		if !have["AWS/RDS DatabaseConnectionsSetupFailed"] && !have["AWS/RDS ClientConnectionsSetupFailedAuth"] {
			r.add(d.Scenario.Name, "no alarm on RDS Proxy connection failures")
		}
	}
}

// ------------------------------------------------------------ migration

func checkMigration(in *Input, r *report) {
	for _, d := range in.Deployments() {
		role := d.Scenario.Role
		migs := d.OfType("Custom::Migration")
		if role == "secondary" {
			if len(migs) != 0 {
				r.add(d.Scenario.Name, "the migration runs in the primary only (the secondary is read-only)")
			}
			continue
		}
		if len(migs) != 1 {
			r.add(d.Scenario.Name, "want one Custom::Migration, got %d", len(migs))
			continue
		}
		mig := migs[0]
		where := d.Scenario.Name + ": Resources." + mig.Name
		rn, attr, ok := getAttTarget(mig.Prop("ServiceToken"))
		if fn := d.Resource(rn); !ok || attr != "Arn" || fn == nil || mustStr(fn.Prop("Handler")) != "handlers/migrate" {
			r.add(where, "ServiceToken must be !GetAtt <migrate function>.Arn")
		}
		for _, typ := range []string{"AWS::RDS::DBProxyTargetGroup", "AWS::RDS::DBInstance"} {
			for _, dep := range d.OfType(typ) {
				if !slices.Contains(mig.DependsOn, dep.Name) {
					r.add(where, "must DependsOn %s (%s)", dep.Name, typ)
				}
			}
		}
	}
}

// ------------------------------------------------------------ samconfig

// samCommands are the commands each deployable environment configures.
var samCommands = []string{"build", "deploy", "sync", "local_start_api"}

func checkSamConfig(in *Input, r *report) {
	sc := in.SamConfig
	if sc == nil {
		r.add("samconfig.toml", "missing or unreadable")
		return
	}
	if sc.Version != 0.1 {
		r.add("samconfig.toml", "version %v, want 0.1", sc.Version)
	}
	regions := map[string]string{}
	cidrs := map[string]netip.Prefix{}
	over := map[string]map[string]string{}
	for _, name := range []string{"default", "primary", "secondary"} {
		env := sc.Envs[name]
		if env == nil {
			r.add("samconfig.toml", "no [%s] environment", name)
			continue
		}
		for _, cmd := range samCommands {
			if _, ok := env.Commands[cmd]; !ok {
				r.add("["+name+"]", "no [%s.%s.parameters]", name, cmd)
			}
		}
		var deployOv map[string]string
		for _, cmd := range []string{"deploy", "sync"} {
			where := "[" + name + "." + cmd + "]"
			if _, ok := env.Commands[cmd]; !ok {
				continue
			}
			if env.String(cmd, "region") == "" || env.String(cmd, "stack_name") == "" {
				r.add(where, "region and stack_name must be set")
			}
			caps := env.Words(cmd, "capabilities")
			for _, c := range []string{"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"} {
				if !slices.Contains(caps, c) {
					r.add(where, "capabilities lack %s", c)
				}
			}
			ov, err := env.Overrides(cmd)
			if err != nil {
				r.add(where, "%v", err)
				continue
			}
			for k, v := range ov {
				p := in.Template.Parameter(k)
				if p == nil {
					r.add(where, "parameter_overrides names %s, which is not a template parameter", k)
					continue
				}
				if msg := validateParameter(p, v); msg != "" {
					r.add(where, "%s=%q: %s", k, v, msg)
				}
			}
			for _, p := range in.Template.Parameters() {
				if _, given := ov[p.Name]; !given && p.Default == nil {
					r.add(where, "required parameter %s (no default) is not given", p.Name)
				}
			}
			if cmd == "deploy" {
				deployOv = ov
			} else if deployOv != nil && !mapsEqual(deployOv, ov) {
				r.add(where, "parameter_overrides differ from [%s.deploy]", name)
			}
			if cmd == "sync" && deployOv != nil && (env.String("sync", "region") != env.String("deploy", "region") || env.String("sync", "stack_name") != env.String("deploy", "stack_name")) {
				r.add(where, "region/stack_name differ from [%s.deploy]", name)
			}
		}
		if env.String("local_start_api", "env_vars") != "env.json" {
			r.add("["+name+".local_start_api]", "env_vars must be env.json")
		}
		regions[name] = env.String("deploy", "region")
		over[name] = deployOv
		if pfx, err := netip.ParsePrefix(deployOv["VpcCidr"]); err == nil {
			cidrs[name] = pfx
		}
	}
	p, s := over["primary"], over["secondary"]
	if p == nil || s == nil {
		return
	}
	if p["Role"] != "primary" || s["Role"] != "secondary" {
		r.add("samconfig.toml", "Role must be primary in [primary] and secondary in [secondary], got %q and %q", p["Role"], s["Role"])
	}
	if regions["primary"] == regions["secondary"] {
		r.add("samconfig.toml", "[primary] and [secondary] deploy to the same region %s", regions["primary"])
	}
	if p["PeerRegion"] != regions["secondary"] || s["PeerRegion"] != regions["primary"] {
		r.add("samconfig.toml", "PeerRegion must name the other environment's region: primary has %q (want %q), secondary has %q (want %q)",
			p["PeerRegion"], regions["secondary"], s["PeerRegion"], regions["primary"])
	}
	if p["GlobalClusterIdentifier"] != s["GlobalClusterIdentifier"] {
		r.add("samconfig.toml", "GlobalClusterIdentifier differs between [primary] and [secondary]")
	}
	appName := func(env string) string {
		if v, ok := over[env]["AppName"]; ok {
			return v
		}
		if p := in.Template.Parameter("AppName"); p != nil && p.Default != nil {
			return *p.Default
		}
		return ""
	}
	if appName("primary") != appName("secondary") {
		r.add("samconfig.toml", "AppName differs between [primary] and [secondary] (the routing alarm and secret names depend on it)")
	}
	for _, a := range []string{"default", "primary", "secondary"} {
		for _, b := range []string{"default", "primary", "secondary"} {
			if a < b && over[a] != nil && over[b] != nil && regions[a] == regions[b] && appName(a) == appName(b) {
				r.add("samconfig.toml", "[%s] and [%s] deploy AppName %q to the same region %s: their physical names collide", a, b, appName(a), regions[a])
			}
		}
	}
	for _, a := range []string{"default", "primary", "secondary"} {
		for _, b := range []string{"default", "primary", "secondary"} {
			pa, oka := cidrs[a]
			pb, okb := cidrs[b]
			if a < b && oka && okb && pa.Overlaps(pb) {
				r.add("samconfig.toml", "VpcCidr of [%s] %s overlaps [%s] %s", a, pa, b, pb)
			}
		}
	}
	for name, pfx := range cidrs {
		if !pfx.Addr().IsPrivate() {
			r.add("["+name+"]", "VpcCidr %s is not RFC 1918", pfx)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------- env.json

func checkEnvJSON(in *Input, r *report) {
	if in.EnvJSON == nil {
		r.add("env.json", "missing or unreadable")
		return
	}
	for _, fnName := range sortedKeys(in.EnvJSON) {
		where := "env.json " + fnName
		fn := in.Template.Resource(fnName)
		if fn == nil || fn.Type != "AWS::Serverless::Function" {
			r.add(where, "no such function in the template")
			continue
		}
		env := fn.Prop("Environment", "Variables")
		for _, k := range sortedKeys(in.EnvJSON[fnName]) {
			if get(env, k) == nil {
				r.add(where, "%s is not declared in the function's Environment: sam local would ignore it", k)
			}
		}
		if h, _ := str(fn.Prop("Handler")); h == "handlers/api" && in.EnvJSON[fnName]["TODOMGMT_DB_DSN"] == "" {
			r.add(where, "the API function needs TODOMGMT_DB_DSN for a local MySQL")
		}
	}
}

// node0 is a scalar node for comparisons.
func node0(v string) *yaml.Node { return scalar(0, v) }

// ---------------------------------------------------------------- secrets

func checkSecrets(in *Input, r *report) {
	// Names the primary gives its secrets (the Fn::Sub text of Name).
	primaryNames := map[string]bool{}
	for _, s := range in.Template.ResourcesOfType("AWS::SecretsManager::Secret") {
		if s.Condition == "IsPrimary" {
			f, arg, ok := intrinsic(s.Prop("Name"))
			if name, isStr := str(arg); ok && f == "Fn::Sub" && isStr {
				primaryNames[name] = true
			}
		}
	}
	for _, d := range in.Deployments() {
		for _, s := range d.OfType("AWS::SecretsManager::Secret") {
			where := d.Scenario.Name + ": Resources." + s.Name
			switch d.Scenario.Role {
			case "primary":
				if s.Prop("GenerateSecretString") == nil || s.Prop("SecretString") != nil {
					r.add(where, "the primary generates its secrets (GenerateSecretString, no SecretString)")
				}
				replicated := false
				for _, rr := range items(s.Prop("ReplicaRegions")) {
					if isRef(get(rr, "Region"), "PeerRegion") {
						replicated = true
					}
				}
				if want := d.Params["PeerRegion"] != ""; replicated != want {
					r.add(where, "replicated to PeerRegion = %v, want %v", replicated, want)
				}
			case "secondary":
				f, arg, ok := intrinsic(s.Prop("SecretString"))
				text, _ := str(arg)
				name, found := strings.CutPrefix(text, "{{resolve:secretsmanager:")
				name, found2 := strings.CutSuffix(name, ":SecretString}}")
				if !ok || f != "Fn::Sub" || !found || !found2 || !primaryNames[name] {
					r.add(where, "must copy a replicated primary secret: SecretString !Sub '{{resolve:secretsmanager:<primary secret Name>:SecretString}}', got %q", text)
				}
				if s.Prop("ReplicaRegions") != nil {
					r.add(where, "the secondary's copies are regional (no ReplicaRegions)")
				}
			}
		}
	}
}
