// Package mysqlcontainer starts a MySQL-compatible server in a Docker
// container with testcontainers-go, for local runs (`mage local`), the
// two-region lab and the integration tests.
//
// It works with the official mysql:8.x images and with MariaDB 10.11 (the CI
// image, todomgmt.local/mariadb:10.11): both honour MYSQL_ROOT_PASSWORD and
// MYSQL_DATABASE and take extra server arguments as the container command.
// Readiness is a real SQL round trip as root over the mapped port, not a log
// line: MySQL's official images start a temporary server during
// initialisation, and MariaDB prints a different startup line.
//
// Ryuk (the testcontainers reaper) is expected to be disabled on this
// project's machines, so whoever calls Start owns the container and must
// Terminate it; tests register testcontainers.CleanupContainer.
package mysqlcontainer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Defaults for Options.
const (
	// ImageEnv names the environment variable that overrides DefaultImage.
	ImageEnv = "TODOMGMT_TEST_MYSQL_IMAGE"
	// DefaultImage is the image used when neither Options.Image nor ImageEnv is set.
	DefaultImage = "mysql:8.4"
	// DefaultRootPassword is the root password when Options.RootPassword is empty.
	DefaultRootPassword = "root-secret"
	// DefaultDatabase is the schema created when Options.Database is empty.
	DefaultDatabase = "todomgmt"
	// DefaultStartupTimeout bounds the wait for the first successful SQL
	// round trip after a (re)start.
	DefaultStartupTimeout = 3 * time.Minute
	// Port is the server's port inside the container.
	Port = "3306/tcp"
)

// Options describe the container to start. The zero value is usable.
type Options struct {
	// Image is the image to run. Empty means $TODOMGMT_TEST_MYSQL_IMAGE,
	// else DefaultImage.
	Image string
	// RootPassword is root's password (root may connect from any host).
	// Empty means DefaultRootPassword.
	RootPassword string
	// Database is the schema created at first start. Empty means
	// DefaultDatabase.
	Database string
	// Name is the container's name; empty lets Docker pick one.
	Name string
	// Networks are existing user-defined Docker networks to attach the
	// container to (for instance a testcontainers network.New's Name).
	// Without any, the container is on the default bridge network.
	Networks []string
	// NetworkAliases are the container's host names on every one of
	// Networks, so that containers on the same network can reach it as
	// alias:3306 (replication).
	NetworkAliases []string
	// Args are extra server arguments, such as "--server-id=1",
	// "--log-bin=mysql-bin", "--gtid-mode=ON" (MySQL) or
	// "--gtid-strict-mode=1" (MariaDB).
	Args []string
	// Env are extra environment variables for the container.
	Env map[string]string
	// Labels are extra container labels, handy to find leftovers.
	Labels map[string]string
	// StartupTimeout bounds the wait for the server after a start or a
	// restart. Zero means DefaultStartupTimeout.
	StartupTimeout time.Duration
	// Logger receives testcontainers' progress lines; nil means
	// testcontainers' default logger (stderr).
	Logger tclog.Logger
}

func (o Options) withDefaults(getenv func(string) string) Options {
	if o.Image == "" {
		o.Image = getenv(ImageEnv)
	}
	if o.Image == "" {
		o.Image = DefaultImage
	}
	if o.RootPassword == "" {
		o.RootPassword = DefaultRootPassword
	}
	if o.Database == "" {
		o.Database = DefaultDatabase
	}
	if o.StartupTimeout <= 0 {
		o.StartupTimeout = DefaultStartupTimeout
	}
	return o
}

// Container is a running (or stopped) MySQL-compatible server.
// Its methods are safe for concurrent use.
type Container struct {
	tc   *testcontainers.DockerContainer
	opts Options

	mu   sync.Mutex
	host string
	port int
}

