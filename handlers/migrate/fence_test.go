package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

// TestDirectInvokeFenceState: the fence-state action reads the fence
// (never the migration, the purge or the fence itself), takes no fence,
// and answers with what it read under the documented keys.
func TestDirectInvokeFenceState(t *testing.T) {
	read := FenceStateResponse{Region: "us-east-1", Term: 4, FencedAt: time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC), Endpoint: "reader"}
	okRead := func(context.Context) (FenceStateResponse, error) { return read, nil }
	for _, tt := range []struct {
		name      string
		event     string
		read      fenceStateFunc
		wantCalls int32
		wantErr   string
		want      any
	}{
		{name: "read", event: `{"action":"fence-state"}`, read: okRead, wantCalls: 1, want: read},
		{name: "any case", event: `{"action":" Fence-State "}`, read: okRead, wantCalls: 1, want: read},
		{name: "a fence given by mistake", event: `{"action":"fence-state","fence":{"region":"us-west-2"}}`, read: okRead, wantErr: `takes no "fence"`},
		// A database that does not answer is an answer, not a function
		// error: status reads the fence, and must not page anyone.
		{name: "read error", event: `{"action":"fence-state"}`, wantCalls: 1,
			want: FenceStateResponse{Unread: "connect: refused (the reader endpoint does not answer either)"},
			read: func(context.Context) (FenceStateResponse, error) {
				return FenceStateResponse{}, errors.New("connect: refused (the reader endpoint does not answer either)")
			}},
		{name: "read panic", event: `{"action":"fence-state"}`, wantCalls: 1, wantErr: "panic",
			read: func(context.Context) (FenceStateResponse, error) { panic("boom") }},
		{name: "not configured", event: `{"action":"fence-state"}`, wantErr: "not configured"},
		{name: "unknown action names it", event: `{"action":"fence-read"}`, read: okRead, wantErr: "fence-state"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls, fences atomic.Int32
			run := &fakeRun{fn: okRun}
			h := testHandler(run.run)
			h.fence = func(context.Context, FenceRequest) (FenceResponse, error) {
				fences.Add(1)
				return FenceResponse{}, nil
			}
			if tt.read != nil {
				h.fenceState = func(ctx context.Context) (FenceStateResponse, error) {
					calls.Add(1)
					return tt.read(ctx)
				}
			}
			out, err := h.Handle(context.Background(), json.RawMessage(tt.event))
			if n := calls.Load(); n != tt.wantCalls {
				t.Errorf("read %d times, want %d", n, tt.wantCalls)
			}
			if n, m := run.calls.Load(), fences.Load(); n != 0 || m != 0 {
				t.Errorf("migrated %d times and fenced %d times, want neither", n, m)
			}
			checkHandled(t, out, err, tt.want, tt.wantErr)
		})
	}
}

// TestFenceStateResponseJSON: the keys the orchestrator reads.
func TestFenceStateResponseJSON(t *testing.T) {
	b, err := json.Marshal(FenceStateResponse{Region: "us-west-2", Term: 2, FencedAt: time.Date(2026, 11, 5, 9, 0, 0, 500_000_000, time.UTC), Endpoint: "writer"})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"region": "us-west-2", "term": 2.0, "fencedAt": "2026-11-05T09:00:00.5Z", "endpoint": "writer"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}

// TestFenceState: the migrator reads the fence from the read/write
// endpoint, read-only server or not; from the read-only endpoint when the
// read/write one refuses the connection (RDS Proxy in a region without a
// writer); and fails, naming both, when neither answers. It writes
// nothing.
func TestFenceState(t *testing.T) {
	at := time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)
	row := func(region string, term int64) []driver.Value {
		return []driver.Value{region, term, int64(1_000_101), int64(1_000_000), at, "unplanned: gap 1000000"}
	}
	unreachable := &dbconn.ConnectError{Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	for _, tt := range []struct {
		name           string
		writer, reader *fakeServer
		want           FenceStateResponse
		wantErr        []string
	}{
		{name: "the writer's region", writer: &fakeServer{fence: row("us-east-1", 3)}, reader: &fakeServer{readOnly: true, fence: row("us-east-1", 3)},
			want: FenceStateResponse{Region: "us-east-1", Term: 3, FencedAt: at, Endpoint: "writer"}},
		{name: "a read-only server behind the read/write endpoint", writer: &fakeServer{readOnly: true, fence: row("us-east-1", 3)},
			want: FenceStateResponse{Region: "us-east-1", Term: 3, FencedAt: at, Endpoint: "writer"}},
		{name: "no writer here: the reader answers", writer: &fakeServer{fail: refusedByProxy}, reader: &fakeServer{readOnly: true, fence: row("us-east-1", 2)},
			want: FenceStateResponse{Region: "us-east-1", Term: 2, FencedAt: at, Endpoint: "reader"}},
		{name: "neither answers", writer: &fakeServer{fail: refusedByProxy}, reader: &fakeServer{fail: unreachable},
			wantErr: []string{"read/write instances", "the reader endpoint proxy-ro.example does not answer either", "connection refused"}},
		{name: "no reader configured", writer: &fakeServer{fail: unreachable},
			wantErr: []string{"connection refused"}},
		{name: "no fence row", writer: &fakeServer{},
			wantErr: []string{"run the migrations"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{dbconn.EnvHost: "proxy.example", "TODOMGMT_REGION": "us-west-2"}
			if tt.reader != nil {
				env[dbconn.EnvReaderHost] = "proxy-ro.example"
			}
			m := &migrator{
				getenv: func(k string) string { return env[k] },
				open: func(_ context.Context, c dbconn.Config) (*dbconn.Pools, error) {
					p := &dbconn.Pools{Writer: sql.OpenDB(tt.writer)}
					if c.ReaderHost != "" {
						p.Reader = sql.OpenDB(tt.reader)
					}
					return p, nil
				},
			}
			got, err := m.FenceState(t.Context())
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("FenceState: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("fence (-want +got):\n%s", diff)
				}
			}
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("got %+v, %v; want an error containing %q", got, err, want)
				}
			}
			for _, s := range []*fakeServer{tt.writer, tt.reader} {
				if s != nil && s.writes.Load() != 0 {
					t.Errorf("%d statements wrote, want none", s.writes.Load())
				}
			}
		})
	}
}
