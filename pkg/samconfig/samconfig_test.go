package samconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sample = `
version = 0.1

[default.global.parameters]
stack_name = "todomgmt-dev"
region = "eu-west-1"

[default.build.parameters]
cached = true
parallel = true

[primary.global.parameters]
region = "us-east-1"

[primary.deploy.parameters]
stack_name = "todomgmt-primary"
capabilities = "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"
resolve_s3 = true
parameter_overrides = "Role=primary AppName=todomgmt GlobalClusterIdentifier=todomgmt-global PeerRegion=us-west-2 VpcCidr=10.10.0.0/16 AlarmEmail=\"\" Note=\"two words\""

[secondary.deploy.parameters]
stack_name = "todomgmt-secondary"
region = "us-west-2"
capabilities = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
parameter_overrides = ["Role=secondary", "AppName=todomgmt", "PeerRegion=us-east-1", "Note=two words", "Quoted=\"x y\""]

[secondary.local_start_api.parameters]
env_vars = "env.json"
`

func TestParse(t *testing.T) {
	c, err := Parse([]byte(sample))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.Version != 0.1 {
		t.Errorf("version %v, want 0.1", c.Version)
	}
	for _, tt := range []struct {
		env, command           string
		region, stack, capabil string
	}{
		{"primary", "deploy", "us-east-1", "todomgmt-primary", "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"},
		{"primary", "sync", "us-east-1", "", ""},
		{"secondary", "deploy", "us-west-2", "todomgmt-secondary", "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"},
		{"default", "deploy", "eu-west-1", "todomgmt-dev", ""},
		{"secondary", "local-start-api", "", "", ""},
	} {
		t.Run(tt.env+"/"+tt.command, func(t *testing.T) {
			e, err := c.Env(tt.env)
			if err != nil {
				t.Fatal(err)
			}
			p := e.Params(tt.command)
			if got := p.Region(); got != tt.region {
				t.Errorf("region %q, want %q", got, tt.region)
			}
			if got := p.StackName(); got != tt.stack {
				t.Errorf("stack_name %q, want %q", got, tt.stack)
			}
			if got := p.String("capabilities"); got != tt.capabil {
				t.Errorf("capabilities %q, want %q", got, tt.capabil)
			}
		})
	}
	e, _ := c.Env("secondary")
	if got := e.Params("local_start_api").String("env_vars"); got != "env.json" {
		t.Errorf("env_vars %q, want env.json", got)
	}
	if got := c.Envs["default"].Params("build").String("cached"); got != "true" {
		t.Errorf("cached %q, want true", got)
	}
	if _, err := c.Env("tertiary"); err == nil || !strings.Contains(err.Error(), "default, primary, secondary") {
		t.Errorf("Env(tertiary) error %v, want one listing the environments", err)
	}
}

func TestParameterOverrides(t *testing.T) {
	c, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		env  string
		want map[string]string
	}{
		{"primary", map[string]string{"Role": "primary", "AppName": "todomgmt", "GlobalClusterIdentifier": "todomgmt-global",
			"PeerRegion": "us-west-2", "VpcCidr": "10.10.0.0/16", "AlarmEmail": "", "Note": "two words"}},
		{"secondary", map[string]string{"Role": "secondary", "AppName": "todomgmt", "PeerRegion": "us-east-1", "Note": "two words", "Quoted": "x y"}},
		{"default", map[string]string{}},
	} {
		t.Run(tt.env, func(t *testing.T) {
			got, err := c.Envs[tt.env].Params("deploy").ParameterOverrides()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("overrides (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseOverrides(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{in: "", want: map[string]string{}},
		{in: "A=1", want: map[string]string{"A": "1"}},
		{in: "  A=1   B=two\tC=3 ", want: map[string]string{"A": "1", "B": "two", "C": "3"}},
		{in: `A="x y" B='p q' C=""`, want: map[string]string{"A": "x y", "B": "p q", "C": ""}},
		{in: `A="say \"hi\""`, want: map[string]string{"A": `say "hi"`}},
		{in: "A= B=2", want: map[string]string{"A": "", "B": "2"}},
		{in: "A=arn:aws:cognito-idp:us-east-1:1:userpool/us-east-1_X B=a=b", want: map[string]string{"A": "arn:aws:cognito-idp:us-east-1:1:userpool/us-east-1_X", "B": "a=b"}},
		{in: "ParameterKey=Role,ParameterValue=primary ParameterKey=Note,ParameterValue=\"a b\"", want: map[string]string{"Role": "primary", "Note": "a b"}},
		{in: "A=1 A=2", want: map[string]string{"A": "2"}},
		// Backslashes as the SAM CLI reads them: a backslash keeps the
		// next character in the value; only \", \' and "\ " drop it.
		{in: `A="C:\temp dir" B=x\ y C='it\'s'`, want: map[string]string{"A": `C:\temp dir`, "B": "x y", "C": "it's"}},
		{in: "novalue", wantErr: "want Key=Value"},
		{in: "=1", wantErr: "want Key=Value"},
		{in: "Bad-Key=1", wantErr: "want Key=Value"},
		{in: `A="open`, wantErr: "unterminated double quote"},
		{in: `A='open`, wantErr: "unterminated single quote"},
		{in: `A="x"y`, wantErr: "unexpected"},
		{in: "ParameterKey=Role", wantErr: "ParameterKey=K,ParameterValue=V"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseOverrides(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseOverrides(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseOverrides(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseOverrides(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestFormatOverridesRoundTrips(t *testing.T) {
	in := map[string]string{"Role": "primary", "Empty": "", "Note": `two "quoted" words`, "Arn": "arn:aws:x:y", "Path": `C:\a dir`}
	args := FormatOverrides(in)
	want := []string{"Arn=arn:aws:x:y", `Empty=""`, `Note="two \"quoted\" words"`, `Path="C:\a dir"`, "Role=primary"}
	if diff := cmp.Diff(want, args); diff != "" {
		t.Errorf("FormatOverrides (-want +got):\n%s", diff)
	}
	back, err := ParseOverrides(strings.Join(args, " "))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"not toml", "version = ", "expected value"},
		{"env not a table", "primary = 3", "want a table of commands"},
		{"command not a table", "[primary]\ndeploy = 1", "want a table"},
		{"parameters not a table", "[primary.deploy]\nparameters = 1", "want a table"},
		{"version not a number", `version = "x"`, "want a number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) error %v, want it to contain %q", tt.in, err, tt.want)
			}
		})
	}
	c, err := Parse([]byte("[primary.deploy.parameters]\nparameter_overrides = 3"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Envs["primary"].Params("deploy").ParameterOverrides(); err == nil {
		t.Errorf("numeric parameter_overrides parsed, want an error")
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultPath)
	if err := os.WriteFile(path, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Envs) != 3 {
		t.Errorf("%d environments, want 3", len(c.Envs))
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml")); !os.IsNotExist(err) {
		t.Errorf("Load(missing) error %v, want not-exist", err)
	}
}
