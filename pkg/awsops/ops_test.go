package awsops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/awsfailover"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/console"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

func TestPlannedSwitchoverAndFailbackOverTheAdapters(t *testing.T) {
	f, _, e, _ := deployment(t, east)
	rec := &orchestrator.Recorder{}
	o, err := e.Orchestrator(console.FlagConfirmation{Value: west}, rec)
	if err != nil {
		t.Fatal(err)
	}
	o.Clock = awstest.NewClock(time.Now())
	o.Timeouts = orchestrator.Timeouts{Poll: time.Second}
	r, err := o.Run(context.Background(), failover.KindPlanned, plan.Options{})
	if err != nil {
		t.Fatalf("switchover: %v\n%s", err, r)
	}
	if !r.Verified || r.To != west {
		t.Errorf("report %s", r)
	}
	// Failback: the same command; the confirmation names the new target.
	o.Approver = console.FlagConfirmation{Value: east}
	if r, err = o.Run(context.Background(), failover.KindPlanned, plan.Options{}); err != nil || r.To != east {
		t.Fatalf("failback: %v\n%s", err, r)
	}
	// Each switchover is followed by the id fence in the new writer's
	// region, without a gap.
	want := []string{
		"us-east-1 SwitchoverGlobalCluster " + westARN,
		"us-west-2 Invoke todomgmt-migrate fence-ids region=us-west-2 dataLoss=false lag=0s",
		"global PutKey active-region=us-west-2",
		"us-west-2 SwitchoverGlobalCluster " + eastARN,
		"us-east-1 Invoke todomgmt-migrate fence-ids region=us-east-1 dataLoss=false lag=0s",
		"global PutKey active-region=us-east-1",
	}
	if diff := cmp.Diff(want, f.Log("SwitchoverGlobalCluster", "PutKey", "Invoke")); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if r.Fence == nil || r.Fence.Term != 3 || r.Fence.Gap != 0 || r.Fence.Region != east {
		t.Errorf("failback's fence %+v, want term 3 naming %s without a gap", r.Fence, east)
	}
}

// TestRerunFinishesARunWhoseWriteCheckFailed: the record of the last run
// outlives the process (a file next to the saved stacks), so the same
// command run again checks the write instead of switching back.
func TestRerunFinishesARunWhoseWriteCheckFailed(t *testing.T) {
	f, a, e, _ := deployment(t, east)
	run := func(confirm string) (orchestrator.Report, error) {
		t.Helper()
		// A new Env each time, as each mage run opens its own.
		e, err := Open(context.Background(), testConfig(), e.Clients, OpenOptions{Out: io.Discard, Warnings: io.Discard, CacheDir: f.CacheDir})
		if err != nil {
			t.Fatal(err)
		}
		o, err := e.Orchestrator(console.FlagConfirmation{Value: confirm}, nil)
		if err != nil {
			t.Fatal(err)
		}
		o.Clock = awstest.NewClock(time.Now())
		o.Timeouts = orchestrator.Timeouts{Poll: time.Second, Verify: 30 * time.Second}
		return o.Run(context.Background(), failover.KindPlanned, plan.Options{})
	}
	a.Down["fd"] = true // the front door fails every write
	if r, err := run(west); err == nil || r.Verified {
		t.Fatalf("first run: %v (verified=%t), want the write check to fail", err, r.Verified)
	}
	rf, _ := RunFileOf(e)
	last, ok, err := rf.LastRun(context.Background())
	if err != nil || !ok || last.Verified || last.To != west || last.Kind != failover.KindPlanned {
		t.Fatalf("record %+v, %t, %v; want an unverified planned run to %s", last, ok, err, west)
	}
	if !strings.HasPrefix(rf.Path, f.CacheDir) {
		t.Errorf("record at %s, want it under the cache directory %s", rf.Path, f.CacheDir)
	}
	moves := []string{"us-east-1 SwitchoverGlobalCluster " + westARN, "global PutKey active-region=us-west-2"}
	if diff := cmp.Diff(moves, f.Log("SwitchoverGlobalCluster", "PutKey")); diff != "" {
		t.Fatalf("first run's calls (-want +got):\n%s", diff)
	}

	a.Down["fd"] = false
	if r, err := run(west); err != nil || !r.Verified || r.To != west {
		t.Fatalf("re-run: %v\n%s", err, r)
	}
	if diff := cmp.Diff(moves, f.Log("SwitchoverGlobalCluster", "PutKey")); diff != "" {
		t.Errorf("the re-run moved something (-want +got):\n%s", diff)
	}
	// Verified now: the next run is a failback.
	if r, err := run(east); err != nil || !r.Verified || r.To != east {
		t.Fatalf("failback: %v\n%s", err, r)
	}
}

