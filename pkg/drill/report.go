package drill

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
)

// ReportEnv names the environment variable with the drill report's path.
const ReportEnv = "TODOMGMT_DRILL_REPORT"

// DefaultReportPath is the lab drill report's path when ReportEnv is
// unset.
const DefaultReportPath = "lab-report.json"

// What an environment may be unable to measure (Report.NotMeasured).
const (
	// MeasureStaleETags: the conditional writes with ETags from before
	// the switch, which need a DatabaseReader.
	MeasureStaleETags = "staleEtags"
	// MeasureRoleChecks: each region checked directly after the switch
	// (RoleChecker).
	MeasureRoleChecks = "roleChecks"
)

// Report is a drill's result: every scenario, the medians per scenario
// over the rounds, and the targets checked against them.
type Report struct {
	Started time.Time `json:"started"`
	// Environment is where the drill ran ("lab", "aws"); empty reads as
	// the lab. RunID starts every key the drill wrote.
	Environment string     `json:"environment,omitempty"`
	RunID       string     `json:"runId,omitempty"`
	Image       string     `json:"image"`
	Flavour     string     `json:"flavour"`
	Rounds      int        `json:"rounds"`
	Rate        float64    `json:"writesPerSecond"`
	Partition   Seconds    `json:"partitionSeconds"`
	Goals       Goals      `json:"goals"`
	NotMeasured []string   `json:"notMeasured,omitempty"`
	Scenarios   []Scenario `json:"scenarios"`
	Summary     []Summary  `json:"summary"`
	Targets     []Target   `json:"targets"`
}

// Summary is one scenario's medians over the rounds.
type Summary struct {
	Scenario      string  `json:"scenario"`
	Runs          int     `json:"runs"`
	NoWriteTime   Seconds `json:"noWriteSecondsMedian"`
	WriteGap      Seconds `json:"writeGapSecondsMedian"`
	MaxAckSilence Seconds `json:"maxAckSilenceSecondsMedian"`
	// Restore is the median time from the fault to the first write
	// acknowledged by the new region (unplanned only).
	Restore *Seconds `json:"restoreSecondsMedian,omitempty"`
	// RTO is the orchestrator's median recovery time (its start to its
	// verified write).
	RTO           Seconds  `json:"orchestratorRtoSecondsMedian"`
	Lost          float64  `json:"lostMedian"`
	LostMax       int      `json:"lostMax"`
	Duplicates    float64  `json:"duplicatesMedian"`
	DuplicatesMax int      `json:"duplicatesMax"`
	Unreplicated  *float64 `json:"unreplicatedAtFaultMedian,omitempty"`
	// DiscardedMax is the most received transactions a promotion
	// discarded in one run (unplanned only; the target is 0).
	DiscardedMax *int64 `json:"discardedAtPromotionMax,omitempty"`
	// ReusedIDsMax, StaleETagAcceptedMax and ReadFailuresMax are the most
	// ids handed out twice, writes that matched a stale ETag and failed
	// reads in the target region in one run (the targets are 0).
	ReusedIDsMax         int `json:"reusedIdsMax"`
	StaleETagAcceptedMax int `json:"staleEtagAcceptedMax"`
	ReadFailuresMax      int `json:"readFailuresMax"`
	// FailedRuns counts the runs that had an error or whose switch the
	// orchestrator did not verify.
	FailedRuns int `json:"failedRuns"`
}

