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
var mutations = slices.Concat(contractMutations, apiMutations, databaseMutations, networkMutations, frontdoorMutations, monitoringMutations)

var contractMutations = []mutation{
	// parameter-sets
	{name: "a parameter set the Rules refuse", check: "parameter-sets", want: "refused by Rules: rule DbCapacityRangeIsOrdered", mutate: func(tb testing.TB, in *Input) {
		setOverride(tb, in, "primary", "DbMinCapacity", "8", false)
		setOverride(tb, in, "primary", "DbMaxCapacity", "2", false)
	}},
	{name: "override outside AllowedPattern", check: "parameter-sets", want: "does not match AllowedPattern", mutate: func(tb testing.TB, in *Input) {
		setOverride(tb, in, "primary", "VpcCidr", "8.8.0.0/16", false)
	}},
	{name: "override outside AllowedValues", check: "parameter-sets", want: "not one of", mutate: func(tb testing.TB, in *Input) {
		setOverride(tb, in, "secondary", "DeletionProtection", "maybe", false)
	}},

	// rules
	{name: "no rule for the peer API's region", check: "rules", want: "CloudFront front door without PeerRegion", mutate: func(tb testing.TB, in *Input) {
		del(in.Source.Section("Rules"), "PeerApiDomainHasPeerRegion")
	}},
	{name: "no rule for the secondary's secret ARNs", check: "rules", want: "secondary without the primary's master secret", mutate: func(tb testing.TB, in *Input) {
		del(in.Source.Section("Rules"), "SecondaryReadsThePrimarysSecrets")
	}},
	{name: "no rule for the replica key", check: "rules", want: "the replica key given to the secondary", mutate: func(tb testing.TB, in *Input) {
		del(in.Source.Section("Rules"), "PeerDbKeyArnEncryptsThePrimarysReplicas")
	}},
	{name: "no capacity rule", check: "rules", want: "DbMinCapacity above DbMaxCapacity", mutate: func(tb testing.TB, in *Input) {
		del(in.Source.Section("Rules"), "DbCapacityRangeIsOrdered")
	}},
	{name: "capacity assertion off by one step", check: "rules", want: "DbMinCapacity above DbMaxCapacity", mutate: func(tb testing.TB, in *Input) {
		a := at(tb, in.Source.Section("Rules"), "DbCapacityRangeIsOrdered", "Assertions", "2")
		set(a, "Assert", node(tb, `!Or [!Not [!Equals [!Ref DbMinCapacity, "8"]], !Contains [["2", "4", "8", "16", "32", "64", "128", "256"], !Ref DbMaxCapacity]]`))
	}},
	{name: "capacity rule too strict", check: "rules", want: "widest capacity range", mutate: func(tb testing.TB, in *Input) {
		a := at(tb, in.Source.Section("Rules"), "DbCapacityRangeIsOrdered", "Assertions")
		a.Content = append(a.Content, node(tb, `{Assert: !Not [!Equals [!Ref DbMaxCapacity, "256"]], AssertDescription: at most 128}`))
	}},

	// parameters
	{name: "contract default changed", check: "parameters", want: `PeerApiDomain: default must be ""`, mutate: func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Parameters"), "PeerApiDomain"), "Default", scalar(0, "none"))
	}},
	{name: "contract parameter missing", check: "parameters", want: "AlarmEmail: missing", mutate: func(tb testing.TB, in *Input) {
		del(in.Source.Section("Parameters"), "AlarmEmail")
	}},
	{name: "Role allowed values changed", check: "parameters", want: "AllowedValues", mutate: func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Parameters"), "Role"), "AllowedValues", node(tb, "[primary, secondary, tertiary]"))
	}},
	{name: "extra parameter without default", check: "parameters", want: "mage would not set it", mutate: func(tb testing.TB, in *Input) {
		set(in.Source.Section("Parameters"), "ExtraKnob", node(tb, "{Type: String}"))
	}},

	// outputs
	{name: "output removed", check: "outputs", want: "ClusterArn: missing", mutate: func(tb testing.TB, in *Input) {
		del(in.Source.Section("Outputs"), "ClusterArn")
	}},
	{name: "export renamed", check: "outputs", want: "Export.Name", mutate: func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Outputs"), "ApiUrl", "Export"), "Name", node(tb, `!Sub "${AWS::StackName}-Url"`))
	}},
	{name: "front-door output in every stack", check: "outputs", want: "Outputs.DistributionId: present=true, want false", sets: []string{"primary"}, mutate: func(tb testing.TB, in *Input) {
		o := at(tb, in.Source.Section("Outputs"), "DistributionId")
		set(o, "Condition", node(tb, "IsPrimary"))
	}},
	{name: "front-door mode wrong", check: "outputs", want: `Outputs.FrontDoorMode: "cloudfront" (<nil>), want "none"`, sets: []string{"primary"}, mutate: func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Outputs"), "FrontDoorMode"), "Value", node(tb, "!If [Route53Mode, route53, cloudfront]"))
	}},

	// deployments
	{name: "a rule that refuses every set", check: "deployments", want: "refused by Rules: rule Never: never", mutate: func(tb testing.TB, in *Input) {
		set(in.Source.Section("Rules"), "Never", node(tb, `{Assertions: [{Assert: !Equals [a, b], AssertDescription: never}]}`))
	}},

	// mappings
	{name: "FindInMap of a missing key", check: "mappings", want: "Fn::FindInMap Constants/Database/Nmae: no such entry in Mappings", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_NAME"}, "!FindInMap [Constants, Database, Nmae]")
	}},

	// samconfig
	{name: "override names no parameter", check: "samconfig", want: "VpcCIDR, which is not a template parameter", mutate: func(tb testing.TB, in *Input) {
		renameOverride(tb, in, "secondary", "VpcCidr", "VpcCIDR")
	}},
	{name: "required parameter not given", check: "samconfig", want: "required parameter Role", mutate: func(tb testing.TB, in *Input) {
		setOverride(tb, in, "secondary", "Role", "", true)
	}},
	{name: "same VpcCidr in both regions", check: "samconfig", want: "overlaps", mutate: func(tb testing.TB, in *Input) {
		setOverride(tb, in, "secondary", "VpcCidr", "10.10.0.0/16", false)
	}},
	{name: "same region twice", check: "samconfig", want: "same region", mutate: func(tb testing.TB, in *Input) {
		in.SamConfig.Envs["secondary"].Commands["deploy"]["region"] = "us-east-1"
	}},
	{name: "PeerRegion not the other region", check: "samconfig", want: "PeerRegion must name the other environment's region", mutate: func(tb testing.TB, in *Input) {
		setOverride(tb, in, "primary", "PeerRegion", "eu-west-1", false)
	}},
	{name: "global cluster ids differ", check: "samconfig", want: "GlobalClusterIdentifier differs", mutate: func(tb testing.TB, in *Input) {
		setOverride(tb, in, "secondary", "GlobalClusterIdentifier", "other-global", false)
	}},
	{name: "roles swapped", check: "samconfig", want: "Role must be primary", mutate: func(tb testing.TB, in *Input) {
		setOverride(tb, in, "primary", "Role", "secondary", false)
	}},
	{name: "capability missing", check: "samconfig", want: "CAPABILITY_AUTO_EXPAND", mutate: func(tb testing.TB, in *Input) {
		in.SamConfig.Envs["primary"].Commands["deploy"]["capabilities"] = "CAPABILITY_IAM"
	}},
	{name: "no local_start_api", check: "samconfig", want: "no [secondary.local_start_api.parameters]", mutate: func(tb testing.TB, in *Input) {
		delete(in.SamConfig.Envs["secondary"].Commands, "local_start_api")
	}},
	{name: "sync deploys other parameters", check: "samconfig", want: "differ from [primary.deploy]", mutate: func(tb testing.TB, in *Input) {
		editOverrides(tb, in, "primary", "sync", func(ov map[string]string) { ov["VpcCidr"] = "10.11.0.0/16" })
	}},
	{name: "local API resolves other parameters", check: "samconfig", want: "[secondary.local_start_api]: parameter_overrides differ from [secondary.deploy]", mutate: func(tb testing.TB, in *Input) {
		editOverrides(tb, in, "secondary", "local_start_api", func(ov map[string]string) { ov["Role"] = "primary" })
	}},
	{name: "build resolves other parameters", check: "samconfig", want: "[default.build]: parameter_overrides differ from [default.deploy]", mutate: func(tb testing.TB, in *Input) {
		editOverrides(tb, in, "default", "build", func(ov map[string]string) { delete(ov, "AppName") })
	}},
	{name: "local API without overrides", check: "samconfig", want: "[primary.local_start_api]: no parameter_overrides", mutate: func(tb testing.TB, in *Input) {
		delete(in.SamConfig.Envs["primary"].Commands["local_start_api"], "parameter_overrides")
	}},
	{name: "dev stack collides with the primary", check: "samconfig", want: "physical names collide", mutate: func(tb testing.TB, in *Input) {
		in.SamConfig.Envs["default"].Commands["deploy"]["region"] = "us-east-1"
		setOverride(tb, in, "default", "AppName", "", true)
	}},
	{name: "passive region's minimum capacity left to the default", check: "samconfig", want: "[secondary]: DbMinCapacity is not set", mutate: func(tb testing.TB, in *Input) {
		setOverride(tb, in, "secondary", "DbMinCapacity", "", true)
	}},
	{name: "public CIDR", check: "samconfig", want: "not RFC 1918", mutate: func(tb testing.TB, in *Input) {
		setOverride(tb, in, "default", "VpcCidr", "100.64.0.0/16", false)
	}},
	{name: "SAM build cache on (keys on CodeUri, misses pkg/)", check: "samconfig", want: "cached = true", mutate: func(tb testing.TB, in *Input) {
		in.SamConfig.Envs["primary"].Commands["build"]["cached"] = true
	}},
	{name: "wrong version", check: "samconfig", want: "version", mutate: func(tb testing.TB, in *Input) {
		in.SamConfig.Version = 0.2
	}},

	// envjson
	{name: "env.json variable the template does not declare", check: "envjson", want: "TODOMGMT_DB_PASSWORD is not declared", mutate: func(tb testing.TB, in *Input) {
		in.EnvJSON["ApiFunction"]["TODOMGMT_DB_PASSWORD"] = "x"
	}},
	{name: "env.json for a missing function", check: "envjson", want: "no such function", mutate: func(tb testing.TB, in *Input) {
		in.EnvJSON["WorkerFunction"] = map[string]string{"TODOMGMT_REGION": "local"}
	}},
	{name: "env.json without a DSN", check: "envjson", want: "needs TODOMGMT_DB_DSN", mutate: func(tb testing.TB, in *Input) {
		delete(in.EnvJSON["ApiFunction"], "TODOMGMT_DB_DSN")
	}},
	{name: "readiness output without a peer", check: "outputs", want: "Outputs.ReadinessFunctionName: present=false, want true", mutate: func(tb testing.TB, in *Input) {
		del(in.Source.Section("Outputs"), "ReadinessFunctionName")
		set(in.Source.Section("Outputs"), "ReadinessFunctionName", node(tb, `{Condition: Route53Mode, Value: !Ref ReadinessFunction, Export: {Name: !Sub "${AWS::StackName}-ReadinessFunctionName"}}`))
	}},
	{name: "no rule for the store given to the primary", check: "rules", want: "the front door's store given to the primary", mutate: func(tb testing.TB, in *Input) {
		del(in.Source.Section("Rules"), "FrontDoorKeyValueStoreArnIsForTheSecondary")
	}},
}

