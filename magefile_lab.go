//go:build mage

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/magefile/mage/mg"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/lab"
)

// Lab is the local two-region lab: two MySQL containers with GTID
// replication, two regional APIs and a front door on 127.0.0.1, driven by
// the same failover orchestrator as AWS. `lab:up` runs it and keeps its
// state in lab.StatePath(); `lab:status` and the `lab:failover` targets
// operate that running lab from another terminal, as an operator would.
type Lab mg.Namespace

// labCleanup bounds the removal of the lab after Ctrl-C: mage gives a
// target 5 seconds to return once it cancels the context.
const labCleanup = 4 * time.Second

func labProgress(start time.Time) func(string, ...any) {
	return func(format string, args ...any) {
		fmt.Printf("[%6s] %s\n", time.Since(start).Round(100*time.Millisecond), fmt.Sprintf(format, args...))
	}
}

// quietTestcontainers keeps testcontainers' banner and progress lines, and
// the MySQL driver's notes about connections it discards (expected when a
// server is killed or demoted), out of the lab targets' output.
func quietTestcontainers() {
	tclog.SetDefault(tclog.NewNoopLogger())
	_ = mysql.SetLogger(&mysql.NopLogger{})
}

func closeLab(l *lab.Lab) error {
	ctx, cancel := context.WithTimeout(context.Background(), labCleanup)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		return fmt.Errorf("removing the lab: %w (go tool mage lab:down removes leftovers)", err)
	}
	fmt.Println("lab removed")
	return nil
}

