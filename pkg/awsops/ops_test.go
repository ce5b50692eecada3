package awsops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/console"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// deployment is the AWS fakes plus the fake HTTP surface, linked: the
// front door follows the KeyValueStore, writes succeed in the writer's
// region.
func deployment(tb testing.TB, writer string) (*fakeAWS, *fakeAPI, *Env, *strings.Builder) {
	tb.Helper()
	f := newFakeAWS(tb, writer)
	a := newFakeAPI(tb, writer)
	a.routeOf = func() string {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.kvsValue == nil {
			return east
		}
		return *f.kvsValue
	}
	a.writerOf = func() string {
		f.mu.Lock()
		defer f.mu.Unlock()
		w, _ := ParseClusterARN(f.global.writer)
		return w.Region
	}
	a.fencedOf = func() string {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.fence.region
	}
	wireAPI(f, a)
	var out strings.Builder
	e := openEnv(tb, f, &out)
	e.Clients.HTTP = a.srv.Client()
	return f, a, e, &out
}

func TestPlannedSwitchoverAndFailbackOverTheAdapters(t *testing.T) {
	f, _, e, _ := deployment(t, east)
	rec := &orchestrator.Recorder{}
	o, err := e.Orchestrator(console.FlagConfirmation{Value: west}, rec)
	if err != nil {
		t.Fatal(err)
	}
	o.Clock = &testClock{now: time.Now()}
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
		e, err := Open(context.Background(), testConfig(), e.Clients, OpenOptions{Out: io.Discard, Warnings: io.Discard, CacheDir: f.cacheDir})
		if err != nil {
			t.Fatal(err)
		}
		o, err := e.Orchestrator(console.FlagConfirmation{Value: confirm}, nil)
		if err != nil {
			t.Fatal(err)
		}
		o.Clock = &testClock{now: time.Now()}
		o.Timeouts = orchestrator.Timeouts{Poll: time.Second, Verify: 30 * time.Second}
		return o.Run(context.Background(), failover.KindPlanned, plan.Options{})
	}
	a.down["fd"] = true // the front door fails every write
	if r, err := run(west); err == nil || r.Verified {
		t.Fatalf("first run: %v (verified=%t), want the write check to fail", err, r.Verified)
	}
	rf, _ := RunFileOf(e)
	last, ok, err := rf.LastRun(context.Background())
	if err != nil || !ok || last.Verified || last.To != west || last.Kind != failover.KindPlanned {
		t.Fatalf("record %+v, %t, %v; want an unverified planned run to %s", last, ok, err, west)
	}
	if !strings.HasPrefix(rf.Path, f.cacheDir) {
		t.Errorf("record at %s, want it under the cache directory %s", rf.Path, f.cacheDir)
	}
	moves := []string{"us-east-1 SwitchoverGlobalCluster " + westARN, "global PutKey active-region=us-west-2"}
	if diff := cmp.Diff(moves, f.Log("SwitchoverGlobalCluster", "PutKey")); diff != "" {
		t.Fatalf("first run's calls (-want +got):\n%s", diff)
	}

	a.down["fd"] = false
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
	a.down[east] = true // the primary region's API is gone
	f.clusters[eastARN].status = ""
	o, err := e.Orchestrator(console.FlagConfirmation{Value: west}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Clock = &testClock{now: time.Now()}
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
		setup func(*fakeAWS, *fakeAPI)
		want  []string
	}{
		{"consistent", func(*fakeAWS, *fakeAPI) {}, nil},
		{"traffic routed to the reader", func(f *fakeAWS, _ *fakeAPI) { f.kvsValue = aws.String(west) },
			[]string{"the front door sends traffic to us-west-2 but the writer is in us-east-1"}},
		{"secondary API down", func(_ *fakeAWS, a *fakeAPI) { a.down[west] = true },
			[]string{"the API in us-west-2 does not answer: 502 Bad Gateway: not a health answer"}},
		{"proxy without target in the writer region", func(f *fakeAWS, _ *fakeAPI) { f.clusters[eastARN].proxyState = rdstypes.TargetStateUnavailable },
			[]string{"the proxy in the writer region us-east-1 has no available target: 0/1 available (UNAVAILABLE CONNECTION_FAILED)"}},
		{"the passive region's proxy cannot log in (stale credentials)", func(f *fakeAWS, _ *fakeAPI) {
			f.clusters[westARN].proxyState, f.clusters[westARN].proxyReason = rdstypes.TargetStateUnavailable, rdstypes.TargetHealthReasonAuthFailure
		}, []string{"the proxy in us-west-2 cannot authenticate to the database (AUTH_FAILURE on 1 of 1 targets: UNAVAILABLE AUTH_FAILURE): the secret it reads does not match"}},
		{"an alarm in ALARM in the passive region", func(f *fakeAWS, _ *fakeAPI) {
			f.regionAlarms[west] = []cwtypes.MetricAlarm{
				alarm("todomgmt-api-5xx", topicARN(west), cwtypes.StateValueOk, ""),
				alarm("todomgmt-replication-lag", topicARN(west), cwtypes.StateValueAlarm, "Threshold Crossed: 3 out of the last 5 datapoints were greater than the threshold (2000.0)"),
			}
		}, []string{"alarm todomgmt-replication-lag in us-west-2 is in ALARM: Threshold Crossed: 3 out of the last 5"}},
		{"another app's alarms are not ours", func(f *fakeAWS, _ *fakeAPI) {
			f.regionAlarms[east] = []cwtypes.MetricAlarm{alarm("todomgmt-dev-api-5xx", "arn:aws:sns:us-east-1:111122223333:todomgmt-dev-alarms", cwtypes.StateValueAlarm, "x")}
		}, nil},
		{"the routing alarm's ALARM is a route, not a fault", func(f *fakeAWS, _ *fakeAPI) {
			f.stacks[1].st.Outputs["RoutingAlarmName"] = "todomgmt-primary-enabled"
			f.regionAlarms[west] = []cwtypes.MetricAlarm{alarm("todomgmt-primary-enabled", topicARN(west), cwtypes.StateValueAlarm, "PrimaryEnabled < 1")}
		}, nil},
		{"CloudWatch in the passive region does not answer", func(f *fakeAWS, _ *fakeAPI) {
			f.cwDown[west] = errors.New("dial tcp: i/o timeout")
		}, []string{"cannot read the alarms in us-west-2: CloudWatch in us-west-2 does not answer"}},
		{"a replica that stopped replicating", func(f *fakeAWS, _ *fakeAPI) {
			f.replicas[appSecretARN][0].Status, f.replicas[appSecretARN][0].StatusMessage = smtypes.StatusTypeFailed, aws.String("Access to KMS is not allowed")
		}, []string{"the replica of " + appSecretARN + " in us-west-2 failed to replicate (Access to KMS is not allowed)"}},
		{"a secret without a replica in the secondary's region", func(f *fakeAWS, _ *fakeAPI) { f.replicas[masterSecretARN] = nil },
			[]string{"secret " + masterSecretARN + " has no replica in us-west-2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, a, _, _ := deployment(t, east)
			tt.setup(f, a)
			// Described after the setup, which may change the stacks.
			e := openEnv(t, f, &strings.Builder{})
			e.Clients.HTTP = a.srv.Client()
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
	f := newFakeAWS(t, east)
	f.stacks = nil
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
		{"cloudfront", "*awsops.KVSRouter"},
		{"route53", "*awsops.MetricRouter"},
		{"none", "no front door"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			f := newFakeAWS(t, east)
			for _, s := range f.stacks {
				s.st.Outputs["FrontDoorMode"] = tt.mode
			}
			f.stacks[1].st.Outputs["RoutingAlarmName"] = "todomgmt-primary-enabled"
			e := openEnv(t, f, &strings.Builder{})
			r, err := e.Router()
			switch v := r.(type) {
			case *KVSRouter:
				if tt.want != "*awsops.KVSRouter" || v.ARN != kvsARN || v.Fallback != east {
					t.Errorf("router %+v, want %s", v, tt.want)
				}
			case *MetricRouter:
				if tt.want != "*awsops.MetricRouter" || v.StandbyRegion != west || v.PrimaryRegion != east || v.AlarmName != "todomgmt-primary-enabled" || v.AppName != "todomgmt" {
					t.Errorf("router %+v, want %s", v, tt.want)
				}
			default:
				if !errors.Is(err, ErrNoFrontDoor) {
					t.Errorf("router %v, %v; want ErrNoFrontDoor", r, err)
				}
			}
		})
	}
}

