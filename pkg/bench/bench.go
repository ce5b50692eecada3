// Package bench measures the API for `go tool mage bench`: the size of the
// bootstrap binary Lambda runs; the cold start of that binary, under AWS's
// Lambda runtime interface emulator (internal/lambdaemu) and, as a
// baseline, against a bare Runtime API with nothing else in the path; and
// warm latency and throughput of requests through aws-lambda-go-api-proxy,
// pkg/httpapi and pkg/mysql against MySQL in a container. Figures are
// medians over repeated runs, with their spread.
//
// The timings are from this machine, not from Lambda: a cold start here
// has no sandbox to create and no code to download, and MySQL is on
// loopback rather than behind RDS Proxy. They compare builds and changes;
// they do not predict production latency.
package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"runtime"
	"text/tabwriter"
	"time"

	tclog "github.com/testcontainers/testcontainers-go/log"

	apievents "github.com/todomgmt/todomgmt/events"
	"github.com/todomgmt/todomgmt/internal/lambdaemu"
	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
	"github.com/todomgmt/todomgmt/pkg/mysql"
	"github.com/todomgmt/todomgmt/pkg/mysqlcontainer"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Defaults of Options.
const (
	DefaultRuns       = 5
	DefaultRequests   = 200
	DefaultWarmup     = 20
	DefaultColdStarts = 10
)

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
	// ColdStarts is how many cold starts the median is over.
	ColdStarts int
	// Image is the MySQL image; "" means $TODOMGMT_TEST_MYSQL_IMAGE, else
	// mysqlcontainer.DefaultImage.
	Image string
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

	// BootstrapBytes is the size of the linux/arm64 stripped binary.
	BootstrapBytes int64
	// EmulatedColdStarts are the cold starts of the host-architecture
	// binary under AWS's Lambda runtime interface emulator, from the
	// emulator's process start to the first response; BareColdStarts
	// those of the same binary against a bare Runtime API, from its own
	// process start. Both are empty when the host cannot run Linux
	// binaries.
	EmulatedColdStarts, BareColdStarts []time.Duration
	// Warm has one entry per Operation.
	Warm []OperationReport
	// Runs and Requests are the warm runs and measured requests per run.
	Runs, Requests int
}

