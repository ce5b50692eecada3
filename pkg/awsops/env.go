// Package awsops operates the deployed ToDoMgmt stacks. Env is the
// deployment as it is now: samconfig.toml's two targets (Config) and both
// stacks, described at once, with each description saved so that a
// region whose CloudFormation does not answer can still be failed away
// from. Env.Orchestrator wires pkg/failover to pkg/awsfailover's adapters
// over that deployment. The package also holds what the operator's
// targets run against it: status (ReadStatus), smoke, token and the
// record of the last failover run (RunFile). Deploying (pkg/awsdeploy),
// the game-day drill (pkg/awsdrill) and the teardown (pkg/awsdestroy)
// build on it.
package awsops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/awsfailover"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
)

// Env is the deployment as it is now: the configuration and both stacks
// (nil when a stack does not exist).
type Env struct {
	Config  Config
	Clients *awsclient.Clients
	Stacks  *Stacks
	// Primary and Secondary are the stacks by role.
	Primary, Secondary *Stack
	// Saved says, by region, why that region's stack is not a fresh
	// description: its last saved one, or a stand-in built from the
	// operator's overrides (OpenOptions.KVSARN).
	Saved map[string]string
	// Out receives progress; nil is os.Stdout.
	Out io.Writer
	// Warnings receives diagnostics; nil is os.Stderr.
	Warnings io.Writer

	tokensOnce sync.Once
	tokens     *awsfailover.Tokens
}

// DefaultCacheDir is where the mage targets keep the stacks' last
// descriptions: the user's cache directory, else none.
func DefaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "todomgmt", "stacks")
}

// DefaultDescribeTimeout bounds each region's DescribeStacks in Open when
// OpenOptions.Timeout is zero. A region that is down may not refuse the
// connection but leave it hanging, and the SDK retries: without a bound
// every target would stall on the lost region.
const DefaultDescribeTimeout = 15 * time.Second

// OpenOptions configure Open.
type OpenOptions struct {
	// Out receives progress (stack events while deleting); nil is
	// os.Stdout.
	Out io.Writer
	// Warnings receives diagnostics, such as a saved description used in
	// place of a fresh one; nil is os.Stderr, so that a target whose
	// stdout is its result (TOKEN=$(go tool mage token primary)) stays
	// clean.
	Warnings io.Writer
	// CacheDir keeps each stack's last description ("" keeps none).
	CacheDir string
	// Timeout bounds each region's DescribeStacks; zero means
	// DefaultDescribeTimeout. The regions are described at once, so it
	// bounds Open as well.
	Timeout time.Duration
	// KVSARN and FrontDoorURL stand in for the primary stack's
	// KeyValueStoreArn and FrontDoorUrl outputs when a stack cannot be
	// described and no description of it is saved (TODOMGMT_KVS_ARN,
	// TODOMGMT_FRONT_DOOR_URL): an unplanned failover needs nothing else
	// from the lost region's stack. A stand-in counts as saved
	// (Env.Saved), so deploy and destroy refuse to act on it.
	KVSARN, FrontDoorURL string
}

