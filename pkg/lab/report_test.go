package lab

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

func goodChecks() Checks {
	return Checks{ActiveWrite: "201", PassiveWrite: "503 region_passive", PassiveRead: "200", ReplicaConsistent: true}
}

func scenarioFor(name string, gap time.Duration, lost, dups int, unrepl *int64, restore *Seconds) Scenario {
	s := Scenario{Name: name, Round: 1, From: "lab-a", To: "lab-b", Checks: goodChecks(), Report: failover.Report{Verified: true},
		Writes: WriteStats{Writes: 10, Acked: 10, Lost: lost, Duplicates: dups, WriteGap: gap, MaxAckSilence: gap}}
	s.NoWriteTime = secondsOf(gap)
	s.UnreplicatedAtFault, s.Restore = unrepl, restore
	if unrepl != nil {
		s.DiscardedAtPromotion = new(int64) // measured: nothing discarded
	}
	return s
}

func ptr[T any](v T) *T { return &v }

func TestReportTargets(t *testing.T) {
	for _, tt := range []struct {
		name       string
		scenarios  []Scenario
		wantMissed []string // scenario: goal prefixes
	}{
		{
			name: "all met",
			scenarios: []Scenario{
				scenarioFor(ScenarioPlanned, 100*time.Millisecond, 0, 0, nil, nil),
				scenarioFor(ScenarioFailback, 200*time.Millisecond, 0, 0, nil, nil),
				scenarioFor(ScenarioUnplanned, time.Second, 3, 0, ptr(int64(5)), ptr(Seconds(2))),
			},
		},
		{
			name: "planned loses a write, failback too slow",
			scenarios: []Scenario{
				scenarioFor(ScenarioPlanned, 100*time.Millisecond, 1, 0, nil, nil),
				scenarioFor(ScenarioFailback, 6*time.Second, 0, 0, nil, nil),
			},
			wantMissed: []string{"planned: 0 acknowledged writes lost", "failback: write gap"},
		},
		{
			name: "unplanned loses more than was unreplicated, slow, duplicates",
			scenarios: []Scenario{
				scenarioFor(ScenarioUnplanned, time.Second, 6, 1, ptr(int64(5)), ptr(Seconds(20))),
			},
			wantMissed: []string{"unplanned: 0 duplicates", "unplanned: writes restored", "unplanned: lost ≤ unreplicated"},
		},
		{
			// Loss within the unreplicated count is no excuse for
			// throwing away what the replica had received.
			name: "unplanned promotion discards received transactions",
			scenarios: []Scenario{
				func() Scenario {
					s := scenarioFor(ScenarioUnplanned, time.Second, 2, 0, ptr(int64(5)), ptr(Seconds(2)))
					s.DiscardedAtPromotion = ptr(int64(2))
					return s
				}(),
			},
			wantMissed: []string{"unplanned: 0 received transactions discarded"},
		},
		{
			// A switchover that failed and rolled back leaves no gap, no
			// loss and a writable old writer: only its own target shows it.
			name: "the orchestrator failed",
			scenarios: []Scenario{
				func() Scenario {
					s := scenarioFor(ScenarioPlanned, 0, 0, 0, nil, nil)
					s.Report = failover.Report{Error: "lab-b did not reach 0-1-40 within 20s"}
					s.Errors = []string{"orchestrator: " + s.Report.Error}
					return s
				}(),
				func() Scenario {
					s := scenarioFor(ScenarioFailback, 0, 0, 0, nil, nil)
					s.Report.Verified = false
					return s
				}(),
			},
			wantMissed: []string{"planned: switched", "failback: switched"},
		},
		{
			name:       "unplanned without a measurement cannot pass",
			scenarios:  []Scenario{scenarioFor(ScenarioUnplanned, time.Second, 0, 0, nil, nil)},
			wantMissed: []string{"unplanned: writes restored", "unplanned: lost ≤ unreplicated", "unplanned: 0 received transactions discarded"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := Report{Scenarios: tt.scenarios}
			r.finish()
			var missed []string
			for _, tg := range r.Targets {
				if !tg.Met {
					missed = append(missed, tg.Scenario+": "+tg.Goal)
				}
			}
			if len(missed) != len(tt.wantMissed) {
				t.Fatalf("missed targets = %q, want %q", missed, tt.wantMissed)
			}
			for i, m := range missed {
				if !strings.HasPrefix(m, tt.wantMissed[i]) {
					t.Errorf("missed[%d] = %q, want prefix %q", i, m, tt.wantMissed[i])
				}
			}
			if got, want := r.Met(), len(tt.wantMissed) == 0; got != want {
				t.Errorf("Met() = %v, want %v", got, want)
			}
		})
	}
}

