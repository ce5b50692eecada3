//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"
	"github.com/testcontainers/testcontainers-go"

	"github.com/todomgmt/todomgmt/internal/lambdaemu"
	"github.com/todomgmt/todomgmt/internal/mysqlcontainer"
	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/awsfailover"
	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
	"github.com/todomgmt/todomgmt/pkg/mysql"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// rieSecretARN is the application user's secret the fake Secrets Manager
// holds, and rieAppPassword its password.
const (
	rieSecretARN   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:todomgmt-app-RiE123"
	rieAppPassword = "rie-App-Pa55word"
)

// TestMigrateFunctionUnderRIE builds handlers/migrate as the real bootstrap
// and runs it under AWS's Lambda runtime interface emulator, with the
// template's environment, against MySQL in a container: the custom
// resource events of testdata/ (the function PUTs its answer to the
// ResponseURL, here an httptest server standing in for CloudFormation's
// presigned S3 URL) and the direct invokes (migrate, CREATE_TABLE,
// purge-idempotency-keys, fence-ids, fence-state), each with the answer
// it should give.
//
// The application user's password comes from Secrets Manager through the
// real AWS SDK, pointed at a fake by AWS_ENDPOINT_URL_SECRETS_MANAGER (no
// AWS account here); the fake answers GetSecretValue as the API reference
// documents it.
func TestMigrateFunctionUnderRIE(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	emulator, bootstrap := buildMigrateUnderRIE(t, ctx)
	c := startRIEMySQL(t, ctx)
	root, err := c.OpenRoot(ctx, c.Database())
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	secrets := newFakeSecretsManager(t, map[string]string{
		rieSecretARN: `{"username":"todo_app","password":"` + rieAppPassword + `"}`,
	})
	cfn := newCFNResponseServer(t)
	f := startMigrateUnderRIE(t, emulator, bootstrap, migrateEnv(c.RootDSN(c.Database()), secrets.URL, rieSecretARN))

	// The embedded migrations, as the function reports them: the latest
	// version, and every version as a list and as CloudFormation's string.
	versions := embeddedVersions(t)
	latest, all := versions[len(versions)-1], joinInts(versions)

	t.Run("cfn-create migrates and makes the app user", func(t *testing.T) {
		got := cfn.invoke(t, f, testdataEvent(t, "cfn-create.json", nil))
		want := map[string]any{
			"Status":             "SUCCESS",
			"Reason":             fmt.Sprintf("schema at version %d (%d applied now); app user todo_app ensured", latest, len(versions)),
			"PhysicalResourceId": PhysicalResourceID,
			"StackId":            "arn:aws:cloudformation:us-east-1:123456789012:stack/todomgmt-primary/00000000-0000-0000-0000-000000000000",
			"RequestId":          "11111111-1111-1111-1111-111111111111",
			"LogicalResourceId":  "SchemaMigration",
			"Data":               map[string]any{"Status": "ok", "Applied": all, "NewlyApplied": all, "AppUser": "todo_app"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the response CloudFormation gets (-want +got):\n%s", diff)
		}
		// The password is the secret's: the app user logs in with it.
		app, err := dbconn.Open(ctx, dbconn.Config{DSN: c.DSN("todo_app", rieAppPassword, c.Database()), MaxOpenConns: 1, ConnMaxLifetime: time.Minute, ConnectTimeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer app.Close()
		var n int
		if err := app.Writer.QueryRowContext(ctx, "SELECT COUNT(*) FROM todos").Scan(&n); err != nil {
			t.Errorf("the app user cannot read todos: %v", err)
		}
		if calls := secrets.calls(); len(calls) != 1 || !strings.HasPrefix(calls[0], "AWS4-HMAC-SHA256 Credential=AKIDRIETEST/") || !strings.Contains(calls[0], "/us-east-1/secretsmanager/aws4_request") {
			t.Errorf("Secrets Manager calls' Authorization: %q; want one, signed with the environment's credentials for us-east-1", calls)
		}
	})

	t.Run("update applies nothing new", func(t *testing.T) {
		got := cfn.invoke(t, f, testdataEvent(t, "cfn-create.json", map[string]any{
			"RequestType":           "Update",
			"PhysicalResourceId":    PhysicalResourceID,
			"OldResourceProperties": map[string]any{"SchemaVersion": "1"},
		}))
		if got["Status"] != "SUCCESS" || got["Reason"] != fmt.Sprintf("schema at version %d (0 applied now); app user todo_app ensured", latest) ||
			!cmp.Equal(got["Data"], map[string]any{"Status": "ok", "Applied": all, "NewlyApplied": "", "AppUser": "todo_app"}) {
			t.Errorf("got %v, want SUCCESS applying nothing", got)
		}
	})

	for _, file := range []string{"migrate.json", "create-table.json"} {
		t.Run("direct invoke "+file, func(t *testing.T) {
			var got Result
			invokeOK(t, f, testdataEvent(t, file, nil), &got)
			want := Result{Status: "ok", Message: fmt.Sprintf("schema at version %d (0 applied now); app user todo_app ensured", latest), Applied: versions, NewlyApplied: []int{}, AppUser: "todo_app"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("purge-idempotency-keys deletes the expired keys only", func(t *testing.T) {
		defer root.ExecContext(context.Background(), "DELETE FROM idempotency_keys")
		old, recent := time.Now().UTC().Add(-48*time.Hour), time.Now().UTC().Add(-time.Hour)
		for key, created := range map[string]time.Time{"expired-1": old, "expired-2": old, "kept": recent} {
			if _, err := root.ExecContext(ctx, "INSERT INTO idempotency_keys (idempotency_key, fingerprint, created_at) VALUES (?, ?, ?)", key, strings.Repeat("0", 64), created); err != nil {
				t.Fatal(err)
			}
		}
		before := time.Now()
		var got PurgeResult
		invokeOK(t, f, []byte(`{"action":"purge-idempotency-keys"}`), &got)
		if got.Status != "ok" || got.Deleted != 2 || got.Retention != "24h0m0s" {
			t.Errorf("got %+v, want ok, 2 deleted, retention 24h", got)
		}
		if age := before.Sub(got.Cutoff); age < 24*time.Hour-time.Minute || age > 24*time.Hour+time.Minute {
			t.Errorf("cutoff %s is %s before the invoke, want 24h", got.Cutoff, age)
		}
		var left []string
		rows, err := root.QueryContext(ctx, "SELECT idempotency_key FROM idempotency_keys")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			left = append(left, k)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if strings.Join(left, ",") != "kept" {
			t.Errorf("keys left %v, want [kept]", left)
		}
	})

	t.Run("read-only server: create and purge are skipped as successes", func(t *testing.T) {
		if _, err := root.ExecContext(ctx, "SET GLOBAL read_only = 1"); err != nil {
			t.Fatal(err)
		}
		defer root.ExecContext(context.Background(), "SET GLOBAL read_only = 0")
		got := cfn.invoke(t, f, testdataEvent(t, "cfn-create.json", nil))
		if got["Status"] != "SUCCESS" || got["Reason"] != MsgSkippedReadOnly ||
			!cmp.Equal(got["Data"], map[string]any{"Status": "skipped", "Applied": all, "NewlyApplied": "", "AppUser": ""}) {
			t.Errorf("create: got %v, want SUCCESS, %q", got, MsgSkippedReadOnly)
		}
		var purged PurgeResult
		invokeOK(t, f, []byte(`{"action":"purge-idempotency-keys"}`), &purged)
		if purged.Status != "skipped" || purged.Message != MsgSkippedReadOnly || purged.Deleted != 0 {
			t.Errorf("purge: got %+v, want skipped, %q", purged, MsgSkippedReadOnly)
		}
	})

	t.Run("cfn-delete keeps the schema and the data", func(t *testing.T) {
		if _, err := root.ExecContext(ctx, "INSERT INTO todos (task, status, created_at, updated_at, version) VALUES ('keep me', 'todo', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 1)"); err != nil {
			t.Fatal(err)
		}
		defer root.ExecContext(context.Background(), "DELETE FROM todos")
		got := cfn.invoke(t, f, testdataEvent(t, "cfn-delete.json", nil))
		want := map[string]any{
			"Status":             "SUCCESS",
			"Reason":             "nothing deleted: the schema and its data are kept",
			"PhysicalResourceId": PhysicalResourceID,
			"StackId":            "arn:aws:cloudformation:us-east-1:123456789012:stack/todomgmt-primary/00000000-0000-0000-0000-000000000000",
			"RequestId":          "22222222-2222-2222-2222-222222222222",
			"LogicalResourceId":  "SchemaMigration",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the response CloudFormation gets (-want +got):\n%s", diff)
		}
		var n int
		if err := root.QueryRowContext(ctx, "SELECT COUNT(*) FROM todos").Scan(&n); err != nil || n != 1 {
			t.Errorf("after Delete: %d todos, %v; want the data kept", n, err)
		}
	})

	// The orchestrator's AWS adapter invokes this function for the id
	// fence (awsfailover.Database.FenceIDs: Lambda Invoke,
	// RequestResponse, through the SDK), here at the emulator
	// (emulatedDatabase): the request the adapter builds and the answer it
	// parses meet the real function, so the two sides of the fence-ids
	// contract cannot drift.
	t.Run("fence-ids from the orchestrator's AWS adapter", func(t *testing.T) {
		defer root.ExecContext(context.Background(), "DELETE FROM todos")
		store := mysql.New(root, mysql.WithRegion("us-east-1"))
		var last int64
		for range 3 {
			c, err := store.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "before the fault"}})
			if err != nil {
				t.Fatal(err)
			}
			last = c.Todo.ID
		}
		// us-west-2 held the writer until it was lost; this region was
		// promoted with data loss allowed.
		if _, err := root.ExecContext(ctx, "UPDATE id_fence SET writer_region = 'us-west-2', term = 7 WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		db := emulatedDatabase(f, "us-east-1")
		target := failover.Member{Region: "us-east-1", ID: "arn:aws:rds:us-east-1:123456789012:cluster:todomgmt-primary", Writer: true}
		res, err := db.FenceIDs(ctx, target, failover.FenceRequest{Region: "us-east-1", DataLoss: true, Lag: 2500 * time.Millisecond, MinGap: 5000})
		if err != nil {
			t.Fatalf("FenceIDs through the SDK: %v\n%s", err, f.Output())
		}
		if res.Skipped || res.Region != "us-east-1" || res.Term != 8 || res.MaxID != last || res.Gap < 5000 ||
			res.Floor != last+res.Gap+1 || res.Window < 62500*time.Millisecond || res.Rate <= 0 || res.Reason == "" {
			t.Errorf("fence: %+v; want term 8, max id %d, a gap of at least 5000, a window of at least 62.5 s (the lag and the floor's minute), a rate and a reason", res, last)
		}
		c, err := store.Create(ctx, todo.CreateRequest{Draft: todo.Draft{Task: "after the fence"}})
		if err != nil || c.Todo.ID < res.Floor {
			t.Errorf("create after the fence: %+v, %v; want an id of at least %d", c.Todo, err, res.Floor)
		}
		again, err := db.FenceIDs(ctx, target, failover.FenceRequest{Region: "us-east-1", DataLoss: true})
		if err != nil || !again.Skipped || again.Term != 8 || again.Floor != res.Floor {
			t.Errorf("second fence: %+v, %v; want skipped at term 8, floor %d", again, err, res.Floor)
		}
		// A fence this function cannot make (it runs in us-east-1): the
		// emulator drops Lambda's X-Amz-Function-Error header, so this
		// shows the adapter's second guard, the answer naming another
		// region (or none), never a fence reported as made.
		other := emulatedDatabase(f, "us-west-2")
		if res, err := other.FenceIDs(ctx, failover.Member{Region: "us-west-2", ID: "west"}, failover.FenceRequest{Region: "us-west-2", DataLoss: true}); err == nil {
			t.Errorf("a fence of us-west-2 by us-east-1's function: %+v, want an error", res)
		}
	})

	// The orchestrator reads the fence in every region when it plans
	// (awsfailover.Database.FenceState: the fence-state action through
	// the SDK, as above), on the writer or on a read-only server alike,
	// and the read changes nothing.
	t.Run("fence-state from the orchestrator's AWS adapter", func(t *testing.T) {
		if _, err := root.ExecContext(ctx, "UPDATE id_fence SET writer_region = 'us-west-2', term = 11 WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		var before string
		if err := root.QueryRowContext(ctx, "SELECT CONCAT_WS('|', writer_region, term, floor, gap, fenced_at, reason) FROM id_fence").Scan(&before); err != nil {
			t.Fatal(err)
		}
		db := emulatedDatabase(f, "us-east-1")
		got, err := db.FenceState(ctx, "us-east-1")
		if want := (failover.FenceState{Region: "us-west-2", Term: 11}); err != nil || got != want {
			t.Fatalf("FenceState through the SDK: %+v, %v; want %+v\n%s", got, err, want, f.Output())
		}
		var res FenceStateResponse
		invokeOK(t, f, testdataEvent(t, "fence-state.json", nil), &res)
		if res.Region != "us-west-2" || res.Term != 11 || res.Endpoint != "writer" || time.Since(res.FencedAt) > 24*time.Hour {
			t.Errorf("fence-state: %+v, want us-west-2 at term 11 read through the writer endpoint, with when it was set", res)
		}

		// A region whose server is read-only (its proxy's read/write
		// endpoint reaching a replica) reads the same row.
		if _, err := root.ExecContext(ctx, "SET GLOBAL read_only = 1"); err != nil {
			t.Fatal(err)
		}
		defer root.ExecContext(context.Background(), "SET GLOBAL read_only = 0")
		if got, err := db.FenceState(ctx, "us-east-1"); err != nil || got.Region != "us-west-2" || got.Term != 11 {
			t.Errorf("FenceState on a read-only server: %+v, %v; want us-west-2 at term 11", got, err)
		}
		var after string
		if err := root.QueryRowContext(ctx, "SELECT CONCAT_WS('|', writer_region, term, floor, gap, fenced_at, reason) FROM id_fence").Scan(&after); err != nil || after != before {
			t.Errorf("the fence's row after the reads: %q, %v; want it unchanged: %q", after, err, before)
		}
	})

	t.Run("unknown action is a function error", func(t *testing.T) {
		r := invokeRIE(t, f, []byte(`{"action":"drop-everything"}`))
		e, ok := r.FunctionError()
		if !ok || !strings.Contains(e.Message, `unknown action "drop-everything"`) {
			t.Errorf("got status %d, payload %s; want a function error naming the action", r.Status, r.Payload)
		}
	})

	t.Run("a secret Secrets Manager does not have: FAILED with the reason", func(t *testing.T) {
		other := startMigrateUnderRIE(t, emulator, bootstrap, migrateEnv(c.RootDSN(c.Database()), secrets.URL, rieSecretARN+"-gone"))
		got := cfn.invoke(t, other, testdataEvent(t, "cfn-create.json", nil))
		reason, _ := got["Reason"].(string)
		if got["Status"] != "FAILED" || !strings.Contains(reason, "read app secret") || !strings.Contains(reason, "ResourceNotFoundException") {
			t.Errorf("got %v, want FAILED naming the secret and ResourceNotFoundException", got)
		}
		if _, ok := got["Data"]; ok {
			t.Errorf("a FAILED response carries Data: %v", got)
		}
	})
}

// emulatedDatabase is the orchestrator's AWS adapter with its SDK Lambda
// client pointed at the emulator f, whose invoke endpoint is Lambda's
// Invoke API path for the function "function" (Lambda API Reference,
// Invoke): f stands for region's migrate function.
func emulatedDatabase(f *lambdaemu.Function, region string) *awsfailover.Database {
	return &awsfailover.Database{
		Clients: &awsclient.Clients{Lambda: func(region string) awsclient.LambdaAPI {
			return lambda.New(lambda.Options{
				Region:       region,
				BaseEndpoint: aws.String(f.Endpoint()),
				Credentials:  credentials.NewStaticCredentialsProvider("AKIDRIETEST", "rie-test-secret", ""),
			})
		}},
		MigrateFunctions: map[string]string{region: lambdaemu.FunctionName},
	}
}

// migrateEnv is MigrateFunction's environment in template.yaml, with the
// connection given as a root DSN (the template names RDS Proxy and the
// master user), the secret at arn, Secrets Manager at secretsURL, and the
// credentials Lambda gives the execution role.
func migrateEnv(rootDSN, secretsURL, arn string) []string {
	return []string{
		dbconn.EnvDSN + "=" + rootDSN,
		"TODOMGMT_REGION=us-east-1",
		"TODOMGMT_DB_CONNECT_TIMEOUT=5s",
		"TODOMGMT_LOG_FORMAT=json",
		EnvAppUser + "=todo_app",
		EnvAppSecretARN + "=" + arn,
		EnvIdempotencyRetention + "=24h",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + secretsURL,
		"AWS_ACCESS_KEY_ID=AKIDRIETEST",
		"AWS_SECRET_ACCESS_KEY=rie-test-secret",
		"AWS_SESSION_TOKEN=rie-test-session",
	}
}

// buildMigrateUnderRIE builds the emulator and this function's bootstrap.
func buildMigrateUnderRIE(tb testing.TB, ctx context.Context) (emulator, bootstrap string) {
	tb.Helper()
	if err := lambdaemu.Supported(); err != nil {
		tb.Skip(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	if emulator, err = lambdaemu.BuildEmulator(ctx, root, dir); err != nil {
		tb.Fatal(err)
	}
	if bootstrap, err = lambdaemu.BuildBootstrap(ctx, root, lambdabuild.Migrate, dir); err != nil {
		tb.Fatal(err)
	}
	return emulator, bootstrap
}

// startRIEMySQL starts a server for tb; it skips tb without Docker, or
// fails it under CI or TODOMGMT_REQUIRE_DOCKER.
func startRIEMySQL(tb testing.TB, ctx context.Context) *mysqlcontainer.Container {
	tb.Helper()
	if err := mysqlcontainer.DockerAvailable(ctx); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("TODOMGMT_REQUIRE_DOCKER") != "" {
			tb.Fatalf("Docker is required: %v", err)
		}
		tb.Skipf("SKIPPED: no Docker engine: %v", err)
	}
	c, err := mysqlcontainer.Start(ctx, mysqlcontainer.Options{Labels: map[string]string{"org.todomgmt.test": tb.Name()}})
	if c != nil {
		testcontainers.CleanupContainer(tb, c.Testcontainer())
	}
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// startMigrateUnderRIE runs the bootstrap under the emulator with the
// template's timeout and memory.
func startMigrateUnderRIE(tb testing.TB, emulator, bootstrap string, env []string) *lambdaemu.Function {
	tb.Helper()
	f, err := lambdaemu.Start(tb.Context(), lambdaemu.Config{
		Emulator:  emulator,
		Bootstrap: bootstrap,
		Name:      "todomgmt-migrate",
		Timeout:   900 * time.Second, // MigrateFunction's Timeout
		MemoryMB:  256,
		Env:       env,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		f.Stop(lambdaemu.StopGrace)
		if tb.Failed() {
			tb.Logf("emulator and function output:\n%s", f.Output())
		}
	})
	return f
}

// testdataEvent returns testdata/<file> with the top-level fields of set
// replaced.
func testdataEvent(tb testing.TB, file string, set map[string]any) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		tb.Fatal(err)
	}
	if len(set) == 0 {
		return raw
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	for k, v := range set {
		ev[k] = v
	}
	out, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func invokeRIE(tb testing.TB, f *lambdaemu.Function, payload []byte) lambdaemu.Response {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 2*time.Minute)
	defer cancel()
	r, err := f.Invoke(ctx, payload)
	if err != nil {
		tb.Fatalf("invoke %s: %v", payload, err)
	}
	if r.Status != http.StatusOK || r.TimedOut() {
		tb.Fatalf("invoke %s: the emulator answered %d: %s", payload, r.Status, r.Payload)
	}
	return r
}

// invokeOK invokes f with payload and decodes its result into v.
func invokeOK(tb testing.TB, f *lambdaemu.Function, payload []byte, v any) {
	tb.Helper()
	r := invokeRIE(tb, f, payload)
	if e, ok := r.FunctionError(); ok {
		tb.Fatalf("invoke %s: the function failed: %+v", payload, e)
	}
	if err := json.Unmarshal(r.Payload, v); err != nil {
		tb.Fatalf("invoke %s: result %s: %v", payload, r.Payload, err)
	}
}

// cfnResponseServer stands in for the presigned S3 URL CloudFormation
// gives a custom resource: it takes one PUT of the response document.
// See https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html.
type cfnResponseServer struct {
	*httptest.Server
	mu   sync.Mutex
	puts []cfnPut
}

type cfnPut struct {
	method, uri, contentType string
	body                     []byte
}

func newCFNResponseServer(tb testing.TB) *cfnResponseServer {
	tb.Helper()
	s := &cfnResponseServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.puts = append(s.puts, cfnPut{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), body})
		s.mu.Unlock()
	}))
	tb.Cleanup(s.Close)
	return s
}

// invoke sends the custom resource event ev to f with its ResponseURL
// pointed at s, checks that the function PUT exactly one response there
// and answered the invoke with the same document, and returns it.
func (s *cfnResponseServer) invoke(tb testing.TB, f *lambdaemu.Function, ev []byte) map[string]any {
	tb.Helper()
	s.mu.Lock()
	s.puts = nil
	s.mu.Unlock()
	uri := "/cloudformation-custom-resource-response/SchemaMigration?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=0123abcd"
	var fields map[string]any
	if err := json.Unmarshal(ev, &fields); err != nil {
		tb.Fatal(err)
	}
	fields["ResponseURL"] = s.URL + uri
	payload, err := json.Marshal(fields)
	if err != nil {
		tb.Fatal(err)
	}
	var returned map[string]any
	invokeOK(tb, f, payload, &returned)

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.puts) != 1 {
		tb.Fatalf("CloudFormation got %d responses, want exactly 1", len(s.puts))
	}
	p := s.puts[0]
	if p.method != http.MethodPut || p.uri != uri {
		tb.Errorf("the response went to %s %s, want PUT %s (the presigned URL as given)", p.method, p.uri, uri)
	}
	if p.contentType != "" {
		// The URL is presigned without a Content-Type: sending one
		// breaks the signature.
		tb.Errorf("the response has Content-Type %q, want none", p.contentType)
	}
	var got map[string]any
	if err := json.Unmarshal(p.body, &got); err != nil {
		tb.Fatalf("the response body %s: %v", p.body, err)
	}
	if diff := cmp.Diff(got, returned); diff != "" {
		tb.Errorf("the invoke's result differs from the document sent (-sent +returned):\n%s", diff)
	}
	return got
}

// fakeSecretsManager answers GetSecretValue over the AWS JSON 1.1
// protocol the SDK speaks, as the API reference documents it:
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
// (an unknown SecretId is a 400 ResourceNotFoundException).
type fakeSecretsManager struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string // the Authorization header of each call
}

func newFakeSecretsManager(tb testing.TB, secrets map[string]string) *fakeSecretsManager {
	tb.Helper()
	s := &fakeSecretsManager{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.auths = append(s.auths, r.Header.Get("Authorization"))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fail := func(status int, typ, msg string) {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"__type":%q,"Message":%q}`, typ, msg)
		}
		if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			fail(http.StatusBadRequest, "UnknownOperationException", "only GetSecretValue here")
			return
		}
		var in struct{ SecretId string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			fail(http.StatusBadRequest, "SerializationException", err.Error())
			return
		}
		value, ok := secrets[in.SecretId]
		if !ok {
			fail(http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck // the SDK reports a broken answer
			"ARN":           in.SecretId,
			"Name":          "todomgmt-app",
			"SecretString":  value,
			"VersionId":     "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
			"VersionStages": []string{"AWSCURRENT"},
			"CreatedDate":   1.767323045e9,
		})
	}))
	tb.Cleanup(s.Close)
	return s
}

func (s *fakeSecretsManager) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}
