// Package lab is a two-region ToDoMgmt on one machine, built from real
// parts, so that the failover orchestrator (pkg/failover) can be rehearsed
// and measured without AWS. It is the lab itself: it starts and wires the
// parts, and is the upper wing over two lower ones it builds on:
//
//   - internal/lab/globaldb, the replicating databases: two MySQL-compatible
//     servers in containers with GTID replication, the failover.Database
//     adapter, the one unplanned rehearsal (Outage), rebuilds;
//   - pkg/drill, the drill and its report, which the AWS drill shares.
//
// This package holds what makes them a deployment:
//
//   - the containers (Docker) and their network, labelled so that Down
//     removes whatever a crashed run left;
//   - two regional API servers on 127.0.0.1, each the real pkg/httpapi
//     handler over the real pkg/mysql store, with small pools
//     (rejectReadOnly=true) to its own region's server, as the
//     least-privilege application user: the read/write endpoint's, and a
//     read-only endpoint's that, like RDS Proxy's, reaches the server
//     only while it is a reader;
//   - FrontDoor: a reverse proxy on 127.0.0.1 that sends every request to
//     the active region (failover.Router);
//   - Prober: the regions' health and a verified write through the front
//     door (apiclient.Prober, as in AWS, without tokens);
//   - DrillEnv: the lab as a drill.Environment, with the parts only the
//     lab has (the unplanned round with a kill, the stale-ETag checks
//     against the database, each region checked after a switch);
//   - the operations the lab:* mage targets run (Up, WriteStatus,
//     RehearseUnplanned, RunDrill, DownAll).
//
// The same orchestrator.Orchestrator that operates AWS drives it; only these
// adapters differ.
package lab

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"

	"github.com/todomgmt/todomgmt/internal/lab/globaldb"
	"github.com/todomgmt/todomgmt/internal/mysqlcontainer"
	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	todomysql "github.com/todomgmt/todomgmt/pkg/mysql"
)

// Defaults of Config.
const (
	DefaultRegionA = "lab-a"
	DefaultRegionB = "lab-b"
	DefaultSchema  = "todomgmt"
	DefaultAppUser = "todo_app"
	// DefaultRequestTimeout is the regional APIs' per-request deadline:
	// shorter than the Lambda's, so a dead database shows as a 503 fast.
	DefaultRequestTimeout = 3 * time.Second
)

// Timeouts are the orchestrator's waits in the lab: a lab switchover
// takes well under a second, so it polls often and gives up soon.
var Timeouts = orchestrator.Timeouts{
	Writer: time.Minute,
	Route:  10 * time.Second,
	Verify: 30 * time.Second,
	Poll:   100 * time.Millisecond,
	Probe:  5 * time.Second,
}

// Config configures a lab. The zero value is usable.
type Config struct {
	// Image is the server image; empty means $TODOMGMT_TEST_MYSQL_IMAGE,
	// else mysql:8.4.
	Image string
	// Regions names the two regions; the first starts as the writer.
	// Empty means lab-a and lab-b.
	Regions [2]string
	// Schema is the application schema (todomgmt).
	Schema string
	// AppUser is the least-privilege application user (todo_app).
	AppUser string
	// RequestTimeout is the APIs' per-request deadline.
	RequestTimeout time.Duration
	// Pool configures the APIs' pools; zero fields take DefaultPool's.
	Pool PoolConfig
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
	// APILog receives the APIs' request error log; nil discards it.
	APILog io.Writer
}

