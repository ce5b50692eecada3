package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// cfnServer stands in for the presigned S3 URL CloudFormation waits on.
type cfnServer struct {
	*httptest.Server
	mu        sync.Mutex
	responses []cfnResponse
	methods   []string
	types     []string
	failFirst int // answer 500 to this many requests first
	calls     int
}

func newCFNServer(tb testing.TB) *cfnServer {
	tb.Helper()
	s := &cfnServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.calls++
		if s.calls <= s.failFirst {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var resp cfnResponse
		if err := json.Unmarshal(body, &resp); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.responses = append(s.responses, resp)
		s.methods = append(s.methods, r.Method+" "+r.URL.RequestURI())
		s.types = append(s.types, r.Header.Get("Content-Type"))
	}))
	tb.Cleanup(s.Close)
	return s
}

func (s *cfnServer) only(tb testing.TB) cfnResponse {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.responses) != 1 {
		tb.Fatalf("CloudFormation got %d responses, want exactly 1", len(s.responses))
	}
	return s.responses[0]
}

func event(url, requestType, physicalID string) json.RawMessage {
	ev := map[string]any{
		"RequestType":        requestType,
		"ResponseURL":        url + "/cfn-response?X-Amz-Signature=abc",
		"StackId":            "arn:aws:cloudformation:us-east-1:123456789012:stack/todomgmt/guid",
		"RequestId":          "req-1",
		"LogicalResourceId":  "Migration",
		"ResourceType":       "Custom::Migration",
		"ResourceProperties": map[string]any{"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:migrate"},
	}
	if physicalID != "" {
		ev["PhysicalResourceId"] = physicalID
	}
	b, _ := json.Marshal(ev)
	return b
}

type fakeRun struct {
	calls atomic.Int32
	fn    func(ctx context.Context) (Result, error)
}

func (f *fakeRun) run(ctx context.Context) (Result, error) {
	f.calls.Add(1)
	return f.fn(ctx)
}

func okRun(context.Context) (Result, error) {
	return Result{Status: "ok", Message: "schema at version 2 (2 applied now)", Applied: []int{1, 2}, NewlyApplied: []int{1, 2}, AppUser: "todo_app"}, nil
}

