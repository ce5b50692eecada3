// Package failover is the vocabulary of a ToDoMgmt region switch: the
// global database, the front door and the regions' APIs as the
// orchestrator sees them (the small interfaces that the AWS adapters in
// pkg/awsfailover and the lab's in internal/lab/globaldb implement), the
// State read from them, the kinds of switch, and how an operator names a
// target.
//
// It decides and does nothing itself. Around it, each with one job, data
// flowing one way (each imports only those before it):
//
//   - failover/plan decides, as a pure function of a State, what a
//     planned switchover, an unplanned failover or a detach would do, and
//     which named checks refuse or warn;
//   - failover/assess judges from one region whether each plan would work
//     now (failover readiness);
//   - failover/orchestrator reads the State through the interfaces, runs
//     a plan's steps and reports what it measured;
//   - failover/console is the operator's side: a run's events printed as
//     lines, and the typed (or flag) confirmation.
package failover

// Kind is the kind of a plan.
type Kind string

const (
	// KindPlanned is a switchover between healthy regions, without data
	// loss (RPO 0). Running it again moves the writer back (failback).
	KindPlanned Kind = "planned"
	// KindUnplanned is a failover away from a writer region assumed lost:
	// the route moves first, then the target is promoted with data loss
	// allowed.
	KindUnplanned Kind = "unplanned"
	// KindDetach detaches the target from the global database, which makes
	// it a standalone writable cluster: the last resort when a managed
	// failover cannot run. The global database is not rebuilt afterwards.
	KindDetach Kind = "detach"
)

// Title names the kind for people.
func (k Kind) Title() string {
	switch k {
	case KindPlanned:
		return "planned switchover"
	case KindUnplanned:
		return "unplanned failover"
	case KindDetach:
		return "detach and promote"
	}
	return string(k)
}

// orUnknown is s, or "?" when it is empty.
func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}
