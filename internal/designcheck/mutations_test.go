package designcheck

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/samcheck"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// ------------------------------------------------------------ mutations

// node parses a YAML value (short-form tags allowed).
func node(tb testing.TB, text string) *yaml.Node {
	tb.Helper()
	t, err := Parse([]byte("v: " + text))
	if err != nil {
		tb.Fatalf("snippet %q: %v", text, err)
	}
	return get(t.Root, "v")
}

// at returns the node at a path of mapping keys and sequence indexes.
func at(tb testing.TB, n *yaml.Node, path ...string) *yaml.Node {
	tb.Helper()
	for _, p := range path {
		if n != nil && n.Kind == yaml.SequenceNode {
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(n.Content) {
				tb.Fatalf("index %s out of range", p)
			}
			n = n.Content[i]
			continue
		}
		next := get(n, p)
		if next == nil {
			tb.Fatalf("no %s in path %v", p, path)
		}
		n = next
	}
	return n
}

// resNode returns a resource's mapping node in the template as written.
func resNode(tb testing.TB, in *Input, name string) *yaml.Node {
	tb.Helper()
	return at(tb, in.Source.Section("Resources"), name)
}

// setAt sets path (the last element is the key) below a resource.
func setAt(tb testing.TB, in *Input, res string, path []string, value string) {
	tb.Helper()
	parent := at(tb, resNode(tb, in, res), path[:len(path)-1]...)
	set(parent, path[len(path)-1], node(tb, value))
}

func delAt(tb testing.TB, in *Input, res string, path ...string) {
	tb.Helper()
	parent := at(tb, resNode(tb, in, res), path[:len(path)-1]...)
	if !del(parent, path[len(path)-1]) {
		tb.Fatalf("%s: no %v to delete", res, path)
	}
}

// editDashboard replaces old with new in the dashboard body's text.
func editDashboard(tb testing.TB, in *Input, old, new string) {
	tb.Helper()
	v := at(tb, resNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "0")
	if !strings.Contains(v.Value, old) {
		tb.Fatalf("the dashboard body has no %q", old)
	}
	v.Value = strings.ReplaceAll(v.Value, old, new)
}

func addResource(tb testing.TB, in *Input, name, value string) {
	tb.Helper()
	set(in.Source.Section("Resources"), name, node(tb, value))
}

func delResource(tb testing.TB, in *Input, name string) {
	tb.Helper()
	if !del(in.Source.Section("Resources"), name) {
		tb.Fatalf("no resource %s", name)
	}
}

// renameKey renames key from to to in mapping n, keeping value and place.
func renameKey(tb testing.TB, n *yaml.Node, from, to string) {
	tb.Helper()
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == from {
			n.Content[i].Value = to
			return
		}
	}
	tb.Fatalf("no key %s to rename", from)
}

// setOverride changes one parameter override of every command of an
// environment that has overrides ("" value with remove=true removes it).
func setOverride(tb testing.TB, in *Input, env, key, value string, remove bool) {
	tb.Helper()
	for _, cmd := range samCommands {
		if _, ok := in.SamConfig.Envs[env].Commands[cmd]["parameter_overrides"]; !ok {
			continue
		}
		editOverrides(tb, in, env, cmd, func(ov map[string]string) {
			if remove {
				delete(ov, key)
			} else {
				ov[key] = value
			}
		})
	}
}

// editOverrides rewrites the parameter_overrides of [env.cmd] with edit.
func editOverrides(tb testing.TB, in *Input, env, cmd string, edit func(map[string]string)) {
	tb.Helper()
	e := in.SamConfig.Envs[env]
	ov, err := e.Params(cmd).ParameterOverrides()
	if err != nil {
		tb.Fatal(err)
	}
	edit(ov)
	e.Commands[cmd]["parameter_overrides"] = strings.Join(samconfig.FormatOverrides(ov), " ")
}

func renameOverride(tb testing.TB, in *Input, env, from, to string) {
	tb.Helper()
	ov, err := in.SamConfig.Envs[env].Params("deploy").ParameterOverrides()
	if err != nil {
		tb.Fatal(err)
	}
	v, ok := ov[from]
	if !ok {
		tb.Fatalf("[%s] has no override %s", env, from)
	}
	setOverride(tb, in, env, from, "", true)
	setOverride(tb, in, env, to, v, false)
}

// defaultSets are the parameter sets a mutation is translated for when it
// names none: the first deploy pass of each role.
var defaultSets = []string{"primary", "secondary"}

// translation is a broken template to translate for some parameter sets.
type translation struct {
	in   *Input
	sets []string
	// errs are the translator's refusals, by set.
	errs map[string][]string
}

// translateAll translates each input's template as written for its sets,
// in one run of the translator, and gives each input the translations and
// only those sets.
func translateAll(tb testing.TB, dir string, ts []*translation) error {
	tb.Helper()
	var jobs []samcheck.Job
	type ref struct {
		t   *translation
		set string
	}
	var refs []ref
	for i, t := range ts {
		data, err := t.in.Source.Marshal()
		if err != nil {
			return err
		}
		var keep []samcheck.ParameterSet
		for _, s := range t.in.Sets {
			if slices.Contains(t.sets, s.Name) {
				keep = append(keep, s)
				jobs = append(jobs, samcheck.Job{Name: fmt.Sprintf("m%03d-%s", i, s.Name), Template: data,
					Region: s.Region, Params: s.Params, ArtifactPrefix: s.ArtifactPrefix})
				refs = append(refs, ref{t, s.Name})
			}
		}
		if len(keep) != len(t.sets) {
			tb.Fatalf("sets %v: not all are parameter sets", t.sets)
		}
		t.in.Sets = keep
		t.errs = map[string][]string{}
	}
	_, trs, err := samcheck.Translator{Workers: runtime.NumCPU()}.Translate(context.Background(), dir, jobs)
	if err != nil {
		return err
	}
	for i, tr := range trs {
		r := refs[i]
		if len(tr.Errors) > 0 {
			r.t.errs[r.set] = tr.Errors
			continue
		}
		if r.t.in.Translated[r.set], err = parseFile(tr.File); err != nil {
			return err
		}
	}
	return nil
}

// mutation breaks a copy of the files in one way; check must report it
// with a message containing want, in every set of sets (defaultSets for a
// translated check when nil).
type mutation struct {
	name   string
	check  string
	want   string
	sets   []string
	mutate func(tb testing.TB, in *Input)
}

