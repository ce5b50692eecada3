// Package drill is the game-day drill of ToDoMgmt's failover: one runner
// that measures what clients lose while the real orchestrator
// (pkg/failover) moves the writer and the traffic, wherever the
// deployment runs. It drives a bounded load of creates, updates and reads
// through the front door (pkg/drill/load), switches the writer (a planned
// switchover, a failback and, where the environment can take a region
// down, an unplanned failover), reads what the writer holds afterwards,
// and writes the same report everywhere (Report): acknowledged writes
// lost, duplicates, write gap, longest silence, recovery time, client
// errors by status, and the region that served each write.
//
// The environment is an adapter (Environment): the local lab (internal/lab)
// and the deployed stacks (pkg/awsdrill) implement it. What only some can
// do is an optional part of it, which the runner uses when it is there:
// Outages (the unplanned round, with a kill), DatabaseReader (the
// stale-ETag checks, against the database itself), RoleChecker (each
// region checked directly after a switch) and Cleaner (the drill's todos
// deleted afterwards). The package knows nothing of either environment.
package drill

import (
	"context"
	"fmt"
	"time"

	"github.com/todomgmt/todomgmt/pkg/drill/load"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// Scenario names.
const (
	ScenarioPlanned   = "planned"
	ScenarioFailback  = "failback"
	ScenarioUnplanned = "unplanned"
)

// Environment is where a drill runs: the deployment as the runner needs
// it. Its methods return errors only when the question cannot be
// answered; the runner reports them and goes on where it can.
type Environment interface {
	// Describe says where the drill runs, for the report.
	Describe(ctx context.Context) Description
	// Access says how clients reach the deployment: the front door the
	// load writes through, the regional APIs, the token source.
	Access() load.Access
	// Writer returns the region whose database is the writer now and the
	// other region, as the database reports them; an error when there is
	// no single available writer.
	Writer(ctx context.Context) (writer, other string, err error)
	// Switch moves the writer and the traffic to region to with the real
	// orchestrator: kind is failover.KindPlanned, or KindUnplanned in an
	// environment with Outages. It returns the orchestrator's report.
	Switch(ctx context.Context, kind failover.Kind, to string) (orchestrator.Report, error)
	// Holding reads what the writer holds now of the load's todos: every
	// todo whose task carries the scenario's prefix (load.TaskPrefix + prefix
	// + "-"), and any todo with one of ids (an id handed out again names
	// another todo). It returns what it read even with an error.
	Holding(ctx context.Context, prefix string, ids []int64) (load.Holding, error)
}

// Description says where a drill runs.
type Description struct {
	// Name is the environment's: "lab" or "aws".
	Name string
	// RunID names the run; every todo the drill writes carries it.
	RunID string
	// Image is the database server's container image (the lab); Flavour
	// the database engine as it reports itself.
	Image, Flavour string
}

// Outages is the optional part of an Environment that can take the
// writer's database down (the lab): with it the runner adds the
// unplanned round to each round.
type Outages interface {
	// Outage prepares the loss of writer's region; nothing happens until
	// one of its steps runs.
	Outage(ctx context.Context, writer string) (Outage, error)
}

// Outage is the loss of the writer's region, in the steps the unplanned
// round takes around its load: Cut (when it cuts the link first),
// Unreplicated, Kill, Received, the orchestrator's failover, Discarded,
// Restore, UnreplicatedAtFault.
type Outage interface {
	// Cut stops the replica receiving from the writer: the link fails
	// first, as in a real regional outage, so acknowledged writes are lost.
	Cut(ctx context.Context) error
	// Unreplicated counts the writer's transactions the replica lacks
	// now, from both servers' GTIDs: read right before the fault.
	Unreplicated(ctx context.Context) (int64, error)
	// Kill takes the writer's database down at once.
	Kill(ctx context.Context) error
	// Received reads what the replica had received when the writer
	// stopped, before anything is promoted.
	Received(ctx context.Context) (Fault, error)
	// Discarded counts, after the promotion, the transactions the replica
	// had received that it does not hold now, and names them.
	Discarded(ctx context.Context) (int64, string, error)
	// Restore brings the old writer back: rebuilt as a replica of the new
	// writer, or as it was (nil) when nothing was promoted.
	Restore(ctx context.Context) (*Rebuild, error)
	// UnreplicatedAtFault counts the old writer's transactions the
	// replica had not received at the fault, from the old writer's GTIDs
	// once Restore brought it back, and names them.
	UnreplicatedAtFault() (int64, string, error)
}

// DatabaseReader is the optional part of an Environment that reads what
// the writer holds from the database itself (the lab: as root on the
// server), not through the API under test. Only such a reading is an
// independent reference for the stale-ETag checks: with it, the runner
// reads the writer's todos this way and, after each switch, sends every
// todo acknowledged before it one conditional write with its ETag from
// before the switch (load.Generator.AfterSwitch). A deployment's database
// is reachable only from inside its VPC: the AWS drill reads through the
// API (Environment.Holding) and leaves the stale-ETag checks to the lab.
type DatabaseReader interface {
	// ReadDatabase is Holding, read from the database.
	ReadDatabase(ctx context.Context, prefix string, ids []int64) (load.Holding, error)
}

// RoleChecker is the optional part of an Environment that checks each
// region after a switch (the lab): each regional API written to directly,
// and the replica compared with the writer.
type RoleChecker interface {
	CheckRoles(ctx context.Context) Checks
}

// Cleaner is the optional part of an Environment whose data outlives the
// drill (a deployment): the runner deletes each scenario's todos once it
// has counted them, and says how to delete what it could not.
type Cleaner interface {
	// Clean deletes the todos of held, what the writer holds of the
	// scenario's (the runner's last reading, Holding(prefix, ids)), whose
	// task carries the scenario's prefix, each on condition of the ETag
	// read, and returns how many it deleted.
	Clean(ctx context.Context, prefix string, held load.Holding) (int, error)
}

// Config configures Run. The zero value is usable.
type Config struct {
	// Rounds is how many times the scenarios run (1).
	Rounds int
	// Warmup is the load before the switch (2 s); Cooldown the load after
	// the orchestrator returns (3 s); Settle bounds the retries of writes
	// still in progress when the load stops (15 s).
	Warmup, Cooldown, Settle time.Duration
	// Load configures the load generator.
	Load load.Config
	// Partition is how long before the unplanned scenario kills the
	// writer it stops the replica's replication IO thread: the link fails
	// first, as in a real regional outage, so that acknowledged writes
	// are lost and the drill can show that their ids and ETags are never
	// taken for others. Zero means DefaultPartition; a negative value
	// kills the writer with replication running (usually nothing is lost
	// then: replication over loopback is not behind). Only an environment
	// with Outages has the unplanned scenario.
	Partition time.Duration
	// Goals are the timing targets; zero fields take DefaultGoals'.
	Goals Goals
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
}

// DefaultPartition is Config.Partition's default: at 20 creates and 20
// updates a second, a second of writes the replica never receives.
const DefaultPartition = time.Second

func (c Config) withDefaults() Config {
	if c.Rounds <= 0 {
		c.Rounds = 1
	}
	if c.Partition == 0 {
		c.Partition = DefaultPartition
	}
	if c.Warmup <= 0 {
		c.Warmup = 2 * time.Second
	}
	if c.Cooldown <= 0 {
		c.Cooldown = 3 * time.Second
	}
	if c.Settle <= 0 {
		c.Settle = 15 * time.Second
	}
	c.Goals = c.Goals.withDefaults()
	return c
}

// AutoApprove approves every plan: a drill runs non-interactively, and
// running it is the explicit decision to switch the deployment's regions
// (in AWS, confirmed once before it starts).
type AutoApprove struct{}

// Approve returns nil.
func (AutoApprove) Approve(context.Context, plan.Plan) error { return nil }

// cleanupWait bounds the deletion of a scenario's todos; after the
// caller's context ended (Ctrl-C) the shorter cleanupInterrupted does,
// within the 5 s mage allows a target to return.
const (
	cleanupWait        = 2 * time.Minute
	cleanupInterrupted = 4 * time.Second
)

// Run runs, Rounds times, a planned switchover, a failback and, with
// Outages, an unplanned failover (writer killed, old writer rebuilt
// afterwards) with the load generator writing through the front door,
// and reports what each scenario measured. A scenario that fails is
// reported with its error and the drill goes on when the deployment
// still has a writer.
func Run(ctx context.Context, env Environment, cfg Config) (Report, error) {
	if err := cfg.Load.Validate(); err != nil {
		return Report{}, err
	}
	cfg = cfg.withDefaults()
	desc := env.Describe(ctx)
	r := &runner{env: env, cfg: cfg, runID: desc.RunID}
	r.outages, _ = env.(Outages)
	r.checker, _ = env.(RoleChecker)
	r.cleaner, _ = env.(Cleaner)
	r.read = env.Holding
	dbr, staleChecks := env.(DatabaseReader)
	if staleChecks {
		r.read = dbr.ReadDatabase
	}
	r.staleChecks = staleChecks
	rep := Report{
		Started: time.Now().UTC(), Environment: desc.Name, RunID: desc.RunID, Image: desc.Image, Flavour: desc.Flavour,
		Rounds: cfg.Rounds, Rate: cfg.Load.WithDefaults().Rate, Goals: cfg.Goals,
	}
	names := []string{ScenarioPlanned, ScenarioFailback}
	if r.outages != nil {
		names = append(names, ScenarioUnplanned)
		rep.Partition = secondsOf(max(cfg.Partition, 0))
	}
	if !staleChecks {
		rep.NotMeasured = append(rep.NotMeasured, MeasureStaleETags)
	}
	if r.checker == nil {
		rep.NotMeasured = append(rep.NotMeasured, MeasureRoleChecks)
	}
	for round := 1; round <= cfg.Rounds; round++ {
		for _, name := range names {
			if err := ctx.Err(); err != nil {
				rep.finish()
				return rep, err
			}
			r.logf("round %d/%d: %s", round, cfg.Rounds, name)
			s, err := r.scenario(ctx, round, name)
			if err != nil {
				s.Errors = append(s.Errors, "interrupted: "+err.Error())
			}
			rep.Scenarios = append(rep.Scenarios, s)
			if err != nil {
				rep.finish()
				return rep, fmt.Errorf("round %d %s: %w", round, name, err)
			}
		}
	}
	rep.finish()
	return rep, nil
}

// runner is one Run.
type runner struct {
	env   Environment
	cfg   Config
	runID string
	// read reads what the writer holds: Environment.Holding, or
	// DatabaseReader.ReadDatabase when the environment has it.
	read        func(ctx context.Context, prefix string, ids []int64) (load.Holding, error)
	staleChecks bool
	outages     Outages
	checker     RoleChecker
	cleaner     Cleaner
}

func (r *runner) logf(format string, args ...any) {
	if r.cfg.Logf != nil {
		r.cfg.Logf(format, args...)
	}
}

// scenario runs one scenario. It returns an error only when the
// deployment is in no state to go on; the scenario's own failures are in
// s.Errors.
func (r *runner) scenario(ctx context.Context, round int, name string) (s Scenario, err error) {
	s = Scenario{Name: name, Round: round, Started: time.Now().UTC()}
	defer func() { s.Took = secondsOf(time.Since(s.Started)) }()
	s.From, s.To, err = r.env.Writer(ctx)
	if err != nil {
		return s, err
	}
	prefix := fmt.Sprintf("%s-%d-%s", r.runID, round, name)
	access := r.env.Access()
	gen, err := load.Start(ctx, access, prefix, r.cfg.Load)
	if err != nil {
		return s, err
	}
	stopped := false
	var res load.Result
	stop := func() {
		if !stopped {
			stopped = true
			res = gen.Stop(r.cfg.Settle)
		}
	}
	// final is what the writer holds at the end, once read: the cleanup
	// deletes from it rather than reading it all again.
	var final *load.Holding
	if r.cleaner != nil {
		// Runs after stop (deferred below), whatever ended the scenario.
		defer func() { s.Cleanup = r.clean(ctx, prefix, res, final) }()
	}
	defer stop()
	if err := failover.RealClock.Sleep(ctx, r.cfg.Warmup); err != nil {
		return s, err
	}

	kind := failover.KindPlanned
	var outage Outage
	if name == ScenarioUnplanned {
		kind = failover.KindUnplanned
		if outage, err = r.outages.Outage(ctx, s.From); err != nil {
			return s, err
		}
		if err := r.fault(ctx, &s, outage, gen, access); err != nil {
			return s, err
		}
	} else if s.SwitchAt, err = gen.MarkSwitch(access.APIs[s.To]); err != nil {
		return s, err
	}
	s.Report, err = r.env.Switch(ctx, kind, s.To)
	if err != nil {
		s.Errors = append(s.Errors, "orchestrator: "+err.Error())
	}
	if outage != nil && s.Fault != nil {
		n, detail, err := outage.Discarded(ctx)
		if err != nil {
			s.Errors = append(s.Errors, "discarded by the promotion: "+err.Error())
		} else {
			s.DiscardedAtPromotion = &n
			if n > 0 {
				r.logf("%d received transaction(s) were discarded by the promotion (%s)", n, detail)
			}
		}
	}
	// What the writer holds now, before any write with an ETag from
	// before the switch, says which of those ETags name lost writes.
	gen.AwaitUpdates()
	held, err := r.read(ctx, prefix, gen.IDs())
	if err != nil {
		s.Errors = append(s.Errors, "read the writer's todos after the switch: "+err.Error())
	} else {
		s.HeldAt = &held.At
		if r.staleChecks {
			gen.AfterSwitch(held)
		}
	}
	if err := failover.RealClock.Sleep(ctx, r.cfg.Cooldown); err != nil {
		return s, err
	}
	stop()
	if outage != nil {
		r.restore(ctx, &s, outage, res)
	}

	// The writes are counted on whichever region the database says is the
	// writer now: s.To if the switch happened, s.From if it failed or was
	// rolled back.
	end, err := r.read(ctx, prefix, ackedIDs(res.Writes))
	if err != nil {
		s.Errors = append(s.Errors, "read the writer's todos at the end: "+err.Error())
	} else {
		final = &end
	}
	s.Writes = analyze(res.Writes, storedUnion(held, end))
	s.Reads = analyzeSwitch(&s.Writes, res, held, end, s.To)
	s.NoWriteTime = secondsOf(max(s.Writes.WriteGap, s.Writes.MaxAckSilence))
	if r.checker != nil {
		s.Checks = r.checker.CheckRoles(ctx)
	}
	return s, nil
}

// fault runs the unplanned scenario's steps up to the writer's loss: the
// cut link (Partition), the GTID reading before the fault, the switch
// marked in the load, the kill, and what the replica had received.
func (r *runner) fault(ctx context.Context, s *Scenario, outage Outage, gen *load.Generator, access load.Access) (err error) {
	if r.cfg.Partition > 0 {
		r.logf("partition: %s stops receiving from %s for %s", s.To, s.From, r.cfg.Partition)
		if err := outage.Cut(ctx); err != nil {
			s.Errors = append(s.Errors, err.Error())
		}
		if err := failover.RealClock.Sleep(ctx, r.cfg.Partition); err != nil {
			return err
		}
	}
	n, err := outage.Unreplicated(ctx)
	if err != nil {
		s.Errors = append(s.Errors, "GTID snapshot before the fault: "+err.Error())
	} else {
		s.UnreplicatedBeforeFault = &n
	}
	if s.SwitchAt, err = gen.MarkSwitch(access.APIs[s.To]); err != nil {
		return err
	}
	at := time.Now()
	r.logf("killing %s's database server", s.From)
	if err := outage.Kill(ctx); err != nil {
		return fmt.Errorf("kill %s: %w", s.From, err)
	}
	s.FaultAt = &at
	// Before anything is promoted: a promotion discards what the replica
	// received and has not applied.
	f, err := outage.Received(ctx)
	if err != nil {
		s.Errors = append(s.Errors, err.Error())
	} else {
		s.Fault = &f
		r.logf("%s had received %s when %s stopped", s.To, f.Received, s.From)
	}
	return nil
}

// restore brings the old writer of an unplanned scenario back, measures
// what it had that never left it, and the time to the first write the new
// region acknowledged.
func (r *runner) restore(ctx context.Context, s *Scenario, outage Outage, res load.Result) {
	r.logf("bringing %s back as a replica of %s", s.From, s.To)
	rb, err := outage.Restore(ctx)
	s.Rebuild = rb
	if err != nil {
		s.Errors = append(s.Errors, "rebuild: "+err.Error())
	}
	if s.Fault != nil && rb != nil && rb.Position != "" {
		n, detail, err := outage.UnreplicatedAtFault()
		if err != nil {
			s.Errors = append(s.Errors, "unreplicated at the fault: "+err.Error())
		} else {
			s.UnreplicatedAtFault = &n
			if detail != "" {
				detail = " (" + detail + ")"
			}
			r.logf("%s had %d transaction(s) %s had not received at the fault%s", s.From, n, s.To, detail)
		}
	}
	if t, ok := firstAck(res.Writes, *s.FaultAt, s.To); ok {
		d := secondsOf(t.Sub(*s.FaultAt))
		s.Restore = &d
	}
}

// clean deletes the scenario's todos (Cleaner), within cleanupWait, or
// cleanupInterrupted once ctx has ended: those of final, what the writer
// held at the end, or, when the scenario ended before that was read (or
// its reading failed), of a reading made now.
func (r *runner) clean(ctx context.Context, prefix string, res load.Result, final *load.Holding) *Cleanup {
	wait := cleanupWait
	if ctx.Err() != nil {
		wait = cleanupInterrupted
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
	defer cancel()
	c := &Cleanup{Prefix: load.TaskPrefix + prefix + "-"}
	var held load.Holding
	var err error
	if final != nil {
		held = *final
	} else {
		held, err = r.read(cctx, prefix, ackedIDs(res.Writes))
	}
	if err == nil {
		c.Deleted, err = r.cleaner.Clean(cctx, prefix, held)
	}
	if err != nil {
		c.Error = err.Error()
		r.logf("the drill's todos of %s were not all deleted: %v", prefix, err)
	} else {
		r.logf("deleted the drill's %d todo(s) of %s", c.Deleted, prefix)
	}
	return c
}

// ackedIDs returns the ids of the acknowledged writes.
func ackedIDs(writes []load.Write) []int64 {
	var ids []int64
	for _, w := range writes {
		if w.Acked {
			ids = append(ids, w.ID)
		}
	}
	return ids
}