// Target is one goal of the issue, checked.
type Target struct {
	Scenario string `json:"scenario"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

// finish computes the summary and the targets.
func (r *Report) finish() {
	r.Summary, r.Targets = nil, nil
	goals := r.Goals.withDefaults()
	etags, roles := r.measured(MeasureStaleETags), r.measured(MeasureRoleChecks)
	for _, name := range []string{ScenarioPlanned, ScenarioFailback, ScenarioUnplanned} {
		var runs []Scenario
		for _, s := range r.Scenarios {
			if s.Name == name {
				runs = append(runs, s)
			}
		}
		if len(runs) == 0 {
			continue
		}
		sum := Summary{Scenario: name, Runs: len(runs)}
		var noWrite, gap, silence, rto, restore []Seconds
		var lost, dups, unrepl []float64
		restoreAll := true
		for _, s := range runs {
			noWrite = append(noWrite, s.NoWriteTime)
			gap = append(gap, secondsOf(s.Writes.WriteGap))
			silence = append(silence, secondsOf(s.Writes.MaxAckSilence))
			rto = append(rto, secondsOf(s.Report.RTO))
			lost = append(lost, float64(s.Writes.Lost))
			dups = append(dups, float64(s.Writes.Duplicates))
			sum.LostMax = max(sum.LostMax, s.Writes.Lost)
			sum.DuplicatesMax = max(sum.DuplicatesMax, s.Writes.Duplicates)
			if s.Restore != nil {
				restore = append(restore, *s.Restore)
			} else {
				restoreAll = false
			}
			if s.UnreplicatedAtFault != nil {
				unrepl = append(unrepl, float64(*s.UnreplicatedAtFault))
			}
			if s.DiscardedAtPromotion != nil && (sum.DiscardedMax == nil || *s.DiscardedAtPromotion > *sum.DiscardedMax) {
				sum.DiscardedMax = s.DiscardedAtPromotion
			}
			if !s.ok() {
				sum.FailedRuns++
			}
			sum.ReusedIDsMax = max(sum.ReusedIDsMax, s.Writes.ReusedIDs)
			sum.StaleETagAcceptedMax = max(sum.StaleETagAcceptedMax, s.Writes.StaleETagAccepted)
			sum.ReadFailuresMax = max(sum.ReadFailuresMax, s.Reads.Failures)
		}
		sum.NoWriteTime, sum.WriteGap, sum.MaxAckSilence = median(noWrite), median(gap), median(silence)
		sum.RTO, sum.Lost, sum.Duplicates = median(rto), median(lost), median(dups)
		if name == ScenarioUnplanned {
			if len(restore) > 0 {
				m := median(restore)
				sum.Restore = &m
			}
			if len(unrepl) > 0 {
				m := median(unrepl)
				sum.Unreplicated = &m
			}
		}
		r.Summary = append(r.Summary, sum)

		every := func(ok func(Scenario) bool) bool {
			for _, s := range runs {
				if !ok(s) {
					return false
				}
			}
			return true
		}
		noDups := Target{Scenario: name, Goal: "0 duplicates (every run)",
			Measured: fmt.Sprintf("max %d", sum.DuplicatesMax), Met: sum.DuplicatesMax == 0}
		checks := Target{Scenario: name, Goal: "after the switch, without restarts: active API writes, passive API answers 503 region_passive, replica identical (every run)",
			Met: every(func(s Scenario) bool {
				c := s.Checks
				return strings.HasPrefix(c.ActiveWrite, "2") && c.PassiveWrite == "503 region_passive" && strings.HasPrefix(c.PassiveRead, "2") && c.ReplicaConsistent
			})}
		checks.Measured = checksSummary(runs)
		// Without it a failed switch would meet every other target: no
		// switch, no gap, nothing lost, the old writer still answering.
		switched := Target{Scenario: name, Goal: "switched, with a verified write in the target region and no scenario error (every run)",
			Measured: fmt.Sprintf("%d of %d run(s) failed", sum.FailedRuns, sum.Runs),
			Met:      sum.FailedRuns == 0}
		// No id twice, no stale ETag accepted, reads in the target region,
		// in every scenario; the ETag ones where the environment can tell
		// stale ETags (DatabaseReader).
		idsETagsReads := []Target{{Scenario: name, Goal: "0 ids handed out twice (every run)",
			Measured: reusedSummary(runs), Met: sum.ReusedIDsMax == 0}}
		if etags {
			idsETagsReads = append(idsETagsReads,
				Target{Scenario: name, Goal: "0 writes matched an ETag from a lost or older write (every run)",
					Measured: staleSummary(runs), Met: sum.StaleETagAcceptedMax == 0},
				// Without it a store that refused every condition would
				// meet the one above.
				Target{Scenario: name, Goal: "If-Match with the ETag the writer holds still matches after the switch (every run)",
					Measured: currentSummary(runs), Met: every(func(s Scenario) bool { return s.Writes.CurrentETagRefused == 0 })})
		}
		idsETagsReads = append(idsETagsReads, Target{Scenario: name, Goal: "0 read failures in the target region from the start of the switch (every run)",
			Measured: readsSummary(runs), Met: sum.ReadFailuresMax == 0})
		var after []Target
		if roles {
			after = append(after, checks)
		}
		switch name {
		case ScenarioPlanned, ScenarioFailback:
			r.Targets = append(r.Targets,
				switched,
				Target{Scenario: name, Goal: "0 acknowledged writes lost (every run)",
					Measured: fmt.Sprintf("max %d", sum.LostMax), Met: sum.LostMax == 0},
				noDups,
				Target{Scenario: name, Goal: "write gap ≤ " + goals.NoWrite.Duration().String() + " (median)",
					Measured: fmt.Sprintf("%s (gap %s, longest silence %s)", fmtSeconds(sum.NoWriteTime), fmtSeconds(sum.WriteGap), fmtSeconds(sum.MaxAckSilence)),
					Met:      sum.NoWriteTime <= goals.NoWrite})
			r.Targets = append(r.Targets, idsETagsReads...)
			r.Targets = append(r.Targets, after...)
		case ScenarioUnplanned:
			restoreT := Target{Scenario: name, Goal: "writes restored ≤ " + goals.Restore.Duration().String() + " after the fault (median)", Measured: "not restored"}
			if sum.Restore != nil && restoreAll {
				restoreT.Measured, restoreT.Met = fmtSeconds(*sum.Restore), *sum.Restore <= goals.Restore
			}
			var pairs, discarded, exercised []string
			for _, s := range runs {
				pairs = append(pairs, fmt.Sprintf("%d+%d≤%s", s.Writes.Lost, s.Writes.LostUpdates, optInt(s.UnreplicatedAtFault)))
				discarded = append(discarded, optInt(s.DiscardedAtPromotion))
				exercised = append(exercised, fmt.Sprintf("%d creates and %d updates lost, %d ETags of lost writes sent again",
					s.Writes.Lost, s.Writes.LostUpdates, s.Writes.LostETagWrites))
			}
			r.Targets = append(r.Targets,
				switched, noDups, restoreT,
				// Every acknowledged create or update is one committed
				// transaction of the old writer: a lost one is among those
				// the replica had not received.
				Target{Scenario: name, Goal: "lost creates + lost updates ≤ unreplicated at the fault (every run)",
					Measured: strings.Join(pairs, ", "),
					Met: every(func(s Scenario) bool {
						return s.UnreplicatedAtFault != nil && int64(s.Writes.Lost+s.Writes.LostUpdates) <= *s.UnreplicatedAtFault
					})},
				// What the replica had received must survive its
				// promotion; only what never arrived may be lost.
				Target{Scenario: name, Goal: "0 received transactions discarded by the promotion (every run)",
					Measured: strings.Join(discarded, ", "),
					Met: every(func(s Scenario) bool {
						return s.DiscardedAtPromotion != nil && *s.DiscardedAtPromotion == 0
					})})
			if r.Partition > 0 {
				// With the link cut, writes are lost: without any, the ids
				// and ETags targets below would hold for want of a test.
				r.Targets = append(r.Targets, Target{Scenario: name,
					Goal:     "the cut loses acknowledged writes and their ETags are sent again (every run)",
					Measured: strings.Join(exercised, "; "),
					Met: every(func(s Scenario) bool {
						return s.Writes.Lost+s.Writes.LostUpdates > 0 && s.Writes.LostETagWrites > 0
					})})
			}
			r.Targets = append(r.Targets, idsETagsReads...)
			r.Targets = append(r.Targets, after...)
		}
	}
}

// measured reports whether the environment measured what m names.
func (r *Report) measured(m string) bool { return !slices.Contains(r.NotMeasured, m) }

// reusedSummary says how many ids were handed out twice, per run.
func reusedSummary(runs []Scenario) string {
	var parts []string
	for _, s := range runs {
		p := strconv.Itoa(s.Writes.ReusedIDs)
		if len(s.Writes.ReusedIDSample) > 0 {
			p += fmt.Sprintf(" (ids %v)", s.Writes.ReusedIDSample)
		}
		parts = append(parts, p)
	}
	return "max " + strconv.Itoa(maxOf(runs, func(s Scenario) int { return s.Writes.ReusedIDs })) + " (" + strings.Join(parts, ", ") + ")"
}

// staleSummary says how many writes matched a stale ETag, out of how many
// sent one, and how the others were answered.
func staleSummary(runs []Scenario) string {
	sent, lost := 0, 0
	outcomes := map[string]int{}
	for _, s := range runs {
		sent += s.Writes.StaleETagWrites
		lost += s.Writes.LostETagWrites
		for k, n := range s.Writes.StaleETagOutcomes {
			outcomes[k] += n
		}
	}
	return fmt.Sprintf("max %d matched; %d sent (%d of a lost write): %s",
		maxOf(runs, func(s Scenario) int { return s.Writes.StaleETagAccepted }), sent, lost, errorsSummary(outcomes))
}

// currentSummary says how many writes with the current ETag got 412.
func currentSummary(runs []Scenario) string {
	sent, refused := 0, 0
	for _, s := range runs {
		sent += s.Writes.CurrentETagWrites
		refused += s.Writes.CurrentETagRefused
	}
	return fmt.Sprintf("%d of %d refused", refused, sent)
}

// readsSummary says how many reads in the target region failed, and how
// all were answered.
func readsSummary(runs []Scenario) string {
	n := 0
	statuses := map[string]int{}
	var sample []string
	for _, s := range runs {
		n += s.Reads.Reads
		for k, c := range s.Reads.Statuses {
			statuses[k] += c
		}
		sample = append(sample, s.Reads.FailureSample...)
	}
	out := fmt.Sprintf("max %d failed; %d reads: %s", maxOf(runs, func(s Scenario) int { return s.Reads.Failures }), n, errorsSummary(statuses))
	if len(sample) > 0 {
		out += "; " + strings.Join(firstN(sample, 3), "; ")
	}
	return out
}

func maxOf(runs []Scenario, f func(Scenario) int) int {
	m := 0
	for _, s := range runs {
		m = max(m, f(s))
	}
	return m
}

func checksSummary(runs []Scenario) string {
	seen := map[string]int{}
	var order []string
	for _, s := range runs {
		c := s.Checks
		k := fmt.Sprintf("active %s, passive %s/read %s, replica %s", orDash(c.ActiveWrite), orDash(c.PassiveWrite), orDash(c.PassiveRead),
			map[bool]string{true: "identical", false: "DIFFERS " + c.ReplicaDetail}[c.ReplicaConsistent])
		if seen[k] == 0 {
			order = append(order, k)
		}
		seen[k]++
	}
	var parts []string
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%s (×%d)", k, seen[k]))
	}
	return strings.Join(parts, "; ")
}

// Met reports whether every target was met.
func (r Report) Met() bool {
	for _, t := range r.Targets {
		if !t.Met {
			return false
		}
	}
	return len(r.Targets) > 0
}

// WriteTable prints the scenarios, the medians and the targets.
func (r Report) WriteTable(w io.Writer) error {
	env := r.Environment
	if env == "" {
		env = "lab"
	}
	fmt.Fprintf(w, "%s drill: %s, %d round(s), %.0f writes/s through the front door", env, r.Flavour, r.Rounds, r.Rate)
	if r.Partition > 0 {
		fmt.Fprintf(w, ", replication cut %s before the unplanned fault", fmtSeconds(r.Partition))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nROUND\tSCENARIO\tFROM → TO\tWRITES\tACKED\tSERVED BY\tLOST\tDUPS\tWRITE GAP\tLONGEST SILENCE\tRESTORE\tUNREPLICATED\tORCH. RTO\tCLIENT ERRORS\tRESULT")
	for _, s := range r.Scenarios {
		restore, unrepl := "-", "-"
		if s.Restore != nil {
			restore = fmtSeconds(*s.Restore)
		}
		if s.UnreplicatedAtFault != nil || s.UnreplicatedBeforeFault != nil || s.DiscardedAtPromotion != nil {
			unrepl = fmt.Sprintf("%s at fault (%s just before), %s discarded", optInt(s.UnreplicatedAtFault), optInt(s.UnreplicatedBeforeFault), optInt(s.DiscardedAtPromotion))
		}
		result := "ok"
		if len(s.Errors) > 0 {
			result = "ERROR: " + strings.Join(s.Errors, "; ")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s → %s\t%d\t%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			s.Round, s.Name, s.From, s.To, s.Writes.Writes, s.Writes.Acked, errorsSummary(s.Writes.ServedBy), s.Writes.Lost, s.Writes.Duplicates,
			fmtSeconds(secondsOf(s.Writes.WriteGap)), fmtSeconds(secondsOf(s.Writes.MaxAckSilence)), restore, unrepl,
			fmtSeconds(secondsOf(s.Report.RTO)), errorsSummary(s.Writes.Errors), result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nROUND\tSCENARIO\tUPDATES (lost)\tREUSED IDS\tSTALE ETAGS: MATCHED / SENT (answers)\tCURRENT ETAGS: REFUSED / SENT\tREADS IN TARGET: FAILED / ALL\tID FENCE")
	for _, s := range r.Scenarios {
		stale, current := "not measured", "not measured"
		if r.measured(MeasureStaleETags) {
			stale = fmt.Sprintf("%d / %d (%s)", s.Writes.StaleETagAccepted, s.Writes.StaleETagWrites, errorsSummary(s.Writes.StaleETagOutcomes))
			current = fmt.Sprintf("%d / %d", s.Writes.CurrentETagRefused, s.Writes.CurrentETagWrites)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d (%d)\t%d\t%s\t%s\t%d / %d (%s)\t%s\n",
			s.Round, s.Name, s.Writes.Updates, s.Writes.LostUpdates, s.Writes.ReusedIDs, stale, current,
			s.Reads.Failures, s.Reads.Reads, errorsSummary(s.Reads.Statuses), fenceSummary(s.Report))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nMEDIANS\tRUNS\tWRITE GAP\tLONGEST SILENCE\tRESTORE\tORCH. RTO\tLOST (max)\tDUPS (max)\tUNREPLICATED AT FAULT\tDISCARDED (max)\tREUSED IDS (max)\tSTALE ETAGS MATCHED (max)\tREAD FAILURES (max)")
	for _, s := range r.Summary {
		restore, unrepl := "-", "-"
		if s.Restore != nil {
			restore = fmtSeconds(*s.Restore)
		}
		if s.Unreplicated != nil {
			unrepl = strconv.FormatFloat(*s.Unreplicated, 'f', -1, 64)
		}
		discarded, stale := "-", "-"
		if s.DiscardedMax != nil {
			discarded = strconv.FormatInt(*s.DiscardedMax, 10)
		}
		if r.measured(MeasureStaleETags) {
			stale = strconv.Itoa(s.StaleETagAcceptedMax)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s (%d)\t%s (%d)\t%s\t%s\t%d\t%s\t%d\n", s.Scenario, s.Runs,
			fmtSeconds(s.WriteGap), fmtSeconds(s.MaxAckSilence), restore, fmtSeconds(s.RTO),
			strconv.FormatFloat(s.Lost, 'f', -1, 64), s.LostMax, strconv.FormatFloat(s.Duplicates, 'f', -1, 64), s.DuplicatesMax, unrepl, discarded,
			s.ReusedIDsMax, stale, s.ReadFailuresMax)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	r.writeCleanup(w)
	fmt.Fprintln(w, "\nTARGETS")
	for _, t := range r.Targets {
		mark := "MET   "
		if !t.Met {
			mark = "MISSED"
		}
		fmt.Fprintf(w, "  %s %-9s %s: %s\n", mark, t.Scenario, t.Goal, t.Measured)
	}
	return nil
}

// writeCleanup says what became of each scenario's todos, when the
// environment deletes them (Cleaner).
func (r Report) writeCleanup(w io.Writer) {
	header := false
	for _, s := range r.Scenarios {
		if s.Cleanup == nil {
			continue
		}
		if !header {
			fmt.Fprintln(w, "\nCLEANUP")
			header = true
		}
		fmt.Fprintf(w, "  %d %-9s %d todo(s) deleted (tasks %q…)", s.Round, s.Name, s.Cleanup.Deleted, s.Cleanup.Prefix)
		if s.Cleanup.Error != "" {
			fmt.Fprintf(w, "; SOME MAY REMAIN: %s", s.Cleanup.Error)
		}
		fmt.Fprintln(w)
	}
}

// Leftovers reports whether a scenario's todos may not all have been
// deleted (Cleaner): one was interrupted before its cleanup, or its
// cleanup failed.
func (r Report) Leftovers() bool {
	for _, s := range r.Scenarios {
		if s.Cleanup != nil && s.Cleanup.Error != "" {
			return true
		}
	}
	return false
}

// fenceSummary says in a few words what the run's id fence did.
func fenceSummary(r orchestrator.Report) string {
	switch f := r.Fence; {
	case f == nil && r.FenceNote != "":
		return r.FenceNote
	case f == nil:
		return "-"
	case f.Skipped:
		return fmt.Sprintf("term %d, already fenced", f.Term)
	case f.Gap == 0:
		return fmt.Sprintf("term %d, no gap, next id ≥ %d", f.Term, f.Floor)
	default:
		return fmt.Sprintf("term %d, gap %d, next id ≥ %d (%.3g ids/s over %s)", f.Term, f.Gap, f.Floor, f.Rate, f.Window.Round(time.Second))
	}
}

// WriteJSON writes the report as indented JSON to path.
func (r Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReportPath is $TODOMGMT_DRILL_REPORT, else DefaultReportPath.
func ReportPath() string { return ReportPathOr(DefaultReportPath) }

// ReportPathOr is $TODOMGMT_DRILL_REPORT, else def.
func ReportPathOr(def string) string {
	if p := os.Getenv(ReportEnv); p != "" {
		return p
	}
	return def
}

func errorsSummary(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func fmtSeconds(s Seconds) string {
	d := s.Duration()
	switch {
	case d == 0:
		return "0s"
	case d < 10*time.Second:
		return strconv.FormatFloat(float64(s), 'f', 3, 64) + "s"
	default:
		return strconv.FormatFloat(float64(s), 'f', 1, 64) + "s"
	}
}

func optInt(p *int64) string {
	if p == nil {
		return "?"
	}
	return strconv.FormatInt(*p, 10)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Finish ends a drill target's run: it prints the report's table to out,
// writes the report's JSON to path, and returns runErr (what ended the
// run early), else an error when a target was missed.
func Finish(rep Report, runErr error, out io.Writer, path string) error {
	fmt.Fprintln(out)
	if err := rep.WriteTable(out); err != nil {
		return errors.Join(runErr, err)
	}
	if err := rep.WriteJSON(path); err != nil {
		return errors.Join(runErr, err)
	}
	fmt.Fprintf(out, "\nreport written to %s\n", path)
	if runErr != nil {
		return runErr
	}
	if !rep.Met() {
		return errors.New("the drill missed targets (MISSED above)")
	}
	return nil
}
