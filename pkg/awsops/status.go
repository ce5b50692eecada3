package awsops

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
)

// Status is the whole deployment at one moment: the orchestrator's view
// (database, front door, APIs) plus each region's stack, proxy, alarms
// in ALARM, who those alarms reach and dashboard, and the replication of
// the DB secrets.
type Status struct {
	State failover.State
	// Stacks is each region's stack status ("" when the stack is missing).
	Stacks map[string]string
	// Saved says, by region, why its stack was read from the saved
	// description (Env.Saved).
	Saved map[string]string
	// Proxies summarises each region's RDS Proxy targets.
	Proxies map[string]ProxyHealth
	// Alarms are each region's alarms in ALARM.
	Alarms map[string]RegionAlarms
	// Reach is who each region's alarm topic notifies; a region whose
	// stack has no AlarmTopicArn output (an older template) has none.
	Reach map[string]AlarmReach
	// Dashboards are each region's dashboard URL (DashboardUrl output).
	Dashboards map[string]string
	// Secrets is the replication of the primary's DB secrets into the
	// secondary's region, which that region's proxy reads.
	Secrets SecretsReport
	// FrontDoor is the front door's mode and URL.
	FrontDoorMode, FrontDoorURL string
}

// ProxyHealth is an RDS Proxy's instance targets' health.
type ProxyHealth struct {
	Available, Total int
	// AuthFailures counts the targets the proxy cannot log in to
	// (TargetHealth reason AUTH_FAILURE): the secret it reads does not
	// match the database user's password.
	AuthFailures int
	// Detail holds the reasons of unavailable targets or the read error.
	Detail string
}

func (p ProxyHealth) String() string {
	if p.Total == 0 && p.Detail != "" {
		return p.Detail
	}
	s := fmt.Sprintf("%d/%d available", p.Available, p.Total)
	if p.Detail != "" {
		s += " (" + p.Detail + ")"
	}
	return s
}

// errRouter reports why there is no router.
type errRouter struct{ err error }

func (r errRouter) Active(context.Context) (string, error) { return "", r.err }
func (r errRouter) Route(context.Context, string) error    { return r.err }

