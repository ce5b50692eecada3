package awsfailover

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// TestFenceStateOnTheWire: the fence is read by a synchronous invoke of
// the region's migrate function with the fence-state action, built by
// the real SDK client; the answer is decoded, and a function error
// (Lambda's X-Amz-Function-Error header with the handler's
// {"errorMessage", "errorType"} payload, Lambda Invoke API reference) or
// an answer that is not a fence is an error.
func TestFenceStateOnTheWire(t *testing.T) {
	for _, tt := range []struct {
		name    string
		answer  string
		fnError string
		want    failover.FenceState
		wantErr string
	}{
		{name: "read by the reader of a region without the writer",
			answer: `{"region":"us-east-1","term":3,"fencedAt":"2026-11-05T09:00:00.5Z","endpoint":"reader"}`,
			want:   failover.FenceState{Region: east, Term: 3}},
		{name: "as the migration seeded it", answer: `{"region":"us-east-1","term":0,"fencedAt":"2026-11-05T09:00:00Z","endpoint":"writer"}`,
			want: failover.FenceState{Region: east, Term: 0}},
		{name: "neither endpoint answers", fnError: "Unhandled",
			answer:  `{"errorMessage":"read the id fence: connect: dial tcp: i/o timeout (the reader endpoint todomgmt-proxy-ro does not answer either: timeout)","errorType":"wrapError"}`,
			wantErr: "todomgmt-migrate in us-west-2: function error (Unhandled): read the id fence: connect: dial tcp: i/o timeout"},
		{name: "a function that does not know the action yet", fnError: "Unhandled",
			answer:  `{"errorMessage":"unknown action \"fence-state\": want \"migrate\", \"CREATE_TABLE\", \"purge-idempotency-keys\" or \"fence-ids\"","errorType":"errorString"}`,
			wantErr: `unknown action "fence-state"`},
		{name: "the function cannot read it", answer: `{"unread":"connect: refused (the reader endpoint does not answer either)"}`, wantErr: "cannot read the id fence: connect: refused"},
		{name: "an answer without a term", answer: `{"status":"skipped","message":"read-only replica"}`, wantErr: "the answer is not a fence"},
		{name: "an answer without a region", answer: `{"region":"","term":2}`, wantErr: "the answer is not a fence"},
		{name: "not JSON", answer: `null or worse`, wantErr: "not JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := awstest.NewRecorder(t)
			rec.WireBody = func(awstest.WireCall) (int, string) { return 200, tt.answer }
			rec.WireHeader = func(awstest.WireCall) http.Header {
				h := http.Header{"Content-Type": {"application/json"}}
				if tt.fnError != "" {
					h.Set("X-Amz-Function-Error", tt.fnError)
				}
				return h
			}
			db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients(),
				MigrateFunctions: map[string]string{east: "todomgmt-migrate", west: "todomgmt-migrate"}}
			got, err := db.FenceState(context.Background(), west)
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("FenceState = %+v, %v; want an error containing %q", got, err, tt.wantErr)
			case tt.wantErr == "" && (err != nil || got != tt.want):
				t.Errorf("FenceState = %+v, %v; want %+v", got, err, tt.want)
			}

			calls := rec.Calls("Invoke")
			if len(calls) != 1 || calls[0].Region != west {
				t.Fatalf("Invoke calls %+v, want one in %s", calls, west)
			}
			in := calls[0].Input.(*lambda.InvokeInput)
			if aws.ToString(in.FunctionName) != "todomgmt-migrate" || in.InvocationType != lambdatypes.InvocationTypeRequestResponse {
				t.Errorf("function %q invocation type %q, want todomgmt-migrate RequestResponse", aws.ToString(in.FunctionName), in.InvocationType)
			}
			w := rec.Wire()
			if len(w) != 1 {
				t.Fatalf("%d wire requests, want 1", len(w))
			}
			if w[0].Method != http.MethodPost || w[0].URL.Host != "lambda.us-west-2.amazonaws.com" || w[0].URL.Path != "/2015-03-31/functions/todomgmt-migrate/invocations" {
				t.Errorf("request %s %s%s, want POST lambda.us-west-2.amazonaws.com/2015-03-31/functions/todomgmt-migrate/invocations", w[0].Method, w[0].URL.Host, w[0].URL.Path)
			}
			if r, svc := awstest.CredentialScope(w[0].Header); r != west || svc != "lambda" {
				t.Errorf("signed for %s/%s, want %s/lambda", r, svc, west)
			}
			if w[0].Body != `{"action":"fence-state"}` {
				t.Errorf("payload %s, want {\"action\":\"fence-state\"}", w[0].Body)
			}
		})
	}
}

// TestFenceStateWithoutMigrateFunctions: the readiness function's
// Database has none (its role may not invoke): the fence is not
// applicable there, and nothing is called. A region without one among
// those known is an error of that region's read.
func TestFenceStateWithoutMigrateFunctions(t *testing.T) {
	rec := awstest.NewRecorder(t)
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients()}
	if _, err := db.FenceState(context.Background(), west); !errors.Is(err, failover.ErrNotApplicable) {
		t.Errorf("FenceState without migrate functions: %v, want ErrNotApplicable", err)
	}
	db.MigrateFunctions = map[string]string{east: "todomgmt-migrate"}
	if _, err := db.FenceState(context.Background(), west); err == nil || errors.Is(err, failover.ErrNotApplicable) || !strings.Contains(err.Error(), "no migrate function known there") {
		t.Errorf("FenceState in a region without a function: %v, want an error of that region", err)
	}
	if calls := rec.Calls(); len(calls) != 0 {
		t.Errorf("calls %+v, want none", calls)
	}
}
