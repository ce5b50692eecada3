package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/todomgmt/todomgmt/internal/lab/globaldb"
	"github.com/todomgmt/todomgmt/pkg/drill"
	"github.com/todomgmt/todomgmt/pkg/drill/load"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/console"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// This file holds what the lab:* mage targets run, so that the magefile
// is glue: each function prints to out what the target shows.

// CloseWait bounds the removal of a lab after Ctrl-C: mage gives a target
// 5 seconds to return once it cancels the context.
const CloseWait = 4 * time.Second

// Progress returns a Logf that prints each line to out with the time
// since start.
func Progress(out io.Writer, start time.Time) func(string, ...any) {
	return func(format string, args ...any) {
		fmt.Fprintf(out, "[%6s] %s\n", time.Since(start).Round(100*time.Millisecond), fmt.Sprintf(format, args...))
	}
}

// Quiet keeps testcontainers' banner and progress lines, and the MySQL
// driver's notes about connections it discards (expected when a server is
// killed or demoted), out of the lab targets' output.
func Quiet() {
	tclog.SetDefault(tclog.NewNoopLogger())
	_ = mysql.SetLogger(&mysql.NopLogger{})
}

// closeQuickly removes l within CloseWait and says so on out.
func closeQuickly(l *Lab, out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), CloseWait)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		return fmt.Errorf("removing the lab: %w (go tool mage lab:down removes leftovers)", err)
	}
	fmt.Fprintln(out, "lab removed")
	return nil
}

// Up starts a lab (lab:up), saves its state for the other lab:* targets,
// prints its URLs and how to use them, and keeps it running until ctx
// ends (Ctrl-C); then it removes the lab.
func Up(ctx context.Context, out io.Writer) (err error) {
	path := StatePath()
	if st, err := LoadState(path); err == nil {
		if r, err := Attach(ctx, st); err == nil {
			r.Close()
			return fmt.Errorf("a lab is running already (run %s, front door %s); stop it with Ctrl-C in its terminal or go tool mage lab:down", st.RunID, st.FrontDoorURL)
		}
	}
	Quiet()
	l, err := Start(ctx, Config{Logf: Progress(out, time.Now())})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, closeQuickly(l, out)) }()
	st := l.State()
	st.PID = os.Getpid()
	if err := st.Save(path); err != nil {
		return err
	}
	defer os.Remove(path)

	fmt.Fprintf(out, "\nThe lab is up (%s).\n\n", st.Flavour)
	fmt.Fprintf(out, "  front door      %s   (sends every request to the active region)\n", st.FrontDoorURL)
	for _, r := range st.Regions {
		fmt.Fprintf(out, "  %-15s %s   (database %s)\n", r.Region+" API", r.APIURL, r.Alias)
	}
	fmt.Fprintf(out, `
Try it:
  curl -i -X POST %[1]s/v1/todos -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-1' -d '{"task":"rehearse a failover"}'
  curl -s %[1]s/v1/todos
  curl -s %[2]s/v1/health

In another terminal:
  go tool mage lab:status               # the same table as mage status
  go tool mage lab:failover             # planned switchover (again = failback)
  go tool mage lab:failover:unplanned   # kill the writer, fail over with data loss allowed, rebuild it

State file: %[3]s. Ctrl-C stops the lab and removes its containers.
`, st.FrontDoorURL, st.Regions[len(st.Regions)-1].APIURL, path)
	<-ctx.Done()
	fmt.Fprintln(out, "\nstopping the lab")
	return nil
}

// AttachRunning reaches the lab that lab:up runs, through its state file.
func AttachRunning(ctx context.Context) (*Remote, error) {
	Quiet()
	st, err := LoadState(StatePath())
	if err != nil {
		return nil, err
	}
	return Attach(ctx, st)
}

