package globaldb

import (
	"context"
	"strings"
	"testing"

	"github.com/todomgmt/todomgmt/pkg/drill"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// TestOutageNeedsAWriter: the rehearsal kills nothing when the servers
// show no single available writer (here none answers at all).
func TestOutageNeedsAWriter(t *testing.T) {
	ctrs := &fakeContainers{addr: map[string]string{}} // no container runs
	d := newDatabase("lab-x", "todomgmt", "repl", "p",
		newNode("lab-a", "db-lab-a", "ca", 1, "p", ctrs), newNode("lab-b", "db-lab-b", "cb", 2, "p", ctrs))
	if _, err := NewOutage(context.Background(), d); err == nil || !strings.Contains(err.Error(), "no single available writer") {
		t.Errorf("NewOutage without a writer = %v, want a refusal", err)
	}
	if _, err := RehearseUnplanned(context.Background(), d, &orchestrator.Orchestrator{DB: d}, plan.Options{}); err == nil {
		t.Errorf("RehearseUnplanned without a writer = nil error, want a refusal")
	}
}

// TestOutageMeasuresInOrder: what the promotion discarded and what never
// left the old writer are measured against the recorded fault, so neither
// can be had before RecordFault (and Restore, for the second).
func TestOutageMeasuresInOrder(t *testing.T) {
	o := &Outage{Writer: "lab-a", Replica: "lab-b"}
	if _, _, err := o.Discarded(context.Background()); err == nil {
		t.Errorf("Discarded before RecordFault = nil error, want one")
	}
	if _, _, err := o.Unreplicated(); err == nil {
		t.Errorf("Unreplicated before RecordFault = nil error, want one")
	}
	o.Fault = &drill.Fault{Flavour: string(flavourMariaDB), Received: "0-1-25"}
	if _, _, err := o.Unreplicated(); err == nil {
		t.Errorf("Unreplicated before Restore = nil error, want one")
	}
	o.Rebuild = &drill.Rebuild{Position: "0-1-30"}
	if n, _, err := o.Unreplicated(); err != nil || n != 5 {
		t.Errorf("Unreplicated = %d, %v; want 5 (0-1-26..30 never left the old writer)", n, err)
	}
}
