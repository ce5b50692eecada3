//go:build integration

package designcheck_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/designcheck/checktest"
	"github.com/todomgmt/todomgmt/internal/samcheck"
)

// awsMutation breaks a copy of template.yaml in a way a check of this
// package used to catch before AWS's tools took its place: the SAM
// translator must refuse it (rule "translator"), or cfn-lint must report
// rule with a message containing want, for parameter set set.
type awsMutation struct {
	name   string
	rule   string
	want   string
	set    string
	mutate func(tb testing.TB, in *designcheck.Input)
}

// removedCheckMutations are the mutations of the checks that went when
// samcheck came (refs, refs-active, types, cycles, and the property names
// of SAM Schedule events): the translator or cfn-lint catches each one.
var removedCheckMutations = []awsMutation{
	{"condition on an unknown parameter", "E1020", "'Rolee' is not one of", "primary", func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(in.Source.Section("Conditions"), "IsPrimary", checktest.Node(tb, "!Equals [!Ref Rolee, primary]"))
	}},
	{"GetAtt of a missing resource", "E1010", "'DbProxyy' is not one of", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOST"}, "!GetAtt DbProxyy.Endpoint")
	}},
	{"Ref of a missing parameter", "E1020", "'VpcCidrr' is not one of", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Vpc", []string{"Properties", "CidrBlock"}, "!Ref VpcCidrr")
	}},
	{"GetAtt of an unknown attribute", "E1010", "'Endpoints' is not one of", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOST"}, "!GetAtt DbProxy.Endpoints")
	}},
	{"Sub variable naming nothing", "E6101", "'Apii' is not one of", "primary", func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(checktest.At(tb, in.Source.Section("Outputs"), "ApiUrl"), "Value", checktest.Node(tb, `!Sub "https://${Apii}.execute-api.${AWS::Region}.${AWS::URLSuffix}/prod"`))
	}},
	{"Sub attribute naming nothing", "E6101", "'Nope' is not one of", "primary", func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(checktest.At(tb, in.Source.Section("Outputs"), "ApiDomain"), "Value", checktest.Node(tb, `!Sub "${UserPool.Nope}"`))
	}},
	{"DependsOn a missing resource", "E3005", "'Nope' is not one of", "primary", func(tb testing.TB, in *designcheck.Input) {
		deps := checktest.At(tb, checktest.ResNode(tb, in, "Migration"), "DependsOn")
		deps.Content = append(deps.Content, designcheck.Scalar(0, "Nope"))
	}},
	{"resource Condition that does not exist", "E3015", "'IsTertiary' is not one of", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbReaderInstance2", []string{"Condition"}, "IsTertiary")
	}},
	{"Fn::If on an unknown condition", "E1028", "'HasNothing' is not one of", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbCluster", []string{"Properties", "DatabaseName"}, "!If [HasNothing, x, !Ref AWS::NoValue]")
	}},
	{"condition referencing a resource", "E1020", "'Vpc' is not one of", "primary", func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(in.Source.Section("Conditions"), "HasPeer", checktest.Node(tb, `!Not [!Equals [!Ref Vpc, ""]]`))
	}},
	{"SAM Version reference without AutoPublishAlias", "E1020", "'MigrateFunction.Version' is not one of", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "MigrateFunction", "Properties", "AutoPublishAlias")
	}},
	{"unconditional Ref to a primary-only secret", "W1001", "Ref to resource 'MasterSecret' that may not be available when condition 'IsPrimary' is False", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbProxy", []string{"Properties", "Auth", "0", "SecretArn"}, "!Ref MasterSecret")
	}},
	{"output referencing a conditional resource", "W1001", "GetAtt to resource 'FrontDoorKvs' that may not be available", "primary", func(tb testing.TB, in *designcheck.Input) {
		designcheck.Del(checktest.At(tb, in.Source.Section("Outputs"), "KeyValueStoreArn"), "Condition")
	}},
	{"required property missing", "E3003", "'EngineFamily' is a required property", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "DbProxy", "Properties", "EngineFamily")
	}},
	{"misspelt optional property (CloudFormation)", "E3002", "'PreferedBackupWindow' was unexpected. Did you mean 'PreferredBackupWindow'?", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.RenameKey(tb, checktest.At(tb, checktest.ResNode(tb, in, "DbCluster"), "Properties"), "PreferredBackupWindow", "PreferedBackupWindow")
	}},
	{"misspelt optional property (letter case)", "E3002", "'IdleClientTimeOut' was unexpected. Did you mean 'IdleClientTimeout'?", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.RenameKey(tb, checktest.At(tb, checktest.ResNode(tb, in, "DbProxy"), "Properties"), "IdleClientTimeout", "IdleClientTimeOut")
	}},
	{"misspelt SAM property", "translator", "property AutoPublishAlais not defined for resource of type AWS::Serverless::Function", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.RenameKey(tb, checktest.At(tb, checktest.ResNode(tb, in, "MigrateFunction"), "Properties"), "AutoPublishAlias", "AutoPublishAlais")
	}},
	{"misspelt resource attribute", "E3001", "'DeletionPolice' was unexpected. Did you mean 'DeletionPolicy'?", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.RenameKey(tb, checktest.ResNode(tb, in, "DbCluster"), "DeletionPolicy", "DeletionPolice")
	}},
	{"subnet group waits for the instance", "E3004", "Circular Dependencies for resource DbSubnetGroup", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbSubnetGroup", []string{"DependsOn"}, "DbInstance")
	}},
	{"API function names its own API (SAM writes the function into the API)", "E3004", "Circular Dependencies for resource ApiFunction. Circular dependency with [Api]", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_REGION"}, "!Ref Api")
	}},
	{"cycle only in the secondary", "E3004", "Circular Dependencies for resource AlarmTopic", "secondary", func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "AlarmTopic", []string{"Properties", "DisplayName"}, "!If [IsSecondary, !Ref Api5xxAlarm, alarms]")
	}},
	{"purge schedule with a CloudFormation property name", "translator", "property ScheduleExpression not defined for resource of type Schedule", "primary", func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "MigrateFunction", []string{"Properties", "Events", "PurgeIdempotencyKeys", "Properties", "ScheduleExpression"}, "rate(1 hour)")
	}},
}

