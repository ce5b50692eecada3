package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/todomgmt/todomgmt/internal/lambdaemu"
	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
	"github.com/todomgmt/todomgmt/pkg/readiness"
)

// functionTimeout is ReadinessFunction's Timeout in template.yaml.
const functionTimeout = 60 * time.Second

const (
	east    = "us-east-1"
	west    = "us-west-2"
	account = "111122223333"
	global  = "todomgmt-global"
	kvsARN  = "arn:aws:cloudfront::" + account + ":key-value-store/0a1b2c3d-1111-2222-3333-444455556666"
)

func clusterARN(region string) string {
	return "arn:aws:rds:" + region + ":" + account + ":cluster:todomgmt-" + region
}

// scheduledEvent is what an EventBridge schedule delivers
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html).
const scheduledEvent = `{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events",` +
	`"account":"111122223333","time":"2026-11-05T09:00:00Z","region":"us-west-2",` +
	`"resources":["arn:aws:events:us-west-2:111122223333:rule/todomgmt-readiness"],"detail":{}}`

// TestReadinessFunctionUnderRIE builds handlers/readiness as the real
// bootstrap and runs it under AWS's Lambda runtime interface emulator as
// the secondary stack's function (us-west-2), with the template's
// environment, invoked with a scheduled event. Its AWS calls go through
// the real SDK to stand-ins that answer as the APIs document (endpoints
// overridden with AWS_ENDPOINT_URL_*): RDS (query protocol), CloudWatch
// (Smithy RPC v2 CBOR, as this SDK speaks to it), Cognito (JSON 1.1) and
// the CloudFront KeyValueStore (REST JSON, reached through an HTTP proxy:
// its SDK puts the account id in front of the endpoint's host). The
// regional APIs' health endpoints are local servers.
//
// Healthy, both plans are ready and the function puts Ready=1 for each;
// with us-east-1 (the writer's region) not answering at all, the run
// still ends within its probe timeouts, the unplanned failover to
// us-west-2 is ready and the switchover is not, and the log line names
// the failing checks.
func TestReadinessFunctionUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries; skipped with -short")
	}
	if err := lambdaemu.Supported(); err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	emulator, err := lambdaemu.BuildEmulator(ctx, root, dir)
	if err != nil {
		t.Fatal(err)
	}
	bootstrap, err := lambdaemu.BuildBootstrap(ctx, root, lambdabuild.Readiness, dir)
	if err != nil {
		t.Fatal(err)
	}
	aws := newFakeAWS(t)
	apis := map[string]*fakeAPI{east: newFakeAPI(t, aws, east, "active"), west: newFakeAPI(t, aws, west, "passive")}
	// start runs the function with a probe timeout: generous where every
	// call is answered (a loaded machine must not turn a slow answer into
	// a failing check), short where a region hangs (it costs two).
	start := func(t *testing.T, probe time.Duration) *lambdaemu.Function {
		f, err := lambdaemu.Start(ctx, lambdaemu.Config{
			Emulator: emulator, Bootstrap: bootstrap, Name: "todomgmt-readiness", Region: west,
			Timeout: functionTimeout, MemoryMB: 256,
			Env: append(functionEnv(apis, probe), fakeEndpoints(aws.URL)...),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			f.Stop(lambdaemu.StopGrace)
			if t.Failed() {
				t.Logf("emulator and function output:\n%s", f.Output())
			}
		})
		return f
	}

	t.Run("healthy", func(t *testing.T) {
		f := start(t, 20*time.Second)
		res := invoke(t, f)
		for _, p := range res.Plans {
			if !p.Ready || len(p.Failing) != 0 || p.To != west {
				t.Errorf("%s: ready=%t to %s failing %+v, want ready to %s", p.Plan, p.Ready, p.To, p.Failing, west)
			}
		}
		put := aws.lastPut(t)
		wantDatums(t, put, map[string]float64{"planned": 1, "unplanned": 1})
		lines := logLines(t, f.Output(), 2)
		for _, l := range lines {
			if l["level"] != "INFO" || l["ready"] != true || l["region"] != west || len(l["failing"].([]any)) != 0 {
				t.Errorf("log line %v, want ready at INFO", l)
			}
			if passed := l["passed"].([]any); len(passed) < 9 {
				t.Errorf("log line %v, want every check passed", l)
			}
		}
		calls := aws.Calls()
		for _, want := range []string{
			"us-west-2 rds DescribeGlobalClusters", "us-east-1 rds DescribeDBClusters", "us-west-2 rds DescribeDBClusters",
			"us-east-1 rds DescribeDBProxyTargets", "us-west-2 rds DescribeDBProxyTargets", "us-west-2 rds DescribeDBClusterSnapshots",
			"us-west-2 monitoring ListMetrics", "us-west-2 monitoring GetMetricData", "us-west-2 monitoring PutMetricData",
			"us-east-1 cognito-idp DescribeUserPool", "us-west-2 cognito-idp DescribeUserPool", "* cloudfront-keyvaluestore GetKey",
		} {
			if !slices.Contains(calls, want) {
				t.Errorf("no call %q among %q", want, calls)
			}
		}
		for _, c := range calls {
			if op := strings.Fields(c)[2]; !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "List") && op != "PutMetricData" {
				t.Errorf("call %q: the readiness function may only describe, get, list and put its metric", c)
			}
		}
	})

	t.Run("the writer's region does not answer", func(t *testing.T) {
		f := start(t, lostProbeTimeout)
		aws.hang(east)
		apis[east].hang()
		began := time.Now()
		res := invoke(t, f)
		took := time.Since(began)
		byPlan := map[string]result{}
		for _, p := range res.Plans {
			byPlan[p.Plan] = p
		}
		if u := byPlan["unplanned"]; !u.Ready {
			t.Errorf("unplanned: failing %+v, want ready: us-west-2 can take over", u.Failing)
		}
		p := byPlan["planned"]
		var checks []string
		for _, fi := range p.Failing {
			checks = append(checks, fi.Check)
		}
		for _, c := range []string{"cluster", "api-health", "proxy-target", "user-pool", "deletion-protection"} {
			if p.Ready || !slices.Contains(checks, c) {
				t.Errorf("planned: failing %v, want %s among them", checks, c)
			}
		}
		wantDatums(t, aws.lastPut(t), map[string]float64{"planned": 0, "unplanned": 1})
		lines := logLines(t, f.Output(), 2)
		planned := lines[0]
		if planned["plan"] != "planned" || planned["level"] != "WARN" || planned["ready"] != false {
			t.Errorf("log line %v, want planned not ready at WARN", planned)
		}
		if b, _ := json.Marshal(planned["failing"]); !strings.Contains(string(b), `"check":"api-health"`) || !strings.Contains(string(b), "us-east-1") {
			t.Errorf("failing %s, want api-health of us-east-1 named", b)
		}
		t.Logf("the run with us-east-1 not answering took %s (probe timeout %s)", took.Round(time.Millisecond), lostProbeTimeout)
		for _, l := range lines {
			b, _ := json.Marshal(l)
			t.Logf("log line: %s", b)
		}
	})
}