func TestUnplannedFailoverOverTheAdapters(t *testing.T) {
	f, a, e, _ := deployment(t, east)
	a.Down[east] = true // the primary region's API is gone
	f.Clusters[eastARN].Status = ""
	o, err := e.Orchestrator(console.FlagConfirmation{Value: west}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Clock = awstest.NewClock(time.Now())
	o.Timeouts = orchestrator.Timeouts{Poll: time.Second}
	r, err := o.Run(context.Background(), failover.KindUnplanned, plan.Options{})
	if err != nil {
		t.Fatalf("failover: %v\n%s", err, r)
	}
	want := []string{
		"global PutKey active-region=us-west-2",
		"us-west-2 FailoverGlobalCluster " + westARN + " allowDataLoss=true",
		"us-west-2 Invoke todomgmt-migrate fence-ids region=us-west-2 dataLoss=true lag=0.15s",
	}
	if diff := cmp.Diff(want, f.Log("PutKey", "FailoverGlobalCluster", "SwitchoverGlobalCluster", "Invoke")); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if !r.LagKnown || r.Lag != 150*time.Millisecond {
		t.Errorf("lag %s known=%t, want the CloudWatch lag 150ms", r.Lag, r.LagKnown)
	}
	if ev := r.LagEvidence; ev == nil || !ev.Known || ev.Region != west || len(ev.Used) != 3 {
		t.Errorf("lag evidence %+v, want the three lag metrics' datapoints of %s", ev, west)
	}
	if r.Fence == nil || r.Fence.Term != 2 || r.Fence.Gap != 1_000_000 || r.Fence.Skipped {
		t.Errorf("fence %+v, want term 2 with the store's gap", r.Fence)
	}
	for _, want := range []string{"id fence: term 2 names us-west-2: next id ≥ 1000101 (largest id here 100, gap 1000000", "loss bound: 150ms from 3 datapoint(s) of us-west-2's lag history"} {
		if !strings.Contains(r.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, r)
		}
	}
	if !strings.Contains(r.RecoverySnapshotNote, "none yet") {
		t.Errorf("snapshot note %q, want none yet", r.RecoverySnapshotNote)
	}
}

