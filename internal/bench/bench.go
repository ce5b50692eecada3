// Package bench measures the API for `go tool mage bench`:
//
//   - the size of the bootstrap binary Lambda runs, against BootstrapLimit;
//   - the cold start of that binary and its peak memory (measured by
//     internal/bench/coldstart): in AWS mode (TLS to MySQL, an IAM auth
//     token signed from the credentials Lambda puts in the environment,
//     checked by a local stand-in for RDS Proxy, see awsmode.go) and in
//     local mode, under AWS's Lambda runtime interface emulator
//     (internal/lambdaemu), and, as a baseline, against a bare Runtime API
//     with nothing else in the path;
//   - warm requests of every kind (Operations) through
//     aws-lambda-go-api-proxy, pkg/httpapi and pkg/mysql against MySQL in a
//     container: the database round trips each made, counted on the wire
//     (internal/roundtrip), its latency and throughput, and the same
//     figures of its floor, the same statements without any of our code
//     around them (floor.go).
//
// Timings are medians over repeated runs, with their spread.
//
// The timings are from this machine, not from Lambda: a cold start here
// has no sandbox to create and no code to download, and MySQL is on
// loopback rather than behind RDS Proxy. They compare builds and changes;
// they do not predict production latency. Round trips and sizes do not
// depend on the machine.
package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	tclog "github.com/testcontainers/testcontainers-go/log"

	apievents "github.com/todomgmt/todomgmt/events"
	"github.com/todomgmt/todomgmt/internal/bench/coldstart"
	"github.com/todomgmt/todomgmt/internal/lambdaemu"
	"github.com/todomgmt/todomgmt/internal/mysqlcontainer"
	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
	"github.com/todomgmt/todomgmt/pkg/mysql"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Defaults of Options.
const (
	DefaultRuns       = 5
	DefaultRequests   = 2000
	DefaultWarmup     = 50
	DefaultColdStarts = 10
)

// BootstrapLimit is the most bytes the api function's stripped linux/arm64
// bootstrap may have.
const BootstrapLimit = 8_000_000

// Options configure Run. The zero value uses the defaults.
type Options struct {
	// ModuleRoot is the directory of go.mod; "" means the current one.
	ModuleRoot string
	// Runs is how many warm runs the medians are over.
	Runs int
	// Requests is the number of measured requests per operation and run.
	Requests int
	// Warmup is the number of unmeasured requests before each measured
	// set; negative means none.
	Warmup int
	// ColdStarts is how many cold starts of each kind the medians are
	// over.
	ColdStarts int
	// Image is the MySQL image; "" means $TODOMGMT_TEST_MYSQL_IMAGE, else
	// mysqlcontainer.DefaultImage.
	Image string
	// AWSModeImage is the image of the server the AWS-mode cold start
	// logs in to, whose PAM plugin stands in for RDS Proxy's IAM
	// authentication: it must be MariaDB. "" means the server of Image
	// when that is MariaDB, else DefaultAWSModeImage in a container of
	// its own; an image named here always runs in a container of its own.
	AWSModeImage string
	// Progress receives a line per step; nil discards them.
	Progress io.Writer
}

