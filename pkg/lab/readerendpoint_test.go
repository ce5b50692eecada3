package lab

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestReaderEndpointServesReadersOnly: the read-only endpoint connects
// while the region's server is read-only; once the server is the writer it
// refuses new connections and drops the ones it had, as RDS Proxy's
// read-only endpoint does for a cluster with no reader instance.
func TestReaderEndpointServesReadersOnly(t *testing.T) {
	server := listen(t)
	n := newNode("lab-b", "db-lab-b", "ctr-b", 2, "pw", &fakeContainers{addr: map[string]string{"ctr-b": server}})
	n.identify = func(context.Context, string) (uint32, error) { return 2, nil }
	var writable atomic.Bool
	e := startReaderEndpoint(n, func(context.Context) (bool, error) { return !writable.Load(), nil })
	defer e.Close()
	ctx := context.Background()

	c, err := e.dial(ctx, "tcp", "db-lab-b:3306")
	if err != nil {
		t.Fatalf("dial while the server is a reader: %v", err)
	}
	defer c.Close()

	writable.Store(true) // promoted
	if _, err := e.dial(ctx, "tcp", "db-lab-b:3306"); err == nil || !strings.Contains(err.Error(), "no reader instance") {
		t.Errorf("dial to a writer = %v, want a refusal naming the missing reader", err)
	} else if oe := (*net.OpError)(nil); !errors.As(err, &oe) {
		t.Errorf("refusal %T, want a *net.OpError (the store reports a dial error as unavailable)", err)
	}
	// The connection it had is dropped at its next look at the server.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		if errors.Is(err, net.ErrClosed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the endpoint's connection still open 10s after the server became the writer (last read: %v)", err)
		}
	}

	writable.Store(false) // demoted again: a reader once more
	c2, err := e.dial(ctx, "tcp", "db-lab-b:3306")
	if err != nil {
		t.Fatalf("dial after the server became a reader again: %v", err)
	}
	c2.Close()
}

// TestReaderEndpointCannotAsk: a server the endpoint cannot ask gets no
// connection, and the connections it has are left to fail by themselves.
func TestReaderEndpointCannotAsk(t *testing.T) {
	server := listen(t)
	n := newNode("lab-b", "db-lab-b", "ctr-b", 2, "pw", &fakeContainers{addr: map[string]string{"ctr-b": server}})
	n.identify = func(context.Context, string) (uint32, error) { return 2, nil }
	e := startReaderEndpoint(n, func(context.Context) (bool, error) { return false, errors.New("server gone") })
	defer e.Close()
	if _, err := e.dial(context.Background(), "tcp", "db-lab-b:3306"); err == nil {
		t.Errorf("dial without an answer from the server = nil error, want one")
	}
}
