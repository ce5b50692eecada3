package designcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/samcheck"
	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

const (
	repoRoot      = "../.."
	templatePath  = repoRoot + "/template.yaml"
	samconfigPath = repoRoot + "/samconfig.toml"
	routerPath    = repoRoot + "/frontdoor/router.js"
	envJSONPath   = repoRoot + "/env.json"
	readmePath    = repoRoot + "/README.md"
)

// testDir holds the translator's output for the whole test binary.
var testDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "designcheck-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

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

// loadSource returns the repository's files as an Input of the test's
// own, which it may break, with the parameter sets but no translation.
func loadSource(tb testing.TB) *Input {
	tb.Helper()
	files, err := readRepo()
	if err != nil {
		tb.Fatal(err)
	}
	sc, err := samconfig.Parse(files.samconfig)
	if err != nil {
		tb.Fatal(err)
	}
	sets, err := samcheck.ParameterSets(sc)
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
	return &Input{Source: files.template.Clone(), SamConfig: sc, Sets: sets, Translated: map[string]*Template{},
		RouterJS: string(files.router), Handlers: handlers, EnvJSON: env}
}

// skipWithoutTools skips the test when err says the SAM translator is
// missing, and fails it when the tools are required (CI).
func skipWithoutTools(tb testing.TB, err error) {
	tb.Helper()
	if !errors.Is(err, samcheck.ErrToolsMissing) {
		return
	}
	if samcheck.ToolsRequired() {
		tb.Fatalf("%v (CI or TODOMGMT_REQUIRE_DOCKER is set)", err)
	}
	tb.Skipf("SKIPPED: %v", err)
}

// repoTranslations translates template.yaml for every parameter set,
// once for all tests.
var repoTranslations = sync.OnceValues(func() (map[string]*Template, error) {
	sc, err := samconfig.Load(samconfigPath)
	if err != nil {
		return nil, err
	}
	sets, err := samcheck.ParameterSets(sc)
	if err != nil {
		return nil, err
	}
	path, err := filepath.Abs(templatePath)
	if err != nil {
		return nil, err
	}
	var jobs []samcheck.Job
	for _, s := range sets {
		jobs = append(jobs, samcheck.JobFor(s, path))
	}
	out := filepath.Join(testDir, "repo")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	_, trs, err := samcheck.Translator{Workers: runtime.NumCPU()}.Translate(context.Background(), out, jobs)
	if err != nil {
		return nil, err
	}
	tpls := map[string]*Template{}
	for _, tr := range trs {
		if len(tr.Errors) > 0 {
			return nil, fmt.Errorf("the SAM translator refuses template.yaml for %s: %s", tr.Name, strings.Join(tr.Errors, "; "))
		}
		if tpls[tr.Name], err = parseFile(tr.File); err != nil {
			return nil, err
		}
	}
	return tpls, nil
})

