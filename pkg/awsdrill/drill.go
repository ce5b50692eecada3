// Package awsdrill runs the game-day drill against the deployed stacks
// (`go tool mage drill`): Env adapts the deployment read by pkg/awsops to
// the shared drill runner of pkg/drill, the one the local lab runs too,
// and Run confirms, drills, reports and deletes the drill's todos.
package awsdrill

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/awsfailover"
	"github.com/todomgmt/todomgmt/pkg/awsops"
	"github.com/todomgmt/todomgmt/pkg/drill"
	"github.com/todomgmt/todomgmt/pkg/drill/load"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/console"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Env is the deployed stacks as a drill.Environment, the adapter the
// shared drill runner (pkg/drill) takes for `go tool mage drill`: the
// switches run the same orchestrator over the same adapters as `go tool
// mage failover` (awsops.Env.Orchestrator), the load goes through the
// front door with a client-credentials token (awsops.Env.Tokens, the
// orchestrator's write check's too), and what the writer holds is read
// through the writer region's API, which is also how the drill's todos
// are deleted afterwards (drill.Cleaner). The database is reachable
// only from inside its VPC, so it is no drill.DatabaseReader (no
// stale-ETag checks), and it takes no region down (no drill.Outages):
// the AWS drill is a planned switchover and a failback.
type Env struct {
	env     *awsops.Env
	runID   string
	printer orchestrator.Printer

	// Clock and Timeouts replace the orchestrator's when set (tests).
	Clock    failover.Clock
	Timeouts *orchestrator.Timeouts
	// Parallel bounds the reads or deletes in flight at once while
	// reading the writer's todos or deleting them; zero means
	// DefaultParallel.
	Parallel int
	// ScanPages bounds the pages of todos one Holding lists (100 todos
	// each); zero means DefaultScanPages.
	ScanPages int

	mu sync.Mutex
	// floor is the smallest id the drill has seen acknowledged: scans for
	// its todos start there. Without one only CleanRun scans (scanAll),
	// from the start of the table.
	floor   int64
	scanAll bool
}

var (
	_ drill.Environment = (*Env)(nil)
	_ drill.Cleaner     = (*Env)(nil)
)

// Defaults of Env.
const (
	DefaultParallel  = 4
	DefaultScanPages = 1000
)

// Defaults are `go tool mage drill`'s settings before the
// environment's (drill.ConfigFromEnv): one round at 5 creates a second,
// each scenario's load bounded to 3000 creates (and as many updates and
// reads) and 15 minutes, attempts of 10 s, and the goal that clients
// write again within 5 minutes of a planned switchover's start (a managed
// switchover usually takes 1 to 3).
var Defaults = drill.Config{
	Rounds: 1, Warmup: 10 * time.Second, Cooldown: 30 * time.Second, Settle: 30 * time.Second,
	Goals: drill.Goals{NoWrite: drill.Seconds((5 * time.Minute).Seconds())},
	Load: load.Config{Rate: 5, MaxInFlight: 4, MaxWrites: 3000, AttemptTimeout: 10 * time.Second,
		RetryBackoff: 500 * time.Millisecond, MaxDuration: 15 * time.Minute},
}

// ReportPath is the AWS drill report's path when
// TODOMGMT_DRILL_REPORT is unset.
const ReportPath = "aws-drill-report.json"

// CleanupEnv names the variable that turns `go tool mage drill` into
// the clean-up of an interrupted run: "<run id>" or "<run id>@<first id>".
const CleanupEnv = "TODOMGMT_DRILL_CLEANUP"