func (c Config) withDefaults() Config {
	if c.Regions[0] == "" {
		c.Regions[0] = DefaultRegionA
	}
	if c.Regions[1] == "" {
		c.Regions[1] = DefaultRegionB
	}
	if c.Schema == "" {
		c.Schema = DefaultSchema
	}
	if c.AppUser == "" {
		c.AppUser = DefaultAppUser
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Pool.MaxOpenConns <= 0 {
		c.Pool.MaxOpenConns = DefaultPool.MaxOpenConns
	}
	if c.Pool.ConnMaxLifetime <= 0 {
		c.Pool.ConnMaxLifetime = DefaultPool.ConnMaxLifetime
	}
	if c.Pool.ConnectTimeout <= 0 {
		c.Pool.ConnectTimeout = DefaultPool.ConnectTimeout
	}
	if c.Pool.IOTimeout <= 0 {
		c.Pool.IOTimeout = DefaultPool.IOTimeout
	}
	return c
}

// Lab is a running two-region lab. Close removes everything it started.
type Lab struct {
	cfg   Config
	state State

	// DB is the global database, FrontDoor the router, Prober the prober:
	// the orchestrator's adapters.
	DB        *globaldb.Database
	FrontDoor *FrontDoor
	Prober    *apiclient.Prober

	ctrs *dockerContainers
	nw   *testcontainers.DockerNetwork
	apis []*regionAPI

	mu         sync.Mutex
	containers []*mysqlcontainer.Container
}

func secret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Start starts a lab: network, both servers, replication, schema and
// application user, both regional APIs and the front door (sending traffic
// to the first region). It takes a minute or so. On error, everything it
// started has been removed already.
func Start(ctx context.Context, cfg Config) (_ *Lab, err error) {
	cfg = cfg.withDefaults()
	runID := secret()[:8]
	l := &Lab{cfg: cfg}
	l.state = State{
		RunID: runID, Started: time.Now().UTC(), Schema: cfg.Schema,
		RootPassword: secret(), ReplUser: "repl", ReplPassword: secret(),
		AppUser: cfg.AppUser, AppPassword: secret(),
	}
	defer func() {
		if err != nil {
			// Interrupted (Ctrl-C), the caller has seconds left: force
			// removal by label takes about one.
			wait := 30 * time.Second
			if ctx.Err() != nil {
				wait = 4 * time.Second
			}
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
			defer cancel()
			err = errors.Join(err, l.Close(cctx))
		}
	}()

	l.logf("creating the lab network (run %s)", runID)
	l.nw, err = network.New(ctx, network.WithLabels(map[string]string{LabelLab: runID}))
	if err != nil {
		return nil, fmt.Errorf("lab network: %w", err)
	}

	regions := []string{cfg.Regions[0], cfg.Regions[1]}
	l.state.Regions = make([]RegionState, len(regions))
	var wg sync.WaitGroup
	errs := make([]error, len(regions))
	for i, region := range regions {
		alias := "db-" + region
		serverID := uint32(i + 1)
		l.state.Regions[i] = RegionState{Region: region, Alias: alias, ServerID: serverID}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.logf("starting %s's database server (%s)", region, alias)
			c, err := mysqlcontainer.Start(ctx, mysqlcontainer.Options{
				Image:          cfg.Image,
				RootPassword:   l.state.RootPassword,
				Database:       cfg.Schema,
				Name:           fmt.Sprintf("todomgmt-lab-%s-%s", runID, region),
				Networks:       []string{l.nw.Name},
				NetworkAliases: []string{alias},
				Args:           globaldb.ServerArgs(serverID, alias),
				Labels:         map[string]string{LabelLab: runID, LabelRegion: region},
				StartupTimeout: 3 * time.Minute,
				Logger:         tclog.NewNoopLogger(),
			})
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", region, err)
				return
			}
			host, _ := c.Endpoint()
			l.mu.Lock()
			l.containers = append(l.containers, c)
			l.state.Regions[i].ContainerID = c.ID()
			l.state.Image = c.Image()
			l.state.Host = host
			l.mu.Unlock()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l.ctrs = newDockerContainers(l.state.Host)
	l.DB = l.state.database(l.ctrs)
	if cfg.Logf != nil {
		l.DB.Logf = func(format string, args ...any) { cfg.Logf("  database: "+format, args...) }
	}

	l.logf("setting up GTID replication %s → %s", regions[0], regions[1])
	if l.state.Flavour, err = l.DB.Init(ctx); err != nil {
		return nil, err
	}

	l.logf("migrating the schema and creating the application user on the writer")
	if err := l.migrate(ctx, regions[0]); err != nil {
		return nil, err
	}
	if err := l.DB.WaitCaughtUp(ctx, regions[1], regions[0], time.Minute); err != nil {
		return nil, fmt.Errorf("replica: %w", err)
	}

	logger := slog.New(slog.DiscardHandler)
	if cfg.APILog != nil {
		logger = slog.New(slog.NewTextHandler(cfg.APILog, nil))
	}
	apis := map[string]string{}
	for i, region := range regions {
		netName := "todomgmt-lab-" + runID + "-" + region
		a, err := startRegionAPI(ctx, l.DB, region, netName, cfg.AppUser, l.state.AppPassword, cfg.Schema, cfg.Pool, cfg.RequestTimeout, logger)
		if err != nil {
			return nil, fmt.Errorf("%s API: %w", region, err)
		}
		l.apis = append(l.apis, a)
		apis[region] = a.url
		l.state.Regions[i].APIURL = a.url
	}
	l.FrontDoor, err = NewFrontDoor(apis, regions[0])
	if err != nil {
		return nil, fmt.Errorf("front door: %w", err)
	}
	l.state.FrontDoorURL = l.FrontDoor.URL()
	l.state.AdminURL = l.FrontDoor.AdminURL()
	l.Prober = newProber(apis, l.FrontDoor.URL())
	return l, nil
}

func (l *Lab) logf(format string, args ...any) {
	if l.cfg.Logf != nil {
		l.cfg.Logf(format, args...)
	}
}

// migrate runs the migrations and creates the application user on the
// writer's server, as root; both replicate to the replica.
func (l *Lab) migrate(ctx context.Context, writer string) error {
	c, err := l.DB.Connector(writer)
	if err != nil {
		return err
	}
	db := sql.OpenDB(c)
	defer db.Close()
	return todomysql.Prepare(ctx, db, writer, l.cfg.AppUser, l.state.AppPassword, l.cfg.Schema)
}

// State returns what another process needs to reach this lab.
func (l *Lab) State() State { return l.state }

// Regions returns the regions, the first one being the initial writer.
func (l *Lab) Regions() []string { return l.state.regionNames() }

// Orchestrator returns the real failover orchestrator over this lab's
// adapters, with the lab's timeouts.
func (l *Lab) Orchestrator(approver orchestrator.Approver, printer orchestrator.Printer) *orchestrator.Orchestrator {
	return newOrchestrator(l.DB, l.FrontDoor, l.Prober, l.Regions(), approver, printer)
}

// ReadinessOrchestrator is Orchestrator without an approver or a
// printer, over a database that tells the proxy targets: what failover
// readiness is judged with (orchestrator.Orchestrator.Readiness).
func (l *Lab) ReadinessOrchestrator() *orchestrator.Orchestrator {
	eps := map[string]*readerEndpoint{}
	for _, a := range l.apis {
		eps[a.endpoint.region] = a.endpoint
	}
	o := l.Orchestrator(nil, nil)
	o.DB = &ProxiedDatabase{Database: l.DB, endpoints: eps}
	o.Prober = readinessProber{l.Prober}
	return o
}

// newProber is the lab's failover.Prober: the API client's, without
// tokens, each call bounded by the orchestrator's probe timeout.
func newProber(apis map[string]string, frontDoor string) *apiclient.Prober {
	return &apiclient.Prober{APIs: apis, FrontDoor: frontDoor, Timeout: Timeouts.Probe}
}

func newOrchestrator(db *globaldb.Database, router failover.Router, prober *apiclient.Prober, regions []string, approver orchestrator.Approver, printer orchestrator.Printer) *orchestrator.Orchestrator {
	return &orchestrator.Orchestrator{
		DB: db, Router: router, Prober: prober, Approver: approver, Printer: printer,
		Timeouts: Timeouts, Regions: regions,
	}
}

// Close force-removes the lab's containers and network, then stops the
// APIs and the front door. Use a context that is not cancelled (the
// caller's may be, after Ctrl-C).
func (l *Lab) Close(ctx context.Context) error {
	// The containers first: they are what must not outlive the lab, and
	// the servers' graceful shutdowns below may use up ctx.
	errs := []error{l.removeContainers(ctx)}
	if l.FrontDoor != nil {
		errs = append(errs, l.FrontDoor.Close(ctx))
	}
	for _, a := range l.apis {
		errs = append(errs, a.Close(ctx))
	}
	if l.DB != nil {
		errs = append(errs, l.DB.Close())
	}
	if l.ctrs != nil {
		errs = append(errs, l.ctrs.Close())
	}
	return errors.Join(errs...)
}

// removeContainers force-removes the run's containers and network by
// label (fast: no clean shutdown of throwaway servers), which also catches
// a container whose start failed half-way. Without a Docker client of its
// own it kills and removes the containers it knows of, again without a
// clean shutdown (Terminate would give each server 10 s to stop).
func (l *Lab) removeContainers(ctx context.Context) error {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		errs := []error{err}
		l.mu.Lock()
		for _, c := range l.containers {
			errs = append(errs, c.Remove(ctx))
		}
		l.mu.Unlock()
		if l.nw != nil {
			errs = append(errs, l.nw.Remove(ctx))
		}
		return errors.Join(errs...)
	}
	defer cli.Close()
	_, err = removeLabelled(ctx, cli, LabelLab+"="+l.state.RunID)
	return err
}
