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

	"github.com/todomgmt/todomgmt/internal/mysqlcontainer"
	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/mysql"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Region is the region name the local API reports in /v1/health.
const Region = "local"

// ContainerLabel marks the containers devserver starts, its value the pid of
// the process that started it, so leftovers can be found with
// `docker ps --filter label=org.todomgmt.devserver`.
const ContainerLabel = "org.todomgmt.devserver"

// StopBudget is the most Run takes, after its context ends, to stop the
// server and remove the container. It stays under the 5 s that mage
// (v1.17) gives a target after Ctrl-C before it exits anyway: with Ryuk
// disabled nothing would remove a container left behind then.
const StopBudget = shutdownTimeout + removeTimeout

const (
	// shutdownTimeout bounds the graceful stop of the HTTP server; requests
	// still running after it are cut off. Local requests take milliseconds.
	shutdownTimeout = time.Second
	// removeTimeout bounds closing the pools and removing the container,
	// which is killed rather than stopped: its data go with it anyway.
	removeTimeout = 3 * time.Second
)

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
// container it started, within StopBudget.
func Run(ctx context.Context, opts Options) (err error) {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	defer ln.Close()

	st, err := openStore(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		// The caller's ctx is done by now; cleanup gets its own deadline.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
		defer cancel()
		err = errors.Join(err, st.cleanup(cctx))
	}()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv := &http.Server{
		Handler:           httpapi.New(httpapi.Config{Service: st.svc, Region: Region, Logger: logger}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	base := "http://" + ln.Addr().String()
	fmt.Fprintf(opts.Out, "\nToDoMgmt API on %s (%s). Ctrl-C to stop.\n\n", base, st.describe)
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
	if st.container != nil {
		// mage exits at a second Ctrl-C without waiting for its target.
		fmt.Fprintf(opts.Out, "stopping; removing the MySQL container takes a few seconds (a second Ctrl-C abandons it: then run docker rm -f %s)\n", st.container.ID())
	} else {
		fmt.Fprintln(opts.Out, "stopping")
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still running past the budget are cut off: the
		// container must go before mage gives up on this process.
		return errors.Join(fmt.Errorf("shutdown: %w", err), srv.Close())
	}
	return nil
}

// store is the service Run serves and what it needs to clean up.
type store struct {
	svc      todo.Service
	describe string // for the banner
	// container is the MySQL container, nil for the in-memory store.
	container *mysqlcontainer.Container
	pools     *dbconn.Pools
	out       io.Writer
}

// cleanup closes the pools and removes the container, if any.
func (st store) cleanup(ctx context.Context) error {
	if st.container == nil {
		return nil
	}
	fmt.Fprintln(st.out, "removing the MySQL container")
	return errors.Join(st.pools.Close(), st.container.Remove(ctx))
}

// openStore picks the store: MySQL in a container when Docker answers, else
// memory.
func openStore(ctx context.Context, opts Options) (store, error) {
	if opts.Memory {
		return store{svc: inmem.New(), describe: "in-memory store, as asked"}, nil
	}
	if err := mysqlcontainer.DockerAvailable(ctx); err != nil {
		fmt.Fprintf(opts.Out, "No Docker engine reachable (%v):\nusing the IN-MEMORY store; data is lost when the server stops.\n", err)
		return store{svc: inmem.New(), describe: "in-memory store: no Docker engine"}, nil
	}
	fmt.Fprintln(opts.Out, "Starting MySQL in a container (first start can take a minute)...")
	c, err := mysqlcontainer.Start(ctx, mysqlcontainer.Options{
		Image:  opts.Image,
		Labels: map[string]string{ContainerLabel: strconv.Itoa(os.Getpid())},
	})
	if err != nil {
		return store{}, fmt.Errorf("start MySQL: %w", err)
	}
	svc, pools, err := prepare(ctx, c)
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
		defer cancel()
		return store{}, errors.Join(err, c.Remove(rctx))
	}
	return store{
		svc:       svc,
		describe:  fmt.Sprintf("MySQL %s at %s, user %s", c.Image(), c.Addr(), dbconn.DefaultUser),
		container: c,
		pools:     pools,
		out:       opts.Out,
	}, nil
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
	if err := mysql.Prepare(ctx, root, Region, dbconn.DefaultUser, password, c.Database()); err != nil {
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
	return mysql.New(pools.Writer, mysql.WithReader(pools.Reader), mysql.WithRegion(Region)), pools, nil
}
