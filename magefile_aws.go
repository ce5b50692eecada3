//go:build mage

package main

// AWS operations: deploy both regions, status, planned switchover and
// failback, unplanned failover, detach, destroy, token, smoke and the
// game-day drill. The logic lives in pkg/awsops (the deployment, status,
// smoke, token), pkg/awsdeploy, pkg/awsdestroy, pkg/awsdrill and
// pkg/failover; regions and stack names come from samconfig.toml.
// Destructive targets ask for a typed confirmation on a terminal, and
// otherwise need TODOMGMT_CONFIRM=<expected word>.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/awsdeploy"
	"github.com/todomgmt/todomgmt/pkg/awsdestroy"
	"github.com/todomgmt/todomgmt/pkg/awsdrill"
	"github.com/todomgmt/todomgmt/pkg/awsops"
	"github.com/todomgmt/todomgmt/pkg/drill"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/console"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
	"github.com/todomgmt/todomgmt/pkg/failoverenv"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// Aliases maps short names to targets. Mage cannot have a function and a
// namespace with the same name, so "deploy" and "failover" name functions
// next to the deploy: and failover: namespaces.
var Aliases = map[string]interface{}{
	"deploy":                 DeployAll,
	"failover":               Switchover,
	"lab:failover:unplanned": Lab.FailoverUnplanned,
}

// Deploy holds the per-region deploy targets.
type Deploy mg.Namespace

// Failover holds the failover targets other than the planned switchover (which is `failover`).
type Failover mg.Namespace

// envShowSecret makes token also print the app client's secret.
const envShowSecret = "TODOMGMT_SHOW_SECRET"

// samConfig reads regions, stack names and overrides from samconfig.toml.
func samConfig() (awsops.Config, error) {
	return awsops.LoadSamconfig(samconfig.DefaultPath)
}

// openAWS loads credentials (failing with one clear line when there are
// none) and describes both stacks (TODOMGMT_KVS_ARN and
// TODOMGMT_FRONT_DOOR_URL stand in for a lost primary stack's outputs
// when no description of it is saved).
func openAWS(ctx context.Context) (*awsops.Env, error) {
	cfg, err := samConfig()
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsclient.LoadConfig(ctx, cfg.Primary.Region)
	if err != nil {
		return nil, err
	}
	// Diagnostics go to stderr: `TOKEN=$(go tool mage token primary)`
	// must capture the token alone.
	return awsops.Open(ctx, cfg, awsclient.New(awsCfg), awsops.OpenOptions{
		Out: os.Stdout, Warnings: os.Stderr, CacheDir: awsops.DefaultCacheDir(),
		KVSARN: os.Getenv(awsops.EnvKVSARN), FrontDoorURL: os.Getenv(awsops.EnvFrontDoorURL),
	})
}

func requireSAM() error {
	if _, err := exec.LookPath("sam"); err != nil {
		return errors.New("the AWS SAM CLI (sam) is not on PATH: install it (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html)")
	}
	return nil
}

// samCLI is awsdeploy.SAM over the sam command, its output on the terminal.
type samCLI struct{}

func (samCLI) Build(_ context.Context, args []string, env map[string]string) error {
	return sh.RunWithV(env, "sam", args...)
}

func (samCLI) Deploy(_ context.Context, args []string) error { return sh.RunV("sam", args...) }

func (samCLI) Sync(_ context.Context, args []string, env map[string]string) error {
	return sh.RunWithV(env, "sam", args...)
}

// deployer is the deploy targets' awsdeploy.Deployer over the SAM CLI.
func deployer() (*awsdeploy.Deployer, error) {
	if err := requireSAM(); err != nil {
		return nil, err
	}
	return &awsdeploy.Deployer{SAM: samCLI{}, Open: openAWS, Out: os.Stdout}, nil
}

// Primary builds with sam and deploys the primary-role stack (samconfig env primary), which creates the global database.
func (Deploy) Primary(ctx context.Context) error {
	d, err := deployer()
	if err != nil {
		return err
	}
	return d.Stack(ctx, awsops.RolePrimary)
}

// Secondary builds with sam and deploys the secondary-role stack (samconfig env secondary), which joins the global database.
func (Deploy) Secondary(ctx context.Context) error {
	d, err := deployer()
	if err != nil {
		return err
	}
	return d.Stack(ctx, awsops.RoleSecondary)
}

// DeployAll (alias deploy) deploys the primary, the secondary (reading the replicas of the primary's secrets), then wires each region to its peer's user pool and API, encrypts the replicas with the secondary's key and creates the front door.
func DeployAll(ctx context.Context) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	d, err := deployer()
	if err != nil {
		return err
	}
	return d.All(ctx)
}

// Sync deploys the [default] development stack with `sam sync`, after emptying SAM's build cache: sync always builds cached, keyed on each function's own directory, so a change under pkg/ would otherwise deploy a stale binary.
func Sync(ctx context.Context) error {
	if err := requireSAM(); err != nil {
		return err
	}
	return awsdeploy.Sync(ctx, samCLI{}, ".", os.Stdout)
}