// TestAWSToolsCatchTheRemovedChecksMutations runs each mutation through
// AWS's SAM translator and cfn-lint, as `go tool mage test` runs the
// template (internal/samcheck), and requires the finding that replaces
// the removed check. The unbroken template, linted the same way, has no
// error or warning, so each finding is the mutation's.
func TestAWSToolsCatchTheRemovedChecksMutations(t *testing.T) {
	dir := t.TempDir()
	var jobs []samcheck.Job
	sets := map[string]samcheck.ParameterSet{}
	for _, s := range checktest.Source(t).Sets {
		sets[s.Name] = s
	}
	path := checktest.Path(t, "template.yaml")
	controls := []string{"primary", "secondary"}
	for _, name := range controls {
		j := samcheck.JobFor(sets[name], path)
		j.Name = "control-" + name
		jobs = append(jobs, j)
	}
	for i, m := range removedCheckMutations {
		in := checktest.Source(t)
		m.mutate(t, in)
		data, err := in.Source.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		s, ok := sets[m.set]
		if !ok {
			t.Fatalf("%s: no parameter set %q", m.name, m.set)
		}
		jobs = append(jobs, samcheck.Job{Name: fmt.Sprintf("r%02d", i), Template: data, Region: s.Region, Params: s.Params, ArtifactPrefix: s.ArtifactPrefix})
	}
	ctx := context.Background()
	_, trs, err := samcheck.Translator{Workers: runtime.NumCPU()}.Translate(ctx, dir, jobs)
	checktest.SkipWithoutTools(t, err)
	if err != nil {
		t.Fatal(err)
	}
	var targets []samcheck.Target
	for i, tr := range trs {
		if len(tr.Errors) == 0 {
			targets = append(targets, samcheck.Target{Name: tr.Name, File: filepath.Base(tr.File), Region: jobs[i].Region, Params: jobs[i].Params})
		}
	}
	findings, err := samcheck.Linter{}.Lint(ctx, dir, targets)
	checktest.SkipWithoutTools(t, err)
	if err != nil {
		t.Fatal(err)
	}
	byTarget := map[string][]samcheck.Finding{}
	for _, f := range findings {
		byTarget[f.Target] = append(byTarget[f.Target], f)
	}
	for i, name := range controls {
		if len(trs[i].Errors) > 0 {
			t.Fatalf("the translator refuses the unbroken template for %s: %q", name, trs[i].Errors)
		}
		for _, f := range byTarget[trs[i].Name] {
			if f.Severity() != "informational" {
				t.Errorf("the unbroken template for %s: %s", name, f)
			}
		}
	}
	for i, m := range removedCheckMutations {
		tr := trs[len(controls)+i]
		t.Run(m.name, func(t *testing.T) {
			if m.rule == "translator" {
				if !strings.Contains(strings.Join(tr.Errors, "\n"), m.want) {
					t.Errorf("translator errors %q, want one containing %q", tr.Errors, m.want)
				}
				return
			}
			if len(tr.Errors) > 0 {
				t.Fatalf("the translator refuses it (%q); want cfn-lint's %s", tr.Errors, m.rule)
			}
			var got []string
			for _, f := range byTarget[tr.Name] {
				if f.Rule == m.rule && strings.Contains(f.Message, m.want) {
					return
				}
				got = append(got, f.Rule+" "+f.Message)
			}
			t.Errorf("cfn-lint findings %q, want %s containing %q", got, m.rule, m.want)
		})
	}
}