// NewEnv returns the deployment as a drill environment with a fresh
// run id; the orchestrator's events go to printer (nil discards them). It
// needs both stacks and the front door.
func NewEnv(e *awsops.Env, printer orchestrator.Printer) (*Env, error) {
	if err := e.RequireStacks(); err != nil {
		return nil, err
	}
	if e.FrontDoorURL() == "" {
		return nil, awsfailover.ErrNoFrontDoor
	}
	if len(e.Pools()) == 0 {
		return nil, errors.New("no stack has the UserPoolId, AppClientId and TokenUrl outputs: the drill needs a token")
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &Env{env: e, runID: hex.EncodeToString(b), printer: printer}, nil
}

// RunID names this drill's run: every todo it writes has a task starting
// with "drill <run id>-".
func (d *Env) RunID() string { return d.runID }

// Describe names the deployment: the global cluster's engine as its
// writer reports it.
func (d *Env) Describe(ctx context.Context) drill.Description {
	desc := drill.Description{Name: "aws", RunID: d.runID, Flavour: "aurora-mysql " + d.env.GlobalClusterID()}
	if top, err := d.env.Database().Topology(ctx); err == nil {
		if w, ok := top.Writer(); ok && w.EngineVersion != "" {
			desc.Flavour = fmt.Sprintf("aurora-mysql %s (%s)", w.EngineVersion, d.env.GlobalClusterID())
		}
	}
	return desc
}

// Access is the front door and both regional APIs over HTTPS, with a
// client-credentials token from either region's Cognito.
func (d *Env) Access() load.Access {
	return load.Access{FrontDoor: d.env.FrontDoorURL(), APIs: d.env.Prober().APIs, Tokens: d.env.Tokens(), Remote: true}
}

// Writer returns the writer's region and the other one, from the global
// cluster's topology.
func (d *Env) Writer(ctx context.Context) (writer, other string, err error) {
	top, err := d.env.Database().Topology(ctx)
	if err != nil {
		return "", "", err
	}
	w, ok := top.Writer()
	if !ok || top.Status != "available" {
		return "", "", fmt.Errorf("global cluster %s has no single available writer (status %s)", top.ID, top.Status)
	}
	for _, m := range top.Members {
		if m.Region != w.Region {
			return w.Region, m.Region, nil
		}
	}
	return "", "", fmt.Errorf("global cluster %s has one member only", top.ID)
}

// Switch runs a planned switchover to region to with the orchestrator
// `go tool mage failover` runs. The drill was confirmed as a whole
// (Confirm), so the orchestrator approves its plans itself.
func (d *Env) Switch(ctx context.Context, kind failover.Kind, to string) (orchestrator.Report, error) {
	if kind != failover.KindPlanned {
		return orchestrator.Report{}, fmt.Errorf("the deployed stacks are drilled with planned switchovers only, not a %s", kind.Title())
	}
	o, err := d.orchestrator(drill.AutoApprove{}, d.printer)
	if err != nil {
		return orchestrator.Report{}, err
	}
	target, err := failover.ParseTarget(to, d.env.Regions())
	if err != nil {
		return orchestrator.Report{}, err
	}
	return o.Run(ctx, kind, plan.Options{Target: target})
}

// orchestrator is the deployment's, with the test overrides.
func (d *Env) orchestrator(approver orchestrator.Approver, printer orchestrator.Printer) (*orchestrator.Orchestrator, error) {
	o, err := d.env.Orchestrator(approver, printer)
	if err != nil {
		return nil, err
	}
	if d.Clock != nil {
		o.Clock = d.Clock
	}
	if d.Timeouts != nil {
		o.Timeouts = *d.Timeouts
	}
	return o, nil
}

// Confirm checks that a planned switchover would run now, then asks c to
// confirm the drill as a whole: it moves production traffic twice. The
// word to type is the passive region's name, as for `go tool mage
// failover`.
func (d *Env) Confirm(ctx context.Context, c console.Confirmer, cfg drill.Config) error {
	writer, other, err := d.Writer(ctx)
	if err != nil {
		return err
	}
	o, err := d.orchestrator(nil, nil)
	if err != nil {
		return err
	}
	_, p, err := o.Plan(ctx, failover.KindPlanned, plan.Options{Target: other})
	if err != nil {
		return err
	}
	if err := p.Err(); err != nil {
		return fmt.Errorf("no drill: %w (go tool mage failover:plan shows the plan)", err)
	}
	lc := cfg.Load
	summary := fmt.Sprintf("Game-day drill of %s (run %s): a planned switchover %s → %s and a failback %s → %s with the real orchestrator,\n"+
		"%d round(s), under client load through the front door %s: %g creates/s, and as many updates and reads,\n"+
		"at most %d of each and %s per scenario; the drill's todos are deleted afterwards.\n"+
		"Real clients see two write pauses of about a switchover each (1–3 min); reads go on.",
		d.env.GlobalClusterID(), d.runID, writer, other, other, writer, cfg.Rounds, d.env.FrontDoorURL(), lc.Rate, lc.MaxWrites, lc.MaxDuration)
	return c.Confirm(ctx, summary, other)
}

// Holding reads, through the writer region's API, the drill's todos: it
// lists the todos from the smallest id the drill has seen on (a bounded
// scan, ScanPages) for those whose task carries the scenario's prefix,
// then reads each of them, and each of ids, for its ETag (the list does
// not carry ETags). A todo that is not there (404) is not held.
func (d *Env) Holding(ctx context.Context, prefix string, ids []int64) (load.Holding, error) {
	h := load.Holding{At: time.Now(), ByID: map[int64]load.Held{}}
	writer, _, err := d.Writer(ctx)
	if err != nil {
		return h, err
	}
	c := d.client(writer)
	d.noteFloor(ids)
	want := load.TaskPrefix + prefix + "-"
	var found []int64
	if floor := d.floorID(); floor > 0 || d.scanAll {
		if found, err = d.scan(ctx, c, want, floor); err != nil {
			return h, err
		}
	}
	for _, id := range ids {
		if !slices.Contains(found, id) {
			found = append(found, id)
		}
	}
	var mu sync.Mutex
	err = d.each(ctx, found, func(ctx context.Context, id int64) error {
		t, r, err := c.Get(ctx, id, "")
		if apiclient.StatusOf(err) == http.StatusNotFound {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read todo %d: %w", id, err)
		}
		v, tag, ok := load.ParseETag(r.ETag)
		if !ok {
			return fmt.Errorf("read todo %d: ETag %q is not the API's", id, r.ETag)
		}
		mu.Lock()
		h.ByID[id] = load.Held{ID: id, Task: t.Task, Version: v, Tag: tag}
		mu.Unlock()
		return nil
	})
	return h, err
}

// Clean deletes, through the writer region's API, the drill's todos of
// h (what Holding read), each with If-Match the ETag read, so that a todo
// someone changed since is left alone (and reported). A todo already gone
// counts as deleted.
func (d *Env) Clean(ctx context.Context, prefix string, h load.Holding) (int, error) {
	writer, _, err := d.Writer(ctx)
	if err != nil {
		return 0, err
	}
	c := d.client(writer)
	want := load.TaskPrefix + prefix + "-"
	var mine []int64
	for id, t := range h.ByID {
		if strings.HasPrefix(t.Task, want) {
			mine = append(mine, id)
		}
	}
	slices.Sort(mine)
	var mu sync.Mutex
	deleted := 0
	err = d.each(ctx, mine, func(ctx context.Context, id int64) error {
		_, err := c.Delete(ctx, id, h.ByID[id].ETag())
		if err != nil && apiclient.StatusOf(err) != http.StatusNotFound {
			return fmt.Errorf("delete todo %d: %w", id, err)
		}
		mu.Lock()
		deleted++
		mu.Unlock()
		return nil
	})
	return deleted, err
}

// CleanRun deletes every todo an interrupted drill run left (runID, from
// the id floor on; 0 scans the whole table): `TODOMGMT_DRILL_CLEANUP=<run
// id>[@<first id>] go tool mage drill`.
func (d *Env) CleanRun(ctx context.Context, runID string, floor int64) (int, error) {
	if !runIDPattern.MatchString(runID) {
		return 0, fmt.Errorf("run id %q: want the 8 hex digits the drill printed", runID)
	}
	d.mu.Lock()
	d.floor, d.scanAll = floor, true
	d.mu.Unlock()
	h, err := d.Holding(ctx, runID, nil)
	if err != nil {
		return 0, err
	}
	return d.Clean(ctx, runID, h)
}

var runIDPattern = regexp.MustCompile(`^[0-9a-f]{8}$`)

// ParseCleanup reads CleanupEnv's value: "<run id>" or "<run
// id>@<first id>".
func ParseCleanup(v string) (runID string, floor int64, err error) {
	runID, f, ok := strings.Cut(v, "@")
	if ok {
		if floor, err = strconv.ParseInt(f, 10, 64); err != nil || floor < 1 {
			return "", 0, fmt.Errorf("%s=%q: want <run id>@<first id>", CleanupEnv, v)
		}
	}
	if !runIDPattern.MatchString(runID) {
		return "", 0, fmt.Errorf("%s=%q: want the run id the drill printed (8 hex digits), optionally @<first id>", CleanupEnv, v)
	}
	return runID, floor, nil
}

// CleanupHint says how to delete what this run may have left.
func (d *Env) CleanupHint() string {
	v := d.runID
	if f := d.floorID(); f > 0 {
		v += "@" + strconv.FormatInt(f, 10)
	}
	return fmt.Sprintf("%s=%s go tool mage drill", CleanupEnv, v)
}

// client is a client of region's API with the drill's tokens.
func (d *Env) client(region string) *apiclient.Client {
	return &apiclient.Client{BaseURL: d.env.Prober().APIs[region], HTTP: d.env.Clients.HTTP, Tokens: d.env.Tokens(), Timeout: 30 * time.Second}
}

// noteFloor lowers the scan floor to the smallest of ids.
func (d *Env) noteFloor(ids []int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range ids {
		if id > 0 && (d.floor == 0 || id < d.floor) {
			d.floor = id
		}
	}
}

func (d *Env) floorID() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.floor
}

