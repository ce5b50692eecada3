package awsops

import (
	"context"
	"strings"
	"testing"

	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// The functions the operator's targets call print what the target shows
// and turn what it found into the target's error; none changes anything
// it only reads.

func TestWriteStatus(t *testing.T) {
	for _, tt := range []struct {
		name    string
		setup   func(*awstest.AWS, *awstest.API)
		wantErr string
		want    []string
	}{
		{"consistent", func(*awstest.AWS, *awstest.API) {}, "", []string{"front door: cloudfront", "dashboard us-east-1: "}},
		{"the secondary's API down", func(_ *awstest.AWS, a *awstest.API) { a.Down[west] = true }, "1 problem(s) (see PROBLEM lines)",
			[]string{"PROBLEM: the API in us-west-2 does not answer"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, a, e, _ := deployment(t, east)
			tt.setup(f, a)
			var out strings.Builder
			err := WriteStatus(context.Background(), e, &out)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("WriteStatus = %v, want %q\n%s", err, tt.wantErr, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
	f := awstest.New(t, east)
	f.Stacks = nil
	if err := WriteStatus(context.Background(), openEnv(t, f, &strings.Builder{}), &strings.Builder{}); err == nil || !strings.Contains(err.Error(), "deploy first") {
		t.Errorf("WriteStatus without stacks = %v, want the missing stacks", err)
	}
}

func TestWritePlan(t *testing.T) {
	for _, tt := range []struct {
		name    string
		kind    failover.Kind
		setup   func(*awstest.AWS)
		wantErr string
		want    string
	}{
		{"a planned switchover that would run", failover.KindPlanned, func(*awstest.AWS) {}, "", "switchover"},
		{"a planned switchover to a cluster being modified", failover.KindPlanned, func(f *awstest.AWS) { f.Clusters[westARN].Status = "modifying" },
			"the planned switchover would be refused (see REFUSED above)", "REFUSED"},
		{"an unplanned failover", failover.KindUnplanned, func(*awstest.AWS) {}, "", "failover"},
		{"the id fence read through both migrate functions", failover.KindUnplanned, func(*awstest.AWS) {}, "",
			"id fence now: names us-east-1 (term 1); read in us-east-1 names us-east-1 (term 1); us-west-2 names us-east-1 (term 1)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, _, e, _ := deployment(t, east)
			tt.setup(f)
			var out strings.Builder
			err := WritePlan(context.Background(), e, tt.kind, plan.Options{}, &out)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("WritePlan = %v, want %q\n%s", err, tt.wantErr, out.String())
			}
			if !strings.Contains(out.String(), "us-east-1") || !strings.Contains(out.String(), tt.want) {
				t.Errorf("output lacks the table or %q:\n%s", tt.want, out.String())
			}
			if calls := f.Log(append(mutating, "PutKey", "SwitchoverGlobalCluster", "FailoverGlobalCluster", "Invoke")...); len(calls) != 0 {
				t.Errorf("the plan changed something: %q", calls)
			}
		})
	}
}

func TestWriteReadiness(t *testing.T) {
	f, _, e, _ := deployment(t, east)
	var out strings.Builder
	if err := WriteReadiness(context.Background(), e, plan.Options{}, &out); err != nil {
		t.Fatalf("WriteReadiness = %v\n%s", err, out.String())
	}
	if n := strings.Count(out.String(), ": READY\n"); n != 4 {
		t.Errorf("%d plans READY, want both plans from both regions:\n%s", n, out.String())
	}
	// The passive region's proxy cannot log in: from there, neither plan
	// would work.
	f.Clusters[westARN].ProxyState, f.Clusters[westARN].ProxyReason = rdstypes.TargetStateUnavailable, rdstypes.TargetHealthReasonAuthFailure
	out.Reset()
	err := WriteReadiness(context.Background(), e, plan.Options{}, &out)
	if err == nil || !strings.HasSuffix(err.Error(), "plan(s) not ready (see NOT READY above)") || !strings.Contains(out.String(), "NOT READY") {
		t.Fatalf("WriteReadiness = %v, want plans not ready\n%s", err, out.String())
	}
	if calls := f.Log(append(mutating, "PutKey", "SwitchoverGlobalCluster", "FailoverGlobalCluster", "Invoke")...); len(calls) != 0 {
		t.Errorf("readiness changed something: %q", calls)
	}
}

func TestRunSmoke(t *testing.T) {
	_, _, e, _ := deployment(t, east)
	var out strings.Builder
	if err := RunSmoke(context.Background(), e, &out); err != nil || !strings.Contains(out.String(), "ok   us-west-2 (passive)") {
		t.Fatalf("RunSmoke = %v\n%s", err, out.String())
	}
	e.Secondary = nil
	if err := RunSmoke(context.Background(), e, &out); err == nil || !strings.Contains(err.Error(), "stack todomgmt-secondary not found in us-west-2") {
		t.Errorf("RunSmoke without the secondary stack = %v, want a refusal", err)
	}
}