// Open describes both stacks, both regions at once, each within
// OpenOptions.Timeout. A missing stack is not an error here;
// RequireStacks says what to do about it.
//
// Each description read is saved under OpenOptions.CacheDir. When a
// region's CloudFormation API does not answer in time, which is what a
// lost region looks like, Open falls back to the saved description and
// says so (Env.Saved, and a warning): the unplanned failover needs the
// lost primary stack's outputs (the front door's KeyValueStore ARN and
// URL). With nothing saved, OpenOptions.KVSARN and FrontDoorURL can stand
// in for them. Targets that change stacks call RequireFresh.
func Open(ctx context.Context, cfg Config, clients *awsclient.Clients, o OpenOptions) (*Env, error) {
	out, warn := o.Out, o.Warnings
	if out == nil {
		out = os.Stdout
	}
	if warn == nil {
		warn = os.Stderr
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultDescribeTimeout
	}
	e := &Env{Config: cfg, Clients: clients, Stacks: &Stacks{Clients: clients, Out: out, CacheDir: o.CacheDir},
		Saved: map[string]string{}, Out: out, Warnings: warn}
	targets := []struct {
		t   Target
		dst **Stack
	}{{cfg.Primary, &e.Primary}, {cfg.Secondary, &e.Secondary}}
	type described struct {
		st  Stack
		err error
	}
	results := make([]described, len(targets))
	var wg sync.WaitGroup
	for i, x := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			st, err := e.Stacks.Describe(dctx, x.t.Region, x.t.StackName)
			results[i] = described{st, err}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		// Interrupted: not a region that does not answer.
		return nil, err
	}
	usedOverrides := false
	for i, x := range targets {
		st, err := results[i].st, results[i].err
		var nf *StackNotFoundError
		switch {
		case errors.As(err, &nf):
			e.Stacks.forget(x.t.Region, x.t.StackName)
		case err != nil:
			var why string
			if ss, serr := e.Stacks.saved(x.t.Region, x.t.StackName); serr == nil {
				*x.dst = &ss.Stack
				why = fmt.Sprintf("CloudFormation in %s does not answer (%v): using stack %s as described at %s",
					x.t.Region, err, x.t.StackName, ss.SavedAt.Format(time.RFC3339))
			} else if o.KVSARN != "" {
				*x.dst = standIn(x.t, cfg.AppName(), o)
				usedOverrides = true
				why = fmt.Sprintf("CloudFormation in %s does not answer (%v) and no description of stack %s is saved: using %s and %s instead",
					x.t.Region, err, x.t.StackName, EnvKVSARN, EnvFrontDoorURL)
			} else {
				return nil, fmt.Errorf("%w, and no description of it is saved: to fail over without it, set %s to the primary stack's KeyValueStoreArn output and %s to its FrontDoorUrl output",
					err, EnvKVSARN, EnvFrontDoorURL)
			}
			e.Saved[x.t.Region] = why
			fmt.Fprintf(warn, "warning: %s\n", why)
		default:
			e.Stacks.save(st, e.Stacks.clock().Now())
			*x.dst = &st
		}
	}
	if o.KVSARN != "" && !usedOverrides {
		fmt.Fprintf(warn, "warning: %s ignored: the stacks were described\n", EnvKVSARN)
	}
	return e, nil
}

// Environment variables of the stand-in for an undescribable stack
// (OpenOptions.KVSARN, FrontDoorURL); the magefile reads them. The
// front door's router names the first in its errors too.
const (
	EnvKVSARN       = awsfailover.EnvKVSARN
	EnvFrontDoorURL = "TODOMGMT_FRONT_DOOR_URL"
)

// MigrateFunctionSuffix names the migrate function: the template calls it
// <AppName>-migrate in both regions. It stands in for the stacks'
// MigrateFunctionName output when a stack cannot be described.
const MigrateFunctionSuffix = "-migrate"

// BackupRetention is how long the template's clusters keep automated
// backups (BackupRetentionPeriod 7): an unplanned failover's recovery
// snapshot, a system snapshot, expires with it. Env.Database asks the
// clusters for it (failover:plan's safeguards check).
const BackupRetention = 7 * 24 * time.Hour

// standIn is a stack that could not be described, as far as the
// operator's overrides and the template's fixed names tell: the front
// door's outputs on the primary-role stack (where the template creates
// the front door), and the migrate function's name (<AppName>-migrate in
// every stack).
func standIn(t Target, appName string, o OpenOptions) *Stack {
	st := &Stack{Name: t.StackName, Region: t.Region, Status: "UNKNOWN", Outputs: map[string]string{},
		Parameters: map[string]string{"Role": t.Env}}
	st.Outputs["MigrateFunctionName"] = appName + MigrateFunctionSuffix
	if t.Env == RolePrimary {
		st.Outputs["FrontDoorMode"] = "cloudfront"
		st.Outputs["KeyValueStoreArn"] = o.KVSARN
		if o.FrontDoorURL != "" {
			st.Outputs["FrontDoorUrl"] = o.FrontDoorURL
		}
	}
	return st
}

// RequireFresh returns an error when a stack's description is a saved
// one: deploy and destroy act on the stacks as they are now.
func (e *Env) RequireFresh() error {
	if len(e.Saved) == 0 {
		return nil
	}
	var why []string
	for _, r := range e.Regions() {
		if w, ok := e.Saved[r]; ok {
			why = append(why, w)
		}
	}
	return fmt.Errorf("%s: try again when it answers", strings.Join(why, "; "))
}

// RequireStacks returns a clear error unless both stacks exist.
func (e *Env) RequireStacks() error {
	var missing []string
	if e.Primary == nil {
		missing = append(missing, fmt.Sprintf("stack %s not found in %s", e.Config.Primary.StackName, e.Config.Primary.Region))
	}
	if e.Secondary == nil {
		missing = append(missing, fmt.Sprintf("stack %s not found in %s", e.Config.Secondary.StackName, e.Config.Secondary.Region))
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: deploy first (go tool mage deploy)", strings.Join(missing, ", "))
	}
	return nil
}

