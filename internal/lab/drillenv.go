package lab

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/internal/lab/globaldb"
	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/drill"
	"github.com/todomgmt/todomgmt/pkg/drill/load"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// DrillEnv is a running lab as a drill.Environment, the adapter the
// drill runner (pkg/drill) takes. Besides what every environment does, it
// has the parts only the lab has: it can kill the writer's database
// (drill.Outages, the unplanned round), it reads what the writer holds as
// root on the server (drill.DatabaseReader, so the stale-ETag checks have
// an independent reference), and it checks each region after a switch
// (drill.RoleChecker). The lab's data is thrown away with it, so it is no
// drill.Cleaner.
type DrillEnv struct {
	l       *Lab
	printer orchestrator.Printer
}

var (
	_ drill.Environment    = (*DrillEnv)(nil)
	_ drill.Outages        = (*DrillEnv)(nil)
	_ drill.DatabaseReader = (*DrillEnv)(nil)
	_ drill.RoleChecker    = (*DrillEnv)(nil)
)

// NewDrillEnv returns l as a drill environment whose orchestrator runs
// print to printer (nil discards them).
func NewDrillEnv(l *Lab, printer orchestrator.Printer) *DrillEnv {
	return &DrillEnv{l: l, printer: printer}
}

// Describe names the lab, its run, image and database flavour.
func (e *DrillEnv) Describe(context.Context) drill.Description {
	st := e.l.State()
	return drill.Description{Name: "lab", RunID: st.RunID, Image: st.Image, Flavour: st.Flavour}
}

// Access is the front door and the regional APIs on loopback, without
// tokens.
func (e *DrillEnv) Access() load.Access {
	return load.Access{FrontDoor: e.l.FrontDoor.URL(), APIs: e.l.Prober.APIs}
}

