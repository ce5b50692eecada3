package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/mysql"
)

// The migrate function's own environment variables; the connection comes
// from pkg/dbconn's (TODOMGMT_DB_*, with TODOMGMT_DB_USER the master user).
const (
	EnvAppUser      = "TODOMGMT_APP_USER"
	EnvAppSecretARN = "TODOMGMT_APP_SECRET_ARN"
	DefaultAppUser  = "todo_app"
)

// secretGetter is the one Secrets Manager operation the function uses.
type secretGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// migrator runs the migrations and manages the application user.
type migrator struct {
	getenv  func(string) string
	secrets func(ctx context.Context) (secretGetter, error)
	open    func(ctx context.Context, c dbconn.Config) (*dbconn.Pools, error)
	// retryFor bounds the total pause between attempts while the database
	// cannot be connected to (0: no retry); pause waits d or until ctx ends.
	retryFor time.Duration
	pause    func(ctx context.Context, d time.Duration) error
	// now is the clock the purge's cutoff is computed from.
	now func() time.Time
}

// DefaultRetryFor is how long a run keeps retrying a database it cannot
// connect to. On a stack's creation CloudFormation reports RDS Proxy's
// target group complete as soon as the cluster is registered, and the
// target takes minutes more to become available: the first run must wait
// for it. The invocation's deadline (less the reserve kept to answer
// CloudFormation) bounds it as well.
const DefaultRetryFor = 10 * time.Minute

// maxRetryPause is the longest pause between two attempts.
const maxRetryPause = 15 * time.Second

