package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	gomysql "github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
)

// fakeSecrets is Secrets Manager holding one secret.
type fakeSecrets struct {
	arn, value string
	err        error
	asked      []string
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.asked = append(f.asked, aws.ToString(in.SecretId))
	if f.err != nil {
		return nil, f.err
	}
	if aws.ToString(in.SecretId) != f.arn {
		return nil, errors.New("ResourceNotFoundException")
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(f.value)}, nil
}

const testARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:todomgmt-app-AbCdEf"

func TestAppPassword(t *testing.T) {
	for _, tt := range []struct {
		name    string
		secret  *fakeSecrets
		user    string
		want    string
		wantErr string
	}{
		{name: "username and password", secret: &fakeSecrets{arn: testARN, value: `{"username":"todo_app","password":"s3cr3t!"}`}, user: "todo_app", want: "s3cr3t!"},
		{name: "password only", secret: &fakeSecrets{arn: testARN, value: `{"password":"s3cr3t!"}`}, user: "todo_app", want: "s3cr3t!"},
		{name: "other user", secret: &fakeSecrets{arn: testARN, value: `{"username":"admin","password":"s3cr3t!"}`}, user: "todo_app", wantErr: "admin"},
		{name: "no password", secret: &fakeSecrets{arn: testARN, value: `{"username":"todo_app"}`}, user: "todo_app", wantErr: "no password"},
		{name: "not JSON", secret: &fakeSecrets{arn: testARN, value: `s3cr3t!`}, user: "todo_app", wantErr: "not a JSON object"},
		{name: "password of the wrong type", secret: &fakeSecrets{arn: testARN, value: `{"password":97531}`}, user: "todo_app", wantErr: "not a JSON object"},
		{name: "Secrets Manager error", secret: &fakeSecrets{arn: testARN, err: errors.New("AccessDeniedException")}, user: "todo_app", wantErr: "AccessDeniedException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := &migrator{secrets: func(context.Context) (secretGetter, error) { return tt.secret, nil }}
			got, err := m.appPassword(context.Background(), testARN, tt.user)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "97531") {
					t.Errorf("error %q quotes the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if len(tt.secret.asked) != 1 || tt.secret.asked[0] != testARN {
				t.Errorf("asked for %v, want [%s]", tt.secret.asked, testARN)
			}
		})
	}
}

func TestRunConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"no connection configured", map[string]string{}, dbconn.EnvHost},
		{"bad port", map[string]string{dbconn.EnvHost: "proxy", dbconn.EnvPort: "x"}, dbconn.EnvPort},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := &migrator{
				getenv: func(k string) string { return tt.env[k] },
				open: func(context.Context, dbconn.Config) (*dbconn.Pools, error) {
					t.Fatal("opened pools despite a configuration error")
					return nil, nil
				},
			}
			_, err := m.Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
}

// refusedByProxy is how a connection to RDS Proxy's read/write endpoint
// fails in a global database's secondary region: pkg/dbconn marks the
// login the proxy refuses (no writer behind it) as a connect error.
var refusedByProxy = &dbconn.ConnectError{Err: &gomysql.MySQLError{Number: 9001, Message: "The target group doesn't have any associated read/write instances"}}

