package lab

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// Scenario names.
const (
	ScenarioPlanned   = "planned"
	ScenarioFailback  = "failback"
	ScenarioUnplanned = "unplanned"
)

// DrillConfig configures Drill. The zero value is usable.
type DrillConfig struct {
	// Rounds is how many times the three scenarios run (1).
	Rounds int
	// Warmup is the load before the switch (2 s); Cooldown the load after
	// the orchestrator returns (3 s); Settle bounds the retries of writes
	// still in progress when the load stops (15 s).
	Warmup, Cooldown, Settle time.Duration
	// Load configures the load generator.
	Load LoadConfig
	// Partition is how long before the unplanned scenario kills the
	// writer it stops the replica's replication IO thread: the link fails
	// first, as in a real regional outage, so that acknowledged writes
	// are lost and the drill can show that their ids and ETags are never
	// taken for others. Zero means DefaultPartition; a negative value
	// kills the writer with replication running (usually nothing is lost
	// then: replication over loopback is not behind).
	Partition time.Duration
	// Printer receives the orchestrator's events; nil discards them.
	Printer failover.Printer
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
}

// DefaultPartition is DrillConfig.Partition's default: at 20 creates and
// 20 updates a second, a second of writes the replica never receives.
const DefaultPartition = time.Second

func (c DrillConfig) withDefaults() DrillConfig {
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
	return c
}

