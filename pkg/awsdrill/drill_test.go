package awsdrill

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/awsops"
	"github.com/todomgmt/todomgmt/pkg/drill"
	"github.com/todomgmt/todomgmt/pkg/drill/load"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/console"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
)

// testDrillConfig is Defaults made short: the fakes switch at once.
func testDrillConfig() drill.Config {
	c := Defaults
	c.Warmup, c.Cooldown, c.Settle = 250*time.Millisecond, time.Second, 5*time.Second
	c.Load.Rate, c.Load.MaxWrites, c.Load.AttemptTimeout, c.Load.RetryBackoff = 20, 20, 5*time.Second, 20*time.Millisecond
	return c
}

// fastOrchestrator makes the drill's orchestrator poll on a test clock.
func fastOrchestrator(d *Env) {
	d.Clock = awstest.NewClock(time.Now())
	d.Timeouts = &orchestrator.Timeouts{Poll: time.Second}
}

// recordingConfirmer records what it was asked and answers as told.
type recordingConfirmer struct {
	console.FlagConfirmation
	summaries, words []string
}

func (c *recordingConfirmer) Confirm(ctx context.Context, summary, word string) error {
	c.summaries, c.words = append(c.summaries, summary), append(c.words, word)
	return c.FlagConfirmation.Confirm(ctx, summary, word)
}

// runDrill runs Run over the fakes and returns the report it wrote.
func runDrill(t *testing.T, e *awsops.Env, o Options) (drill.Report, string, error) {
	t.Helper()
	var out strings.Builder
	o.Out, o.ReportPath = &out, filepath.Join(t.TempDir(), "report.json")
	if o.Env == nil {
		o.Env = fastOrchestrator
	}
	err := Run(context.Background(), e, o)
	var rep drill.Report
	if raw, rerr := os.ReadFile(o.ReportPath); rerr == nil {
		if err := json.Unmarshal(raw, &rep); err != nil {
			t.Fatalf("the report does not decode: %v", err)
		}
	}
	return rep, out.String(), err
}

