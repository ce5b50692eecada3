package failover

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// State is what the orchestrator's Evaluate saw: the database, the front door and the APIs.
// A part that could not be read carries its error instead of failing the
// whole evaluation, because the unplanned path must work while a region is
// down.
type State struct {
	// At is when the evaluation started.
	At time.Time
	// Topology is the global database; TopologyErr is set when it could
	// not be read.
	Topology    Topology
	TopologyErr error
	// Active is the region the front door sends traffic to; ActiveErr is
	// set when it could not be read.
	Active    string
	ActiveErr error
	// Health is each region's API health, by region. A probe that could
	// not run is recorded as not OK with the error as Detail.
	Health map[string]APIHealth
	// LastRun is the last run's record, nil when there is none (or no
	// RunLog); LastRunErr is set when it could not be read.
	LastRun    *RunRecord
	LastRunErr error
	// FencesIDs is true when the database can fence ids (IDFencer).
	FencesIDs bool
	// LagEvidence is the replication-lag history as a secondary, by
	// region, when the database keeps one (LagHistorian): the orchestrator's
	// Plan reads the target's when the plan may lose data; its Evaluate
	// reads none.
	LagEvidence map[string]LagEvidence
	// TopologyFrom names the region whose API the topology was read from
	// (RegionalTopology; an unplanned failover asks its target region);
	// empty when any region could answer. TopologyNote says why it is
	// not the target region's view when that could not be read.
	TopologyFrom string
	TopologyNote string
	// Proxies are each region's proxy targets when the database has
	// proxies (ProxyInspector), nil otherwise; a read that failed is
	// recorded as not Known.
	Proxies map[string]ProxyTargets
	// Pools are each region's user pool when the prober checks them
	// (IdentityProber), nil otherwise; a probe that could not run is
	// recorded as not OK. PoolsNotApplicable says why there is no pool to
	// check (ErrNotApplicable: the lab has no Cognito).
	Pools              map[string]UserPool
	PoolsNotApplicable string
	// Safeguards are each region's safeguards when the database tells
	// them (SafeguardReader), nil otherwise: those of the topology's
	// member in the region. A read that failed, or a region without a
	// member, is recorded as not Known.
	Safeguards map[string]Safeguards
	// Fences are the id fence as each region's database reads it, when
	// the database can read it (FenceReader), nil otherwise; a read that
	// failed is recorded as not Known. FenceMark says what they tell.
	Fences map[string]FenceState
}