var apiMutations = []mutation{
	// build
	{name: "CodeUri at the module root (no main package there)", check: "build", want: "CodeUri \".\" is not one of the module's Lambda packages", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "CodeUri"}, ".")
	}},
	{name: "CodeUri that is no package", check: "build", want: "not one of the module's Lambda packages", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "CodeUri"}, "handlers/worker")
	}},
	{name: "Handler is a package path (binary not named bootstrap)", check: "build", want: "want bootstrap", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Handler"}, "handlers/api")
	}},
	{name: "no go build method", check: "build", want: "BuildMethod", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "MigrateFunction", "Metadata", "BuildMethod")
	}},

	// api
	{name: "route on the migrate function", check: "api", want: "GET /v1/health must be a Lambda proxy integration of the API function (handlers/api)", mutate: func(tb testing.TB, in *Input) {
		health := at(tb, resNode(tb, in, "ApiFunction"), "Properties", "Events", "Health")
		delAt(tb, in, "ApiFunction", "Properties", "Events", "Health")
		set(at(tb, resNode(tb, in, "MigrateFunction"), "Properties", "Events"), "Health", health)
	}},
	{name: "authorizer trusts a third pool", check: "api", want: "trusts a provider that is neither this region's pool nor PeerUserPoolArn", mutate: func(tb testing.TB, in *Input) {
		arns := at(tb, resNode(tb, in, "Api"), "Properties", "Auth", "Authorizers", "CognitoAuthorizer", "UserPoolArn")
		arns.Content = append(arns.Content, scalar(0, "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Other"))
	}},
	{name: "route without scopes", check: "api", want: "PUT /v1/todos/{id} scopes [], want [api/upsert-delete]", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "Properties", "Events", "PutTodo", "Properties", "Auth")
	}},
	{name: "mutating route with the read scope", check: "api", want: "DELETE /v1/todos/{id} scopes [api/read], want [api/upsert-delete]", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Events", "DeleteTodo", "Properties", "Auth", "AuthorizationScopes"}, "[api/read]")
	}},
	{name: "route without the authorizer", check: "api", want: "POST /v1 must require exactly the Cognito authorizer CognitoAuthorizer", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Events", "SamplePost", "Properties", "Auth", "Authorizer"}, "NONE")
	}},
	{name: "health behind the authorizer", check: "api", want: "GET /v1/health must be public", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "Properties", "Events", "Health", "Properties", "Auth")
	}},
	{name: "route missing", check: "api", want: "GET /v1: missing", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "Properties", "Events", "SampleGet")
	}},
	{name: "extra route", check: "api", want: "PATCH /v1/todos/{id} is not a route", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Events", "PatchTodo"},
			"{Type: Api, Properties: {RestApiId: !Ref Api, Path: '/v1/todos/{id}', Method: PATCH, Auth: {Authorizer: CognitoAuthorizer, AuthorizationScopes: [api/upsert-delete]}}}")
	}},
	// An event without RestApiId makes SAM create an implicit API; with
	// an authorizer the translator itself refuses it (the implicit API has
	// none), so the public route shows it.
	{name: "implicit API", check: "api", want: "want exactly one AWS::ApiGateway::RestApi, got 2", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "Properties", "Events", "Health", "Properties", "RestApiId")
		delAt(tb, in, "ApiFunction", "Properties", "Events", "Health", "Properties", "Auth")
	}},
	{name: "peer pool not trusted", check: "api", want: "pools: own=true peer=false, want own=true peer=true", sets: []string{"primary-cloudfront", "secondary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Api", []string{"Properties", "Auth", "Authorizers", "CognitoAuthorizer", "UserPoolArn"}, "[!GetAtt UserPool.Arn]")
	}},
	{name: "no tracing", check: "api", want: "TracingEnabled must be true", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Api", []string{"Properties", "TracingEnabled"}, "false")
	}},
	{name: "no throttling", check: "api", want: "MethodSettings must set", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "Api", "Properties", "MethodSettings")
	}},
	{name: "edge endpoint", check: "api", want: "EndpointConfiguration.Types must be [REGIONAL]", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Api", []string{"Properties", "EndpointConfiguration"}, "{Type: EDGE}")
	}},

	// iam
	{name: "SAM managed policy AdministratorAccess on a function", check: "iam", want: `managed policy "arn:aws:iam::aws:policy/AdministratorAccess" is too broad`, mutate: func(tb testing.TB, in *Input) {
		p := at(tb, resNode(tb, in, "ApiFunction"), "Properties", "Policies")
		p.Content = append(p.Content, scalar(0, "AdministratorAccess"))
	}},
	{name: "star on star in a function policy", check: "iam", want: "wildcard action on a wildcard resource", mutate: func(tb testing.TB, in *Input) {
		st := at(tb, resNode(tb, in, "ApiFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, node(tb, `{Effect: Allow, Action: "*", Resource: "*"}`))
	}},
	{name: "star list in a role", check: "iam", want: "wildcard action on a wildcard resource", mutate: func(tb testing.TB, in *Input) {
		st := at(tb, resNode(tb, in, "ProxyRole"), "Properties", "Policies", "0", "PolicyDocument", "Statement")
		st.Content = append(st.Content, node(tb, `{Effect: Allow, Action: ["*"], Resource: ["*"]}`))
	}},
	{name: "NotAction on star", check: "iam", want: "wildcard action on a wildcard resource", mutate: func(tb testing.TB, in *Input) {
		st := at(tb, resNode(tb, in, "MigrateFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, node(tb, `{Effect: Allow, NotAction: "iam:*", Resource: "*"}`))
	}},
	{name: "administrator managed policy", check: "iam", want: "too broad", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyRole", []string{"Properties", "ManagedPolicyArns"}, `[!Sub "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"]`)
	}},

	// functions
	{name: "function not traced", check: "functions", want: "TracingConfig.Mode must be Active", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Tracing"}, "PassThrough")
	}},
	{name: "wrong runtime", check: "functions", want: "provided.al2023", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Runtime"}, "provided.al2")
	}},
	{name: "x86", check: "functions", want: "Architectures must be [arm64]", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Architectures"}, "[x86_64]")
	}},
	{name: "outside the VPC", check: "functions", want: "VpcConfig", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "Properties", "VpcConfig")
	}},
	{name: "API timeout not above the request deadline", check: "functions", want: "must exceed TODOMGMT_REQUEST_TIMEOUT", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Timeout"}, "8")
	}},
	{name: "API timeout at API Gateway's limit", check: "functions", want: "API Gateway's 29 s", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Timeout"}, "29")
	}},
	{name: "env variable not in the contract", check: "functions", want: "TODOMGMT_DB_HOSTS is not one the handlers read", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOSTS"}, "x")
	}},
	{name: "required env variable missing", check: "functions", want: "TODOMGMT_DB_READER_HOST missing", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "Properties", "Environment", "Variables", "TODOMGMT_DB_READER_HOST")
	}},
	{name: "migrate function without the reader", check: "functions", want: "TODOMGMT_DB_READER_HOST missing for handlers/migrate", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "MigrateFunction", "Properties", "Environment", "Variables", "TODOMGMT_DB_READER_HOST")
	}},
	{name: "reader host is the writer endpoint", check: "functions", want: "TODOMGMT_DB_READER_HOST must be !GetAtt <READ_ONLY proxy endpoint>.Endpoint", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_READER_HOST"}, "!GetAtt DbProxy.Endpoint")
	}},
	{name: "writer host is the read-only endpoint", check: "functions", want: "TODOMGMT_DB_HOST must be !GetAtt <proxy>.Endpoint", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOST"}, "!GetAtt DbProxyReadOnlyEndpoint.Endpoint")
	}},
	{name: "password DSN in AWS", check: "functions", want: "TODOMGMT_DB_DSN", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_DSN"}, "root:pw@tcp(x)/y")
	}},
	{name: "API connects as the master user", check: "functions", want: "must be the function's TODOMGMT_DB_USER", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Policies", "0", "Statement", "0", "Resource", "Fn::Sub", "1", "User"}, "!FindInMap [Constants, Database, MasterUser]")
	}},
	{name: "rds-db:connect on any user", check: "functions", want: "rds-db:connect Resource must be", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Policies", "0", "Statement", "0", "Resource"}, `!Sub "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:*/*"`)
	}},
	{name: "proxy id taken from the wrong field", check: "functions", want: "prx-", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Policies", "0", "Statement", "0", "Resource", "Fn::Sub", "1", "ProxyId"}, `!Select [5, !Split [":", !GetAtt DbProxy.DBProxyArn]]`)
	}},
	{name: "API reads a secret", check: "functions", want: "may read only the secret named by its TODOMGMT_APP_SECRET_ARN", mutate: func(tb testing.TB, in *Input) {
		st := at(tb, resNode(tb, in, "ApiFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, node(tb, `{Effect: Allow, Action: secretsmanager:GetSecretValue, Resource: !If [IsPrimary, !Ref MasterSecret, !Ref PrimaryMasterSecretArn]}`))
	}},
	{name: "log group not created first", check: "functions", want: "must DependsOn a log group", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunction", "DependsOn")
	}},
	{name: "API timeout above API Gateway's", check: "functions", want: "Timeout \"30\"", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Timeout"}, "30")
	}},

	// cognito
	{name: "client without secret", check: "cognito", want: "GenerateSecret", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "AppClient", []string{"Properties", "GenerateSecret"}, "false")
	}},
	{name: "resource server without upsert-delete", check: "cognito", want: "scopes [read]", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiResourceServer", []string{"Properties", "Scopes"}, "[{ScopeName: read, ScopeDescription: r}]")
	}},
	{name: "authorization code flow", check: "cognito", want: "client_credentials", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "AppClient", []string{"Properties", "AllowedOAuthFlows"}, "[code]")
	}},
	{name: "client before its scopes", check: "cognito", want: "must DependsOn ApiResourceServer", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "AppClient", "DependsOn")
	}},
	{name: "no user pool domain", check: "cognito", want: "user pool domain", mutate: func(tb testing.TB, in *Input) {
		delResource(tb, in, "UserPoolDomain")
	}},
	{name: "readiness function's log group not created first", check: "functions", want: "must DependsOn a log group /aws/lambda/todomgmt-readiness", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReadinessFunction", "DependsOn")
	}},
}

var databaseMutations = []mutation{
	// proxy
	{name: "TLS not required", check: "proxy", want: "RequireTLS must be true", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbProxy", []string{"Properties", "RequireTLS"}, "false")
	}},
	{name: "IAM auth disabled", check: "proxy", want: "IAMAuth \"DISABLED\"", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbProxy", []string{"Properties", "Auth", "1", "IAMAuth"}, "DISABLED")
	}},
	{name: "borrow timeout above 29 s", check: "proxy", want: "ConnectionBorrowTimeout \"120\"", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbProxyTargetGroup", []string{"Properties", "ConnectionPoolConfigurationInfo", "ConnectionBorrowTimeout"}, "120")
	}},
	{name: "no read-only endpoint", check: "proxy", want: "READ_ONLY", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbProxyReadOnlyEndpoint", []string{"Properties", "TargetRole"}, "READ_WRITE")
	}},
	{name: "proxy role reads every secret", check: "proxy", want: "exactly the proxy's Auth secrets", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyRole", []string{"Properties", "Policies", "0", "PolicyDocument", "Statement", "0", "Resource"}, `"*"`)
	}},

	// keypolicy
	{name: "account root may use the key directly (kms:*)", check: "keypolicy", want: "allows kms:* (matches kms:Encrypt) without kms:ViaService", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "0", "Action"}, "kms:*")
	}},
	{name: "administrators may create grants", check: "keypolicy", want: "allows kms:CreateGrant", mutate: func(tb testing.TB, in *Input) {
		a := at(tb, resNode(tb, in, "DbKey"), "Properties", "KeyPolicy", "Statement", "0", "Action")
		a.Content = append(a.Content, scalar(0, "kms:CreateGrant"))
	}},
	{name: "ViaService condition dropped", check: "keypolicy", want: "allows kms:Encrypt (matches kms:Encrypt) without kms:ViaService", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbKey", "Properties", "KeyPolicy", "Statement", "1", "Condition")
	}},
	{name: "key usable through another service", check: "keypolicy", want: `kms:ViaService "s3.${AWS::Region}.amazonaws.com" is not one of`, mutate: func(tb testing.TB, in *Input) {
		v := at(tb, resNode(tb, in, "DbKey"), "Properties", "KeyPolicy", "Statement", "1", "Condition", "StringEquals", "kms:ViaService")
		v.Content = append(v.Content, node(tb, `!Sub "s3.${AWS::Region}.amazonaws.com"`))
	}},
	{name: "ViaService matched by pattern", check: "keypolicy", want: "want StringEquals", mutate: func(tb testing.TB, in *Input) {
		renameKey(tb, at(tb, resNode(tb, in, "DbKey"), "Properties", "KeyPolicy", "Statement", "1", "Condition"), "StringEquals", "StringLike")
	}},
	{name: "account locked out of the key policy", check: "keypolicy", want: "lets the account kms:PutKeyPolicy", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "0", "Action"}, "[kms:DescribeKey, kms:GetKeyPolicy, kms:EnableKey, kms:DisableKey, kms:ScheduleKeyDeletion, kms:CancelKeyDeletion, kms:TagResource, kms:UntagResource]")
	}},
	{name: "RDS cannot create its grant", check: "keypolicy", want: "allows kms:CreateGrant: RDS and Secrets Manager need it", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "1", "Action"}, "[kms:Encrypt, kms:Decrypt, kms:GenerateDataKey*, kms:DescribeKey]")
	}},

	// encryption
	{name: "cluster not encrypted", check: "encryption", want: "StorageEncrypted must be true", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "StorageEncrypted"}, "false")
	}},
	{name: "cluster with the default key", check: "encryption", want: "KmsKeyId", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbCluster", "Properties", "KmsKeyId")
	}},
	{name: "global cluster not encrypted", check: "encryption", want: "StorageEncrypted", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "GlobalCluster", "Properties", "StorageEncrypted")
	}},
	{name: "secret with the default key", check: "encryption", want: "Resources.MasterSecret", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "MasterSecret", "Properties", "KmsKeyId")
	}},
	{name: "key without rotation", check: "encryption", want: "EnableKeyRotation", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbKey", []string{"Properties", "EnableKeyRotation"}, "false")
	}},
	{name: "key usable by anyone", check: "encryption", want: "root principal", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "1", "Principal"}, `{AWS: "*"}`)
	}},
	{name: "key deleted with the stack", check: "encryption", want: "Retain", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbKey", []string{"DeletionPolicy"}, "Delete")
	}},

	// secrets
	{name: "secret not replicated", check: "secrets", want: "replicated to PeerRegion = false, want true", sets: []string{"primary"}, mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "AppSecret", "Properties", "ReplicaRegions")
	}},
	{name: "the secondary proxy reading a copy resolved at deploy time", check: "secrets", want: "the secondary holds no secret of its own", sets: []string{"secondary"}, mutate: func(tb testing.TB, in *Input) {
		addResource(tb, in, "MasterSecretCopy", `{Type: AWS::SecretsManager::Secret, Condition: IsSecondary, DeletionPolicy: Retain, UpdateReplacePolicy: Retain, Properties: {Name: !Sub "${AppName}/db/${AWS::Region}/master", KmsKeyId: !Ref DbKey, SecretString: !Sub "{{resolve:secretsmanager:${AppName}/db/master:SecretString}}"}}`)
		setAt(tb, in, "DbProxy", []string{"Properties", "Auth", "0", "SecretArn"}, "!If [IsPrimary, !Ref MasterSecret, !Ref MasterSecretCopy]")
	}},
	{name: "a dynamic reference resolved in the secondary", check: "secrets", want: "resolves a secret at deploy time", sets: []string{"secondary"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "MasterUsername"}, `!If [IsPrimary, !Sub "{{resolve:secretsmanager:${MasterSecret}:SecretString:username}}", !Sub "{{resolve:secretsmanager:${AppName}/db/master:SecretString:username}}"]`)
	}},
	{name: "secondary proxy reading the primary region's secret", check: "secrets", want: "the secondary's proxy must read a replica", sets: []string{"secondary"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbProxy", []string{"Properties", "Auth", "1", "SecretArn"}, "!If [IsPrimary, !Ref AppSecret, !Ref PrimaryAppSecretArn]")
	}},
	{name: "secondary proxy with the master's replica twice", check: "secrets", want: "Auth secrets map[PrimaryMasterSecretArn:2], want one each of [PrimaryAppSecretArn PrimaryMasterSecretArn]", sets: []string{"secondary"}, mutate: func(tb testing.TB, in *Input) {
		a := at(tb, resNode(tb, in, "DbProxy"), "Properties", "Auth")
		set(a.Content[1], "SecretArn", clone(get(a.Content[0], "SecretArn")))
	}},
	{name: "replica on the AWS managed key after the second pass", check: "secrets", want: "must be encrypted with that region's own key", sets: []string{"primary-cloudfront", "primary-route53"}, mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "MasterSecret", "Properties", "ReplicaRegions", "Fn::If", "1", "0", "KmsKeyId")
	}},
	{name: "replica on this region's key (not the peer's)", check: "secrets", want: "must be encrypted with that region's own key", sets: []string{"primary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "AppSecret", []string{"Properties", "ReplicaRegions", "Fn::If", "1", "0", "KmsKeyId"}, "!GetAtt DbKey.Arn")
	}},
	{name: "proxy decrypts with any key", check: "secrets", want: "kms:Decrypt on", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyRole", []string{"Properties", "Policies", "0", "PolicyDocument", "Statement", "1", "Resource"}, `!Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"`)
	}},
	{name: "migrate function decrypts outside Secrets Manager", check: "secrets", want: "must be conditioned on kms:ViaService", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "MigrateFunction", "Properties", "Policies", "0", "Statement", "2", "Condition")
	}},
	{name: "proxy may encrypt", check: "secrets", want: "kms:Encrypt: only kms:Decrypt", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyRole", []string{"Properties", "Policies", "0", "PolicyDocument", "Statement", "1", "Action"}, "[kms:Decrypt, kms:Encrypt]")
	}},

	// retain
	{name: "the pool without Retain", check: "retain", want: "Resources.UserPool: AWS::Cognito::UserPool: DeletionPolicy and UpdateReplacePolicy must be Retain", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "UserPool", []string{"DeletionPolicy"}, "Delete")
	}},
	{name: "the app client replaced without a trace", check: "retain", want: "Resources.AppClient", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "AppClient", []string{"UpdateReplacePolicy"}, "Delete")
	}},
	{name: "a DB secret deleted with the stack", check: "retain", want: "Resources.AppSecret", sets: []string{"primary"}, mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "AppSecret", "DeletionPolicy")
	}},
	{name: "the scopes deleted with the stack", check: "retain", want: "Resources.ApiResourceServer", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiResourceServer", "DeletionPolicy")
	}},

	// database
	{name: "cluster deleted without snapshot", check: "database", want: "Snapshot", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"DeletionPolicy"}, "Delete")
	}},
	{name: "replaced without snapshot", check: "database", want: "Snapshot", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbCluster", "UpdateReplacePolicy")
	}},
	{name: "Aurora MySQL 2", check: "database", want: "Aurora MySQL 3", mutate: func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Mappings"), "Constants", "Database"), "EngineVersion", scalar(0, "5.7.mysql_aurora.2.12.5"))
	}},
	{name: "provisioned instance", check: "database", want: "db.serverless", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbInstance", []string{"Properties", "DBInstanceClass"}, "db.r6g.large")
	}},
	{name: "no backups", check: "database", want: "BackupRetentionPeriod", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "BackupRetentionPeriod"}, "0")
	}},
	{name: "no serverless v2", check: "database", want: "ServerlessV2ScalingConfiguration", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbCluster", "Properties", "ServerlessV2ScalingConfiguration")
	}},
	{name: "deletion protection hard-coded", check: "database", want: "!Ref DeletionProtection", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "DeletionProtection"}, "false")
	}},

	// ha
	{name: "a reader removed", check: "ha", want: "DbReaderInstances=1 but the cluster gets 0 reader(s)", sets: []string{"primary", "secondary"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbReaderInstance1", []string{"Condition"}, "HasReader2")
	}},
	{name: "reader in the writer's AZ", check: "ha", want: "in the same AZ as DbInstance (PrivateSubnetA)", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbReaderInstance1", []string{"Properties", "AvailabilityZone"}, "!GetAtt PrivateSubnetA.AvailabilityZone")
	}},
	{name: "reader in an AZ left to RDS", check: "ha", want: "AvailabilityZone must be !GetAtt <subnet", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbReaderInstance1", "Properties", "AvailabilityZone")
	}},
	{name: "writer in an AZ left to RDS", check: "ha", want: "Resources.DbInstance: AvailabilityZone must be", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbInstance", "Properties", "AvailabilityZone")
	}},
	{name: "reader that scales on its own", check: "ha", want: `PromotionTier "2": want 0 to 1`, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbReaderInstance1", []string{"Properties", "PromotionTier"}, "2")
	}},
	{name: "reader created with the writer", check: "ha", want: "are created at once", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "DbReaderInstance1", "DependsOn")
	}},
	{name: "primary environment without a reader", check: "ha", want: "the primary environment needs a reader", mutate: func(tb testing.TB, in *Input) {
		setOverride(tb, in, "primary", "DbReaderInstances", "0", false)
	}},
	{name: "development stack pays for a reader", check: "ha", want: "the development stack runs without readers", mutate: func(tb testing.TB, in *Input) {
		setOverride(tb, in, "default", "DbReaderInstances", "1", false)
	}},

	// secondary-cluster
	{name: "headless secondary", check: "secondary-cluster", want: "secondary cluster has no instance", sets: []string{"secondary"}, mutate: func(tb testing.TB, in *Input) {
		for _, i := range []string{"DbInstance", "DbReaderInstance1", "DbReaderInstance2"} {
			setAt(tb, in, i, []string{"Condition"}, "IsPrimary")
		}
	}},
	{name: "master user on the secondary", check: "secondary-cluster", want: "must not set MasterUsername", sets: []string{"secondary"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "MasterUsername"}, "dbadmin")
	}},
	{name: "managed master password on the secondary", check: "secondary-cluster", want: "must not set ManageMasterUserPassword", sets: []string{"secondary"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "ManageMasterUserPassword"}, "true")
	}},
	{name: "secondary creates the global cluster", check: "secondary-cluster", want: "must not create the global cluster", sets: []string{"secondary"}, mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "GlobalCluster", "Condition")
	}},
	{name: "primary outside the global cluster", check: "secondary-cluster", want: "primary cluster must join", sets: []string{"primary"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "GlobalClusterIdentifier"}, "!If [IsPrimary, !Ref AWS::NoValue, !Ref GlobalClusterIdentifier]")
	}},
	{name: "primary password in plain text", check: "secondary-cluster", want: "MasterUserPassword must be a secretsmanager dynamic reference", sets: []string{"primary"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "MasterUserPassword"}, "!If [IsPrimary, hunter2hunter2, !Ref AWS::NoValue]")
	}},

	// migration
	{name: "misspelt custom resource property", check: "migration", want: "FunctionVersion must be !Ref MigrateFunction.Version", mutate: func(tb testing.TB, in *Input) {
		renameKey(tb, at(tb, resNode(tb, in, "Migration"), "Properties"), "FunctionVersion", "ServiceTimout")
	}},
	{name: "migration in the primary only", check: "migration", want: "want one Custom::Migration in every stack", sets: []string{"secondary"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Migration", []string{"Condition"}, "IsPrimary")
	}},
	{name: "migration before the proxy target", check: "migration", want: "must DependsOn DbProxyTargetGroup", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Migration", []string{"DependsOn"}, "[DbInstance, DbProxyReadOnlyEndpoint]")
	}},
	{name: "migration before the read-only endpoint", check: "migration", want: "must DependsOn DbProxyReadOnlyEndpoint", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Migration", []string{"DependsOn"}, "[DbInstance, DbProxyTargetGroup]")
	}},
	{name: "migrate function with no time to retry", check: "migration", want: `Timeout "60": the migrate function needs 300 to 900 s`, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Timeout"}, "60")
	}},
	{name: "CloudFormation gives up before the function", check: "migration", want: "ServiceTimeout 600 s must exceed the function's Timeout 900 s", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Migration", []string{"Properties", "ServiceTimeout"}, "600")
	}},
	{name: "ServiceTimeout above CloudFormation's limit", check: "migration", want: "must be an integer from 1 to 3600", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Migration", []string{"Properties", "ServiceTimeout"}, "7200")
	}},
	{name: "secondary migrate reads a secret of the other region", check: "migration", want: "Resources.MigrateFunction: TODOMGMT_APP_SECRET_ARN must be a secret DbProxy holds in this region", sets: []string{"secondary"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_APP_SECRET_ARN"}, "!If [IsPrimary, !Ref AppSecret, !Ref PrimaryAppSecretArn]")
	}},
	{name: "secondary migrate cannot reach its proxy", check: "migration", want: "Resources.MigrateFunction: no ingress rule", sets: []string{"secondary"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyIngressFromMigrateFunction", []string{"Condition"}, "IsPrimary")
	}},
	{name: "migration served by the API function", check: "migration", want: "ServiceToken", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Migration", []string{"Properties", "ServiceToken"}, "!GetAtt ApiFunction.Arn")
	}},
	{name: "no purge schedule", check: "migration", want: `Resources.MigrateFunction: want one schedule sending {"action":"purge-idempotency-keys"} to it`, mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "MigrateFunction", "Properties", "Events")
	}},
	{name: "purge schedule on the API function", check: "migration", want: `the purge-idempotency-keys schedule must target the migrate function MigrateFunction, not "ApiFunction"`, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunction", []string{"Properties", "Events", "Purge"},
			`{Type: Schedule, Properties: {Schedule: rate(1 hour), Input: '{"action":"purge-idempotency-keys"}'}}`)
		delAt(tb, in, "MigrateFunction", "Properties", "Events")
	}},
	{name: "purge runs daily", check: "migration", want: `ScheduleExpression "rate(1 day)", want rate(1 hour)`, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Events", "PurgeIdempotencyKeys", "Properties", "Schedule"}, "rate(1 day)")
	}},
	{name: "purge schedule disabled", check: "migration", want: "schedule is disabled", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateFunction", []string{"Properties", "Events", "PurgeIdempotencyKeys", "Properties", "Enabled"}, "false")
	}},
}

var networkMutations = []mutation{
	// network
	{name: "NAT gateway", check: "network", want: "AWS::EC2::NatGateway connects the VPC", mutate: func(tb testing.TB, in *Input) {
		addResource(tb, in, "Nat", "{Type: AWS::EC2::NatGateway, Properties: {SubnetId: !Ref PrivateSubnetA}}")
	}},
	{name: "internet gateway", check: "network", want: "AWS::EC2::InternetGateway", mutate: func(tb testing.TB, in *Input) {
		addResource(tb, in, "Igw", "{Type: AWS::EC2::InternetGateway}")
	}},
	{name: "elastic IP", check: "network", want: "AWS::EC2::EIP", mutate: func(tb testing.TB, in *Input) {
		addResource(tb, in, "Ip", "{Type: AWS::EC2::EIP, Properties: {Domain: vpc}}")
	}},
	{name: "default route", check: "network", want: "routes beyond the VPC", mutate: func(tb testing.TB, in *Input) {
		addResource(tb, in, "DefaultRoute", "{Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref PrivateRouteTable, DestinationCidrBlock: 0.0.0.0/0}}")
	}},
	{name: "two subnets in one AZ", check: "network", want: "same availability zone", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "PrivateSubnetB", []string{"Properties", "AvailabilityZone"}, `!Select [0, !GetAZs ""]`)
	}},
	{name: "public subnet", check: "network", want: "MapPublicIpOnLaunch", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "PrivateSubnetA", []string{"Properties", "MapPublicIpOnLaunch"}, "true")
	}},
	{name: "no S3 gateway endpoint", check: "network", want: "S3 gateway endpoint", mutate: func(tb testing.TB, in *Input) {
		delResource(tb, in, "S3Endpoint")
	}},
	{name: "cluster open to a function", check: "network", want: "the cluster accepts only tcp 3306 from the proxy", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ClusterIngressFromProxy", []string{"Properties", "SourceSecurityGroupId"}, "!Ref ApiFunctionSecurityGroup")
	}},
	{name: "proxy open to the world", check: "network", want: "ingress must come from a security group", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ProxyIngressFromApiFunction", "Properties", "SourceSecurityGroupId")
		setAt(tb, in, "ProxyIngressFromApiFunction", []string{"Properties", "CidrIp"}, "0.0.0.0/0")
	}},
	{name: "proxy on another port", check: "network", want: "the proxy accepts only tcp 3306", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyIngressFromMigrateFunction", []string{"Properties", "FromPort"}, "0")
		setAt(tb, in, "ProxyIngressFromMigrateFunction", []string{"Properties", "ToPort"}, "65535")
	}},
	{name: "API function egress to the internet", check: "network", want: "the API function may only reach the proxy", mutate: func(tb testing.TB, in *Input) {
		eg := at(tb, resNode(tb, in, "ApiFunctionSecurityGroup"), "Properties", "SecurityGroupEgress")
		eg.Content = append(eg.Content, node(tb, "{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}"))
	}},
	{name: "default egress kept", check: "network", want: "default allow-all egress", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ClusterSecurityGroup", "Properties", "SecurityGroupEgress")
	}},
	{name: "shared security group", check: "network", want: "must not be shared", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "DbCluster", []string{"Properties", "VpcSecurityGroupIds"}, "[!Ref ProxySecurityGroup]")
	}},
}

var frontdoorMutations = []mutation{
	// frontdoor-code
	{name: "deployed code differs from router.js", check: "frontdoor-code", want: "differs from frontdoor/router.js", mutate: func(tb testing.TB, in *Input) {
		code := at(tb, resNode(tb, in, "FrontDoorFunction"), "Properties", "FunctionCode", "Fn::Sub")
		code.Value = strings.Replace(code.Value, "return DEFAULT_REGION;", "return PEER_REGION;", 1)
	}},
	{name: "tested code differs from the template", check: "frontdoor-code", want: "differs from frontdoor/router.js", mutate: func(tb testing.TB, in *Input) {
		in.RouterJS = strings.Replace(in.RouterJS, "'active-region'", "'active'", 1)
	}},

	// frontdoor
	{name: "Host header forwarded", check: "frontdoor", want: "AllViewerExceptHostHeader", sets: []string{"primary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Mappings"), "Constants", "CloudFront"), "AllViewerExceptHostHeader", scalar(0, "216adef6-5c7f-47e4-b989-5492eafa07d3"))
	}},
	{name: "caching enabled", check: "frontdoor", want: "CachingDisabled", sets: []string{"primary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "CachePolicyId"}, "658327ea-f89d-4fab-a63d-7e88639e58f6")
	}},
	{name: "DELETE not allowed", check: "frontdoor", want: "AllowedMethods lacks DELETE", sets: []string{"primary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "AllowedMethods"}, "[GET, HEAD, OPTIONS, PUT, PATCH, POST]")
	}},
	{name: "origin group", check: "frontdoor", want: "no origin groups", sets: []string{"primary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "OriginGroups"}, "{Quantity: 0}")
	}},
	{name: "JavaScript runtime 1.0", check: "frontdoor", want: "cloudfront-js-2.0", sets: []string{"primary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorFunction", []string{"Properties", "FunctionConfig", "Runtime"}, "cloudfront-js-1.0")
	}},
	{name: "HTTP allowed", check: "frontdoor", want: "ViewerProtocolPolicy", sets: []string{"primary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "ViewerProtocolPolicy"}, "allow-all")
	}},
	{name: "origin not named by region", check: "frontdoor", want: "want two origins with ids", sets: []string{"primary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "Origins", "1", "Id"}, "peer")
	}},
	{name: "function on viewer-response", check: "frontdoor", want: "viewer-request", sets: []string{"primary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "FunctionAssociations", "0", "EventType"}, "viewer-response")
	}},
	{name: "front door in the secondary", check: "frontdoor", want: "belongs to the primary's second pass", sets: []string{"secondary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "FrontDoorKvs", []string{"Condition"}, "CloudFrontMode")
	}},

	// route53
	{name: "routing alarm breaches on missing data", check: "route53", want: "TreatMissingData", sets: []string{"secondary-route53"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "RoutingAlarm", []string{"Properties", "TreatMissingData"}, "breaching")
	}},
	{name: "health check on another alarm", check: "route53", want: "AlarmIdentifier.Name", sets: []string{"primary-route53"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "PrimaryHealthCheck", []string{"Properties", "HealthCheckConfig", "AlarmIdentifier", "Name"}, `!Sub "${AppName}-primary-health"`)
	}},
	{name: "health check in the failing region", check: "route53", want: "AlarmIdentifier.Region", sets: []string{"primary-route53"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "PrimaryHealthCheck", []string{"Properties", "HealthCheckConfig", "AlarmIdentifier", "Region"}, "!Ref AWS::Region")
	}},
	{name: "failover roles swapped", check: "route53", want: "Failover \"SECONDARY\", want PRIMARY", sets: []string{"primary-route53-first-pass", "primary-route53"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "FailoverRecord", []string{"Properties", "Failover"}, "!If [IsPrimary, SECONDARY, PRIMARY]")
	}},
	{name: "routing alarm in the primary", check: "route53", want: "standby (secondary) region", sets: []string{"primary-route53"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "RoutingAlarm", []string{"Condition"}, "Route53Mode")
	}},
	{name: "health check before the standby exists", check: "route53", want: "no health check before the standby", sets: []string{"primary-route53-first-pass"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "PrimaryHealthCheck", []string{"Condition"}, "Route53Mode")
		setAt(tb, in, "FailoverRecord", []string{"Properties", "HealthCheckId"}, "!If [IsPrimary, !Ref PrimaryHealthCheck, !Ref AWS::NoValue]")
	}},
	{name: "edge custom domain", check: "route53", want: "REGIONAL", sets: []string{"primary-route53", "secondary-route53"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiDomainName", []string{"Properties", "EndpointConfiguration"}, "{Types: [EDGE]}")
	}},
	{name: "alias in the edge (CloudFront) zone", check: "route53", want: "must be !GetAtt ApiDomainName.RegionalHostedZoneId", sets: []string{"secondary-route53"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "FailoverRecord", []string{"Properties", "AliasTarget", "HostedZoneId"}, "!GetAtt ApiDomainName.DistributionHostedZoneId")
	}},
	{name: "alias in the record's own hosted zone", check: "route53", want: "must be !GetAtt ApiDomainName.RegionalHostedZoneId", sets: []string{"primary-route53-first-pass"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "FailoverRecord", []string{"Properties", "AliasTarget", "HostedZoneId"}, "!Ref HostedZoneId")
	}},
}

var monitoringMutations = []mutation{
	// logs
	{name: "log group without retention", check: "logs", want: "Resources.ApiAccessLogGroup: RetentionInDays must be set", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiAccessLogGroup", "Properties", "RetentionInDays")
	}},

	// alarms
	{name: "no 5xx alarm", check: "alarms", want: "AWS/ApiGateway 5XXError", mutate: func(tb testing.TB, in *Input) {
		delResource(tb, in, "Api5xxAlarm")
	}},
	{name: "no RPO lag alarm", check: "alarms", want: "no alarm on AWS/RDS AuroraGlobalDBRPOLag", sets: []string{"primary", "secondary"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReplicationRpoLagAlarm", []string{"Properties", "Metrics", "0", "Expression"}, `!Sub "SELECT MAX(CPUUtilization) FROM \"AWS/RDS\" WHERE DBClusterIdentifier = '${DbCluster}'"`)
	}},
	{name: "no proxy alarm", check: "alarms", want: "RDS Proxy connection failures", mutate: func(tb testing.TB, in *Input) {
		delResource(tb, in, "ProxyDatabaseConnectionsFailedAlarm")
		delResource(tb, in, "ProxyClientAuthFailedAlarm")
	}},
	{name: "alarm that notifies nobody", check: "alarms", want: "Resources.ApiFunctionThrottlesAlarm: AlarmActions must be [!Ref AlarmTopic]", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ApiFunctionThrottlesAlarm", "Properties", "AlarmActions")
	}},
	{name: "alarm that does not say it recovered", check: "alarms", want: "Resources.Api5xxAlarm: OKActions must be [!Ref AlarmTopic]", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "Api5xxAlarm", "Properties", "OKActions")
	}},
	{name: "alarm on another topic", check: "alarms", want: "Resources.ProxyClientAuthFailedAlarm: AlarmActions must be", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyClientAuthFailedAlarm", []string{"Properties", "AlarmActions"}, `[!Sub "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:ops"]`)
	}},
	{name: "topic only with an e-mail address", check: "alarms", want: "want one SNS topic that every alarm notifies, got 0", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "AlarmTopic", []string{"Condition"}, "HasAlarmEmail")
	}},
	{name: "topic not exported", check: "alarms", want: "Outputs.AlarmTopicArn: must be !Ref AlarmTopic", mutate: func(tb testing.TB, in *Input) {
		del(in.Source.Section("Outputs"), "AlarmTopicArn")
	}},
	{name: "e-mail subscription without an address", check: "alarms", want: "1 e-mail subscription(s) of AlarmEmail, want 0", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "AlarmEmailSubscription", "Condition")
	}},
	{name: "routing alarm that notifies nobody", check: "alarms", want: "Resources.RoutingAlarm: AlarmActions must be", sets: []string{"secondary-route53"}, mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "RoutingAlarm", "Properties", "AlarmActions")
	}},
	{name: "lag alarms only where the stack was created secondary", check: "alarms", want: "no alarm on AWS/RDS AuroraGlobalDBReplicationLag", sets: []string{"primary"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReplicationLagAlarm", []string{"Condition"}, "IsSecondary")
	}},
	{name: "lag alarm in ALARM wherever the cluster is the writer", check: "alarms", want: `TreatMissingData "breaching"`, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReplicationRpoLagAlarm", []string{"Properties", "TreatMissingData"}, "breaching")
	}},
	{name: "lag alarm silent when a secondary's metrics stop", check: "alarms", want: `TreatMissingData "notBreaching"`, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReplicationLagAlarm", []string{"Properties", "TreatMissingData"}, "notBreaching")
	}},
	{name: "stopped lag metrics notify nobody", check: "alarms", want: "InsufficientDataActions must be [!Ref AlarmTopic]", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReplicationLagAlarm", "Properties", "InsufficientDataActions")
	}},
	{name: "lag alarm on the global cluster's name", check: "alarms", want: "must be measured on this stack's cluster, not ${GlobalClusterIdentifier}", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReplicationRpoLagAlarm", []string{"Properties", "Metrics", "0", "Expression"}, `!Sub "SELECT MAX(AuroraGlobalDBRPOLag) FROM \"AWS/RDS\" WHERE DBClusterIdentifier = '${GlobalClusterIdentifier}'"`)
	}},
	{name: "lag alarm in the single-region stack", check: "alarms", want: "alarm without a peer region", sets: []string{"default"}, mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReplicationLagAlarm", "Condition")
	}},
	{name: "no alarm on the migrate function's errors", check: "alarms", want: "no AWS/Lambda Errors alarm on MigrateFunction", mutate: func(tb testing.TB, in *Input) {
		delResource(tb, in, "MigrateFunctionErrorsAlarm")
	}},
	{name: "failed migrations under CloudFormation not counted", check: "alarms", want: "no metric filter publishes ToDoMgmt/Migrate", mutate: func(tb testing.TB, in *Input) {
		delResource(tb, in, "MigrateErrorLogsMetricFilter")
	}},
	{name: "error-log filter on the API's log group", check: "alarms", want: "must read the migrate function's log group", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateErrorLogsMetricFilter", []string{"Properties", "LogGroupName"}, "!Ref ApiFunctionLogGroup")
	}},
	{name: "error-log filter counting warnings", check: "alarms", want: `must count $.level = "ERROR" lines`, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "MigrateErrorLogsMetricFilter", []string{"Properties", "FilterPattern"}, `'{ $.level = "WARN" }'`)
	}},
	{name: "5xx alarm on a hand-typed API name", check: "alarms", want: "ApiName must be the same expression as Api's Name", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Api5xxAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt-api")
	}},
	{name: "5xx alarm after the API was renamed", check: "alarms", want: "ApiName must be the same expression as Api's Name", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Api", []string{"Properties", "Name"}, `!Sub "${AppName}-rest-api"`)
	}},
	{name: "5xx alarm on another stage", check: "alarms", want: "Stage must be !Ref Api.Stage", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Api5xxAlarm", []string{"Properties", "Dimensions", "1", "Value"}, "beta")
	}},
	{name: "throttles alarm on the migrate function", check: "alarms", want: "no AWS/Lambda Throttles alarm on ApiFunction", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunctionThrottlesAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "!Ref MigrateFunction")
	}},
	{name: "errors alarm on a typed function name", check: "alarms", want: "FunctionName must be !Ref of a function", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunctionErrorsAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt-api")
	}},
	{name: "alarm dimension misnamed", check: "alarms", want: "dimensions [Function], want [FunctionName]", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ApiFunctionErrorsAlarm", []string{"Properties", "Dimensions", "0", "Name"}, "Function")
	}},
	{name: "proxy alarm on a typed proxy name", check: "alarms", want: "ProxyName must be !Ref of the stack's RDS Proxy", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ProxyClientAuthFailedAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt-proxy")
	}},

	// dashboard
	{name: "a dashboard without the proxy's connections", check: "dashboard", want: "no widget graphs the proxy's connections", mutate: func(tb testing.TB, in *Input) {
		editDashboard(tb, in, `"ClientConnections", "ProxyName"`, `"ClientConnections", "Proxy"`)
		editDashboard(tb, in, `"DatabaseConnections", "ProxyName"`, `"DatabaseConnections", "Proxy"`)
	}},
	{name: "a dashboard without the migrate function's duration", check: "dashboard", want: "no widget graphs MigrateFunction's duration", mutate: func(tb testing.TB, in *Input) {
		editDashboard(tb, in, `["AWS/Lambda", "Duration", "FunctionName", "${MigrateFunction}"`, `["AWS/Lambda", "Duration", "FunctionName", "${ApiFunction}"`)
	}},
	{name: "a dashboard on a typed API name", check: "dashboard", want: "no widget graphs the API's requests", sets: []string{"default"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Dashboard", []string{"Properties", "DashboardBody", "Fn::Sub", "1", "ApiName"}, "todomgmt-api")
	}},
	{name: "a dashboard without the database capacity", check: "dashboard", want: "no widget graphs the database capacity", mutate: func(tb testing.TB, in *Input) {
		editDashboard(tb, in, `"ServerlessDatabaseCapacity"`, `"CPUUtilization"`)
	}},
	{name: "a dashboard without the replication lag", check: "dashboard", want: "no widget graphs the replication lag of DbCluster", mutate: func(tb testing.TB, in *Input) {
		v := at(tb, resNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "1", "PeerWidgets", "Fn::If", "1", "Fn::Sub", "0")
		v.Value = strings.ReplaceAll(v.Value, "SELECT MAX(AuroraGlobalDB", "SELECT MAX(Aurora")
	}},
	{name: "a dashboard that does not show where traffic lands", check: "dashboard", want: "no widget graphs the peer region's API requests", sets: []string{"primary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		v := at(tb, resNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "1", "PeerWidgets", "Fn::If", "1", "Fn::Sub", "0")
		v.Value = strings.ReplaceAll(v.Value, `"region": "${PeerRegion}"`, `"region": "${AWS::Region}"`)
	}},
	{name: "the routing metric read in the primary region", check: "dashboard", want: "no widget graphs the front door's route", sets: []string{"primary-route53"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Dashboard", []string{"Properties", "DashboardBody", "Fn::Sub", "1", "RouteWidget", "Fn::If", "1", "Fn::Sub", "1", "Standby"}, "!Ref AWS::Region")
	}},
	{name: "a dashboard without the distribution", check: "dashboard", want: "no widget graphs the front door's requests", sets: []string{"primary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		branches := at(tb, resNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "1", "RouteWidget", "Fn::If")
		branches.Content[2] = node(tb, `""`)
	}},
	{name: "an alarm missing from the alarm widget", check: "dashboard", want: "the alarm widget lacks ReplicationLagAlarm", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Dashboard", []string{"Properties", "DashboardBody", "Fn::Sub", "1", "LagAlarms"}, `!If [HasPeer, !Sub ', "${ReplicationRpoLagAlarm.Arn}"', ""]`)
	}},
	{name: "a dashboard body that is not JSON", check: "dashboard", want: "is not JSON once evaluated", mutate: func(tb testing.TB, in *Input) {
		editDashboard(tb, in, `"start": "-PT3H",`, `"start": "-PT3H"`)
	}},
	{name: "one dashboard name for both regions", check: "dashboard", want: "must contain the region", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "Dashboard", []string{"Properties", "DashboardName"}, `!Sub "${AppName}"`)
	}},
	{name: "no dashboard URL", check: "dashboard", want: "Outputs.DashboardUrl: must be !Sub", mutate: func(tb testing.TB, in *Input) {
		del(in.Source.Section("Outputs"), "DashboardUrl")
	}},

	// readiness
	{name: "readiness function in the VPC", check: "readiness", want: "must not be in the VPC", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "VpcConfig"}, "{SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB], SecurityGroupIds: [!Ref ApiFunctionSecurityGroup]}")
	}},
	{name: "readiness function without a peer", check: "readiness", want: "a readiness function or alarm without a peer region", sets: []string{"default"}, mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReadinessFunction", "Condition")
		delAt(tb, in, "ReadinessFunctionLogGroup", "Condition")
	}},
	{name: "readiness function not scheduled", check: "readiness", want: "want one schedule invoking the readiness function, got 0", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReadinessFunction", "Properties", "Events")
	}},
	{name: "readiness scheduled by rate (drifts across the alarm periods)", check: "readiness", want: `ScheduleExpression "rate(5 minutes)"`, mutate: func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Mappings"), "ReadinessInterval", "5"), "Schedule", scalar(0, "rate(5 minutes)"))
	}},
	{name: "readiness scheduled less often than its alarms' period", check: "readiness", want: "want cron(0/5 * * * ? *)", mutate: func(tb testing.TB, in *Input) {
		set(at(tb, in.Source.Section("Mappings"), "ReadinessInterval", "5"), "Schedule", scalar(0, "cron(0/10 * * * ? *)"))
	}},
	{name: "readiness schedule disabled", check: "readiness", want: "the readiness schedule is disabled", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Events", "Evaluate", "Properties", "Enabled"}, "false")
	}},
	{name: "readiness role may modify the cluster", check: "readiness", want: "allows rds:ModifyDBCluster", mutate: func(tb testing.TB, in *Input) {
		st := at(tb, resNode(tb, in, "ReadinessFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, node(tb, `{Effect: Allow, Action: rds:ModifyDBCluster, Resource: !Sub "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster:${AppName}-${AWS::Region}"}`))
	}},
	{name: "readiness role may move the front door", check: "readiness", want: "allows cloudfront-keyvaluestore:PutKey", sets: []string{"primary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		st := at(tb, resNode(tb, in, "ReadinessFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, node(tb, `{Effect: Allow, Action: cloudfront-keyvaluestore:PutKey, Resource: !GetAtt FrontDoorKvs.Arn}`))
	}},
	{name: "readiness role puts metrics in any namespace", check: "readiness", want: "allows cloudwatch:PutMetricData without the condition StringEquals cloudwatch:namespace ToDoMgmt/Readiness", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReadinessFunction", "Properties", "Policies", "0", "Statement", "4", "Condition")
	}},
	{name: "readiness role describes every cluster", check: "readiness", want: "allows rds:DescribeDBClusters on every resource", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Policies", "0", "Statement", "1", "Resource"}, `"*"`)
	}},
	{name: "readiness role with a VPC policy", check: "readiness", want: "AWSLambdaVPCAccessExecutionRole", mutate: func(tb testing.TB, in *Input) {
		pols := at(tb, resNode(tb, in, "ReadinessFunction"), "Properties", "Policies")
		pols.Content = append(pols.Content, scalar(0, "AWSLambdaVPCAccessExecutionRole"))
	}},
	{name: "no readiness alarm for the unplanned failover", check: "readiness", want: "want one readiness alarm for the unplanned plan, got 0", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessUnplannedAlarm", []string{"Properties", "Dimensions", "1", "Value"}, "Unplanned")
	}},
	{name: "readiness alarm silent when the function stops", check: "readiness", want: `TreatMissingData "notBreaching", want breaching`, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessPlannedAlarm", []string{"Properties", "TreatMissingData"}, "notBreaching")
	}},
	{name: "readiness alarm on another period than the schedule's", check: "readiness", want: `Period "60"`, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessPlannedAlarm", []string{"Properties", "Period"}, "60")
	}},
	{name: "readiness alarm on the average", check: "readiness", want: `Statistic "Average", want Minimum`, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessUnplannedAlarm", []string{"Properties", "Statistic"}, "Average")
	}},
	{name: "readiness alarm on another app's metric", check: "readiness", want: "dimension AppName must be !Ref AppName", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessPlannedAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt")
	}},
	{name: "readiness checks other backups than the clusters keep", check: "readiness", want: `TODOMGMT_BACKUP_RETENTION_DAYS "14", but DbCluster keeps backups "7" days`, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_BACKUP_RETENTION_DAYS"}, `"14"`)
	}},
	{name: "readiness peer region hard-coded", check: "readiness", want: "TODOMGMT_PEER_REGION is", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_PEER_REGION"}, "us-west-2")
	}},
	{name: "readiness reads another store than the front door's", check: "readiness", want: "TODOMGMT_KVS_ARN must be !GetAtt FrontDoorKvs.Arn", sets: []string{"primary-cloudfront"}, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_KVS_ARN"}, "!Ref FrontDoorKeyValueStoreArn")
	}},
	{name: "readiness variable it does not read", check: "readiness", want: "TODOMGMT_DB_HOST is not one the readiness function reads", mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOST"}, "!GetAtt DbProxy.Endpoint")
	}},
	{name: "readiness without its global cluster", check: "readiness", want: "TODOMGMT_GLOBAL_CLUSTER missing", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReadinessFunction", "Properties", "Environment", "Variables", "TODOMGMT_GLOBAL_CLUSTER")
	}},
	{name: "readiness timeout shorter than its probes", check: "readiness", want: `Timeout "10"`, mutate: func(tb testing.TB, in *Input) {
		setAt(tb, in, "ReadinessFunction", []string{"Properties", "Timeout"}, "10")
	}},

	// The readiness parts of other checks: its alarms notify the topic and
	// show on the dashboard, its log group exists first, its output and
	// the secondary-only parameter's rule.
	{name: "readiness alarm that does not notify on OK", check: "alarms", want: "Resources.ReadinessUnplannedAlarm: OKActions must be [!Ref AlarmTopic]", mutate: func(tb testing.TB, in *Input) {
		delAt(tb, in, "ReadinessUnplannedAlarm", "Properties", "OKActions")
	}},
	{name: "readiness alarms off the dashboard", check: "dashboard", want: "the alarm widget lacks ReadinessPlannedAlarm", mutate: func(tb testing.TB, in *Input) {
		editDashboard(tb, in, "${LagAlarms}${ReadinessAlarms}", "${LagAlarms}")
	}},
	{name: "dashboard without the readiness graph", check: "dashboard", want: "no widget graphs the unplanned plan's readiness", mutate: func(tb testing.TB, in *Input) {
		v := at(tb, resNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "1", "PeerWidgets", "Fn::If", "1", "Fn::Sub", "0")
		if !strings.Contains(v.Value, `"Plan", "unplanned"`) {
			tb.Fatalf("no readiness graph to remove")
		}
		v.Value = strings.ReplaceAll(v.Value, `"Plan", "unplanned"`, `"Plan", "failback"`)
	}},
}
