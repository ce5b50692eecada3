package designcheck

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/samcheck"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// Finding is one violation reported by a check.
type Finding struct {
	Check   string
	Where   string
	Message string
	// Sets are the parameter sets whose deployments show the violation;
	// empty when it is about the files as written.
	Sets []string
}

func (f Finding) String() string {
	s := fmt.Sprintf("[%s] %s: %s", f.Check, f.Where, f.Message)
	if len(f.Sets) > 0 {
		s += " (in " + strings.Join(f.Sets, ", ") + ")"
	}
	return s
}

// Input is what the checks read.
type Input struct {
	// Source is template.yaml as written.
	Source    *Template
	SamConfig *samconfig.Config
	// Sets are the parameter sets the template is deployed with, and
	// Translated the SAM translator's output for each, by set name. The
	// checks that read Deployments need them.
	Sets       []samcheck.ParameterSet
	Translated map[string]*Template
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

// Check is one named check. Translated checks read Deployments, the
// others only the files as written.
type Check struct {
	Name       string
	Doc        string
	Translated bool
	Run        func(in *Input, r *report)
}

type report struct {
	check    string
	findings []Finding
}

// add reports a violation in the files as written.
func (r *report) add(where, format string, args ...any) {
	r.findings = append(r.findings, Finding{Check: r.check, Where: where, Message: fmt.Sprintf(format, args...)})
}

// addIn reports a violation in deployment d. The same violation in
// several deployments is one finding naming their sets.
func (r *report) addIn(d *Deployment, where, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for i, f := range r.findings {
		if len(f.Sets) > 0 && f.Where == where && f.Message == msg {
			if !slices.Contains(f.Sets, d.Set.Name) {
				r.findings[i].Sets = append(r.findings[i].Sets, d.Set.Name)
			}
			return
		}
	}
	r.findings = append(r.findings, Finding{Check: r.check, Where: where, Message: msg, Sets: []string{d.Set.Name}})
}

// Checks are all the checks.
var Checks = slices.Concat(contractChecks, apiChecks, databaseChecks, networkChecks, frontdoorChecks, monitoringChecks)

var contractChecks = []Check{
	{Name: "parameter-sets", Doc: "samcheck's parameter sets derive from samconfig.toml and pass the template's AllowedValues, AllowedPattern and Rules (cfn-lint checks neither patterns nor Rules)", Translated: false, Run: checkParameterSets},
	{Name: "rules", Doc: "the Rules section refuses the parameter combinations of RuleCases that would fail mid-deployment, and accepts their neighbours", Translated: false, Run: checkRules},
	{Name: "parameters", Doc: "the parameters of the stack interface exist with their defaults", Translated: false, Run: checkParameters},
	{Name: "outputs", Doc: "the outputs of the stack interface exist, exported as ${AWS::StackName}-<Name>, in the deployments they belong to", Translated: true, Run: checkOutputs},
	{Name: "deployments", Doc: "the translated template evaluates for every parameter set (its Rules accept the set, its conditions evaluate)", Translated: true, Run: checkDeployments},
	{Name: "mappings", Doc: "every Fn::FindInMap names an entry of Mappings (cfn-lint 1.51 checks the keys only where it validates the resolved value)", Translated: true, Run: checkMappings},
	{Name: "samconfig", Doc: "samconfig.toml environments match the template's parameters and each other", Translated: false, Run: checkSamConfig},
	{Name: "envjson", Doc: "env.json names existing functions and only variables their Environment declares (sam local ignores the others)", Translated: true, Run: checkEnvJSON},
}

var apiChecks = []Check{
	{Name: "build", Doc: "each AWS::Serverless::Function is built by `sam build` from one of the module's handlers: go1.x build method, CodeUri = the main package, Handler bootstrap", Translated: false, Run: checkBuild},
	{Name: "api", Doc: "REST API in the translator's output: stage prod, regional, tracing, throttling, access logs; exactly the routes of Routes, each with the Cognito authorizer (own pool and the peer's) and its scopes; health public; every route on the API function", Translated: true, Run: checkAPI},
	{Name: "iam", Doc: "no IAM statement (generated roles included) allows a wildcard action on a wildcard resource; no broad managed policies", Translated: true, Run: checkIAM},
	{Name: "functions", Doc: "Lambda functions: provided.al2023 arm64, traced, log groups first; the API and migrate functions in the VPC with the contract environment and least-privilege DB access in the generated role (the readiness check judges the readiness function)", Translated: true, Run: checkFunctions},
	{Name: "cognito", Doc: "user pool, domain, resource server api with read and upsert-delete, client-credentials client with a secret", Translated: true, Run: checkCognito},
}

var databaseChecks = []Check{
	{Name: "proxy", Doc: "RDS Proxy: IAM auth required on every secret, TLS required, borrow timeout under 29 s, a read-only endpoint, the role reads only its secrets", Translated: true, Run: checkProxy},
	{Name: "keypolicy", Doc: "KMS key policies: the account administers the key unconditionally (PutKeyPolicy, deletion, ...) but uses it only through kms:ViaService RDS and Secrets Manager", Translated: true, Run: checkKeyPolicy},
	{Name: "encryption", Doc: "cluster and global cluster encrypted with a rotating, retained KMS key; secrets encrypted with it", Translated: true, Run: checkEncryption},
	{Name: "secrets", Doc: "credentials never go stale: the primary generates the DB secrets and replicates them to PeerRegion (encrypted with PeerDbKeyArn once known); the secondary holds and resolves no secret, its proxy reads the replicas; the proxy role and the migrate function decrypt only with this region's key via Secrets Manager", Translated: true, Run: checkSecrets},
	{Name: "retain", Doc: "what holds credentials is retained on deletion and replacement: the DB secrets, the user pool, its resource server and app client", Translated: true, Run: checkRetain},
	{Name: "database", Doc: "Aurora MySQL 3 Serverless v2 in a global cluster, backups, snapshot on delete/replace, an instance per cluster", Translated: true, Run: checkDatabase},
	{Name: "ha", Doc: "in-region HA: the first instance plus DbReaderInstances readers (created after it, in the DB subnet group's other AZ), every instance in promotion tier 0 or 1; readers in [primary] and [secondary], none in [default]", Translated: true, Run: checkHA},
	{Name: "secondary-cluster", Doc: "the secondary joins the global cluster with an instance and without master credentials; the primary creates the global cluster", Translated: true, Run: checkSecondaryCluster},
	{Name: "migration", Doc: "the migration custom resource exists in both roles, after the database path is ready, re-run by each new migrate version, with a function timeout for retries and a ServiceTimeout above it, reaching this region's proxy and app secret; the migrate function purges idempotency keys hourly", Translated: true, Run: checkMigration},
}

var networkChecks = []Check{
	{Name: "network", Doc: "no NAT/internet gateway or EIP or default route; 2+ subnets in distinct AZs; S3 gateway endpoint; 3306 only functions -> proxy -> cluster", Translated: true, Run: checkNetwork},
}

var frontdoorChecks = []Check{
	{Name: "frontdoor-code", Doc: "the CloudFront Function's code is frontdoor/router.js under !Sub", Translated: false, Run: checkFrontDoorCode},
	{Name: "frontdoor", Doc: "CloudFront mode: KeyValueStore, cloudfront-js-2.0 viewer-request function, both regional origins by region id, caching disabled, AllViewerExceptHostHeader", Translated: true, Run: checkFrontDoor},
	{Name: "route53", Doc: "Route 53 mode: regional custom domain per region, failover records whose alias zone matches their target, the PRIMARY health check follows the standby region's routing alarm", Translated: true, Run: checkRoute53},
}

var monitoringChecks = []Check{
	{Name: "logs", Doc: "every log group sets RetentionInDays (CloudWatch Logs keeps logs forever otherwise)", Translated: true, Run: checkLogs},
	{Name: "alarms", Doc: "one SNS topic per region (AlarmTopicArn, AlarmEmail subscribed when set) that every alarm notifies on ALARM and OK; alarms on API 5xx, the API function's errors and throttles, the migrate function's errors and error logs, proxy connection failures, and the replication lag of this stack's cluster in both roles (missing data: INSUFFICIENT_DATA, notified), each on the dimensions of the resource it watches", Translated: true, Run: checkAlarms},
	{Name: "dashboard", Doc: "a CloudWatch dashboard per region (DashboardUrl) graphing this stack's API requests, 4xx/5xx and latency, both functions' errors and duration, DB capacity, proxy connections, replication lag, both plans' failover readiness, the front door's route as measured, and every alarm", Translated: true, Run: checkDashboard},
	{Name: "readiness", Doc: "wherever there is a peer, one readiness function outside the VPC on a schedule of ReadinessIntervalMinutes (cron, aligned with its alarms' period), its environment from this stack, a role that may only describe, get and list (and put its metric, in its namespace only), and one alarm per plan on its metric with missing data breaching; none without a peer", Translated: true, Run: checkReadiness},
}

// RunCheck runs one check.
func RunCheck(c Check, in *Input) []Finding {
	r := &report{check: c.Name}
	c.Run(in, r)
	return r.findings
}

// Deployments evaluates each set's translated template for that set.
// Sets that do not evaluate are left out (the deployments check reports
// them).
func (in *Input) Deployments() []*Deployment {
	if !in.deployed {
		in.deployed = true
		for _, s := range in.Sets {
			t := in.Translated[s.Name]
			if t == nil {
				in.deployErrs = append(in.deployErrs, fmt.Errorf("set %s: not translated", s.Name))
				continue
			}
			d, err := t.Deploy(s)
			if err != nil {
				in.deployErrs = append(in.deployErrs, err)
				continue
			}
			in.deployments = append(in.deployments, d)
		}
	}
	return in.deployments
}

// DeploymentErrors says why each set that Deployments leaves out does not
// evaluate.
func (in *Input) DeploymentErrors() []error {
	in.Deployments()
	return in.deployErrs
}

// packageOf is the Go main package the function name builds: the CodeUri
// of the AWS::Serverless::Function of that logical id (the translator
// keeps it for the AWS::Lambda::Function it makes), "" for none.
func (in *Input) packageOf(name string) string {
	fn := in.Source.Resource(name)
	if fn == nil || fn.Type != "AWS::Serverless::Function" {
		return ""
	}
	return FunctionPackage(fn)
}

// FunctionPackage is the Go main package a function builds: its CodeUri,
// without a leading "./" or trailing "/".
func FunctionPackage(fn *Resource) string {
	v, _ := str(fn.Prop("CodeUri"))
	return strings.TrimSuffix(strings.TrimPrefix(v, "./"), "/")
}

// --------------------------------------------------------- deployments

func checkDeployments(in *Input, r *report) {
	for _, err := range in.DeploymentErrors() {
		r.add("deployment", "%v", err)
	}
}

// ------------------------------------------------------- parameter sets

// checkParameterSets: the sets samcheck derives from samconfig.toml are
// deployments CloudFormation would start: every value passes its
// parameter's constraints and the Rules. cfn-lint's check of parameter
// values (E2900) reads AllowedValues but neither AllowedPattern nor Rules.
func checkParameterSets(in *Input, r *report) {
	if in.SamConfig == nil {
		r.add("samconfig.toml", "missing or unreadable")
		return
	}
	sets, err := samcheck.ParameterSets(in.SamConfig)
	if err != nil {
		r.add("samconfig.toml", "parameter sets: %v", err)
		return
	}
	for _, s := range sets {
		for _, name := range slices.Sorted(maps.Keys(s.Params)) {
			v := s.Params[name]
			p := in.Source.Parameter(name)
			if p == nil {
				r.add(s.Name, "parameter %s is not a template parameter", name)
				continue
			}
			if msg := validateParameter(p, v); msg != "" {
				r.add(s.Name, "parameter %s=%q: %s", name, v, msg)
			}
		}
		if _, err := in.Source.Deploy(s); err != nil {
			r.add(s.Name, "%v", err)
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

// ------------------------------------------------------------- mappings

// checkMappings: CloudFormation refuses a template whose Fn::FindInMap
// names no entry. cfn-lint 1.51 reports it only where it validates the
// resolved value against the property's schema, not in a Lambda
// function's environment or an Aurora EngineVersion, where this template
// uses mappings.
func checkMappings(in *Input, r *report) {
	for _, d := range in.Deployments() {
		scan := func(where string, n *yaml.Node) {
			walk(n, func(x *yaml.Node) {
				f, arg, ok := intrinsic(x)
				if !ok || f != "Fn::FindInMap" {
					return
				}
				if arg.Kind != yaml.SequenceNode || len(arg.Content) != 3 {
					r.addIn(d, where, "line %d: Fn::FindInMap needs [Map, TopKey, SecondKey]", x.Line)
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
				if _, found := str(get(d.Template.Section("Mappings"), path...)); !found {
					r.addIn(d, where, "Fn::FindInMap %s: no such entry in Mappings", strings.Join(path, "/"))
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

func checkParameters(in *Input, r *report) {
	contract := map[string]bool{}
	for _, cp := range ContractParameters {
		contract[cp.Name] = true
		p := in.Source.Parameter(cp.Name)
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
	for _, p := range in.Source.Parameters() {
		if !contract[p.Name] && p.Default == nil {
			r.add("Parameters."+p.Name, "not in the stack interface and has no default: mage would not set it")
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

// route53Mode reports whether the set deploys the Route 53 front door: it
// has a custom domain. The modes come from the parameters as the design
// states them, not from the template's Conditions, which they check.
func route53Mode(s samcheck.ParameterSet) bool { return s.Params["DomainName"] != "" }

// cloudFrontMode reports whether the set is in CloudFront mode: the peer's
// API is known and there is no custom domain.
func cloudFrontMode(s samcheck.ParameterSet) bool {
	return s.Params["PeerApiDomain"] != "" && !route53Mode(s)
}

func checkOutputs(in *Input, r *report) {
	outs := in.Source.Section("Outputs")
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
		s := d.Set
		for _, name := range ContractOutputs {
			if get(outs, name) != nil && d.Outputs[name] == nil {
				r.addIn(d, "Outputs."+name, "missing in this deployment")
			}
		}
		cloudFront := cloudFrontMode(s) && s.Role() == "primary"
		want := map[string]bool{
			"FrontDoorUrl":     cloudFront || route53Mode(s),
			"DistributionId":   cloudFront,
			"KeyValueStoreArn": cloudFront,
			"RoutingAlarmName": route53Mode(s) && s.Role() == "secondary",
			// The secondary's PrimaryMasterSecretArn and PrimaryAppSecretArn.
			"MasterSecretArn": s.Role() == "primary",
			"AppSecretArn":    s.Role() == "primary",
			// Readiness needs a region to fail over to.
			"ReadinessFunctionName": d.Params["PeerRegion"] != "",
		}
		for _, name := range ConditionalOutputs {
			if got := d.Outputs[name] != nil; got != want[name] {
				r.addIn(d, "Outputs."+name, "present=%v, want %v", got, want[name])
			}
		}
		wantMode := "none"
		switch {
		case route53Mode(s):
			wantMode = "route53"
		case cloudFrontMode(s):
			wantMode = "cloudfront"
		}
		if o := d.Outputs["FrontDoorMode"]; o != nil {
			if got, err := d.Value(get(o, "Value")); err != nil || got != wantMode {
				r.addIn(d, "Outputs.FrontDoorMode", "%q (%v), want %q", got, err, wantMode)
			}
		}
	}
}

// ----------------------------------------------------------------- logs

func checkLogs(in *Input, r *report) {
	for _, d := range in.Deployments() {
		for _, lg := range d.OfType("AWS::Logs::LogGroup") {
			if lg.Prop("RetentionInDays") == nil {
				r.addIn(d, "Resources."+lg.Name, "RetentionInDays must be set (CloudWatch Logs keeps logs forever otherwise)")
			}
		}
	}
}
