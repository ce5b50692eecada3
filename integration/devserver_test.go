//go:build integration

package integration

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/todomgmt/todomgmt/internal/devserver"
)

// TestDevserverMySQL runs what `go tool mage local` runs, with a real
// container: the API answers a write, and stopping the server removes the
// container.
func TestDevserverMySQL(t *testing.T) {
	requireDocker(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out strings.Builder
	go func() {
		done <- devserver.Run(ctx, devserver.Options{
			Addr:  "127.0.0.1:0",
			Out:   &out,
			Ready: func(base string) { ready <- base },
		})
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("devserver.Run ended before serving: %v\n%s", err, out.String())
	case <-time.After(4 * time.Minute):
		t.Fatal("devserver not ready after 4 minutes")
	}
	if !strings.Contains(out.String(), "MySQL") {
		t.Errorf("banner does not say it uses MySQL:\n%s", out.String())
	}

	res, err := http.Post(base+"/v1/todos", "application/json", strings.NewReader(`{"task":"from mage local"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/todos = %d, want 201", res.StatusCode)
	}
	res, err = http.Get(base + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/health = %d, want 200", res.StatusCode)
	}

	// mage gives a target 5 s after Ctrl-C, then exits, abandoning the
	// cleanup: the container must be gone by then (Ryuk is disabled).
	const mageCleanupWindow = 5 * time.Second
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("devserver.Run after Ctrl-C = %v, want nil", err)
		}
		elapsed := time.Since(start)
		t.Logf("stopped and removed the container in %v", elapsed.Round(time.Millisecond))
		if elapsed > mageCleanupWindow {
			t.Errorf("devserver.Run took %v to stop and remove the container, want at most %v (mage's cleanup window)", elapsed.Round(time.Millisecond), mageCleanupWindow)
		}
	case <-time.After(time.Minute):
		t.Fatal("devserver did not stop within a minute")
	}
	if !strings.Contains(out.String(), "a second Ctrl-C abandons it") {
		t.Errorf("stop message does not warn about a second Ctrl-C:\n%s", out.String())
	}

	cli, err := testcontainers.NewDockerClientWithOpts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	label := devserver.ContainerLabel + "=" + strconv.Itoa(os.Getpid())
	cs, err := cli.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", label)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cs.Items); n != 0 {
		t.Errorf("%d container(s) labelled %s left after stop, want 0", n, label)
	}
}
