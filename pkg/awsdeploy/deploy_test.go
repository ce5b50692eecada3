package awsdeploy

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

func TestPeerOverrides(t *testing.T) {
	f := awstest.New(t, east)
	e := openEnv(t, f, &strings.Builder{})
	o, needed, err := PeerOverrides(e.Config.Secondary, e.Secondary, e.Primary)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Role": "secondary", "AppName": "todomgmt", "PeerRegion": east, "GlobalClusterIdentifier": global,
		"PeerUserPoolArn":        "arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_POOL",
		"PeerApiDomain":          "api-us-east-1.execute-api.us-east-1.amazonaws.com",
		"PrimaryMasterSecretArn": awstest.MasterSecretARN, "PrimaryAppSecretArn": awstest.AppSecretARN,
		"FrontDoorKeyValueStoreArn": kvsARN}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("overrides (-want +got):\n%s", diff)
	}
	if !needed {
		t.Errorf("needed = false for a stack without peer parameters")
	}
	for _, k := range []string{"PeerUserPoolArn", "PeerApiDomain", "PrimaryMasterSecretArn"} {
		e.Secondary.Parameters[k] = want[k]
	}
	if _, needed, _ := PeerOverrides(e.Config.Secondary, e.Secondary, e.Primary); !needed {
		t.Errorf("needed = false while the stack lacks PrimaryAppSecretArn")
	}
	e.Secondary.Parameters["PrimaryAppSecretArn"] = want["PrimaryAppSecretArn"]
	if _, needed, _ := PeerOverrides(e.Config.Secondary, e.Secondary, e.Primary); !needed {
		t.Errorf("needed = false while the stack lacks the primary's KeyValueStore (its readiness function reads the route there)")
	}
	e.Secondary.Parameters["FrontDoorKeyValueStoreArn"] = kvsARN
	if _, needed, _ := PeerOverrides(e.Config.Secondary, e.Secondary, e.Primary); needed {
		t.Errorf("needed = true when the stack already has the peer's values")
	}
	// A primary without a KeyValueStore (Route 53 mode): the secondary
	// deploys without one.
	delete(e.Primary.Outputs, "KeyValueStoreArn")
	if o, _, err := PeerOverrides(e.Config.Secondary, e.Secondary, e.Primary); err != nil || o["FrontDoorKeyValueStoreArn"] != "" {
		t.Errorf("secondary with a primary lacking KeyValueStoreArn: %v, %v; want no error and the parameter empty", o, err)
	}
	e.Primary.Outputs["KeyValueStoreArn"] = kvsARN
	// The primary takes the secondary's key for the replicas, and no
	// secret ARN of its own.
	o, _, err = PeerOverrides(e.Config.Primary, e.Primary, e.Secondary)
	if err != nil || o["PeerDbKeyArn"] != "arn:aws:kms:us-west-2:111122223333:key/key-us-west-2" || o["PrimaryMasterSecretArn"] != "" {
		t.Errorf("primary: %v, %v; want PeerDbKeyArn from the secondary's DbKeyArn output", o, err)
	}
	// A secondary from before the DbKeyArn output: the primary deploys
	// without it (the replicas keep their key) rather than failing.
	delete(e.Secondary.Outputs, "DbKeyArn")
	if o, _, err := PeerOverrides(e.Config.Primary, e.Primary, e.Secondary); err != nil || o["PeerDbKeyArn"] != "" {
		t.Errorf("primary with a secondary lacking DbKeyArn: %v, %v; want no error and PeerDbKeyArn empty", o, err)
	}
	// A primary from before the secret outputs: the secondary cannot
	// deploy, and the error says what to do.
	delete(e.Primary.Outputs, "AppSecretArn")
	if _, _, err := PeerOverrides(e.Config.Secondary, e.Secondary, e.Primary); err == nil || !strings.Contains(err.Error(), "lacks the AppSecretArn output(s)") || !strings.Contains(err.Error(), "go tool mage deploy:primary") {
		t.Errorf("secondary with a primary lacking AppSecretArn: %v, want the missing output and the fix", err)
	}
	e.Primary.Outputs["AppSecretArn"] = awstest.AppSecretARN
	if e.Config.Secondary.Overrides["PeerUserPoolArn"] != "" {
		t.Errorf("PeerOverrides changed the samconfig overrides in place")
	}
	if _, _, err := PeerOverrides(e.Config.Secondary, e.Secondary, nil); err == nil {
		t.Errorf("no peer: no error")
	}
	bad := e.Config.Secondary
	bad.Overrides = map[string]string{"PeerRegion": "eu-west-1"}
	if _, _, err := PeerOverrides(bad, e.Secondary, e.Primary); err == nil || !strings.Contains(err.Error(), "PeerRegion=eu-west-1") {
		t.Errorf("mismatched PeerRegion: %v, want an error", err)
	}
}