func parseFile(file string) (*Template, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	t, err := ParseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// loadInput returns loadSource's Input with the translator's output for
// every parameter set. It skips the test when the translator is missing.
func loadInput(tb testing.TB) *Input {
	tb.Helper()
	in := loadSource(tb)
	tpls, err := repoTranslations()
	skipWithoutTools(tb, err)
	if err != nil {
		tb.Fatal(err)
	}
	for name, t := range tpls {
		in.Translated[name] = t.Clone()
	}
	return in
}

func TestTemplatePassesEveryCheck(t *testing.T) {
	src := loadSource(t)
	for _, c := range Checks {
		t.Run(c.Name, func(t *testing.T) {
			in := src
			if c.Translated {
				in = loadInput(t)
			}
			for _, f := range RunCheck(c, in) {
				t.Errorf("%s", f)
			}
		})
	}
}

// TestParameterSetsCoverTheModes: each parameter set deploys the
// resources of the mode it is named after, in the translator's output as
// CloudFormation evaluates it.
func TestParameterSetsCoverTheModes(t *testing.T) {
	in := loadInput(t)
	ds := map[string]*Deployment{}
	for _, d := range in.Deployments() {
		ds[d.Set.Name] = d
	}
	if len(in.DeploymentErrors()) > 0 {
		t.Fatalf("deployments: %v", in.DeploymentErrors())
	}
	for _, tt := range []struct {
		set, resource string
		want          bool
	}{
		{"primary", "GlobalCluster", true},
		{"secondary", "GlobalCluster", false},
		{"secondary", "MasterSecret", false},
		{"primary", "FrontDoorDistribution", false},
		{"primary-cloudfront", "FrontDoorDistribution", true},
		{"secondary-cloudfront", "FrontDoorDistribution", false},
		{"primary-route53", "FrontDoorDistribution", false},
		{"primary-route53", "PrimaryHealthCheck", true},
		{"primary-route53-first-pass", "PrimaryHealthCheck", false},
		{"primary-route53-first-pass", "FailoverRecord", true},
		{"secondary-route53", "RoutingAlarm", true},
		{"secondary-route53", "FailoverRecord", true},
		{"secondary", "Migration", true},
		{"secondary-route53", "Migration", true},
		{"default", "GlobalCluster", true},
		{"default", "MasterSecret", true},
		{"primary", "Migration", true},
		{"primary", "DbReaderInstance1", true},
		{"secondary", "DbReaderInstance1", true},
		{"secondary", "DbReaderInstance2", false},
		{"default", "DbReaderInstance1", false},
		{"primary", "AlarmTopic", true},
		{"primary", "AlarmEmailSubscription", false},
		{"primary", "ReplicationLagAlarm", true},
		{"secondary", "ReplicationRpoLagAlarm", true},
		{"default", "ReplicationLagAlarm", false},
		{"secondary-alarm-email", "AlarmTopic", true},
		{"secondary-alarm-email", "AlarmEmailSubscription", true},
		// What SAM makes of the functions and the API.
		{"primary", "ApiFunctionRole", true},
		{"primary", "MigrateFunctionPurgeIdempotencyKeys", true},
		{"primary", "ApiprodStage", true},
		{"default", "Dashboard", true},
		{"secondary-route53", "Dashboard", true},
	} {
		d := ds[tt.set]
		if d == nil {
			t.Errorf("no deployment for set %s", tt.set)
			continue
		}
		if got := d.Resource(tt.resource) != nil; got != tt.want {
			t.Errorf("%s: %s exists = %v, want %v", tt.set, tt.resource, got, tt.want)
		}
	}
}

// readmeRoutes reads the API table of README's "The API": method, path
// (the first `code` of the cell, without its query) and scopes. README
// spells out the read scopes on the first row (`api/read` or
// `api/upsert-delete`) and writes "read" for them below; "none" is a
// public route.
func readmeRoutes(tb testing.TB) []Route {
	tb.Helper()
	data, err := os.ReadFile(readmePath)
	if err != nil {
		tb.Fatal(err)
	}
	_, section, found := strings.Cut(string(data), "\n## The API\n")
	if !found {
		tb.Fatal(`README has no "## The API" section`)
	}
	code := regexp.MustCompile("`([^`]*)`")
	var routes []Route
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || !regexp.MustCompile(`^ (GET|POST|PUT|PATCH|DELETE) $`).MatchString(cells[1]) {
			if len(routes) > 0 && !strings.HasPrefix(line, "|") {
				break // the end of the table
			}
			continue
		}
		m := code.FindStringSubmatch(cells[2])
		if m == nil {
			tb.Fatalf("README API table: no `path` in %q", line)
		}
		path, _, _ := strings.Cut(m[1], "?")
		rt := Route{Method: strings.TrimSpace(cells[1]), Path: path}
		switch scope := cells[3]; {
		case strings.Contains(scope, "none"):
		case strings.Contains(scope, "read"):
			rt.Scopes = readScopes
		case strings.Contains(scope, "upsert-delete"):
			rt.Scopes = writeScopes
		default:
			tb.Fatalf("README API table: scope %q of %s %s is none of none, read, upsert-delete", scope, rt.Method, rt.Path)
		}
		routes = append(routes, rt)
	}
	if len(routes) == 0 {
		tb.Fatal("README has no API table")
	}
	return routes
}

