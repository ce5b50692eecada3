package awsops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
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
	// Saved says, by region, why that region's stack is its last saved
	// description rather than a fresh one.
	Saved map[string]string
	// Out receives progress; nil is os.Stdout.
	Out io.Writer
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

// Open describes both stacks. A missing stack is not an error here;
// RequireStacks says what to do about it.
//
// Each description read is saved under cacheDir ("" saves nothing). When
// a region's CloudFormation API does not answer, which is what a lost
// region looks like, Open falls back to the saved description and says so
// (Env.Saved): the unplanned failover needs the lost primary stack's
// outputs (the front door's KeyValueStore ARN and URL). Targets that
// change stacks call RequireFresh.
func Open(ctx context.Context, cfg Config, clients *Clients, out io.Writer, cacheDir string) (*Env, error) {
	if out == nil {
		out = os.Stdout
	}
	e := &Env{Config: cfg, Clients: clients, Stacks: &Stacks{Clients: clients, Out: out, CacheDir: cacheDir},
		Saved: map[string]string{}, Out: out}
	for _, x := range []struct {
		t   Target
		dst **Stack
	}{{cfg.Primary, &e.Primary}, {cfg.Secondary, &e.Secondary}} {
		st, err := e.Stacks.Describe(ctx, x.t.Region, x.t.StackName)
		var nf *StackNotFoundError
		switch {
		case errors.As(err, &nf):
			e.Stacks.forget(x.t.Region, x.t.StackName)
		case err != nil:
			ss, serr := e.Stacks.saved(x.t.Region, x.t.StackName)
			if serr != nil {
				return nil, err
			}
			*x.dst = &ss.Stack
			why := fmt.Sprintf("CloudFormation in %s does not answer (%v): using stack %s as described at %s",
				x.t.Region, err, x.t.StackName, ss.SavedAt.Format(time.RFC3339))
			e.Saved[x.t.Region] = why
			fmt.Fprintf(out, "warning: %s\n", why)
		default:
			e.Stacks.save(st, e.Stacks.clock().Now())
			*x.dst = &st
		}
	}
	return e, nil
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
	for _, s := range []*Stack{e.Primary, e.Secondary} {
		if s != nil && s.Region == region {
			return s
		}
	}
	return nil
}

// Regions returns the primary's and the secondary's regions.
func (e *Env) Regions() []string {
	return []string{e.Config.Primary.Region, e.Config.Secondary.Region}
}

// GlobalClusterID is the global cluster's identifier: from the stacks'
// outputs, else from samconfig.
func (e *Env) GlobalClusterID() string {
	for _, s := range []*Stack{e.Primary, e.Secondary} {
		if s != nil && s.Output("GlobalClusterIdentifier") != "" {
			return s.Output("GlobalClusterIdentifier")
		}
	}
	return e.Config.Primary.Overrides["GlobalClusterIdentifier"]
}

// Database returns the global database adapter.
func (e *Env) Database() *Database {
	return &Database{GlobalClusterID: e.GlobalClusterID(), Regions: e.Regions(), Clients: e.Clients}
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

// Pools returns each region's Cognito pool from the outputs, primary first.
func (e *Env) Pools() []Pool {
	var out []Pool
	for _, s := range []*Stack{e.Primary, e.Secondary} {
		if s == nil {
			continue
		}
		out = append(out, Pool{Region: s.Region, UserPoolID: s.Output("UserPoolId"), ClientID: s.Output("AppClientId"), TokenURL: s.Output("TokenUrl")})
	}
	return out
}

// Pool returns region's pool.
func (e *Env) Pool(region string) (Pool, error) {
	for _, t := range e.Config.Targets() {
		if t.Region == region && e.Stack(region) == nil {
			return Pool{}, fmt.Errorf("stack %s not found in %s: deploy first (go tool mage deploy)", t.StackName, region)
		}
	}
	for _, p := range e.Pools() {
		if p.Region == region {
			if p.UserPoolID == "" || p.ClientID == "" || p.TokenURL == "" {
				return Pool{}, fmt.Errorf("stack in %s lacks the UserPoolId, AppClientId or TokenUrl output", region)
			}
			return p, nil
		}
	}
	return Pool{}, fmt.Errorf("no stack in %s (regions: %v)", region, e.Regions())
}

// FrontDoorURL is the front door's URL from the outputs.
func (e *Env) FrontDoorURL() string {
	for _, s := range []*Stack{e.Primary, e.Secondary} {
		if s != nil && s.Output("FrontDoorUrl") != "" {
			return s.Output("FrontDoorUrl")
		}
	}
	return ""
}

// Prober returns the HTTPS prober over both regions' APIs and the front
// door, with tokens from either region's Cognito.
func (e *Env) Prober() *Prober {
	apis := map[string]string{}
	for _, s := range []*Stack{e.Primary, e.Secondary} {
		if s != nil && s.Output("ApiUrl") != "" {
			apis[s.Region] = s.Output("ApiUrl")
		}
	}
	return &Prober{APIs: apis, FrontDoor: e.FrontDoorURL(), Tokens: &Tokens{Pools: e.Pools(), Clients: e.Clients}, HTTP: e.Clients.HTTP}
}

// Orchestrator wires pkg/failover to this deployment. Without a front
// door it returns ErrNoFrontDoor: nothing can be switched then.
func (e *Env) Orchestrator(approver failover.Approver, printer failover.Printer) (*failover.Orchestrator, error) {
	if err := e.RequireStacks(); err != nil {
		return nil, err
	}
	router, err := e.Router()
	if err != nil {
		return nil, err
	}
	return &failover.Orchestrator{
		DB: e.Database(), Router: router, Prober: e.Prober(), Approver: approver, Printer: printer,
		Regions: e.Regions(), Timeouts: Timeouts(e.FrontDoorMode()),
	}, nil
}

// Timeouts are the orchestrator's waits for a front door mode. A managed
// switchover or failover usually completes in one to a few minutes; the
// writer wait allows 20. A KeyValueStore change reaches the edges in
// seconds. In Route 53 mode the alarm evaluates a 60 s period, the health
// check needs a few 30 s intervals to turn, and resolvers hold the old
// answer for the record's TTL, so the write check waits longer.
func Timeouts(frontDoorMode string) failover.Timeouts {
	t := failover.Timeouts{Writer: 20 * time.Minute, Route: 2 * time.Minute, Verify: 5 * time.Minute, Poll: 5 * time.Second, Probe: 30 * time.Second}
	if frontDoorMode == "route53" {
		t.Route, t.Verify, t.Poll = 5*time.Minute, 10*time.Minute, 10*time.Second
	}
	return t
}