func testHandler(run runFunc) *handler {
	h := newHandler(run, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.retryWait = time.Millisecond
	return h
}

func TestCustomResource(t *testing.T) {
	for _, tt := range []struct {
		name        string
		requestType string
		physicalID  string
		run         func(ctx context.Context) (Result, error)
		wantRuns    int32
		want        cfnResponse
		wantReason  string // substring
	}{
		{
			name: "create runs and succeeds", requestType: "Create", run: okRun, wantRuns: 1,
			want: cfnResponse{Status: "SUCCESS", PhysicalResourceID: PhysicalResourceID,
				Data: map[string]string{"Status": "ok", "Applied": "1,2", "NewlyApplied": "1,2", "AppUser": "todo_app"}},
		},
		{
			name: "update keeps the physical id", requestType: "Update", physicalID: "earlier-id", run: okRun, wantRuns: 1,
			want: cfnResponse{Status: "SUCCESS", PhysicalResourceID: "earlier-id",
				Data: map[string]string{"Status": "ok", "Applied": "1,2", "NewlyApplied": "1,2", "AppUser": "todo_app"}},
		},
		{
			name: "delete does nothing and succeeds", requestType: "Delete", physicalID: PhysicalResourceID, run: okRun, wantRuns: 0,
			want: cfnResponse{Status: "SUCCESS", PhysicalResourceID: PhysicalResourceID},
		},
		{
			name: "delete after a failed create succeeds", requestType: "Delete", physicalID: PhysicalResourceID,
			run: func(context.Context) (Result, error) { return Result{}, errors.New("db down") }, wantRuns: 0,
			want: cfnResponse{Status: "SUCCESS", PhysicalResourceID: PhysicalResourceID},
		},
		{
			name: "read-only replica is a success", requestType: "Create",
			run: func(context.Context) (Result, error) {
				return Result{Status: "skipped", Message: "skipped: read-only replica", Applied: []int{1, 2}, NewlyApplied: []int{}}, nil
			},
			wantRuns: 1,
			want: cfnResponse{Status: "SUCCESS", PhysicalResourceID: PhysicalResourceID,
				Data: map[string]string{"Status": "skipped", "Applied": "1,2", "NewlyApplied": "", "AppUser": ""}},
			wantReason: "skipped: read-only replica",
		},
		{
			name: "error fails with a reason", requestType: "Create",
			run:      func(context.Context) (Result, error) { return Result{}, errors.New("apply migrations: access denied") },
			wantRuns: 1, want: cfnResponse{Status: "FAILED", PhysicalResourceID: PhysicalResourceID},
			wantReason: "access denied",
		},
		{
			name: "panic fails instead of leaving the stack waiting", requestType: "Update", physicalID: PhysicalResourceID,
			run:      func(context.Context) (Result, error) { panic("nil map") },
			wantRuns: 1, want: cfnResponse{Status: "FAILED", PhysicalResourceID: PhysicalResourceID},
			wantReason: "panic: nil map",
		},
		{
			name: "unknown request type fails", requestType: "Replace", run: okRun, wantRuns: 0,
			want: cfnResponse{Status: "FAILED", PhysicalResourceID: PhysicalResourceID}, wantReason: "Replace",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCFNServer(t)
			f := &fakeRun{fn: tt.run}
			_, err := testHandler(f.run).Handle(context.Background(), event(srv.URL, tt.requestType, tt.physicalID))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if got := f.calls.Load(); got != tt.wantRuns {
				t.Errorf("ran %d times, want %d", got, tt.wantRuns)
			}
			got := srv.only(t)
			if tt.wantReason != "" && !strings.Contains(got.Reason, tt.wantReason) {
				t.Errorf("Reason %q, want it to contain %q", got.Reason, tt.wantReason)
			}
			tt.want.StackID = "arn:aws:cloudformation:us-east-1:123456789012:stack/todomgmt/guid"
			tt.want.RequestID = "req-1"
			tt.want.LogicalResourceID = "Migration"
			got.Reason, tt.want.Reason = "", ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if srv.methods[0] != "PUT /cfn-response?X-Amz-Signature=abc" {
				t.Errorf("request %q, want a PUT to the presigned URL", srv.methods[0])
			}
			if srv.types[0] != "" {
				t.Errorf("Content-Type %q, want none (the URL is signed without one)", srv.types[0])
			}
		})
	}
}

// TestCustomResourceTimeout: a run that would outlast the invocation is
// abandoned in time to answer FAILED before the deadline.
func TestCustomResourceTimeout(t *testing.T) {
	srv := newCFNServer(t)
	h := testHandler(func(ctx context.Context) (Result, error) {
		<-ctx.Done() // a migration stuck on a lock, cut off by the work deadline
		time.Sleep(time.Hour)
		return Result{}, nil
	})
	h.reserve = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := h.Handle(ctx, event(srv.URL, "Create", "")); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if ctx.Err() != nil {
		t.Error("the handler answered only after the invocation deadline")
	}
	got := srv.only(t)
	if got.Status != "FAILED" || !strings.Contains(got.Reason, "timed out") {
		t.Errorf("got %s %q, want FAILED with a timeout reason", got.Status, got.Reason)
	}
}

func TestCustomResourceRetriesTheResponse(t *testing.T) {
	srv := newCFNServer(t)
	srv.failFirst = 2
	if _, err := testHandler(okRun).Handle(context.Background(), event(srv.URL, "Create", "")); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if got := srv.only(t); got.Status != "SUCCESS" {
		t.Errorf("status %s, want SUCCESS", got.Status)
	}
}

// TestCustomResourceResponseFails: when the answer cannot be delivered,
// Handle fails, and neither its error nor the log quotes the presigned
// URL's query string (a credential), whether the URL answered with an
// error status or could not be reached at all.
func TestCustomResourceResponseFails(t *testing.T) {
	failing := newCFNServer(t)
	failing.failFirst = 100
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, tt := range []struct {
		name, url string
	}{
		{"error status", failing.URL},
		{"unreachable", closed.URL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs strings.Builder
			h := testHandler(okRun)
			h.log = slog.New(slog.NewTextHandler(&logs, nil))
			_, err := h.Handle(context.Background(), event(tt.url, "Create", ""))
			if err == nil {
				t.Fatal("Handle succeeded although CloudFormation never got the answer")
			}
			if strings.Contains(err.Error(), "X-Amz-Signature") {
				t.Errorf("error %q quotes the presigned URL", err)
			}
			if strings.Contains(logs.String(), "X-Amz-Signature") {
				t.Errorf("log quotes the presigned URL:\n%s", logs.String())
			}
		})
	}
}

