package samcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// skipWithoutTools skips the test when err says the tools are missing,
// and fails it instead when they are required (CI).
func skipWithoutTools(tb testing.TB, err error) {
	tb.Helper()
	if !errors.Is(err, ErrToolsMissing) {
		return
	}
	if ToolsRequired() {
		tb.Fatalf("%v (CI or TODOMGMT_REQUIRE_DOCKER is set)", err)
	}
	tb.Skipf("SKIPPED: %v", err)
}

func TestParameterSets(t *testing.T) {
	sc, err := samconfig.Load("../../samconfig.toml")
	if err != nil {
		t.Fatal(err)
	}
	sets, err := ParameterSets(sc)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]ParameterSet{}
	for _, s := range sets {
		if _, dup := byName[s.Name]; dup {
			t.Errorf("set %s twice", s.Name)
		}
		byName[s.Name] = s
		if s.Covers == "" || s.Region == "" {
			t.Errorf("set %s: Covers %q, Region %q", s.Name, s.Covers, s.Region)
		}
	}
	// Each environment as `go tool mage deploy` deploys it: samconfig's
	// overrides, and for the secondary the primary's secret ARNs.
	for _, env := range []string{"default", "primary", "secondary"} {
		e, _ := sc.Env(env)
		ov, _ := e.Params("deploy").ParameterOverrides()
		if env == "secondary" {
			ov["PrimaryMasterSecretArn"] = SecretArn("us-east-1", "todomgmt", "master")
			ov["PrimaryAppSecretArn"] = SecretArn("us-east-1", "todomgmt", "app")
		}
		s := byName[env]
		if s.Region != e.Params("deploy").Region() || !equalMaps(s.Params, ov) {
			t.Errorf("set %s = %s %v, want [%s.deploy] %s %v", env, s.Region, s.Params, env, e.Params("deploy").Region(), ov)
		}
	}
	for _, tt := range []struct {
		set, param, want string
	}{
		{"primary-cloudfront", "PeerApiDomain", PeerAPIDomain("us-west-2")},
		{"primary-cloudfront", "PeerUserPoolArn", PeerUserPoolArn("us-west-2")},
		{"primary-cloudfront", "DomainName", ""},
		{"secondary-cloudfront", "PeerApiDomain", PeerAPIDomain("us-east-1")},
		{"primary-route53-first-pass", "DomainName", ExampleDomainName},
		{"primary-route53-first-pass", "PeerApiDomain", ""},
		{"primary-route53", "PeerApiDomain", PeerAPIDomain("us-west-2")},
		{"primary-route53", "CertificateArn", CertificateArn("us-east-1")},
		{"secondary-route53", "CertificateArn", CertificateArn("us-west-2")},
		{"secondary-route53", "HostedZoneId", ExampleHostedZoneID},
		{"secondary-alarm-email", "AlarmEmail", ExampleAlarmEmail},
		{"secondary-alarm-email", "Role", "secondary"},
		{"primary", "AlarmEmail", ""},
		{"primary", "PeerDbKeyArn", ""},
		{"primary-cloudfront", "PeerDbKeyArn", KeyArn("us-west-2")},
		{"primary-route53", "PeerDbKeyArn", KeyArn("us-west-2")},
		{"secondary-cloudfront", "PeerDbKeyArn", ""},
		{"secondary-route53", "PrimaryAppSecretArn", SecretArn("us-east-1", "todomgmt", "app")},
		{"secondary-alarm-email", "PrimaryMasterSecretArn", SecretArn("us-east-1", "todomgmt", "master")},
		{"primary", "PrimaryMasterSecretArn", ""},
		{"primary-two-readers", "DbReaderInstances", "2"},
		{"primary-two-readers", "PeerDbKeyArn", KeyArn("us-west-2")},
	} {
		if got := byName[tt.set].Params[tt.param]; got != tt.want {
			t.Errorf("%s: %s = %q, want %q", tt.set, tt.param, got, tt.want)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
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

func TestParameterSetsNeedThePeerRegion(t *testing.T) {
	sc, err := samconfig.Parse([]byte(`version = 0.1
[default.deploy.parameters]
region = "us-east-2"
[primary.deploy.parameters]
region = "us-east-1"
parameter_overrides = "Role=primary PeerRegion="
[secondary.deploy.parameters]
region = "us-west-2"
parameter_overrides = "Role=secondary PeerRegion=us-east-1"
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParameterSets(sc); err == nil || !strings.Contains(err.Error(), "[primary.deploy] has no PeerRegion") {
		t.Errorf("got %v, want the missing PeerRegion of [primary.deploy]", err)
	}
}

func TestParseAccepted(t *testing.T) {
	for _, tt := range []struct {
		name, yaml, wantErr string
	}{
		{"valid", "- {rule: I3042, at: [Resources/Api, 'Resources/Fn*'], reason: the translator writes it}", ""},
		{"empty file", "", ""},
		{"an error is not listed", "- {rule: E3002, at: [Resources/Api], reason: x}", "not informational"},
		{"a warning is not listed", "- {rule: W1001, at: [Resources/Api], reason: x}", "not informational"},
		{"no reason", "- {rule: I3042, at: [Resources/Api]}", "no reason"},
		{"no location", "- {rule: I3042, reason: x}", "no locations"},
		{"location without section", "- {rule: I3042, at: [Api], reason: x}", "not <Section>/<LogicalId glob>"},
		{"empty element", "- {rule: I3042, at: ['Resources//Properties'], reason: x}", "not <Section>/<LogicalId glob>"},
		{"deep location", "- {rule: I3042, at: ['Resources/Api/Properties/Body/paths/*/*/x-amazon-apigateway-integration/uri'], reason: x}", ""},
		{"misspelt key", "- {rule: I3042, at: [Resources/Api], reasons: x}", "reasons"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAccepted([]byte(tt.yaml))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestReview(t *testing.T) {
	accepted, err := ParseAccepted([]byte(`
- rule: I3042
  at: [Resources/Api, "Resources/ApiFunction*Permissionprod"]
  reason: the translator writes these ARNs
- rule: I3011
  at: [Resources/Bucket]
  sets: [primary]
  reason: only the primary's
- rule: I3100
  at: [Resources/Gone]
  reason: fixed since
- rule: I3200
  at: ["Resources/Api/Properties/Body/paths/*/*/x-amazon-apigateway-integration/uri"]
  reason: a deep location
`))
	if err != nil {
		t.Fatal(err)
	}
	f := func(set, rule string, path ...string) Finding {
		return Finding{Target: set, Rule: rule, Path: path, Message: "m"}
	}
	findings := []Finding{
		f("primary", "I3042", "Resources", "Api", "Properties", "Body"),
		f("primary", "I3042", "Resources", "ApiFunctionGetPermissionprod", "Properties"),
		f("secondary", "I3042", "Resources", "OtherPermissionprod"), // not listed
		f("primary", "I3011", "Resources", "Bucket"),
		f("secondary", "I3011", "Resources", "Bucket"), // listed for primary only
		f("primary", "W3005", "Resources", "Api"),      // warnings are never accepted
		f("primary", "E3002", "Resources", "Api"),      // nor errors
		f("primary", "I3200", "Resources", "Api", "Properties", "Body", "paths", "/v1/todos/{id}", "get", "x-amazon-apigateway-integration", "uri", "Fn::Sub"),
		f("primary", "I3200", "Resources", "Api", "Properties", "Body", "info", "title"), // outside the location
		f("primary", "I3200", "Resources", "Api", "Properties"),                          // shorter than it
	}
	failing, listed, stale := Review(findings, accepted)
	var got []string
	for _, x := range failing {
		got = append(got, x.Target+" "+x.Rule+" "+strings.Join(x.Path[:min(2, len(x.Path))], "/"))
	}
	want := []string{"secondary I3042 Resources/OtherPermissionprod", "secondary I3011 Resources/Bucket", "primary W3005 Resources/Api", "primary E3002 Resources/Api",
		"primary I3200 Resources/Api", "primary I3200 Resources/Api"}
	if !slices.Equal(got, want) {
		t.Errorf("failing: got %q, want %q", got, want)
	}
	if listed != 4 {
		t.Errorf("listed: got %d, want 4", listed)
	}
	if len(stale) != 1 || !strings.Contains(stale[0], "I3100 Resources/Gone") {
		t.Errorf("stale: got %q, want the I3100 Resources/Gone entry", stale)
	}
}

// testTemplate is a small SAM template with a parameter, an API event
// with scopes and its authorizer, and a Lambda timeout cfn-lint refuses
// when Slow is set.
const testTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, AllowedValues: [prod, beta]}
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
      Auth:
        DefaultAuthorizer: Cognito
        Authorizers:
          Cognito: {UserPoolArn: !GetAtt Pool.Arn}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: handlers/x
      Handler: bootstrap
      Runtime: provided.al2023
      Timeout: TIMEOUT
      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /x
            Method: GET
            Auth: {AUTH}
`

func testJob(name, region, auth, timeout string, params map[string]string) Job {
	text := strings.NewReplacer("AUTH", auth, "TIMEOUT", timeout).Replace(testTemplate)
	return Job{Name: name, Template: []byte(text), Region: region, Params: params, ArtifactPrefix: "stack-x"}
}

// TestTranslateAndLint runs AWS's translator and cfn-lint on small
// templates: the translator refuses scopes without an event authorizer
// (issue 9's error), uses the job's region and parameter values, and
// cfn-lint reads each template with its own parameters.
func TestTranslateAndLint(t *testing.T) {
	dir := t.TempDir()
	jobs := []Job{
		testJob("scopes-without-authorizer", "us-east-1", "AuthorizationScopes: [api/read]", "10", map[string]string{"Stage": "prod"}),
		testJob("ok", "us-east-1", "Authorizer: Cognito, AuthorizationScopes: [api/read]", "10", map[string]string{"Stage": "prod"}),
		testJob("govcloud", "us-gov-west-1", "Authorizer: Cognito, AuthorizationScopes: [api/read]", "10", map[string]string{"Stage": "beta"}),
		testJob("bad-values", "us-east-1", "Authorizer: Cognito, AuthorizationScopes: [api/read]", "901", map[string]string{"Stage": "gamma"}),
	}
	versions, trs, err := Translator{Workers: 2}.Translate(context.Background(), dir, jobs)
	skipWithoutTools(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if versions.SamTranslator == "" {
		t.Error("no aws-sam-translator version")
	}
	if e := trs[0].Errors; len(e) != 1 || !strings.Contains(e[0], "AuthorizationScopes works only when Authorizer is set") {
		t.Errorf("scopes without authorizer: got errors %q, want the translator's AuthorizationScopes error", e)
	}
	for _, tr := range trs[1:] {
		if len(tr.Errors) > 0 || tr.File == "" {
			t.Fatalf("%s: %q", tr.Name, tr.Errors)
		}
	}
	ok := readJSON(t, trs[1].File)
	// The security of GET /x names the event's authorizer and scopes.
	sec := ok["Resources"].(map[string]any)["Api"].(map[string]any)["Properties"].(map[string]any)["Body"].(map[string]any)["paths"].(map[string]any)["/x"].(map[string]any)["get"].(map[string]any)["security"]
	if b, _ := json.Marshal(sec); string(b) != `[{"Cognito":["api/read"]}]` {
		t.Errorf("security of GET /x: got %s", b)
	}
	code, _ := json.Marshal(ok["Resources"].(map[string]any)["Fn"].(map[string]any)["Properties"].(map[string]any)["Code"])
	if !strings.Contains(string(code), `"S3Key":"stack-x/`) {
		t.Errorf("Code: got %s, want an S3 key under the artifact prefix", code)
	}
	gov, err := os.ReadFile(trs[2].File)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(gov, []byte("arn:aws-us-gov:")) {
		t.Error("us-gov-west-1: the translator did not write the aws-us-gov partition: the region did not reach it")
	}

	var targets []Target
	for i, j := range jobs[1:] {
		targets = append(targets, Target{Name: j.Name, File: filepath.Base(trs[i+1].File), Region: j.Region, Params: j.Params})
	}
	findings, err := Linter{}.Lint(context.Background(), dir, targets)
	skipWithoutTools(t, err)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range findings {
		if f.Severity() != "informational" {
			got[f.Target] = append(got[f.Target], f.Rule+" "+f.Message)
		}
	}
	if len(got["ok"])+len(got["govcloud"]) > 0 {
		t.Errorf("findings on the valid templates: %q", got)
	}
	joined := strings.Join(got["bad-values"], "\n")
	for _, want := range []string{"'gamma' is not one of", "901"} {
		if !strings.Contains(joined, want) {
			t.Errorf("bad-values: findings %q, want one containing %q", got["bad-values"], want)
		}
	}
}

func readJSON(tb testing.TB, file string) map[string]any {
	tb.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestRunWithoutTheTools(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"template.yaml", "samconfig.toml", InformationalFile} {
		data, err := os.ReadFile(filepath.Join("../..", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	missing := Translator{Python: filepath.Join(dir, "no-such-python")}
	var out bytes.Buffer
	if err := Run(context.Background(), Options{Dir: dir, Out: &out, Translator: missing}); err != nil {
		t.Errorf("not required: got %v, want a skip", err)
	}
	if !strings.Contains(out.String(), "SKIPPED") || !strings.Contains(out.String(), "pip install cfn-lint") {
		t.Errorf("not required: output %q, want SKIPPED and how to install", out.String())
	}
	err := Run(context.Background(), Options{Dir: dir, Out: &out, Translator: missing, Require: true})
	if !errors.Is(err, ErrToolsMissing) || !strings.Contains(err.Error(), "pip install cfn-lint") {
		t.Errorf("required: got %v, want ErrToolsMissing saying how to install", err)
	}
}

// copyStack copies testdata/stack to a new directory and applies edit to
// each file's text (name → old → new).
func copyStack(tb testing.TB, edits map[string][][2]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for _, f := range []string{TemplateFile, "samconfig.toml", InformationalFile} {
		data, err := os.ReadFile(filepath.Join("testdata", "stack", f))
		if err != nil {
			tb.Fatal(err)
		}
		text := string(data)
		for _, e := range edits[f] {
			if !strings.Contains(text, e[0]) {
				tb.Fatalf("%s has no %q", f, e[0])
			}
			text = strings.Replace(text, e[0], e[1], 1)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// TestRun runs the whole check on a small stack (testdata/stack): it
// fails on an error, an informational finding the list does not accept, a
// stale entry of the list, and a template the translator refuses. (The
// passing run is the mage step's on template.yaml.)
func TestRun(t *testing.T) {
	for _, tt := range []struct {
		name    string
		edits   map[string][][2]string
		wantErr bool
		want    []string
	}{
		{"cfn-lint findings", map[string][][2]string{
			TemplateFile:      {{"Timeout: 10", "Timeout: 1000"}},
			InformationalFile: {{"Resources/FnGetPermissionProd]", "Resources/Gone]"}},
		}, true, []string{
			"  FAIL default                     us-east-2  1 errors, 0 warnings, 2 informational (1 listed in .cfnlint-informational.yaml)",
			"  FAIL as-written                  default    1 errors, 0 warnings, 0 informational (cfn-lint template.yaml: every parameter at its default)",
			"  cfn-lint E3034 Resources/Fn/Properties/Timeout: 1000 is greater than the maximum of 900\n      in every parameter set and as-written",
			"  cfn-lint I3042 Resources/FnGetPermissionProd/",
			"I3042 Resources/Gone (entry 1) matches no finding any more: remove it",
			"samcheck: by hand: python3 internal/samcheck/translate.py < .aws-sam/samcheck/translate.json",
		}},
		{"translator refusal", map[string][][2]string{
			TemplateFile: {{"Properties: {Path: /x, Method: GET}", "Properties: {Path: /x, Method: GET, Auth: {AuthorizationScopes: [api/read]}}"}},
		}, true, []string{
			"  FAIL secondary-alarm-email       us-west-2  0 errors, 0 warnings, 0 informational",
			"  SAM translator: Resource with id [Fn] is invalid. Event with id [Get] is invalid. AuthorizationScopes works only when Authorizer is set\n      in every parameter set",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Run(context.Background(), Options{Dir: copyStack(t, tt.edits), Out: &out})
			skipWithoutTools(t, err)
			if strings.Contains(out.String(), "SKIPPED") {
				skipWithoutTools(t, ErrToolsMissing)
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want error %v\n%s", err, tt.wantErr, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
