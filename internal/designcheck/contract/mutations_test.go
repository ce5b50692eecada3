package contract

import (
	"testing"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/designcheck/checktest"
)

var mutations = []checktest.Mutation{
	// parameter-sets
	{Name: "a parameter set the Rules refuse", Check: "parameter-sets", Want: "refused by Rules: rule DbCapacityRangeIsOrdered", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetOverride(tb, in, "primary", "DbMinCapacity", "8", false)
		checktest.SetOverride(tb, in, "primary", "DbMaxCapacity", "2", false)
	}},
	{Name: "override outside AllowedPattern", Check: "parameter-sets", Want: "does not match AllowedPattern", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetOverride(tb, in, "primary", "VpcCidr", "8.8.0.0/16", false)
	}},
	{Name: "override outside AllowedValues", Check: "parameter-sets", Want: "not one of", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetOverride(tb, in, "secondary", "DeletionProtection", "maybe", false)
	}},

	// rules
	{Name: "no rule for the peer API's region", Check: "rules", Want: "CloudFront front door without PeerRegion", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Del(in.Source.Section("Rules"), "PeerApiDomainHasPeerRegion")
	}},
	{Name: "no rule for the secondary's secret ARNs", Check: "rules", Want: "secondary without the primary's master secret", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Del(in.Source.Section("Rules"), "SecondaryReadsThePrimarysSecrets")
	}},
	{Name: "no rule for the replica key", Check: "rules", Want: "the replica key given to the secondary", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Del(in.Source.Section("Rules"), "PeerDbKeyArnEncryptsThePrimarysReplicas")
	}},
	{Name: "no capacity rule", Check: "rules", Want: "DbMinCapacity above DbMaxCapacity", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Del(in.Source.Section("Rules"), "DbCapacityRangeIsOrdered")
	}},
	{Name: "capacity assertion off by one step", Check: "rules", Want: "DbMinCapacity above DbMaxCapacity", Mutate: func(tb testing.TB, in *designcheck.Input) {
		a := checktest.At(tb, in.Source.Section("Rules"), "DbCapacityRangeIsOrdered", "Assertions", "2")
		designcheck.Set(a, "Assert", checktest.Node(tb, `!Or [!Not [!Equals [!Ref DbMinCapacity, "8"]], !Contains [["2", "4", "8", "16", "32", "64", "128", "256"], !Ref DbMaxCapacity]]`))
	}},
	{Name: "capacity rule too strict", Check: "rules", Want: "widest capacity range", Mutate: func(tb testing.TB, in *designcheck.Input) {
		a := checktest.At(tb, in.Source.Section("Rules"), "DbCapacityRangeIsOrdered", "Assertions")
		a.Content = append(a.Content, checktest.Node(tb, `{Assert: !Not [!Equals [!Ref DbMaxCapacity, "256"]], AssertDescription: at most 128}`))
	}},

	// parameters
	{Name: "contract default changed", Check: "parameters", Want: `PeerApiDomain: default must be ""`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(checktest.At(tb, in.Source.Section("Parameters"), "PeerApiDomain"), "Default", designcheck.Scalar(0, "none"))
	}},
	{Name: "contract parameter missing", Check: "parameters", Want: "AlarmEmail: missing", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Del(in.Source.Section("Parameters"), "AlarmEmail")
	}},
	{Name: "Role allowed values changed", Check: "parameters", Want: "AllowedValues", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(checktest.At(tb, in.Source.Section("Parameters"), "Role"), "AllowedValues", checktest.Node(tb, "[primary, secondary, tertiary]"))
	}},
	{Name: "extra parameter without default", Check: "parameters", Want: "mage would not set it", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(in.Source.Section("Parameters"), "ExtraKnob", checktest.Node(tb, "{Type: String}"))
	}},

	// outputs
	{Name: "output removed", Check: "outputs", Want: "ClusterArn: missing", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Del(in.Source.Section("Outputs"), "ClusterArn")
	}},
	{Name: "export renamed", Check: "outputs", Want: "Export.Name", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(checktest.At(tb, in.Source.Section("Outputs"), "ApiUrl", "Export"), "Name", checktest.Node(tb, `!Sub "${AWS::StackName}-Url"`))
	}},
	{Name: "front-door output in every stack", Check: "outputs", Want: "Outputs.DistributionId: present=true, want false", Sets: []string{"primary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		o := checktest.At(tb, in.Source.Section("Outputs"), "DistributionId")
		designcheck.Set(o, "Condition", checktest.Node(tb, "IsPrimary"))
	}},
	{Name: "front-door mode wrong", Check: "outputs", Want: `Outputs.FrontDoorMode: "cloudfront" (<nil>), want "none"`, Sets: []string{"primary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(checktest.At(tb, in.Source.Section("Outputs"), "FrontDoorMode"), "Value", checktest.Node(tb, "!If [Route53Mode, route53, cloudfront]"))
	}},

	// deployments
	{Name: "a rule that refuses every set", Check: "deployments", Want: "refused by Rules: rule Never: never", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(in.Source.Section("Rules"), "Never", checktest.Node(tb, `{Assertions: [{Assert: !Equals [a, b], AssertDescription: never}]}`))
	}},

	// mappings
	{Name: "FindInMap of a missing key", Check: "mappings", Want: "Fn::FindInMap Constants/Database/Nmae: no such entry in Mappings", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_NAME"}, "!FindInMap [Constants, Database, Nmae]")
	}},

	// samconfig
	{Name: "override names no parameter", Check: "samconfig", Want: "VpcCIDR, which is not a template parameter", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.RenameOverride(tb, in, "secondary", "VpcCidr", "VpcCIDR")
	}},
	{Name: "required parameter not given", Check: "samconfig", Want: "required parameter Role", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetOverride(tb, in, "secondary", "Role", "", true)
	}},
	{Name: "same VpcCidr in both regions", Check: "samconfig", Want: "overlaps", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetOverride(tb, in, "secondary", "VpcCidr", "10.10.0.0/16", false)
	}},
	{Name: "same region twice", Check: "samconfig", Want: "same region", Mutate: func(tb testing.TB, in *designcheck.Input) {
		in.SamConfig.Envs["secondary"].Commands["deploy"]["region"] = "us-east-1"
	}},
	{Name: "PeerRegion not the other region", Check: "samconfig", Want: "PeerRegion must name the other environment's region", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetOverride(tb, in, "primary", "PeerRegion", "eu-west-1", false)
	}},
	{Name: "global cluster ids differ", Check: "samconfig", Want: "GlobalClusterIdentifier differs", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetOverride(tb, in, "secondary", "GlobalClusterIdentifier", "other-global", false)
	}},
	{Name: "roles swapped", Check: "samconfig", Want: "Role must be primary", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetOverride(tb, in, "primary", "Role", "secondary", false)
	}},
	{Name: "capability missing", Check: "samconfig", Want: "CAPABILITY_AUTO_EXPAND", Mutate: func(tb testing.TB, in *designcheck.Input) {
		in.SamConfig.Envs["primary"].Commands["deploy"]["capabilities"] = "CAPABILITY_IAM"
	}},
	{Name: "no local_start_api", Check: "samconfig", Want: "no [secondary.local_start_api.parameters]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		delete(in.SamConfig.Envs["secondary"].Commands, "local_start_api")
	}},
	{Name: "sync deploys other parameters", Check: "samconfig", Want: "differ from [primary.deploy]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.EditOverrides(tb, in, "primary", "sync", func(ov map[string]string) { ov["VpcCidr"] = "10.11.0.0/16" })
	}},
	{Name: "local API resolves other parameters", Check: "samconfig", Want: "[secondary.local_start_api]: parameter_overrides differ from [secondary.deploy]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.EditOverrides(tb, in, "secondary", "local_start_api", func(ov map[string]string) { ov["Role"] = "primary" })
	}},
	{Name: "build resolves other parameters", Check: "samconfig", Want: "[default.build]: parameter_overrides differ from [default.deploy]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.EditOverrides(tb, in, "default", "build", func(ov map[string]string) { delete(ov, "AppName") })
	}},
	{Name: "local API without overrides", Check: "samconfig", Want: "[primary.local_start_api]: no parameter_overrides", Mutate: func(tb testing.TB, in *designcheck.Input) {
		delete(in.SamConfig.Envs["primary"].Commands["local_start_api"], "parameter_overrides")
	}},
	{Name: "dev stack collides with the primary", Check: "samconfig", Want: "physical names collide", Mutate: func(tb testing.TB, in *designcheck.Input) {
		in.SamConfig.Envs["default"].Commands["deploy"]["region"] = "us-east-1"
		checktest.SetOverride(tb, in, "default", "AppName", "", true)
	}},
	{Name: "passive region's minimum capacity left to the default", Check: "samconfig", Want: "[secondary]: DbMinCapacity is not set", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetOverride(tb, in, "secondary", "DbMinCapacity", "", true)
	}},
	{Name: "public CIDR", Check: "samconfig", Want: "not RFC 1918", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetOverride(tb, in, "default", "VpcCidr", "100.64.0.0/16", false)
	}},
	{Name: "SAM build cache on (keys on CodeUri, misses pkg/)", Check: "samconfig", Want: "cached = true", Mutate: func(tb testing.TB, in *designcheck.Input) {
		in.SamConfig.Envs["primary"].Commands["build"]["cached"] = true
	}},
	{Name: "wrong version", Check: "samconfig", Want: "version", Mutate: func(tb testing.TB, in *designcheck.Input) {
		in.SamConfig.Version = 0.2
	}},

	// envjson
	{Name: "env.json variable the template does not declare", Check: "envjson", Want: "TODOMGMT_DB_PASSWORD is not declared", Mutate: func(tb testing.TB, in *designcheck.Input) {
		in.EnvJSON["ApiFunction"]["TODOMGMT_DB_PASSWORD"] = "x"
	}},
	{Name: "env.json for a missing function", Check: "envjson", Want: "no such function", Mutate: func(tb testing.TB, in *designcheck.Input) {
		in.EnvJSON["WorkerFunction"] = map[string]string{"TODOMGMT_REGION": "local"}
	}},
	{Name: "env.json without a DSN", Check: "envjson", Want: "needs TODOMGMT_DB_DSN", Mutate: func(tb testing.TB, in *designcheck.Input) {
		delete(in.EnvJSON["ApiFunction"], "TODOMGMT_DB_DSN")
	}},
	{Name: "readiness output without a peer", Check: "outputs", Want: "Outputs.ReadinessFunctionName: present=false, want true", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Del(in.Source.Section("Outputs"), "ReadinessFunctionName")
		designcheck.Set(in.Source.Section("Outputs"), "ReadinessFunctionName", checktest.Node(tb, `{Condition: Route53Mode, Value: !Ref ReadinessFunction, Export: {Name: !Sub "${AWS::StackName}-ReadinessFunctionName"}}`))
	}},
	{Name: "no rule for the store given to the primary", Check: "rules", Want: "the front door's store given to the primary", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Del(in.Source.Section("Rules"), "FrontDoorKeyValueStoreArnIsForTheSecondary")
	}},
}
