package failover

import (
	"context"
	"errors"
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
// (pkg/awsops), two replicating MySQL containers in the lab
// (pkg/lab/globaldb). Operations start a change and may return before it
// completes; the orchestrator polls Topology until the change is visible.
//
// Operations act on the members the plan chose, as Topology reported
// them (their Region, ID and Name): an implementation does not read the
// topology again to find them.
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
	// DataLoss is true when the run's move of the writer may have lost
	// data (an unplanned failover, a detach, or finishing a move not
	// known to be lossless): a run that finishes it fences ids with a
	// gap, whatever its own kind.
	DataLoss bool `json:"dataLoss"`
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

// FenceRequest asks a Database to fence the id counter on the target's
// writer: from then on only Region's writer may create todos, and its
// next id is past any id the old writer can have handed out. It mirrors
// the store's fence (pkg/mysql), which this package does not import.
type FenceRequest struct {
	// Region is the region whose writer may create from now on.
	Region string `json:"region"`
	// DataLoss is true when the old writer may have issued ids this
	// writer lacks (a failover with data loss, a detach, or a move this
	// run cannot tell was lossless): the store then leaves a gap sized
	// from the data and Lag.
	DataLoss bool `json:"dataLoss"`
	// Lag is the measured bound on lost writes (zero when unknown or
	// when nothing was lost).
	Lag time.Duration `json:"lag"`
	// MinGap is the gap's floor when DataLoss; zero is the store's
	// default.
	MinGap int64 `json:"minGap,omitempty"`
}

// FenceResult is what a fence did.
type FenceResult struct {
	Region string `json:"region"`
	// Term is the fence's term, one more per fence.
	Term int64 `json:"term"`
	// Skipped is true when the fence already named Region: nothing
	// changed (re-runs are safe).
	Skipped bool `json:"skipped"`
	// MaxID is the largest id the writer held; the next id is at least
	// Floor; Gap is Floor - MaxID - 1 (0 for a lossless move).
	MaxID int64 `json:"maxId"`
	Floor int64 `json:"floor"`
	Gap   int64 `json:"gap"`
	// Rate is the ids per second consumed recently, measured from the
	// data; Window how long the old writer may have issued ids this
	// writer lacks.
	Rate   float64       `json:"rate"`
	Window time.Duration `json:"window"`
	// Reason says in one sentence how the gap was sized.
	Reason string `json:"reason"`
}

// IDFencer is implemented by a Database whose store gates creates on an
// id fence (AWS: the target region's migrate function; the lab: the
// store's fence run as root on the target server). Every plan that moves
// the writer fences right after the target is confirmed as the writer
// and before the write check: creates in a region are refused until a
// fence names it. Fencing a region the fence already names changes
// nothing (FenceResult.Skipped).
type IDFencer interface {
	// FenceIDs runs the fence on target's writer. It fails when target
	// is not writable.
	FenceIDs(ctx context.Context, target Member, req FenceRequest) (FenceResult, error)
}

// LagDatapoint is one replication-lag datapoint the database published.
type LagDatapoint struct {
	Metric string        `json:"metric"`
	At     time.Time     `json:"at"`
	Value  time.Duration `json:"value"`
}

// LagEvidence is the bound on writes lost by a failover with data loss,
// read from the target's replication-lag history around the moment the
// writer became unreachable, and the datapoints it was read from. It does
// not depend on when the plan runs: an operator who plans hours after the
// fault gets the same bound.
type LagEvidence struct {
	// Region is the member whose lag history this is.
	Region string `json:"region"`
	// Bound is the largest lag among Used; Known is false when no
	// datapoint fits (Why says why).
	Bound time.Duration `json:"bound"`
	Known bool          `json:"known"`
	// FaultAt is when the writer became unreachable as the history
	// shows it; zero when the history shows no fault (replication was
	// still live at its last datapoint).
	FaultAt time.Time `json:"faultAt,omitzero"`
	// Why says how FaultAt was found, or why there is no bound.
	Why string `json:"why"`
	// From and To bound the window whose datapoints were used.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Used are the datapoints in the window, oldest first.
	Used []LagDatapoint `json:"used,omitempty"`
}

// LagHistorian is implemented by a Database that keeps its members'
// replication-lag history (Aurora: CloudWatch). The orchestrator reads
// the target's when planning, and a failover with data loss reports
// that bound and gives it to the id fence.
type LagHistorian interface {
	// LagEvidence reads member's lag history as a secondary. An error
	// means the history could not be read at all.
	LagEvidence(ctx context.Context, member Member) (LagEvidence, error)
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

// ProxyTargets is what a region's database proxy (RDS Proxy; the lab's
// endpoints) reaches: the instances of that region's cluster behind its
// read/write endpoint. A proxy whose region has the writer needs an
// available target in the read/write role; the region to promote needs an
// available target the proxy can log in to, which becomes the read/write
// one once promoted.
type ProxyTargets struct {
	Region string `json:"region"`
	// Known is false when the targets could not be read (Detail says
	// why).
	Known bool `json:"known"`
	// Total counts the instance targets; Available those the proxy
	// reaches and logs in to; Writers those of them in the read/write
	// role; AuthFailures those it cannot log in to (its secret does not
	// match the database user's password).
	Total        int `json:"total"`
	Available    int `json:"available"`
	Writers      int `json:"writers"`
	AuthFailures int `json:"authFailures"`
	// Detail says why targets are unavailable, or why none could be read.
	Detail string `json:"detail,omitempty"`
}

// ProxyInspector is implemented by a Database whose regions reach it
// through a proxy (AWS: DescribeDBProxyTargets; the lab: its endpoints).
// Evaluate reads every region's; an error is recorded as unknown targets.
type ProxyInspector interface {
	// ProxyTargets reads region's proxy targets. An error means they
	// could not be read at all (the region does not answer).
	ProxyTargets(ctx context.Context, region string) (ProxyTargets, error)
}

// UserPool is a region's identity provider (a Cognito user pool), as
// probed: the write check and the clients need a token from the pool of
// the region that takes over.
type UserPool struct {
	Region string `json:"region"`
	OK     bool   `json:"ok"`
	// ID names the pool; Detail says why it is not OK.
	ID     string `json:"id,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// ErrNotApplicable is wrapped by an optional probe's error when the
// deployment has nothing to probe (the lab has no Cognito): the check is
// then skipped, saying why, never passed.
var ErrNotApplicable = errors.New("not applicable")

// IdentityProber is implemented by a Prober that can check each region's
// identity provider. It returns an error wrapping ErrNotApplicable when
// the deployment has none.
type IdentityProber interface {
	// UserPool probes region's pool; a pool that does not answer is
	// reported as not OK, an error means the probe could not run.
	UserPool(ctx context.Context, region string) (UserPool, error)
}

// Safeguards are what keeps a region's data from being lost by mistake,
// and what the deployment asks of them.
type Safeguards struct {
	Region string `json:"region"`
	// Known is false when they could not be read (Detail says why).
	Known  bool   `json:"known"`
	Detail string `json:"detail,omitempty"`
	// Cluster names the region's cluster.
	Cluster string `json:"cluster,omitempty"`
	// DeletionProtection is the cluster's; GlobalDeletionProtection the
	// global cluster's, as this region reads it. WantDeletionProtection
	// says whether the deployment asks for it (its DeletionProtection
	// parameter).
	DeletionProtection       bool `json:"deletionProtection"`
	GlobalDeletionProtection bool `json:"globalDeletionProtection"`
	WantDeletionProtection   bool `json:"wantDeletionProtection"`
	// BackupRetention is how long the cluster keeps automated backups,
	// and the system snapshots with them; WantBackupRetention what the
	// deployment sets (zero: no expectation).
	BackupRetention     time.Duration `json:"backupRetention"`
	WantBackupRetention time.Duration `json:"wantBackupRetention"`
	// RecoverySnapshots are the snapshots an unplanned failover left of
	// this region's cluster when it was the writer (Aurora takes one when
	// the old writer's region recovers): they hold the writes that
	// failover lost.
	RecoverySnapshots []RecoverySnapshot `json:"recoverySnapshots,omitempty"`
}

// RecoverySnapshot is one snapshot an unplanned failover left of a
// former writer.
type RecoverySnapshot struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Expires is when the database deletes it (with the cluster's backup
	// retention); zero when it does not expire (a manual snapshot).
	Expires time.Time `json:"expires,omitzero"`
	// CopiedTo names a manual copy of it, "" when there is none.
	CopiedTo string `json:"copiedTo,omitempty"`
}

// SafeguardReader is implemented by a Database that can tell each
// region's safeguards (AWS: DescribeGlobalClusters, DescribeDBClusters and
// DescribeDBClusterSnapshots in that region).
type SafeguardReader interface {
	// Safeguards reads region's safeguards from that region alone. An
	// error means they could not be read (the region does not answer).
	Safeguards(ctx context.Context, region string) (Safeguards, error)
}
