package globaldb

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// fakeContainers publishes each container at a fixed address.
type fakeContainers struct {
	addr map[string]string // container id → host:port; absent: not running
}

func (f *fakeContainers) Addr(_ context.Context, id string) (string, error) {
	if a, ok := f.addr[id]; ok {
		return a, nil
	}
	return "", errors.New("container is not running")
}

func (f *fakeContainers) Running(_ context.Context, id string) (bool, error) {
	_, ok := f.addr[id]
	return ok, nil
}

func (f *fakeContainers) Stop(context.Context, string, time.Duration) error { return nil }
func (f *fakeContainers) Start(context.Context, string) error               { return nil }

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

// TestNodeDialChecksTheServer: a dial returns a connection only when the
// server at the address says it is the node's server; a cached address
// that now belongs to the other server is resolved again.
func TestNodeDialChecksTheServer(t *testing.T) {
	serverA, serverB := listen(t), listen(t)
	ids := map[string]uint32{serverA: 1, serverB: 2}
	for _, tt := range []struct {
		name      string
		cached    string // the node's cached address
		published string // where Docker publishes the node's container now ("" = not running)
		wantErr   bool
		wantAddr  string // the cached address afterwards
	}{
		{name: "first dial resolves", published: serverA, wantAddr: serverA},
		{name: "cached address still right", cached: serverA, published: serverA, wantAddr: serverA},
		{name: "cached port now the other server's", cached: serverB, published: serverA, wantAddr: serverA},
		{name: "published port answers as the other server", published: serverB, wantErr: true},
		{name: "cached port taken over, container stopped", cached: serverB, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctrs := &fakeContainers{addr: map[string]string{}}
			if tt.published != "" {
				ctrs.addr["ctr-a"] = tt.published
			}
			n := newNode("lab-a", "db-lab-a", "ctr-a", 1, "pw", ctrs)
			n.addr = tt.cached
			n.identify = func(_ context.Context, addr string) (uint32, error) {
				id, ok := ids[addr]
				if !ok {
					return 0, errors.New("nothing there")
				}
				return id, nil
			}
			c, err := n.dial(context.Background(), "tcp", "db-lab-a:3306")
			if (err != nil) != tt.wantErr {
				t.Fatalf("dial error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				// The store reports a dial error as "unavailable".
				var oe *net.OpError
				if !errors.As(err, &oe) {
					t.Errorf("dial error %T (%v), want a *net.OpError", err, err)
				}
				return
			}
			defer c.Close()
			if got := c.RemoteAddr().String(); got != serverA {
				t.Errorf("connected to %s, want server 1 at %s", got, serverA)
			}
			if n.addr != tt.wantAddr {
				t.Errorf("cached address = %q, want %q", n.addr, tt.wantAddr)
			}
		})
	}
}
