package drill

import (
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
)

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
	DiscardedAtPromotion *int64 `json:"discardedAtPromotion,omitempty"`
	// Rebuild is what became of the old writer: rebuilt as a replica of
	// the new one (nil when it was brought back as it was).
	Rebuild *Rebuild `json:"rebuild,omitempty"`
	// Report is the orchestrator's report.
	Report orchestrator.Report `json:"orchestrator"`
	// Checks are the connection checks after the scenario (RoleChecker;
	// empty without one).
	Checks Checks `json:"checks"`
	// Cleanup is what became of the scenario's todos (Cleaner; nil
	// without one: the lab's are thrown away with it).
	Cleanup *Cleanup `json:"cleanup,omitempty"`
	// Errors are failures of the scenario itself (the orchestrator's
	// included), not of client writes.
	Errors []string `json:"errors,omitempty"`
}

// Checks are the connection checks after a role change:
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

// ok reports whether the scenario ran as planned: no error, and the
// orchestrator verified a write served by the target region.
func (s Scenario) ok() bool { return len(s.Errors) == 0 && s.Report.Verified }

// Seconds is a duration written as seconds in JSON.
type Seconds float64

// Duration converts s back.
func (s Seconds) Duration() time.Duration { return time.Duration(float64(s) * float64(time.Second)) }

func secondsOf(d time.Duration) Seconds { return Seconds(d.Seconds()) }

// Fault is what the replica had received of the writer's transactions
// when the writer stopped, read from it before anything was promoted: the
// reference of the unplanned round's two loss measures (Outage).
type Fault struct {
	// Writer is the region whose database stopped, Replica the other.
	Writer  string    `json:"writer"`
	Replica string    `json:"replica"`
	At      time.Time `json:"at"`
	Flavour string    `json:"flavour"`
	// Executed is the replica's executed GTID position (MariaDB) or set
	// (MySQL). Retrieved is what its IO thread had received: Gtid_IO_Pos
	// (MariaDB, complete event groups only) or Retrieved_Gtid_Set (MySQL).
	// Received merges the two: everything the replica held, applied or
	// still in its relay log.
	Executed  string `json:"executed"`
	Retrieved string `json:"retrieved"`
	Received  string `json:"received"`
}

// Rebuild is what became of the old writer after an unplanned failover.
type Rebuild struct {
	Member string `json:"member"`
	Writer string `json:"writer"`
	// Position is the member's executed GTID position (MariaDB) or set
	// (MySQL) as it came back: everything it committed.
	Position string `json:"position,omitempty"`
	// Diverged counts the transactions the member had that the writer
	// never received; DivergedPosition names them when there are any.
	Diverged         int64  `json:"diverged"`
	DivergedPosition string `json:"divergedPosition,omitempty"`
	// Reseeded is true when the member's data was replaced by a copy of
	// the writer's; Snapshot names the file that keeps what it had.
	Reseeded bool   `json:"reseeded"`
	Snapshot string `json:"snapshot,omitempty"`
	// Took is the time from the start of the rebuild to the member being
	// caught up.
	Took time.Duration `json:"tookNs"`
}

// Cleanup is what became of a scenario's todos in a deployment whose data
// outlives the drill (Cleaner).
type Cleanup struct {
	// Prefix starts the task of every todo the scenario wrote.
	Prefix string `json:"prefix"`
	// Deleted counts the todos deleted; Error says why some may remain.
	Deleted int    `json:"deleted"`
	Error   string `json:"error,omitempty"`
}

// Goals are the timing targets the report checks.
type Goals struct {
	// NoWrite bounds the median time clients could not write across a
	// planned switchover or failback.
	NoWrite Seconds `json:"plannedNoWriteSeconds"`
	// Restore bounds the median time from an unplanned fault to the first
	// write the new region acknowledged.
	Restore Seconds `json:"unplannedRestoreSeconds"`
}

// DefaultGoals are the lab drill's targets: no write for at most 5 s
// across a planned switchover, writes back at most 15 s after an
// unplanned fault.
var DefaultGoals = Goals{NoWrite: 5, Restore: 15}

func (g Goals) withDefaults() Goals {
	if g.NoWrite <= 0 {
		g.NoWrite = DefaultGoals.NoWrite
	}
	if g.Restore <= 0 {
		g.Restore = DefaultGoals.Restore
	}
	return g
}