// Stack returns the stack in region.
func (e *Env) Stack(region string) *Stack {
	for _, s := range e.ExistingStacks() {
		if s.Region == region {
			return s
		}
	}
	return nil
}

// ExistingStacks returns the stacks that exist, primary first: Primary
// and Secondary without the missing ones. The slice is new; the stacks
// are Env's own.
func (e *Env) ExistingStacks() []*Stack {
	var out []*Stack
	for _, s := range []*Stack{e.Primary, e.Secondary} {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// output returns the first non-empty value of the named output, primary
// stack first; "" when no stack has it.
func (e *Env) output(name string) string {
	for _, s := range e.ExistingStacks() {
		if v := s.Output(name); v != "" {
			return v
		}
	}
	return ""
}

// Regions returns the primary's and the secondary's regions.
func (e *Env) Regions() []string { return e.Config.Regions() }

// GlobalClusterID is the global cluster's identifier: from the stacks'
// outputs, else from samconfig.
func (e *Env) GlobalClusterID() string {
	if id := e.output("GlobalClusterIdentifier"); id != "" {
		return id
	}
	return e.Config.Primary.Overrides["GlobalClusterIdentifier"]
}

// Database returns the global database adapter, with each region's
// migrate function for the id fence.
func (e *Env) Database() *awsfailover.Database {
	fns, proxies := map[string]string{}, map[string]string{}
	for _, r := range e.Regions() {
		fns[r] = e.MigrateFunction(r)
		proxies[r] = e.ProxyName(r)
	}
	return &awsfailover.Database{GlobalClusterID: e.GlobalClusterID(), Regions: e.Regions(), Clients: e.Clients, MigrateFunctions: fns,
		Proxies: proxies, WantDeletionProtection: e.Config.DeletionProtection(), WantBackupRetention: BackupRetention}
}

// ProxyName names region's RDS Proxy: its stack's ProxyName output, else
// the template's fixed name <AppName>-proxy.
func (e *Env) ProxyName(region string) string {
	if s := e.Stack(region); s != nil {
		if n := s.Output("ProxyName"); n != "" {
			return n
		}
	}
	return e.Config.AppName() + "-proxy"
}

// MigrateFunction names region's migrate function: its stack's
// MigrateFunctionName output, else the template's fixed name
// <AppName>-migrate (a stack described before the output existed, or
// none at all).
func (e *Env) MigrateFunction(region string) string {
	if s := e.Stack(region); s != nil {
		if n := s.Output("MigrateFunctionName"); n != "" {
			return n
		}
	}
	return e.Config.AppName() + MigrateFunctionSuffix
}

// FrontDoorMode returns the front door's mode from the stacks' outputs:
// cloudfront, route53 or none.
func (e *Env) FrontDoorMode() string {
	if e.Primary != nil && e.Primary.Output("FrontDoorMode") != "" {
		return e.Primary.Output("FrontDoorMode")
	}
	return "none"
}

// Router returns the front door the stacks deployed.
func (e *Env) Router() (failover.Router, error) {
	if err := e.RequireStacks(); err != nil {
		return nil, err
	}
	switch mode := e.FrontDoorMode(); mode {
	case "cloudfront":
		arn := e.Primary.Output("KeyValueStoreArn")
		if arn == "" {
			return nil, fmt.Errorf("stack %s has FrontDoorMode cloudfront but no KeyValueStoreArn output", e.Primary.Name)
		}
		return &awsfailover.KVSRouter{ARN: arn, Regions: e.Regions(), Fallback: e.Primary.Region, Client: e.Clients.KVS}, nil
	case "route53":
		alarm := e.Secondary.Output("RoutingAlarmName")
		if alarm == "" {
			return nil, fmt.Errorf("stack %s has FrontDoorMode route53 but no RoutingAlarmName output", e.Secondary.Name)
		}
		return &awsfailover.MetricRouter{AppName: e.Config.AppName(), PrimaryRegion: e.Primary.Region, StandbyRegion: e.Secondary.Region,
			AlarmName: alarm, Clients: e.Clients}, nil
	default:
		return nil, awsfailover.ErrNoFrontDoor
	}
}

// Pools returns each region's Cognito pool from the outputs, primary
// first; a stack without the pool's outputs is left out.
func (e *Env) Pools() []awsfailover.Pool {
	var out []awsfailover.Pool
	for _, s := range e.ExistingStacks() {
		p := awsfailover.Pool{Region: s.Region, UserPoolID: s.Output("UserPoolId"), ClientID: s.Output("AppClientId"), TokenURL: s.Output("TokenUrl")}
		if p.UserPoolID == "" || p.ClientID == "" || p.TokenURL == "" {
			// A stand-in stack (Open) has no pool to ask.
			continue
		}
		out = append(out, p)
	}
	return out
}

// Pool returns region's pool.
func (e *Env) Pool(region string) (awsfailover.Pool, error) {
	s := e.Stack(region)
	if s == nil {
		for _, t := range e.Config.Targets() {
			if t.Region == region {
				return awsfailover.Pool{}, fmt.Errorf("stack %s not found in %s: deploy first (go tool mage deploy)", t.StackName, region)
			}
		}
		return awsfailover.Pool{}, fmt.Errorf("no stack in %s (regions: %v)", region, e.Regions())
	}
	for _, p := range e.Pools() {
		if p.Region == region {
			return p, nil
		}
	}
	return awsfailover.Pool{}, fmt.Errorf("stack %s in %s lacks the UserPoolId, AppClientId or TokenUrl output", s.Name, region)
}

// FrontDoorURL is the front door's URL from the outputs.
func (e *Env) FrontDoorURL() string { return e.output("FrontDoorUrl") }

// Tokens is the deployment's source of client-credentials tokens, from
// either region's Cognito (Pools). It is made once: every prober of e
// and the drill's load share its cache, so that a target run reads the
// app client's secret and gets a token once, not once per orchestrator.
func (e *Env) Tokens() *awsfailover.Tokens {
	e.tokensOnce.Do(func() { e.tokens = &awsfailover.Tokens{Pools: e.Pools(), Clients: e.Clients} })
	return e.tokens
}

// Prober returns the HTTPS prober over both regions' APIs and the front
// door, with tokens from either region's Cognito, that also asks each
// region's Cognito for its user pool (failover.IdentityProber). Its write
// check deletes the todo it wrote: a deployment's table keeps no probe
// rows.
func (e *Env) Prober() *awsfailover.Prober {
	apis := map[string]string{}
	for _, s := range e.ExistingStacks() {
		if u := s.Output("ApiUrl"); u != "" {
			apis[s.Region] = u
		}
	}
	pools := map[string]string{}
	for _, p := range e.Pools() {
		pools[p.Region] = p.UserPoolID
	}
	return &awsfailover.Prober{
		Prober: &apiclient.Prober{APIs: apis, FrontDoor: e.FrontDoorURL(), Tokens: e.Tokens(),
			HTTP: e.Clients.HTTP, Clean: true},
		UserPools: pools, Clients: e.Clients,
	}
}

// Orchestrator wires pkg/failover to this deployment, with the last run's
// record kept next to the saved stack descriptions (RunFile). Without a
// front door it returns ErrNoFrontDoor: nothing can be switched then.
func (e *Env) Orchestrator(approver orchestrator.Approver, printer orchestrator.Printer) (*orchestrator.Orchestrator, error) {
	if err := e.RequireStacks(); err != nil {
		return nil, err
	}
	router, err := e.Router()
	if err != nil {
		return nil, err
	}
	o := &orchestrator.Orchestrator{
		DB: e.Database(), Router: router, Prober: e.Prober(), Approver: approver, Printer: printer,
		Regions: e.Regions(), Timeouts: Timeouts(e.FrontDoorMode()),
	}
	if f, ok := RunFileOf(e); ok {
		o.Runs = f
	}
	return o, nil
}

// Timeouts are the orchestrator's waits for a front door mode. A managed
// switchover or failover usually completes in one to a few minutes; the
// writer wait allows 20. A KeyValueStore change reaches the edges in
// seconds. In Route 53 mode the alarm evaluates a 60 s period, the health
// check needs a few 30 s intervals to turn, and resolvers hold the old
// answer for the record's TTL, so the write check waits longer.
func Timeouts(frontDoorMode string) orchestrator.Timeouts {
	// Fence: right after a promotion the proxy may still refuse writes
	// for a while; each attempt is one synchronous Lambda invoke (Probe).
	t := orchestrator.Timeouts{Writer: 20 * time.Minute, Route: 2 * time.Minute, Fence: 3 * time.Minute, Verify: 5 * time.Minute, Poll: 5 * time.Second, Probe: 30 * time.Second}
	if frontDoorMode == "route53" {
		t.Route, t.Verify, t.Poll = 5*time.Minute, 10*time.Minute, 10*time.Second
	}
	return t
}