// TestOpenAPIScopesAreREADMEs reads the translator's output: in every
// parameter set, each method of the REST API's OpenAPI body requires the
// Cognito authorizer with exactly the scopes of README's API table, and
// GET /v1/health requires no security scheme at all. This is what API
// Gateway enforces; a template the translator refuses, or one whose
// events lose their scopes, fails here.
func TestOpenAPIScopesAreREADMEs(t *testing.T) {
	readme := readmeRoutes(t)
	if !slices.EqualFunc(readme, Routes, func(a, b Route) bool {
		return a.Method == b.Method && a.Path == b.Path && slices.Equal(a.Scopes, b.Scopes)
	}) {
		t.Errorf("Routes differ from README's API table:\n got %v\nwant %v", Routes, readme)
	}
	in := loadInput(t)
	ds := in.Deployments()
	if len(ds) != len(in.Sets) {
		t.Fatalf("%d deployments for %d parameter sets: %v", len(ds), len(in.Sets), in.DeploymentErrors())
	}
	for _, d := range ds {
		apis := d.OfType("AWS::ApiGateway::RestApi")
		if len(apis) != 1 {
			t.Fatalf("%s: %d REST APIs", d.Set.Name, len(apis))
		}
		body := apis[0].Prop("Body")
		schemes := get(body, "components", "securitySchemes")
		paths := get(body, "paths")
		methods := 0
		for _, p := range keys(paths) {
			methods += len(keys(get(paths, p)))
		}
		if methods != len(readme) {
			t.Errorf("%s: the OpenAPI body has %d methods, README's table %d", d.Set.Name, methods, len(readme))
		}
		for _, rt := range readme {
			op := get(paths, rt.Path, strings.ToLower(rt.Method))
			if op == nil {
				t.Errorf("%s: %s %s: not in the OpenAPI body", d.Set.Name, rt.Method, rt.Path)
				continue
			}
			sec := get(op, "security")
			if rt.Scopes == nil {
				// SAM writes `Authorizer: NONE` as the requirement {NONE: []},
				// a name that is no security scheme of the API: API Gateway
				// applies no authorizer.
				for _, req := range items(sec) {
					for _, name := range keys(req) {
						if name != "NONE" || get(schemes, name) != nil || len(items(get(req, name))) > 0 {
							t.Errorf("%s: %s %s requires security %s, want none", d.Set.Name, rt.Method, rt.Path, toJSON(sec))
						}
					}
				}
				continue
			}
			want := map[string][]string{"CognitoAuthorizer": rt.Scopes}
			wantJSON, _ := json.Marshal([]map[string][]string{want})
			if got := toJSON(sec); got != string(wantJSON) {
				t.Errorf("%s: %s %s: security %s, want %s", d.Set.Name, rt.Method, rt.Path, got, wantJSON)
			}
		}
		if typ := mustStr(get(schemes, "CognitoAuthorizer", "x-amazon-apigateway-authorizer", "type")); typ != "cognito_user_pools" {
			t.Errorf("%s: CognitoAuthorizer is of type %q, want cognito_user_pools", d.Set.Name, typ)
		}
	}
}

func TestFunctionCodeIsRouterJS(t *testing.T) {
	in := loadSource(t)
	fn := in.Source.Resource("FrontDoorFunction")
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
		{"JSON", `{"v": {"Fn::GetAtt": ["Db", "Arn"]}}`, `{"Fn::GetAtt":["Db","Arn"]}`},
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

// TestParseJSONIsParse: the translator's JSON read by ParseJSON is the
// tree Parse makes of it.
func TestParseJSONIsParse(t *testing.T) {
	for _, doc := range []string{
		`{"a": {"Fn::GetAtt": ["Db", "Arn"]}, "b": [1, 2.5, true, null, "x", []], "c": {}}`,
		"{\n  \"Resources\": {\n    \"R\": {\"Type\": \"T\", \"Properties\": {\"P\": [\"\\u00e9\", -3]}}\n  }\n}\n",
	} {
		want, err := Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if !equal(got.Root, want.Root) || toJSON(got.Root) != toJSON(want.Root) {
			t.Errorf("ParseJSON(%s) = %s, Parse gives %s", doc, toJSON(got.Root), toJSON(want.Root))
		}
		if r := get(got.Root, "Resources", "R"); r != nil && r.Line != 3 {
			t.Errorf("line of R: got %d, want 3", r.Line)
		}
	}
	if _, err := ParseJSON([]byte(`[1]`)); err == nil {
		t.Error("ParseJSON of a list: no error")
	}
	if _, err := ParseJSON([]byte(`{"a": `)); err == nil {
		t.Error("ParseJSON of a truncated document: no error")
	}
}

// TestMarshalRoundTrips: a template written back (as the mutation tests
// hand it to the translator) parses to the same tree.
func TestMarshalRoundTrips(t *testing.T) {
	in := loadSource(t)
	data, err := in.Source.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !equal(in.Source.Root, again.Root) {
		t.Error("template.yaml written back and parsed again differs from the original")
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
	if n == nil {
		return "null"
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
			in := loadSource(t)
			for _, env := range []string{"primary", "secondary"} {
				for _, cmd := range []string{"deploy", "sync"} {
					e := in.SamConfig.Envs[env]
					ov, err := e.Params(cmd).ParameterOverrides()
					if err != nil {
						t.Fatal(err)
					}
					var parts []string
					for _, k := range slices.Sorted(maps.Keys(ov)) {
						parts = append(parts, tt.format(k, ov[k]))
					}
					e.Commands[cmd]["parameter_overrides"] = strings.Join(parts, " ")
				}
			}
			for _, c := range Checks {
				if c.Name == "parameter-sets" || c.Name == "samconfig" || c.Name == "rules" {
					for _, f := range RunCheck(c, in) {
						t.Errorf("%s", f)
					}
				}
			}
		})
	}
}