func TestSamArgs(t *testing.T) {
	c := testConfig()
	if diff := cmp.Diff([]string{"build", "--config-env", "primary"}, SamBuildArgs(c.Primary)); diff != "" {
		t.Errorf("build args (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"deploy", "--config-env", "secondary", "--no-confirm-changeset", "--no-fail-on-empty-changeset"}, SamDeployArgs(c.Secondary, nil)); diff != "" {
		t.Errorf("deploy args (-want +got):\n%s", diff)
	}
	got := SamDeployArgs(c.Primary, map[string]string{"Role": "primary", "PeerApiDomain": "x.example", "AlarmEmail": ""})
	want := []string{"deploy", "--config-env", "primary", "--no-confirm-changeset", "--no-fail-on-empty-changeset",
		"--parameter-overrides", `AlarmEmail="" PeerApiDomain=x.example Role=primary`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deploy args with overrides (-want +got):\n%s", diff)
	}
	// What the SAM CLI reads back is what was meant.
	back, err := samconfig.ParseOverrides(got[len(got)-1])
	if err != nil || back["AlarmEmail"] != "" || back["PeerApiDomain"] != "x.example" || len(back) != 3 {
		t.Errorf("overrides read back %v, %v", back, err)
	}
}

func TestBuildEnv(t *testing.T) {
	want := map[string]string{"GOFLAGS": "-tags=lambda.norpc -trimpath -ldflags=-s", "CGO_ENABLED": "0"}
	if diff := cmp.Diff(want, BuildEnv()); diff != "" {
		t.Errorf("BuildEnv (-want +got):\n%s", diff)
	}
}

func TestSeedFrontDoor(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(*awstest.AWS)
		want  []string
	}{
		{"cloudfront, first creation", func(f *awstest.AWS) { f.KVSValue = nil }, []string{"global PutKey active-region=us-east-1"}},
		{"cloudfront, after a failover", func(f *awstest.AWS) { f.KVSValue = aws.String(west) }, nil},
		{"route53, first creation", func(f *awstest.AWS) {
			route53(f)
			f.Alarms["todomgmt-primary-enabled"] = cwtypes.StateValueInsufficientData
		}, []string{"us-west-2 PutMetricData ToDoMgmt/Routing/PrimaryEnabled=1"}},
		{"route53, routed to the standby", func(f *awstest.AWS) {
			route53(f)
			f.Alarms["todomgmt-primary-enabled"] = cwtypes.StateValueAlarm
		}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := awstest.New(t, east)
			tt.setup(f)
			e := openEnv(t, f, &strings.Builder{})
			msg, err := SeedFrontDoor(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, f.Log("PutKey", "PutMetricData")); diff != "" {
				t.Errorf("writes (-want +got):\n%s\n(%s)", diff, msg)
			}
		})
	}
}

func route53(f *awstest.AWS) {
	for _, s := range f.Stacks {
		s.Outputs["FrontDoorMode"] = "route53"
	}
	f.Stacks[1].Outputs["RoutingAlarmName"] = "todomgmt-primary-enabled"
}

func TestDeployOverrides(t *testing.T) {
	f := awstest.New(t, east)
	f.Stacks = f.Stacks[:1] // only the primary exists
	e := openEnv(t, f, &strings.Builder{})
	o, wired, err := DeployOverrides(e, e.Config.Primary)
	if err != nil || o != nil || wired {
		t.Fatalf("primary without a peer: %v, %t, %v; want samconfig's own overrides (nil)", o, wired, err)
	}
	o, wired, err = DeployOverrides(e, e.Config.Secondary)
	if err != nil || wired || o["PeerApiDomain"] != "api-us-east-1.execute-api.us-east-1.amazonaws.com" || o["Role"] != "secondary" {
		t.Fatalf("secondary with the primary deployed: %v, %t, %v; want samconfig's plus the primary's values", o, wired, err)
	}
	if o["PrimaryMasterSecretArn"] != awstest.MasterSecretARN || o["PrimaryAppSecretArn"] != awstest.AppSecretARN {
		t.Fatalf("secondary with the primary deployed: %v; want the primary's secret ARNs", o)
	}
	// The secondary alone cannot be deployed: its proxy reads the
	// replicas of the primary's secrets.
	f = awstest.New(t, east)
	f.Stacks = f.Stacks[1:]
	e = openEnv(t, f, &strings.Builder{})
	if _, _, err := DeployOverrides(e, e.Config.Secondary); err == nil || !strings.Contains(err.Error(), "deploy the primary first") {
		t.Fatalf("secondary without the primary: %v, want an error saying to deploy the primary first", err)
	}
	// Redeploying a wired primary keeps its peer's values.
	f = awstest.New(t, east)
	f.Stacks[0].Parameters["PeerUserPoolArn"] = f.Stacks[1].Outputs["UserPoolArn"]
	f.Stacks[0].Parameters["PeerApiDomain"] = f.Stacks[1].Outputs["ApiDomain"]
	f.Stacks[0].Parameters["PeerDbKeyArn"] = f.Stacks[1].Outputs["DbKeyArn"]
	e = openEnv(t, f, &strings.Builder{})
	o, wired, err = DeployOverrides(e, e.Config.Primary)
	if err != nil || !wired || o["PeerApiDomain"] != "api-us-west-2.execute-api.us-west-2.amazonaws.com" {
		t.Fatalf("wired primary: %v, %t, %v; want its peer values kept", o, wired, err)
	}
}