// TestEachCheckCatchesItsMutation breaks a copy of the template (or of
// samconfig.toml, env.json, router.js) in one way and requires the named
// check to report it. The checks that read the translator's output see
// the broken template through the translator. Together with
// TestTemplatePassesEveryCheck this shows every check can fail.
func TestEachCheckCatchesItsMutation(t *testing.T) {
	byName := map[string]Check{}
	for _, c := range Checks {
		byName[c.Name] = c
	}
	var ts []*translation
	tByCase := map[int]*translation{}
	inputs := make([]*Input, len(mutations))
	for i, m := range mutations {
		c, ok := byName[m.check]
		if !ok {
			t.Fatalf("%s: no check %q", m.name, m.check)
		}
		in := loadSource(t)
		m.mutate(t, in)
		inputs[i] = in
		if c.Translated {
			sets := m.sets
			if sets == nil {
				sets = defaultSets
			}
			tr := &translation{in: in, sets: sets}
			ts = append(ts, tr)
			tByCase[i] = tr
		}
	}
	translateErr := translateAll(t, t.TempDir(), ts)
	if translateErr != nil && !errors.Is(translateErr, samcheck.ErrToolsMissing) {
		t.Fatal(translateErr)
	}
	checked := map[string]bool{}
	for i, m := range mutations {
		checked[m.check] = true
		t.Run(m.check+"/"+m.name, func(t *testing.T) {
			in := inputs[i]
			if tr := tByCase[i]; tr != nil {
				skipWithoutTools(t, translateErr)
				for set, errs := range tr.errs {
					t.Fatalf("the SAM translator refuses the broken template for %s: %s", set, strings.Join(errs, "; "))
				}
			}
			got := RunCheck(byName[m.check], in)
			for _, f := range got {
				if strings.Contains(f.String(), m.want) && (m.sets == nil || containsAll(f.Sets, m.sets)) {
					return
				}
			}
			var msgs []string
			for _, f := range got {
				msgs = append(msgs, f.String())
			}
			sort.Strings(msgs)
			t.Errorf("check %s: got %d findings %q, want one containing %q in sets %v", m.check, len(got), msgs, m.want, m.sets)
		})
	}
	for _, c := range Checks {
		if !checked[c.Name] {
			t.Errorf("check %s has no mutation showing it can fail", c.Name)
		}
	}
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// mutations are the broken copies TestEachCheckCatchesItsMutation runs,
// grouped by the check that must report them.
var mutations = []mutation{
	// parameter-sets
	{"a parameter set the Rules refuse", "parameter-sets", "refused by Rules: rule DbCapacityRangeIsOrdered", nil, func(tb testing.TB, in *Input) {
		setOverride(tb, in, "primary", "DbMinCapacity", "8", false)
		setOverride(tb, in, "primary", "DbMaxCapacity", "2", false)
	}},
	{"override outside AllowedPattern", "parameter-sets", "does not match AllowedPattern", nil, func(tb testing.TB, in *Input) {
		setOverride(tb, in, "primary", "VpcCidr", "8.8.0.0/16", false)
	}},
	{"override outside AllowedValues", "parameter-sets", "not one of", nil, func(tb testing.TB, in *Input) {
		setOverride(tb, in, "secondary", "DeletionProtection", "maybe", false)
	}},

	// rules
	{"no rule for the peer API's region", "rules", "CloudFront front door without PeerRegion", nil, func(tb testing.TB, in *Input) {
		del(in.Source.Section("Rules"), "PeerApiDomainHasPeerRegion")
	}},
	{"no rule for the secondary's secret ARNs", "rules", "secondary without the primary's master secret", nil, func(tb testing.TB, in *Input) {
		del(in.Source.Section("Rules"), "SecondaryReadsThePrimarysSecrets")
	}},
	{"no rule for the replica key", "rules", "the replica key given to the secondary", nil, func(tb testing.TB, in *Input) {
		del(in.Source.Section("Rules"), "PeerDbKeyArnEncryptsThePrimarysReplicas")
	}},
	{"no capacity rule", "rules", "DbMinCapacity above DbMaxCapacity", nil, func(tb testing.TB, in *Input) {
		del(in.Source.Section("Rules"), "DbCapacityRangeIsOrdered")
	}},
	{"capacity assertion off by one step", "rules", "DbMinCapacity above DbMaxCapacity", nil, func(tb testing.TB, in *Input) {
		a := at(tb, in.Source.Section("Rules"), "DbCapacityRangeIsOrdered", "Assertions", "2")
		set(a, "Assert", node(tb, `!Or [!Not [!Equals [!Ref DbMinCapacity, "8"]], !Contains [["2", "4", "8", "16", "32", "64", "128", "256"], !Ref DbMaxCapacity]]`))
	}},
	{"capacity rule too strict", "rules", "widest capacity range", nil, func(tb testing.TB, in *Input) {
		a := at(tb, in.Source.Section("Rules"), "DbCapacityRangeIsOrdered", "Assertions")
		a.Content = append(a.Content, node(tb, `{Assert: !Not [!Equals [!Ref DbMaxCapacity, "256"]], AssertDescription: at most 128}`))
	}},

	// parameters
	{"contract default changed", "parameters", `PeerApiDomain: default must be ""`, nil, func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Parameters"), "PeerApiDomain"), "Default", scalar(0, "none"))
	}},
	{"contract parameter missing", "parameters", "AlarmEmail: missing", nil, func(tb testing.TB, in *Input) {
		del(in.Source.Section("Parameters"), "AlarmEmail")
	}},
	{"Role allowed values changed", "parameters", "AllowedValues", nil, func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Parameters"), "Role"), "AllowedValues", node(tb, "[primary, secondary, tertiary]"))
	}},
	{"extra parameter without default", "parameters", "mage would not set it", nil, func(tb testing.TB, in *Input) {
		set(in.Source.Section("Parameters"), "ExtraKnob", node(tb, "{Type: String}"))
	}},

	// outputs
	{"output removed", "outputs", "ClusterArn: missing", nil, func(tb testing.TB, in *Input) {
		del(in.Source.Section("Outputs"), "ClusterArn")
	}},
	{"export renamed", "outputs", "Export.Name", nil, func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Outputs"), "ApiUrl", "Export"), "Name", node(tb, `!Sub "${AWS::StackName}-Url"`))
	}},
	{"front-door output in every stack", "outputs", "Outputs.DistributionId: present=true, want false", []string{"primary"}, func(tb testing.TB, in *Input) {
		o := at(tb, in.Source.Section("Outputs"), "DistributionId")
		set(o, "Condition", node(tb, "IsPrimary"))
	}},
	{"front-door mode wrong", "outputs", `Outputs.FrontDoorMode: "cloudfront" (<nil>), want "none"`, []string{"primary"}, func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Outputs"), "FrontDoorMode"), "Value", node(tb, "!If [Route53Mode, route53, cloudfront]"))
	}},

	// deployments
	{"a rule that refuses every set", "deployments", "refused by Rules: rule Never: never", nil, func(tb testing.TB, in *Input) {
		set(in.Source.Section("Rules"), "Never", node(tb, `{Assertions: [{Assert: !Equals [a, b], AssertDescription: never}]}`))
	}},

	// mappings
	{"FindInMap of a missing key", "mappings", "Fn::FindInMap Constants/Database/Nmae: no such entry in Mappings", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_NAME"}, "!FindInMap [Constants, Database, Nmae]")
	}},

	// build
	{"CodeUri at the module root (no main package there)", "build", "CodeUri \".\" is not one of the module's Lambda packages", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "CodeUri"}, ".")
	}},
	{"CodeUri that is no package", "build", "not one of the module's Lambda packages", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "CodeUri"}, "handlers/worker")
	}},
	{"Handler is a package path (binary not named bootstrap)", "build", "want bootstrap", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Handler"}, "handlers/api")
	}},
	{"no go build method", "build", "BuildMethod", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "MigrateFunction", "Metadata", "BuildMethod")
	}},

	// api
	{"route on the migrate function", "api", "GET /v1/health must be a Lambda proxy integration of the API function (handlers/api)", nil, func(tb testing.TB, in *Input) {
		health := at(tb, resNode(tb, in, "ApiFunction"), "Properties", "Events", "Health")
		delAt(tb, in, "ApiFunction", "Properties", "Events", "Health")
		set(at(tb, resNode(tb, in, "MigrateFunction"), "Properties", "Events"), "Health", health)
	}},
	{"authorizer trusts a third pool", "api", "trusts a provider that is neither this region's pool nor PeerUserPoolArn", nil, func(tb testing.TB, in *Input) {
		arns := at(tb, resNode(tb, in, "Api"), "Properties", "Auth", "Authorizers", "CognitoAuthorizer", "UserPoolArn")
		arns.Content = append(arns.Content, scalar(0, "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Other"))
	}},
	{"route without scopes", "api", "PUT /v1/todos/{id} scopes [], want [api/upsert-delete]", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "Properties", "Events", "PutTodo", "Properties", "Auth")
	}},
	{"mutating route with the read scope", "api", "DELETE /v1/todos/{id} scopes [api/read], want [api/upsert-delete]", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Events", "DeleteTodo", "Properties", "Auth", "AuthorizationScopes"}, "[api/read]")
	}},
	{"route without the authorizer", "api", "POST /v1 must require exactly the Cognito authorizer CognitoAuthorizer", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Events", "SamplePost", "Properties", "Auth", "Authorizer"}, "NONE")
	}},
	{"health behind the authorizer", "api", "GET /v1/health must be public", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "Properties", "Events", "Health", "Properties", "Auth")
	}},
	{"route missing", "api", "GET /v1: missing", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "Properties", "Events", "SampleGet")
	}},
	{"extra route", "api", "PATCH /v1/todos/{id} is not a route", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Events", "PatchTodo"},
			"{Type: Api, Properties: {RestApiId: !Ref Api, Path: '/v1/todos/{id}', Method: PATCH, Auth: {Authorizer: CognitoAuthorizer, AuthorizationScopes: [api/upsert-delete]}}}")
	}},
	// An event without RestApiId makes SAM create an implicit API; with
	// an authorizer the translator itself refuses it (the implicit API has
	// none), so the public route shows it.
	{"implicit API", "api", "want exactly one AWS::ApiGateway::RestApi, got 2", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "Properties", "Events", "Health", "Properties", "RestApiId")
		delAt(tb, in, "ApiFunction", "Properties", "Events", "Health", "Properties", "Auth")
	}},
	{"peer pool not trusted", "api", "pools: own=true peer=false, want own=true peer=true", []string{"primary-cloudfront", "secondary-cloudfront"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Api", []string{"Properties", "Auth", "Authorizers", "CognitoAuthorizer", "UserPoolArn"}, "[!GetAtt UserPool.Arn]")
	}},
	{"no tracing", "api", "TracingEnabled must be true", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Api", []string{"Properties", "TracingEnabled"}, "false")
	}},
	{"no throttling", "api", "MethodSettings must set", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "Api", "Properties", "MethodSettings")
	}},
	{"edge endpoint", "api", "EndpointConfiguration.Types must be [REGIONAL]", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Api", []string{"Properties", "EndpointConfiguration"}, "{Type: EDGE}")
	}},

	// proxy
	{"TLS not required", "proxy", "RequireTLS must be true", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbProxy", []string{"Properties", "RequireTLS"}, "false")
	}},
	{"IAM auth disabled", "proxy", "IAMAuth \"DISABLED\"", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbProxy", []string{"Properties", "Auth", "1", "IAMAuth"}, "DISABLED")
	}},
	{"borrow timeout above 29 s", "proxy", "ConnectionBorrowTimeout \"120\"", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbProxyTargetGroup", []string{"Properties", "ConnectionPoolConfigurationInfo", "ConnectionBorrowTimeout"}, "120")
	}},
	{"no read-only endpoint", "proxy", "READ_ONLY", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbProxyReadOnlyEndpoint", []string{"Properties", "TargetRole"}, "READ_WRITE")
	}},
	{"proxy role reads every secret", "proxy", "exactly the proxy's Auth secrets", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyRole", []string{"Properties", "Policies", "0", "PolicyDocument", "Statement", "0", "Resource"}, `"*"`)
	}},

	// iam
	{"SAM managed policy AdministratorAccess on a function", "iam", `managed policy "arn:aws:iam::aws:policy/AdministratorAccess" is too broad`, nil, func(tb testing.TB, in *Input) {
		p := at(tb, resNode(tb, in, "ApiFunction"), "Properties", "Policies")
		p.Content = append(p.Content, scalar(0, "AdministratorAccess"))
	}},
	{"star on star in a function policy", "iam", "wildcard action on a wildcard resource", nil, func(tb testing.TB, in *Input) {
		st := at(tb, resNode(tb, in, "ApiFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, node(tb, `{Effect: Allow, Action: "*", Resource: "*"}`))
	}},
	{"star list in a role", "iam", "wildcard action on a wildcard resource", nil, func(tb testing.TB, in *Input) {
		st := at(tb, resNode(tb, in, "ProxyRole"), "Properties", "Policies", "0", "PolicyDocument", "Statement")
		st.Content = append(st.Content, node(tb, `{Effect: Allow, Action: ["*"], Resource: ["*"]}`))
	}},
	{"NotAction on star", "iam", "wildcard action on a wildcard resource", nil, func(tb testing.TB, in *Input) {
		st := at(tb, resNode(tb, in, "MigrateFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, node(tb, `{Effect: Allow, NotAction: "iam:*", Resource: "*"}`))
	}},
	{"administrator managed policy", "iam", "too broad", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyRole", []string{"Properties", "ManagedPolicyArns"}, `[!Sub "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"]`)
	}},

	// functions
	{"function not traced", "functions", "TracingConfig.Mode must be Active", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Tracing"}, "PassThrough")
	}},
	{"wrong runtime", "functions", "provided.al2023", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Runtime"}, "provided.al2")
	}},
	{"x86", "functions", "Architectures must be [arm64]", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Architectures"}, "[x86_64]")
	}},
	{"outside the VPC", "functions", "VpcConfig", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "Properties", "VpcConfig")
	}},
	{"API timeout not above the request deadline", "functions", "must exceed TODOMGMT_REQUEST_TIMEOUT", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Timeout"}, "8")
	}},
	{"API timeout at API Gateway's limit", "functions", "API Gateway's 29 s", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Timeout"}, "29")
	}},
	{"env variable not in the contract", "functions", "TODOMGMT_DB_HOSTS is not one the handlers read", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOSTS"}, "x")
	}},
	{"required env variable missing", "functions", "TODOMGMT_DB_READER_HOST missing", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "Properties", "Environment", "Variables", "TODOMGMT_DB_READER_HOST")
	}},
	{"migrate function without the reader", "functions", "TODOMGMT_DB_READER_HOST missing for handlers/migrate", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "MigrateFunction", "Properties", "Environment", "Variables", "TODOMGMT_DB_READER_HOST")
	}},
	{"reader host is the writer endpoint", "functions", "TODOMGMT_DB_READER_HOST must be !GetAtt <READ_ONLY proxy endpoint>.Endpoint", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_READER_HOST"}, "!GetAtt DbProxy.Endpoint")
	}},
	{"writer host is the read-only endpoint", "functions", "TODOMGMT_DB_HOST must be !GetAtt <proxy>.Endpoint", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOST"}, "!GetAtt DbProxyReadOnlyEndpoint.Endpoint")
	}},
	{"password DSN in AWS", "functions", "TODOMGMT_DB_DSN", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_DSN"}, "root:pw@tcp(x)/y")
	}},
	{"API connects as the master user", "functions", "must be the function's TODOMGMT_DB_USER", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Policies", "0", "Statement", "0", "Resource", "Fn::Sub", "1", "User"}, "!FindInMap [Constants, Database, MasterUser]")
	}},
	{"rds-db:connect on any user", "functions", "rds-db:connect Resource must be", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Policies", "0", "Statement", "0", "Resource"}, `!Sub "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:*/*"`)
	}},
	{"proxy id taken from the wrong field", "functions", "prx-", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Policies", "0", "Statement", "0", "Resource", "Fn::Sub", "1", "ProxyId"}, `!Select [5, !Split [":", !GetAtt DbProxy.DBProxyArn]]`)
	}},
	{"API reads a secret", "functions", "may read only the secret named by its TODOMGMT_APP_SECRET_ARN", nil, func(tb testing.TB, in *Input) {
		st := at(tb, resNode(tb, in, "ApiFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, node(tb, `{Effect: Allow, Action: secretsmanager:GetSecretValue, Resource: !If [IsPrimary, !Ref MasterSecret, !Ref PrimaryMasterSecretArn]}`))
	}},
	{"log group not created first", "functions", "must DependsOn a log group", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "DependsOn")
	}},
	{"API timeout above API Gateway's", "functions", "Timeout \"30\"", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Timeout"}, "30")
	}},

	// logs
	{"log group without retention", "logs", "Resources.ApiAccessLogGroup: RetentionInDays must be set", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiAccessLogGroup", "Properties", "RetentionInDays")
	}},

	// network
	{"NAT gateway", "network", "AWS::EC2::NatGateway connects the VPC", nil, func(tb testing.TB, in *Input) {
		addResource(tb, in, "Nat", "{Type: AWS::EC2::NatGateway, Properties: {SubnetId: !Ref PrivateSubnetA}}")
	}},
	{"internet gateway", "network", "AWS::EC2::InternetGateway", nil, func(tb testing.TB, in *Input) {
		addResource(tb, in, "Igw", "{Type: AWS::EC2::InternetGateway}")
	}},
	{"elastic IP", "network", "AWS::EC2::EIP", nil, func(tb testing.TB, in *Input) {
		addResource(tb, in, "Ip", "{Type: AWS::EC2::EIP, Properties: {Domain: vpc}}")
	}},
	{"default route", "network", "routes beyond the VPC", nil, func(tb testing.TB, in *Input) {
		addResource(tb, in, "DefaultRoute", "{Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref PrivateRouteTable, DestinationCidrBlock: 0.0.0.0/0}}")
	}},
	{"two subnets in one AZ", "network", "same availability zone", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "PrivateSubnetB", []string{"Properties", "AvailabilityZone"}, `!Select [0, !GetAZs ""]`)
	}},
	{"public subnet", "network", "MapPublicIpOnLaunch", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "PrivateSubnetA", []string{"Properties", "MapPublicIpOnLaunch"}, "true")
	}},
	{"no S3 gateway endpoint", "network", "S3 gateway endpoint", nil, func(tb testing.TB, in *Input) {
		delResource(tb, in, "S3Endpoint")
	}},
	{"cluster open to a function", "network", "the cluster accepts only tcp 3306 from the proxy", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ClusterIngressFromProxy", []string{"Properties", "SourceSecurityGroupId"}, "!Ref ApiFunctionSecurityGroup")
	}},
	{"proxy open to the world", "network", "ingress must come from a security group", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ProxyIngressFromApiFunction", "Properties", "SourceSecurityGroupId")
		setAt(tb, in, "ProxyIngressFromApiFunction", []string{"Properties", "CidrIp"}, "0.0.0.0/0")
	}},
	{"proxy on another port", "network", "the proxy accepts only tcp 3306", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyIngressFromMigrateFunction", []string{"Properties", "FromPort"}, "0")
		setAt(tb, in, "ProxyIngressFromMigrateFunction", []string{"Properties", "ToPort"}, "65535")
	}},
	{"API function egress to the internet", "network", "the API function may only reach the proxy", nil, func(tb testing.TB, in *Input) {
		eg := at(tb, resNode(tb, in, "ApiFunctionSecurityGroup"), "Properties", "SecurityGroupEgress")
		eg.Content = append(eg.Content, node(tb, "{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}"))
	}},
	{"default egress kept", "network", "default allow-all egress", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ClusterSecurityGroup", "Properties", "SecurityGroupEgress")
	}},
	{"shared security group", "network", "must not be shared", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "VpcSecurityGroupIds"}, "[!Ref ProxySecurityGroup]")
	}},

	// keypolicy
	{"account root may use the key directly (kms:*)", "keypolicy", "allows kms:* (matches kms:Encrypt) without kms:ViaService", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "0", "Action"}, "kms:*")
	}},
	{"administrators may create grants", "keypolicy", "allows kms:CreateGrant", nil, func(tb testing.TB, in *Input) {
		a := at(tb, resNode(tb, in, "DbKey"), "Properties", "KeyPolicy", "Statement", "0", "Action")
		a.Content = append(a.Content, scalar(0, "kms:CreateGrant"))
	}},
	{"ViaService condition dropped", "keypolicy", "allows kms:Encrypt (matches kms:Encrypt) without kms:ViaService", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbKey", "Properties", "KeyPolicy", "Statement", "1", "Condition")
	}},
	{"key usable through another service", "keypolicy", `kms:ViaService "s3.${AWS::Region}.amazonaws.com" is not one of`, nil, func(tb testing.TB, in *Input) {
		v := at(tb, resNode(tb, in, "DbKey"), "Properties", "KeyPolicy", "Statement", "1", "Condition", "StringEquals", "kms:ViaService")
		v.Content = append(v.Content, node(tb, `!Sub "s3.${AWS::Region}.amazonaws.com"`))
	}},
	{"ViaService matched by pattern", "keypolicy", "want StringEquals", nil, func(tb testing.TB, in *Input) {
		renameKey(tb, at(tb, resNode(tb, in, "DbKey"), "Properties", "KeyPolicy", "Statement", "1", "Condition"), "StringEquals", "StringLike")
	}},
	{"account locked out of the key policy", "keypolicy", "lets the account kms:PutKeyPolicy", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "0", "Action"}, "[kms:DescribeKey, kms:GetKeyPolicy, kms:EnableKey, kms:DisableKey, kms:ScheduleKeyDeletion, kms:CancelKeyDeletion, kms:TagResource, kms:UntagResource]")
	}},
	{"RDS cannot create its grant", "keypolicy", "allows kms:CreateGrant: RDS and Secrets Manager need it", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "1", "Action"}, "[kms:Encrypt, kms:Decrypt, kms:GenerateDataKey*, kms:DescribeKey]")
	}},

	// encryption
	{"cluster not encrypted", "encryption", "StorageEncrypted must be true", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "StorageEncrypted"}, "false")
	}},
	{"cluster with the default key", "encryption", "KmsKeyId", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbCluster", "Properties", "KmsKeyId")
	}},
	{"global cluster not encrypted", "encryption", "StorageEncrypted", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "GlobalCluster", "Properties", "StorageEncrypted")
	}},
	{"secret with the default key", "encryption", "Resources.MasterSecret", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "MasterSecret", "Properties", "KmsKeyId")
	}},
	{"key without rotation", "encryption", "EnableKeyRotation", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbKey", []string{"Properties", "EnableKeyRotation"}, "false")
	}},
	{"key usable by anyone", "encryption", "root principal", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "1", "Principal"}, `{AWS: "*"}`)
	}},
	{"key deleted with the stack", "encryption", "Retain", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbKey", []string{"DeletionPolicy"}, "Delete")
	}},

	// secrets
	{"secret not replicated", "secrets", "replicated to PeerRegion = false, want true", []string{"primary"}, func(tb testing.TB, in *Input) {
		delAt(tb, in, "AppSecret", "Properties", "ReplicaRegions")
	}},
	{"the secondary proxy reading a copy resolved at deploy time", "secrets", "the secondary holds no secret of its own", []string{"secondary"}, func(tb testing.TB, in *Input) {
		addResource(tb, in, "MasterSecretCopy", `{Type: AWS::SecretsManager::Secret, Condition: IsSecondary, DeletionPolicy: Retain, UpdateReplacePolicy: Retain, Properties: {Name: !Sub "${AppName}/db/${AWS::Region}/master", KmsKeyId: !Ref DbKey, SecretString: !Sub "{{resolve:secretsmanager:${AppName}/db/master:SecretString}}"}}`)
		setAt(tb, in, "DbProxy", []string{"Properties", "Auth", "0", "SecretArn"}, "!If [IsPrimary, !Ref MasterSecret, !Ref MasterSecretCopy]")
	}},
	{"a dynamic reference resolved in the secondary", "secrets", "resolves a secret at deploy time", []string{"secondary"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "MasterUsername"}, `!If [IsPrimary, !Sub "{{resolve:secretsmanager:${MasterSecret}:SecretString:username}}", !Sub "{{resolve:secretsmanager:${AppName}/db/master:SecretString:username}}"]`)
	}},
	{"secondary proxy reading the primary region's secret", "secrets", "the secondary's proxy must read a replica", []string{"secondary"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbProxy", []string{"Properties", "Auth", "1", "SecretArn"}, "!If [IsPrimary, !Ref AppSecret, !Ref PrimaryAppSecretArn]")
	}},
	{"secondary proxy with the master's replica twice", "secrets", "Auth secrets map[PrimaryMasterSecretArn:2], want one each of [PrimaryAppSecretArn PrimaryMasterSecretArn]", []string{"secondary"}, func(tb testing.TB, in *Input) {
		a := at(tb, resNode(tb, in, "DbProxy"), "Properties", "Auth")
		set(a.Content[1], "SecretArn", clone(get(a.Content[0], "SecretArn")))
	}},
	{"replica on the AWS managed key after the second pass", "secrets", "must be encrypted with that region's own key", []string{"primary-cloudfront", "primary-route53"}, func(tb testing.TB, in *Input) {
		delAt(tb, in, "MasterSecret", "Properties", "ReplicaRegions", "Fn::If", "1", "0", "KmsKeyId")
	}},
	{"replica on this region's key (not the peer's)", "secrets", "must be encrypted with that region's own key", []string{"primary-cloudfront"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "AppSecret", []string{"Properties", "ReplicaRegions", "Fn::If", "1", "0", "KmsKeyId"}, "!GetAtt DbKey.Arn")
	}},
	{"proxy decrypts with any key", "secrets", "kms:Decrypt on", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyRole", []string{"Properties", "Policies", "0", "PolicyDocument", "Statement", "1", "Resource"}, `!Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"`)
	}},
	{"migrate function decrypts outside Secrets Manager", "secrets", "must be conditioned on kms:ViaService", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "MigrateFunction", "Properties", "Policies", "0", "Statement", "2", "Condition")
	}},
	{"proxy may encrypt", "secrets", "kms:Encrypt: only kms:Decrypt", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyRole", []string{"Properties", "Policies", "0", "PolicyDocument", "Statement", "1", "Action"}, "[kms:Decrypt, kms:Encrypt]")
	}},

	// retain
	{"the pool without Retain", "retain", "Resources.UserPool: AWS::Cognito::UserPool: DeletionPolicy and UpdateReplacePolicy must be Retain", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "UserPool", []string{"DeletionPolicy"}, "Delete")
	}},
	{"the app client replaced without a trace", "retain", "Resources.AppClient", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "AppClient", []string{"UpdateReplacePolicy"}, "Delete")
	}},
	{"a DB secret deleted with the stack", "retain", "Resources.AppSecret", []string{"primary"}, func(tb testing.TB, in *Input) {
		delAt(tb, in, "AppSecret", "DeletionPolicy")
	}},
	{"the scopes deleted with the stack", "retain", "Resources.ApiResourceServer", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiResourceServer", "DeletionPolicy")
	}},

	// database
	{"cluster deleted without snapshot", "database", "Snapshot", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"DeletionPolicy"}, "Delete")
	}},
	{"replaced without snapshot", "database", "Snapshot", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbCluster", "UpdateReplacePolicy")
	}},
	{"Aurora MySQL 2", "database", "Aurora MySQL 3", nil, func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Mappings"), "Constants", "Database"), "EngineVersion", scalar(0, "5.7.mysql_aurora.2.12.5"))
	}},
	{"provisioned instance", "database", "db.serverless", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbInstance", []string{"Properties", "DBInstanceClass"}, "db.r6g.large")
	}},
	{"no backups", "database", "BackupRetentionPeriod", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "BackupRetentionPeriod"}, "0")
	}},
	{"no serverless v2", "database", "ServerlessV2ScalingConfiguration", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbCluster", "Properties", "ServerlessV2ScalingConfiguration")
	}},
	{"deletion protection hard-coded", "database", "!Ref DeletionProtection", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "DeletionProtection"}, "false")
	}},

	// ha
	{"a reader removed", "ha", "DbReaderInstances=1 but the cluster gets 0 reader(s)", []string{"primary", "secondary"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbReaderInstance1", []string{"Condition"}, "HasReader2")
	}},
	{"reader in the writer's AZ", "ha", "in the same AZ as DbInstance (PrivateSubnetA)", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbReaderInstance1", []string{"Properties", "AvailabilityZone"}, "!GetAtt PrivateSubnetA.AvailabilityZone")
	}},
	{"reader in an AZ left to RDS", "ha", "AvailabilityZone must be !GetAtt <subnet", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbReaderInstance1", "Properties", "AvailabilityZone")
	}},
	{"writer in an AZ left to RDS", "ha", "Resources.DbInstance: AvailabilityZone must be", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbInstance", "Properties", "AvailabilityZone")
	}},
	{"reader that scales on its own", "ha", `PromotionTier "2": want 0 to 1`, nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbReaderInstance1", []string{"Properties", "PromotionTier"}, "2")
	}},
	{"reader created with the writer", "ha", "are created at once", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbReaderInstance1", "DependsOn")
	}},
	{"primary environment without a reader", "ha", "the primary environment needs a reader", nil, func(tb testing.TB, in *Input) {
		setOverride(tb, in, "primary", "DbReaderInstances", "0", false)
	}},
	{"development stack pays for a reader", "ha", "the development stack runs without readers", nil, func(tb testing.TB, in *Input) {
		setOverride(tb, in, "default", "DbReaderInstances", "1", false)
	}},

	// secondary-cluster
	{"headless secondary", "secondary-cluster", "secondary cluster has no instance", []string{"secondary"}, func(tb testing.TB, in *Input) {
		for _, i := range []string{"DbInstance", "DbReaderInstance1", "DbReaderInstance2"} {
			setAt(tb, in, i, []string{"Condition"}, "IsPrimary")
		}
	}},
	{"master user on the secondary", "secondary-cluster", "must not set MasterUsername", []string{"secondary"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "MasterUsername"}, "dbadmin")
	}},
	{"managed master password on the secondary", "secondary-cluster", "must not set ManageMasterUserPassword", []string{"secondary"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "ManageMasterUserPassword"}, "true")
	}},
	{"secondary creates the global cluster", "secondary-cluster", "must not create the global cluster", []string{"secondary"}, func(tb testing.TB, in *Input) {
		delAt(tb, in, "GlobalCluster", "Condition")
	}},
	{"primary outside the global cluster", "secondary-cluster", "primary cluster must join", []string{"primary"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "GlobalClusterIdentifier"}, "!If [IsPrimary, !Ref AWS::NoValue, !Ref GlobalClusterIdentifier]")
	}},
	{"primary password in plain text", "secondary-cluster", "MasterUserPassword must be a secretsmanager dynamic reference", []string{"primary"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "MasterUserPassword"}, "!If [IsPrimary, hunter2hunter2, !Ref AWS::NoValue]")
	}},

	// cognito
	{"client without secret", "cognito", "GenerateSecret", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "AppClient", []string{"Properties", "GenerateSecret"}, "false")
	}},
	{"resource server without upsert-delete", "cognito", "scopes [read]", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiResourceServer", []string{"Properties", "Scopes"}, "[{ScopeName: read, ScopeDescription: r}]")
	}},
	{"authorization code flow", "cognito", "client_credentials", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "AppClient", []string{"Properties", "AllowedOAuthFlows"}, "[code]")
	}},
	{"client before its scopes", "cognito", "must DependsOn ApiResourceServer", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "AppClient", "DependsOn")
	}},
	{"no user pool domain", "cognito", "user pool domain", nil, func(tb testing.TB, in *Input) {
		delResource(tb, in, "UserPoolDomain")
	}},

	// frontdoor-code
	{"deployed code differs from router.js", "frontdoor-code", "differs from frontdoor/router.js", nil, func(tb testing.TB, in *Input) {
		code := at(tb, resNode(tb, in, "FrontDoorFunction"), "Properties", "FunctionCode", "Fn::Sub")
		code.Value = strings.Replace(code.Value, "return DEFAULT_REGION;", "return PEER_REGION;", 1)
	}},
	{"tested code differs from the template", "frontdoor-code", "differs from frontdoor/router.js", nil, func(tb testing.TB, in *Input) {
		in.RouterJS = strings.Replace(in.RouterJS, "'active-region'", "'active'", 1)
	}},

	// frontdoor
	{"Host header forwarded", "frontdoor", "AllViewerExceptHostHeader", []string{"primary-cloudfront"}, func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Mappings"), "Constants", "CloudFront"), "AllViewerExceptHostHeader", scalar(0, "216adef6-5c7f-47e4-b989-5492eafa07d3"))
	}},
	{"caching enabled", "frontdoor", "CachingDisabled", []string{"primary-cloudfront"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "CachePolicyId"}, "658327ea-f89d-4fab-a63d-7e88639e58f6")
	}},
	{"DELETE not allowed", "frontdoor", "AllowedMethods lacks DELETE", []string{"primary-cloudfront"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "AllowedMethods"}, "[GET, HEAD, OPTIONS, PUT, PATCH, POST]")
	}},
	{"origin group", "frontdoor", "no origin groups", []string{"primary-cloudfront"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "OriginGroups"}, "{Quantity: 0}")
	}},
	{"JavaScript runtime 1.0", "frontdoor", "cloudfront-js-2.0", []string{"primary-cloudfront"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorFunction", []string{"Properties", "FunctionConfig", "Runtime"}, "cloudfront-js-1.0")
	}},
	{"HTTP allowed", "frontdoor", "ViewerProtocolPolicy", []string{"primary-cloudfront"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "ViewerProtocolPolicy"}, "allow-all")
	}},
	{"origin not named by region", "frontdoor", "want two origins with ids", []string{"primary-cloudfront"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "Origins", "1", "Id"}, "peer")
	}},
	{"function on viewer-response", "frontdoor", "viewer-request", []string{"primary-cloudfront"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "FunctionAssociations", "0", "EventType"}, "viewer-response")
	}},
	{"front door in the secondary", "frontdoor", "belongs to the primary's second pass", []string{"secondary-cloudfront"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorKvs", []string{"Condition"}, "CloudFrontMode")
	}},

	// route53
	{"routing alarm breaches on missing data", "route53", "TreatMissingData", []string{"secondary-route53"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "RoutingAlarm", []string{"Properties", "TreatMissingData"}, "breaching")
	}},
	{"health check on another alarm", "route53", "AlarmIdentifier.Name", []string{"primary-route53"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "PrimaryHealthCheck", []string{"Properties", "HealthCheckConfig", "AlarmIdentifier", "Name"}, `!Sub "${AppName}-primary-health"`)
	}},
	{"health check in the failing region", "route53", "AlarmIdentifier.Region", []string{"primary-route53"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "PrimaryHealthCheck", []string{"Properties", "HealthCheckConfig", "AlarmIdentifier", "Region"}, "!Ref AWS::Region")
	}},
	{"failover roles swapped", "route53", "Failover \"SECONDARY\", want PRIMARY", []string{"primary-route53-first-pass", "primary-route53"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "FailoverRecord", []string{"Properties", "Failover"}, "!If [IsPrimary, SECONDARY, PRIMARY]")
	}},
	{"routing alarm in the primary", "route53", "standby (secondary) region", []string{"primary-route53"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "RoutingAlarm", []string{"Condition"}, "Route53Mode")
	}},
	{"health check before the standby exists", "route53", "no health check before the standby", []string{"primary-route53-first-pass"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "PrimaryHealthCheck", []string{"Condition"}, "Route53Mode")
		setAt(tb, in, "FailoverRecord", []string{"Properties", "HealthCheckId"}, "!If [IsPrimary, !Ref PrimaryHealthCheck, !Ref AWS::NoValue]")
	}},
	{"edge custom domain", "route53", "REGIONAL", []string{"primary-route53", "secondary-route53"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiDomainName", []string{"Properties", "EndpointConfiguration"}, "{Types: [EDGE]}")
	}},
	{"alias in the edge (CloudFront) zone", "route53", "must be !GetAtt ApiDomainName.RegionalHostedZoneId", []string{"secondary-route53"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "FailoverRecord", []string{"Properties", "AliasTarget", "HostedZoneId"}, "!GetAtt ApiDomainName.DistributionHostedZoneId")
	}},
	{"alias in the record's own hosted zone", "route53", "must be !GetAtt ApiDomainName.RegionalHostedZoneId", []string{"primary-route53-first-pass"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "FailoverRecord", []string{"Properties", "AliasTarget", "HostedZoneId"}, "!Ref HostedZoneId")
	}},

	// alarms
	{"no 5xx alarm", "alarms", "AWS/ApiGateway 5XXError", nil, func(tb testing.TB, in *Input) {
		delResource(tb, in, "Api5xxAlarm")
	}},
	{"no RPO lag alarm", "alarms", "no alarm on AWS/RDS AuroraGlobalDBRPOLag", []string{"primary", "secondary"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReplicationRpoLagAlarm", []string{"Properties", "Metrics", "0", "Expression"}, `!Sub "SELECT MAX(CPUUtilization) FROM \"AWS/RDS\" WHERE DBClusterIdentifier = '${DbCluster}'"`)
	}},
	{"no proxy alarm", "alarms", "RDS Proxy connection failures", nil, func(tb testing.TB, in *Input) {
		delResource(tb, in, "ProxyDatabaseConnectionsFailedAlarm")
		delResource(tb, in, "ProxyClientAuthFailedAlarm")
	}},
	{"alarm that notifies nobody", "alarms", "Resources.ApiFunctionThrottlesAlarm: AlarmActions must be [!Ref AlarmTopic]", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunctionThrottlesAlarm", "Properties", "AlarmActions")
	}},
	{"alarm that does not say it recovered", "alarms", "Resources.Api5xxAlarm: OKActions must be [!Ref AlarmTopic]", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "Api5xxAlarm", "Properties", "OKActions")
	}},
	{"alarm on another topic", "alarms", "Resources.ProxyClientAuthFailedAlarm: AlarmActions must be", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyClientAuthFailedAlarm", []string{"Properties", "AlarmActions"}, `[!Sub "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:ops"]`)
	}},
	{"topic only with an e-mail address", "alarms", "want one SNS topic that every alarm notifies, got 0", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "AlarmTopic", []string{"Condition"}, "HasAlarmEmail")
	}},
	{"topic not exported", "alarms", "Outputs.AlarmTopicArn: must be !Ref AlarmTopic", nil, func(tb testing.TB, in *Input) {
		del(in.Source.Section("Outputs"), "AlarmTopicArn")
	}},
	{"e-mail subscription without an address", "alarms", "1 e-mail subscription(s) of AlarmEmail, want 0", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "AlarmEmailSubscription", "Condition")
	}},
	{"routing alarm that notifies nobody", "alarms", "Resources.RoutingAlarm: AlarmActions must be", []string{"secondary-route53"}, func(tb testing.TB, in *Input) {
		delAt(tb, in, "RoutingAlarm", "Properties", "AlarmActions")
	}},
	{"lag alarms only where the stack was created secondary", "alarms", "no alarm on AWS/RDS AuroraGlobalDBReplicationLag", []string{"primary"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReplicationLagAlarm", []string{"Condition"}, "IsSecondary")
	}},
	{"lag alarm in ALARM wherever the cluster is the writer", "alarms", `TreatMissingData "breaching"`, nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReplicationRpoLagAlarm", []string{"Properties", "TreatMissingData"}, "breaching")
	}},
	{"lag alarm silent when a secondary's metrics stop", "alarms", `TreatMissingData "notBreaching"`, nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReplicationLagAlarm", []string{"Properties", "TreatMissingData"}, "notBreaching")
	}},
	{"stopped lag metrics notify nobody", "alarms", "InsufficientDataActions must be [!Ref AlarmTopic]", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReplicationLagAlarm", "Properties", "InsufficientDataActions")
	}},
	{"lag alarm on the global cluster's name", "alarms", "must be measured on this stack's cluster, not ${GlobalClusterIdentifier}", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReplicationRpoLagAlarm", []string{"Properties", "Metrics", "0", "Expression"}, `!Sub "SELECT MAX(AuroraGlobalDBRPOLag) FROM \"AWS/RDS\" WHERE DBClusterIdentifier = '${GlobalClusterIdentifier}'"`)
	}},
	{"lag alarm in the single-region stack", "alarms", "alarm without a peer region", []string{"default"}, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReplicationLagAlarm", "Condition")
	}},
	{"no alarm on the migrate function's errors", "alarms", "no AWS/Lambda Errors alarm on MigrateFunction", nil, func(tb testing.TB, in *Input) {
		delResource(tb, in, "MigrateFunctionErrorsAlarm")
	}},
	{"failed migrations under CloudFormation not counted", "alarms", "no metric filter publishes ToDoMgmt/Migrate", nil, func(tb testing.TB, in *Input) {
		delResource(tb, in, "MigrateErrorLogsMetricFilter")
	}},
	{"error-log filter on the API's log group", "alarms", "must read the migrate function's log group", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateErrorLogsMetricFilter", []string{"Properties", "LogGroupName"}, "!Ref ApiFunctionLogGroup")
	}},
	{"error-log filter counting warnings", "alarms", `must count $.level = "ERROR" lines`, nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateErrorLogsMetricFilter", []string{"Properties", "FilterPattern"}, `'{ $.level = "WARN" }'`)
	}},
	{"5xx alarm on a hand-typed API name", "alarms", "ApiName must be the same expression as Api's Name", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Api5xxAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt-api")
	}},
	{"5xx alarm after the API was renamed", "alarms", "ApiName must be the same expression as Api's Name", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Api", []string{"Properties", "Name"}, `!Sub "${AppName}-rest-api"`)
	}},
	{"5xx alarm on another stage", "alarms", "Stage must be !Ref Api.Stage", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Api5xxAlarm", []string{"Properties", "Dimensions", "1", "Value"}, "beta")
	}},
	{"throttles alarm on the migrate function", "alarms", "no AWS/Lambda Throttles alarm on ApiFunction", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunctionThrottlesAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "!Ref MigrateFunction")
	}},
	{"errors alarm on a typed function name", "alarms", "FunctionName must be !Ref of a function", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunctionErrorsAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt-api")
	}},
	{"alarm dimension misnamed", "alarms", "dimensions [Function], want [FunctionName]", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunctionErrorsAlarm", []string{"Properties", "Dimensions", "0", "Name"}, "Function")
	}},
	{"proxy alarm on a typed proxy name", "alarms", "ProxyName must be !Ref of the stack's RDS Proxy", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyClientAuthFailedAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt-proxy")
	}},

	// dashboard
	{"a dashboard without the proxy's connections", "dashboard", "no widget graphs the proxy's connections", nil, func(tb testing.TB, in *Input) {
		editDashboard(tb, in, `"ClientConnections", "ProxyName"`, `"ClientConnections", "Proxy"`)
		editDashboard(tb, in, `"DatabaseConnections", "ProxyName"`, `"DatabaseConnections", "Proxy"`)
	}},
	{"a dashboard without the migrate function's duration", "dashboard", "no widget graphs MigrateFunction's duration", nil, func(tb testing.TB, in *Input) {
		editDashboard(tb, in, `["AWS/Lambda", "Duration", "FunctionName", "${MigrateFunction}"`, `["AWS/Lambda", "Duration", "FunctionName", "${ApiFunction}"`)
	}},
	{"a dashboard on a typed API name", "dashboard", "no widget graphs the API's requests", []string{"default"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Dashboard", []string{"Properties", "DashboardBody", "Fn::Sub", "1", "ApiName"}, "todomgmt-api")
	}},
	{"a dashboard without the database capacity", "dashboard", "no widget graphs the database capacity", nil, func(tb testing.TB, in *Input) {
		editDashboard(tb, in, `"ServerlessDatabaseCapacity"`, `"CPUUtilization"`)
	}},
	{"a dashboard without the replication lag", "dashboard", "no widget graphs the replication lag of DbCluster", nil, func(tb testing.TB, in *Input) {
		v := at(tb, resNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "1", "PeerWidgets", "Fn::If", "1", "Fn::Sub", "0")
		v.Value = strings.ReplaceAll(v.Value, "SELECT MAX(AuroraGlobalDB", "SELECT MAX(Aurora")
	}},
	{"a dashboard that does not show where traffic lands", "dashboard", "no widget graphs the peer region's API requests", []string{"primary-cloudfront"}, func(tb testing.TB, in *Input) {
		v := at(tb, resNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "1", "PeerWidgets", "Fn::If", "1", "Fn::Sub", "0")
		v.Value = strings.ReplaceAll(v.Value, `"region": "${PeerRegion}"`, `"region": "${AWS::Region}"`)
	}},
	{"the routing metric read in the primary region", "dashboard", "no widget graphs the front door's route", []string{"primary-route53"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Dashboard", []string{"Properties", "DashboardBody", "Fn::Sub", "1", "RouteWidget", "Fn::If", "1", "Fn::Sub", "1", "Standby"}, "!Ref AWS::Region")
	}},
	{"a dashboard without the distribution", "dashboard", "no widget graphs the front door's requests", []string{"primary-cloudfront"}, func(tb testing.TB, in *Input) {
		branches := at(tb, resNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "1", "RouteWidget", "Fn::If")
		branches.Content[2] = node(tb, `""`)
	}},
	{"an alarm missing from the alarm widget", "dashboard", "the alarm widget lacks ReplicationLagAlarm", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Dashboard", []string{"Properties", "DashboardBody", "Fn::Sub", "1", "LagAlarms"}, `!If [HasPeer, !Sub ', "${ReplicationRpoLagAlarm.Arn}"', ""]`)
	}},
	{"a dashboard body that is not JSON", "dashboard", "is not JSON once evaluated", nil, func(tb testing.TB, in *Input) {
		editDashboard(tb, in, `"start": "-PT3H",`, `"start": "-PT3H"`)
	}},
	{"one dashboard name for both regions", "dashboard", "must contain the region", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Dashboard", []string{"Properties", "DashboardName"}, `!Sub "${AppName}"`)
	}},
	{"no dashboard URL", "dashboard", "Outputs.DashboardUrl: must be !Sub", nil, func(tb testing.TB, in *Input) {
		del(in.Source.Section("Outputs"), "DashboardUrl")
	}},

	// migration
	{"misspelt custom resource property", "migration", "FunctionVersion must be !Ref MigrateFunction.Version", nil, func(tb testing.TB, in *Input) {
		renameKey(tb, at(tb, resNode(tb, in, "Migration"), "Properties"), "FunctionVersion", "ServiceTimout")
	}},
	{"migration in the primary only", "migration", "want one Custom::Migration in every stack", []string{"secondary"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Migration", []string{"Condition"}, "IsPrimary")
	}},
	{"migration before the proxy target", "migration", "must DependsOn DbProxyTargetGroup", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Migration", []string{"DependsOn"}, "[DbInstance, DbProxyReadOnlyEndpoint]")
	}},
	{"migration before the read-only endpoint", "migration", "must DependsOn DbProxyReadOnlyEndpoint", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Migration", []string{"DependsOn"}, "[DbInstance, DbProxyTargetGroup]")
	}},
	{"migrate function with no time to retry", "migration", `Timeout "60": the migrate function needs 300 to 900 s`, nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Timeout"}, "60")
	}},
	{"CloudFormation gives up before the function", "migration", "ServiceTimeout 600 s must exceed the function's Timeout 900 s", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Migration", []string{"Properties", "ServiceTimeout"}, "600")
	}},
	{"ServiceTimeout above CloudFormation's limit", "migration", "must be an integer from 1 to 3600", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Migration", []string{"Properties", "ServiceTimeout"}, "7200")
	}},
	{"secondary migrate reads a secret of the other region", "migration", "Resources.MigrateFunction: TODOMGMT_APP_SECRET_ARN must be a secret DbProxy holds in this region", []string{"secondary"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_APP_SECRET_ARN"}, "!If [IsPrimary, !Ref AppSecret, !Ref PrimaryAppSecretArn]")
	}},
	{"secondary migrate cannot reach its proxy", "migration", "Resources.MigrateFunction: no ingress rule", []string{"secondary"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyIngressFromMigrateFunction", []string{"Condition"}, "IsPrimary")
	}},
	{"migration served by the API function", "migration", "ServiceToken", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "Migration", []string{"Properties", "ServiceToken"}, "!GetAtt ApiFunction.Arn")
	}},
	{"no purge schedule", "migration", `Resources.MigrateFunction: want one schedule sending {"action":"purge-idempotency-keys"} to it`, nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "MigrateFunction", "Properties", "Events")
	}},
	{"purge schedule on the API function", "migration", `the purge-idempotency-keys schedule must target the migrate function MigrateFunction, not "ApiFunction"`, nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Events", "Purge"},
			`{Type: Schedule, Properties: {Schedule: rate(1 hour), Input: '{"action":"purge-idempotency-keys"}'}}`)
		delAt(tb, in, "MigrateFunction", "Properties", "Events")
	}},
	{"purge runs daily", "migration", `ScheduleExpression "rate(1 day)", want rate(1 hour)`, nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Events", "PurgeIdempotencyKeys", "Properties", "Schedule"}, "rate(1 day)")
	}},
	{"purge schedule disabled", "migration", "schedule is disabled", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Events", "PurgeIdempotencyKeys", "Properties", "Enabled"}, "false")
	}},

	// samconfig
	{"override names no parameter", "samconfig", "VpcCIDR, which is not a template parameter", nil, func(tb testing.TB, in *Input) {
		renameOverride(tb, in, "secondary", "VpcCidr", "VpcCIDR")
	}},
	{"required parameter not given", "samconfig", "required parameter Role", nil, func(tb testing.TB, in *Input) {
		setOverride(tb, in, "secondary", "Role", "", true)
	}},
	{"same VpcCidr in both regions", "samconfig", "overlaps", nil, func(tb testing.TB, in *Input) {
		setOverride(tb, in, "secondary", "VpcCidr", "10.10.0.0/16", false)
	}},
	{"same region twice", "samconfig", "same region", nil, func(tb testing.TB, in *Input) {
		in.SamConfig.Envs["secondary"].Commands["deploy"]["region"] = "us-east-1"
	}},
	{"PeerRegion not the other region", "samconfig", "PeerRegion must name the other environment's region", nil, func(tb testing.TB, in *Input) {
		setOverride(tb, in, "primary", "PeerRegion", "eu-west-1", false)
	}},
	{"global cluster ids differ", "samconfig", "GlobalClusterIdentifier differs", nil, func(tb testing.TB, in *Input) {
		setOverride(tb, in, "secondary", "GlobalClusterIdentifier", "other-global", false)
	}},
	{"roles swapped", "samconfig", "Role must be primary", nil, func(tb testing.TB, in *Input) {
		setOverride(tb, in, "primary", "Role", "secondary", false)
	}},
	{"capability missing", "samconfig", "CAPABILITY_AUTO_EXPAND", nil, func(tb testing.TB, in *Input) {
		in.SamConfig.Envs["primary"].Commands["deploy"]["capabilities"] = "CAPABILITY_IAM"
	}},
	{"no local_start_api", "samconfig", "no [secondary.local_start_api.parameters]", nil, func(tb testing.TB, in *Input) {
		delete(in.SamConfig.Envs["secondary"].Commands, "local_start_api")
	}},
	{"sync deploys other parameters", "samconfig", "differ from [primary.deploy]", nil, func(tb testing.TB, in *Input) {
		editOverrides(tb, in, "primary", "sync", func(ov map[string]string) { ov["VpcCidr"] = "10.11.0.0/16" })
	}},
	{"local API resolves other parameters", "samconfig", "[secondary.local_start_api]: parameter_overrides differ from [secondary.deploy]", nil, func(tb testing.TB, in *Input) {
		editOverrides(tb, in, "secondary", "local_start_api", func(ov map[string]string) { ov["Role"] = "primary" })
	}},
	{"build resolves other parameters", "samconfig", "[default.build]: parameter_overrides differ from [default.deploy]", nil, func(tb testing.TB, in *Input) {
		editOverrides(tb, in, "default", "build", func(ov map[string]string) { delete(ov, "AppName") })
	}},
	{"local API without overrides", "samconfig", "[primary.local_start_api]: no parameter_overrides", nil, func(tb testing.TB, in *Input) {
		delete(in.SamConfig.Envs["primary"].Commands["local_start_api"], "parameter_overrides")
	}},
	{"dev stack collides with the primary", "samconfig", "physical names collide", nil, func(tb testing.TB, in *Input) {
		in.SamConfig.Envs["default"].Commands["deploy"]["region"] = "us-east-1"
		setOverride(tb, in, "default", "AppName", "", true)
	}},
	{"passive region's minimum capacity left to the default", "samconfig", "[secondary]: DbMinCapacity is not set", nil, func(tb testing.TB, in *Input) {
		setOverride(tb, in, "secondary", "DbMinCapacity", "", true)
	}},
	{"public CIDR", "samconfig", "not RFC 1918", nil, func(tb testing.TB, in *Input) {
		setOverride(tb, in, "default", "VpcCidr", "100.64.0.0/16", false)
	}},
	{"SAM build cache on (keys on CodeUri, misses pkg/)", "samconfig", "cached = true", nil, func(tb testing.TB, in *Input) {
		in.SamConfig.Envs["primary"].Commands["build"]["cached"] = true
	}},
	{"wrong version", "samconfig", "version", nil, func(tb testing.TB, in *Input) {
		in.SamConfig.Version = 0.2
	}},

	// envjson
	{"env.json variable the template does not declare", "envjson", "TODOMGMT_DB_PASSWORD is not declared", nil, func(tb testing.TB, in *Input) {
		in.EnvJSON["ApiFunction"]["TODOMGMT_DB_PASSWORD"] = "x"
	}},
	{"env.json for a missing function", "envjson", "no such function", nil, func(tb testing.TB, in *Input) {
		in.EnvJSON["WorkerFunction"] = map[string]string{"TODOMGMT_REGION": "local"}
	}},
	{"env.json without a DSN", "envjson", "needs TODOMGMT_DB_DSN", nil, func(tb testing.TB, in *Input) {
		delete(in.EnvJSON["ApiFunction"], "TODOMGMT_DB_DSN")
	}},

	// readiness
	{"readiness function in the VPC", "readiness", "must not be in the VPC", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "VpcConfig"}, "{SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB], SecurityGroupIds: [!Ref ApiFunctionSecurityGroup]}")
	}},
	{"readiness function without a peer", "readiness", "a readiness function or alarm without a peer region", []string{"default"}, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReadinessFunction", "Condition")
		delAt(tb, in, "ReadinessFunctionLogGroup", "Condition")
	}},
	{"readiness function not scheduled", "readiness", "want one schedule invoking the readiness function, got 0", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReadinessFunction", "Properties", "Events")
	}},
	{"readiness scheduled by rate (drifts across the alarm periods)", "readiness", `ScheduleExpression "rate(5 minutes)"`, nil, func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Mappings"), "ReadinessInterval", "5"), "Schedule", scalar(0, "rate(5 minutes)"))
	}},
	{"readiness scheduled less often than its alarms' period", "readiness", "want cron(0/5 * * * ? *)", nil, func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Mappings"), "ReadinessInterval", "5"), "Schedule", scalar(0, "cron(0/10 * * * ? *)"))
	}},
	{"readiness schedule disabled", "readiness", "the readiness schedule is disabled", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Events", "Evaluate", "Properties", "Enabled"}, "false")
	}},
	{"readiness role may modify the cluster", "readiness", "allows rds:ModifyDBCluster", nil, func(tb testing.TB, in *Input) {
		st := at(tb, resNode(tb, in, "ReadinessFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, node(tb, `{Effect: Allow, Action: rds:ModifyDBCluster, Resource: !Sub "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster:${AppName}-${AWS::Region}"}`))
	}},
	{"readiness role may move the front door", "readiness", "allows cloudfront-keyvaluestore:PutKey", []string{"primary-cloudfront"}, func(tb testing.TB, in *Input) {
		st := at(tb, resNode(tb, in, "ReadinessFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, node(tb, `{Effect: Allow, Action: cloudfront-keyvaluestore:PutKey, Resource: !GetAtt FrontDoorKvs.Arn}`))
	}},
	{"readiness role puts metrics in any namespace", "readiness", "allows cloudwatch:PutMetricData without the condition StringEquals cloudwatch:namespace ToDoMgmt/Readiness", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReadinessFunction", "Properties", "Policies", "0", "Statement", "4", "Condition")
	}},
	{"readiness role describes every cluster", "readiness", "allows rds:DescribeDBClusters on every resource", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Policies", "0", "Statement", "1", "Resource"}, `"*"`)
	}},
	{"readiness role with a VPC policy", "readiness", "AWSLambdaVPCAccessExecutionRole", nil, func(tb testing.TB, in *Input) {
		pols := at(tb, resNode(tb, in, "ReadinessFunction"), "Properties", "Policies")
		pols.Content = append(pols.Content, scalar(0, "AWSLambdaVPCAccessExecutionRole"))
	}},
	{"no readiness alarm for the unplanned failover", "readiness", "want one readiness alarm for the unplanned plan, got 0", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessUnplannedAlarm", []string{"Properties", "Dimensions", "1", "Value"}, "Unplanned")
	}},
	{"readiness alarm silent when the function stops", "readiness", `TreatMissingData "notBreaching", want breaching`, nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessPlannedAlarm", []string{"Properties", "TreatMissingData"}, "notBreaching")
	}},
	{"readiness alarm on another period than the schedule's", "readiness", `Period "60"`, nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessPlannedAlarm", []string{"Properties", "Period"}, "60")
	}},
	{"readiness alarm on the average", "readiness", `Statistic "Average", want Minimum`, nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessUnplannedAlarm", []string{"Properties", "Statistic"}, "Average")
	}},
	{"readiness alarm on another app's metric", "readiness", "dimension AppName must be !Ref AppName", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessPlannedAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt")
	}},
	{"readiness checks other backups than the clusters keep", "readiness", `TODOMGMT_BACKUP_RETENTION_DAYS "14", but DbCluster keeps backups "7" days`, nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_BACKUP_RETENTION_DAYS"}, `"14"`)
	}},
	{"readiness peer region hard-coded", "readiness", "TODOMGMT_PEER_REGION is", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_PEER_REGION"}, "us-west-2")
	}},
	{"readiness reads another store than the front door's", "readiness", "TODOMGMT_KVS_ARN must be !GetAtt FrontDoorKvs.Arn", []string{"primary-cloudfront"}, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_KVS_ARN"}, "!Ref FrontDoorKeyValueStoreArn")
	}},
	{"readiness variable it does not read", "readiness", "TODOMGMT_DB_HOST is not one the readiness function reads", nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOST"}, "!GetAtt DbProxy.Endpoint")
	}},
	{"readiness without its global cluster", "readiness", "TODOMGMT_GLOBAL_CLUSTER missing", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReadinessFunction", "Properties", "Environment", "Variables", "TODOMGMT_GLOBAL_CLUSTER")
	}},
	{"readiness timeout shorter than its probes", "readiness", `Timeout "10"`, nil, func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Timeout"}, "10")
	}},

	// The readiness parts of other checks: its alarms notify the topic and
	// show on the dashboard, its log group exists first, its output and
	// the secondary-only parameter's rule.
	{"readiness alarm that does not notify on OK", "alarms", "Resources.ReadinessUnplannedAlarm: OKActions must be [!Ref AlarmTopic]", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReadinessUnplannedAlarm", "Properties", "OKActions")
	}},
	{"readiness alarms off the dashboard", "dashboard", "the alarm widget lacks ReadinessPlannedAlarm", nil, func(tb testing.TB, in *Input) {
		editDashboard(tb, in, "${LagAlarms}${ReadinessAlarms}", "${LagAlarms}")
	}},
	{"dashboard without the readiness graph", "dashboard", "no widget graphs the unplanned plan's readiness", nil, func(tb testing.TB, in *Input) {
		v := at(tb, resNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "1", "PeerWidgets", "Fn::If", "1", "Fn::Sub", "0")
		if !strings.Contains(v.Value, `"Plan", "unplanned"`) {
			tb.Fatalf("no readiness graph to remove")
		}
		v.Value = strings.ReplaceAll(v.Value, `"Plan", "unplanned"`, `"Plan", "failback"`)
	}},
	{"readiness function's log group not created first", "functions", "must DependsOn a log group /aws/lambda/todomgmt-readiness", nil, func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReadinessFunction", "DependsOn")
	}},
	{"readiness output without a peer", "outputs", "Outputs.ReadinessFunctionName: present=false, want true", nil, func(tb testing.TB, in *Input) {
		del(in.Source.Section("Outputs"), "ReadinessFunctionName")
		set(in.Source.Section("Outputs"), "ReadinessFunctionName", node(tb, `{Condition: Route53Mode, Value: !Ref ReadinessFunction, Export: {Name: !Sub "${AWS::StackName}-ReadinessFunctionName"}}`))
	}},
	{"no rule for the store given to the primary", "rules", "the front door's store given to the primary", nil, func(tb testing.TB, in *Input) {
		del(in.Source.Section("Rules"), "FrontDoorKeyValueStoreArnIsForTheSecondary")
	}},
}
