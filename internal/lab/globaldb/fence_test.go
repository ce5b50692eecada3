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
