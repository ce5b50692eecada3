package main

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
)

func TestRetention(t *testing.T) {
	for _, tt := range []struct {
		value   string
		want    time.Duration
		wantErr string
	}{
		{value: "", want: 24 * time.Hour},
		{value: " 72h ", want: 72 * time.Hour},
		{value: "1h", want: time.Hour},
		{value: "59m", wantErr: "at least 1h"},
		{value: "-24h", wantErr: "at least 1h"},
		{value: "1d", wantErr: "not a Go duration"},
	} {
		t.Run(tt.value, func(t *testing.T) {
			got, err := retention(func(k string) string {
				return map[string]string{EnvIdempotencyRetention: tt.value}[k]
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), EnvIdempotencyRetention) {
					t.Errorf("got %v, %v; want an error naming %s containing %q", got, err, EnvIdempotencyRetention, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestPurge: the purge deletes on the writer what is older than the
// retention, skips a region without a writer as Run does, and never waits
// for a database that does not answer.
func TestPurge(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 8_900_000, time.UTC)
	unreachable := &dbconn.ConnectError{Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	for _, tt := range []struct {
		name        string
		retention   string
		writer      *fakeServer
		reader      *fakeServer // nil: no reader endpoint configured
		keys        int64
		want        PurgeResult
		wantErr     string
		wantDeletes int32
	}{
		{name: "default retention", writer: &fakeServer{}, keys: 1500, wantDeletes: 2,
			want: PurgeResult{Status: "ok", Deleted: 1500, Cutoff: now.Add(-24 * time.Hour).Truncate(time.Millisecond), Retention: "24h0m0s",
				Message: "deleted 1500 idempotency keys created before 2026-03-03T05:06:07.008Z"}},
		{name: "configured retention", retention: "2h", writer: &fakeServer{}, wantDeletes: 1,
			want: PurgeResult{Status: "ok", Cutoff: now.Add(-2 * time.Hour).Truncate(time.Millisecond), Retention: "2h0m0s",
				Message: "deleted 0 idempotency keys created before 2026-03-04T03:06:07.008Z"}},
		{name: "writer read-only: skipped", writer: &fakeServer{readOnly: true}, reader: &fakeServer{readOnly: true}, keys: 10,
			want: PurgeResult{Status: "skipped", Message: MsgSkippedReadOnly, Cutoff: now.Add(-24 * time.Hour).Truncate(time.Millisecond), Retention: "24h0m0s"}},
		{name: "writer refused, reader read-only: skipped", writer: &fakeServer{fail: refusedByProxy}, reader: &fakeServer{readOnly: true},
			want: PurgeResult{Status: "skipped", Message: MsgSkippedNoWriter, Cutoff: now.Add(-24 * time.Hour).Truncate(time.Millisecond), Retention: "24h0m0s"}},
		{name: "an in-region failover: skipped until the next run", writer: &fakeServer{fail: refusedByProxy}, reader: &fakeServer{readOnly: true, globalWriter: "us-east-1"},
			want: PurgeResult{Status: "skipped", Message: MsgSkippedFailingOver, Cutoff: now.Add(-24 * time.Hour).Truncate(time.Millisecond), Retention: "24h0m0s"}},
		{name: "writer refused, reader writable: fails", writer: &fakeServer{fail: refusedByProxy}, reader: &fakeServer{},
			wantErr: "writable"},
		{name: "nothing answers: fails at once", writer: &fakeServer{fail: unreachable}, reader: &fakeServer{fail: unreachable},
			wantErr: "does not answer either"},
		{name: "no reader endpoint: fails at once", writer: &fakeServer{fail: unreachable},
			wantErr: "connection refused"},
		{name: "retention too short: nothing opened", retention: "10m", wantErr: EnvIdempotencyRetention},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{dbconn.EnvHost: "proxy.example", EnvIdempotencyRetention: tt.retention, "TODOMGMT_REGION": "us-east-1"}
			if tt.reader != nil {
				env[dbconn.EnvReaderHost] = "proxy-ro.example"
			}
			if tt.writer != nil {
				tt.writer.keys.Store(tt.keys)
			}
			m := &migrator{
				getenv: func(k string) string { return env[k] },
				open: func(context.Context, dbconn.Config) (*dbconn.Pools, error) {
					if tt.writer == nil {
						t.Fatal("opened pools despite a configuration error")
					}
					p := &dbconn.Pools{Writer: sql.OpenDB(tt.writer)}
					if tt.reader != nil {
						p.Reader = sql.OpenDB(tt.reader)
					}
					return p, nil
				},
				retryFor: time.Hour,
				pause: func(context.Context, time.Duration) error {
					t.Error("the purge paused to retry; it must not wait for the database")
					return nil
				},
				now: func() time.Time { return now },
			}
			got, err := m.Purge(t.Context())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %+v, %v; want an error containing %q", got, err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Purge: %v", err)
			} else if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if tt.writer == nil {
				return
			}
			if n := tt.writer.writes.Load(); n != tt.wantDeletes {
				t.Errorf("%d statements ran on the writer, want %d", n, tt.wantDeletes)
			}
			if tt.reader != nil && tt.reader.writes.Load() != 0 {
				t.Errorf("%d statements ran on the reader, want none", tt.reader.writes.Load())
			}
		})
	}
}
