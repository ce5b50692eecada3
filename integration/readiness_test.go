//go:build integration

package integration

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/internal/lab"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/assess"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// TestLabReadiness judges failover readiness on the lab, with the same
// evaluation the readiness function runs in AWS
// (orchestrator.Orchestrator.Readiness), from each region: both plans are
// ready; once the replica stops receiving from the writer (its IO thread
// stopped: the link is cut) both are not ready, naming replication; once
// the link is restored and the replica has caught up, both are ready
// again. The lab tells the proxy targets (its read-only endpoint
// stand-ins); it has no Cognito, and says so, so the user-pool check is
// skipped (never passed), as are the safeguards, which its servers do not
// have.
func TestLabReadiness(t *testing.T) {
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := startLab(ctx, t)
	o := l.ReadinessOrchestrator()
	writer, replica := l.Regions()[0], l.Regions()[1]

	judge := func(t *testing.T, from string) map[failover.Kind]assess.Readiness {
		t.Helper()
		_, rs := o.Readiness(ctx, from, plan.Options{})
		out := map[failover.Kind]assess.Readiness{}
		for _, r := range rs {
			out[r.Kind] = r
			t.Logf("from %s: %s ready=%t failing %+v", from, r.Kind, r.Ready, r.Failing)
		}
		return out
	}
	wantReady := func(t *testing.T) {
		t.Helper()
		for _, from := range l.Regions() {
			for kind, r := range judge(t, from) {
				if !r.Ready || r.To != replica {
					t.Errorf("from %s: %s ready=%t to %s, failing %+v; want ready to %s\n%s", from, kind, r.Ready, r.To, r.Failing, replica, r.Plan)
				}
				if !slices.Contains(r.Passed, plan.CheckProxyTarget) || !slices.Contains(r.Passed, plan.CheckReplication) {
					t.Errorf("from %s: %s passed %v, want the proxy targets and replication checked", from, kind, r.Passed)
				}
				skipped := map[plan.Check]string{}
				for _, s := range r.Skipped {
					skipped[s.Check] = s.Why
				}
				if !strings.Contains(skipped[plan.CheckUserPool], "the lab has no Cognito") {
					t.Errorf("from %s: %s skipped %v, want the user-pool check skipped saying the lab has no Cognito", from, kind, skipped)
				}
				if _, ok := skipped[plan.CheckDeletionProtection]; !ok {
					t.Errorf("from %s: %s skipped %v, want deletion protection skipped (the lab's servers have none)", from, kind, skipped)
				}
			}
		}
	}

	t.Run("ready", wantReady)

	t.Run("not ready once replication is cut", func(t *testing.T) {
		if err := l.DB.StopReceiving(ctx, replica); err != nil {
			t.Fatal(err)
		}
		// A write the replica can no longer receive.
		labCreate(ctx, t, l.FrontDoor.URL(), "written while the link is cut")
		for _, from := range l.Regions() {
			for kind, r := range judge(t, from) {
				var checks []plan.Check
				for _, f := range r.Failing {
					checks = append(checks, f.Check)
				}
				if r.Ready || !slices.Equal(slices.Compact(checks), []plan.Check{plan.CheckReplication}) {
					t.Errorf("from %s: %s ready=%t failing %+v, want not ready with replication alone", from, kind, r.Ready, r.Failing)
				}
			}
		}
	})

	t.Run("ready again once restored", func(t *testing.T) {
		if err := l.DB.StartReceiving(ctx, replica); err != nil {
			t.Fatal(err)
		}
		// The replica reconnects (retry interval 1 s) and catches up.
		deadline := time.Now().Add(time.Minute)
		for {
			top, err := l.DB.Topology(ctx)
			m, _ := top.Member(replica)
			if err == nil && m.Sync == "connected" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not connected a minute after the link was restored: %+v (%v)", replica, m, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		wantReady(t)
		if w, ok := mustTopology(ctx, t, l).Writer(); !ok || w.Region != writer {
			t.Errorf("the writer moved: readiness must change nothing")
		}
	})
}

func mustTopology(ctx context.Context, tb testing.TB, l *lab.Lab) failover.Topology {
	tb.Helper()
	top, err := l.DB.Topology(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return top
}