func TestTokens(t *testing.T) {
	f, a, e, _ := deployment(t, east)
	tokens := &Tokens{Pools: e.Pools(), Clients: e.Clients}
	// The primary's pool client is broken: the secondary's issues the token.
	f.secrets["us-east-1_POOL"] = "wrong"
	tok, err := tokens.Token(context.Background())
	if err != nil || tok != "tok-1" {
		t.Fatalf("Token = %q, %v; want tok-1 from the secondary pool", tok, err)
	}
	if _, err := tokens.Token(context.Background()); err != nil || a.tokens != 1 {
		t.Errorf("second Token: %v, token endpoint called %d times, want the cached token", err, a.tokens)
	}
	calls := f.Log("DescribeUserPoolClient")
	if len(calls) != 2 || !strings.HasPrefix(calls[0], "us-east-1 ") || !strings.HasPrefix(calls[1], "us-west-2 ") {
		t.Errorf("DescribeUserPoolClient calls %q, want each pool read in its own region", calls)
	}
	// A failure never shows the secret.
	f.secrets["us-west-2_POOL"] = "wrong-too"
	_, err = (&Tokens{Pools: e.Pools(), Clients: e.Clients}).Token(context.Background())
	if err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %v, want a failure that does not contain the secret", err)
	}
}

