package lab

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/internal/lab/globaldb"
)

// TestReaderEndpointServesReadersOnly: the read-only endpoint connects
// while the region's server is read-only; once the server is the writer it
// refuses new connections and drops the ones it had, as RDS Proxy's
// read-only endpoint does for a cluster with no reader instance.
func TestReaderEndpointServesReadersOnly(t *testing.T) {
	server := listen(t)
	var writable atomic.Bool
	e := startReaderEndpoint("lab-b", dialTo(server), func(context.Context) (bool, error) { return !writable.Load(), nil })
	defer e.Close()
	ctx := context.Background()

	c, err := e.Dial(ctx, "tcp", "db-lab-b:3306")
	if err != nil {
		t.Fatalf("dial while the server is a reader: %v", err)
	}
	defer c.Close()

	writable.Store(true) // promoted
	if _, err := e.Dial(ctx, "tcp", "db-lab-b:3306"); err == nil || !strings.Contains(err.Error(), "no reader instance") {
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
	c2, err := e.Dial(ctx, "tcp", "db-lab-b:3306")
	if err != nil {
		t.Fatalf("dial after the server became a reader again: %v", err)
	}
	c2.Close()
}

// TestReaderEndpointCannotAsk: a server the endpoint cannot ask gets no
// connection, and the connections it has are left to fail by themselves.
func TestReaderEndpointCannotAsk(t *testing.T) {
	server := listen(t)
	e := startReaderEndpoint("lab-b", dialTo(server), func(context.Context) (bool, error) { return false, errors.New("server gone") })
	defer e.Close()
	if _, err := e.Dial(context.Background(), "tcp", "db-lab-b:3306"); err == nil {
		t.Errorf("dial without an answer from the server = nil error, want one")
	}
}

// dialTo dials addr whatever the driver asks for, as the node's dial
// reaches its server's published port.
func dialTo(addr string) globaldb.Dialer {
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
}

// listen opens a TCP listener on loopback that accepts connections and
// holds them until the test ends.
func listen(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}
