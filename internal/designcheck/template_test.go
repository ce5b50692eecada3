package designcheck_test

import (
	"os"
	"slices"
	"testing"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/designcheck/checktest"
)

func TestMain(m *testing.M) { os.Exit(checktest.Main(m)) }

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
			tpl, err := designcheck.Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if got := checktest.JSON(designcheck.Get(tpl.Root, "v")); got != tt.want {
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
			if _, err := designcheck.Parse([]byte(tt.yaml)); err == nil {
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
		want, err := designcheck.Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		got, err := designcheck.ParseJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if !designcheck.EqualNodes(got.Root, want.Root) || checktest.JSON(got.Root) != checktest.JSON(want.Root) {
			t.Errorf("ParseJSON(%s) = %s, Parse gives %s", doc, checktest.JSON(got.Root), checktest.JSON(want.Root))
		}
		if r := designcheck.Get(got.Root, "Resources", "R"); r != nil && r.Line != 3 {
			t.Errorf("line of R: got %d, want 3", r.Line)
		}
	}
	if _, err := designcheck.ParseJSON([]byte(`[1]`)); err == nil {
		t.Error("ParseJSON of a list: no error")
	}
	if _, err := designcheck.ParseJSON([]byte(`{"a": `)); err == nil {
		t.Error("ParseJSON of a truncated document: no error")
	}
}

// TestMarshalRoundTrips: a template written back (as the mutation tests
// hand it to the translator) parses to the same tree.
func TestMarshalRoundTrips(t *testing.T) {
	in := checktest.Source(t)
	data, err := in.Source.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := designcheck.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !designcheck.EqualNodes(in.Source.Root, again.Root) {
		t.Error("template.yaml written back and parsed again differs from the original")
	}
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
		got, err := designcheck.SubVariables(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("SubVariables(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && !slices.Equal(got, tt.want) {
			t.Errorf("SubVariables(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestParameterSetsCoverTheModes: each parameter set deploys the
// resources of the mode it is named after, in the translator's output as
// CloudFormation evaluates it.
func TestParameterSetsCoverTheModes(t *testing.T) {
	in := checktest.Translated(t)
	ds := map[string]*designcheck.Deployment{}
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