// TestDrillOverTheAdapters runs the shared drill runner against the
// deployment fakes: a planned switchover and a failback with the same
// orchestrator and adapters as `mage failover`, load through the front
// door with a token, every todo it wrote deleted afterwards.
func TestDrillOverTheAdapters(t *testing.T) {
	f, a, e, _ := deployment(t, east)
	cfg := testDrillConfig()
	c := &recordingConfirmer{FlagConfirmation: console.FlagConfirmation{Value: west}}
	rep, out, err := runDrill(t, e, Options{Config: cfg, Confirm: c})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	// One confirmation, for the whole drill, naming the passive region.
	if diff := cmp.Diff([]string{west}, c.words); diff != "" {
		t.Errorf("confirmation words (-want +got):\n%s", diff)
	}
	if len(c.summaries) != 1 || !strings.Contains(c.summaries[0], "moves") && !strings.Contains(c.summaries[0], "write pauses") {
		t.Errorf("confirmation summary %q, want it to say what the drill costs clients", c.summaries)
	}
	// The same calls as two runs of `mage failover`.
	want := []string{
		"us-east-1 SwitchoverGlobalCluster " + westARN,
		"us-west-2 Invoke todomgmt-migrate fence-ids region=us-west-2 dataLoss=false lag=0s",
		"global PutKey active-region=us-west-2",
		"us-west-2 SwitchoverGlobalCluster " + eastARN,
		"us-east-1 Invoke todomgmt-migrate fence-ids region=us-east-1 dataLoss=false lag=0s",
		"global PutKey active-region=us-east-1",
	}
	if diff := cmp.Diff(want, f.Log("SwitchoverGlobalCluster", "FailoverGlobalCluster", "PutKey", "Invoke")); diff != "" {
		t.Errorf("AWS calls (-want +got):\n%s", diff)
	}

	if rep.Environment != "aws" || rep.RunID == "" || len(rep.Scenarios) != 2 {
		t.Fatalf("report: environment %q, run %q, %d scenarios; want aws, a run id, 2", rep.Environment, rep.RunID, len(rep.Scenarios))
	}
	if diff := cmp.Diff([]string{drill.MeasureStaleETags, drill.MeasureRoleChecks}, rep.NotMeasured); diff != "" {
		t.Errorf("not measured (-want +got):\n%s", diff)
	}
	for i, s := range rep.Scenarios {
		from, to := east, west
		if i == 1 {
			from, to = west, east
		}
		if s.Name != []string{drill.ScenarioPlanned, drill.ScenarioFailback}[i] || s.From != from || s.To != to {
			t.Errorf("scenario %d: %s %s → %s, want %s → %s", i, s.Name, s.From, s.To, from, to)
		}
		w := s.Writes
		// The load's shape: bounded in count, every call with a token
		// (the fake answers 401 without one), some served by each side.
		if w.Writes == 0 || w.Writes > cfg.Load.MaxWrites || w.Updates > cfg.Load.MaxWrites || s.Reads.Reads > cfg.Load.MaxWrites {
			t.Errorf("%s: %d creates, %d updates, %d reads; want some creates and each at most %d", s.Name, w.Writes, w.Updates, s.Reads.Reads, cfg.Load.MaxWrites)
		}
		for label := range w.Errors {
			if strings.HasPrefix(label, "401") {
				t.Errorf("%s: client errors %v: a call went without a token", s.Name, w.Errors)
			}
		}
		if w.Acked != w.Writes || w.Lost != 0 || w.Duplicates != 0 || !s.Report.Verified || len(s.Errors) > 0 {
			t.Errorf("%s: %d of %d acked, %d lost, %d duplicates, verified %v, errors %q", s.Name, w.Acked, w.Writes, w.Lost, w.Duplicates, s.Report.Verified, s.Errors)
		}
		if w.ServedBy[from] == 0 || w.ServedBy[to] == 0 || w.ServedBy[from]+w.ServedBy[to] != w.Acked {
			t.Errorf("%s: served by %v, want the %d acknowledged writes by %s before the switch and %s after it", s.Name, w.ServedBy, w.Acked, from, to)
		}
		if s.Reads.Region != to || s.Reads.Reads == 0 || s.Reads.Failures != 0 {
			t.Errorf("%s: reads in %s: %d, %d failed; want some in %s, none failed", s.Name, s.Reads.Region, s.Reads.Reads, s.Reads.Failures, to)
		}
		// Every todo it wrote (the acknowledged creates) was deleted.
		if s.Cleanup == nil || s.Cleanup.Error != "" || s.Cleanup.Deleted != w.Acked {
			t.Errorf("%s: cleanup %+v, want the %d acknowledged todos deleted", s.Name, s.Cleanup, w.Acked)
		}
	}
	for _, tg := range rep.Targets {
		if !tg.Met {
			t.Errorf("target MISSED: %s %s: %s", tg.Scenario, tg.Goal, tg.Measured)
		}
		if strings.Contains(tg.Goal, "ETag") || strings.HasPrefix(tg.Goal, "after the switch") {
			t.Errorf("target %q reported, but the AWS drill cannot measure it", tg.Goal)
		}
	}
	for id, td := range a.Todos() {
		if strings.HasPrefix(td.Task, load.TaskPrefix+rep.RunID) {
			t.Errorf("todo %d %q left after the drill", id, td.Task)
		}
	}
	for _, want := range []string{"aws drill:", "SERVED BY", "CLEANUP", "report written to"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestDrillNeedsConfirmation: without the typed word nothing moves and
// no request is sent through the front door.
func TestDrillNeedsConfirmation(t *testing.T) {
	for _, value := range []string{"", east, "yes"} {
		t.Run("confirm="+value, func(t *testing.T) {
			f, a, e, _ := deployment(t, east)
			_, _, err := runDrill(t, e, Options{Config: testDrillConfig(), Confirm: console.FlagConfirmation{Value: value}})
			if !errors.Is(err, console.ErrDeclined) {
				t.Fatalf("Run with %s=%q = %v, want it declined", console.ConfirmEnv, value, err)
			}
			if calls := f.Log("SwitchoverGlobalCluster", "PutKey", "Invoke"); len(calls) != 0 {
				t.Errorf("calls after a declined drill: %q", calls)
			}
			for _, r := range a.Requests() {
				if !strings.HasSuffix(r, "/v1/health") {
					t.Errorf("request %q after a declined drill, want none but health checks", r)
				}
			}
		})
	}
}

// TestDrillRefusedPlanAsksNothing: when a planned switchover would be
// refused, the drill says so before asking for a confirmation.
func TestDrillRefusedPlanAsksNothing(t *testing.T) {
	f, _, e, _ := deployment(t, east)
	f.Clusters[westARN].Status = "modifying"
	c := &recordingConfirmer{FlagConfirmation: console.FlagConfirmation{Value: west}}
	_, _, err := runDrill(t, e, Options{Config: testDrillConfig(), Confirm: c})
	if err == nil || !strings.Contains(err.Error(), "no drill") {
		t.Fatalf("Run = %v, want the refused plan", err)
	}
	if len(c.words) != 0 {
		t.Errorf("asked to confirm %q, want no question", c.words)
	}
}

// TestDrillSaysHowToCleanUp: todos the drill could not delete are
// reported, and Run fails naming the command that deletes them.
func TestDrillSaysHowToCleanUp(t *testing.T) {
	_, a, e, _ := deployment(t, east)
	a.FailDeletes = true
	rep, out, err := runDrill(t, e, Options{Config: testDrillConfig(), Confirm: console.FlagConfirmation{Value: west}})
	want := CleanupEnv + "=" + rep.RunID + "@"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(out, want) {
		t.Fatalf("Run = %v, want an error and output naming %s…\n%s", err, want, out)
	}
	if len(rep.Scenarios) == 0 || rep.Scenarios[0].Cleanup == nil || rep.Scenarios[0].Cleanup.Error == "" {
		t.Errorf("report's cleanup %+v, want the failed deletes", rep.Scenarios)
	}

	// The command deletes exactly the run's todos.
	a.SetFailDeletes(false)
	other := a.AddTodo("buy milk")
	_, floor, _ := strings.Cut(strings.Fields(err.Error()[strings.Index(err.Error(), want):])[0], "=")
	if _, _, err := runDrill(t, e, Options{Cleanup: floor}); err != nil {
		t.Fatalf("clean-up run: %v", err)
	}
	for id, td := range a.Todos() {
		if strings.HasPrefix(td.Task, load.TaskPrefix+rep.RunID+"-") {
			t.Errorf("todo %d %q left after the clean-up", id, td.Task)
		}
	}
	if _, ok := a.Todos()[other]; !ok {
		t.Errorf("the clean-up deleted todo %d, which is not the drill's", other)
	}
}

func TestParseDrillCleanup(t *testing.T) {
	for _, tt := range []struct {
		in      string
		run     string
		floor   int64
		wantErr bool
	}{
		{in: "0a1b2c3d", run: "0a1b2c3d"},
		{in: "0a1b2c3d@1042", run: "0a1b2c3d", floor: 1042},
		{in: "0a1b2c3d@0", wantErr: true},
		{in: "0a1b2c3d@x", wantErr: true},
		{in: "drill", wantErr: true},
		{in: "0A1B2C3D", wantErr: true},
		{in: "", wantErr: true},
	} {
		run, floor, err := ParseCleanup(tt.in)
		if (err != nil) != tt.wantErr || run != tt.run || floor != tt.floor {
			t.Errorf("ParseCleanup(%q) = %q, %d, %v; want %q, %d, error %v", tt.in, run, floor, err, tt.run, tt.floor, tt.wantErr)
		}
	}
}

// TestDrillEnvSwitchesPlannedOnly: the deployed stacks are not taken
// down by a drill.
func TestDrillEnvSwitchesPlannedOnly(t *testing.T) {
	f, _, e, _ := deployment(t, east)
	d, err := NewEnv(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Switch(context.Background(), failover.KindUnplanned, west); err == nil {
		t.Errorf("Switch(unplanned) = nil error, want a refusal")
	}
	if calls := f.Log(); len(calls) != 0 {
		t.Errorf("calls %q, want none", calls)
	}
	if _, ok := any(d).(drill.Outages); ok {
		t.Errorf("the AWS environment offers outages")
	}
}

// TestInterruptedDrill: Ctrl-C in the middle of a scenario stops the
// load, still deletes the scenario's todos, and says where to look.
func TestInterruptedDrill(t *testing.T) {
	_, a, e, _ := deployment(t, east)
	ctx, cancel := context.WithCancel(context.Background())
	var out strings.Builder
	o := Options{Config: testDrillConfig(), Confirm: console.FlagConfirmation{Value: west}, Out: &out,
		ReportPath: filepath.Join(t.TempDir(), "report.json"),
		Env: func(d *Env) {
			fastOrchestrator(d)
			time.AfterFunc(600*time.Millisecond, cancel) // in the planned scenario's cooldown
		}}
	err := Run(ctx, e, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want it interrupted\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "the drill was interrupted") {
		t.Errorf("output lacks what to do after an interruption:\n%s", out.String())
	}
	var rep drill.Report
	if raw, err := os.ReadFile(o.ReportPath); err != nil || json.Unmarshal(raw, &rep) != nil || len(rep.Scenarios) != 1 {
		t.Fatalf("report: %v, %d scenarios; want the interrupted one", err, len(rep.Scenarios))
	}
	if c := rep.Scenarios[0].Cleanup; c == nil || c.Error != "" || c.Deleted == 0 {
		t.Errorf("the interrupted scenario's cleanup = %+v, want its todos deleted", c)
	}
	for id, td := range a.Todos() {
		if strings.HasPrefix(td.Task, load.TaskPrefix) {
			t.Errorf("todo %d %q left after the interrupted drill", id, td.Task)
		}
	}
}