// WriteStatus prints r's regions (lab:status) in the same table as mage
// status, with each region's database, GTID position and API URL, and
// fails when the parts disagree.
func WriteStatus(ctx context.Context, r *Remote, out io.Writer) error {
	s := r.Orchestrator(nil, nil).Evaluate(ctx)
	urls := map[string]RegionState{}
	for _, reg := range r.State.Regions {
		urls[reg.Region] = reg
	}
	gtids := r.DB.Positions(ctx)
	if err := s.WriteTable(out,
		failover.Column{Name: "database", Value: func(region string) string { return urls[region].Alias }},
		failover.Column{Name: "gtid", Value: func(region string) string { return gtids[region] }},
		failover.Column{Name: "api url", Value: func(region string) string { return urls[region].APIURL }},
	); err != nil {
		return err
	}
	fmt.Fprintf(out, "front door: %s\n", r.State.FrontDoorURL)
	if p := s.Problems(); len(p) > 0 {
		return fmt.Errorf("%d problem(s) in the lab", len(p))
	}
	return nil
}

// RehearseUnplanned runs the lab's unplanned rehearsal on r
// (lab:failover:unplanned) with o and opts, printing its progress and
// what it lost to out.
func RehearseUnplanned(ctx context.Context, r *Remote, o *orchestrator.Orchestrator, opts plan.Options, out io.Writer) error {
	r.DB.Logf = func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	u, err := globaldb.RehearseUnplanned(ctx, r.DB, o, opts)
	if u.Unreplicated != nil {
		fmt.Fprintf(out, "%s had %d transaction(s) the replica had not received when it stopped", u.Killed, *u.Unreplicated)
		if u.Discarded != nil {
			fmt.Fprintf(out, "; the promotion discarded %d received one(s)", *u.Discarded)
		}
		fmt.Fprintln(out)
	}
	if err != nil || u.Rebuild == nil {
		return err
	}
	rb := u.Rebuild
	fmt.Fprintf(out, "%s rebuilt in %s", rb.Member, rb.Took.Round(time.Millisecond))
	if rb.Reseeded {
		fmt.Fprintf(out, ": its %d transaction(s) the new writer lacks were discarded and kept in %s", rb.Diverged, rb.Snapshot)
	}
	fmt.Fprintln(out)
	if u.Discarded != nil && *u.Discarded > 0 {
		return fmt.Errorf("the promotion discarded %d transaction(s) the replica had received", *u.Discarded)
	}
	return nil
}

// DrillDefaults are lab:drill's settings before the environment's
// (drill.ConfigFromEnv): one round at 20 creates a second.
var DrillDefaults = drill.Config{Rounds: 1, Load: load.Config{Rate: 20}}

// RunDrill starts a lab (lab:drill), runs the drill with cfg on it,
// printing the orchestrator's events and the report's table to out,
// writes the JSON report to reportPath and removes the lab. It fails when
// a target was missed.
func RunDrill(ctx context.Context, cfg drill.Config, out io.Writer, reportPath string) (err error) {
	progress := Progress(out, time.Now())
	cfg.Logf = progress
	Quiet()
	l, err := Start(ctx, Config{Logf: progress})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, closeQuickly(l, out)) }()
	rep, derr := drill.Run(ctx, NewDrillEnv(l, console.TextPrinter{W: out}), cfg)
	return drill.Finish(rep, derr, out, reportPath)
}

// DownAll removes every lab container and network left behind (lab:down),
// of any run, and the state file, saying what it removed.
func DownAll(ctx context.Context, out io.Writer) error {
	Quiet()
	path := StatePath()
	if st, err := LoadState(path); err == nil && processAlive(st.PID) {
		fmt.Fprintf(out, "lab:up (process %d, run %s) is still running: its containers are removed now; stop it with Ctrl-C in its terminal\n", st.PID, st.RunID)
	}
	removed, err := Down(ctx)
	for _, r := range removed {
		fmt.Fprintln(out, "removed", r)
	}
	if len(removed) == 0 && err == nil {
		fmt.Fprintln(out, "nothing to remove")
	}
	if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	} else if rerr == nil {
		fmt.Fprintln(out, "removed state file", path)
	}
	return err
}

// processAlive reports whether a process with the pid exists (signal 0
// checks without sending anything).
func processAlive(pid int) bool {
	if pid <= 0 || pid == os.Getpid() {
		return false
	}
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}