// lostProbeTimeout is the function's TODOMGMT_PROBE_TIMEOUT while a
// region hangs: short, so the lost region costs little test time, long
// enough for the other region's answers on a loaded machine.
const lostProbeTimeout = 5 * time.Second

// functionEnv is ReadinessFunction's environment in template.yaml for the
// secondary stack after the second deploy pass, with the APIs' URLs of
// the local servers, the probe timeout, and the credentials Lambda gives
// the execution role.
func functionEnv(apis map[string]*fakeAPI, probe time.Duration) []string {
	return []string{
		readiness.EnvAppName + "=todomgmt",
		readiness.EnvRegion + "=" + west,
		readiness.EnvPeerRegion + "=" + east,
		readiness.EnvPrimaryRegion + "=" + east,
		readiness.EnvGlobalCluster + "=" + global,
		readiness.EnvProxyName + "=todomgmt-proxy",
		readiness.EnvAPIURL + "=" + apis[west].URL + "/prod",
		readiness.EnvPeerAPIURL + "=" + apis[east].URL + "/prod",
		readiness.EnvUserPoolID + "=us-west-2_WEST",
		readiness.EnvPeerUserPoolARN + "=arn:aws:cognito-idp:us-east-1:" + account + ":userpool/us-east-1_EAST",
		readiness.EnvFrontDoorMode + "=cloudfront",
		readiness.EnvKVSARN + "=" + kvsARN,
		readiness.EnvDeletionProtection + "=true",
		readiness.EnvBackupRetention + "=7",
		readiness.EnvProbeTimeout + "=" + probe.String(),
		"AWS_ACCESS_KEY_ID=AKIDRIETEST",
		"AWS_SECRET_ACCESS_KEY=rie-test-secret",
		"AWS_SESSION_TOKEN=rie-test-session",
	}
}

