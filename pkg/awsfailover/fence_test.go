package awsfailover

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// TestFenceIDsOnTheWire: the fence is a synchronous invoke of the target
// region's migrate function with the fence-ids action, built by the real
// SDK client; its answer is decoded, and a function error (Lambda's
// X-Amz-Function-Error header with the handler's {"errorMessage",
// "errorType"} payload, Lambda Invoke API reference) is an error with
// the function's message.
func TestFenceIDsOnTheWire(t *testing.T) {
	lossy := failover.FenceRequest{Region: west, DataLoss: true, Lag: 1500 * time.Millisecond}
	for _, tt := range []struct {
		name     string
		target   failover.Member
		req      failover.FenceRequest
		wantBody string
		answer   string
		fnError  string
		want     failover.FenceResult
		wantErr  string
	}{
		{
			name:     "failover with data loss",
			target:   failover.Member{Region: west, ID: westARN},
			req:      lossy,
			wantBody: `{"action":"fence-ids","fence":{"region":"us-west-2","dataLoss":true,"lagSeconds":1.5,"minGap":0}}`,
			answer:   `{"region":"us-west-2","term":3,"skipped":false,"maxId":1234,"floor":1001235,"gap":1000000,"rate":2.5,"windowSeconds":75.5,"reason":"gap = max(floor 1000000, ceil(10 × 2.5/s × 75.5s))","extra":"ignored"}`,
			want: failover.FenceResult{Region: west, Term: 3, MaxID: 1234, Floor: 1001235, Gap: 1000000, Rate: 2.5, Window: 75500 * time.Millisecond,
				Reason: "gap = max(floor 1000000, ceil(10 × 2.5/s × 75.5s))"},
		},
		{
			name:     "switchover, already fenced; a detached writer is a region alone",
			target:   failover.Member{Region: west},
			req:      failover.FenceRequest{Region: west, MinGap: 5000},
			wantBody: `{"action":"fence-ids","fence":{"region":"us-west-2","dataLoss":false,"lagSeconds":0,"minGap":5000}}`,
			answer:   `{"region":"us-west-2","term":2,"skipped":true,"maxId":1234,"floor":1235,"gap":0,"rate":0,"windowSeconds":0,"reason":"already names us-west-2"}`,
			want:     failover.FenceResult{Region: west, Term: 2, Skipped: true, MaxID: 1234, Floor: 1235, Reason: "already names us-west-2"},
		},
		{
			name:     "read-only server",
			target:   failover.Member{Region: west, ID: westARN},
			req:      lossy,
			wantBody: `{"action":"fence-ids","fence":{"region":"us-west-2","dataLoss":true,"lagSeconds":1.5,"minGap":0}}`,
			answer:   `{"errorMessage":"fence ids: the server is read-only (Error 1290)","errorType":"wrapError"}`,
			fnError:  "Unhandled",
			wantErr:  "todomgmt-migrate in us-west-2: function error (Unhandled): fence ids: the server is read-only (Error 1290)",
		},
		{
			name:     "function timed out",
			target:   failover.Member{Region: west, ID: westARN},
			req:      lossy,
			wantBody: `{"action":"fence-ids","fence":{"region":"us-west-2","dataLoss":true,"lagSeconds":1.5,"minGap":0}}`,
			answer:   `{"errorMessage":"2026-11-05T09:00:30.000Z 1d2e Task timed out after 900.00 seconds"}`,
			fnError:  "Unhandled",
			wantErr:  "Task timed out after 900.00 seconds",
		},
		{
			name:     "an answer for another region is not a fence of this one",
			target:   failover.Member{Region: west, ID: westARN},
			req:      lossy,
			wantBody: `{"action":"fence-ids","fence":{"region":"us-west-2","dataLoss":true,"lagSeconds":1.5,"minGap":0}}`,
			answer:   `{"region":"us-east-1","term":3}`,
			wantErr:  `the fence names "us-east-1", want "us-west-2"`,
		},
		{
			name:     "an answer without a term",
			target:   failover.Member{Region: west, ID: westARN},
			req:      lossy,
			wantBody: `{"action":"fence-ids","fence":{"region":"us-west-2","dataLoss":true,"lagSeconds":1.5,"minGap":0}}`,
			answer:   `{"status":"skipped","message":"no writer in this region"}`,
			wantErr:  `the fence names "", want "us-west-2"`,
		},
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
			got, err := db.FenceIDs(context.Background(), tt.target, tt.req)
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Errorf("FenceIDs: %v", err)
			case tt.wantErr == "":
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("result (-want +got):\n%s", diff)
				}
			}

			calls := rec.Calls("Invoke")
			if len(calls) != 1 || calls[0].Region != west {
				t.Fatalf("Invoke calls %+v, want one in the target's region %s", calls, west)
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
			if got := w[0].Header.Get("X-Amz-Invocation-Type"); got != "RequestResponse" {
				t.Errorf("X-Amz-Invocation-Type %q, want RequestResponse", got)
			}
			var gotBody, wantBody any
			if err := json.Unmarshal([]byte(w[0].Body), &gotBody); err != nil {
				t.Fatalf("body %q: %v", w[0].Body, err)
			}
			_ = json.Unmarshal([]byte(tt.wantBody), &wantBody)
			if diff := cmp.Diff(wantBody, gotBody); diff != "" {
				t.Errorf("payload (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFenceIDsWithoutAFunctionInTheRegion(t *testing.T) {
	rec := awstest.NewRecorder(t)
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients(), MigrateFunctions: map[string]string{east: "todomgmt-migrate"}}
	_, err := db.FenceIDs(context.Background(), failover.Member{Region: west, ID: westARN}, failover.FenceRequest{Region: west})
	if err == nil || !strings.Contains(err.Error(), "no migrate function known") {
		t.Errorf("error %v, want one saying no migrate function is known in %s", err, west)
	}
	if n := len(rec.Calls()); n != 0 {
		t.Errorf("%d calls, want none", n)
	}
}

// TestFenceIDsNeedsTheMembersRegion: the fence runs in the region the plan
// names for its target; an ARN is never parsed back into one.
func TestFenceIDsNeedsTheMembersRegion(t *testing.T) {
	rec := awstest.NewRecorder(t)
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients(),
		MigrateFunctions: map[string]string{east: "todomgmt-migrate", west: "todomgmt-migrate"}}
	_, err := db.FenceIDs(context.Background(), failover.Member{ID: westARN}, failover.FenceRequest{Region: west})
	if err == nil || !strings.Contains(err.Error(), "has no region") {
		t.Errorf("FenceIDs of a member without a region: %v, want an error naming it", err)
	}
	if calls := rec.Calls(); len(calls) != 0 {
		t.Errorf("calls %+v, want none", calls)
	}
}