// OperationReport is the warm figures of one operation.
type OperationReport struct {
	Operation
	Median Latency   // the median of each figure across Runs
	Runs   []Latency // each run's figures
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
		Runs:     opts.Runs,
		Requests: opts.Requests,
	}
	api := lambdabuild.API
	dir, err := os.MkdirTemp("", "todomgmt-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	step("building the bootstrap for linux/arm64")
	arm, err := lambdabuild.Build(ctx, opts.ModuleRoot, api, dir+"/arm64", "arm64")
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(arm)
	if err != nil {
		return nil, err
	}
	r.BootstrapBytes = info.Size()

	var hostBin, emulator string
	switch {
	case lambdaemu.Supported() != nil:
		step("skipping cold starts: %v", lambdaemu.Supported())
	case runtime.GOARCH == "arm64":
		hostBin = arm // this host runs the Lambda binary itself
	default:
		step("building the bootstrap for linux/%s (this host) to measure cold starts", runtime.GOARCH)
		if hostBin, err = lambdaemu.BuildBootstrap(ctx, opts.ModuleRoot, api, dir+"/host"); err != nil {
			return nil, err
		}
	}
	if hostBin != "" {
		step("building AWS's Lambda runtime interface emulator (aws-lambda-rie, pinned in go.mod)")
		if emulator, err = lambdaemu.BuildEmulator(ctx, opts.ModuleRoot, dir); err != nil {
			return nil, err
		}
	}

	if err := mysqlcontainer.DockerAvailable(ctx); err != nil {
		return nil, fmt.Errorf("the warm benchmark needs MySQL in a container: %w (run eval \"$(../shared/ci/docker-env)\" first)", err)
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

	if hostBin != "" {
		payload, err := apievents.Load("get")
		if err != nil {
			return nil, err
		}
		step("measuring %d cold starts each way, under the emulator and bare (process start → response to GET /v1/todos/1)", opts.ColdStarts)
		c := ColdStart{
			Bootstrap: hostBin,
			Env:       []string{dbconn.EnvDSN + "=" + db.appDSN, "TODOMGMT_REGION=" + benchRegion},
			Payload:   payload,
			Status:    200,
		}
		if r.BareColdStarts, r.EmulatedColdStarts, err = ColdStarts(ctx, emulator, c, opts.ColdStarts); err != nil {
			return nil, err
		}
	}

	// The warm pool is the one the Lambda builds, from the same variables.
	cfg, err := dbconn.FromEnv(func(k string) string {
		if k == dbconn.EnvDSN {
			return db.appDSN
		}
		return ""
	})
	if err != nil {
		return nil, err
	}
	pools, err := dbconn.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer pools.Close()
	proxy := NewProxy(mysql.New(pools.Writer, mysql.WithRegion(benchRegion)))
	for _, op := range Operations {
		r.Warm = append(r.Warm, OperationReport{Operation: op})
	}
	for run := range opts.Runs {
		step("warm run %d of %d: %d requests per operation after %d warm-up requests", run+1, opts.Runs, opts.Requests, opts.Warmup)
		for i, op := range Operations {
			l, err := Warm(ctx, proxy, op, opts.Warmup, opts.Requests)
			if err != nil {
				return nil, err
			}
			r.Warm[i].Runs = append(r.Warm[i].Runs, l)
		}
	}
	for i := range r.Warm {
		r.Warm[i].Median = medianLatency(r.Warm[i].Runs)
	}
	step("done")
	return r, nil
}

// Print writes the report as a table.
func (r *Report) Print(w io.Writer) error {
	fmt.Fprintf(w, "\nToDoMgmt API benchmarks (%s; MySQL image %s)\n\n", r.Host, r.Image)
	fmt.Fprintf(w, "bootstrap size, linux/arm64 stripped:  %.2f MiB (%d bytes; a reproducible build, 1 run)\n",
		float64(r.BootstrapBytes)/(1<<20), r.BootstrapBytes)
	if len(r.EmulatedColdStarts) > 0 || len(r.BareColdStarts) > 0 {
		fmt.Fprintf(w, "cold start → first response to GET /v1/todos/1 (first database connection included):\n")
		fmt.Fprintf(w, "  under AWS's Lambda runtime interface emulator, from the emulator's process start:\n                                        %s\n", spread(r.EmulatedColdStarts))
		fmt.Fprintf(w, "  bare Runtime API, from the bootstrap's process start (no emulator in the path):\n                                        %s\n", spread(r.BareColdStarts))
	} else {
		fmt.Fprintf(w, "cold start: not measured (needs a Linux host)\n")
	}
	fmt.Fprintf(w, "\nwarm, one execution environment (requests one at a time) through adapter + handler + MySQL;\n")
	fmt.Fprintf(w, "medians of %d runs × %d requests:\n\n", r.Runs, r.Requests)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintf(tw, "  operation\tp50\tp99\tthroughput\n")
	for _, op := range r.Warm {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%.0f req/s\n", op.Name, ms(op.Median.P50), ms(op.Median.P99), op.Median.Throughput)
	}
	return tw.Flush()
}

// spread is the median of ds and its range.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "not measured"
	}
	return fmt.Sprintf("median %s (min %s, max %s; %d runs)", ms(median(ds)), ms(percentile(ds, 0)), ms(percentile(ds, 100)), len(ds))
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// benchDB is the benchmark's MySQL server: migrated, with the app user.
type benchDB struct {
	c      *mysqlcontainer.Container
	root   *sql.DB
	appDSN string
	image  string
}

const (
	benchSchema   = "todomgmt"
	benchUser     = "todo_app"
	benchPassword = "bench-Pa55-word"
	// benchRegion is the region the migration seeds the id fence with and
	// every store and the bootstrap binary create under.
	benchRegion = "bench"
)

// startMySQL starts and prepares the server. On error after the container
// started it returns the benchDB too, for close.
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
	if db.root, err = c.OpenRoot(ctx, benchSchema); err != nil {
		return db, err
	}
	if err := mysql.Prepare(ctx, db.root, benchRegion, benchUser, benchPassword, benchSchema); err != nil {
		return db, err
	}
	db.appDSN = c.DSN(benchUser, benchPassword, benchSchema)
	// GET /v1/todos/1 needs todo 1.
	if _, err := mysql.New(db.root, mysql.WithRegion(benchRegion)).Create(ctx, todo.CreateRequest{Draft: apievents.Seed[0]}); err != nil {
		return db, err
	}
	return db, nil
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