// fakeEndpoints points the SDK's services at the stand-ins. The
// KeyValueStore's endpoint rules prefix the host with the store's
// account id (111122223333.kvs.test), which no resolver knows: an HTTP
// proxy (the stand-in again) takes those requests; loopback addresses
// are never proxied, so the other services go straight to it.
func fakeEndpoints(u string) []string {
	return []string{
		"AWS_ENDPOINT_URL_RDS=" + u,
		"AWS_ENDPOINT_URL_CLOUDWATCH=" + u,
		"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=" + u,
		"AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE=http://kvs.test",
		"HTTP_PROXY=" + u,
	}
}

type result struct {
	Plan    string `json:"plan"`
	Ready   bool   `json:"ready"`
	To      string `json:"to"`
	Failing []struct {
		Check  string `json:"check"`
		Detail string `json:"detail"`
	} `json:"failing"`
}

func invoke(tb testing.TB, f *lambdaemu.Function) struct{ Plans []result } {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), functionTimeout+10*time.Second)
	defer cancel()
	r, err := f.Invoke(ctx, []byte(scheduledEvent))
	if err != nil {
		tb.Fatal(err)
	}
	if e, ok := r.FunctionError(); ok || r.Status != http.StatusOK || r.TimedOut() {
		tb.Fatalf("invoke: status %d, function error %+v, payload %s", r.Status, e, r.Payload)
	}
	var res struct{ Plans []result }
	if err := json.Unmarshal(r.Payload, &res); err != nil || len(res.Plans) != 2 {
		tb.Fatalf("result %s: %v, want one per plan", r.Payload, err)
	}
	return res
}

// wantDatums checks the PutMetricData input: the namespace, and one
// Ready datum per plan with the app's and the plan's dimensions.
func wantDatums(tb testing.TB, in map[string]any, want map[string]float64) {
	tb.Helper()
	if in["Namespace"] != readiness.Namespace {
		tb.Errorf("namespace %v, want %s", in["Namespace"], readiness.Namespace)
	}
	data, _ := in["MetricData"].([]any)
	got := map[string]float64{}
	for _, d := range data {
		m := d.(map[string]any)
		dims := map[string]any{}
		for _, x := range m["Dimensions"].([]any) {
			dims[x.(map[string]any)["Name"].(string)] = x.(map[string]any)["Value"]
		}
		if m["MetricName"] != readiness.MetricName || dims["AppName"] != "todomgmt" || len(dims) != 2 {
			tb.Errorf("datum %v, want %s with AppName and Plan", m, readiness.MetricName)
		}
		if _, ok := m["Timestamp"].(time.Time); !ok {
			tb.Errorf("datum %v has no timestamp", m)
		}
		got[fmt.Sprint(dims["Plan"])] = m["Value"].(float64)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		tb.Errorf("datums %v, want %v", got, want)
	}
}

