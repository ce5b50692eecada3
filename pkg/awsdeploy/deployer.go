// Package awsdeploy deploys the ToDoMgmt stacks with the AWS SAM CLI:
// Deployer runs deploy's two passes over both regions (each stack first
// with what its peer already offers, then again once the peer's outputs
// exist) and seeds the front door on its first creation; Sync deploys the
// single-region development stack. The SAM CLI is behind SAM, a small
// runner interface: the magefile runs the real command, the tests a fake
// that deploys to internal/awstest's stacks. The deployment is read
// through pkg/awsops.
package awsdeploy

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/awsops"
)

// SAM runs the AWS SAM CLI for a Deployer and Sync: the magefile runs
// the real command, its output on the terminal; tests record the calls.
// Each method returns the command's failure.
type SAM interface {
	// Build runs `sam` with args (SamBuildArgs) and env added to the
	// process environment.
	Build(ctx context.Context, args []string, env map[string]string) error
	// Deploy runs `sam` with args (SamDeployArgs).
	Deploy(ctx context.Context, args []string) error
	// Sync runs `sam` with args (SamSyncArgs) and env added to the
	// process environment.
	Sync(ctx context.Context, args []string, env map[string]string) error
}

// Deployer deploys the stacks in the order the template needs: the
// primary (it creates the global database and the DB secrets), then the
// secondary (its proxy reads the replicas of the primary's secrets), then
// a second pass in which each stack gets what it takes from its peer's
// outputs (DeployOverrides: user pool, API domain, key; the primary then
// creates the front door), and last the front door's route, seeded on its
// first creation only. Each deploy describes the stacks afresh, since the
// one before changed their outputs, and `sam build` runs once per
// Deployer, with the Lambda build flags.
type Deployer struct {
	SAM SAM
	// Open describes the deployment as it is now.
	Open func(context.Context) (*awsops.Env, error)
	// Out receives progress; nil is os.Stdout.
	Out io.Writer

	built bool
}

func (d *Deployer) out() io.Writer {
	if d.Out == nil {
		return os.Stdout
	}
	return d.Out
}

// Stack builds and deploys role's stack (awsops.RolePrimary, awsops.RoleSecondary),
// keeping the peer values an earlier second pass gave it.
func (d *Deployer) Stack(ctx context.Context, role string) error {
	return d.deploy(ctx, role, false)
}

// All deploys both stacks in both passes, then seeds the front door.
func (d *Deployer) All(ctx context.Context) error {
	for _, ifUnwired := range []bool{false, true} {
		for _, role := range []string{awsops.RolePrimary, awsops.RoleSecondary} {
			if err := d.deploy(ctx, role, ifUnwired); err != nil {
				return err
			}
		}
	}
	e, err := d.Open(ctx)
	if err != nil {
		return err
	}
	msg, err := SeedFrontDoor(ctx, e)
	if err != nil {
		return err
	}
	fmt.Fprintln(d.out(), msg)
	fmt.Fprintf(d.out(), "front door: %s\nnext: go tool mage status, then go tool mage smoke\n", e.FrontDoorURL())
	return nil
}

// deploy deploys one samconfig environment. With ifUnwired (the second
// pass) it skips a stack that already has its peer's values.
func (d *Deployer) deploy(ctx context.Context, role string, ifUnwired bool) error {
	e, err := d.Open(ctx)
	if err != nil {
		return err
	}
	if err := d.build(ctx, e.Config); err != nil {
		return err
	}
	t, ok := e.Config.Target(role)
	if !ok {
		return fmt.Errorf("no samconfig environment for role %q", role)
	}
	overrides, wired, err := DeployOverrides(e, t)
	if err != nil {
		return err
	}
	if ifUnwired && wired {
		fmt.Fprintf(d.out(), "==> %s already has its peer's values (user pool, API domain, secrets or key)\n", t.StackName)
		return nil
	}
	start := time.Now()
	fmt.Fprintf(d.out(), "==> sam deploy --config-env %s (stack %s in %s)\n", t.Env, t.StackName, t.Region)
	if err := d.SAM.Deploy(ctx, SamDeployArgs(t, overrides)); err != nil {
		return fmt.Errorf("sam deploy --config-env %s: %w", t.Env, err)
	}
	fmt.Fprintf(d.out(), "    %s deployed in %s\n", t.StackName, time.Since(start).Round(time.Second))
	return nil
}

// build runs `sam build` the first time only.
func (d *Deployer) build(ctx context.Context, cfg awsops.Config) error {
	if d.built {
		return nil
	}
	start := time.Now()
	args := SamBuildArgs(cfg.Primary)
	fmt.Fprintf(d.out(), "==> sam %s (GOFLAGS=%q)\n", strings.Join(args, " "), BuildEnv()["GOFLAGS"])
	if err := d.SAM.Build(ctx, args, BuildEnv()); err != nil {
		return fmt.Errorf("sam build: %w", err)
	}
	fmt.Fprintf(d.out(), "    built in %s\n", time.Since(start).Round(time.Second))
	d.built = true
	return nil
}

// DevEnv is the samconfig environment of the single-region development
// stack that Sync deploys.
const DevEnv = "default"

// Sync deploys the development stack (samconfig environment DevEnv) with
// `sam sync`, after emptying SAM's build cache under dir: sam sync always
// builds with its cache, keyed on each function's own directory (CodeUri),
// so a change in a shared package would otherwise deploy a stale binary.
// The build gets the Lambda build flags (BuildEnv).
func Sync(ctx context.Context, sam SAM, dir string, out io.Writer) error {
	if err := os.RemoveAll(filepath.Join(dir, ".aws-sam", "cache")); err != nil {
		return err
	}
	fmt.Fprintf(out, "==> sam sync --config-env %s (GOFLAGS=%q)\n", DevEnv, BuildEnv()["GOFLAGS"])
	return sam.Sync(ctx, SamSyncArgs(DevEnv), BuildEnv())
}