// Start creates and starts a container and waits until root can run a
// query over the mapped port. On error, any container it created has been
// terminated already, so the caller has nothing to clean up.
func Start(ctx context.Context, opts Options) (*Container, error) {
	opts = opts.withDefaults(os.Getenv)

	env := map[string]string{
		"MYSQL_ROOT_PASSWORD": opts.RootPassword,
		"MYSQL_DATABASE":      opts.Database,
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	custom := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(Port),
		// Publish the port on loopback only: the server is for this
		// machine's tests and tools, not for its network.
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{
				network.MustParsePort(Port): {{HostIP: netip.MustParseAddr("127.0.0.1")}},
			}
		}),
		testcontainers.WithEnv(env),
		testcontainers.WithWaitStrategy(&pingStrategy{
			password: opts.RootPassword,
			timeout:  opts.StartupTimeout,
		}),
		testcontainers.WithLabels(map[string]string{"org.todomgmt.component": "mysqlcontainer"}),
	}
	if len(opts.Labels) > 0 {
		custom = append(custom, testcontainers.WithLabels(opts.Labels))
	}
	if len(opts.Args) > 0 {
		custom = append(custom, testcontainers.WithCmd(opts.Args...))
	}
	if opts.Name != "" {
		custom = append(custom, testcontainers.WithName(opts.Name))
	}
	if len(opts.Networks) > 0 {
		networks := append([]string(nil), opts.Networks...)
		aliases := append([]string(nil), opts.NetworkAliases...)
		custom = append(custom, testcontainers.CustomizeRequestOption(func(req *testcontainers.GenericContainerRequest) error {
			req.Networks = append(req.Networks, networks...)
			if req.NetworkAliases == nil {
				req.NetworkAliases = map[string][]string{}
			}
			for _, n := range networks {
				req.NetworkAliases[n] = aliases
			}
			return nil
		}))
	}
	if opts.Logger != nil {
		custom = append(custom, testcontainers.WithLogger(opts.Logger))
	}

	tc, err := testcontainers.Run(ctx, opts.Image, custom...)
	if err != nil {
		if tc != nil {
			// Do not leave a half-started container behind: the caller
			// gets no handle to it. The original ctx may be done already
			// (a Ctrl-C during the start), so it is killed, not stopped
			// gracefully: it holds no data yet.
			tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if terr := tc.Terminate(tctx, testcontainers.StopTimeout(0)); terr != nil {
				err = errors.Join(err, fmt.Errorf("terminate after failed start: %w", terr))
			}
		}
		return nil, fmt.Errorf("start %s container: %w", opts.Image, err)
	}
	c := &Container{tc: tc, opts: opts}
	if err := c.refreshEndpoint(ctx); err != nil {
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return nil, errors.Join(err, tc.Terminate(tctx, testcontainers.StopTimeout(0)))
	}
	return c, nil
}

// refreshEndpoint re-reads the host and mapped port, which Docker may
// change when a stopped container starts again.
func (c *Container) refreshEndpoint(ctx context.Context) error {
	host, err := c.tc.Host(ctx)
	if err != nil {
		return fmt.Errorf("container host: %w", err)
	}
	mapped, err := c.tc.MappedPort(ctx, Port)
	if err != nil {
		return fmt.Errorf("container port: %w", err)
	}
	port, err := strconv.Atoi(mapped.Port())
	if err != nil {
		return fmt.Errorf("container port %q: %w", mapped.Port(), err)
	}
	c.mu.Lock()
	c.host, c.port = host, port
	c.mu.Unlock()
	return nil
}

// Testcontainer returns the underlying testcontainers container, for
// Exec, Logs, networks and the like.
func (c *Container) Testcontainer() testcontainers.Container { return c.tc }

// ID returns the Docker container id.
func (c *Container) ID() string { return c.tc.GetContainerID() }

// Image returns the image the container runs.
func (c *Container) Image() string { return c.opts.Image }

// RootPassword returns root's password.
func (c *Container) RootPassword() string { return c.opts.RootPassword }

// Database returns the schema created at first start.
func (c *Container) Database() string { return c.opts.Database }

// Aliases returns the container's network aliases (its host names on its
// user-defined networks).
func (c *Container) Aliases() []string { return append([]string(nil), c.opts.NetworkAliases...) }

// Addr returns host:port where the server is reachable from this machine
// (127.0.0.1 with TESTCONTAINERS_HOST_OVERRIDE). It reflects the latest
// Start.
func (c *Container) Addr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return net.JoinHostPort(c.host, strconv.Itoa(c.port))
}

// Endpoint returns the host and port of Addr.
func (c *Container) Endpoint() (host string, port int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.host, c.port
}

// Config returns a go-sql-driver configuration for user on schema db at
// Addr, with parseTime, a 5 s dial timeout and UTC times.
func (c *Container) Config(user, password, db string) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = user
	cfg.Passwd = password
	cfg.Net = "tcp"
	cfg.Addr = c.Addr()
	cfg.DBName = db
	cfg.ParseTime = true
	cfg.Timeout = 5 * time.Second
	return cfg
}

// DSN returns a go-sql-driver DSN for user on schema db (empty for none),
// see Config. After a restart, call it again: the port may have changed.
func (c *Container) DSN(user, password, db string) string {
	return c.Config(user, password, db).FormatDSN()
}

// RootDSN returns a DSN for root on schema db (empty for none).
func (c *Container) RootDSN(db string) string {
	return c.DSN("root", c.opts.RootPassword, db)
}