// TestRunWithoutAWriter: where the writer endpoint cannot be connected to,
// the run is skipped as a success only when the reader endpoint reaches a
// read-only server; otherwise it fails as before, and nothing but the
// role is asked of the reader.
func TestRunWithoutAWriter(t *testing.T) {
	for _, tt := range []struct {
		name        string
		writer      *fakeServer
		reader      *fakeServer // nil: no reader endpoint configured
		wantMessage string      // "" means the run fails
		wantErr     string
		wantProbed  bool
	}{
		{name: "writer refused, reader read-only: skipped",
			writer: &fakeServer{fail: refusedByProxy}, reader: &fakeServer{readOnly: true},
			wantMessage: MsgSkippedNoWriter, wantProbed: true},
		{name: "writer not dialable, reader read-only: skipped",
			writer: &fakeServer{fail: &dbconn.ConnectError{Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}}, reader: &fakeServer{readOnly: true},
			wantMessage: MsgSkippedNoWriter, wantProbed: true},
		{name: "writer refused, reader writable: fails",
			writer: &fakeServer{fail: refusedByProxy}, reader: &fakeServer{},
			wantErr: "writable", wantProbed: true},
		{name: "writer refused, reader refused too: fails",
			writer: &fakeServer{fail: refusedByProxy}, reader: &fakeServer{fail: &dbconn.ConnectError{Err: &gomysql.MySQLError{Number: 9001, Message: "no read-only instances"}}},
			wantErr: "does not answer", wantProbed: true},
		{name: "writer refused, no reader endpoint: fails",
			writer:  &fakeServer{fail: refusedByProxy},
			wantErr: "read/write instances"},
		{name: "writer fails otherwise: fails without asking the reader",
			writer: &fakeServer{fail: errors.New("tls: handshake failure")}, reader: &fakeServer{readOnly: true},
			wantErr: "handshake"},
		{name: "writer read-only: skipped, reader not asked",
			writer: &fakeServer{readOnly: true}, reader: &fakeServer{readOnly: true},
			wantMessage: MsgSkippedReadOnly},
		// Aurora tells where the global database's writer is: a read-only
		// answer in the writer's own region is an in-region failover,
		// not a passive region.
		{name: "writer refused, reader read-only, the global writer elsewhere: skipped",
			writer: &fakeServer{fail: refusedByProxy}, reader: &fakeServer{readOnly: true, globalWriter: "us-west-2"},
			wantMessage: MsgSkippedNoWriter, wantProbed: true},
		{name: "writer refused, reader read-only, the global writer in this region: fails to retry",
			writer: &fakeServer{fail: refusedByProxy}, reader: &fakeServer{readOnly: true, globalWriter: "us-east-1"},
			wantErr: "the global database's writer is in this region, us-east-1: an in-region failover is under way", wantProbed: true},
		{name: "writer read-only, the global writer in this region: fails to retry",
			writer: &fakeServer{readOnly: true, globalWriter: "us-east-1"}, reader: &fakeServer{readOnly: true},
			wantErr: "an in-region failover is under way"},
		{name: "writer read-only, the global writer elsewhere: skipped",
			writer: &fakeServer{readOnly: true, globalWriter: "us-west-2"}, reader: &fakeServer{readOnly: true},
			wantMessage: MsgSkippedReadOnly},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{dbconn.EnvHost: "proxy.example", dbconn.EnvReaderHost: "proxy-ro.example", "TODOMGMT_REGION": "us-east-1"}
			m := &migrator{
				getenv: func(k string) string { return env[k] },
				open: func(_ context.Context, c dbconn.Config) (*dbconn.Pools, error) {
					if c.ReaderHost != env[dbconn.EnvReaderHost] {
						t.Errorf("opened with reader host %q, want %q", c.ReaderHost, env[dbconn.EnvReaderHost])
					}
					p := &dbconn.Pools{Writer: sql.OpenDB(tt.writer)}
					if tt.reader != nil {
						p.Reader = sql.OpenDB(tt.reader)
					}
					return p, nil
				},
			}
			res, err := m.Run(t.Context())
			if tt.wantMessage != "" {
				if err != nil {
					t.Fatalf("Run: %v, want %q", err, tt.wantMessage)
				}
				if res.Status != "skipped" || res.Message != tt.wantMessage || !slices.Equal(res.Applied, []int{1, 2}) {
					t.Errorf("got %+v, want skipped, %q, applied [1 2]", res, tt.wantMessage)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %+v, %v; want an error containing %q", res, err, tt.wantErr)
			}
			if tt.reader != nil {
				probed := tt.reader.queries.Load() > 0 || tt.reader.dials.Load() > 0
				if probed != tt.wantProbed {
					t.Errorf("reader asked: %v, want %v", probed, tt.wantProbed)
				}
				if tt.reader.writes.Load() != 0 {
					t.Errorf("%d statements ran on the reader, want none", tt.reader.writes.Load())
				}
			}
		})
	}
}