// logLines returns the function's readiness lines so far, wanting n.
func logLines(tb testing.TB, output string, n int) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, l := range strings.Split(output, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(strings.TrimSpace(l)), &m) == nil && m["msg"] == readiness.LogMessage {
			out = append(out, m)
		}
	}
	if len(out) != n {
		tb.Fatalf("%d readiness log lines, want %d:\n%s", len(out), n, output)
	}
	return out
}

// fakeAWS answers the calls the readiness function makes, for a global
// database whose writer is in us-east-1, as the API references describe
// them. A region set to hang leaves every call to it hanging until the
// client gives up.
type fakeAWS struct {
	*httptest.Server
	mu     sync.Mutex
	hung   map[string]bool
	calls  []string
	puts   []map[string]any
	closed chan struct{}
}

func newFakeAWS(tb testing.TB) *fakeAWS {
	tb.Helper()
	f := &fakeAWS{hung: map[string]bool{}, closed: make(chan struct{})}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(func() {
		close(f.closed)
		f.Close()
	})
	return f
}

func (f *fakeAWS) hang(region string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hung[region] = true
}

func (f *fakeAWS) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeAWS) lastPut(tb testing.TB) map[string]any {
	tb.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.puts) == 0 {
		tb.Fatal("no PutMetricData")
	}
	return f.puts[len(f.puts)-1]
}

