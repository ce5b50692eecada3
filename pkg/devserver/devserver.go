// Package devserver runs the API on loopback for development (`go tool mage
// local`): the real pkg/httpapi handler over MySQL in a container when a
// Docker engine is reachable, or over the in-memory store when it is not.
//
// With MySQL it does what a deployment does: it migrates as root (the
// master user), creates the least-privilege application user, and serves
// through a pool opened as that user with pkg/dbconn's settings.
package devserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/mysql"
	"github.com/todomgmt/todomgmt/pkg/mysqlcontainer"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Region is the region name the local API reports in /v1/health.
const Region = "local"

// ContainerLabel marks the containers devserver starts, its value the pid of
// the process that started it, so leftovers can be found with
// `docker ps --filter label=org.todomgmt.devserver`.
const ContainerLabel = "org.todomgmt.devserver"

// shutdownTimeout bounds the graceful stop of the server and the container.
const shutdownTimeout = 10 * time.Second

// Options configure Run.
type Options struct {
	// Addr is the listen address; it should be on loopback.
	Addr string
	// Image is the MySQL image; empty means mysqlcontainer's default
	// ($TODOMGMT_TEST_MYSQL_IMAGE, else mysql:8.4).
	Image string
	// Memory forces the in-memory store even when Docker is reachable.
	Memory bool
	// Out receives the progress and the how-to-use lines.
	Out io.Writer
	// Ready, when set, is called with the server's base URL once it serves.
	Ready func(baseURL string)
}

// Run serves the API until ctx ends, then stops the server and removes the
// container it started.
func Run(ctx context.Context, opts Options) (err error) {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	defer ln.Close()

	svc, describe, cleanup, err := openStore(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		// The caller's ctx is done by now; cleanup gets its own deadline.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		err = errors.Join(err, cleanup(cctx))
	}()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv := &http.Server{
		Handler:           httpapi.New(httpapi.Config{Service: svc, Region: Region, Logger: logger}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	base := "http://" + ln.Addr().String()
	fmt.Fprintf(opts.Out, "\nToDoMgmt API on %s (%s). Ctrl-C to stop.\n\n", base, describe)
	fmt.Fprintf(opts.Out, "  curl -s %s/v1/health\n", base)
	fmt.Fprintf(opts.Out, "  curl -s -X POST %s/v1/todos -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-1' -d '{\"task\":\"try ToDoMgmt\"}'\n", base)
	fmt.Fprintf(opts.Out, "  curl -s '%s/v1/todos?limit=10'\n\n", base)
	if opts.Ready != nil {
		opts.Ready(base)
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(opts.Out, "stopping")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	return srv.Shutdown(sctx)
}

// openStore picks the store: MySQL in a container when Docker answers, else
// memory. It returns the store, a description for the banner, and a cleanup.
func openStore(ctx context.Context, opts Options) (todo.Service, string, func(context.Context) error, error) {
	noCleanup := func(context.Context) error { return nil }
	if opts.Memory {
		return inmem.New(), "in-memory store, as asked", noCleanup, nil
	}
	if err := mysqlcontainer.DockerAvailable(ctx); err != nil {
		fmt.Fprintf(opts.Out, "No Docker engine reachable (%v):\nusing the IN-MEMORY store; data is lost when the server stops.\n", err)
		return inmem.New(), "in-memory store: no Docker engine", noCleanup, nil
	}
	fmt.Fprintln(opts.Out, "Starting MySQL in a container (first start can take a minute)...")
	c, err := mysqlcontainer.Start(ctx, mysqlcontainer.Options{
		Image:  opts.Image,
		Labels: map[string]string{ContainerLabel: strconv.Itoa(os.Getpid())},
	})
	if err != nil {
		return nil, "", nil, fmt.Errorf("start MySQL: %w", err)
	}
	svc, pools, err := prepare(ctx, c)
	if err != nil {
		return nil, "", nil, errors.Join(err, c.Terminate(context.WithoutCancel(ctx)))
	}
	cleanup := func(ctx context.Context) error {
		fmt.Fprintln(opts.Out, "removing the MySQL container")
		return errors.Join(pools.Close(), c.Terminate(ctx))
	}
	return svc, fmt.Sprintf("MySQL %s at %s, user %s", c.Image(), c.Addr(), dbconn.DefaultUser), cleanup, nil
}

// prepare migrates the schema as root, creates the application user and
// opens its pools, as handlers/migrate and handlers/api do in AWS.
func prepare(ctx context.Context, c *mysqlcontainer.Container) (*mysql.Store, *dbconn.Pools, error) {
	root, err := c.OpenRoot(ctx, c.Database())
	if err != nil {
		return nil, nil, err
	}
	defer root.Close()
	password := rand.Text()
	if err := mysql.Prepare(ctx, root, dbconn.DefaultUser, password, c.Database()); err != nil {
		return nil, nil, err
	}
	// The pool settings are the deployed defaults: only the DSN is local.
	dsn := c.DSN(dbconn.DefaultUser, password, c.Database())
	cfg, err := dbconn.FromEnv(func(name string) string {
		if name == dbconn.EnvDSN {
			return dsn
		}
		return ""
	})
	if err != nil {
		return nil, nil, err
	}
	pools, err := dbconn.Open(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return mysql.New(pools.Writer, mysql.WithReader(pools.Reader)), pools, nil
}
