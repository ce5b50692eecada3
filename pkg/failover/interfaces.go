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
	// Members are the regional clusters.
	Members []Member
}

// Database is the global database: Aurora Global Database in AWS
// (pkg/awsops), two replicating MySQL containers in the lab (pkg/lab).
// Operations start a change and may return before it completes; the
// orchestrator polls Topology until the change is visible.
type Database interface {
	// Topology describes the global cluster and its members.
	Topology(ctx context.Context) (Topology, error)
	// Switchover makes target the writer without losing data (RPO 0).
	// It needs every member healthy and in sync.
	Switchover(ctx context.Context, target Member) error
	// Failover makes target the writer while the current writer may be
	// unreachable. With allowDataLoss, writes not yet replicated to target
	// are lost; this is the unplanned path.
	Failover(ctx context.Context, target Member, allowDataLoss bool) error
	// Detach removes target from the global cluster, which makes it a
	// standalone writable cluster: the last resort when Failover cannot run.
	Detach(ctx context.Context, target Member) error
}

// Router is the front door: it decides which region takes traffic.
type Router interface {
	// Active returns the region that takes traffic now.
	Active(ctx context.Context) (string, error)
	// Route sends all traffic to region. It is idempotent.
	Route(ctx context.Context, region string) error
}

// APIHealth is what a region's /v1/health reports.
type APIHealth struct {
	Region  string
	OK      bool   // the API answered 200
	Role    string // "active" or "passive", as the API reports it
	Latency time.Duration
	Detail  string // why not OK, when not
}

// Prober checks the regions' APIs from outside.
type Prober interface {
	// Health calls region's health endpoint directly (not through the front
	// door). It returns an error only when the probe itself cannot run;
	// an unhealthy API is reported in APIHealth.
	Health(ctx context.Context, region string) (APIHealth, error)
	// VerifyWrite writes through the front door and reads the write back.
	// It returns the region that served the write.
	VerifyWrite(ctx context.Context) (string, error)
}

// WritePreparer is implemented by a Prober whose write check needs
// something fetched first, such as an access token. Before each write
// attempt the orchestrator calls PrepareWrite with the target region,
// under a deadline of its own, so a slow credential source does not eat
// the write's deadline, and the prober can ask the target region first
// (the other region may be the one that is lost).
type WritePreparer interface {
	PrepareWrite(ctx context.Context, target string) error
}

// Approver confirms a destructive or disruptive plan before it runs.
type Approver interface {
	// Approve returns nil when the plan may run, or an error saying why not
	// (declined, or no confirmation possible without a flag).
	Approve(ctx context.Context, p Plan) error
}

// RecoverySnapshotter is implemented by a Database that can name the
// snapshot it keeps of a former writer after a failover with data loss
// (Aurora: rds:unplanned-global-failover-<cluster>-<timestamp>, taken when
// the old primary's region recovers). The orchestrator asks for it after
// an unplanned failover and reports it; it is optional.
type RecoverySnapshotter interface {
	// RecoverySnapshot returns the snapshot's name, or "" when none
	// exists yet.
	RecoverySnapshot(ctx context.Context, old Member) (string, error)
}

// RunRecord is what a run leaves for the next one: enough to tell a job
// that is done from one whose last step, the write check, did not pass.
type RunRecord struct {
	Kind     Kind   `json:"kind"`
	GlobalID string `json:"globalId"`
	From     string `json:"from"`
	To       string `json:"to"`
	// Verified is true when a write through the front door was served by
	// To.
	Verified bool `json:"verified"`
	// At is when the run's first step started.
	At    time.Time `json:"at"`
	Error string    `json:"error,omitempty"`
}

// RunLog keeps the last run's record from one process to the next (the
// AWS targets: a file in the user's cache directory). It is optional:
// without one, every run plans from the state alone.
type RunLog interface {
	// LastRun returns the last recorded run; false when there is none.
	LastRun(ctx context.Context) (RunRecord, bool, error)
	// RecordRun replaces the record.
	RecordRun(ctx context.Context, r RunRecord) error
}
