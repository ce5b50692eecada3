package globaldb

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/failover"
	todomysql "github.com/todomgmt/todomgmt/pkg/mysql"
)

func TestFenceRequestAndResultMapping(t *testing.T) {
	req := failover.FenceRequest{Region: "lab-b", DataLoss: true, Lag: 1500 * time.Millisecond, MinGap: 42}
	if got, want := fenceOf(req), (todomysql.Fence{Region: "lab-b", DataLoss: true, Lag: 1500 * time.Millisecond, MinGap: 42}); got != want {
		t.Errorf("fenceOf(%+v) = %+v, want %+v", req, got, want)
	}
	res := todomysql.FenceResult{Region: "lab-b", Term: 3, Skipped: true, MaxID: 10, Floor: 1_000_011, Gap: 1_000_000,
		Rate: 2.5, Window: 61 * time.Second, Reason: "why"}
	want := failover.FenceResult{Region: "lab-b", Term: 3, Skipped: true, MaxID: 10, Floor: 1_000_011, Gap: 1_000_000,
		Rate: 2.5, Window: 61 * time.Second, Reason: "why"}
	if diff := cmp.Diff(want, fenceResultOf(res)); diff != "" {
		t.Errorf("fenceResultOf (-want +got):\n%s", diff)
	}
}

// TestFenceIDsRefusesAnotherRegion: like the migrate function, the lab
// fences only for the region of the server it runs on; a request naming
// another would open creates in a region whose writer is elsewhere.
func TestFenceIDsRefusesAnotherRegion(t *testing.T) {
	ctrs := &fakeContainers{addr: map[string]string{}}
	d := newDatabase("lab-x", "todomgmt", "repl", "p",
		newNode("lab-a", "db-lab-a", "ca", 1, "p", ctrs), newNode("lab-b", "db-lab-b", "cb", 2, "p", ctrs))
	_, err := d.FenceIDs(context.Background(), failover.Member{Region: "lab-b", ID: "db-lab-b"}, failover.FenceRequest{Region: "lab-a"})
	if err == nil || !strings.Contains(err.Error(), `names region "lab-a"`) {
		t.Errorf("FenceIDs(lab-b's server, region lab-a) = %v, want a refusal naming the region", err)
	}
	_, err = d.FenceIDs(context.Background(), failover.Member{Region: "lab-c"}, failover.FenceRequest{Region: "lab-c"})
	if err == nil {
		t.Errorf("FenceIDs(unknown member) = nil error, want one")
	}
}

// TestFenceStateWithoutAServer: the fence is read on the region's own
// server; a region the lab does not have, a server whose container is
// not running (killed) and one that accepts but never answers (cut off)
// are errors, the last one ended by the caller's deadline. The reads on
// real servers are in the integration tests.
func TestFenceStateWithoutAServer(t *testing.T) {
	hangs := listen(t)
	ctrs := &fakeContainers{addr: map[string]string{"cb": hangs}}
	b := newNode("lab-b", "db-lab-b", "cb", 2, "p", ctrs)
	b.identify = func(context.Context, string) (uint32, error) { return 2, nil }
	d := newDatabase("lab-x", "todomgmt", "repl", "p", newNode("lab-a", "db-lab-a", "ca", 1, "p", ctrs), b)
	if _, err := d.FenceState(context.Background(), "lab-c"); err == nil {
		t.Error("FenceState(lab-c) = nil error, want one: the lab has no lab-c")
	}
	if _, err := d.FenceState(context.Background(), "lab-a"); err == nil || !strings.Contains(err.Error(), "db-lab-a") {
		t.Errorf("FenceState of a killed server = %v, want an error naming it", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := d.FenceState(ctx, "lab-b"); err == nil || ctx.Err() == nil {
		t.Errorf("FenceState of a server that never answers = %v (context %v), want the deadline's error", err, ctx.Err())
	}
}
