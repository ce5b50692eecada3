package mysqlcontainer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// DockerCheckTimeout bounds DockerAvailable when ctx has no earlier deadline.
const DockerCheckTimeout = 5 * time.Second

// ErrNoDocker is wrapped by DockerAvailable's errors.
var ErrNoDocker = errors.New("no reachable Docker engine")

// DockerAvailable reports whether a Docker engine is reachable, the way
// testcontainers finds it (DOCKER_HOST, ~/.testcontainers.properties, the
// default socket). It returns nil when it is, or an error wrapping
// ErrNoDocker, within DockerCheckTimeout at most.
func DockerAvailable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, DockerCheckTimeout)
	defer cancel()

	done := make(chan error, 1)
	go func() {
		// Older testcontainers releases panic when no Docker host can be
		// found at all; a probe must not take the caller down.
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("%w: %v", ErrNoDocker, r)
			}
		}()
		cli, err := testcontainers.NewDockerClientWithOpts(ctx)
		if err != nil {
			done <- fmt.Errorf("%w: %w", ErrNoDocker, err)
			return
		}
		defer cli.Close()
		if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
			done <- fmt.Errorf("%w: ping: %w", ErrNoDocker, err)
			return
		}
		done <- nil
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrNoDocker, ctx.Err())
	}
}
