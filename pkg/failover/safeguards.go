package failover

import (
	"context"
	"time"
)

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
	// global cluster's, as the topology read it. WantDeletionProtection
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
// region's safeguards. The topology tells most of them (the global
// cluster's deletion protection, each member's deletion protection and
// backup retention); Safeguards adds what it does not (AWS: the recovery
// snapshots, DescribeDBClusterSnapshots in the member's region) and what
// the deployment asks.
type SafeguardReader interface {
	// Safeguards returns the safeguards of member m of topology t, as t
	// reported them: it neither reads the topology again nor looks for
	// m by its region, and asks m's region alone for what t does not
	// tell. An error means they could not be read (t does not tell
	// them, or m's region does not answer).
	Safeguards(ctx context.Context, t Topology, m Member) (Safeguards, error)
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