func (o Options) withDefaults() Options {
	if o.ModuleRoot == "" {
		o.ModuleRoot = "."
	}
	if o.Runs <= 0 {
		o.Runs = DefaultRuns
	}
	if o.Requests <= 0 {
		o.Requests = DefaultRequests
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	} else if o.Warmup == 0 {
		o.Warmup = DefaultWarmup
	}
	if o.ColdStarts <= 0 {
		o.ColdStarts = DefaultColdStarts
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o
}

// Report holds the figures of one Run.
type Report struct {
	Host  string // GOOS/GOARCH, CPUs, Go version
	Image string // the MySQL image
	// AWSModeImage is the image of the AWS-mode cold start's server when
	// it is not the server of Image ("" when it is, or when AWS mode was
	// not measured).
	AWSModeImage string
	// Started is when the run started; Elapsed its wall time.
	Started time.Time
	Elapsed time.Duration

	// BootstrapBytes is the size of the api function's linux/arm64
	// stripped binary.
	BootstrapBytes int64
	// ColdStarts are the cold starts of the host-architecture binary, one
	// entry per way of measuring; empty when the host cannot run Linux
	// binaries. ColdStartNotes say what was not measured and why.
	ColdStarts     []ColdStartReport
	ColdStartNotes []string
	// Connects are first connections opened from the bench process, to
	// split the cold start: how much of it is the connection.
	Connects []ConnectReport
	// Warm has one entry per Operation.
	Warm []OperationReport
	// Runs, Requests and Warmup are the warm runs, and the measured and
	// warm-up requests per operation and run.
	Runs, Requests, Warmup int
}

// ColdStartReport is the cold starts of one coldstart.Case.
type ColdStartReport struct {
	Name    string
	Samples []coldstart.Sample
}

// ConnectReport is the time to open a first connection.
type ConnectReport struct {
	Name  string
	Times []time.Duration
	// TLS is the TLS version the connections used ("" for none).
	TLS string
}

// OperationReport is the warm figures of one operation.
type OperationReport struct {
	Operation
	// Runs has each run's figures.
	Runs []OperationRun
	// RoundTrips are the database round trips of the measured requests,
	// over all runs.
	RoundTrips RoundTrips
}

// OperationRun is one run of an operation: ours, its floor, and the ratio
// of their medians.
type OperationRun struct {
	Ours, Floor Latency
	// FloorDeadline is the floor replayed under a context with a
	// deadline, for reads only (zero otherwise).
	FloorDeadline Latency
	// Ratio is Ours.P50 / Floor.P50.
	Ratio float64
}

// RoundTrips summarizes the round trips of an operation's requests.
type RoundTrips struct {
	// Requests is the number of measured requests.
	Requests int
	// Min and Max are the least and most round trips of a request that
	// opened no connection.
	Min, Max int64
	// Connected is how many requests opened a connection (the pool
	// replaces connections after their lifetime); ConnectedMax is the
	// most round trips one of those made, login included.
	Connected    int
	ConnectedMax int64
}

// Run builds, starts MySQL in a container, measures, and removes the
// container. It needs a Docker engine (and, for cold starts, a Linux host).
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	start := time.Now()
	step := func(format string, args ...any) {
		fmt.Fprintf(opts.Progress, "[%6s] %s\n", time.Since(start).Round(100*time.Millisecond), fmt.Sprintf(format, args...))
	}
	r := &Report{
		Host:     fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
		Started:  start,
		Runs:     opts.Runs,
		Requests: opts.Requests,
		Warmup:   opts.Warmup,
	}
	defer func() { r.Elapsed = time.Since(start) }()
	api := lambdabuild.API
	dir, err := os.MkdirTemp("", "todomgmt-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	step("building the bootstrap for linux/arm64")
	if r.BootstrapBytes, err = BootstrapSize(ctx, opts.ModuleRoot, dir); err != nil {
		return nil, err
	}

	var hostBin, emulator string
	switch {
	case lambdaemu.Supported() != nil:
		step("skipping cold starts: %v", lambdaemu.Supported())
		r.ColdStartNotes = append(r.ColdStartNotes, fmt.Sprintf("cold starts not measured: %v", lambdaemu.Supported()))
	default:
		step("building the bootstrap for linux/%s (this host) to measure cold starts", runtime.GOARCH)
		if hostBin, err = lambdaemu.BuildBootstrap(ctx, opts.ModuleRoot, api, dir+"/host"); err != nil {
			return nil, err
		}
		step("building AWS's Lambda runtime interface emulator (aws-lambda-rie, pinned in go.mod)")
		if emulator, err = lambdaemu.BuildEmulator(ctx, opts.ModuleRoot, dir); err != nil {
			return nil, err
		}
	}

	if err := mysqlcontainer.DockerAvailable(ctx); err != nil {
		return nil, fmt.Errorf("the benchmark needs MySQL in a container: %w (see docs/development.md#benchmarks for Docker)", err)
	}
	step("starting MySQL in a container")
	db, err := startMySQL(ctx, opts.Image)
	if db != nil {
		defer db.close()
	}
	if err != nil {
		return nil, err
	}
	r.Image = db.image
	var awsDB *benchDB // the AWS-mode cold start's server: db, or one of its own
	if hostBin != "" {
		awsDB, err = awsModeServer(ctx, db, opts.AWSModeImage, step)
		if awsDB != nil && awsDB != db {
			defer awsDB.close()
		}
		switch {
		case err != nil:
			// A bench without AWS mode is still worth its figures: a
			// server that is not MariaDB, or an image that cannot be
			// pulled, is said, not fatal.
			r.ColdStartNotes = append(r.ColdStartNotes, fmt.Sprintf("AWS-mode cold start not measured: %v", err))
			awsDB = nil
		case awsDB != db:
			r.AWSModeImage = awsDB.image
		}
	}
	if awsDB != nil {
		step("giving %s a certificate from a throwaway CA and a PAM-authenticated IAM user (restarts it)", awsDB.image)
		if awsDB.aws, err = setUpTLS(ctx, awsDB.c, opts.ModuleRoot, dir); err != nil {
			return nil, err
		}
	}
	step("migrating the schema and its floor's copy, seeding both")
	if err := db.prepare(ctx); err != nil {
		return nil, err
	}
	if awsDB != nil && awsDB != db {
		step("migrating and seeding the AWS-mode server's schema alike")
		if err := awsDB.prepare(ctx); err != nil {
			return nil, err
		}
	}

	if hostBin != "" {
		payload, err := apievents.Load("get")
		if err != nil {
			return nil, err
		}
		local := coldstart.Start{
			Bootstrap: hostBin,
			Env:       []string{dbconn.EnvDSN + "=" + db.appDSN, "TODOMGMT_REGION=" + benchRegion},
			Payload:   payload,
			Status:    200,
		}
		var cases []coldstart.Case
		if awsDB != nil {
			aws := local
			aws.Env = awsDB.aws.env(benchSchema, benchRegion)
			cases = append(cases, coldstart.Case{Name: AWSModeColdStart, Start: aws, Emulated: true})
		}
		cases = append(cases,
			coldstart.Case{Name: "local mode, under the emulator", Start: local, Emulated: true},
			coldstart.Case{Name: "local mode, bare Runtime API", Start: local})
		step("measuring %d cold starts of each of %d kinds in turn (process start → response to GET /v1/todos/1)", opts.ColdStarts, len(cases))
		samples, err := coldstart.Measure(ctx, emulator, opts.ColdStarts, cases...)
		if err != nil {
			if awsDB != nil {
				err = fmt.Errorf("%w\npamcheck's log in the container:\n%s", err, pamcheckLogTail(ctx, awsDB.c))
			}
			return nil, err
		}
		for i, c := range cases {
			r.ColdStarts = append(r.ColdStarts, ColdStartReport{Name: c.Name, Samples: samples[i]})
		}
	}

	step("timing %d first connections each way from this process", opts.ColdStarts)
	if r.Connects, err = connects(ctx, db, awsDB, opts.ColdStarts); err != nil {
		return nil, err
	}

	if err := warm(ctx, db, opts, r, step); err != nil {
		return nil, err
	}
	step("done")
	return r, nil
}

// warm runs the warm benchmark: each run sends every operation's requests
// through the proxy over the store, then replays the statements they sent
// as the floor.
func warm(ctx context.Context, db *benchDB, opts Options, r *Report, step func(string, ...any)) error {
	// The pools are the one the Lambda builds, from the same variables,
	// each on a network that counts and records its traffic.
	ours, err := db.pool(benchSchema)
	if err != nil {
		return err
	}
	defer ours.close()
	fl, err := db.pool(floorSchema)
	if err != nil {
		return err
	}
	defer fl.close()
	proxy := NewProxy(mysql.New(ours.db, mysql.WithRegion(benchRegion)))
	s, err := newSession(proxy, ours.wire)
	if err != nil {
		return err
	}
	f := &floor{db: fl.db, wire: fl.wire}
	for _, op := range Operations {
		r.Warm = append(r.Warm, OperationReport{Operation: op, RoundTrips: RoundTrips{Min: -1}})
	}
	for run := range opts.Runs {
		step("warm run %d of %d: %d requests per operation after %d warm-up requests, and the floor's", run+1, opts.Runs, opts.Requests, opts.Warmup)
		for i, op := range Operations {
			o, err := warmRun(ctx, s, f, op, opts.Warmup, opts.Requests)
			if err != nil {
				return err
			}
			r.Warm[i].Runs = append(r.Warm[i].Runs, o.OperationRun)
			r.Warm[i].RoundTrips.add(o.units)
		}
	}
	step("checking that the floor's schema ended as the API's did")
	return sameState(ctx, db.root, benchSchema, floorSchema)
}

// requestDeadline is the deadline of the floor's reads replayed under one:
// httpapi's default request timeout, which is what ours run under.
const requestDeadline = httpapi.DefaultRequestTimeout

// chunk is how many requests of ours are measured before the floor
// replays them. Taking turns in small chunks, rather than a whole run
// each, puts both under the same conditions (the machine's other load, the
// server's background flushing of what the writes left) and keeps either
// from inheriting the other's.
const chunk = 100

// warmRunResult is one run of one operation, with its units.
type warmRunResult struct {
	OperationRun
	units []unit
}

// warmRun sends warmup and then n measured requests of op, in chunks, each
// followed by the floor's replay of its statements (and of everything
// sent before it, unmeasured, so that the floor's schema keeps up).
func warmRun(ctx context.Context, s *session, f *floor, op Operation, warmup, n int) (warmRunResult, error) {
	var res warmRunResult
	if err := s.begin(ctx, op, warmup+n); err != nil {
		return res, err
	}
	if _, err := s.sendN(ctx, op, 0, warmup, false); err != nil {
		return res, err
	}
	var ours, floor, withDeadline []time.Duration
	var oursWall, floorWall, deadlineWall time.Duration
	for from := warmup; from < warmup+n; from += chunk {
		wall, err := s.sendN(ctx, op, from, min(chunk, warmup+n-from), true)
		if err != nil {
			return res, err
		}
		units := s.take()
		fds, fwall, err := f.replay(ctx, units, 0)
		if err != nil {
			return res, fmt.Errorf("%s: %w", op.Name, err)
		}
		if readOnly(units) {
			dds, dwall, err := f.replay(ctx, units, requestDeadline)
			if err != nil {
				return res, fmt.Errorf("%s: %w", op.Name, err)
			}
			withDeadline, deadlineWall = append(withDeadline, dds...), deadlineWall+dwall
		}
		ours, floor = append(ours, latencies(units)...), append(floor, fds...)
		oursWall, floorWall = oursWall+wall, floorWall+fwall
		for i := range units {
			units[i].stmts = nil // replayed: only the counts are kept
		}
		res.units = append(res.units, units...)
	}
	res.Ours, res.Floor = summarize(ours, oursWall), summarize(floor, floorWall)
	if len(withDeadline) > 0 {
		res.FloorDeadline = summarize(withDeadline, deadlineWall)
	}
	if res.Floor.P50 > 0 {
		res.Ratio = float64(res.Ours.P50) / float64(res.Floor.P50)
	}
	return res, nil
}

// add counts the measured units' round trips.
func (rt *RoundTrips) add(units []unit) {
	for _, u := range units {
		if !u.measured {
			continue
		}
		rt.Requests++
		if u.dials > 0 {
			rt.Connected++
			rt.ConnectedMax = max(rt.ConnectedMax, u.rt)
			continue
		}
		if rt.Min < 0 || u.rt < rt.Min {
			rt.Min = u.rt
		}
		rt.Max = max(rt.Max, u.rt)
	}
}

// String is the round trips of a request that opened no connection: one
// number when they never varied, else the range.
func (rt RoundTrips) String() string {
	switch {
	case rt.Requests == 0:
		return "-"
	case rt.Min < 0:
		return "? (every request connected)"
	case rt.Min == rt.Max:
		return fmt.Sprint(rt.Min)
	}
	return fmt.Sprintf("%d–%d (varies)", rt.Min, rt.Max)
}

// note says which requests differed, or "".
func (rt RoundTrips) note() string {
	var parts []string
	if rt.Min >= 0 && rt.Min != rt.Max {
		parts = append(parts, fmt.Sprintf("%d to %d round trips over %d requests", rt.Min, rt.Max, rt.Requests-rt.Connected))
	}
	if rt.Connected > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d requests also opened a connection (the pool replaces connections after their 1-minute lifetime, as in Lambda): up to %d round trips with the login", rt.Connected, rt.Requests, rt.ConnectedMax))
	}
	return strings.Join(parts, "; ")
}

