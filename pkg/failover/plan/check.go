package plan

import (
	"slices"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

// Check names one precondition a plan checks. Every refusal and every
// warning of a plan is a Finding of one check, so that a failover:plan
// line, a readiness log line and an alarm all name the same thing.
type Check string

// The checks. The readiness table of
// docs/runbook.md#failover-readiness-all-the-time says what each failing
// one means and its remedy.
const (
	// CheckTopology: the global database is readable (from the region
	// that matters), has one writer and two members, is available, and no
	// operation is in progress on it.
	CheckTopology Check = "topology"
	// CheckCluster: the clusters involved are available, have a DB
	// instance, and (switchover) run the same engine version.
	CheckCluster Check = "cluster"
	// CheckReplication: the reader to promote is in sync with a known
	// lag under the bound.
	CheckReplication Check = "replication"
	// CheckAPIHealth: the APIs involved answer /v1/health.
	CheckAPIHealth Check = "api-health"
	// CheckFrontDoor: the front door can be read and sends traffic to the
	// writer.
	CheckFrontDoor Check = "front-door"
	// CheckProxyTarget: the RDS Proxy of the writer's region has an
	// available read/write target, and the proxy of the region to promote
	// an available target it can log in to (its writer after the
	// promotion).
	CheckProxyTarget Check = "proxy-target"
	// CheckUserPool: the user pool of the region that takes over (both,
	// for a switchover) answers: the write check and the clients need a
	// token from it.
	CheckUserPool Check = "user-pool"
	// CheckIDFence: the database can fence ids (a failover that may lose
	// data needs it).
	CheckIDFence Check = "id-fence"
	// CheckDeletionProtection: the global cluster and the clusters
	// involved are protected from deletion, as the deployment asks.
	CheckDeletionProtection Check = "deletion-protection"
	// CheckBackupRetention: the clusters involved keep their automated
	// backups (and with them the recovery snapshot of an unplanned
	// failover) as long as the deployment asks.
	CheckBackupRetention Check = "backup-retention"
	// CheckRecoverySnapshot: every recovery snapshot an unplanned
	// failover left of a former writer (it holds the writes that failover
	// lost) has a manual copy, since the snapshot itself expires with the
	// cluster's backup retention.
	CheckRecoverySnapshot Check = "recovery-snapshot"
	// CheckTarget: the target region is one the plan can move to.
	CheckTarget Check = "target"
	// CheckLastRun: the plan does not undo what the last, unverified run
	// did.
	CheckLastRun Check = "last-run"
	// CheckUnfinishedMove: the plan does not promote the region a move
	// of the writer was leaving while the id fence shows that move
	// unfinished (the fence does not name the writer).
	CheckUnfinishedMove Check = "unfinished-move"
	// CheckDetachedWriter: the plan does not move the traffic away from
	// a region a detach made a standalone writer (its own id fence names
	// it at a higher term than the global database's).
	CheckDetachedWriter Check = "detached-writer"
)

// kindChecks are the checks each kind of plan makes, in report order.
// CheckTarget, CheckLastRun, CheckUnfinishedMove and CheckDetachedWriter
// are not listed: they concern the choice of the target, the run log and
// the id fence's marker, not the deployment's readiness, and appear only
// when they fail.
var kindChecks = map[failover.Kind][]Check{
	failover.KindPlanned: {CheckTopology, CheckCluster, CheckReplication, CheckAPIHealth, CheckFrontDoor,
		CheckProxyTarget, CheckUserPool, CheckDeletionProtection, CheckBackupRetention},
	failover.KindUnplanned: {CheckTopology, CheckCluster, CheckReplication, CheckAPIHealth, CheckFrontDoor,
		CheckProxyTarget, CheckUserPool, CheckIDFence, CheckDeletionProtection, CheckBackupRetention, CheckRecoverySnapshot},
	failover.KindDetach: {CheckTopology, CheckCluster, CheckFrontDoor, CheckIDFence},
}

// Checks returns the checks a plan of kind k makes, in report order.
func Checks(k failover.Kind) []Check { return slices.Clone(kindChecks[k]) }

// Finding is a check that does not hold.
type Finding struct {
	Check  Check  `json:"check"`
	Detail string `json:"detail"`
	// Refuses is true when the plan refuses to run because of it. A
	// finding that does not refuse is a warning: the plan would run, but
	// something it relies on is missing (it is not ready).
	Refuses bool `json:"refuses,omitempty"`
}

// Skip is a check a plan did not make, and why: the adapters cannot tell
// (the lab has no Cognito), the deployment does not ask for it, or the
// plan stopped before it.
type Skip struct {
	Check Check  `json:"check"`
	Why   string `json:"why"`
}
