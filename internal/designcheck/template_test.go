package designcheck

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

const (
	templatePath  = "../../template.yaml"
	samconfigPath = "../../samconfig.toml"
	routerPath    = "../../frontdoor/router.js"
	envJSONPath   = "../../env.json"
)

// repoFiles are the repository's template.yaml (parsed), samconfig.toml,
// env.json and frontdoor/router.js.
type repoFiles struct {
	template                   *Template
	samconfig, envJSON, router []byte
}

// readRepo reads and parses the files once for all tests.
var readRepo = sync.OnceValues(func() (*repoFiles, error) {
	var errs []error
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		errs = append(errs, err)
		return b
	}
	tpl := read(templatePath)
	f := &repoFiles{samconfig: read(samconfigPath), envJSON: read(envJSONPath), router: read(routerPath)}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var err error
	f.template, err = Parse(tpl)
	return f, err
})

// loadInput returns the repository's files as an Input of the test's own,
// which it may break.
func loadInput(tb testing.TB) *Input {
	tb.Helper()
	files, err := readRepo()
	if err != nil {
		tb.Fatal(err)
	}
	sc, err := samconfig.Parse(files.samconfig)
	if err != nil {
		tb.Fatal(err)
	}
	var env map[string]map[string]string
	if err := json.Unmarshal(files.envJSON, &env); err != nil {
		tb.Fatalf("parse env.json: %v", err)
	}
	var handlers []string
	for _, f := range lambdabuild.Functions {
		handlers = append(handlers, strings.TrimPrefix(f.Package, "./"))
	}
	return &Input{Template: files.template.Clone(), SamConfig: sc, RouterJS: string(files.router), Handlers: handlers, EnvJSON: env}
}

func TestTemplatePassesEveryCheck(t *testing.T) {
	in := loadInput(t)
	for _, c := range Checks {
		t.Run(c.Name, func(t *testing.T) {
			for _, f := range RunCheck(c, in) {
				t.Errorf("%s", f)
			}
		})
	}
}

func TestFunctionCodeIsRouterJS(t *testing.T) {
	in := loadInput(t)
	fn := in.Template.Resource("FrontDoorFunction")
	if fn == nil {
		t.Fatal("no FrontDoorFunction")
	}
	code, _ := str(get(fn.Prop("FunctionCode"), "Fn::Sub"))
	if code != in.RouterJS {
		t.Errorf("FunctionCode differs from frontdoor/router.js: %s", firstDifference(code, in.RouterJS))
	}
	vars, err := SubVariables(code)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(vars)
	if want := []string{"AWS::Region", "FrontDoorKvs.Id", "PeerRegion"}; !slices.Equal(vars, want) {
		t.Errorf("Fn::Sub variables of router.js: got %v, want %v (router.test.mjs substitutes exactly these)", vars, want)
	}
}

func TestScenariosCoverEveryDeployment(t *testing.T) {
	in := loadInput(t)
	ds := in.Deployments()
	if len(in.deployErrs) > 0 {
		t.Fatalf("deployments: %v", in.deployErrs)
	}
	got := map[string]bool{}
	for _, d := range ds {
		got[d.Scenario.Name] = true
	}
	for _, role := range []string{"primary", "secondary"} {
		for _, pass := range []string{FirstPass, SecondPass, Route53FirstPass, Route53} {
			if name := role + " (" + pass + ")"; !got[name] {
				t.Errorf("no deployment %q", name)
			}
		}
	}
	for _, tt := range []struct {
		scenario, resource string
		want               bool
	}{
		{"primary (first pass)", "GlobalCluster", true},
		{"secondary (first pass)", "GlobalCluster", false},
		{"secondary (first pass)", "MasterSecretCopy", true},
		{"primary (first pass)", "FrontDoorDistribution", false},
		{"primary (second pass)", "FrontDoorDistribution", true},
		{"secondary (second pass)", "FrontDoorDistribution", false},
		{"primary (route53)", "FrontDoorDistribution", false},
		{"primary (route53)", "PrimaryHealthCheck", true},
		{"primary (route53 first pass)", "PrimaryHealthCheck", false},
		{"primary (route53 first pass)", "FailoverRecord", true},
		{"secondary (route53 first pass)", "RoutingAlarm", true},
		{"secondary (route53)", "RoutingAlarm", true},
		{"secondary (first pass)", "Migration", true},
		{"secondary (route53)", "Migration", true},
		{"default (first pass)", "GlobalCluster", true},
		{"default (first pass)", "MasterSecretCopy", false},
		{"primary (first pass)", "Migration", true},
	} {
		for _, d := range ds {
			if d.Scenario.Name == tt.scenario {
				if got := d.Resource(tt.resource) != nil; got != tt.want {
					t.Errorf("%s: %s exists = %v, want %v", tt.scenario, tt.resource, got, tt.want)
				}
			}
		}
	}
}