// Regions returns the regions in the state: the database members' first,
// in topology order, then any other region that was probed, sorted.
func (s State) Regions() []string {
	var out []string
	for _, m := range s.Topology.Members {
		if !slices.Contains(out, m.Region) {
			out = append(out, m.Region)
		}
	}
	var extra []string
	for r := range s.Health {
		if !slices.Contains(out, r) {
			extra = append(extra, r)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// Problems lists where the parts disagree or fail in a way that needs an
// operator: traffic routed to a reader, an API claiming the wrong role, a
// region whose API does not answer, an unreadable part. An empty list
// means the deployment is consistent. mage status exits non-zero on any.
func (s State) Problems() []string {
	var out []string
	if s.TopologyErr != nil {
		out = append(out, fmt.Sprintf("cannot read the global database: %v", s.TopologyErr))
	}
	writer, hasWriter := s.Topology.Writer()
	if s.TopologyErr == nil && !hasWriter {
		out = append(out, "the global database does not have exactly one writer")
	}
	if s.ActiveErr != nil {
		out = append(out, fmt.Sprintf("cannot read the front door's active region: %v", s.ActiveErr))
	} else if hasWriter && s.Active != writer.Region {
		out = append(out, fmt.Sprintf("the front door sends traffic to %s but the writer is in %s", orUnknown(s.Active), writer.Region))
	}
	for _, r := range s.Regions() {
		h, ok := s.Health[r]
		if !ok {
			continue
		}
		if !h.OK {
			out = append(out, fmt.Sprintf("the API in %s does not answer: %s", r, orUnknown(h.Detail)))
			continue
		}
		if !hasWriter || h.Role == "" {
			continue
		}
		if h.Role == "active" && r != writer.Region {
			out = append(out, fmt.Sprintf("the API in %s reports role active but the writer is in %s", r, writer.Region))
		}
		if h.Role == "passive" && r == writer.Region {
			out = append(out, fmt.Sprintf("the API in %s reports role passive but its cluster is the writer", r))
		}
	}
	// A fence that does not name the writer: a move to it has not
	// finished, and creates there answer region_passive until it does.
	if mark, ok := s.FenceMark(); ok && hasWriter && mark.Known && !mark.Names(writer.Region) {
		out = append(out, fmt.Sprintf("the id fence names %s (term %d) but the writer is in %s: a move to %s has not finished and creates there answer region_passive until a run finishes it (the failover plan says how)",
			orUnknown(mark.Fence.Region), mark.Fence.Term, writer.Region, writer.Region))
	}
	return out
}

// Warnings lists conditions that are not disagreements but would make a
// planned switchover refuse: an operation in progress, a reader out of
// sync or with unknown lag, a cluster that is not available.
func (s State) Warnings() []string {
	if s.TopologyErr != nil {
		return nil
	}
	var out []string
	t := s.Topology
	if t.Operation != "" {
		out = append(out, fmt.Sprintf("an operation is in progress on the global database (failover state %q)", t.Operation))
	}
	if t.Status != StatusAvailable {
		out = append(out, fmt.Sprintf("the global database's status is %q", orUnknown(t.Status)))
	}
	for _, m := range t.Members {
		if m.Status != StatusAvailable {
			out = append(out, fmt.Sprintf("the cluster in %s has status %q", m.Region, orUnknown(m.Status)))
		}
		if !m.Writer && m.Sync != SyncConnected {
			out = append(out, fmt.Sprintf("the cluster in %s is not in sync (%q)", m.Region, orUnknown(m.Sync)))
		}
		if !m.Writer && !m.LagKnown {
			out = append(out, fmt.Sprintf("the replication lag of %s is unknown", m.Region))
		}
	}
	return out
}

// Column is an extra column of the status table, filled per region.
type Column struct {
	Name  string
	Value func(region string) string
}

// WriteTable prints the state as a table with one row per region: role,
// cluster status, synchronization, lag, API health and role, and whether
// the front door sends traffic there; extra columns follow. Problems and
// warnings are listed under the table.
func (s State) WriteTable(w io.Writer, extra ...Column) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"REGION", "DB ROLE", "CLUSTER", "SYNC", "LAG", "ENGINE", "API", "API ROLE", "TRAFFIC"}
	for _, c := range extra {
		head = append(head, strings.ToUpper(c.Name))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range s.Regions() {
		row := []string{r, "-", "-", "-", "-", "-", "-", "-", ""}
		if m, ok := s.Topology.Member(r); ok {
			row[1] = "reader"
			if m.Writer {
				row[1] = "writer"
			}
			row[2] = fmt.Sprintf("%s (%d inst)", orDash(m.Status), m.Instances)
			if !m.Writer {
				row[3] = orDash(m.Sync)
				row[4] = "unknown"
				if m.LagKnown {
					row[4] = m.Lag.String()
				}
			}
			row[5] = orDash(m.EngineVersion)
		}
		if h, ok := s.Health[r]; ok {
			if h.OK {
				row[6] = "ok " + h.Latency.Round(time.Millisecond).String()
			} else {
				row[6] = "DOWN: " + orDash(h.Detail)
			}
			row[7] = orDash(h.Role)
		}
		if s.ActiveErr == nil && s.Active == r {
			row[8] = "<- front door"
		}
		for _, c := range extra {
			row = append(row, orDash(c.Value(r)))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	t := s.Topology
	if s.TopologyErr == nil {
		fmt.Fprintf(w, "global database %s: %s", orDash(t.ID), orDash(t.Status))
		if t.Operation != "" {
			fmt.Fprintf(w, ", operation %s", t.Operation)
		}
		fmt.Fprintln(w)
	}
	for _, p := range s.Problems() {
		fmt.Fprintf(w, "PROBLEM: %s\n", p)
	}
	for _, p := range s.Warnings() {
		fmt.Fprintf(w, "warning: %s\n", p)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