// Stop stops the server, giving it timeout to shut down cleanly before it
// is killed. The container and its data stay; Start brings it back.
func (c *Container) Stop(ctx context.Context, timeout time.Duration) error {
	if err := c.tc.Stop(ctx, &timeout); err != nil {
		return fmt.Errorf("stop container %s: %w", shortID(c.ID()), err)
	}
	return nil
}

// Start starts a stopped container again and waits until the server
// answers SQL. The mapped port may differ from before: use Addr or DSN
// after it returns.
func (c *Container) Start(ctx context.Context) error {
	if err := c.tc.Start(ctx); err != nil {
		return fmt.Errorf("start container %s: %w", shortID(c.ID()), err)
	}
	return c.refreshEndpoint(ctx)
}

// Terminate stops and removes the container and its volumes. It is safe
// to call on a nil *Container.
func (c *Container) Terminate(ctx context.Context) error {
	if c == nil || c.tc == nil {
		return nil
	}
	if err := c.tc.Terminate(ctx); err != nil {
		return fmt.Errorf("terminate container %s: %w", shortID(c.ID()), err)
	}
	return nil
}

// Remove kills the server at once, with no graceful shutdown, and removes
// the container and its volumes: for a container whose data are thrown
// away anyway, when time is short (`mage local` has 5 s after Ctrl-C before
// mage abandons it). Terminate instead gives the server up to Docker's
// default 10 s to stop. It is safe to call on a nil *Container.
func (c *Container) Remove(ctx context.Context) error {
	if c == nil || c.tc == nil {
		return nil
	}
	if err := c.tc.Terminate(ctx, testcontainers.StopTimeout(0)); err != nil {
		return fmt.Errorf("remove container %s: %w", shortID(c.ID()), err)
	}
	return nil
}

// OpenRoot opens a pool for root on schema db and checks it with a ping.
func (c *Container) OpenRoot(ctx context.Context, db string) (*sql.DB, error) {
	return open(ctx, c.Config("root", c.opts.RootPassword, db))
}

func open(ctx context.Context, cfg *mysql.Config) (*sql.DB, error) {
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ping %s as %s: %w", cfg.Addr, cfg.User, err)
	}
	return db, nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// pingStrategy waits until root can run SELECT 1 over the mapped port.
// It re-reads the mapped port on every attempt (it is not known until the
// container runs) and fails fast when the container exits.
type pingStrategy struct {
	password string
	timeout  time.Duration
}

var _ wait.Strategy = (*pingStrategy)(nil)

func (s *pingStrategy) String() string { return "SQL ping as root on " + Port }

// Timeout implements wait.StrategyTimeout.
func (s *pingStrategy) Timeout() *time.Duration { return &s.timeout }

func (s *pingStrategy) WaitUntilReady(ctx context.Context, target wait.StrategyTarget) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var last error
	for {
		if err := s.try(ctx, target); err == nil {
			return nil
		} else {
			last = err
		}
		state, err := target.State(ctx)
		if err == nil && !state.Running {
			return fmt.Errorf("container is %s (exit code %d) before the server answered: %w", state.Status, state.ExitCode, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server did not answer SQL within %s: %w", s.timeout, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (s *pingStrategy) try(ctx context.Context, target wait.StrategyTarget) error {
	host, err := target.Host(ctx)
	if err != nil {
		return err
	}
	port, err := target.MappedPort(ctx, Port)
	if err != nil {
		return err
	}
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Passwd = s.password
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(host, port.Port())
	cfg.Timeout = 2 * time.Second
	cfg.ReadTimeout = 5 * time.Second
	cfg.WriteTimeout = 5 * time.Second
	// The server drops connections while it initialises; the driver would
	// log each of them.
	cfg.Logger = &mysql.NopLogger{}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var one int
	return db.QueryRowContext(actx, "SELECT 1").Scan(&one)
}

// Pause freezes the container's processes (docker pause): connections stay
// open but nothing answers, like a network partition or a hung server.
func (c *Container) Pause(ctx context.Context) error {
	return c.dockerCall(ctx, "pause", func(cli *testcontainers.DockerClient) error {
		_, err := cli.ContainerPause(ctx, c.ID(), client.ContainerPauseOptions{})
		return err
	})
}

// Unpause resumes a paused container.
func (c *Container) Unpause(ctx context.Context) error {
	return c.dockerCall(ctx, "unpause", func(cli *testcontainers.DockerClient) error {
		_, err := cli.ContainerUnpause(ctx, c.ID(), client.ContainerUnpauseOptions{})
		return err
	})
}

func (c *Container) dockerCall(ctx context.Context, op string, fn func(*testcontainers.DockerClient) error) error {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("%s container %s: %w", op, shortID(c.ID()), err)
	}
	defer cli.Close()
	if err := fn(cli); err != nil {
		return fmt.Errorf("%s container %s: %w", op, shortID(c.ID()), err)
	}
	return nil
}