// scope returns the region and service of a request's signature:
// SigV4's credential scope (AKID/date/region/service/aws4_request), or
// SigV4A's (AKID/date/service/aws4_request, its regions in
// X-Amz-Region-Set).
func scope(r *http.Request) (region, service string) {
	a := r.Header.Get("Authorization")
	_, cred, _ := strings.Cut(a, "Credential=")
	cred, _, _ = strings.Cut(cred, ",")
	p := strings.Split(cred, "/")
	switch len(p) {
	case 5:
		return p[2], p[3]
	case 4:
		return r.Header.Get("X-Amz-Region-Set"), p[2]
	}
	return "", ""
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	region, service := scope(r)
	body, _ := io.ReadAll(r.Body)
	op := ""
	switch {
	case service == "rds":
		form, _ := url.ParseQuery(string(body))
		op = form.Get("Action")
		f.record(region, service, op, w, r, func() { f.rds(w, region, op, form) })
	case service == "monitoring":
		op = r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		f.record(region, service, op, w, r, func() { f.cloudWatch(w, op, body) })
	case service == "cognito-idp":
		op = strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService.")
		f.record(region, service, op, w, r, func() { f.cognito(w, region, op, body) })
	case service == "cloudfront-keyvaluestore":
		op = "GetKey"
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/keys/active-region") || r.Host != account+".kvs.test" {
			op = r.Method + " " + r.Host + r.URL.Path
		}
		f.record(region, service, op, w, r, func() {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"Key":"active-region","Value":"us-east-1","ItemCount":1,"TotalSizeInBytes":22}`)
		})
	default:
		http.Error(w, "unknown service "+service, http.StatusBadRequest)
	}
}

// record logs the call and answers it, unless its region hangs: then
// it waits for the client to give up.
func (f *fakeAWS) record(region, service, op string, w http.ResponseWriter, r *http.Request, answer func()) {
	f.mu.Lock()
	f.calls = append(f.calls, region+" "+service+" "+op)
	hung := f.hung[region]
	f.mu.Unlock()
	if hung {
		select {
		case <-r.Context().Done():
		case <-f.closed:
		}
		return
	}
	answer()
}

// rds answers the query protocol in XML
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/).
func (f *fakeAWS) rds(w http.ResponseWriter, region, op string, form url.Values) {
	var result string
	switch op {
	case "DescribeGlobalClusters":
		result = `<GlobalClusters><GlobalClusterMember><GlobalClusterIdentifier>` + global + `</GlobalClusterIdentifier>` +
			`<Status>available</Status><DeletionProtection>true</DeletionProtection><GlobalClusterMembers>` +
			`<GlobalClusterMember><DBClusterArn>` + clusterARN(east) + `</DBClusterArn><IsWriter>true</IsWriter></GlobalClusterMember>` +
			`<GlobalClusterMember><DBClusterArn>` + clusterARN(west) + `</DBClusterArn><IsWriter>false</IsWriter>` +
			`<SynchronizationStatus>connected</SynchronizationStatus></GlobalClusterMember>` +
			`</GlobalClusterMembers></GlobalClusterMember></GlobalClusters>`
	case "DescribeDBClusters":
		id := form.Get("DBClusterIdentifier")
		if id != clusterARN(region) {
			queryError(w, "DBClusterNotFoundFault", id+" is not a cluster in "+region)
			return
		}
		result = `<DBClusters><DBCluster><DBClusterArn>` + id + `</DBClusterArn><DBClusterIdentifier>todomgmt-` + region + `</DBClusterIdentifier>` +
			`<Status>available</Status><EngineVersion>8.0.mysql_aurora.3.10.3</EngineVersion><DeletionProtection>true</DeletionProtection>` +
			`<BackupRetentionPeriod>7</BackupRetentionPeriod><DBClusterMembers><DBClusterMember><DBInstanceIdentifier>i-1</DBInstanceIdentifier>` +
			`<IsClusterWriter>` + fmt.Sprint(region == east) + `</IsClusterWriter></DBClusterMember>` +
			`<DBClusterMember><DBInstanceIdentifier>i-2</DBInstanceIdentifier><IsClusterWriter>false</IsClusterWriter></DBClusterMember>` +
			`</DBClusterMembers></DBCluster></DBClusters>`
	case "DescribeDBProxyTargets":
		if form.Get("DBProxyName") != "todomgmt-proxy" {
			queryError(w, "DBProxyNotFoundFault", "no proxy "+form.Get("DBProxyName"))
			return
		}
		role := "READ_ONLY"
		if region == east {
			role = "READ_WRITE"
		}
		result = `<Targets><member><Type>TRACKED_CLUSTER</Type><RdsResourceId>todomgmt-` + region + `</RdsResourceId></member>` +
			`<member><Type>RDS_INSTANCE</Type><RdsResourceId>i-1</RdsResourceId><Role>` + role + `</Role><TargetHealth><State>AVAILABLE</State></TargetHealth></member>` +
			`<member><Type>RDS_INSTANCE</Type><RdsResourceId>i-2</RdsResourceId><Role>READ_ONLY</Role><TargetHealth><State>AVAILABLE</State></TargetHealth></member>` +
			`</Targets>`
	case "DescribeDBClusterSnapshots":
		result = `<DBClusterSnapshots><DBClusterSnapshot><DBClusterSnapshotIdentifier>rds:todomgmt-` + region + `-2026-11-05-03-00</DBClusterSnapshotIdentifier>` +
			`<DBClusterIdentifier>todomgmt-` + region + `</DBClusterIdentifier><SnapshotType>automated</SnapshotType></DBClusterSnapshot></DBClusterSnapshots>`
	default:
		queryError(w, "InvalidAction", op+" is not an operation this stand-in answers")
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><%sResult>%s</%sResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></%sResponse>`,
		op, op, result, op, op)
}