func TestDirectInvoke(t *testing.T) {
	for _, tt := range []struct {
		name     string
		event    string
		run      func(context.Context) (Result, error)
		wantRuns int32
		wantErr  string
		want     Result
	}{
		{name: "the sample's CREATE_TABLE", event: `{"action":"CREATE_TABLE"}`, run: okRun, wantRuns: 1,
			want: Result{Status: "ok", Message: "schema at version 2 (2 applied now)", Applied: []int{1, 2}, NewlyApplied: []int{1, 2}, AppUser: "todo_app"}},
		{name: "migrate", event: `{"action":"migrate"}`, run: okRun, wantRuns: 1,
			want: Result{Status: "ok", Message: "schema at version 2 (2 applied now)", Applied: []int{1, 2}, NewlyApplied: []int{1, 2}, AppUser: "todo_app"}},
		{name: "read-only replica", event: `{"action":"migrate"}`, wantRuns: 1,
			run: func(context.Context) (Result, error) {
				return Result{Status: "skipped", Message: "skipped: read-only replica", Applied: []int{1, 2}, NewlyApplied: []int{}}, nil
			},
			want: Result{Status: "skipped", Message: "skipped: read-only replica", Applied: []int{1, 2}, NewlyApplied: []int{}}},
		{name: "run error", event: `{"action":"migrate"}`, wantRuns: 1, wantErr: "boom",
			run: func(context.Context) (Result, error) { return Result{}, errors.New("boom") }},
		{name: "run panic", event: `{"action":"migrate"}`, wantRuns: 1, wantErr: "panic",
			run: func(context.Context) (Result, error) { panic("boom") }},
		{name: "unknown action", event: `{"action":"DROP_TABLE"}`, run: okRun, wantErr: "DROP_TABLE"},
		{name: "empty object", event: `{}`, run: okRun, wantErr: "unknown event"},
		{name: "not an object", event: `[1,2]`, run: okRun, wantErr: "JSON object"},
		{name: "custom resource without ResponseURL", event: `{"RequestType":"Create","RequestId":"r"}`, run: okRun, wantRuns: 0, wantErr: "ResponseURL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeRun{fn: tt.run}
			out, err := testHandler(f.run).Handle(context.Background(), json.RawMessage(tt.event))
			if got := f.calls.Load(); got != tt.wantRuns {
				t.Errorf("ran %d times, want %d", got, tt.wantRuns)
			}
			checkHandled(t, out, err, tt.want, tt.wantErr)
		})
	}
}