// BootstrapSize builds the api function for linux/arm64 as Lambda runs it
// (pkg/lambdabuild) into dir and returns the binary's size.
func BootstrapSize(ctx context.Context, moduleRoot, dir string) (int64, error) {
	arm, err := lambdabuild.Build(ctx, moduleRoot, lambdabuild.API, dir+"/arm64", "arm64")
	if err != nil {
		return 0, err
	}
	info, err := os.Stat(arm)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// benchDB is the benchmark's MySQL server: migrated, with the app user,
// the schema the API uses and its floor's copy.
type benchDB struct {
	c       *mysqlcontainer.Container
	root    *sql.DB
	appDSN  string
	image   string
	mariaDB bool
	aws     *awsMode // nil when AWS mode is not set up
}

const (
	benchSchema   = "todomgmt"
	floorSchema   = "todomgmt_floor"
	benchUser     = "todo_app"
	benchPassword = "bench-Pa55-word"
	// benchRegion is the region the migration seeds the id fence with and
	// every store and the bootstrap binary create under.
	benchRegion = "bench"
)

// startMySQL starts the server. On error after the container started it
// returns the benchDB too, for close.
func startMySQL(ctx context.Context, image string) (*benchDB, error) {
	c, err := mysqlcontainer.Start(ctx, mysqlcontainer.Options{
		Image:    image,
		Database: benchSchema,
		Labels:   map[string]string{"org.todomgmt.bench": fmt.Sprint(os.Getpid())},
		Logger:   tclog.NewNoopLogger(), // drop testcontainers' progress lines
	})
	if err != nil {
		return nil, err
	}
	db := &benchDB{c: c, image: c.Image()}
	root, err := c.OpenRoot(ctx, "")
	if err != nil {
		return db, err
	}
	defer root.Close()
	db.mariaDB, err = isMariaDB(ctx, root)
	return db, err
}

// AWSModeColdStart names the cold start of the bootstrap in AWS mode.
const AWSModeColdStart = "AWS mode, under the emulator"

// DefaultAWSModeImage is the AWS-mode cold start's server when the
// benchmark's own is not MariaDB: the official MariaDB image, whose
// mariadb-server package ships the PAM plugin (auth_pam) and whose base
// system has pam_exec.
const DefaultAWSModeImage = "mariadb:10.11"

// awsModeServer returns the server the AWS-mode cold start logs in to: db
// itself when image is "" and db is MariaDB, else a new container of image
// (DefaultAWSModeImage when ""). A server that is not MariaDB is an
// error. The caller closes a new server, also on error.
func awsModeServer(ctx context.Context, db *benchDB, image string, step func(string, ...any)) (*benchDB, error) {
	if image == "" && db.mariaDB {
		return db, nil
	}
	if image == "" {
		image = DefaultAWSModeImage
	}
	step("starting %s for the AWS-mode cold start: its PAM plugin stands in for RDS Proxy's IAM authentication", image)
	aws, err := startMySQL(ctx, image)
	if err != nil {
		return aws, fmt.Errorf("%s did not start: %w", image, err)
	}
	if !aws.mariaDB {
		return aws, fmt.Errorf("the stand-in for RDS Proxy's IAM authentication needs MariaDB's PAM plugin, and %s is not MariaDB", aws.image)
	}
	return aws, nil
}

// prepare migrates both schemas, creates the app user (and the IAM user in
// AWS mode), and seeds both schemas alike: events.Seed with its fixed tags
// and one clock, so that the floor's schema starts as the API's does.
func (db *benchDB) prepare(ctx context.Context) error {
	var err error
	if db.root, err = db.c.OpenRoot(ctx, ""); err != nil {
		return err
	}
	if _, err := db.root.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+floorSchema+"`"); err != nil {
		return err
	}
	seededAt := time.Now()
	for _, schema := range []string{benchSchema, floorSchema} {
		root, err := db.c.OpenRoot(ctx, schema)
		if err != nil {
			return err
		}
		err = mysql.Prepare(ctx, root, benchRegion, benchUser, benchPassword, schema)
		if err == nil {
			s := mysql.New(root, mysql.WithRegion(benchRegion), mysql.WithWriteTags(apievents.SeedTags()),
				mysql.WithClock(func() time.Time { return seededAt }))
			for _, d := range apievents.Seed {
				if _, err = s.Create(ctx, todo.CreateRequest{Draft: d}); err != nil {
					break
				}
			}
		}
		root.Close()
		if err != nil {
			return fmt.Errorf("schema %s: %w", schema, err)
		}
	}
	db.appDSN = db.c.DSN(benchUser, benchPassword, benchSchema)
	if db.aws != nil {
		return db.aws.addIAMUser(ctx, db.c, db.root, benchSchema)
	}
	return nil
}