// scan lists the todos from floor on (0: from the first) and returns the
// ids of those whose task starts with want.
func (d *Env) scan(ctx context.Context, c *apiclient.Client, want string, floor int64) ([]int64, error) {
	pages := d.ScanPages
	if pages <= 0 {
		pages = DefaultScanPages
	}
	var ids []int64
	cursor := todo.EncodeCursor(max(floor-1, 0))
	for n := 0; ; n++ {
		if n == pages {
			return ids, fmt.Errorf("listed %d pages of todos from id %d without reaching the end: the drill's todos beyond them were not looked for", pages, floor)
		}
		p, _, err := c.List(ctx, apiclient.ListQuery{Limit: todo.MaxLimit, Cursor: cursor})
		if err != nil {
			return ids, fmt.Errorf("list the todos: %w", err)
		}
		for _, t := range p.Items {
			if strings.HasPrefix(t.Task, want) {
				ids = append(ids, t.ID)
			}
		}
		if p.NextCursor == "" {
			return ids, nil
		}
		cursor = p.NextCursor
	}
}

// each runs fn for every id, Parallel at a time, and joins the errors.
func (d *Env) each(ctx context.Context, ids []int64, fn func(context.Context, int64) error) error {
	n := d.Parallel
	if n <= 0 {
		n = DefaultParallel
	}
	sem := make(chan struct{}, n)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, id := range ids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, id); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 3 {
		errs = append(errs[:3], fmt.Errorf("and %d more", len(errs)-3))
	}
	return errors.Join(errs...)
}