// TestRunWaitsForTheDatabase: while neither endpoint can be connected to,
// a run retries with growing pauses within its budget, then succeeds once
// the database answers or fails naming its attempts.
func TestRunWaitsForTheDatabase(t *testing.T) {
	unreachable := &dbconn.ConnectError{Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	for _, tt := range []struct {
		name       string
		writer     *fakeServer
		reader     *fakeServer
		retryFor   time.Duration
		wantPauses []time.Duration
		wantErr    string // "" means skipped as read-only
	}{
		{name: "answers on the third attempt",
			writer: &fakeServer{fail: refusedByProxy, failFirst: 2, readOnly: true}, reader: &fakeServer{fail: refusedByProxy},
			retryFor: time.Hour, wantPauses: []time.Duration{time.Second, 2 * time.Second}},
		{name: "without a reader endpoint",
			writer:   &fakeServer{fail: unreachable, failFirst: 1, readOnly: true},
			retryFor: time.Hour, wantPauses: []time.Duration{time.Second}},
		{name: "pauses grow to the cap",
			writer: &fakeServer{fail: unreachable}, reader: &fakeServer{fail: unreachable},
			retryFor:   46 * time.Second,
			wantPauses: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 15 * time.Second},
			wantErr:    "gave up after 7 attempts over 45s"},
		{name: "no budget: one attempt",
			writer: &fakeServer{fail: unreachable}, reader: &fakeServer{fail: unreachable},
			wantErr: "does not answer either"},
		{name: "an in-region failover is waited for",
			writer: &fakeServer{fail: refusedByProxy}, reader: &fakeServer{readOnly: true, globalWriter: "us-east-1"},
			retryFor: 4 * time.Second, wantPauses: []time.Duration{time.Second, 2 * time.Second},
			wantErr: "gave up after 3 attempts"},
		{name: "a writable reader is not waited for",
			writer: &fakeServer{fail: refusedByProxy}, reader: &fakeServer{},
			retryFor: time.Hour, wantErr: "writable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var pauses []time.Duration
			m := &migrator{
				getenv: func(k string) string {
					return map[string]string{dbconn.EnvHost: "proxy.example", dbconn.EnvReaderHost: "proxy-ro.example", "TODOMGMT_REGION": "us-east-1"}[k]
				},
				open: func(context.Context, dbconn.Config) (*dbconn.Pools, error) {
					p := &dbconn.Pools{Writer: sql.OpenDB(tt.writer)}
					if tt.reader != nil {
						p.Reader = sql.OpenDB(tt.reader)
					}
					return p, nil
				},
				retryFor: tt.retryFor,
				pause: func(_ context.Context, d time.Duration) error {
					pauses = append(pauses, d)
					return nil
				},
			}
			res, err := m.Run(t.Context())
			if tt.wantErr == "" {
				if err != nil || res.Status != "skipped" {
					t.Fatalf("got %+v, %v; want skipped", res, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %+v, %v; want an error containing %q", res, err, tt.wantErr)
			}
			if !slices.Equal(pauses, tt.wantPauses) {
				t.Errorf("paused %v, want %v", pauses, tt.wantPauses)
			}
		})
	}
}

// TestRunStopsWaitingWithItsContext: a pause cut short by the context
// ends the run with the last connection error.
func TestRunStopsWaitingWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	m := &migrator{
		getenv: func(k string) string { return map[string]string{dbconn.EnvHost: "proxy.example"}[k] },
		open: func(context.Context, dbconn.Config) (*dbconn.Pools, error) {
			return &dbconn.Pools{Writer: sql.OpenDB(&fakeServer{fail: refusedByProxy})}, nil
		},
		retryFor: time.Hour,
		pause: func(ctx context.Context, d time.Duration) error {
			cancel()
			return sleep(ctx, d)
		},
	}
	_, err := m.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "read/write instances") {
		t.Errorf("got %v, want the proxy's refusal", err)
	}
}

