package readiness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/awsfailover"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

const (
	east = "us-east-1"
	west = "us-west-2"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// primaryEnv is the primary stack's function environment after the
// second deploy pass, as template.yaml sets it.
func primaryEnv() map[string]string {
	return map[string]string{
		EnvAppName: "todomgmt", EnvRegion: east, EnvPeerRegion: west, EnvPrimaryRegion: east,
		EnvGlobalCluster: "todomgmt-global", EnvProxyName: "todomgmt-proxy",
		EnvAPIURL: "https://a1.execute-api.us-east-1.amazonaws.com/prod", EnvPeerAPIURL: "https://b2.execute-api.us-west-2.amazonaws.com/prod/",
		EnvUserPoolID: "us-east-1_AAA", EnvPeerUserPoolARN: "arn:aws:cognito-idp:us-west-2:111122223333:userpool/us-west-2_BBB",
		EnvFrontDoorMode: "cloudfront", EnvKVSARN: "arn:aws:cloudfront::111122223333:key-value-store/0a1b",
		EnvDeletionProtection: "true", EnvBackupRetention: "7",
	}
}

func TestConfigFromEnv(t *testing.T) {
	c, err := ConfigFromEnv(env(primaryEnv()))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{AppName: "todomgmt", Region: east, PeerRegion: west, PrimaryRegion: east, GlobalClusterID: "todomgmt-global",
		ProxyName: "todomgmt-proxy", APIURL: "https://a1.execute-api.us-east-1.amazonaws.com/prod", PeerAPIURL: "https://b2.execute-api.us-west-2.amazonaws.com/prod",
		UserPoolID: "us-east-1_AAA", PeerUserPoolID: "us-west-2_BBB", FrontDoorMode: "cloudfront", KVSARN: "arn:aws:cloudfront::111122223333:key-value-store/0a1b",
		WantDeletionProtection: true, WantBackupRetention: 7 * 24 * time.Hour, ProbeTimeout: DefaultProbeTimeout}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		name string
		set  map[string]string
		want string
	}{
		{"missing region", map[string]string{EnvRegion: ""}, "TODOMGMT_REGION is not set"},
		{"same regions", map[string]string{EnvPeerRegion: east}, "are both us-east-1"},
		{"primary elsewhere", map[string]string{EnvPrimaryRegion: "eu-west-1"}, "is neither us-east-1 nor us-west-2"},
		{"peer pool not an ARN", map[string]string{EnvPeerUserPoolARN: "us-west-2_BBB"}, "is not a user pool ARN"},
		{"unknown front door", map[string]string{EnvFrontDoorMode: "nginx"}, "want cloudfront, route53 or none"},
		{"route53 without its alarm", map[string]string{EnvFrontDoorMode: "route53"}, "route53 needs TODOMGMT_ROUTING_ALARM"},
		{"protection not a bool", map[string]string{EnvDeletionProtection: "yes please"}, "want true or false"},
		{"retention out of range", map[string]string{EnvBackupRetention: "36"}, "from 1 to 35"},
		{"lag not a duration", map[string]string{EnvMaxLag: "5"}, "TODOMGMT_MAX_LAG=\"5\": want a positive Go duration"},
		{"probe timeout negative", map[string]string{EnvProbeTimeout: "-1s"}, "TODOMGMT_PROBE_TIMEOUT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := primaryEnv()
			for k, v := range tt.set {
				e[k] = v
			}
			_, err := ConfigFromEnv(env(e))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestNewWiresTheAdapters: the front door of each mode, the regions, the
// proxies, the APIs and pools known so far.
func TestNewWiresTheAdapters(t *testing.T) {
	clients := awsclient.New(aws.Config{Region: east})
	cfg, err := ConfigFromEnv(env(primaryEnv()))
	if err != nil {
		t.Fatal(err)
	}
	c := New(cfg, clients, slog.New(slog.DiscardHandler))
	db := c.Orchestrator.DB.(*awsfailover.Database)
	if db.GlobalClusterID != "todomgmt-global" || !cmp.Equal(db.Regions, []string{east, west}) ||
		!cmp.Equal(db.Proxies, map[string]string{east: "todomgmt-proxy", west: "todomgmt-proxy"}) || !db.WantDeletionProtection {
		t.Errorf("database %+v", db)
	}
	p := c.Orchestrator.Prober.(*awsfailover.Prober)
	if !cmp.Equal(p.UserPools, map[string]string{east: "us-east-1_AAA", west: "us-west-2_BBB"}) || p.APIs[west] != cfg.PeerAPIURL {
		t.Errorf("prober pools %v apis %v", p.UserPools, p.APIs)
	}
	if r, ok := c.Orchestrator.Router.(*awsfailover.KVSRouter); !ok || r.Fallback != east || r.ARN != cfg.KVSARN {
		t.Errorf("router %#v, want the KeyValueStore with the primary as fallback", c.Orchestrator.Router)
	}
	if c.Orchestrator.Timeouts.Probe != DefaultProbeTimeout {
		t.Errorf("probe timeout %s", c.Orchestrator.Timeouts.Probe)
	}

	// The secondary in Route 53 mode: it is the standby region.
	e := primaryEnv()
	e[EnvRegion], e[EnvPeerRegion], e[EnvFrontDoorMode], e[EnvRoutingAlarm] = west, east, "route53", "todomgmt-primary-enabled"
	cfg, _ = ConfigFromEnv(env(e))
	if r, ok := New(cfg, clients, slog.New(slog.DiscardHandler)).Orchestrator.Router.(*awsfailover.MetricRouter); !ok || r.StandbyRegion != west || r.PrimaryRegion != east {
		t.Errorf("route53 router %#v, want standby %s", r, west)
	}
	// The secondary before the primary's second pass: no KeyValueStore yet.
	e = primaryEnv()
	e[EnvKVSARN] = ""
	cfg, _ = ConfigFromEnv(env(e))
	if _, err := New(cfg, clients, slog.New(slog.DiscardHandler)).Orchestrator.Router.Active(context.Background()); err == nil || !strings.Contains(err.Error(), "KeyValueStore is not known") {
		t.Errorf("router without the store: %v", err)
	}
}

// world is a small deployment for Run: a writer in us-east-1, a reader in
// us-west-2, both APIs up.
type world struct {
	mu     sync.Mutex
	topo   failover.Topology
	health map[string]failover.APIHealth
	route  string
}

func newWorld() *world {
	m := func(region string, writer bool) failover.Member {
		mm := failover.Member{Region: region, ID: "arn:aws:rds:" + region + ":111122223333:cluster:todomgmt-" + region, Writer: writer,
			Status: "available", Instances: 1, EngineVersion: "8.0.mysql_aurora.3.10.3"}
		if !writer {
			mm.Sync, mm.Lag, mm.LagKnown = "connected", 300*time.Millisecond, true
		}
		return mm
	}
	return &world{
		topo:   failover.Topology{ID: "todomgmt-global", Status: "available", Members: []failover.Member{m(east, true), m(west, false)}},
		health: map[string]failover.APIHealth{east: {OK: true, Role: "active"}, west: {OK: true, Role: "passive"}},
		route:  east,
	}
}

type fakeDB struct{ w *world }

func (d fakeDB) Topology(context.Context) (failover.Topology, error) {
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	return d.w.topo, nil
}

var errNoChange = errors.New("the readiness function must not change anything")

func (fakeDB) Switchover(context.Context, failover.Member, failover.Member) error { return errNoChange }
func (fakeDB) Failover(context.Context, failover.Member, bool) error              { return errNoChange }
func (fakeDB) Detach(context.Context, failover.Member) error                      { return errNoChange }
func (fakeDB) FenceIDs(context.Context, failover.Member, failover.FenceRequest) (failover.FenceResult, error) {
	return failover.FenceResult{}, errNoChange
}

type fakeRouter struct{ w *world }

func (r fakeRouter) Active(context.Context) (string, error) {
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	return r.w.route, nil
}
func (fakeRouter) Route(context.Context, string) error { return errNoChange }

type fakeProber struct{ w *world }

func (p fakeProber) Health(_ context.Context, region string) (failover.APIHealth, error) {
	p.w.mu.Lock()
	defer p.w.mu.Unlock()
	return p.w.health[region], nil
}
func (fakeProber) VerifyWrite(context.Context) (string, error) { return "", errNoChange }

// fakeMetrics records PutMetricData as CloudWatch would take it.
type fakeMetrics struct {
	mu   sync.Mutex
	puts []*cloudwatch.PutMetricDataInput
	err  error
}

func (m *fakeMetrics) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	m.puts = append(m.puts, in)
	return &cloudwatch.PutMetricDataOutput{}, nil
}

func checker(w *world, m *fakeMetrics, log *bytes.Buffer) *Checker {
	return &Checker{
		AppName: "todomgmt", Region: west,
		Orchestrator: &orchestrator.Orchestrator{DB: fakeDB{w}, Router: fakeRouter{w}, Prober: fakeProber{w}, Regions: []string{west, east},
			Timeouts: orchestrator.Timeouts{Probe: time.Second}},
		Metrics: m,
		Logger:  slog.New(slog.NewJSONHandler(log, nil)),
	}
}

// logLine is what an operator searches for.
type logLine struct {
	Level   string         `json:"level"`
	Msg     string         `json:"msg"`
	Plan    string         `json:"plan"`
	Region  string         `json:"region"`
	To      string         `json:"to"`
	Ready   bool           `json:"ready"`
	Failing []plan.Finding `json:"failing"`
	Skipped []plan.Skip    `json:"skipped"`
	Passed  []plan.Check   `json:"passed"`
}

func logLines(tb testing.TB, b *bytes.Buffer) []logLine {
	tb.Helper()
	var out []logLine
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var ll logLine
		if err := json.Unmarshal([]byte(l), &ll); err != nil {
			tb.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, ll)
	}
	return out
}

// TestRunPublishesOneDatumAndOneLinePerPlan: a healthy deployment seen
// from us-west-2 is ready for both plans (1, 1); with the passive API
// down, both are 0 and each line names the failing check and its detail.
// Neither run changes anything.
func TestRunPublishesOneDatumAndOneLinePerPlan(t *testing.T) {
	w := newWorld()
	m := &fakeMetrics{}
	var log bytes.Buffer
	c := checker(w, m, &log)
	res, err := c.Handle(context.Background(), json.RawMessage(`{"version":"0","id":"ev-1","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Plans) != 2 || !res.Plans[0].Ready || !res.Plans[1].Ready {
		t.Errorf("result %+v, want both plans ready", res)
	}
	w.mu.Lock()
	w.health[west] = failover.APIHealth{Detail: "502 Bad Gateway"}
	w.mu.Unlock()
	if _, err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(m.puts) != 2 {
		t.Fatalf("%d PutMetricData calls, want one per run", len(m.puts))
	}
	for i, wantValue := range []float64{1, 0} {
		in := m.puts[i]
		if aws.ToString(in.Namespace) != Namespace || len(in.MetricData) != 2 {
			t.Fatalf("put %d: namespace %q with %d datums, want %s with one per plan", i, aws.ToString(in.Namespace), len(in.MetricData), Namespace)
		}
		for j, plan := range []string{"planned", "unplanned"} {
			d := in.MetricData[j]
			want := cwtypes.MetricDatum{MetricName: aws.String(MetricName), Value: aws.Float64(wantValue), Unit: cwtypes.StandardUnitNone, Timestamp: d.Timestamp,
				Dimensions: []cwtypes.Dimension{{Name: aws.String("AppName"), Value: aws.String("todomgmt")}, {Name: aws.String("Plan"), Value: aws.String(plan)}}}
			if diff := cmp.Diff(want, d, cmp.Exporter(func(reflect.Type) bool { return true })); diff != "" {
				t.Errorf("put %d datum %s (-want +got):\n%s", i, plan, diff)
			}
		}
	}
	lines := logLines(t, &log)
	if len(lines) != 4 {
		t.Fatalf("%d log lines, want one per plan and run:\n%s", len(lines), log.String())
	}
	for _, l := range lines[:2] {
		if l.Msg != LogMessage || l.Level != "INFO" || !l.Ready || len(l.Failing) != 0 || l.Region != west || l.To != west {
			t.Errorf("healthy line %+v", l)
		}
	}
	for i, l := range lines[2:] {
		want := []string{"planned", "unplanned"}[i]
		if l.Plan != want || l.Level != "WARN" || l.Ready || len(l.Failing) != 1 || l.Failing[0].Check != plan.CheckAPIHealth ||
			l.Failing[0].Detail != "the API in us-west-2 does not answer: 502 Bad Gateway" {
			t.Errorf("line %+v, want %s not ready with api-health failing", l, want)
		}
		if len(l.Skipped) == 0 {
			t.Errorf("line %+v, want the checks these fakes cannot tell listed as skipped", l)
		}
	}
	if !strings.Contains(log.String(), `"failing":[{"check":"api-health","detail":"the API in us-west-2 does not answer: 502 Bad Gateway","refuses":true}]`) {
		t.Errorf("the planned line does not carry the failing check as an operator searches it:\n%s", log.String())
	}
}

// TestRunFailsWhenItCannotPublish: without its datums the alarms see
// missing data, which they treat as not ready; the function reports the
// error (a Lambda error, counted in its Errors metric).
func TestRunFailsWhenItCannotPublish(t *testing.T) {
	m := &fakeMetrics{err: errors.New("AccessDenied: cloudwatch:PutMetricData")}
	var log bytes.Buffer
	_, err := checker(newWorld(), m, &log).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "put ToDoMgmt/Readiness/Ready in us-west-2: AccessDenied") {
		t.Errorf("error %v, want the put's", err)
	}
	if len(logLines(t, &log)) != 2 {
		t.Errorf("log %s, want the lines written anyway", log.String())
	}
}

func TestHandleRefusesAPayloadThatIsNoObject(t *testing.T) {
	m := &fakeMetrics{}
	var log bytes.Buffer
	for _, p := range []string{`"run"`, `[1]`, `null`, `not json`} {
		if _, err := checker(newWorld(), m, &log).Handle(context.Background(), json.RawMessage(p)); err == nil || !strings.Contains(err.Error(), "want the scheduled event") {
			t.Errorf("payload %s: %v, want a refusal", p, err)
		}
	}
	if len(m.puts) != 0 {
		t.Errorf("a refused payload published %d datums", len(m.puts))
	}
}