// TestDirectInvokePurge: the purge action runs the purge (never the
// migration) and answers with its result, its errors and panics as errors.
func TestDirectInvokePurge(t *testing.T) {
	cutoff := time.Date(2026, 3, 3, 5, 0, 0, 0, time.UTC)
	okPurge := func(context.Context) (PurgeResult, error) {
		return PurgeResult{Status: "ok", Message: "deleted 3 idempotency keys", Deleted: 3, Cutoff: cutoff, Retention: "24h0m0s"}, nil
	}
	for _, tt := range []struct {
		name       string
		event      string
		purge      purgeFunc
		wantPurges int32
		wantErr    string
		want       any
	}{
		{name: "purge", event: `{"action":"purge-idempotency-keys"}`, purge: okPurge, wantPurges: 1,
			want: PurgeResult{Status: "ok", Message: "deleted 3 idempotency keys", Deleted: 3, Cutoff: cutoff, Retention: "24h0m0s"}},
		{name: "any case", event: `{"action":" Purge-Idempotency-KEYS "}`, purge: okPurge, wantPurges: 1,
			want: PurgeResult{Status: "ok", Message: "deleted 3 idempotency keys", Deleted: 3, Cutoff: cutoff, Retention: "24h0m0s"}},
		{name: "skipped", event: `{"action":"purge-idempotency-keys"}`, wantPurges: 1,
			purge: func(context.Context) (PurgeResult, error) {
				return PurgeResult{Status: "skipped", Message: MsgSkippedNoWriter, Cutoff: cutoff, Retention: "24h0m0s"}, nil
			},
			want: PurgeResult{Status: "skipped", Message: MsgSkippedNoWriter, Cutoff: cutoff, Retention: "24h0m0s"}},
		{name: "purge error", event: `{"action":"purge-idempotency-keys"}`, wantPurges: 1, wantErr: "boom",
			purge: func(context.Context) (PurgeResult, error) { return PurgeResult{}, errors.New("boom") }},
		{name: "purge panic", event: `{"action":"purge-idempotency-keys"}`, wantPurges: 1, wantErr: "panic",
			purge: func(context.Context) (PurgeResult, error) { panic("boom") }},
		{name: "not configured", event: `{"action":"purge-idempotency-keys"}`, wantErr: "not configured"},
		{name: "unknown action names it", event: `{"action":"purge"}`, purge: okPurge, wantErr: "purge-idempotency-keys"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var purges atomic.Int32
			var purge purgeFunc
			if tt.purge != nil {
				purge = func(ctx context.Context) (PurgeResult, error) {
					purges.Add(1)
					return tt.purge(ctx)
				}
			}
			run := &fakeRun{fn: okRun}
			h := testHandler(run.run)
			h.purge = purge
			out, err := h.Handle(context.Background(), json.RawMessage(tt.event))
			if got := purges.Load(); got != tt.wantPurges {
				t.Errorf("purged %d times, want %d", got, tt.wantPurges)
			}
			if got := run.calls.Load(); got != 0 {
				t.Errorf("migrated %d times, want 0", got)
			}
			checkHandled(t, out, err, tt.want, tt.wantErr)
		})
	}
}

// checkHandled compares what Handle returned with want, or, when wantErr
// is set, checks the error contains it.
func checkHandled(tb testing.TB, out any, err error, want any, wantErr string) {
	tb.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			tb.Errorf("got error %v, want one containing %q", err, wantErr)
		}
		return
	}
	if err != nil {
		tb.Fatalf("Handle: %v", err)
	}
	if diff := cmp.Diff(want, out); diff != "" {
		tb.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestTruncate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"0123456789abc", 10, "0123456..."},
		{"ééééé", 8, "éé..."}, // never cuts a rune in half
	} {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// TestTestdataEvents checks the sample events (for `sam local invoke -e`)
// reach the right branch: the custom resource ones answer at their
// ResponseURL (pointed at a test server here), the direct ones run.
func TestTestdataEvents(t *testing.T) {
	for _, tt := range []struct {
		file       string
		wantRuns   int32
		wantPUT    bool
		wantFences int32
	}{
		{"cfn-create.json", 1, true, 0},
		{"cfn-delete.json", 0, true, 0},
		{"create-table.json", 1, false, 0},
		{"migrate.json", 1, false, 0},
		{"fence-ids.json", 0, false, 1},
	} {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			srv := newCFNServer(t)
			var ev map[string]any
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			if _, ok := ev["ResponseURL"]; ok {
				ev["ResponseURL"] = srv.URL + "/response"
			}
			raw, _ = json.Marshal(ev)
			f := &fakeRun{fn: okRun}
			h := testHandler(f.run)
			var fences atomic.Int32
			h.fence = func(context.Context, FenceRequest) (FenceResponse, error) {
				fences.Add(1)
				return FenceResponse{}, nil
			}
			if _, err := h.Handle(context.Background(), raw); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if got := f.calls.Load(); got != tt.wantRuns {
				t.Errorf("ran %d times, want %d", got, tt.wantRuns)
			}
			if got := fences.Load(); got != tt.wantFences {
				t.Errorf("fenced %d times, want %d", got, tt.wantFences)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if got := len(srv.responses) == 1; got != tt.wantPUT {
				t.Errorf("answered CloudFormation: %v, want %v", got, tt.wantPUT)
			}
		})
	}
}