// fakeServer is a database/sql connector for a server that fails every
// dial with fail, or answers the role query (read_only as set), the
// migration listing (versions 1 and 2) and, when writable, the purge of
// idempotency keys (keys of them), and refuses everything else.
type fakeServer struct {
	fail      error
	failFirst int32 // > 0: only the first failFirst dials fail
	readOnly  bool
	keys      atomic.Int64   // idempotency keys the purge finds
	fence     []driver.Value // the id fence's row (writer_region, term, floor, gap, fenced_at, reason); nil: no row
	// globalWriter is the region aurora_global_db_instance_status names
	// for the writer; "": the server has no such table (not Aurora).
	globalWriter string
	dials        atomic.Int32
	queries      atomic.Int32
	writes       atomic.Int32
}

func (s *fakeServer) Connect(context.Context) (driver.Conn, error) {
	n := s.dials.Add(1)
	if s.fail != nil && (s.failFirst == 0 || n <= s.failFirst) {
		return nil, s.fail
	}
	return fakeServerConn{s}, nil
}

func (s *fakeServer) Driver() driver.Driver { return nil }

type fakeServerConn struct{ s *fakeServer }

func (fakeServerConn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("fake: no prepare")
}
func (fakeServerConn) Close() error              { return nil }
func (fakeServerConn) Begin() (driver.Tx, error) { return nil, errors.New("fake: no transactions") }

func (c fakeServerConn) ExecContext(_ context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.s.writes.Add(1)
	if c.s.readOnly || !strings.HasPrefix(query, "DELETE FROM idempotency_keys") {
		return nil, &gomysql.MySQLError{Number: 1290, Message: "read-only"}
	}
	n := min(c.s.keys.Load(), args[1].Value.(int64))
	c.s.keys.Add(-n)
	return driver.RowsAffected(n), nil
}

func (c fakeServerConn) QueryContext(_ context.Context, query string, _ []driver.NamedValue) (driver.Rows, error) {
	c.s.queries.Add(1)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	switch {
	case strings.Contains(query, "read_only"):
		ro := int64(0)
		if c.s.readOnly {
			ro = 1
		}
		return &fakeRows{cols: []string{"read_only", "innodb_read_only"}, rows: [][]driver.Value{{ro, int64(0)}}}, nil
	case strings.Contains(query, "FROM id_fence"):
		r := &fakeRows{cols: []string{"writer_region", "term", "floor", "gap", "fenced_at", "reason"}}
		if c.s.fence != nil {
			r.rows = [][]driver.Value{c.s.fence}
		}
		return r, nil
	case strings.Contains(query, "aurora_global_db_instance_status"):
		if c.s.globalWriter == "" {
			return nil, &gomysql.MySQLError{Number: 1109, Message: "Unknown table 'AURORA_GLOBAL_DB_INSTANCE_STATUS' in information_schema"}
		}
		return &fakeRows{cols: []string{"AWS_REGION"}, rows: [][]driver.Value{{c.s.globalWriter}}}, nil
	case strings.Contains(query, "information_schema"):
		return &fakeRows{cols: []string{"n"}, rows: [][]driver.Value{{int64(1)}}}, nil
	case strings.Contains(query, "FROM schema_migrations"):
		return &fakeRows{cols: []string{"version", "name", "applied_at"}, rows: [][]driver.Value{
			{int64(1), "create_todos", at}, {int64(2), "create_idempotency_keys", at},
		}}, nil
	}
	c.s.writes.Add(1)
	return nil, &gomysql.MySQLError{Number: 1290, Message: "read-only"}
}

type fakeRows struct {
	cols []string
	rows [][]driver.Value
}

func (r *fakeRows) Columns() []string { return r.cols }
func (*fakeRows) Close() error        { return nil }

func (r *fakeRows) Next(dest []driver.Value) error {
	if len(r.rows) == 0 {
		return io.EOF
	}
	copy(dest, r.rows[0])
	r.rows = r.rows[1:]
	return nil
}