// TestTokensWithALostRegion: the primary region's Cognito leaves calls
// hanging. Each pool's attempt is bounded, the region named first is
// asked first, and a pool that failed is passed over for a while.
func TestTokensWithALostRegion(t *testing.T) {
	for _, tt := range []struct {
		name   string
		prefer string
		// eastTries are the attempts on the hanging pool over three
		// fetches: now, again at once, and after the pass-over period.
		eastTries []int
	}{
		// The failover's target first: the lost pool is never asked.
		{name: "target first", prefer: west, eastTries: []int{0, 0, 0}},
		// No preference: the primary's pool first; it hangs until its
		// own timeout, then is passed over until the period ends.
		{name: "configuration order", eastTries: []int{1, 1, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, a, e, _ := deployment(t, east)
			f.cognitoHang[east] = true
			clock := &testClock{now: time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)}
			tokens := &Tokens{Pools: e.Pools(), Clients: e.Clients, PoolTimeout: 20 * time.Millisecond, PassOver: 2 * time.Minute, Now: clock.Now}
			for i, pause := range []time.Duration{0, time.Minute, 2 * time.Minute} {
				_ = clock.Sleep(context.Background(), pause)
				tokens.token = "" // as if it had expired
				tok, err := tokens.TokenFor(context.Background(), tt.prefer)
				if err != nil || tok != "tok-1" {
					t.Fatalf("fetch %d: Token = %q, %v; want tok-1 from %s's pool", i+1, tok, err, west)
				}
				if got := len(f.Log("DescribeUserPoolClient")) - countPrefix(f.Log("DescribeUserPoolClient"), west); got != tt.eastTries[i] {
					t.Errorf("fetch %d: %d attempts on the hanging pool in %s so far, want %d", i+1, got, east, tt.eastTries[i])
				}
			}
			if a.tokens != 3 {
				t.Errorf("token endpoint called %d times, want 3", a.tokens)
			}
		})
	}
}

func countPrefix(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix+" ") {
			n++
		}
	}
	return n
}

// TestUnplannedFailoverWithTheLostRegionsCognitoHanging: the write check
// gets its token from the target region's pool, under its own deadline,
// so a hanging Cognito in the lost region does not fail a failover that
// worked.
func TestUnplannedFailoverWithTheLostRegionsCognitoHanging(t *testing.T) {
	f, a, e, _ := deployment(t, east)
	a.down[east] = true
	f.clusters[eastARN].status = ""
	f.cognitoHang[east] = true
	o, err := e.Orchestrator(console.FlagConfirmation{Value: west}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Clock = &testClock{now: time.Now()}
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
	if len(a.todos) != 0 {
		t.Errorf("the check left %d todos behind", len(a.todos))
	}
	// Routed to the reader: the write is refused with region_passive.
	f.kvsValue = aws.String(west)
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
	a.down[east] = true
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
		setup   func(*fakeAWS, *fakeAPI)
		wantErr string
	}{
		{"healthy", func(*fakeAWS, *fakeAPI) {}, ""},
		{"front door to the reader", func(f *fakeAWS, _ *fakeAPI) { f.kvsValue = aws.String(west) }, "smoke failed: front door"},
		{"secondary down", func(_ *fakeAWS, a *fakeAPI) { a.down[west] = true }, "smoke failed: us-west-2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, a, e, out := deployment(t, east)
			tt.setup(f, a)
			s := &Smoke{Prober: e.Prober().Prober, Out: out, Clock: &testClock{now: time.Now()}}
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
				if len(a.todos) != 0 {
					t.Errorf("smoke left %d todos", len(a.todos))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("smoke error %v, want %q\n%s", err, tt.wantErr, out)
			}
		})
	}
}

