//go:build mage

package main

import (
	"context"
	"os"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/todomgmt/todomgmt/internal/lab"
	"github.com/todomgmt/todomgmt/pkg/drill"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/console"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
	"github.com/todomgmt/todomgmt/pkg/failoverenv"
)

// Lab is the local two-region lab: two MySQL containers with GTID
// replication, two regional APIs and a front door on 127.0.0.1, driven by
// the same failover orchestrator as AWS. `lab:up` runs it and keeps its
// state in lab.StatePath(); `lab:status` and the `lab:failover` targets
// operate that running lab from another terminal, as an operator would.
// The logic lives in internal/lab; these targets are glue.
type Lab mg.Namespace

// Up starts the lab (replicating databases, two regional APIs, a front door), prints its URLs and keeps it running until Ctrl-C.
func (Lab) Up(ctx context.Context) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	return lab.Up(ctx, os.Stdout)
}

// Status prints the running lab's regions in the same table as mage status (DB role, sync, lag, API health, route) and fails when they disagree.
func (Lab) Status(ctx context.Context) error {
	r, err := lab.AttachRunning(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	return lab.WriteStatus(ctx, r, os.Stdout)
}

// operateLab runs fn on the lab that lab:up runs, with the real
// orchestrator asking for a typed confirmation, and TODOMGMT_TARGET and
// TODOMGMT_MAX_LAG read as for AWS; Ctrl-C cancels ctx.
func operateLab(ctx context.Context, fn func(context.Context, *lab.Remote, *orchestrator.Orchestrator, plan.Options) error) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	r, err := lab.AttachRunning(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	opts, err := failoverenv.Options(os.Getenv, r.Regions())
	if err != nil {
		return err
	}
	return fn(ctx, r, r.Orchestrator(confirmer(), console.TextPrinter{W: os.Stdout}), opts)
}

// Failover runs a planned switchover of the running lab to its passive region (or TODOMGMT_TARGET) with the real orchestrator (run it again to fail back).
func (Lab) Failover(ctx context.Context) error {
	return operateLab(ctx, func(ctx context.Context, _ *lab.Remote, o *orchestrator.Orchestrator, opts plan.Options) error {
		_, err := o.Run(ctx, failover.KindPlanned, opts)
		return err
	})
}

// FailoverUnplanned (alias lab:failover:unplanned) kills the running lab's writer container, fails over (to TODOMGMT_TARGET if set) with data loss allowed using the real orchestrator, then rebuilds the old writer as a replica.
func (Lab) FailoverUnplanned(ctx context.Context) error {
	return operateLab(ctx, func(ctx context.Context, r *lab.Remote, o *orchestrator.Orchestrator, opts plan.Options) error {
		return lab.RehearseUnplanned(ctx, r, o, opts, os.Stdout)
	})
}

// Drill starts a lab, measures a planned switchover, a failback and an unplanned failover (replication cut first) under load with the real orchestrator, prints the table, writes TODOMGMT_DRILL_REPORT (lab-report.json) and removes the lab.
func (Lab) Drill(ctx context.Context) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	cfg, err := drill.ConfigFromEnv(os.Getenv, lab.DrillDefaults)
	if err != nil {
		return err
	}
	return lab.RunDrill(ctx, cfg, os.Stdout, drill.ReportPath())
}

// Down removes every lab container and network left behind (any run, found by label) and the lab state file; it is safe to run when nothing is up.
func (Lab) Down(ctx context.Context) error {
	// Bounded: an engine that does not answer must not hang the target.
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return lab.DownAll(ctx, os.Stdout)
}