// Up starts the lab (replicating databases, two regional APIs, a front door), prints its URLs and keeps it running until Ctrl-C.
func (Lab) Up(ctx context.Context) (err error) {
	ctx, stop := interruptible(ctx)
	defer stop()
	path := lab.StatePath()
	if st, err := lab.LoadState(path); err == nil {
		if r, err := lab.Attach(ctx, st); err == nil {
			r.Close()
			return fmt.Errorf("a lab is running already (run %s, front door %s); stop it with Ctrl-C in its terminal or go tool mage lab:down", st.RunID, st.FrontDoorURL)
		}
	}
	quietTestcontainers()
	l, err := lab.Start(ctx, lab.Config{Logf: labProgress(time.Now())})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, closeLab(l)) }()
	st := l.State()
	st.PID = os.Getpid()
	if err := st.Save(path); err != nil {
		return err
	}
	defer os.Remove(path)

	fmt.Printf("\nThe lab is up (%s).\n\n", st.Flavour)
	fmt.Printf("  front door      %s   (sends every request to the active region)\n", st.FrontDoorURL)
	for _, r := range st.Regions {
		fmt.Printf("  %-15s %s   (database %s)\n", r.Region+" API", r.APIURL, r.Alias)
	}
	fmt.Printf(`
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
	fmt.Println("\nstopping the lab")
	return nil
}

// attachLab reaches the lab that lab:up runs.
func attachLab(ctx context.Context) (*lab.Remote, error) {
	quietTestcontainers()
	st, err := lab.LoadState(lab.StatePath())
	if err != nil {
		return nil, err
	}
	return lab.Attach(ctx, st)
}

// Status prints the running lab's regions in the same table as mage status (DB role, sync, lag, API health, route) and fails when they disagree.
func (Lab) Status(ctx context.Context) error {
	r, err := attachLab(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	s := r.Orchestrator(nil, nil).Evaluate(ctx)
	urls := map[string]lab.RegionState{}
	for _, reg := range r.State.Regions {
		urls[reg.Region] = reg
	}
	gtids := r.DB.Positions(ctx)
	if err := s.WriteTable(os.Stdout,
		failover.Column{Name: "database", Value: func(region string) string { return urls[region].Alias }},
		failover.Column{Name: "gtid", Value: func(region string) string { return gtids[region] }},
		failover.Column{Name: "api url", Value: func(region string) string { return urls[region].APIURL }},
	); err != nil {
		return err
	}
	fmt.Printf("front door: %s\n", r.State.FrontDoorURL)
	if p := s.Problems(); len(p) > 0 {
		return fmt.Errorf("%d problem(s) in the lab", len(p))
	}
	return nil
}

// operateLab runs fn on the lab that lab:up runs, with the real
// orchestrator asking for a typed confirmation; Ctrl-C cancels ctx.
func operateLab(ctx context.Context, fn func(context.Context, *lab.Remote, *failover.Orchestrator) error) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	r, err := attachLab(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	o := r.Orchestrator(failover.NewConfirmer(os.Stdin, os.Stdout, os.Getenv(failover.ConfirmEnv)), failover.TextPrinter{W: os.Stdout})
	return fn(ctx, r, o)
}

// Failover runs a planned switchover of the running lab to its passive region (or TODOMGMT_TARGET) with the real orchestrator (run it again to fail back).
func (Lab) Failover(ctx context.Context) error {
	return operateLab(ctx, func(ctx context.Context, r *lab.Remote, o *failover.Orchestrator) error {
		opts, err := planOptions(r.Regions())
		if err != nil {
			return err
		}
		_, err = o.Run(ctx, failover.KindPlanned, opts)
		return err
	})
}

// FailoverUnplanned kills the running lab's writer container, fails over (to TODOMGMT_TARGET if set) with data loss allowed using the real orchestrator, then rebuilds the old writer as a replica.
func (Lab) FailoverUnplanned(ctx context.Context) error {
	return operateLab(ctx, func(ctx context.Context, r *lab.Remote, o *failover.Orchestrator) error {
		opts, err := planOptions(r.Regions())
		if err != nil {
			return err
		}
		r.DB.Logf = func(format string, args ...any) { fmt.Printf(format+"\n", args...) }
		u, err := r.DB.RehearseUnplanned(ctx, o, opts)
		if u.Unreplicated != nil {
			fmt.Printf("%s had %d transaction(s) the replica had not received when it stopped", u.Killed, *u.Unreplicated)
			if u.Discarded != nil {
				fmt.Printf("; the promotion discarded %d received one(s)", *u.Discarded)
			}
			fmt.Println()
		}
		if err != nil || u.Rebuild == nil {
			return err
		}
		rb := u.Rebuild
		fmt.Printf("%s rebuilt in %s", rb.Member, rb.Took.Round(time.Millisecond))
		if rb.Reseeded {
			fmt.Printf(": its %d transaction(s) the new writer lacks were discarded and kept in %s", rb.Diverged, rb.Snapshot)
		}
		fmt.Println()
		if u.Discarded != nil && *u.Discarded > 0 {
			return fmt.Errorf("the promotion discarded %d transaction(s) the replica had received", *u.Discarded)
		}
		return nil
	})
}

// Drill starts a lab, measures a planned switchover, a failback and an unplanned failover (replication cut first) under load with the real orchestrator, prints the table, writes TODOMGMT_DRILL_REPORT (lab-report.json) and removes the lab.
func (Lab) Drill(ctx context.Context) (err error) {
	ctx, stop := interruptible(ctx)
	defer stop()
	cfg := lab.DrillConfig{Printer: failover.TextPrinter{W: os.Stdout}}
	if cfg.Rounds, err = envInt("TODOMGMT_DRILL_ROUNDS", 1); err != nil {
		return err
	}
	rate, err := envInt("TODOMGMT_DRILL_RATE", 20)
	if err != nil {
		return err
	}
	cfg.Load.Rate = float64(rate)
	if err := cfg.Load.Validate(); err != nil {
		return fmt.Errorf("TODOMGMT_DRILL_RATE=%d: %w", rate, err)
	}
	if v := os.Getenv("TODOMGMT_DRILL_PARTITION"); v != "" {
		if cfg.Partition, err = time.ParseDuration(v); err != nil {
			return fmt.Errorf("TODOMGMT_DRILL_PARTITION: %w", err)
		}
		if cfg.Partition <= 0 {
			cfg.Partition = -1 // 0: kill the writer with replication running
		}
	}
	progress := labProgress(time.Now())
	cfg.Logf = progress
	quietTestcontainers()
	l, err := lab.Start(ctx, lab.Config{Logf: progress})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, closeLab(l)) }()
	rep, derr := lab.Drill(ctx, l, cfg)
	fmt.Println()
	if err := rep.WriteTable(os.Stdout); err != nil {
		return err
	}
	path := lab.ReportPath()
	if err := rep.WriteJSON(path); err != nil {
		return errors.Join(derr, err)
	}
	fmt.Printf("\nreport written to %s\n", path)
	if derr != nil {
		return derr
	}
	if !rep.Met() {
		return errors.New("the drill missed targets (MISSED above)")
	}
	return nil
}

// Down removes every lab container and network left behind (any run, found by label) and the lab state file; it is safe to run when nothing is up.
func (Lab) Down(ctx context.Context) error {
	// Bounded: an engine that does not answer must not hang the target.
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	quietTestcontainers()
	path := lab.StatePath()
	if st, err := lab.LoadState(path); err == nil && processAlive(st.PID) {
		fmt.Printf("lab:up (process %d, run %s) is still running: its containers are removed now; stop it with Ctrl-C in its terminal\n", st.PID, st.RunID)
	}
	removed, err := lab.Down(ctx)
	for _, r := range removed {
		fmt.Println("removed", r)
	}
	if len(removed) == 0 && err == nil {
		fmt.Println("nothing to remove")
	}
	if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	} else if rerr == nil {
		fmt.Println("removed state file", path)
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