func queryError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(msg))
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`, code, b.String())
}

// cloudWatch answers Smithy RPC v2 CBOR
// (https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html),
// which this SDK speaks to CloudWatch: the secondary's lag metrics, a
// datapoint a minute ago, and PutMetricData recorded.
func (f *fakeAWS) cloudWatch(w http.ResponseWriter, op string, body []byte) {
	v, err := cbor.Decode(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	in := native(v).(map[string]any)
	var out cbor.Map
	switch op {
	case "ListMetrics":
		dims, _ := in["Dimensions"].([]any)
		cluster := ""
		if len(dims) == 1 {
			cluster, _ = dims[0].(map[string]any)["Value"].(string)
		}
		var metrics cbor.List
		if cluster == "todomgmt-"+west {
			metrics = append(metrics, cbor.Map{"Namespace": cbor.String("AWS/RDS"), "MetricName": cbor.String("AuroraGlobalDBReplicationLag"),
				"Dimensions": cbor.List{
					cbor.Map{"Name": cbor.String("DBClusterIdentifier"), "Value": cbor.String(cluster)},
					cbor.Map{"Name": cbor.String("SourceRegion"), "Value": cbor.String(east)},
				}})
		}
		out = cbor.Map{"Metrics": metrics}
	case "GetMetricData":
		var results cbor.List
		for _, q := range in["MetricDataQueries"].([]any) {
			id := q.(map[string]any)["Id"].(string)
			at := float64(time.Now().Add(-time.Minute).Truncate(time.Minute).Unix())
			results = append(results, cbor.Map{"Id": cbor.String(id), "Label": cbor.String("AuroraGlobalDBReplicationLag"),
				"Timestamps": cbor.List{&cbor.Tag{ID: 1, Value: cbor.Float64(at)}}, "Values": cbor.List{cbor.Float64(120)},
				"StatusCode": cbor.String("Complete")})
		}
		out = cbor.Map{"MetricDataResults": results}
	case "PutMetricData":
		f.mu.Lock()
		f.puts = append(f.puts, in)
		f.mu.Unlock()
		out = cbor.Map{}
	default:
		http.Error(w, "unknown operation "+op, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Write(cbor.Encode(out)) //nolint:errcheck // the client reports a broken answer
}

// native turns a decoded CBOR value into Go values (epoch tags into
// times).
func native(v cbor.Value) any {
	switch x := v.(type) {
	case cbor.Map:
		m := map[string]any{}
		for k, e := range x {
			m[k] = native(e)
		}
		return m
	case cbor.List:
		var l []any
		for _, e := range x {
			l = append(l, native(e))
		}
		return l
	case cbor.String:
		return string(x)
	case cbor.Float64:
		return float64(x)
	case cbor.Float32:
		return float64(x)
	case cbor.Uint:
		return float64(x)
	case cbor.Bool:
		return bool(x)
	case *cbor.Tag:
		if x.ID == 1 {
			switch s := native(x.Value).(type) {
			case float64:
				return time.Unix(0, int64(s*1e9)).UTC()
			}
		}
		return native(x.Value)
	}
	return fmt.Sprintf("%T", v)
}

// cognito answers DescribeUserPool over JSON 1.1
// (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_DescribeUserPool.html).
func (f *fakeAWS) cognito(w http.ResponseWriter, region, op string, body []byte) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	var in struct{ UserPoolId string }
	_ = json.Unmarshal(body, &in)
	if op != "DescribeUserPool" || !strings.HasPrefix(in.UserPoolId, region+"_") {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"ResourceNotFoundException","message":"User pool %s does not exist."}`, in.UserPoolId)
		return
	}
	fmt.Fprintf(w, `{"UserPool":{"Id":%q,"Name":"todomgmt-%s","DeletionProtection":"ACTIVE"}}`, in.UserPoolId, region)
}

// fakeAPI is a region's API Gateway stage: /prod/v1/health answers as
// pkg/httpapi does, or hangs.
type fakeAPI struct {
	*httptest.Server
	mu   sync.Mutex
	hung bool
}

func newFakeAPI(tb testing.TB, aws *fakeAWS, region, role string) *fakeAPI {
	tb.Helper()
	a := &fakeAPI{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		hung := a.hung
		a.mu.Unlock()
		if hung {
			select {
			case <-r.Context().Done():
			case <-aws.closed:
			}
			return
		}
		if r.URL.Path != "/prod/v1/health" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"region":%q,"role":%q,"db":{"reachable":true,"latencyMs":0.8}}`, region, role)
	}))
	tb.Cleanup(a.Close)
	return a
}

func (a *fakeAPI) hang() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.hung = true
}