// ReadStatus reads everything status prints. It fails only when neither
// stack exists; missing parts show in the table and in Problems.
func ReadStatus(ctx context.Context, e *Env) (Status, error) {
	if e.Primary == nil && e.Secondary == nil {
		return Status{}, e.RequireStacks()
	}
	router, err := e.Router()
	if err != nil {
		router = errRouter{err}
	}
	o := &orchestrator.Orchestrator{DB: e.Database(), Router: router, Prober: e.Prober(), Regions: e.Regions()}
	st := Status{State: o.Evaluate(ctx), Stacks: map[string]string{}, Saved: e.Saved, Proxies: map[string]ProxyHealth{},
		Alarms: map[string]RegionAlarms{}, Reach: map[string]AlarmReach{}, Dashboards: map[string]string{},
		FrontDoorMode: e.FrontDoorMode(), FrontDoorURL: e.FrontDoorURL()}
	routing := ""
	if e.Secondary != nil {
		routing = e.Secondary.Output("RoutingAlarmName")
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range e.ExistingStacks() {
		st.Stacks[s.Region] = s.Status
		if _, ok := e.Saved[s.Region]; ok {
			st.Stacks[s.Region] = s.Status + " (saved; CloudFormation does not answer)"
		}
		if u := s.Output("DashboardUrl"); u != "" {
			st.Dashboards[s.Region] = u
		}
		st.Proxies[s.Region] = ProxyHealth{Detail: "no ProxyName output"}
		if s.Output("ProxyName") != "" {
			// Evaluate read it (the database adapter is a ProxyInspector).
			st.Proxies[s.Region] = proxyHealth(st.State.Proxies[s.Region])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := regionAlarms(ctx, e, s, routing)
			mu.Lock()
			st.Alarms[s.Region] = a
			mu.Unlock()
		}()
		if topic := s.Output("AlarmTopicArn"); topic != "" {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := alarmReach(ctx, e, s, topic)
				mu.Lock()
				st.Reach[s.Region] = r
				mu.Unlock()
			}()
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		sr := secretsReport(ctx, e)
		mu.Lock()
		st.Secrets = sr
		mu.Unlock()
	}()
	wg.Wait()
	return st, nil
}

// WriteStatus reads the status (ReadStatus), writes it to w (Write) and
// fails when it finds a problem.
func WriteStatus(ctx context.Context, e *Env, w io.Writer) error {
	st, err := ReadStatus(ctx, e)
	if err != nil {
		return err
	}
	if err := st.Write(w); err != nil {
		return err
	}
	if p := st.Problems(); len(p) > 0 {
		return fmt.Errorf("%d problem(s) (see PROBLEM lines)", len(p))
	}
	return nil
}

// proxyHealth is a region's proxy targets as the orchestrator's Evaluate
// read them (awsfailover.Database.ProxyTargets: the default target group,
// every page).
func proxyHealth(pt failover.ProxyTargets) ProxyHealth {
	if !pt.Known {
		return ProxyHealth{Detail: "unknown: " + pt.Detail}
	}
	return ProxyHealth{Available: pt.Available, Total: pt.Total, AuthFailures: pt.AuthFailures, Detail: pt.Detail}
}

// Problems are the State's problems plus missing stacks, a writer region
// whose proxy has no available target, a proxy that cannot log in to its
// database (AUTH_FAILURE), alarms in ALARM (but the Route 53 routing
// alarm, whose ALARM is a route), a region whose alarms cannot be read,
// an alarm topic without a confirmed subscription (its alarms reach
// nobody) or whose subscriptions cannot be read, and replicas of the DB
// secrets that do not keep the secondary's credentials in step.
func (s Status) Problems() []string {
	out := s.State.Problems()
	for _, r := range s.State.Regions() {
		if _, ok := s.Stacks[r]; !ok {
			out = append(out, fmt.Sprintf("no stack in %s", r))
		}
		if why, ok := s.Saved[r]; ok {
			out = append(out, why)
		}
	}
	if w, ok := s.State.Topology.Writer(); ok {
		if ph, ok := s.Proxies[w.Region]; ok && ph.Available == 0 {
			out = append(out, fmt.Sprintf("the proxy in the writer region %s has no available target: %s", w.Region, ph))
		}
	}
	for _, r := range s.State.Regions() {
		if ph, ok := s.Proxies[r]; ok && ph.AuthFailures > 0 {
			out = append(out, fmt.Sprintf("the proxy in %s cannot authenticate to the database (AUTH_FAILURE on %d of %d targets: %s): the secret it reads does not match the user's password; check the secrets' replication below and docs/runbook.md#rotating-the-database-passwords",
				r, ph.AuthFailures, ph.Total, ph.Detail))
		}
		if reach, ok := s.Reach[r]; ok {
			if p := reach.problem(r); p != "" {
				out = append(out, p)
			}
		}
		a, ok := s.Alarms[r]
		if !ok {
			continue
		}
		if a.Err != nil {
			out = append(out, fmt.Sprintf("cannot read the alarms in %s: %v", r, a.Err))
		}
		for _, al := range a.InAlarm {
			if !al.Routing {
				out = append(out, fmt.Sprintf("alarm %s in %s is in ALARM: %s", al.Name, r, al.Reason))
			}
		}
	}
	if s.Secrets.Err != nil {
		out = append(out, fmt.Sprintf("cannot read the replication of the DB secrets: %v", s.Secrets.Err))
	}
	out = append(out, s.Secrets.problems()...)
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Write prints the status table, each region's dashboard and who its
// alarms reach, the alarms in ALARM and the replicas of the DB secrets,
// then the problems.
func (s Status) Write(w io.Writer) error {
	fmt.Fprintf(w, "front door: %s %s\n", s.FrontDoorMode, s.FrontDoorURL)
	err := s.State.WriteTable(w,
		failover.Column{Name: "stack", Value: func(r string) string { return s.Stacks[r] }},
		failover.Column{Name: "proxy", Value: func(r string) string {
			if ph, ok := s.Proxies[r]; ok {
				return ph.String()
			}
			return ""
		}},
		failover.Column{Name: "alarms", Value: func(r string) string {
			if a, ok := s.Alarms[r]; ok {
				return a.String()
			}
			return ""
		}},
	)
	if err != nil {
		return err
	}
	for _, r := range s.State.Regions() {
		if u, ok := s.Dashboards[r]; ok {
			fmt.Fprintf(w, "dashboard %s: %s\n", r, u)
		}
	}
	for _, r := range s.State.Regions() {
		if a, ok := s.Reach[r]; ok {
			fmt.Fprintf(w, "alarms in %s reach: %s\n", r, a)
		}
	}
	for _, r := range s.State.Regions() {
		for _, al := range s.Alarms[r].InAlarm {
			what := "ALARM"
			if al.Routing {
				what = "ALARM (the route: traffic goes to the secondary)"
			}
			fmt.Fprintf(w, "%s %s %s since %s: %s\n", what, r, al.Name, al.Since.UTC().Format(time.RFC3339), al.Reason)
		}
	}
	for _, x := range s.Secrets.Replicas {
		if x.Status == "" {
			fmt.Fprintf(w, "secret %s: no replica in %s\n", x.Secret, x.Region)
			continue
		}
		key := "the region's own key"
		if !x.OwnKey {
			key = fmt.Sprintf("key %s, not the region's own (go tool mage deploy's second pass sets it)", orNone(x.KeyID))
		}
		fmt.Fprintf(w, "secret %s: replica in %s %s, %s\n", x.Secret, x.Region, x.Status, key)
	}
	// State.WriteTable printed its own problems; add ours.
	for _, p := range s.Problems()[len(s.State.Problems()):] {
		fmt.Fprintf(w, "PROBLEM: %s\n", p)
	}
	return nil
}