func TestStatus(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(*awstest.AWS, *awstest.API)
		want  []string
	}{
		{"consistent", func(*awstest.AWS, *awstest.API) {}, nil},
		{"traffic routed to the reader", func(f *awstest.AWS, _ *awstest.API) { f.KVSValue = aws.String(west) },
			[]string{"the front door sends traffic to us-west-2 but the writer is in us-east-1"}},
		{"secondary API down", func(_ *awstest.AWS, a *awstest.API) { a.Down[west] = true },
			[]string{"the API in us-west-2 does not answer: 502 Bad Gateway: not a health answer"}},
		{"proxy without target in the writer region", func(f *awstest.AWS, _ *awstest.API) { f.Clusters[eastARN].ProxyState = rdstypes.TargetStateUnavailable },
			[]string{"the proxy in the writer region us-east-1 has no available target: 0/1 available (UNAVAILABLE CONNECTION_FAILED)"}},
		{"the passive region's proxy cannot log in (stale credentials)", func(f *awstest.AWS, _ *awstest.API) {
			f.Clusters[westARN].ProxyState, f.Clusters[westARN].ProxyReason = rdstypes.TargetStateUnavailable, rdstypes.TargetHealthReasonAuthFailure
		}, []string{"the proxy in us-west-2 cannot authenticate to the database (AUTH_FAILURE on 1 of 1 targets: UNAVAILABLE AUTH_FAILURE): the secret it reads does not match"}},
		{"an alarm in ALARM in the passive region", func(f *awstest.AWS, _ *awstest.API) {
			f.RegionAlarms[west] = []cwtypes.MetricAlarm{
				awstest.Alarm("todomgmt-api-5xx", awstest.TopicARN(west), cwtypes.StateValueOk, ""),
				awstest.Alarm("todomgmt-replication-lag", awstest.TopicARN(west), cwtypes.StateValueAlarm, "Threshold Crossed: 3 out of the last 5 datapoints were greater than the threshold (2000.0)"),
			}
		}, []string{"alarm todomgmt-replication-lag in us-west-2 is in ALARM: Threshold Crossed: 3 out of the last 5"}},
		{"another app's alarms are not ours", func(f *awstest.AWS, _ *awstest.API) {
			f.RegionAlarms[east] = []cwtypes.MetricAlarm{awstest.Alarm("todomgmt-dev-api-5xx", "arn:aws:sns:us-east-1:111122223333:todomgmt-dev-alarms", cwtypes.StateValueAlarm, "x")}
		}, nil},
		{"the routing alarm's ALARM is a route, not a fault", func(f *awstest.AWS, _ *awstest.API) {
			f.Stacks[1].Outputs["RoutingAlarmName"] = "todomgmt-primary-enabled"
			f.RegionAlarms[west] = []cwtypes.MetricAlarm{awstest.Alarm("todomgmt-primary-enabled", awstest.TopicARN(west), cwtypes.StateValueAlarm, "PrimaryEnabled < 1")}
		}, nil},
		{"CloudWatch in the passive region does not answer", func(f *awstest.AWS, _ *awstest.API) {
			f.CWDown[west] = errors.New("dial tcp: i/o timeout")
		}, []string{"cannot read the alarms in us-west-2: CloudWatch in us-west-2 does not answer"}},
		{"a replica that stopped replicating", func(f *awstest.AWS, _ *awstest.API) {
			f.Replicas[awstest.AppSecretARN][0].Status, f.Replicas[awstest.AppSecretARN][0].StatusMessage = smtypes.StatusTypeFailed, aws.String("Access to KMS is not allowed")
		}, []string{"the replica of " + awstest.AppSecretARN + " in us-west-2 failed to replicate (Access to KMS is not allowed)"}},
		{"a secret without a replica in the secondary's region", func(f *awstest.AWS, _ *awstest.API) { f.Replicas[awstest.MasterSecretARN] = nil },
			[]string{"secret " + awstest.MasterSecretARN + " has no replica in us-west-2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, a, _, _ := deployment(t, east)
			tt.setup(f, a)
			// Described after the setup, which may change the stacks.
			e := openEnv(t, f, &strings.Builder{})
			e.Clients.HTTP = a.Server.Client()
			st, err := ReadStatus(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			got := st.Problems()
			if len(tt.want) != len(got) {
				t.Fatalf("problems %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %q, want it to start with %q", got[i], tt.want[i])
				}
			}
			var b strings.Builder
			if err := st.Write(&b); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"UPDATE_COMPLETE", "writer", "reader", "150ms", "<- front door", "front door: cloudfront",
				"ALARMS", "none in ALARM", "dashboard us-east-1: https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/todomgmt-us-east-1",
				"dashboard us-west-2: https://console.aws.amazon.com/cloudwatch/home?region=us-west-2#dashboards/dashboard/todomgmt-us-west-2"} {
				if !strings.Contains(b.String(), want) {
					t.Errorf("status lacks %q:\n%s", want, b.String())
				}
			}
		})
	}
}

func TestStatusWithoutStacks(t *testing.T) {
	f := awstest.New(t, east)
	f.Stacks = nil
	e := openEnv(t, f, &strings.Builder{})
	_, err := ReadStatus(context.Background(), e)
	if err == nil || !strings.Contains(err.Error(), "stack todomgmt-primary not found in us-east-1") || !strings.Contains(err.Error(), "go tool mage deploy") {
		t.Fatalf("error %v, want one naming the missing stacks and the fix", err)
	}
}