// Scenario is what one scenario of a drill measured.
type Scenario struct {
	Name    string    `json:"name"`
	Round   int       `json:"round"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Started time.Time `json:"started"`
	Took    Seconds   `json:"tookSeconds"`
	// Writes is what the load generator saw and the writer holds.
	Writes WriteStats `json:"writes"`
	// Reads is what the reads in the target region showed, from the
	// start of the switch on.
	Reads ReadStats `json:"reads"`
	// SwitchAt is when the switch started: the fault (unplanned), or the
	// orchestrator's start (planned). HeldAt is when the writer's todos
	// were read after the switch, before the conditional writes.
	SwitchAt time.Time  `json:"switchAt"`
	HeldAt   *time.Time `json:"heldAt,omitempty"`
	// NoWriteTime is the longer of Writes.WriteGap and
	// Writes.MaxAckSilence: the time clients could not get a write
	// acknowledged. The targets are checked against it.
	NoWriteTime Seconds `json:"noWriteSeconds"`
	// Unplanned only. FaultAt is when the writer was killed; Restore the
	// time from then to the first write acknowledged by the new region.
	FaultAt *time.Time `json:"faultAt,omitempty"`
	Restore *Seconds   `json:"restoreSeconds,omitempty"`
	// UnreplicatedBeforeFault is the writer's transactions the replica
	// lacked, read from both GTID sets right before the kill (writes
	// committed in the milliseconds between the read and the kill are
	// not in it).
	UnreplicatedBeforeFault *int64 `json:"unreplicatedBeforeFault,omitempty"`
	// Fault is what the replica had received when the writer stopped,
	// read from it before the promotion.
	Fault *Fault `json:"fault,omitempty"`
	// UnreplicatedAtFault is the old writer's committed transactions
	// that the replica had not received at the fault: the old writer's
	// GTID set once it is back (its binlog survives the kill) minus
	// Fault.Received. It does not depend on what the promotion did.
	UnreplicatedAtFault *int64 `json:"unreplicatedAtFault,omitempty"`
	// DiscardedAtPromotion is the transactions the replica had received at
	// the fault but does not hold after its promotion: thrown away with
	// its relay log. Anything but 0 is a failure of the failover. Lost
	// acknowledged writes are among the unreplicated and the discarded
	// ones.
	DiscardedAtPromotion *int64         `json:"discardedAtPromotion,omitempty"`
	Rebuild              *RebuildResult `json:"rebuild,omitempty"`
	// Report is the orchestrator's report.
	Report failover.Report `json:"orchestrator"`
	// Checks are the connection checks after the scenario.
	Checks Checks `json:"checks"`
	// Errors are failures of the scenario itself (the orchestrator's
	// included), not of client writes.
	Errors []string `json:"errors,omitempty"`
}

// Checks are the connection checks after a role change (issue item 5):
// each region's API is written to directly, without any restart in
// between; the active one must accept the write, the passive one answer
// 503 region_passive. The replica must hold the same data as the writer.
type Checks struct {
	Active            string `json:"active"`
	ActiveWrite       string `json:"activeWrite"`
	Passive           string `json:"passive"`
	PassiveWrite      string `json:"passiveWrite"`
	PassiveRead       string `json:"passiveRead"`
	ReplicaConsistent bool   `json:"replicaConsistent"`
	ReplicaDetail     string `json:"replicaDetail,omitempty"`
}

// Seconds is a duration written as seconds in JSON.
type Seconds float64

// Duration converts s back.
func (s Seconds) Duration() time.Duration { return time.Duration(float64(s) * float64(time.Second)) }

func secondsOf(d time.Duration) Seconds { return Seconds(d.Seconds()) }

// AutoApprove approves every plan: the drill runs non-interactively, and
// running the drill is the explicit decision to switch the lab's regions.
type AutoApprove struct{}

// Approve returns nil.
func (AutoApprove) Approve(context.Context, failover.Plan) error { return nil }

// Drill runs, Rounds times, a planned switchover, a failback and an
// unplanned failover (writer killed, old writer rebuilt afterwards) with
// the load generator writing through the front door, and reports what
// each scenario measured. A scenario that fails is reported with its
// error and the drill goes on when the lab still has a writer.
func Drill(ctx context.Context, l *Lab, cfg DrillConfig) (Report, error) {
	if err := cfg.Load.Validate(); err != nil {
		return Report{}, err
	}
	cfg = cfg.withDefaults()
	rep := Report{
		Started: time.Now().UTC(), Image: l.state.Image, Flavour: l.state.Flavour,
		Rounds: cfg.Rounds, Rate: cfg.Load.withDefaults().Rate, Partition: secondsOf(max(cfg.Partition, 0)),
	}
	d := &drill{l: l, cfg: cfg}
	for round := 1; round <= cfg.Rounds; round++ {
		for _, name := range []string{ScenarioPlanned, ScenarioFailback, ScenarioUnplanned} {
			if err := ctx.Err(); err != nil {
				rep.finish()
				return rep, err
			}
			d.logf("round %d/%d: %s", round, cfg.Rounds, name)
			s, err := d.scenario(ctx, round, name)
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

type drill struct {
	l   *Lab
	cfg DrillConfig
}

func (d *drill) logf(format string, args ...any) {
	if d.cfg.Logf != nil {
		d.cfg.Logf(format, args...)
	}
}

// writer returns the current writer's region and the other one.
func (d *drill) writer(ctx context.Context) (from, to string, err error) {
	top, err := d.l.DB.Topology(ctx)
	if err != nil {
		return "", "", err
	}
	w, ok := top.Writer()
	if !ok || top.Status != "available" {
		return "", "", fmt.Errorf("the lab has no single available writer (status %s)", top.Status)
	}
	for _, m := range top.Members {
		if m.Region != w.Region {
			return w.Region, m.Region, nil
		}
	}
	return "", "", errors.New("the lab has one member only")
}

// scenario runs one scenario. It returns an error only when the lab is in
// no state to go on; the scenario's own failures are in s.Errors.
func (d *drill) scenario(ctx context.Context, round int, name string) (s Scenario, err error) {
	s = Scenario{Name: name, Round: round, Started: time.Now().UTC()}
	defer func() { s.Took = secondsOf(time.Since(s.Started)) }()
	s.From, s.To, err = d.writer(ctx)
	if err != nil {
		return s, err
	}
	prefix := fmt.Sprintf("%s-%d-%s", d.l.state.RunID, round, name)
	load, err := StartLoad(ctx, d.l.FrontDoor.URL(), prefix, d.cfg.Load)
	if err != nil {
		return s, err
	}
	stopped := false
	var res LoadResult
	stop := func() {
		if !stopped {
			stopped = true
			res = load.Stop(d.cfg.Settle)
		}
	}
	defer stop()
	if err := failover.RealClock.Sleep(ctx, d.cfg.Warmup); err != nil {
		return s, err
	}

	kind := failover.KindPlanned
	if name == ScenarioUnplanned {
		kind = failover.KindUnplanned
		if d.cfg.Partition > 0 {
			d.logf("partition: %s stops receiving from %s for %s", s.To, s.From, d.cfg.Partition)
			if err := d.l.DB.StopReceiving(ctx, s.To); err != nil {
				s.Errors = append(s.Errors, err.Error())
			}
			if err := failover.RealClock.Sleep(ctx, d.cfg.Partition); err != nil {
				return s, err
			}
		}
		snap, err := d.l.DB.Snapshot(ctx, s.From)
		if err != nil {
			s.Errors = append(s.Errors, "GTID snapshot before the fault: "+err.Error())
		} else {
			s.UnreplicatedBeforeFault = &snap.Unreplicated
		}
		if s.SwitchAt, err = load.MarkSwitch(d.l.Prober.APIs[s.To]); err != nil {
			return s, err
		}
		at := time.Now()
		d.logf("killing %s's database server", s.From)
		if err := d.l.DB.Kill(ctx, s.From); err != nil {
			return s, fmt.Errorf("kill %s: %w", s.From, err)
		}
		s.FaultAt = &at
		// Before anything is promoted: a promotion discards what the
		// replica received and has not applied.
		f, err := d.l.DB.RecordFault(ctx, s.From)
		if err != nil {
			s.Errors = append(s.Errors, err.Error())
		} else {
			s.Fault = &f
			d.logf("%s had received %s when %s stopped", s.To, f.Received, s.From)
		}
	}

	if kind == failover.KindPlanned {
		if s.SwitchAt, err = load.MarkSwitch(d.l.Prober.APIs[s.To]); err != nil {
			return s, err
		}
	}
	// The target read from the servers goes in as an operator's would.
	target, err := failover.ParseTarget(s.To, d.l.Regions())
	if err != nil {
		return s, err
	}
	o := d.l.Orchestrator(AutoApprove{}, d.cfg.Printer)
	s.Report, err = o.Run(ctx, kind, failover.Options{Target: target})
	if err != nil {
		s.Errors = append(s.Errors, "orchestrator: "+err.Error())
	}
	if s.Fault != nil {
		n, detail, err := d.l.DB.Discarded(ctx, *s.Fault)
		if err != nil {
			s.Errors = append(s.Errors, "discarded by the promotion: "+err.Error())
		} else {
			s.DiscardedAtPromotion = &n
			if n > 0 {
				d.logf("%d received transaction(s) were discarded by the promotion (%s)", n, detail)
			}
		}
	}
	// What the writer holds now, before any write with an ETag from
	// before the switch, says which of those ETags name lost writes.
	load.AwaitUpdates()
	held, err := d.holding(ctx, prefix, load.IDs())
	if err != nil {
		s.Errors = append(s.Errors, "read the writer's todos after the switch: "+err.Error())
	} else {
		s.HeldAt = &held.At
		load.AfterSwitch(held)
	}
	if err := failover.RealClock.Sleep(ctx, d.cfg.Cooldown); err != nil {
		return s, err
	}
	stop()

	if name == ScenarioUnplanned {
		d.logf("bringing %s back as a replica of %s", s.From, s.To)
		rb, err := d.l.DB.Rebuild(ctx, s.From)
		s.Rebuild = &rb
		if err != nil {
			s.Errors = append(s.Errors, "rebuild: "+err.Error())
		}
		if s.Fault != nil && rb.Position != "" {
			n, detail, err := s.Fault.Unreplicated(rb.Position)
			if err != nil {
				s.Errors = append(s.Errors, "unreplicated at the fault: "+err.Error())
			} else {
				s.UnreplicatedAtFault = &n
				if detail != "" {
					detail = " (" + detail + ")"
				}
				d.logf("%s had %d transaction(s) %s had not received at the fault%s", s.From, n, s.To, detail)
			}
		}
		if t, ok := firstAck(res.Writes, *s.FaultAt, s.To); ok {
			r := secondsOf(t.Sub(*s.FaultAt))
			s.Restore = &r
		}
	}

	// The writes are counted on whichever server the servers say is the
	// writer now: s.To if the switch happened, s.From if it failed or was
	// rolled back.
	var ids []int64
	for _, w := range res.Writes {
		if w.Acked {
			ids = append(ids, w.ID)
		}
	}
	final, err := d.holding(ctx, prefix, ids)
	if err != nil {
		s.Errors = append(s.Errors, "read the writer's todos at the end: "+err.Error())
	}
	s.Writes = analyze(res.Writes, storedUnion(held, final))
	s.Reads = analyzeSwitch(&s.Writes, res, held, final, s.To)
	s.NoWriteTime = secondsOf(max(s.Writes.WriteGap, s.Writes.MaxAckSilence))
	s.Checks = d.checks(ctx)
	return s, nil
}

// StopReceiving stops the region's replication IO thread: the link from
// the writer is cut, the server keeps what it has.
func (d *Database) StopReceiving(ctx context.Context, region string) error {
	n, err := d.nodeByRegion(region)
	if err != nil {
		return err
	}
	return n.stopReceiving(ctx)
}

// holding reads, as root on the current writer (as the servers'
// topology names it), the load's todos: every row whose task carries the
// scenario's prefix, and any row with one of ids (an id handed out again
// names another todo). Without a single available writer there is
// nothing to read: every acknowledged write then counts as lost, and the
// error says why.
func (d *drill) holding(ctx context.Context, prefix string, ids []int64) (Holding, error) {
	h := Holding{At: time.Now(), ByID: map[int64]Held{}}
	writer, _, err := d.writer(ctx)
	if err != nil {
		return h, err
	}
	n, err := d.l.DB.nodeByRegion(writer)
	if err != nil {
		return h, err
	}
	return h, readHeld(ctx, n, d.l.state.Schema, prefix, ids, h.ByID)
}

// readHeld adds to into the todos whose task carries the prefix and those
// with one of ids, in batches of ids.
func readHeld(ctx context.Context, n *node, schema, prefix string, ids []int64, into map[int64]Held) error {
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(TaskPrefix+prefix+"-") + "%"
	query := func(where string, args ...any) error {
		rows, err := n.Admin().QueryContext(ctx,
			"SELECT id, task, version, write_tag FROM "+quoteIdent(schema)+".todos WHERE "+where, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h Held
			if err := rows.Scan(&h.ID, &h.Task, &h.Version, &h.Tag); err != nil {
				return err
			}
			into[h.ID] = h
		}
		return rows.Err()
	}
	if err := query("task LIKE ?", like); err != nil {
		return err
	}
	for batch := range slices.Chunk(ids, 500) {
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		if err := query("id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(batch)), ",")+")", args...); err != nil {
			return err
		}
	}
	return nil
}

// checks writes to each region's API directly and compares the replica's
// data with the writer's.
func (d *drill) checks(ctx context.Context) Checks {
	var c Checks
	from, to, err := d.writer(ctx)
	if err != nil {
		c.ReplicaDetail = err.Error()
		return c
	}
	c.Active, c.Passive = from, to
	c.ActiveWrite = directWrite(ctx, d.l.Prober.APIs[from])
	c.PassiveWrite = directWrite(ctx, d.l.Prober.APIs[to])
	c.PassiveRead = directRead(ctx, d.l.Prober.APIs[to])
	w, _ := d.l.DB.nodeByRegion(from)
	r, _ := d.l.DB.nodeByRegion(to)
	if err := d.l.DB.waitCaughtUp(ctx, r, w, 30*time.Second); err != nil {
		c.ReplicaDetail = err.Error()
		return c
	}
	c.ReplicaConsistent, c.ReplicaDetail = sameData(ctx, w, r, d.l.state.Schema)
	return c
}

// directWrite creates a todo on one region's API, bypassing the front
// door, and labels the answer ("201", "503 region_passive").
func directWrite(ctx context.Context, base string) string {
	start := time.Now()
	_, r, err := checkClient(base).Create(ctx, apiclient.NewTodo{Task: "connection check " + start.UTC().Format(time.RFC3339Nano)}, "")
	return attemptOf(start, r, err).Label()
}

// directRead lists todos on one region's API.
func directRead(ctx context.Context, base string) string {
	start := time.Now()
	_, r, err := checkClient(base).List(ctx, apiclient.ListQuery{Limit: 1})
	return attemptOf(start, r, err).Label()
}

// checkClient is the connection checks' client of one region's API.
func checkClient(base string) *apiclient.Client {
	return &apiclient.Client{BaseURL: base, Timeout: 10 * time.Second}
}

// sameData compares the schema's tables on both servers with CHECKSUM
// TABLE, after the replica caught up.
func sameData(ctx context.Context, w, r *node, schema string) (bool, string) {
	sum := func(n *node) (map[string]int64, error) {
		out := map[string]int64{}
		for _, t := range []string{"todos", "idempotency_keys"} {
			var name string
			var v sql.NullInt64
			if err := n.Admin().QueryRowContext(ctx, "CHECKSUM TABLE "+quoteIdent(schema)+"."+quoteIdent(t)).Scan(&name, &v); err != nil {
				return nil, err
			}
			out[t] = v.Int64
		}
		return out, nil
	}
	a, err := sum(w)
	if err != nil {
		return false, err.Error()
	}
	b, err := sum(r)
	if err != nil {
		return false, err.Error()
	}
	for t, v := range a {
		if b[t] != v {
			return false, fmt.Sprintf("table %s differs: checksum %d on %s, %d on %s", t, v, w.alias, b[t], r.alias)
		}
	}
	return true, ""
}
