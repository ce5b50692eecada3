package lab

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

// TestProxyTargetsFromTheEndpoints: a region's one instance is available
// while its read-only endpoint can ask the server what it is, in the
// read/write role while the server is writable, and unavailable when the
// server does not answer.
func TestProxyTargetsFromTheEndpoints(t *testing.T) {
	var writable atomic.Bool
	var down atomic.Bool
	e := startReaderEndpoint("lab-b", dialTo(listen(t)), func(context.Context) (bool, error) {
		if down.Load() {
			return false, errors.New("dial tcp 127.0.0.1:33061: connect: connection refused")
		}
		return !writable.Load(), nil
	})
	defer e.Close()
	d := &ProxiedDatabase{endpoints: map[string]*readerEndpoint{"lab-b": e}}
	ctx := context.Background()
	for _, tt := range []struct {
		name           string
		writable, down bool
		want           failover.ProxyTargets
	}{
		{"reader", false, false, failover.ProxyTargets{Known: true, Total: 1, Available: 1, Detail: "the read-only endpoint has its target: the server is a reader"}},
		{"writer", true, false, failover.ProxyTargets{Known: true, Total: 1, Available: 1, Writers: 1, Detail: "the read-only endpoint has no target: the server is the writer"}},
		{"server down", false, true, failover.ProxyTargets{Known: true, Total: 1, Detail: "UNAVAILABLE: dial tcp 127.0.0.1:33061: connect: connection refused"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			writable.Store(tt.writable)
			down.Store(tt.down)
			got, err := d.ProxyTargets(ctx, "lab-b")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := d.ProxyTargets(ctx, "lab-z"); err == nil {
		t.Errorf("a region without endpoints: no error")
	}
}

// TestTheLabHasNoUserPools: the prober says so, as not applicable, so the
// check is skipped rather than passed.
func TestTheLabHasNoUserPools(t *testing.T) {
	_, err := (readinessProber{}).UserPool(context.Background(), "lab-a")
	if !errors.Is(err, failover.ErrNotApplicable) || !strings.Contains(err.Error(), "no Cognito") {
		t.Errorf("error %v, want ErrNotApplicable saying the lab has no Cognito", err)
	}
}