func TestRouterFromTheStacks(t *testing.T) {
	for _, tt := range []struct {
		mode string
		want string
	}{
		{"cloudfront", "*awsfailover.KVSRouter"},
		{"route53", "*awsfailover.MetricRouter"},
		{"none", "no front door"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			f := awstest.New(t, east)
			for _, s := range f.Stacks {
				s.Outputs["FrontDoorMode"] = tt.mode
			}
			f.Stacks[1].Outputs["RoutingAlarmName"] = "todomgmt-primary-enabled"
			e := openEnv(t, f, &strings.Builder{})
			r, err := e.Router()
			switch v := r.(type) {
			case *awsfailover.KVSRouter:
				if tt.want != "*awsfailover.KVSRouter" || v.ARN != kvsARN || v.Fallback != east {
					t.Errorf("router %+v, want %s", v, tt.want)
				}
			case *awsfailover.MetricRouter:
				if tt.want != "*awsfailover.MetricRouter" || v.StandbyRegion != west || v.PrimaryRegion != east || v.AlarmName != "todomgmt-primary-enabled" || v.AppName != "todomgmt" {
					t.Errorf("router %+v, want %s", v, tt.want)
				}
			default:
				if !errors.Is(err, awsfailover.ErrNoFrontDoor) {
					t.Errorf("router %v, %v; want ErrNoFrontDoor", r, err)
				}
			}
		})
	}
}

// TestUnplannedFailoverWithTheLostRegionsCognitoHanging: the write check
// gets its token from the target region's pool, under its own deadline,
// so a hanging Cognito in the lost region does not fail a failover that
// worked.
func TestUnplannedFailoverWithTheLostRegionsCognitoHanging(t *testing.T) {
	f, a, e, _ := deployment(t, east)
	a.Down[east] = true
	f.Clusters[eastARN].Status = ""
	f.CognitoHang[east] = true
	o, err := e.Orchestrator(console.FlagConfirmation{Value: west}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Clock = awstest.NewClock(time.Now())
	// Short real deadlines: a token fetch that asked the lost region
	// first would spend every attempt's budget there.
	o.Timeouts = orchestrator.Timeouts{Poll: time.Second, Probe: 300 * time.Millisecond, Verify: 10 * time.Second}
	r, err := o.Run(context.Background(), failover.KindUnplanned, plan.Options{})
	if err != nil || !r.Verified {
		t.Fatalf("failover: %v\n%s", err, r)
	}
	if n := countPrefix(f.Log("DescribeUserPoolClient"), east); n != 0 {
		t.Errorf("%d DescribeUserPoolClient calls in the lost region %s, want none", n, east)
	}
}

func TestProberVerifyWrite(t *testing.T) {
	f, a, e, _ := deployment(t, east)
	p := e.Prober()
	region, err := p.VerifyWrite(context.Background())
	if err != nil || region != east {
		t.Fatalf("VerifyWrite = %q, %v; want %s", region, err, east)
	}
	if n := len(a.Todos()); n != 0 {
		t.Errorf("the check left %d todos behind", n)
	}
	// Routed to the reader: the write is refused with region_passive.
	f.KVSValue = aws.String(west)
	_, err = p.VerifyWrite(context.Background())
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "region_passive") {
		t.Errorf("VerifyWrite routed to the reader: %v, want 503 region_passive", err)
	}
}

func TestProberHealth(t *testing.T) {
	_, a, e, _ := deployment(t, east)
	p := e.Prober()
	h, err := p.Health(context.Background(), west)
	if err != nil || !h.OK || h.Role != "passive" || h.Region != west {
		t.Errorf("Health(%s) = %+v, %v; want OK passive", west, h, err)
	}
	a.Down[east] = true
	h, err = p.Health(context.Background(), east)
	if err != nil || h.OK || !strings.Contains(h.Detail, "502") {
		t.Errorf("Health(%s) down = %+v, %v; want not OK with the status", east, h, err)
	}
	if _, err := p.Health(context.Background(), "eu-west-1"); err == nil {
		t.Errorf("Health of an unknown region: no error")
	}
}

