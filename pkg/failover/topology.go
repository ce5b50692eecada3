package failover

import (
	"context"
	"time"
)

// Member is one regional cluster of the global database, as the database
// itself reports it.
type Member struct {
	// Region names the member's region ("us-east-1", or "lab-a" in the lab).
	Region string
	// ID identifies the member to Database methods: the cluster ARN in AWS,
	// the database server's network alias in the lab (db-lab-a).
	ID string
	// Name is the member's name within its region, where the database
	// has one apart from ID: the DB cluster identifier in AWS, which
	// CloudWatch and snapshots are keyed by. Empty in the lab.
	Name string
	// Writer is true for the member that takes writes.
	Writer bool
	// Status is the cluster's status ("available", ...). An open set: only
	// "available" is treated as ready.
	Status string
	// Instances is the number of DB instances in the cluster. A member
	// without instances cannot be promoted.
	Instances int
	// EngineVersion is the engine version, which must match for a switchover.
	EngineVersion string
	// Sync is the member's synchronization status ("connected",
	// "pending-resync", ...). An open set: only "connected" counts as in sync.
	// Empty for the writer.
	Sync string
	// Lag is the replication lag of a reader; LagKnown is false when the
	// database could not tell it (for instance, the writer is unreachable).
	Lag      time.Duration
	LagKnown bool
	// DeletionProtection and BackupRetention are the cluster's, as its
	// own region described it with the rest of the member (the AWS
	// DescribeDBClusters Topology makes anyway); SafeguardsKnown is false
	// when they were not told (the region did not answer, or the database
	// has none to tell, as in the lab), and then DeletionProtection false
	// means "unknown", not "off".
	DeletionProtection bool
	BackupRetention    time.Duration
	SafeguardsKnown    bool
}

// Topology is the state of the global database.
type Topology struct {
	// ID names the global cluster.
	ID string
	// Status is the global cluster's status ("available", "failing-over",
	// "switching-over", ...). An open set: only "available" is ready.
	Status string
	// Operation is the global cluster's failover state when one is in
	// progress ("pending", "failing-over", "cancelling"), else empty.
	Operation string
	// OperationTo is the ID of the member an operation in progress
	// promotes, when the database tells it; empty otherwise.
	OperationTo string
	// DeletionProtection is the global cluster's, as the region that
	// described it told it; DeletionProtectionKnown is false when it was
	// not told (a database without one, as in the lab), and then
	// DeletionProtection false means "unknown", not "off".
	DeletionProtection      bool
	DeletionProtectionKnown bool
	// Members are the regional clusters.
	Members []Member
}

// Writer returns the member that takes writes, if exactly one does.
func (t Topology) Writer() (Member, bool) {
	var w Member
	n := 0
	for _, m := range t.Members {
		if m.Writer {
			w = m
			n++
		}
	}
	return w, n == 1
}

// Member returns the member in region.
func (t Topology) Member(region string) (Member, bool) {
	for _, m := range t.Members {
		if m.Region == region {
			return m, true
		}
	}
	return Member{}, false
}

// MemberByID returns the member whose ID is id.
func (t Topology) MemberByID(id string) (Member, bool) {
	for _, m := range t.Members {
		if m.ID == id {
			return m, true
		}
	}
	return Member{}, false
}

// statusAvailable is the only status string treated as ready. Status sets
// are open: anything else, including values this code has never seen,
// means "not yet".
const StatusAvailable = "available"

// syncConnected is the only synchronization status treated as in sync.
const SyncConnected = "connected"

// Database is the global database: Aurora Global Database in AWS
// (pkg/awsfailover), two replicating MySQL containers in the lab
// (internal/lab/globaldb). Operations start a change and may return before it
// completes; the orchestrator polls Topology until the change is visible.
//
// Operations act on the members the plan chose, as Topology reported
// them (their Region, ID and Name): an implementation does not read the
// topology again to find them, nor derive a member's region from its ID.
type Database interface {
	// Topology describes the global cluster and its members.
	Topology(ctx context.Context) (Topology, error)
	// Switchover makes to the writer without losing data (RPO 0); from
	// is the current writer. It needs every member healthy and in sync.
	Switchover(ctx context.Context, from, to Member) error
	// Failover makes target the writer while the current writer may be
	// unreachable. With allowDataLoss, writes not yet replicated to target
	// are lost; this is the unplanned path.
	Failover(ctx context.Context, target Member, allowDataLoss bool) error
	// Detach removes target from the global cluster, which makes it a
	// standalone writable cluster: the last resort when Failover cannot run.
	Detach(ctx context.Context, target Member) error
}

// RegionalTopology is implemented by a Database that can read the
// topology from one region's API alone. An unplanned failover reads the
// topology from its target region, whose view is the one that counts
// while the old writer's region is lost (a lost region may still answer,
// with a stale view); it falls back to Topology, with a note, when the
// target region does not answer.
type RegionalTopology interface {
	TopologyFrom(ctx context.Context, region string) (Topology, error)
}
