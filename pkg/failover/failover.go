package failover

import ()

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