func TestSmoke(t *testing.T) {
	for _, tt := range []struct {
		name    string
		setup   func(*awstest.AWS, *awstest.API)
		wantErr string
	}{
		{"healthy", func(*awstest.AWS, *awstest.API) {}, ""},
		{"front door to the reader", func(f *awstest.AWS, _ *awstest.API) { f.KVSValue = aws.String(west) }, "smoke failed: front door"},
		{"secondary down", func(_ *awstest.AWS, a *awstest.API) { a.Down[west] = true }, "smoke failed: us-west-2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, a, e, out := deployment(t, east)
			tt.setup(f, a)
			s := &Smoke{Prober: e.Prober().Prober, Out: out, Clock: awstest.NewClock(time.Now())}
			err := s.Run(context.Background())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("smoke: %v\n%s", err, out)
				}
				for _, want := range []string{"ok   front door", "ok   us-east-1 (active)", "ok   us-west-2 (passive)", "write refused (region_passive)"} {
					if !strings.Contains(out.String(), want) {
						t.Errorf("output lacks %q:\n%s", want, out)
					}
				}
				if n := len(a.Todos()); n != 0 {
					t.Errorf("smoke left %d todos", n)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("smoke error %v, want %q\n%s", err, tt.wantErr, out)
			}
		})
	}
}

func TestConfigFrom(t *testing.T) {
	const good = `version = 0.1
[primary.deploy.parameters]
stack_name = "todomgmt-primary"
region = "us-east-1"
parameter_overrides = "Role=primary AppName=todo2 GlobalClusterIdentifier=g PeerRegion=us-west-2"
[secondary.deploy.parameters]
stack_name = "todomgmt-secondary"
region = "us-west-2"
parameter_overrides = "Role=secondary AppName=todo2 GlobalClusterIdentifier=g PeerRegion=us-east-1"
`
	for _, tt := range []struct {
		name, toml, wantErr string
	}{
		{"good", good, ""},
		{"no secondary", good[:strings.Index(good, "[secondary")], "no [secondary] environment"},
		{"no region", strings.Replace(good, `region = "us-west-2"`, "", 1), "needs region and stack_name"},
		{"same region", strings.Replace(good, `region = "us-west-2"`, `region = "us-east-1"`, 1), "both in us-east-1"},
		{"bad overrides", strings.Replace(good, `"Role=secondary`, `"Role=\"secondary`, 1), "parameter_overrides"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := samconfig.Parse([]byte(tt.toml))
			if err != nil {
				t.Fatal(err)
			}
			c, err := ConfigFrom(sc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Primary.Region != east || c.Secondary.StackName != "todomgmt-secondary" || c.AppName() != "todo2" {
				t.Errorf("config %+v", c)
			}
		})
	}
}

