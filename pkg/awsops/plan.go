package awsops

// What failover:plan and failover:readiness print: the orchestrator's
// judgement over the deployment, changing nothing.

import (
	"context"
	"fmt"
	"io"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// WritePlan checks every precondition of a kind failover with opts, and
// writes to w the state table and the steps that failover would run. It
// fails when the failover would be refused. It changes nothing.
func WritePlan(ctx context.Context, e *Env, kind failover.Kind, opts plan.Options, w io.Writer) error {
	o, err := e.Orchestrator(nil, nil)
	if err != nil {
		return err
	}
	s, p, err := o.Plan(ctx, kind, opts)
	if err != nil {
		return err
	}
	if err := s.WriteTable(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, p.String())
	if err := p.Err(); err != nil {
		return fmt.Errorf("the %s would be refused (see REFUSED above)", kind.Title())
	}
	return nil
}

// WriteReadiness writes to w, seen from each region, whether a planned
// switchover and an unplanned failover would work now (what the
// readiness functions publish), and fails when one would not. It changes
// nothing.
func WriteReadiness(ctx context.Context, e *Env, opts plan.Options, w io.Writer) error {
	o, err := e.Orchestrator(nil, nil)
	if err != nil {
		return err
	}
	notReady := 0
	for _, region := range e.Regions() {
		_, rs := o.Readiness(ctx, region, opts)
		for _, r := range rs {
			fmt.Fprint(w, r.String())
			if !r.Ready {
				notReady++
			}
		}
	}
	if notReady > 0 {
		return fmt.Errorf("%d plan(s) not ready (see NOT READY above)", notReady)
	}
	return nil
}