func TestParseShortForms(t *testing.T) {
	for _, tt := range []struct {
		name, yaml, want string
	}{
		{"Ref", "v: !Ref Vpc", `{"Ref":"Vpc"}`},
		{"GetAtt dotted", "v: !GetAtt Db.Endpoint.Address", `{"Fn::GetAtt":["Db","Endpoint.Address"]}`},
		{"GetAtt list", "v: !GetAtt [Db, Arn]", `{"Fn::GetAtt":["Db","Arn"]}`},
		{"Sub string", "v: !Sub 'a-${AWS::Region}'", `{"Fn::Sub":"a-${AWS::Region}"}`},
		{"Sub list", "v: !Sub ['${A}', {A: !Ref B}]", `{"Fn::Sub":["${A}",{"A":{"Ref":"B"}}]}`},
		{"nested If", "v: !If [C, !Ref A, !Ref AWS::NoValue]", `{"Fn::If":["C",{"Ref":"A"},{"Ref":"AWS::NoValue"}]}`},
		{"Condition", "v: !And [!Condition A, !Not [!Equals [!Ref P, '']]]", `{"Fn::And":[{"Condition":"A"},{"Fn::Not":[{"Fn::Equals":[{"Ref":"P"},""]}]}]}`},
		{"Select Split", `v: !Select [6, !Split [":", !GetAtt P.DBProxyArn]]`, `{"Fn::Select":["6",{"Fn::Split":[":",{"Fn::GetAtt":["P","DBProxyArn"]}]}]}`},
		{"GetAZs Cidr", "v: [!GetAZs '', !Cidr [!Ref C, 4, 8]]", `[{"Fn::GetAZs":""},{"Fn::Cidr":[{"Ref":"C"},"4","8"]}]`},
		{"Join FindInMap", "v: !Join ['', [!FindInMap [M, K, V], !ImportValue X, !Base64 y]]", `{"Fn::Join":["",[{"Fn::FindInMap":["M","K","V"]},{"Fn::ImportValue":"X"},{"Fn::Base64":"y"}]]}`},
		{"plain", "v: {a: [1, x]}", `{"a":["1","x"]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if got := toJSON(get(tpl.Root, "v")); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, tt := range []struct{ name, yaml string }{
		{"unknown tag", "v: !Reff X"},
		{"GetAtt without attribute", "v: !GetAtt X"},
		{"alias", "a: &x 1\nb: *x"},
		{"not a mapping", "- 1"},
		{"bad YAML", "a: [1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.yaml)); err == nil {
				t.Errorf("Parse(%q) succeeded, want an error", tt.yaml)
			}
		})
	}
}

// toJSON renders a node as compact JSON (scalars as strings).
func toJSON(n *yaml.Node) string {
	var conv func(*yaml.Node) any
	conv = func(n *yaml.Node) any {
		switch n.Kind {
		case yaml.MappingNode:
			m := map[string]any{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				m[n.Content[i].Value] = conv(n.Content[i+1])
			}
			return m
		case yaml.SequenceNode:
			l := []any{}
			for _, c := range n.Content {
				l = append(l, conv(c))
			}
			return l
		}
		return n.Value
	}
	b, _ := json.Marshal(conv(n))
	return string(b)
}

func TestSubVariables(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"plain", nil, false},
		{"${A}-${B.Arn}-${AWS::Region}", []string{"A", "B.Arn", "AWS::Region"}, false},
		{"${!Literal} and ${X}", []string{"X"}, false},
		{"{{resolve:secretsmanager:${S}:SecretString:password}}", []string{"S"}, false},
		{"dangling ${A", nil, true},
		{"${ A}", nil, true},
	} {
		got, err := SubVariables(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("SubVariables(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && !slices.Equal(got, tt.want) {
			t.Errorf("SubVariables(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

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

// resNode returns a resource's mapping node.
func resNode(tb testing.TB, in *Input, name string) *yaml.Node {
	tb.Helper()
	return at(tb, in.Template.Section("Resources"), name)
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

func addResource(tb testing.TB, in *Input, name, value string) {
	tb.Helper()
	set(in.Template.Section("Resources"), name, node(tb, value))
}

func delResource(tb testing.TB, in *Input, name string) {
	tb.Helper()
	if !del(in.Template.Section("Resources"), name) {
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

// TestEachCheckCatchesItsMutation breaks a copy of the template (or of
// samconfig.toml, env.json, router.js) in one way and requires the named
// check to report it with a message containing want. Together with
// TestTemplatePassesEveryCheck this shows every check can fail.
func TestEachCheckCatchesItsMutation(t *testing.T) {
	tests := []struct {
		name   string
		check  string
		want   string
		mutate func(tb testing.TB, in *Input)
	}{
		// scenarios
		{"override outside AllowedPattern", "scenarios", "AllowedPattern", func(tb testing.TB, in *Input) {
			setOverride(tb, in, "primary", "VpcCidr", "8.8.0.0/16", false)
		}},
		{"override outside AllowedValues", "scenarios", "not one of", func(tb testing.TB, in *Input) {
			setOverride(tb, in, "secondary", "DeletionProtection", "maybe", false)
		}},
		{"condition on an unknown parameter", "scenarios", "not a parameter", func(tb testing.TB, in *Input) {
			set(in.Template.Section("Conditions"), "IsPrimary", node(tb, "!Equals [!Ref Rolee, primary]"))
		}},

		// refs
		{"GetAtt of a missing resource", "refs", "no such resource", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOST"}, "!GetAtt DbProxyy.Endpoint")
		}},
		{"Ref of a missing parameter", "refs", "no such parameter", func(tb testing.TB, in *Input) {
			setAt(tb, in, "Vpc", []string{"Properties", "CidrBlock"}, "!Ref VpcCidrr")
		}},
		{"GetAtt of an unknown attribute", "refs", "has no attribute Endpoints", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOST"}, "!GetAtt DbProxy.Endpoints")
		}},
		{"Sub variable naming nothing", "refs", "Sub Apii", func(tb testing.TB, in *Input) {
			set(at(tb, in.Template.Section("Outputs"), "ApiUrl"), "Value", node(tb, `!Sub "https://${Apii}.execute-api.${AWS::Region}.${AWS::URLSuffix}/prod"`))
		}},
		{"Sub attribute naming nothing", "refs", "has no attribute Nope", func(tb testing.TB, in *Input) {
			set(at(tb, in.Template.Section("Outputs"), "ApiDomain"), "Value", node(tb, `!Sub "${UserPool.Nope}"`))
		}},
		{"DependsOn a missing resource", "refs", "DependsOn Nope", func(tb testing.TB, in *Input) {
			deps := at(tb, resNode(tb, in, "Migration"), "DependsOn")
			deps.Content = append(deps.Content, scalar(0, "Nope"))
		}},
		{"resource Condition that does not exist", "refs", "Condition IsTertiary", func(tb testing.TB, in *Input) {
			setAt(tb, in, "AppSecretCopy", []string{"Condition"}, "IsTertiary")
		}},
		{"Fn::If on an unknown condition", "refs", "Condition HasNothing", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbCluster", []string{"Properties", "DatabaseName"}, "!If [HasNothing, x, !Ref AWS::NoValue]")
		}},
		{"FindInMap of a missing key", "refs", "Constants/Database/Nmae", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_NAME"}, "!FindInMap [Constants, Database, Nmae]")
		}},
		{"condition referencing a resource", "refs", "parameters only", func(tb testing.TB, in *Input) {
			set(in.Template.Section("Conditions"), "HasPeer", node(tb, `!Not [!Equals [!Ref Vpc, ""]]`))
		}},
		{"SAM Version reference without AutoPublishAlias", "refs", "needs AutoPublishAlias", func(tb testing.TB, in *Input) {
			delAt(tb, in, "MigrateFunction", "Properties", "AutoPublishAlias")
		}},

		// refs-active
		{"unconditional Ref to a primary-only secret", "refs-active", "Ref MasterSecret", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbProxy", []string{"Properties", "Auth", "0", "SecretArn"}, "!Ref MasterSecret")
		}},
		{"output referencing a conditional resource", "refs-active", "GetAtt FrontDoorKvs.Arn", func(tb testing.TB, in *Input) {
			del(at(tb, in.Template.Section("Outputs"), "KeyValueStoreArn"), "Condition")
		}},

		// types
		{"resource type not allowed", "types", `"AWS::EC2::Instance" is not an allowed`, func(tb testing.TB, in *Input) {
			addResource(tb, in, "Bastion", "{Type: AWS::EC2::Instance, Properties: {ImageId: ami-123}}")
		}},
		{"required property missing", "types", "requires property EngineFamily", func(tb testing.TB, in *Input) {
			delAt(tb, in, "DbProxy", "Properties", "EngineFamily")
		}},
		{"log group without retention", "types", "requires property RetentionInDays", func(tb testing.TB, in *Input) {
			delAt(tb, in, "ApiAccessLogGroup", "Properties", "RetentionInDays")
		}},
		{"misspelt optional property (CloudFormation)", "types", "has no property PreferedBackupWindow (did you mean PreferredBackupWindow?)", func(tb testing.TB, in *Input) {
			renameKey(tb, at(tb, resNode(tb, in, "DbCluster"), "Properties"), "PreferredBackupWindow", "PreferedBackupWindow")
		}},
		{"misspelt optional property (letter case)", "types", "has no property IdleClientTimeOut (did you mean IdleClientTimeout?)", func(tb testing.TB, in *Input) {
			renameKey(tb, at(tb, resNode(tb, in, "DbProxy"), "Properties"), "IdleClientTimeout", "IdleClientTimeOut")
		}},
		{"misspelt SAM property", "types", "has no property AutoPublishAlais", func(tb testing.TB, in *Input) {
			renameKey(tb, at(tb, resNode(tb, in, "MigrateFunction"), "Properties"), "AutoPublishAlias", "AutoPublishAlais")
		}},
		{"misspelt custom resource property", "types", "has no property ServiceTimout", func(tb testing.TB, in *Input) {
			renameKey(tb, at(tb, resNode(tb, in, "Migration"), "Properties"), "FunctionVersion", "ServiceTimout")
		}},
		{"misspelt resource attribute", "types", "DeletionPolice is not a resource attribute", func(tb testing.TB, in *Input) {
			renameKey(tb, resNode(tb, in, "DbCluster"), "DeletionPolicy", "DeletionPolice")
		}},

		// cycles
		{"subnet group waits for the instance", "cycles", "dependency cycle", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbSubnetGroup", []string{"DependsOn"}, "DbInstance")
		}},
		{"API function names its own API (SAM writes the function into the API)", "cycles", "Api -> ApiFunction -> Api", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_REGION"}, "!Ref Api")
		}},
		{"cycle only in the secondary", "cycles", "secondary (first pass): dependency cycle", func(tb testing.TB, in *Input) {
			setAt(tb, in, "MasterSecretCopy", []string{"Properties", "Description"}, "!Ref DbProxy")
		}},

		// rules
		{"no rule for the peer API's region", "rules", "CloudFront front door without PeerRegion", func(tb testing.TB, in *Input) {
			del(in.Template.Section("Rules"), "PeerApiDomainHasPeerRegion")
		}},
		{"no capacity rule", "rules", "DbMinCapacity above DbMaxCapacity", func(tb testing.TB, in *Input) {
			del(in.Template.Section("Rules"), "DbCapacityRangeIsOrdered")
		}},
		{"capacity assertion off by one step", "rules", "DbMinCapacity above DbMaxCapacity", func(tb testing.TB, in *Input) {
			a := at(tb, in.Template.Section("Rules"), "DbCapacityRangeIsOrdered", "Assertions", "2")
			set(a, "Assert", node(tb, `!Or [!Not [!Equals [!Ref DbMinCapacity, "8"]], !Contains [["2", "4", "8", "16", "32", "64", "128", "256"], !Ref DbMaxCapacity]]`))
		}},
		{"capacity rule too strict", "rules", "widest capacity range", func(tb testing.TB, in *Input) {
			a := at(tb, in.Template.Section("Rules"), "DbCapacityRangeIsOrdered", "Assertions")
			a.Content = append(a.Content, node(tb, `{Assert: !Not [!Equals [!Ref DbMaxCapacity, "256"]], AssertDescription: at most 128}`))
		}},

		// parameters
		{"contract default changed", "parameters", `PeerApiDomain: default must be ""`, func(tb testing.TB, in *Input) {
			set(at(tb, in.Template.Section("Parameters"), "PeerApiDomain"), "Default", scalar(0, "none"))
		}},
		{"contract parameter missing", "parameters", "AlarmEmail: missing", func(tb testing.TB, in *Input) {
			del(in.Template.Section("Parameters"), "AlarmEmail")
		}},
		{"Role allowed values changed", "parameters", "AllowedValues", func(tb testing.TB, in *Input) {
			set(at(tb, in.Template.Section("Parameters"), "Role"), "AllowedValues", node(tb, "[primary, secondary, tertiary]"))
		}},
		{"extra parameter without default", "parameters", "mage would not set it", func(tb testing.TB, in *Input) {
			set(in.Template.Section("Parameters"), "ExtraKnob", node(tb, "{Type: String}"))
		}},

		// outputs
		{"output removed", "outputs", "ClusterArn: missing", func(tb testing.TB, in *Input) {
			del(in.Template.Section("Outputs"), "ClusterArn")
		}},
		{"export renamed", "outputs", "Export.Name", func(tb testing.TB, in *Input) {
			set(at(tb, in.Template.Section("Outputs"), "ApiUrl", "Export"), "Name", node(tb, `!Sub "${AWS::StackName}-Url"`))
		}},
		{"front-door output in every stack", "outputs", "DistributionId present=true, want false", func(tb testing.TB, in *Input) {
			o := at(tb, in.Template.Section("Outputs"), "DistributionId")
			set(o, "Condition", node(tb, "IsPrimary"))
		}},
		{"front-door mode wrong", "outputs", "FrontDoorMode", func(tb testing.TB, in *Input) {
			set(at(tb, in.Template.Section("Outputs"), "FrontDoorMode"), "Value", node(tb, "!If [Route53Mode, route53, cloudfront]"))
		}},

		// api
		{"route without scopes", "api", "PUT /v1/todos/{id} scopes []", func(tb testing.TB, in *Input) {
			delAt(tb, in, "ApiFunction", "Properties", "Events", "PutTodo", "Properties", "Auth")
		}},
		{"mutating route with the read scope", "api", "DELETE /v1/todos/{id} scopes [api/read]", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Events", "DeleteTodo", "Properties", "Auth", "AuthorizationScopes"}, "[api/read]")
		}},
		{"route without the authorizer", "api", "must use the Cognito authorizer", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Events", "SamplePost", "Properties", "Auth", "Authorizer"}, "NONE")
		}},
		{"health behind the authorizer", "api", "must be public", func(tb testing.TB, in *Input) {
			delAt(tb, in, "ApiFunction", "Properties", "Events", "Health", "Properties", "Auth")
		}},
		{"route missing", "api", "GET /v1: defined 0 times", func(tb testing.TB, in *Input) {
			delAt(tb, in, "ApiFunction", "Properties", "Events", "SampleGet")
		}},
		{"extra route", "api", "PATCH /v1/todos/{id} is not a route", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Events", "PatchTodo"},
				"{Type: Api, Properties: {RestApiId: !Ref Api, Path: '/v1/todos/{id}', Method: PATCH, Auth: {AuthorizationScopes: [api/upsert-delete]}}}")
		}},
		{"implicit API", "api", "RestApiId must be", func(tb testing.TB, in *Input) {
			delAt(tb, in, "ApiFunction", "Properties", "Events", "ListTodos", "Properties", "RestApiId")
		}},
		{"peer pool not trusted", "api", "peer=false, want own=true peer=true", func(tb testing.TB, in *Input) {
			setAt(tb, in, "Api", []string{"Properties", "Auth", "Authorizers", "CognitoAuthorizer", "UserPoolArn"}, "[!GetAtt UserPool.Arn]")
		}},
		{"no default authorizer", "api", "DefaultAuthorizer", func(tb testing.TB, in *Input) {
			delAt(tb, in, "Api", "Properties", "Auth", "DefaultAuthorizer")
		}},
		{"no tracing", "api", "TracingEnabled", func(tb testing.TB, in *Input) {
			setAt(tb, in, "Api", []string{"Properties", "TracingEnabled"}, "false")
		}},
		{"no throttling", "api", "MethodSettings", func(tb testing.TB, in *Input) {
			delAt(tb, in, "Api", "Properties", "MethodSettings")
		}},
		{"edge endpoint", "api", "REGIONAL", func(tb testing.TB, in *Input) {
			setAt(tb, in, "Api", []string{"Properties", "EndpointConfiguration"}, "{Type: EDGE}")
		}},

		// proxy
		{"TLS not required", "proxy", "RequireTLS must be true", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbProxy", []string{"Properties", "RequireTLS"}, "false")
		}},
		{"IAM auth disabled", "proxy", "IAMAuth \"DISABLED\"", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbProxy", []string{"Properties", "Auth", "1", "IAMAuth"}, "DISABLED")
		}},
		{"borrow timeout above 29 s", "proxy", "ConnectionBorrowTimeout \"120\"", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbProxyTargetGroup", []string{"Properties", "ConnectionPoolConfigurationInfo", "ConnectionBorrowTimeout"}, "120")
		}},
		{"no read-only endpoint", "proxy", "READ_ONLY", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbProxyReadOnlyEndpoint", []string{"Properties", "TargetRole"}, "READ_WRITE")
		}},
		{"proxy role reads every secret", "proxy", "exactly the proxy's Auth secrets", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ProxyRole", []string{"Properties", "Policies", "0", "PolicyDocument", "Statement", "0", "Resource"}, `"*"`)
		}},

		// iam
		{"star on star in a function policy", "iam", "wildcard action on a wildcard resource", func(tb testing.TB, in *Input) {
			st := at(tb, resNode(tb, in, "ApiFunction"), "Properties", "Policies", "0", "Statement")
			st.Content = append(st.Content, node(tb, `{Effect: Allow, Action: "*", Resource: "*"}`))
		}},
		{"star list in a role", "iam", "wildcard action on a wildcard resource", func(tb testing.TB, in *Input) {
			st := at(tb, resNode(tb, in, "ProxyRole"), "Properties", "Policies", "0", "PolicyDocument", "Statement")
			st.Content = append(st.Content, node(tb, `{Effect: Allow, Action: ["*"], Resource: ["*"]}`))
		}},
		{"NotAction on star", "iam", "wildcard action on a wildcard resource", func(tb testing.TB, in *Input) {
			st := at(tb, resNode(tb, in, "MigrateFunction"), "Properties", "Policies", "0", "Statement")
			st.Content = append(st.Content, node(tb, `{Effect: Allow, NotAction: "iam:*", Resource: "*"}`))
		}},
		{"administrator managed policy", "iam", "too broad", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ProxyRole", []string{"Properties", "ManagedPolicyArns"}, `[!Sub "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"]`)
		}},

		{"condition that is a bare Condition reference", "refs", "must be Fn::And, Fn::Or, Fn::Not or Fn::Equals", func(tb testing.TB, in *Input) {
			set(in.Template.Section("Conditions"), "HasDomainName", node(tb, "!Condition Route53Mode"))
		}},

		// functions
		{"wrong runtime", "functions", "provided.al2023", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Runtime"}, "provided.al2")
		}},
		{"x86", "functions", "Architectures must be [arm64]", func(tb testing.TB, in *Input) {
			setAt(tb, in, "MigrateFunction", []string{"Properties", "Architectures"}, "[x86_64]")
		}},
		{"outside the VPC", "functions", "VpcConfig", func(tb testing.TB, in *Input) {
			delAt(tb, in, "ApiFunction", "Properties", "VpcConfig")
		}},
		{"CodeUri at the module root (no main package there)", "functions", "CodeUri \".\" is not one of the module's Lambda packages", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "CodeUri"}, ".")
		}},
		{"CodeUri that is no package", "functions", "not one of the module's Lambda packages", func(tb testing.TB, in *Input) {
			setAt(tb, in, "MigrateFunction", []string{"Properties", "CodeUri"}, "handlers/worker")
		}},
		{"Handler is a package path (binary not named bootstrap)", "functions", "want bootstrap", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Handler"}, "handlers/api")
		}},
		{"API timeout not above the request deadline", "functions", "must exceed TODOMGMT_REQUEST_TIMEOUT", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Timeout"}, "8")
		}},
		{"API timeout at API Gateway's limit", "functions", "API Gateway's 29 s", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Timeout"}, "29")
		}},
		{"no go build method", "functions", "BuildMethod", func(tb testing.TB, in *Input) {
			delAt(tb, in, "MigrateFunction", "Metadata", "BuildMethod")
		}},
		{"env variable not in the contract", "functions", "TODOMGMT_DB_HOSTS is not in CONTRACTS.md", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOSTS"}, "x")
		}},
		{"required env variable missing", "functions", "TODOMGMT_DB_READER_HOST missing", func(tb testing.TB, in *Input) {
			delAt(tb, in, "ApiFunction", "Properties", "Environment", "Variables", "TODOMGMT_DB_READER_HOST")
		}},
		{"migrate function without the reader", "functions", "TODOMGMT_DB_READER_HOST missing for handlers/migrate", func(tb testing.TB, in *Input) {
			delAt(tb, in, "MigrateFunction", "Properties", "Environment", "Variables", "TODOMGMT_DB_READER_HOST")
		}},
		{"reader host is the writer endpoint", "functions", "TODOMGMT_DB_READER_HOST must be !GetAtt <READ_ONLY proxy endpoint>.Endpoint", func(tb testing.TB, in *Input) {
			setAt(tb, in, "MigrateFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_READER_HOST"}, "!GetAtt DbProxy.Endpoint")
		}},
		{"writer host is the read-only endpoint", "functions", "TODOMGMT_DB_HOST must be !GetAtt <proxy>.Endpoint", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOST"}, "!GetAtt DbProxyReadOnlyEndpoint.Endpoint")
		}},
		{"password DSN in AWS", "functions", "TODOMGMT_DB_DSN", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_DSN"}, "root:pw@tcp(x)/y")
		}},
		{"API connects as the master user", "functions", "must be the function's TODOMGMT_DB_USER", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Policies", "0", "Statement", "0", "Resource", "Fn::Sub", "1", "User"}, "!FindInMap [Constants, Database, MasterUser]")
		}},
		{"rds-db:connect on any user", "functions", "rds-db:connect Resource must be", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Policies", "0", "Statement", "0", "Resource"}, `!Sub "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:*/*"`)
		}},
		{"proxy id taken from the wrong field", "functions", "prx-", func(tb testing.TB, in *Input) {
			setAt(tb, in, "MigrateFunction", []string{"Properties", "Policies", "0", "Statement", "0", "Resource", "Fn::Sub", "1", "ProxyId"}, `!Select [5, !Split [":", !GetAtt DbProxy.DBProxyArn]]`)
		}},
		{"API reads a secret", "functions", "may read only the secret named by its TODOMGMT_APP_SECRET_ARN", func(tb testing.TB, in *Input) {
			st := at(tb, resNode(tb, in, "ApiFunction"), "Properties", "Policies", "0", "Statement")
			st.Content = append(st.Content, node(tb, `{Effect: Allow, Action: secretsmanager:GetSecretValue, Resource: !If [IsPrimary, !Ref MasterSecret, !Ref MasterSecretCopy]}`))
		}},
		{"log group not created first", "functions", "must DependsOn a log group", func(tb testing.TB, in *Input) {
			delAt(tb, in, "ApiFunction", "DependsOn")
		}},
		{"API timeout above API Gateway's", "functions", "Timeout \"30\"", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Timeout"}, "30")
		}},

		// network
		{"NAT gateway", "network", "AWS::EC2::NatGateway connects the VPC", func(tb testing.TB, in *Input) {
			addResource(tb, in, "Nat", "{Type: AWS::EC2::NatGateway, Properties: {SubnetId: !Ref PrivateSubnetA}}")
		}},
		{"internet gateway", "network", "AWS::EC2::InternetGateway", func(tb testing.TB, in *Input) {
			addResource(tb, in, "Igw", "{Type: AWS::EC2::InternetGateway}")
		}},
		{"elastic IP", "network", "AWS::EC2::EIP", func(tb testing.TB, in *Input) {
			addResource(tb, in, "Ip", "{Type: AWS::EC2::EIP, Properties: {Domain: vpc}}")
		}},
		{"default route", "network", "routes beyond the VPC", func(tb testing.TB, in *Input) {
			addResource(tb, in, "DefaultRoute", "{Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref PrivateRouteTable, DestinationCidrBlock: 0.0.0.0/0}}")
		}},
		{"two subnets in one AZ", "network", "same availability zone", func(tb testing.TB, in *Input) {
			setAt(tb, in, "PrivateSubnetB", []string{"Properties", "AvailabilityZone"}, `!Select [0, !GetAZs ""]`)
		}},
		{"public subnet", "network", "MapPublicIpOnLaunch", func(tb testing.TB, in *Input) {
			setAt(tb, in, "PrivateSubnetA", []string{"Properties", "MapPublicIpOnLaunch"}, "true")
		}},
		{"no S3 gateway endpoint", "network", "S3 gateway endpoint", func(tb testing.TB, in *Input) {
			delResource(tb, in, "S3Endpoint")
		}},
		{"cluster open to a function", "network", "the cluster accepts only tcp 3306 from the proxy", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ClusterIngressFromProxy", []string{"Properties", "SourceSecurityGroupId"}, "!Ref ApiFunctionSecurityGroup")
		}},
		{"proxy open to the world", "network", "ingress must come from a security group", func(tb testing.TB, in *Input) {
			delAt(tb, in, "ProxyIngressFromApiFunction", "Properties", "SourceSecurityGroupId")
			setAt(tb, in, "ProxyIngressFromApiFunction", []string{"Properties", "CidrIp"}, "0.0.0.0/0")
		}},
		{"proxy on another port", "network", "the proxy accepts only tcp 3306", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ProxyIngressFromMigrateFunction", []string{"Properties", "FromPort"}, "0")
			setAt(tb, in, "ProxyIngressFromMigrateFunction", []string{"Properties", "ToPort"}, "65535")
		}},
		{"API function egress to the internet", "network", "the API function may only reach the proxy", func(tb testing.TB, in *Input) {
			eg := at(tb, resNode(tb, in, "ApiFunctionSecurityGroup"), "Properties", "SecurityGroupEgress")
			eg.Content = append(eg.Content, node(tb, "{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}"))
		}},
		{"default egress kept", "network", "default allow-all egress", func(tb testing.TB, in *Input) {
			delAt(tb, in, "ClusterSecurityGroup", "Properties", "SecurityGroupEgress")
		}},
		{"shared security group", "network", "must not be shared", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbCluster", []string{"Properties", "VpcSecurityGroupIds"}, "[!Ref ProxySecurityGroup]")
		}},

		// encryption
		{"cluster not encrypted", "encryption", "StorageEncrypted must be true", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbCluster", []string{"Properties", "StorageEncrypted"}, "false")
		}},
		{"cluster with the default key", "encryption", "KmsKeyId", func(tb testing.TB, in *Input) {
			delAt(tb, in, "DbCluster", "Properties", "KmsKeyId")
		}},
		{"global cluster not encrypted", "encryption", "StorageEncrypted", func(tb testing.TB, in *Input) {
			delAt(tb, in, "GlobalCluster", "Properties", "StorageEncrypted")
		}},
		{"secret with the default key", "encryption", "Resources.MasterSecret", func(tb testing.TB, in *Input) {
			delAt(tb, in, "MasterSecret", "Properties", "KmsKeyId")
		}},
		{"key without rotation", "encryption", "EnableKeyRotation", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbKey", []string{"Properties", "EnableKeyRotation"}, "false")
		}},
		{"key usable by anyone", "encryption", "root principal", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "1", "Principal"}, `{AWS: "*"}`)
		}},
		{"key deleted with the stack", "encryption", "Retain", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbKey", []string{"DeletionPolicy"}, "Delete")
		}},

		// keypolicy
		{"account root may use the key directly (kms:*)", "keypolicy", "allows kms:* (matches kms:Encrypt) without kms:ViaService", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "0", "Action"}, "kms:*")
		}},
		{"administrators may create grants", "keypolicy", "allows kms:CreateGrant", func(tb testing.TB, in *Input) {
			a := at(tb, resNode(tb, in, "DbKey"), "Properties", "KeyPolicy", "Statement", "0", "Action")
			a.Content = append(a.Content, scalar(0, "kms:CreateGrant"))
		}},
		{"ViaService condition dropped", "keypolicy", "allows kms:Encrypt (matches kms:Encrypt) without kms:ViaService", func(tb testing.TB, in *Input) {
			delAt(tb, in, "DbKey", "Properties", "KeyPolicy", "Statement", "1", "Condition")
		}},
		{"key usable through another service", "keypolicy", `kms:ViaService "s3.${AWS::Region}.amazonaws.com" is not one of`, func(tb testing.TB, in *Input) {
			v := at(tb, resNode(tb, in, "DbKey"), "Properties", "KeyPolicy", "Statement", "1", "Condition", "StringEquals", "kms:ViaService")
			v.Content = append(v.Content, node(tb, `!Sub "s3.${AWS::Region}.amazonaws.com"`))
		}},
		{"ViaService matched by pattern", "keypolicy", "want StringEquals", func(tb testing.TB, in *Input) {
			renameKey(tb, at(tb, resNode(tb, in, "DbKey"), "Properties", "KeyPolicy", "Statement", "1", "Condition"), "StringEquals", "StringLike")
		}},
		{"account locked out of the key policy", "keypolicy", "lets the account kms:PutKeyPolicy", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "0", "Action"}, "[kms:DescribeKey, kms:GetKeyPolicy, kms:EnableKey, kms:DisableKey, kms:ScheduleKeyDeletion, kms:CancelKeyDeletion, kms:TagResource, kms:UntagResource]")
		}},
		{"RDS cannot create its grant", "keypolicy", "allows kms:CreateGrant: RDS and Secrets Manager need it", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "1", "Action"}, "[kms:Encrypt, kms:Decrypt, kms:GenerateDataKey*, kms:DescribeKey]")
		}},

		// secrets
		{"secret not replicated", "secrets", "replicated to PeerRegion = false, want true", func(tb testing.TB, in *Input) {
			delAt(tb, in, "AppSecret", "Properties", "ReplicaRegions")
		}},
		{"secondary copies a secret that is not replicated", "secrets", "must copy a replicated primary secret", func(tb testing.TB, in *Input) {
			setAt(tb, in, "MasterSecretCopy", []string{"Properties", "SecretString"}, `!Sub "{{resolve:secretsmanager:${AppName}/db/admin:SecretString}}"`)
		}},
		{"secondary generates its own password", "secrets", "must copy a replicated primary secret", func(tb testing.TB, in *Input) {
			delAt(tb, in, "AppSecretCopy", "Properties", "SecretString")
			setAt(tb, in, "AppSecretCopy", []string{"Properties", "GenerateSecretString"}, "{GenerateStringKey: password, SecretStringTemplate: '{}'}")
		}},

		// database
		{"cluster deleted without snapshot", "database", "Snapshot", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbCluster", []string{"DeletionPolicy"}, "Delete")
		}},
		{"replaced without snapshot", "database", "Snapshot", func(tb testing.TB, in *Input) {
			delAt(tb, in, "DbCluster", "UpdateReplacePolicy")
		}},
		{"Aurora MySQL 2", "database", "Aurora MySQL 3", func(tb testing.TB, in *Input) {
			set(at(tb, in.Template.Section("Mappings"), "Constants", "Database"), "EngineVersion", scalar(0, "5.7.mysql_aurora.2.12.5"))
		}},
		{"provisioned instance", "database", "db.serverless", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbInstance", []string{"Properties", "DBInstanceClass"}, "db.r6g.large")
		}},
		{"no backups", "database", "BackupRetentionPeriod", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbCluster", []string{"Properties", "BackupRetentionPeriod"}, "0")
		}},
		{"no serverless v2", "database", "ServerlessV2ScalingConfiguration", func(tb testing.TB, in *Input) {
			delAt(tb, in, "DbCluster", "Properties", "ServerlessV2ScalingConfiguration")
		}},
		{"deletion protection hard-coded", "database", "!Ref DeletionProtection", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbCluster", []string{"Properties", "DeletionProtection"}, "false")
		}},

		// secondary-cluster
		{"headless secondary", "secondary-cluster", "secondary cluster has no instance", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbInstance", []string{"Condition"}, "IsPrimary")
		}},
		{"master user on the secondary", "secondary-cluster", "must not set MasterUsername", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbCluster", []string{"Properties", "MasterUsername"}, "dbadmin")
		}},
		{"managed master password on the secondary", "secondary-cluster", "must not set ManageMasterUserPassword", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbCluster", []string{"Properties", "ManageMasterUserPassword"}, "true")
		}},
		{"secondary creates the global cluster", "secondary-cluster", "must not create the global cluster", func(tb testing.TB, in *Input) {
			delAt(tb, in, "GlobalCluster", "Condition")
		}},
		{"primary outside the global cluster", "secondary-cluster", "primary cluster must join", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbCluster", []string{"Properties", "GlobalClusterIdentifier"}, "!If [IsPrimary, !Ref AWS::NoValue, !Ref GlobalClusterIdentifier]")
		}},
		{"primary password in plain text", "secondary-cluster", "MasterUserPassword must be a secretsmanager dynamic reference", func(tb testing.TB, in *Input) {
			setAt(tb, in, "DbCluster", []string{"Properties", "MasterUserPassword"}, "!If [IsPrimary, hunter2hunter2, !Ref AWS::NoValue]")
		}},

		// cognito
		{"client without secret", "cognito", "GenerateSecret", func(tb testing.TB, in *Input) {
			setAt(tb, in, "AppClient", []string{"Properties", "GenerateSecret"}, "false")
		}},
		{"resource server without upsert-delete", "cognito", "scopes [read]", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiResourceServer", []string{"Properties", "Scopes"}, "[{ScopeName: read, ScopeDescription: r}]")
		}},
		{"authorization code flow", "cognito", "client_credentials", func(tb testing.TB, in *Input) {
			setAt(tb, in, "AppClient", []string{"Properties", "AllowedOAuthFlows"}, "[code]")
		}},
		{"client before its scopes", "cognito", "must DependsOn ApiResourceServer", func(tb testing.TB, in *Input) {
			delAt(tb, in, "AppClient", "DependsOn")
		}},
		{"no user pool domain", "cognito", "user pool domain", func(tb testing.TB, in *Input) {
			delResource(tb, in, "UserPoolDomain")
		}},

		// frontdoor
		{"Host header forwarded", "frontdoor", "AllViewerExceptHostHeader", func(tb testing.TB, in *Input) {
			set(at(tb, in.Template.Section("Mappings"), "Constants", "CloudFront"), "AllViewerExceptHostHeader", scalar(0, "216adef6-5c7f-47e4-b989-5492eafa07d3"))
		}},
		{"caching enabled", "frontdoor", "CachingDisabled", func(tb testing.TB, in *Input) {
			setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "CachePolicyId"}, "658327ea-f89d-4fab-a63d-7e88639e58f6")
		}},
		{"DELETE not allowed", "frontdoor", "AllowedMethods lacks DELETE", func(tb testing.TB, in *Input) {
			setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "AllowedMethods"}, "[GET, HEAD, OPTIONS, PUT, PATCH, POST]")
		}},
		{"origin group", "frontdoor", "no origin groups", func(tb testing.TB, in *Input) {
			setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "OriginGroups"}, "{Quantity: 0}")
		}},
		{"JavaScript runtime 1.0", "frontdoor", "cloudfront-js-2.0", func(tb testing.TB, in *Input) {
			setAt(tb, in, "FrontDoorFunction", []string{"Properties", "FunctionConfig", "Runtime"}, "cloudfront-js-1.0")
		}},
		{"deployed code differs from router.js", "frontdoor", "differs from frontdoor/router.js", func(tb testing.TB, in *Input) {
			code := at(tb, resNode(tb, in, "FrontDoorFunction"), "Properties", "FunctionCode", "Fn::Sub")
			code.Value = strings.Replace(code.Value, "return DEFAULT_REGION;", "return PEER_REGION;", 1)
		}},
		{"tested code differs from the template", "frontdoor", "differs from frontdoor/router.js", func(tb testing.TB, in *Input) {
			in.RouterJS = strings.Replace(in.RouterJS, "'active-region'", "'active'", 1)
		}},
		{"HTTP allowed", "frontdoor", "ViewerProtocolPolicy", func(tb testing.TB, in *Input) {
			setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "ViewerProtocolPolicy"}, "allow-all")
		}},
		{"origin not named by region", "frontdoor", "want two origins with ids", func(tb testing.TB, in *Input) {
			setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "Origins", "1", "Id"}, "peer")
		}},
		{"function on viewer-response", "frontdoor", "viewer-request", func(tb testing.TB, in *Input) {
			setAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "FunctionAssociations", "0", "EventType"}, "viewer-response")
		}},
		{"front door in the secondary", "frontdoor", "belongs to the primary's second pass", func(tb testing.TB, in *Input) {
			setAt(tb, in, "FrontDoorKvs", []string{"Condition"}, "CloudFrontMode")
		}},

		// route53
		{"routing alarm breaches on missing data", "route53", "TreatMissingData", func(tb testing.TB, in *Input) {
			setAt(tb, in, "RoutingAlarm", []string{"Properties", "TreatMissingData"}, "breaching")
		}},
		{"health check on another alarm", "route53", "AlarmIdentifier.Name", func(tb testing.TB, in *Input) {
			setAt(tb, in, "PrimaryHealthCheck", []string{"Properties", "HealthCheckConfig", "AlarmIdentifier", "Name"}, `!Sub "${AppName}-primary-health"`)
		}},
		{"health check in the failing region", "route53", "AlarmIdentifier.Region", func(tb testing.TB, in *Input) {
			setAt(tb, in, "PrimaryHealthCheck", []string{"Properties", "HealthCheckConfig", "AlarmIdentifier", "Region"}, "!Ref AWS::Region")
		}},
		{"failover roles swapped", "route53", "Failover \"SECONDARY\", want PRIMARY", func(tb testing.TB, in *Input) {
			setAt(tb, in, "FailoverRecord", []string{"Properties", "Failover"}, "!If [IsPrimary, SECONDARY, PRIMARY]")
		}},
		{"routing alarm in the primary", "route53", "standby (secondary) region", func(tb testing.TB, in *Input) {
			setAt(tb, in, "RoutingAlarm", []string{"Condition"}, "Route53Mode")
		}},
		{"health check before the standby exists", "route53", "no health check before the standby", func(tb testing.TB, in *Input) {
			setAt(tb, in, "PrimaryHealthCheck", []string{"Condition"}, "Route53Mode")
			setAt(tb, in, "FailoverRecord", []string{"Properties", "HealthCheckId"}, "!If [IsPrimary, !Ref PrimaryHealthCheck, !Ref AWS::NoValue]")
		}},
		{"edge custom domain", "route53", "REGIONAL", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiDomainName", []string{"Properties", "EndpointConfiguration"}, "{Types: [EDGE]}")
		}},
		{"alias in the edge (CloudFront) zone", "route53", "must be !GetAtt ApiDomainName.RegionalHostedZoneId", func(tb testing.TB, in *Input) {
			setAt(tb, in, "FailoverRecord", []string{"Properties", "AliasTarget", "HostedZoneId"}, "!GetAtt ApiDomainName.DistributionHostedZoneId")
		}},
		{"alias in the record's own hosted zone", "route53", "must be !GetAtt ApiDomainName.RegionalHostedZoneId", func(tb testing.TB, in *Input) {
			setAt(tb, in, "FailoverRecord", []string{"Properties", "AliasTarget", "HostedZoneId"}, "!Ref HostedZoneId")
		}},

		// alarms
		{"no 5xx alarm", "alarms", "AWS/ApiGateway 5XXError", func(tb testing.TB, in *Input) {
			delResource(tb, in, "Api5xxAlarm")
		}},
		{"no RPO lag alarm", "alarms", "AuroraGlobalDBRPOLag", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ReplicationRpoLagAlarm", []string{"Properties", "MetricName"}, "CPUUtilization")
		}},
		{"no proxy alarm", "alarms", "RDS Proxy connection failures", func(tb testing.TB, in *Input) {
			delResource(tb, in, "ProxyDatabaseConnectionsFailedAlarm")
			delResource(tb, in, "ProxyClientAuthFailedAlarm")
		}},
		{"alarm that notifies nobody", "alarms", "AlarmActions must notify", func(tb testing.TB, in *Input) {
			setOverride(tb, in, "primary", "AlarmEmail", "ops@example.com", false)
			delAt(tb, in, "ApiFunctionThrottlesAlarm", "Properties", "AlarmActions")
		}},
		{"5xx alarm on a hand-typed API name", "alarms", "ApiName must be the same expression as Api's Name", func(tb testing.TB, in *Input) {
			setAt(tb, in, "Api5xxAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt-api")
		}},
		{"5xx alarm after the API was renamed", "alarms", "ApiName must be the same expression as Api's Name", func(tb testing.TB, in *Input) {
			setAt(tb, in, "Api", []string{"Properties", "Name"}, `!Sub "${AppName}-rest-api"`)
		}},
		{"5xx alarm on another stage", "alarms", "Stage must be !Ref Api.Stage", func(tb testing.TB, in *Input) {
			setAt(tb, in, "Api5xxAlarm", []string{"Properties", "Dimensions", "1", "Value"}, "beta")
		}},
		{"throttles alarm on the migrate function", "alarms", "no AWS/Lambda Throttles alarm on ApiFunction", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunctionThrottlesAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "!Ref MigrateFunction")
		}},
		{"errors alarm on a typed function name", "alarms", "FunctionName must be !Ref of a function", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunctionErrorsAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt-api")
		}},
		{"alarm dimension misnamed", "alarms", "dimensions [Function], want [FunctionName]", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunctionErrorsAlarm", []string{"Properties", "Dimensions", "0", "Name"}, "Function")
		}},
		{"proxy alarm on a typed proxy name", "alarms", "ProxyName must be !Ref of the stack's RDS Proxy", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ProxyClientAuthFailedAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt-proxy")
		}},
		{"RPO lag alarm on the primary's cluster", "alarms", "DBClusterIdentifier must be !Ref of this (secondary) stack's cluster", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ReplicationRpoLagAlarm", []string{"Properties", "Dimensions", "0", "Value"}, `!Sub "${AppName}-${PeerRegion}"`)
		}},
		{"RPO lag alarm in the primary", "alarms", "belongs to the secondary stack", func(tb testing.TB, in *Input) {
			delAt(tb, in, "ReplicationRpoLagAlarm", "Condition")
		}},

		// migration
		{"migration in the primary only", "migration", "secondary (first pass): want one Custom::Migration in every stack", func(tb testing.TB, in *Input) {
			setAt(tb, in, "Migration", []string{"Condition"}, "IsPrimary")
		}},
		{"migration before the proxy target", "migration", "must DependsOn DbProxyTargetGroup", func(tb testing.TB, in *Input) {
			setAt(tb, in, "Migration", []string{"DependsOn"}, "[DbInstance, DbProxyReadOnlyEndpoint]")
		}},
		{"migration before the read-only endpoint", "migration", "must DependsOn DbProxyReadOnlyEndpoint", func(tb testing.TB, in *Input) {
			setAt(tb, in, "Migration", []string{"DependsOn"}, "[DbInstance, DbProxyTargetGroup]")
		}},
		{"migrate function with no time to retry", "migration", `Timeout "60": the migrate function needs 300 to 900 s`, func(tb testing.TB, in *Input) {
			setAt(tb, in, "MigrateFunction", []string{"Properties", "Timeout"}, "60")
		}},
		{"CloudFormation gives up before the function", "migration", "ServiceTimeout 600 s must exceed the function's Timeout 900 s", func(tb testing.TB, in *Input) {
			setAt(tb, in, "Migration", []string{"Properties", "ServiceTimeout"}, "600")
		}},
		{"ServiceTimeout above CloudFormation's limit", "migration", "must be an integer from 1 to 3600", func(tb testing.TB, in *Input) {
			setAt(tb, in, "Migration", []string{"Properties", "ServiceTimeout"}, "7200")
		}},
		{"secondary migrate reads a secret of the other region", "migration", "secondary (first pass): Resources.MigrateFunction: TODOMGMT_APP_SECRET_ARN must be !Ref of a secret in this stack", func(tb testing.TB, in *Input) {
			setAt(tb, in, "MigrateFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_APP_SECRET_ARN"},
				`!If [IsPrimary, !Ref AppSecret, !Sub "arn:${AWS::Partition}:secretsmanager:${PeerRegion}:${AWS::AccountId}:secret:${AppName}/db/app"]`)
		}},
		{"secondary migrate cannot reach its proxy", "migration", "secondary (first pass): Resources.MigrateFunction: no ingress rule", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ProxyIngressFromMigrateFunction", []string{"Condition"}, "IsPrimary")
		}},
		{"migration served by the API function", "migration", "ServiceToken", func(tb testing.TB, in *Input) {
			setAt(tb, in, "Migration", []string{"Properties", "ServiceToken"}, "!GetAtt ApiFunction.Arn")
		}},
		{"no purge schedule", "migration", `Resources.MigrateFunction: want one Schedule event with Input {"action":"purge-idempotency-keys"}`, func(tb testing.TB, in *Input) {
			delAt(tb, in, "MigrateFunction", "Properties", "Events")
		}},
		{"purge schedule on the API function", "migration", "schedule must target the migrate function MigrateFunction, not ApiFunction", func(tb testing.TB, in *Input) {
			setAt(tb, in, "ApiFunction", []string{"Properties", "Events", "Purge"},
				`{Type: Schedule, Properties: {Schedule: rate(1 hour), Input: '{"action":"purge-idempotency-keys"}'}}`)
			delAt(tb, in, "MigrateFunction", "Properties", "Events")
		}},
		{"purge runs daily", "migration", `Schedule "rate(1 day)", want rate(1 hour)`, func(tb testing.TB, in *Input) {
			setAt(tb, in, "MigrateFunction", []string{"Properties", "Events", "PurgeIdempotencyKeys", "Properties", "Schedule"}, "rate(1 day)")
		}},
		{"purge schedule disabled", "migration", "schedule is disabled", func(tb testing.TB, in *Input) {
			setAt(tb, in, "MigrateFunction", []string{"Properties", "Events", "PurgeIdempotencyKeys", "Properties", "Enabled"}, "false")
		}},
		{"purge schedule with a CloudFormation property name", "migration", "ScheduleExpression is not a property of a SAM Schedule event", func(tb testing.TB, in *Input) {
			setAt(tb, in, "MigrateFunction", []string{"Properties", "Events", "PurgeIdempotencyKeys", "Properties", "ScheduleExpression"}, "rate(1 hour)")
		}},

		// samconfig
		{"override names no parameter", "samconfig", "VpcCIDR, which is not a template parameter", func(tb testing.TB, in *Input) {
			renameOverride(tb, in, "secondary", "VpcCidr", "VpcCIDR")
		}},
		{"required parameter not given", "samconfig", "required parameter Role", func(tb testing.TB, in *Input) {
			setOverride(tb, in, "secondary", "Role", "", true)
		}},
		{"same VpcCidr in both regions", "samconfig", "overlaps", func(tb testing.TB, in *Input) {
			setOverride(tb, in, "secondary", "VpcCidr", "10.10.0.0/16", false)
		}},
		{"same region twice", "samconfig", "same region", func(tb testing.TB, in *Input) {
			in.SamConfig.Envs["secondary"].Commands["deploy"]["region"] = "us-east-1"
		}},
		{"PeerRegion not the other region", "samconfig", "PeerRegion must name the other environment's region", func(tb testing.TB, in *Input) {
			setOverride(tb, in, "primary", "PeerRegion", "eu-west-1", false)
		}},
		{"global cluster ids differ", "samconfig", "GlobalClusterIdentifier differs", func(tb testing.TB, in *Input) {
			setOverride(tb, in, "secondary", "GlobalClusterIdentifier", "other-global", false)
		}},
		{"roles swapped", "samconfig", "Role must be primary", func(tb testing.TB, in *Input) {
			setOverride(tb, in, "primary", "Role", "secondary", false)
		}},
		{"capability missing", "samconfig", "CAPABILITY_AUTO_EXPAND", func(tb testing.TB, in *Input) {
			in.SamConfig.Envs["primary"].Commands["deploy"]["capabilities"] = "CAPABILITY_IAM"
		}},
		{"no local_start_api", "samconfig", "no [secondary.local_start_api.parameters]", func(tb testing.TB, in *Input) {
			delete(in.SamConfig.Envs["secondary"].Commands, "local_start_api")
		}},
		{"sync deploys other parameters", "samconfig", "differ from [primary.deploy]", func(tb testing.TB, in *Input) {
			editOverrides(tb, in, "primary", "sync", func(ov map[string]string) { ov["VpcCidr"] = "10.11.0.0/16" })
		}},
		{"local API resolves other parameters", "samconfig", "[secondary.local_start_api]: parameter_overrides differ from [secondary.deploy]", func(tb testing.TB, in *Input) {
			editOverrides(tb, in, "secondary", "local_start_api", func(ov map[string]string) { ov["Role"] = "primary" })
		}},
		{"build resolves other parameters", "samconfig", "[default.build]: parameter_overrides differ from [default.deploy]", func(tb testing.TB, in *Input) {
			editOverrides(tb, in, "default", "build", func(ov map[string]string) { delete(ov, "AppName") })
		}},
		{"local API without overrides", "samconfig", "[primary.local_start_api]: no parameter_overrides", func(tb testing.TB, in *Input) {
			delete(in.SamConfig.Envs["primary"].Commands["local_start_api"], "parameter_overrides")
		}},
		{"dev stack collides with the primary", "samconfig", "physical names collide", func(tb testing.TB, in *Input) {
			in.SamConfig.Envs["default"].Commands["deploy"]["region"] = "us-east-1"
			setOverride(tb, in, "default", "AppName", "", true)
		}},
		{"public CIDR", "samconfig", "not RFC 1918", func(tb testing.TB, in *Input) {
			setOverride(tb, in, "default", "VpcCidr", "100.64.0.0/16", false)
		}},
		{"SAM build cache on (keys on CodeUri, misses pkg/)", "samconfig", "cached = true", func(tb testing.TB, in *Input) {
			in.SamConfig.Envs["primary"].Commands["build"]["cached"] = true
		}},
		{"wrong version", "samconfig", "version", func(tb testing.TB, in *Input) {
			in.SamConfig.Version = 0.2
		}},

		// envjson
		{"env.json variable the template does not declare", "envjson", "TODOMGMT_DB_PASSWORD is not declared", func(tb testing.TB, in *Input) {
			in.EnvJSON["ApiFunction"]["TODOMGMT_DB_PASSWORD"] = "x"
		}},
		{"env.json for a missing function", "envjson", "no such function", func(tb testing.TB, in *Input) {
			in.EnvJSON["WorkerFunction"] = map[string]string{"TODOMGMT_REGION": "local"}
		}},
		{"env.json without a DSN", "envjson", "needs TODOMGMT_DB_DSN", func(tb testing.TB, in *Input) {
			delete(in.EnvJSON["ApiFunction"], "TODOMGMT_DB_DSN")
		}},
	}
	checked := map[string]bool{}
	for _, tt := range tests {
		checked[tt.check] = true
		t.Run(tt.check+"/"+tt.name, func(t *testing.T) {
			in := loadInput(t)
			tt.mutate(t, in)
			var c Check
			for _, x := range Checks {
				if x.Name == tt.check {
					c = x
				}
			}
			if c.run == nil {
				t.Fatalf("no check %q", tt.check)
			}
			got := RunCheck(c, in)
			for _, f := range got {
				if strings.Contains(f.String(), tt.want) {
					return
				}
			}
			var msgs []string
			for _, f := range got {
				msgs = append(msgs, f.String())
			}
			sort.Strings(msgs)
			t.Errorf("check %s: got %d findings %q, want one containing %q", tt.check, len(got), msgs, tt.want)
		})
	}
	for _, c := range Checks {
		if !checked[c.Name] {
			t.Errorf("check %s has no mutation showing it can fail", c.Name)
		}
	}
}

// TestSamConfigReadsOverridesAsSAMDoes writes the repository's overrides in
// the other forms the SAM CLI (and mage, through pkg/samconfig) accept and
// requires the checks to read them the same: no finding.
func TestSamConfigReadsOverridesAsSAMDoes(t *testing.T) {
	for _, tt := range []struct {
		name   string
		format func(k, v string) string
	}{
		{"single quotes", func(k, v string) string { return k + "='" + v + "'" }},
		{"ParameterKey form", func(k, v string) string { return "ParameterKey=" + k + ",ParameterValue=" + v }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := loadInput(t)
			for _, env := range []string{"primary", "secondary"} {
				for _, cmd := range []string{"deploy", "sync"} {
					e := in.SamConfig.Envs[env]
					ov, err := e.Params(cmd).ParameterOverrides()
					if err != nil {
						t.Fatal(err)
					}
					var parts []string
					for _, k := range sortedKeys(ov) {
						parts = append(parts, tt.format(k, ov[k]))
					}
					e.Commands[cmd]["parameter_overrides"] = strings.Join(parts, " ")
				}
			}
			for _, c := range Checks {
				if c.Name == "scenarios" || c.Name == "samconfig" {
					for _, f := range RunCheck(c, in) {
						t.Errorf("%s", f)
					}
				}
			}
		})
	}
}

func TestActionMatches(t *testing.T) {
	for _, tt := range []struct {
		pattern, action string
		want            bool
	}{
		{"kms:*", "kms:Encrypt", true},
		{"kms:ReEncrypt*", "kms:ReEncryptFrom", true},
		{"kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext", true},
		{"KMS:decrypt", "kms:Decrypt", true},
		{"kms:Create*", "kms:CreateGrant", true},
		{"kms:Describe?ey", "kms:DescribeKey", true},
		{"kms:DescribeKey", "kms:Decrypt", false},
		{"kms:Put*", "kms:PutKeyPolicy", true},
		{"kms:Get*", "kms:GenerateDataKey", false},
		{"kms:Encrypt.", "kms:EncryptX", false},
	} {
		if got := actionMatches(tt.pattern, tt.action); got != tt.want {
			t.Errorf("actionMatches(%q, %q) = %v, want %v", tt.pattern, tt.action, got, tt.want)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	props := AllowedTypes["AWS::RDS::DBProxy"].Properties
	for _, tt := range []struct{ in, want string }{
		{"IdleClientTimeOut", " (did you mean IdleClientTimeout?)"},
		{"RequireTls", " (did you mean RequireTLS?)"},
		{"DebugLoging", " (did you mean DebugLogging?)"},
		{"Logging", ""},
	} {
		if got := didYouMean(tt.in, props); got != tt.want {
			t.Errorf("didYouMean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
