// Package failover switches the active region of ToDoMgmt: it evaluates the
// state of the global database, the front door and both regions' APIs,
// plans the steps of a planned switchover or an unplanned failover, asks
// for approval, executes the steps and reports what it measured.
//
// It is written once, against the small interfaces in interfaces.go: the
// AWS adapters (pkg/awsops) and the local lab (pkg/lab) implement them.
package failover

// Plan is what a run would do. (Filled in by the orchestrator.)
type Plan struct {
	// From and To name the regions losing and gaining the writer.
	From, To string
}