// Options configure Run.
type Options struct {
	// Config is the drill's (Defaults, with the environment's
	// settings).
	Config drill.Config
	// Confirm asks the operator; the drill moves production traffic twice.
	Confirm console.Confirmer
	// Out receives progress, the orchestrator's events and the report.
	Out io.Writer
	// ReportPath is where the JSON report goes.
	ReportPath string
	// Cleanup, when set (CleanupEnv), only deletes what an
	// interrupted run left: "<run id>" or "<run id>@<first id>".
	Cleanup string
	// Env adjusts the drill environment before the run (tests).
	Env func(*Env)
}

// Run is `go tool mage drill`: it confirms, runs the shared drill
// runner against the deployed stacks, prints the table and writes the
// JSON report. It fails when the run failed, a target was missed, or the
// drill's todos may not all be deleted (it then says how to delete them).
func Run(ctx context.Context, e *awsops.Env, o Options) error {
	d, err := NewEnv(e, console.TextPrinter{W: o.Out})
	if err != nil {
		return err
	}
	if o.Env != nil {
		o.Env(d)
	}
	if o.Cleanup != "" {
		runID, floor, err := ParseCleanup(o.Cleanup)
		if err != nil {
			return err
		}
		n, err := d.CleanRun(ctx, runID, floor)
		fmt.Fprintf(o.Out, "deleted %d todo(s) of drill run %s\n", n, runID)
		return err
	}
	if err := d.Confirm(ctx, o.Confirm, o.Config); err != nil {
		return err
	}
	// No todo is read yet: the hint names the run alone.
	fmt.Fprintf(o.Out, "drill run %s: every todo it writes is %q…; if it is killed, %s deletes them\n",
		d.runID, load.TaskPrefix+d.runID+"-", d.CleanupHint())
	cfg := o.Config
	if cfg.Logf == nil {
		cfg.Logf = func(format string, args ...any) {
			fmt.Fprintf(o.Out, "[%s] %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
		}
	}
	rep, runErr := drill.Run(ctx, d, cfg)
	err = drill.Finish(rep, runErr, o.Out, o.ReportPath)
	if ctx.Err() != nil {
		fmt.Fprintln(o.Out, "the drill was interrupted: if a switch was under way, go tool mage status shows where the writer and the traffic are, and go tool mage failover finishes a run that stopped half way")
	}
	if rep.Leftovers() {
		hint := "some of the drill's todos may remain: delete them with " + d.CleanupHint()
		fmt.Fprintln(o.Out, hint)
		err = errors.Join(err, errors.New(hint))
	}
	return err
}