func newMigrator(getenv func(string) string) *migrator {
	return &migrator{
		getenv: getenv,
		secrets: func(ctx context.Context) (secretGetter, error) {
			cfg, err := config.LoadDefaultConfig(ctx)
			if err != nil {
				return nil, fmt.Errorf("load AWS configuration: %w", err)
			}
			return secretsmanager.NewFromConfig(cfg), nil
		},
		open:     dbconn.Open,
		retryFor: DefaultRetryFor,
		pause:    sleep,
		now:      time.Now,
	}
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Messages of a skipped run: the writer endpoint's server is read-only, or
// the writer endpoint refused the connection and the reader endpoint's
// server is read-only.
const (
	MsgSkippedReadOnly = "skipped: read-only replica"
	MsgSkippedNoWriter = "skipped: read-only replica (no writer in this region)"
	// MsgSkippedFailingOver is the purge's: its region's writer is being
	// replaced (an in-region failover), and the next hourly run purges.
	MsgSkippedFailingOver = "skipped: the writer in this region is failing over; the next run purges"
)

// readerProbeTimeout bounds the role query sent to the reader endpoint
// after the writer endpoint refused the connection.
const readerProbeTimeout = 15 * time.Second

// Run applies the migrations, seeding the id fence with this function's
// region (TODOMGMT_REGION, else AWS_REGION: the region of the writer it
// reaches), then creates or updates the application user with the password
// from TODOMGMT_APP_SECRET_ARN (when set).
//
// While nothing answers (no connection to the writer endpoint, and none to
// the reader endpoint either) it retries with growing pauses, up to
// retryFor in all: on a stack's creation the proxy's target is not yet
// available when the migration starts.
//
// It does nothing and reports "skipped" (a success) when the region has no
// writer: the writer endpoint's server is read-only, or the writer endpoint
// cannot be connected to and the reader endpoint (TODOMGMT_DB_READER_HOST)
// answers with a read-only server. A writer endpoint that fails while no
// reader answers as read-only is an error.
func (m *migrator) Run(ctx context.Context) (Result, error) {
	region, err := mysql.RegionFromEnv(m.getenv)
	if err != nil {
		return Result{}, err
	}
	cfg, err := dbconn.FromEnv(m.getenv)
	if err != nil {
		return Result{}, err
	}
	cfg.IOTimeout = -1 // DDL on a big table may run long: the invocation deadline bounds it
	cfg.MaxOpenConns = 2
	pools, err := m.open(ctx, cfg)
	if err != nil {
		return Result{}, err
	}
	defer pools.Close()
	db := pools.Writer

	res := Result{Status: "ok", Applied: []int{}, NewlyApplied: []int{}}
	var newly []mysql.Migration
	var waited time.Duration
	for attempt, wait := 1, time.Second; ; attempt, wait = attempt+1, min(2*wait, maxRetryPause) {
		newly, err = mysql.ApplyMigrations(ctx, db, region)
		w := findWriter(ctx, pools, cfg.ReaderHost, region, err)
		if w.skip != "" {
			return skipped(ctx, w.answered, w.skip), nil
		}
		if err = w.err; !w.retry {
			break
		}
		// Nothing answers yet: a proxy whose target is still registering,
		// or an outage. Retry while the budget lasts.
		if waited+wait > m.retryFor || m.pause(ctx, wait) != nil {
			if attempt > 1 {
				err = fmt.Errorf("%w (gave up after %d attempts over %s)", err, attempt, waited)
			}
			return Result{}, err
		}
		waited += wait
	}
	if err != nil {
		return Result{}, err
	}
	for _, mg := range newly {
		res.NewlyApplied = append(res.NewlyApplied, mg.Version)
	}
	applied, err := mysql.AppliedMigrations(ctx, db)
	if err != nil {
		return Result{}, err
	}
	res.Applied = versions(applied)
	res.Message = fmt.Sprintf("schema at version %d (%d applied now)", last(res.Applied), len(res.NewlyApplied))

	arn := strings.TrimSpace(m.getenv(EnvAppSecretARN))
	if arn == "" {
		res.Message += "; app user not managed (" + EnvAppSecretARN + " unset)"
		return res, nil
	}
	user := strings.TrimSpace(m.getenv(EnvAppUser))
	if user == "" {
		user = DefaultAppUser
	}
	password, err := m.appPassword(ctx, arn, user)
	if err != nil {
		return Result{}, err
	}
	if err := mysql.EnsureAppUser(ctx, db, user, password, cfg.Schema()); err != nil {
		return Result{}, err
	}
	res.AppUser = user
	res.Message += "; app user " + user + " ensured"
	return res, nil
}

// writerVerdict is what an operation's error on the writer pool says
// about the region: skip is set (to MsgSkippedReadOnly or
// MsgSkippedNoWriter) when the region has no writer, answered being the
// read-only pool that told; otherwise err is the operation's error, if
// any, and retry says that nothing answered at all (worth retrying while
// a proxy target registers).
type writerVerdict struct {
	skip     string
	answered *sql.DB
	err      error
	retry    bool
	// failingOver is set with retry when the read-only server says the
	// global database's writer is in this very region: an in-region
	// failover is under way.
	failingOver bool
}

// findWriter judges err, the result of an operation on pools.Writer in
// region. The region has no writer when the writer endpoint's server is
// read-only (mysql.ErrReadOnly), or when the writer endpoint could not be
// connected to and the reader endpoint (readerHost, pools.Reader) answers
// with a read-only server; unless that server says the global database's
// writer is in this very region (noWriter): then an in-region failover
// is under way and the run waits for the new writer instead of skipping
// a migration the region needs. A writer endpoint that fails while no
// reader answers as read-only is an error.
func findWriter(ctx context.Context, pools *dbconn.Pools, readerHost, region string, err error) writerVerdict {
	if errors.Is(err, mysql.ErrReadOnly) {
		return noWriter(ctx, pools.Writer, region, MsgSkippedReadOnly, err)
	}
	var cerr *dbconn.ConnectError
	if !errors.As(err, &cerr) {
		return writerVerdict{err: err}
	}
	if pools.Reader != nil {
		// In a global database's secondary region RDS Proxy's read/write
		// endpoint has no writer behind it and refuses the connection. Ask
		// the read-only endpoint: a read-only server there means this
		// region has nothing to do (replication brings the schema and the
		// data). Anything else is the outage it looks like.
		pctx, cancel := context.WithTimeout(ctx, readerProbeTimeout)
		ro, rerr := mysql.ServerReadOnly(pctx, pools.Reader)
		cancel()
		switch {
		case rerr == nil && ro:
			return noWriter(ctx, pools.Reader, region, MsgSkippedNoWriter, err)
		case rerr == nil:
			return writerVerdict{err: fmt.Errorf("%w (the reader endpoint %s answers, but its server is writable)", err, readerHost)}
		default:
			err = fmt.Errorf("%w (the reader endpoint %s does not answer either: %v)", err, readerHost, rerr)
		}
	}
	return writerVerdict{err: err, retry: true}
}

// noWriter is the verdict on region when the server db answered
// read-only: skip (with the message skip, db having answered), unless db
// says the global database's writer is in region itself
// (mysql.GlobalWriterRegion): an instance of this region's cluster is
// being promoted (an in-region failover), and a migration skipped now
// would leave the new function version on the old schema, so err is
// retried. A server that cannot tell (not Aurora, or a failover between
// regions in progress) confirms the skip.
func noWriter(ctx context.Context, db *sql.DB, region, skip string, err error) writerVerdict {
	pctx, cancel := context.WithTimeout(ctx, readerProbeTimeout)
	defer cancel()
	if writer, known, qerr := mysql.GlobalWriterRegion(pctx, db); qerr == nil && known && writer == region {
		return writerVerdict{err: fmt.Errorf("%w (the server answers read-only, but the global database's writer is in this region, %s: an in-region failover is under way)", err, region), retry: true, failingOver: true}
	}
	return writerVerdict{skip: skip, answered: db}
}

// skipped is the result of a run that found no writer; Applied is what
// the read-only server db has recorded, when it can tell.
func skipped(ctx context.Context, db *sql.DB, msg string) Result {
	res := Result{Status: "skipped", Message: msg, Applied: []int{}, NewlyApplied: []int{}}
	if applied, err := mysql.AppliedMigrations(ctx, db); err == nil {
		res.Applied = versions(applied)
	}
	return res
}

// appSecret is the JSON of the application user's secret.
type appSecret struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// appPassword reads the application user's password from Secrets Manager.
// Errors never quote the secret.
func (m *migrator) appPassword(ctx context.Context, arn, user string) (string, error) {
	sm, err := m.secrets(ctx)
	if err != nil {
		return "", err
	}
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return "", fmt.Errorf("read app secret %s: %w", arn, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("app secret %s has no SecretString", arn)
	}
	var s appSecret
	if json.Unmarshal([]byte(*out.SecretString), &s) != nil {
		return "", fmt.Errorf("app secret %s is not a JSON object with username and password", arn)
	}
	if s.Password == "" {
		return "", fmt.Errorf("app secret %s has no password", arn)
	}
	// RDS Proxy logs in with the secret's username: it must be the user
	// created here.
	if s.Username != "" && s.Username != user {
		return "", fmt.Errorf("app secret %s is for user %q but %s is %q", arn, s.Username, EnvAppUser, user)
	}
	return s.Password, nil
}

func versions(applied []mysql.AppliedMigration) []int {
	out := make([]int, 0, len(applied))
	for _, a := range applied {
		out = append(out, a.Version)
	}
	return out
}

func last(v []int) int {
	if len(v) == 0 {
		return 0
	}
	return v[len(v)-1]
}