func TestConfigTarget(t *testing.T) {
	c := testConfig()
	for _, tt := range []struct {
		role   string
		want   Target
		wantOK bool
	}{
		{RolePrimary, c.Primary, true},
		{RoleSecondary, c.Secondary, true},
		{east, Target{}, false},
	} {
		t.Run(tt.role, func(t *testing.T) {
			got, ok := c.Target(tt.role)
			if ok != tt.wantOK {
				t.Fatalf("ok %t, want %t", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("target (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadSamconfigMissing(t *testing.T) {
	_, err := LoadSamconfig(t.TempDir() + "/samconfig.toml")
	if err == nil || !strings.Contains(err.Error(), "run mage from the repository root") {
		t.Errorf("error %v, want a hint", err)
	}
}

// TestUnplannedFailoverWithTheLostRegionsCloudFormationDown: a lost region
// does not describe its stack either: it refuses, or it leaves the call
// hanging, which Open bounds. The unplanned failover still runs, on the
// primary stack's saved outputs (the front door's KeyValueStore lives
// there) or, with nothing saved, on the operator's TODOMGMT_KVS_ARN and
// TODOMGMT_FRONT_DOOR_URL; deploy and destroy refuse to act on either.
func TestUnplannedFailoverWithTheLostRegionsCloudFormationDown(t *testing.T) {
	for _, tt := range []struct {
		name      string
		hang      bool
		saved     bool
		overrides bool
	}{
		{name: "refuses, saved description", saved: true},
		{name: "hangs, saved description", hang: true, saved: true},
		{name: "hangs, nothing saved, overrides", hang: true, overrides: true},
		{name: "refuses, nothing saved, overrides", overrides: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, a, e, _ := deployment(t, east) // describes both stacks once: saved
			a.Down[east] = true
			f.Clusters[eastARN].Status = ""
			if tt.hang {
				f.CFNHang[east] = true
			} else {
				f.CFNDown[east] = &net503{}
			}
			var out, warn strings.Builder
			o := OpenOptions{Out: &out, Warnings: &warn, CacheDir: f.CacheDir, Timeout: 50 * time.Millisecond}
			if !tt.saved {
				o.CacheDir = t.TempDir()
			}
			if tt.overrides {
				o.KVSARN, o.FrontDoorURL = kvsARN, a.FrontDoor()
			}
			e, err := Open(context.Background(), testConfig(), e.Clients, o)
			if err != nil {
				t.Fatalf("Open with %s's CloudFormation down: %v", east, err)
			}
			if e.Primary == nil || e.Primary.Output("KeyValueStoreArn") != kvsARN || e.Saved[east] == "" || e.Saved[west] != "" {
				t.Fatalf("primary %+v saved %q, want the lost primary stack's outputs and a fresh secondary", e.Primary, e.Saved)
			}
			if !strings.Contains(warn.String(), "warning: CloudFormation in us-east-1 does not answer") {
				t.Errorf("no warning about the lost region's stack:\n%s", warn.String())
			}
			if strings.Contains(out.String(), "warning") {
				t.Errorf("a warning went to the output, not to the diagnostics:\n%s", out.String())
			}

			orch, err := e.Orchestrator(console.FlagConfirmation{Value: west}, nil)
			if err != nil {
				t.Fatal(err)
			}
			orch.Clock = awstest.NewClock(time.Now())
			orch.Timeouts = orchestrator.Timeouts{Poll: time.Second}
			if r, err := orch.Run(context.Background(), failover.KindUnplanned, plan.Options{}); err != nil || !r.Verified {
				t.Fatalf("failover: %v\n%s", err, r)
			}
			want := []string{"global PutKey active-region=us-west-2", "us-west-2 FailoverGlobalCluster " + westARN + " allowDataLoss=true"}
			if diff := cmp.Diff(want, f.Log("PutKey", "FailoverGlobalCluster")); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}

			// What deploy and destroy check first (pkg/awsdeploy's
			// TestDeployRefusesASavedDescription runs the deploy,
			// pkg/awsdestroy's TestDestroyRefusesASavedDescription the
			// destroy).
			if err := e.RequireFresh(); err == nil || !strings.Contains(err.Error(), "does not answer") {
				t.Errorf("RequireFresh: %v, want a refusal", err)
			}
			st, err := ReadStatus(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			if p := strings.Join(st.Problems(), "\n"); !strings.Contains(p, "CloudFormation in us-east-1 does not answer") {
				t.Errorf("status problems %q, want the unreachable CloudFormation", p)
			}
		})
	}
}

// TestOpenWithoutTheLostStack: nothing saved and no overrides is an error
// that names the way out.
func TestOpenWithoutTheLostStack(t *testing.T) {
	for _, hang := range []bool{false, true} {
		t.Run(fmt.Sprintf("hang=%t", hang), func(t *testing.T) {
			f := awstest.New(t, east)
			if hang {
				f.CFNHang[east] = true
			} else {
				f.CFNDown[east] = &net503{}
			}
			_, err := Open(context.Background(), testConfig(), f.Clients(), OpenOptions{Out: io.Discard, Warnings: io.Discard, CacheDir: t.TempDir(), Timeout: 50 * time.Millisecond})
			if err == nil || !strings.Contains(err.Error(), "TODOMGMT_KVS_ARN") || !strings.Contains(err.Error(), "TODOMGMT_FRONT_DOOR_URL") {
				t.Fatalf("Open error %v, want one naming TODOMGMT_KVS_ARN and TODOMGMT_FRONT_DOOR_URL", err)
			}
		})
	}
}