// Writer returns the current writer's region and the other one, as the
// servers report them.
func (e *DrillEnv) Writer(ctx context.Context) (writer, other string, err error) {
	top, err := e.l.DB.Topology(ctx)
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

// Switch runs the real orchestrator over the lab's adapters. The target
// goes in as an operator's would (failover.ParseTarget).
func (e *DrillEnv) Switch(ctx context.Context, kind failover.Kind, to string) (orchestrator.Report, error) {
	target, err := failover.ParseTarget(to, e.l.Regions())
	if err != nil {
		return orchestrator.Report{}, err
	}
	return e.l.Orchestrator(drill.AutoApprove{}, e.printer).Run(ctx, kind, plan.Options{Target: target})
}

// Holding is ReadDatabase: in the lab the writer's rows are read as root.
func (e *DrillEnv) Holding(ctx context.Context, prefix string, ids []int64) (load.Holding, error) {
	return e.ReadDatabase(ctx, prefix, ids)
}

// ReadDatabase reads, as root on the current writer (as the servers'
// topology names it), the load's todos: every row whose task carries the
// scenario's prefix, and any row with one of ids. Without a single
// available writer there is nothing to read: every acknowledged write
// then counts as lost, and the error says why.
func (e *DrillEnv) ReadDatabase(ctx context.Context, prefix string, ids []int64) (load.Holding, error) {
	h := load.Holding{At: time.Now(), ByID: map[int64]load.Held{}}
	writer, _, err := e.Writer(ctx)
	if err != nil {
		return h, err
	}
	admin, err := e.l.DB.Admin(writer)
	if err != nil {
		return h, err
	}
	return h, readHeld(ctx, admin, e.l.State().Schema, prefix, ids, h.ByID)
}

// readHeld adds to into the todos whose task carries the prefix and those
// with one of ids, in batches of ids.
func readHeld(ctx context.Context, db *sql.DB, schema, prefix string, ids []int64, into map[int64]load.Held) error {
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(load.TaskPrefix+prefix+"-") + "%"
	query := func(where string, args ...any) error {
		rows, err := db.QueryContext(ctx,
			"SELECT id, task, version, write_tag FROM "+quoteIdent(schema)+".todos WHERE "+where, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h load.Held
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

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// CheckRoles writes to each region's API directly and compares the
// replica's data with the writer's.
func (e *DrillEnv) CheckRoles(ctx context.Context) drill.Checks {
	var c drill.Checks
	from, to, err := e.Writer(ctx)
	if err != nil {
		c.ReplicaDetail = err.Error()
		return c
	}
	apis := e.l.Prober.APIs
	c.Active, c.Passive = from, to
	c.ActiveWrite = directWrite(ctx, apis[from])
	c.PassiveWrite = directWrite(ctx, apis[to])
	c.PassiveRead = directRead(ctx, apis[to])
	if err := e.l.DB.WaitCaughtUp(ctx, to, from, 30*time.Second); err != nil {
		c.ReplicaDetail = err.Error()
		return c
	}
	c.ReplicaConsistent, c.ReplicaDetail = e.sameData(ctx, from, to)
	return c
}

// directWrite creates a todo on one region's API, bypassing the front
// door, and labels the answer ("201", "503 region_passive").
func directWrite(ctx context.Context, base string) string {
	start := time.Now()
	_, r, err := checkClient(base).Create(ctx, apiclient.NewTodo{Task: "connection check " + start.UTC().Format(time.RFC3339Nano)}, "")
	return load.AttemptOf(start, r, err).Label()
}

// directRead lists todos on one region's API.
func directRead(ctx context.Context, base string) string {
	start := time.Now()
	_, r, err := checkClient(base).List(ctx, apiclient.ListQuery{Limit: 1})
	return load.AttemptOf(start, r, err).Label()
}

// checkClient is the connection checks' client of one region's API.
func checkClient(base string) *apiclient.Client {
	return &apiclient.Client{BaseURL: base, Timeout: 10 * time.Second}
}

// sameData compares the schema's tables on the writer's and the
// replica's servers with CHECKSUM TABLE, after the replica caught up.
func (e *DrillEnv) sameData(ctx context.Context, writer, replica string) (bool, string) {
	st := e.l.State()
	alias := map[string]string{}
	for _, r := range st.Regions {
		alias[r.Region] = r.Alias
	}
	sum := func(region string) (map[string]int64, error) {
		db, err := e.l.DB.Admin(region)
		if err != nil {
			return nil, err
		}
		out := map[string]int64{}
		for _, t := range []string{"todos", "idempotency_keys"} {
			var name string
			var v sql.NullInt64
			if err := db.QueryRowContext(ctx, "CHECKSUM TABLE "+quoteIdent(st.Schema)+"."+quoteIdent(t)).Scan(&name, &v); err != nil {
				return nil, err
			}
			out[t] = v.Int64
		}
		return out, nil
	}
	a, err := sum(writer)
	if err != nil {
		return false, err.Error()
	}
	b, err := sum(replica)
	if err != nil {
		return false, err.Error()
	}
	for t, v := range a {
		if b[t] != v {
			return false, fmt.Sprintf("table %s differs: checksum %d on %s, %d on %s", t, v, alias[writer], b[t], alias[replica])
		}
	}
	return true, ""
}

// Outage prepares the loss of writer's region: the lab's one unplanned
// rehearsal (globaldb.Outage), step by step.
func (e *DrillEnv) Outage(ctx context.Context, writer string) (drill.Outage, error) {
	o, err := globaldb.NewOutage(ctx, e.l.DB)
	if err != nil {
		return nil, err
	}
	if o.Writer != writer {
		return nil, fmt.Errorf("the writer is %s now, not %s", o.Writer, writer)
	}
	return outage{o}, nil
}

// outage is a globaldb.Outage as the drill takes it.
type outage struct{ o *globaldb.Outage }

func (o outage) Cut(ctx context.Context) error  { return o.o.Cut(ctx) }
func (o outage) Kill(ctx context.Context) error { return o.o.Kill(ctx) }

func (o outage) Unreplicated(ctx context.Context) (int64, error) {
	snap, err := o.o.Snapshot(ctx)
	return snap.Unreplicated, err
}

func (o outage) Received(ctx context.Context) (drill.Fault, error) { return o.o.RecordFault(ctx) }

func (o outage) Discarded(ctx context.Context) (int64, string, error) { return o.o.Discarded(ctx) }

func (o outage) Restore(ctx context.Context) (*drill.Rebuild, error) { return o.o.Restore(ctx) }

func (o outage) UnreplicatedAtFault() (int64, string, error) { return o.o.Unreplicated() }