func TestPeerOverrides(t *testing.T) {
	f := newFakeAWS(t, east)
	e := openEnv(t, f, &strings.Builder{})
	o, needed, err := PeerOverrides(e.Config.Secondary, e.Secondary, e.Primary)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Role": "secondary", "AppName": "todomgmt", "PeerRegion": east, "GlobalClusterIdentifier": global,
		"PeerUserPoolArn":        "arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_POOL",
		"PeerApiDomain":          "api-us-east-1.execute-api.us-east-1.amazonaws.com",
		"PrimaryMasterSecretArn": masterSecretARN, "PrimaryAppSecretArn": appSecretARN,
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
	e.Primary.Outputs["AppSecretArn"] = appSecretARN
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
		setup func(*fakeAWS)
		want  []string
	}{
		{"cloudfront, first creation", func(f *fakeAWS) { f.kvsValue = nil }, []string{"global PutKey active-region=us-east-1"}},
		{"cloudfront, after a failover", func(f *fakeAWS) { f.kvsValue = aws.String(west) }, nil},
		{"route53, first creation", func(f *fakeAWS) {
			route53(f)
			f.alarms["todomgmt-primary-enabled"] = cwtypes.StateValueInsufficientData
		}, []string{"us-west-2 PutMetricData ToDoMgmt/Routing/PrimaryEnabled=1"}},
		{"route53, routed to the standby", func(f *fakeAWS) {
			route53(f)
			f.alarms["todomgmt-primary-enabled"] = cwtypes.StateValueAlarm
		}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAWS(t, east)
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

func route53(f *fakeAWS) {
	for _, s := range f.stacks {
		s.st.Outputs["FrontDoorMode"] = "route53"
	}
	f.stacks[1].st.Outputs["RoutingAlarmName"] = "todomgmt-primary-enabled"
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

func TestLoadConfigWithoutCredentials(t *testing.T) {
	for _, tt := range []struct {
		name, profile, config string
		// wantCause is in the message when the cause says more than
		// "none found".
		wantCause string
	}{
		{name: "nothing configured"},
		// Like an expired SSO session: a profile whose credential source
		// fails. The operator must see why, not only "no credentials".
		{name: "failing credential source", profile: "broken",
			config: "[profile broken]\ncredential_process = false\n", wantCause: "credential_process"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
				t.Setenv(k, "")
			}
			dir := t.TempDir()
			if err := os.WriteFile(dir+"/config", []byte(tt.config), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("AWS_CONFIG_FILE", dir+"/config")
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			t.Setenv("AWS_PROFILE", tt.profile)
			_, err := LoadConfig(context.Background(), east)
			if !errors.Is(err, ErrNoCredentials) {
				t.Fatalf("error %v, want ErrNoCredentials", err)
			}
			if err.Error() == ErrNoCredentials.Error() {
				t.Errorf("error %q carries no cause", err)
			}
			if !strings.Contains(err.Error(), tt.wantCause) {
				t.Errorf("error %q, want the cause %q", err, tt.wantCause)
			}
		})
	}
}

func TestErrRouterAndHTTPClientDefaults(t *testing.T) {
	c := NewClients(aws.Config{Region: east})
	if c.HTTP == nil || c.HTTP.Timeout == 0 {
		t.Errorf("NewClients: HTTP client without timeout")
	}
	if c.RDS(east) != c.RDS(east) || c.RDS(east) == c.RDS(west) {
		t.Errorf("NewClients: clients are not cached per region")
	}
}

func TestDeployOverrides(t *testing.T) {
	f := newFakeAWS(t, east)
	f.stacks = f.stacks[:1] // only the primary exists
	e := openEnv(t, f, &strings.Builder{})
	o, wired, err := DeployOverrides(e, e.Config.Primary)
	if err != nil || o != nil || wired {
		t.Fatalf("primary without a peer: %v, %t, %v; want samconfig's own overrides (nil)", o, wired, err)
	}
	o, wired, err = DeployOverrides(e, e.Config.Secondary)
	if err != nil || wired || o["PeerApiDomain"] != "api-us-east-1.execute-api.us-east-1.amazonaws.com" || o["Role"] != "secondary" {
		t.Fatalf("secondary with the primary deployed: %v, %t, %v; want samconfig's plus the primary's values", o, wired, err)
	}
	if o["PrimaryMasterSecretArn"] != masterSecretARN || o["PrimaryAppSecretArn"] != appSecretARN {
		t.Fatalf("secondary with the primary deployed: %v; want the primary's secret ARNs", o)
	}
	// The secondary alone cannot be deployed: its proxy reads the
	// replicas of the primary's secrets.
	f = newFakeAWS(t, east)
	f.stacks = f.stacks[1:]
	e = openEnv(t, f, &strings.Builder{})
	if _, _, err := DeployOverrides(e, e.Config.Secondary); err == nil || !strings.Contains(err.Error(), "deploy the primary first") {
		t.Fatalf("secondary without the primary: %v, want an error saying to deploy the primary first", err)
	}
	// Redeploying a wired primary keeps its peer's values.
	f = newFakeAWS(t, east)
	f.stacks[0].st.Parameters["PeerUserPoolArn"] = f.stacks[1].st.Outputs["UserPoolArn"]
	f.stacks[0].st.Parameters["PeerApiDomain"] = f.stacks[1].st.Outputs["ApiDomain"]
	f.stacks[0].st.Parameters["PeerDbKeyArn"] = f.stacks[1].st.Outputs["DbKeyArn"]
	e = openEnv(t, f, &strings.Builder{})
	o, wired, err = DeployOverrides(e, e.Config.Primary)
	if err != nil || !wired || o["PeerApiDomain"] != "api-us-west-2.execute-api.us-west-2.amazonaws.com" {
		t.Fatalf("wired primary: %v, %t, %v; want its peer values kept", o, wired, err)
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
			a.down[east] = true
			f.clusters[eastARN].status = ""
			if tt.hang {
				f.cfnHang[east] = true
			} else {
				f.cfnDown[east] = &net503{}
			}
			var out, warn strings.Builder
			o := OpenOptions{Out: &out, Warnings: &warn, CacheDir: f.cacheDir, Timeout: 50 * time.Millisecond}
			if !tt.saved {
				o.CacheDir = t.TempDir()
			}
			if tt.overrides {
				o.KVSARN, o.FrontDoorURL = kvsARN, a.frontDoor()
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
			orch.Clock = &testClock{now: time.Now()}
			orch.Timeouts = orchestrator.Timeouts{Poll: time.Second}
			if r, err := orch.Run(context.Background(), failover.KindUnplanned, plan.Options{}); err != nil || !r.Verified {
				t.Fatalf("failover: %v\n%s", err, r)
			}
			want := []string{"global PutKey active-region=us-west-2", "us-west-2 FailoverGlobalCluster " + westARN + " allowDataLoss=true"}
			if diff := cmp.Diff(want, f.Log("PutKey", "FailoverGlobalCluster")); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}

			if _, _, err := DeployOverrides(e, e.Config.Primary); err == nil || !strings.Contains(err.Error(), "does not answer") {
				t.Errorf("deploy overrides: %v, want a refusal", err)
			}
			before := len(f.Log(mutating...))
			if _, err := (&Destroyer{Env: e, Confirm: console.FlagConfirmation{Value: "todomgmt"}}).Run(context.Background()); err == nil {
				t.Errorf("destroy on a saved description succeeded, want a refusal")
			}
			if calls := f.Log(mutating...)[before:]; len(calls) != 0 {
				t.Errorf("destroy made calls %q", calls)
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
			f := newFakeAWS(t, east)
			if hang {
				f.cfnHang[east] = true
			} else {
				f.cfnDown[east] = &net503{}
			}
			_, err := Open(context.Background(), testConfig(), f.clients(), OpenOptions{Out: io.Discard, Warnings: io.Discard, CacheDir: t.TempDir(), Timeout: 50 * time.Millisecond})
			if err == nil || !strings.Contains(err.Error(), "TODOMGMT_KVS_ARN") || !strings.Contains(err.Error(), "TODOMGMT_FRONT_DOOR_URL") {
				t.Fatalf("Open error %v, want one naming TODOMGMT_KVS_ARN and TODOMGMT_FRONT_DOOR_URL", err)
			}
		})
	}
}
