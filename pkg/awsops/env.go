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
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// Roles of the two stacks, as the Role parameter names them. After a
// failover the writer may sit in the "secondary" stack: the role is where
// a stack started, not where the writer is now.
const (
	RolePrimary   = "primary"
	RoleSecondary = "secondary"
)

// Target is one regional deployment as samconfig.toml describes it.
type Target struct {
	// Env is the samconfig environment (and the stack's role).
	Env       string
	Region    string
	StackName string
	// Overrides are the environment's parameter_overrides.
	Overrides map[string]string
}

// Config is what the targets take from samconfig.toml.
type Config struct {
	Primary, Secondary Target
}

// AppName is the AppName parameter (default todomgmt).
func (c Config) AppName() string {
	if n := c.Primary.Overrides["AppName"]; n != "" {
		return n
	}
	return "todomgmt"
}

// Targets returns both, primary first.
func (c Config) Targets() []Target { return []Target{c.Primary, c.Secondary} }

// Regions returns both targets' regions, primary first: the regions a
// failover target may name (failover.ParseTarget).
func (c Config) Regions() []string { return []string{c.Primary.Region, c.Secondary.Region} }

// Target returns the target of role (RolePrimary or RoleSecondary); false
// for any other name.
func (c Config) Target(role string) (Target, bool) {
	switch role {
	case RolePrimary:
		return c.Primary, true
	case RoleSecondary:
		return c.Secondary, true
	}
	return Target{}, false
}

// ConfigFrom reads the [primary] and [secondary] deploy parameters.
func ConfigFrom(sc *samconfig.Config) (Config, error) {
	var c Config
	for _, x := range []struct {
		env string
		t   *Target
	}{{RolePrimary, &c.Primary}, {RoleSecondary, &c.Secondary}} {
		e, err := sc.Env(x.env)
		if err != nil {
			return Config{}, err
		}
		p := e.Params("deploy")
		o, err := p.ParameterOverrides()
		if err != nil {
			return Config{}, fmt.Errorf("samconfig [%s] parameter_overrides: %w", x.env, err)
		}
		*x.t = Target{Env: x.env, Region: p.Region(), StackName: p.StackName(), Overrides: o}
		if x.t.Region == "" || x.t.StackName == "" {
			return Config{}, fmt.Errorf("samconfig [%s.deploy.parameters] needs region and stack_name", x.env)
		}
	}
	if c.Primary.Region == c.Secondary.Region {
		return Config{}, fmt.Errorf("samconfig: primary and secondary are both in %s", c.Primary.Region)
	}
	return c, nil
}

// LoadSamconfig reads samconfig.toml at path.
func LoadSamconfig(path string) (Config, error) {
	sc, err := samconfig.Load(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf("%s not found: run mage from the repository root", path)
	}
	if err != nil {
		return Config{}, err
	}
	return ConfigFrom(sc)
}

// Env is the deployment as it is now: the configuration and both stacks
// (nil when a stack does not exist).
type Env struct {
	Config  Config
	Clients *Clients
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
func Open(ctx context.Context, cfg Config, clients *Clients, o OpenOptions) (*Env, error) {
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
// (OpenOptions.KVSARN, FrontDoorURL); the magefile reads them.
const (
	EnvKVSARN       = "TODOMGMT_KVS_ARN"
	EnvFrontDoorURL = "TODOMGMT_FRONT_DOOR_URL"
)

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
	for _, s := range e.stacks() {
		if s.Region == region {
			return s
		}
	}
	return nil
}

// stacks returns the stacks that exist, primary first.
func (e *Env) stacks() []*Stack {
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
	for _, s := range e.stacks() {
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
func (e *Env) Database() *Database {
	fns, proxies := map[string]string{}, map[string]string{}
	for _, r := range e.Regions() {
		fns[r] = e.MigrateFunction(r)
		proxies[r] = e.ProxyName(r)
	}
	return &Database{GlobalClusterID: e.GlobalClusterID(), Regions: e.Regions(), Clients: e.Clients, MigrateFunctions: fns,
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

// DeletionProtection is the DeletionProtection parameter of both
// stacks (the template's default: true): what the clusters should have.
func (c Config) DeletionProtection() bool {
	for _, t := range c.Targets() {
		if t.Overrides["DeletionProtection"] == "false" {
			return false
		}
	}
	return true
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

// ErrNoFrontDoor is returned when the stacks have no front door yet.
var ErrNoFrontDoor = errors.New("no front door deployed yet (FrontDoorMode none): run go tool mage deploy, whose second pass creates it")

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
		return &KVSRouter{ARN: arn, Regions: e.Regions(), Fallback: e.Primary.Region, Client: e.Clients.KVS}, nil
	case "route53":
		alarm := e.Secondary.Output("RoutingAlarmName")
		if alarm == "" {
			return nil, fmt.Errorf("stack %s has FrontDoorMode route53 but no RoutingAlarmName output", e.Secondary.Name)
		}
		return &MetricRouter{AppName: e.Config.AppName(), PrimaryRegion: e.Primary.Region, StandbyRegion: e.Secondary.Region,
			AlarmName: alarm, Clients: e.Clients}, nil
	default:
		return nil, ErrNoFrontDoor
	}
}

// Pools returns each region's Cognito pool from the outputs, primary
// first; a stack without the pool's outputs is left out.
func (e *Env) Pools() []Pool {
	var out []Pool
	for _, s := range e.stacks() {
		p := Pool{Region: s.Region, UserPoolID: s.Output("UserPoolId"), ClientID: s.Output("AppClientId"), TokenURL: s.Output("TokenUrl")}
		if p.UserPoolID == "" || p.ClientID == "" || p.TokenURL == "" {
			// A stand-in stack (Open) has no pool to ask.
			continue
		}
		out = append(out, p)
	}
	return out
}

// Pool returns region's pool.
func (e *Env) Pool(region string) (Pool, error) {
	s := e.Stack(region)
	if s == nil {
		for _, t := range e.Config.Targets() {
			if t.Region == region {
				return Pool{}, fmt.Errorf("stack %s not found in %s: deploy first (go tool mage deploy)", t.StackName, region)
			}
		}
		return Pool{}, fmt.Errorf("no stack in %s (regions: %v)", region, e.Regions())
	}
	for _, p := range e.Pools() {
		if p.Region == region {
			return p, nil
		}
	}
	return Pool{}, fmt.Errorf("stack %s in %s lacks the UserPoolId, AppClientId or TokenUrl output", s.Name, region)
}

// FrontDoorURL is the front door's URL from the outputs.
func (e *Env) FrontDoorURL() string { return e.output("FrontDoorUrl") }

// Prober returns the HTTPS prober over both regions' APIs and the front
// door, with tokens from either region's Cognito, that also asks each
// region's Cognito for its user pool (failover.IdentityProber). Its write
// check deletes the todo it wrote: a deployment's table keeps no probe
// rows.
func (e *Env) Prober() *Prober {
	apis := map[string]string{}
	for _, s := range e.stacks() {
		if u := s.Output("ApiUrl"); u != "" {
			apis[s.Region] = u
		}
	}
	pools := map[string]string{}
	for _, p := range e.Pools() {
		pools[p.Region] = p.UserPoolID
	}
	return &Prober{
		Prober: &apiclient.Prober{APIs: apis, FrontDoor: e.FrontDoorURL(), Tokens: &Tokens{Pools: e.Pools(), Clients: e.Clients},
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