// recordedPool is a pool on a wire.
type recordedPool struct {
	db   *sql.DB
	wire *wire
}

func (p *recordedPool) close() {
	p.db.Close()
	p.wire.close()
}

// pool opens the app user's pool on schema as the Lambda builds it
// (dbconn.FromEnv with only the DSN set), on a wire.
func (db *benchDB) pool(schema string) (*recordedPool, error) {
	w, dsn, err := newWire(db.c.DSN(benchUser, benchPassword, schema))
	if err != nil {
		return nil, err
	}
	cfg, err := dbconn.FromEnv(func(k string) string {
		if k == dbconn.EnvDSN {
			return dsn
		}
		return ""
	})
	if err == nil {
		var pools *dbconn.Pools
		if pools, err = dbconn.Open(context.Background(), cfg); err == nil {
			return &recordedPool{db: pools.Writer, wire: w}, nil
		}
	}
	w.close()
	return nil, err
}

// connects times n first connections each way: AWS mode (TCP, TLS, token,
// PAM login) to awsDB when it is set up, and local mode (TCP, password)
// to db.
func connects(ctx context.Context, db, awsDB *benchDB, n int) ([]ConnectReport, error) {
	type way struct {
		name string
		cfg  dbconn.Config
	}
	local := func(dsn string) dbconn.Config {
		return dbconn.Config{DSN: dsn, MaxOpenConns: 1, ConnMaxLifetime: time.Minute, ConnectTimeout: 5 * time.Second}
	}
	var ways []way
	if awsDB != nil {
		ways = append(ways, way{"AWS mode: TCP, TLS handshake, IAM token signed, PAM login", awsDB.aws.config(benchSchema)})
		// The same TLS, with the app user's password instead of a token
		// and PAM: what the stand-in's login costs shows as the difference.
		dsn, err := awsDB.aws.tlsDSN(benchUser, benchPassword, benchSchema)
		if err != nil {
			return nil, err
		}
		ways = append(ways, way{"TCP, TLS handshake, password login (no token, no PAM)", local(dsn)})
	}
	ways = append(ways, way{"local mode: TCP, password login", local(db.appDSN)})
	var out []ConnectReport
	for _, w := range ways {
		cr := ConnectReport{Name: w.name}
		for range n {
			d, tlsVersion, err := firstConnection(ctx, w.cfg)
			if err != nil {
				if awsDB != nil {
					err = fmt.Errorf("%w\npamcheck's log in the container:\n%s", err, pamcheckLogTail(ctx, awsDB.c))
				}
				return nil, fmt.Errorf("%s: %w", w.name, err)
			}
			cr.Times = append(cr.Times, d)
			cr.TLS = tlsVersion
		}
		out = append(out, cr)
	}
	return out, nil
}

// firstConnection opens pools for cfg and times their first connection,
// and returns the TLS version it negotiated.
func firstConnection(ctx context.Context, cfg dbconn.Config) (time.Duration, string, error) {
	pools, err := dbconn.Open(ctx, cfg)
	if err != nil {
		return 0, "", err
	}
	defer pools.Close()
	start := time.Now()
	conn, err := pools.Writer.Conn(ctx)
	d := time.Since(start)
	if err != nil {
		return 0, "", err
	}
	defer conn.Close()
	var name, version string
	if err := conn.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_version'").Scan(&name, &version); err != nil {
		return 0, "", err
	}
	return d, version, nil
}

// close removes the container, whatever happened to the caller's context.
func (db *benchDB) close() {
	if db.root != nil {
		db.root.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := db.c.Terminate(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
	}
}
