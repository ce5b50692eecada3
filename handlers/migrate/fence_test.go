package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
)

// TestDirectInvokeFence: the fence-ids action hands the orchestrator's
// fence, decoded strictly, to the fence (never the migration or the purge)
// and answers with its result under the documented keys.
func TestDirectInvokeFence(t *testing.T) {
	done := FenceResponse{Region: "us-west-2", Term: 3, MaxID: 41, Floor: 1_000_042, Gap: 1_000_000, Rate: 0.5, WindowSeconds: 61.5, Reason: "unplanned: …"}
	okFence := func(context.Context, FenceRequest) (FenceResponse, error) { return done, nil }
	for _, tt := range []struct {
		name      string
		event     string
		fence     fenceFunc
		wantReq   FenceRequest
		wantCalls int32
		wantErr   string
		want      any
	}{
		{name: "unplanned", event: `{"action":"fence-ids","fence":{"region":"us-west-2","dataLoss":true,"lagSeconds":1.5,"minGap":0}}`,
			fence: okFence, wantCalls: 1, wantReq: FenceRequest{Region: "us-west-2", DataLoss: true, LagSeconds: 1.5}, want: done},
		{name: "planned, fields left out, any case", event: `{"action":" Fence-IDs ","fence":{"region":"us-west-2"}}`,
			fence: okFence, wantCalls: 1, wantReq: FenceRequest{Region: "us-west-2"}, want: done},
		{name: "no fence", event: `{"action":"fence-ids"}`, fence: okFence, wantErr: `needs "fence"`},
		{name: "null fence", event: `{"action":"fence-ids","fence":null}`, fence: okFence, wantErr: `needs "fence"`},
		{name: "unknown field", event: `{"action":"fence-ids","fence":{"region":"us-west-2","lag":1}}`, fence: okFence, wantErr: `unknown field "lag"`},
		{name: "no region", event: `{"action":"fence-ids","fence":{"dataLoss":true}}`, fence: okFence, wantErr: "fence.region"},
		{name: "bad region", event: `{"action":"fence-ids","fence":{"region":"US-WEST-2"}}`, fence: okFence, wantErr: "fence.region"},
		{name: "negative lag", event: `{"action":"fence-ids","fence":{"region":"us-west-2","lagSeconds":-1}}`, fence: okFence, wantErr: "lagSeconds"},
		{name: "lag as a string", event: `{"action":"fence-ids","fence":{"region":"us-west-2","lagSeconds":"1.5"}}`, fence: okFence, wantErr: "lagSeconds"},
		{name: "negative gap", event: `{"action":"fence-ids","fence":{"region":"us-west-2","minGap":-5}}`, fence: okFence, wantErr: "minGap"},
		{name: "fence error", event: `{"action":"fence-ids","fence":{"region":"us-west-2"}}`, wantCalls: 1, wantReq: FenceRequest{Region: "us-west-2"}, wantErr: "read-only",
			fence: func(context.Context, FenceRequest) (FenceResponse, error) {
				return FenceResponse{}, errors.New("the server is read-only")
			}},
		{name: "fence panic", event: `{"action":"fence-ids","fence":{"region":"us-west-2"}}`, wantCalls: 1, wantReq: FenceRequest{Region: "us-west-2"}, wantErr: "panic",
			fence: func(context.Context, FenceRequest) (FenceResponse, error) { panic("boom") }},
		{name: "not configured", event: `{"action":"fence-ids","fence":{"region":"us-west-2"}}`, wantErr: "not configured"},
		{name: "unknown action names it", event: `{"action":"fence"}`, fence: okFence, wantErr: "fence-ids"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			var got FenceRequest
			run := &fakeRun{fn: okRun}
			h := testHandler(run.run)
			if tt.fence != nil {
				h.fence = func(ctx context.Context, req FenceRequest) (FenceResponse, error) {
					calls.Add(1)
					got = req
					return tt.fence(ctx, req)
				}
			}
			out, err := h.Handle(context.Background(), json.RawMessage(tt.event))
			if n := calls.Load(); n != tt.wantCalls {
				t.Errorf("fenced %d times, want %d", n, tt.wantCalls)
			}
			if tt.wantCalls > 0 && got != tt.wantReq {
				t.Errorf("fence request %+v, want %+v", got, tt.wantReq)
			}
			if n := run.calls.Load(); n != 0 {
				t.Errorf("migrated %d times, want 0", n)
			}
			checkHandled(t, out, err, tt.want, tt.wantErr)
		})
	}
}

// TestFenceResponseJSON: the keys the orchestrator reads.
func TestFenceResponseJSON(t *testing.T) {
	b, err := json.Marshal(FenceResponse{Region: "us-west-2", Term: 2, Skipped: true, MaxID: 9, Floor: 10, Gap: 0, Rate: 1.25, WindowSeconds: 0, Reason: "r"})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"region": "us-west-2", "term": 2.0, "skipped": true, "maxId": 9.0, "floor": 10.0, "gap": 0.0, "rate": 1.25, "windowSeconds": 0.0, "reason": "r"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}

// TestFence: the migrator fences only its own region, and fails clearly on
// a read-only server, changing nothing there.
func TestFence(t *testing.T) {
	for _, tt := range []struct {
		name     string
		env      map[string]string
		req      FenceRequest
		server   *fakeServer
		wantErr  []string
		wantOpen bool
	}{
		{name: "another region's fence", env: map[string]string{"TODOMGMT_REGION": "us-east-1"}, req: FenceRequest{Region: "us-west-2"},
			wantErr: []string{"us-west-2", "runs in us-east-1"}},
		{name: "the region from AWS_REGION", env: map[string]string{"AWS_REGION": "eu-west-1"}, req: FenceRequest{Region: "us-west-2"},
			wantErr: []string{"runs in eu-west-1"}},
		{name: "a bad region variable", env: map[string]string{"TODOMGMT_REGION": "Nowhere"}, req: FenceRequest{Region: "us-west-2"},
			wantErr: []string{"TODOMGMT_REGION"}},
		{name: "a read-only server", env: map[string]string{"TODOMGMT_REGION": "us-west-2"}, req: FenceRequest{Region: "us-west-2", DataLoss: true},
			server: &fakeServer{readOnly: true}, wantOpen: true, wantErr: []string{"read-only", "after the promotion"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{dbconn.EnvHost: "proxy.example"}
			for k, v := range tt.env {
				env[k] = v
			}
			opened := false
			m := &migrator{
				getenv: func(k string) string { return env[k] },
				open: func(context.Context, dbconn.Config) (*dbconn.Pools, error) {
					opened = true
					if tt.server == nil {
						t.Fatal("opened a pool")
					}
					return &dbconn.Pools{Writer: sql.OpenDB(tt.server)}, nil
				},
			}
			_, err := m.Fence(t.Context(), tt.req)
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("got error %v, want one containing %q", err, want)
				}
			}
			if opened != tt.wantOpen {
				t.Errorf("opened pools: %v, want %v", opened, tt.wantOpen)
			}
			if tt.server != nil && tt.server.writes.Load() != 0 {
				t.Errorf("%d statements ran on the read-only server, want none", tt.server.writes.Load())
			}
		})
	}
}
