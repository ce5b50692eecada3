package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Labels on every container and network the lab creates, so that
// `lab:down` finds leftovers of a run that could not clean up.
const (
	// LabelLab marks lab resources; its value is the lab's run id.
	LabelLab = "org.todomgmt.lab"
	// LabelRegion names the lab region a container serves.
	LabelRegion = "org.todomgmt.lab.region"
)

// Down force-removes every container and network carrying the lab label
// (any run), and returns what it removed. It is what `lab:down` runs.
func Down(ctx context.Context) ([]string, error) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	defer cli.Close()
	return removeLabelled(ctx, cli, LabelLab)
}

// removeLabelled force-removes containers, then networks, with the given
// label (any value; "key=value" selects one value).
func removeLabelled(ctx context.Context, cli *testcontainers.DockerClient, label string) ([]string, error) {
	var removed []string
	var errs []error
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", label)})
	if err != nil {
		return nil, fmt.Errorf("list lab containers: %w", err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range cs.Items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("remove container %s: %w", short(c.ID), err))
				return
			}
			name := short(c.ID)
			if len(c.Names) > 0 {
				name = c.Names[0]
			}
			removed = append(removed, "container "+name)
		}()
	}
	wg.Wait()
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("label", label)})
	if err != nil {
		return removed, errors.Join(append(errs, fmt.Errorf("list lab networks: %w", err))...)
	}
	for _, n := range ns.Items {
		if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
			continue
		}
		removed = append(removed, "network "+n.Name)
	}
	return removed, errors.Join(errs...)
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// killWait bounds the wait for a killed container to stop running.
const killWait = 30 * time.Second

// dockerClientTimeout bounds the creation of the Docker client (it asks
// the engine for its info).
const dockerClientTimeout = 10 * time.Second

// dockerContainers implements containers with the Docker API.
type dockerContainers struct {
	host string // where published ports are reachable, normally 127.0.0.1

	// newClient creates the client: testcontainers.NewDockerClientWithOpts
	// when nil (tests replace it).
	newClient func(context.Context) (*testcontainers.DockerClient, error)

	mu  sync.Mutex
	cli *testcontainers.DockerClient // nil until created successfully
}

func newDockerContainers(host string) *dockerContainers {
	if host == "" {
		host = "127.0.0.1"
	}
	return &dockerContainers{host: host}
}

// client returns the Docker client, creating it on first use. Only a
// client that was created is kept: a failure (the engine restarting, a
// caller's short deadline) is returned to that caller and the next call
// tries again. The client outlives the call that creates it, so it is
// created under its own bounded context, not the caller's.
func (d *dockerContainers) client() (*testcontainers.DockerClient, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cli != nil {
		return d.cli, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), dockerClientTimeout)
	defer cancel()
	newClient := d.newClient
	if newClient == nil {
		newClient = func(ctx context.Context) (*testcontainers.DockerClient, error) {
			return testcontainers.NewDockerClientWithOpts(ctx)
		}
	}
	cli, err := newClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	d.cli = cli
	return cli, nil
}

func (d *dockerContainers) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cli == nil {
		return nil
	}
	err := d.cli.Close()
	d.cli = nil
	return err
}

func (d *dockerContainers) Addr(ctx context.Context, id string) (string, error) {
	cli, err := d.client()
	if err != nil {
		return "", err
	}
	res, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return "", fmt.Errorf("inspect container %s: %w", short(id), err)
	}
	c := res.Container
	if c.State == nil || !c.State.Running {
		return "", fmt.Errorf("container %s is not running", short(id))
	}
	if c.NetworkSettings == nil {
		return "", fmt.Errorf("container %s has no network settings", short(id))
	}
	for port, bindings := range c.NetworkSettings.Ports {
		if port.Num() != 3306 {
			continue
		}
		for _, b := range bindings {
			if b.HostPort != "" && b.HostPort != "0" {
				return net.JoinHostPort(d.host, b.HostPort), nil
			}
		}
	}
	return "", fmt.Errorf("container %s publishes no port for 3306", short(id))
}

func (d *dockerContainers) Running(ctx context.Context, id string) (bool, error) {
	cli, err := d.client()
	if err != nil {
		return false, err
	}
	res, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return false, fmt.Errorf("inspect container %s: %w", short(id), err)
	}
	return res.Container.State != nil && res.Container.State.Running, nil
}

func (d *dockerContainers) Stop(ctx context.Context, id string, timeout time.Duration) error {
	cli, err := d.client()
	if err != nil {
		return err
	}
	if timeout > 0 {
		secs := int(timeout.Seconds())
		if _, err := cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &secs}); err != nil {
			return fmt.Errorf("stop container %s: %w", short(id), err)
		}
		return nil
	}
	// SIGKILL straight away. Not `docker stop -t 0`: that sends SIGTERM
	// first, and a MariaDB killed in the middle of its clean shutdown has
	// already marked its binlog closed, so it cannot recover a prepared
	// transaction and refuses to start again.
	if _, err := cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		return fmt.Errorf("kill container %s: %w", short(id), err)
	}
	deadline := time.Now().Add(killWait)
	for {
		running, err := d.Running(ctx, id)
		if err != nil || !running {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("container %s still running %s after SIGKILL", short(id), killWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (d *dockerContainers) Start(ctx context.Context, id string) error {
	cli, err := d.client()
	if err != nil {
		return err
	}
	if _, err := cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("start container %s: %w", short(id), err)
	}
	return nil
}

// Diagnose describes a container that does not run as expected: its state
// and the last lines of its log.
func (d *dockerContainers) Diagnose(ctx context.Context, id string) string {
	cli, err := d.client()
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	if res, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); err == nil && res.Container.State != nil {
		st := res.Container.State
		fmt.Fprintf(&b, "container %s: status %s, exit code %d, OOM-killed %v %s", short(id), st.Status, st.ExitCode, st.OOMKilled, st.Error)
	}
	logs, err := cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "15"})
	if err != nil {
		return b.String()
	}
	defer logs.Close()
	var out bytes.Buffer
	_, _ = stdcopy.StdCopy(&out, &out, io.LimitReader(logs, 64<<10))
	fmt.Fprintf(&b, "; last log lines:\n%s", out.String())
	return b.String()
}