func TestReportPassiveCheckTarget(t *testing.T) {
	s := scenarioFor(ScenarioPlanned, 0, 0, 0, nil, nil)
	s.Checks.PassiveWrite = "503 unavailable"
	r := Report{Scenarios: []Scenario{s}}
	r.finish()
	for _, tg := range r.Targets {
		if strings.HasPrefix(tg.Goal, "after the switch") && tg.Met {
			t.Errorf("target %q met with a passive write answering 503 unavailable", tg.Goal)
		}
	}
}

func TestReportMedians(t *testing.T) {
	r := Report{Scenarios: []Scenario{
		scenarioFor(ScenarioPlanned, 1*time.Second, 0, 0, nil, nil),
		scenarioFor(ScenarioPlanned, 3*time.Second, 2, 0, nil, nil),
		scenarioFor(ScenarioPlanned, 2*time.Second, 0, 0, nil, nil),
	}}
	r.finish()
	if len(r.Summary) != 1 {
		t.Fatalf("summary has %d rows, want 1", len(r.Summary))
	}
	s := r.Summary[0]
	if s.Runs != 3 || s.NoWriteTime != 2 || s.Lost != 0 || s.LostMax != 2 {
		t.Errorf("summary = runs %d, no-write %v, lost median %v max %d; want 3, 2, 0, 2", s.Runs, s.NoWriteTime, s.Lost, s.LostMax)
	}
}

func TestReportOutput(t *testing.T) {
	r := Report{Flavour: "mariadb 10.11", Rounds: 1, Rate: 20, Scenarios: []Scenario{
		scenarioFor(ScenarioUnplanned, time.Second, 0, 0, ptr(int64(0)), ptr(Seconds(0.5))),
	}}
	r.Scenarios[0].Writes.Errors = map[string]int{"503 unavailable": 4}
	r.finish()
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"unplanned", "503 unavailable ×4", "0 at fault (? just before), 0 discarded", "MEDIANS", "DISCARDED", "TARGETS", "MET"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	path := filepath.Join(t.TempDir(), "report.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("report JSON does not decode: %v", err)
	}
	if len(back.Scenarios) != 1 || back.Scenarios[0].Restore == nil || *back.Scenarios[0].Restore != 0.5 {
		t.Errorf("decoded report lost the restore time: %+v", back.Scenarios)
	}
}

func TestReportPath(t *testing.T) {
	t.Setenv(ReportEnv, "")
	if got := ReportPath(); got != DefaultReportPath {
		t.Errorf("ReportPath() = %q, want %q", got, DefaultReportPath)
	}
	t.Setenv(ReportEnv, "/tmp/x.json")
	if got := ReportPath(); got != "/tmp/x.json" {
		t.Errorf("ReportPath() = %q, want /tmp/x.json", got)
	}
}

func TestStateSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "lab.json")
	if _, err := LoadState(path); !errors.Is(err, ErrNoLab) {
		t.Fatalf("LoadState(missing) = %v, want ErrNoLab", err)
	}
	want := State{RunID: "abc", Regions: []RegionState{{Region: "lab-a", Alias: "db-lab-a", ContainerID: "c1", ServerID: 1}}, RootPassword: "p"}
	if err := want.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("state file mode = %o, want 600 (it holds passwords)", mode)
	}
	got, err := LoadState(path)
	if err != nil || got.RunID != want.RunID || len(got.Regions) != 1 || got.Regions[0] != want.Regions[0] {
		t.Errorf("LoadState = %+v, %v; want %+v", got, err, want)
	}
	t.Setenv(StateFileEnv, path)
	if StatePath() != path {
		t.Errorf("StatePath() = %q, want %q from %s", StatePath(), path, StateFileEnv)
	}
}