// Status prints both regions (stack, DB role and status, sync, lag, proxy targets, API health, front-door route, alarms in ALARM, dashboard URL, the secrets' replicas) and fails on any problem.
func Status(ctx context.Context) error {
	e, err := openAWS(ctx)
	if err != nil {
		return err
	}
	return awsops.WriteStatus(ctx, e, os.Stdout)
}

// awsPlanOptions reads TODOMGMT_TARGET (a region of samconfig.toml's)
// and TODOMGMT_MAX_LAG.
func awsPlanOptions() (plan.Options, error) {
	cfg, err := samConfig()
	if err != nil {
		return plan.Options{}, err
	}
	return failoverenv.Options(os.Getenv, cfg.Regions())
}

func runFailover(ctx context.Context, kind failover.Kind, opts plan.Options) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	e, err := openAWS(ctx)
	if err != nil {
		return err
	}
	o, err := e.Orchestrator(confirmer(), console.TextPrinter{W: os.Stdout})
	if err != nil {
		return err
	}
	_, err = o.Run(ctx, kind, opts)
	return err
}

// Switchover (alias failover) switches the writer and the traffic to the passive region without data loss; run it again to fail back.
func Switchover(ctx context.Context) error {
	opts, err := awsPlanOptions()
	if err != nil {
		return err
	}
	return runFailover(ctx, failover.KindPlanned, opts)
}

// Plan checks every precondition and prints the steps a failover would run, changing nothing (TODOMGMT_PLAN=unplanned|detach for the other plans).
func (Failover) Plan(ctx context.Context) error {
	opts, err := awsPlanOptions()
	if err != nil {
		return err
	}
	e, err := openAWS(ctx)
	if err != nil {
		return err
	}
	return awsops.WritePlan(ctx, e, failoverenv.Kind(os.Getenv), opts, os.Stdout)
}

// Readiness prints, seen from each region, whether a planned switchover and an unplanned failover would work now (what the readiness functions publish), and fails when one would not.
func (Failover) Readiness(ctx context.Context) error {
	opts, err := awsPlanOptions()
	if err != nil {
		return err
	}
	e, err := openAWS(ctx)
	if err != nil {
		return err
	}
	return awsops.WriteReadiness(ctx, e, opts, os.Stdout)
}

// Unplanned fails over when the writer's region is lost: route first, promote with data loss allowed, fence the ids past any lost one, verify, report; after a half-finished run it goes towards the current writer.
func (Failover) Unplanned(ctx context.Context) error {
	opts, err := awsPlanOptions()
	if err != nil {
		return err
	}
	return runFailover(ctx, failover.KindUnplanned, opts)
}

// Detach routes traffic to region and detaches its cluster from the global database as a standalone writer: the last resort, nothing replicates afterwards.
func (Failover) Detach(ctx context.Context, region string) error {
	cfg, err := samConfig()
	if err != nil {
		return err
	}
	target, err := failover.ParseTarget(region, cfg.Regions())
	if err != nil {
		return fmt.Errorf("failover:detach: %w", err)
	}
	return runFailover(ctx, failover.KindDetach, plan.Options{Target: target})
}

// Destroy deletes both regions in the order RDS allows (writer role read first), lifts deletion protection after confirmation, and lists what is kept.
func Destroy(ctx context.Context) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	e, err := openAWS(ctx)
	if err != nil {
		return err
	}
	return awsdestroy.Destroy(ctx, e, confirmer(), os.Stdout)
}

// Token prints a client-credentials access token from region's Cognito (primary, secondary or a region name); TODOMGMT_SHOW_SECRET=1 also prints the client secret.
func Token(ctx context.Context, region string) error {
	e, err := openAWS(ctx)
	if err != nil {
		return err
	}
	return awsops.WriteToken(ctx, e, region, os.Getenv(envShowSecret) == "1", os.Stdout, os.Stderr)
}

// Smoke runs a create/read/update/delete round trip through the front door and the active region, and checks the passive region reads and refuses writes.
func Smoke(ctx context.Context) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	e, err := openAWS(ctx)
	if err != nil {
		return err
	}
	return awsops.RunSmoke(ctx, e, os.Stdout)
}

// Drill moves production traffic twice after a typed confirmation: a planned switchover and a failback under bounded load through the front door, reported like lab:drill (aws-drill-report.json), its todos deleted (TODOMGMT_DRILL_CLEANUP=<run id> cleans up an interrupted run).
func Drill(ctx context.Context) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	cfg, err := drill.ConfigFromEnv(os.Getenv, awsdrill.Defaults)
	if err != nil {
		return err
	}
	e, err := openAWS(ctx)
	if err != nil {
		return err
	}
	return awsdrill.Run(ctx, e, awsdrill.Options{Config: cfg, Confirm: confirmer(), Out: os.Stdout,
		ReportPath: drill.ReportPathOr(awsdrill.ReportPath), Cleanup: os.Getenv(awsdrill.CleanupEnv)})
}
