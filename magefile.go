//go:build mage

// The ToDoMgmt build: run `go tool mage -l` for the targets. This file holds
// the everyday ones (build, test, local); magefile_aws.go the AWS operations (sync too),
// magefile_lab.go the local two-region lab, magefile_api.go benchmarks and
// fuzzing. Logic lives in pkg/ and internal/; these files are glue.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/magefile/mage/sh"

	"github.com/todomgmt/todomgmt/internal/devserver"
	"github.com/todomgmt/todomgmt/internal/samcheck"
	"github.com/todomgmt/todomgmt/pkg/failover/console"
	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
)

// Build compiles every Lambda function for linux/arm64 into bin/<name>/bootstrap.
func Build(ctx context.Context) error {
	for _, fn := range lambdabuild.Functions {
		path, err := lambdabuild.Build(ctx, ".", fn, "bin", "arm64")
		if err != nil {
			return err
		}
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		fmt.Printf("built %s (%.1f MiB)\n", path, float64(info.Size())/(1<<20))
	}
	return nil
}

// Test runs everything: formatting and vet, AWS's SAM translator and cfn-lint on template.yaml, unit and template tests, the front-door function's Node tests, and the integration tests against MySQL in containers.
func Test(ctx context.Context) error {
	start := time.Now()
	steps := []struct {
		name string
		run  func() error
	}{
		{"gofmt", checkFormat},
		{"go vet", func() error { return sh.RunV("go", "vet", "./...") }},
		{"go vet (integration)", func() error { return sh.RunV("go", "vet", "-tags", "integration", "./...") }},
		{"SAM translator and cfn-lint", func() error {
			return samcheck.Run(ctx, samcheck.Options{Dir: ".", Out: os.Stdout, Require: samcheck.ToolsRequired()})
		}},
		{"unit and template tests", func() error { return sh.RunV("go", "test", "-race", "-count=1", "./...") }},
		{"front-door function tests", func() error { return sh.RunV("node", "--test", "frontdoor/router.test.mjs") }},
		{"integration tests", func() error {
			return sh.RunV("go", append([]string{"test", "-tags", "integration", "-count=1", "-timeout", "40m", "-v"}, integrationPackages...)...)
		}},
	}
	for _, s := range steps {
		fmt.Printf("==> %s (%s elapsed)\n", s.name, time.Since(start).Round(time.Second))
		if err := s.run(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	fmt.Printf("==> all tests passed in %s\n", time.Since(start).Round(time.Second))
	return nil
}

// integrationPackages hold the tests behind the integration build tag: the
// end-to-end suite, the packages whose own tests need a MySQL container,
// and designcheck's proof that AWS's tools catch what its removed checks
// caught (half a minute of cfn-lint; only the root package has one, so
// its topic packages' unit tests do not run a second time here).
var integrationPackages = []string{"./integration/...", "./handlers/migrate/", "./internal/mysqlcontainer/", "./internal/bench/", "./internal/designcheck/"}

// checkFormat fails when gofmt would change a tracked Go file.
func checkFormat() error {
	files, err := sh.Output("git", "ls-files", "*.go")
	if err != nil {
		return err
	}
	args := append([]string{"-l"}, strings.Fields(files)...)
	out, err := exec.Command("gofmt", args...).Output()
	if err != nil {
		return err
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		return fmt.Errorf("these files need gofmt:\n%s", s)
	}
	return nil
}

// Local serves the API on 127.0.0.1:3000 (TODOMGMT_PORT to change) with MySQL in a container, or in memory when Docker is unreachable, until Ctrl-C.
func Local(ctx context.Context) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	opts := devserver.OptionsFromEnv(os.Getenv)
	opts.Out = os.Stdout
	return devserver.Run(ctx, opts)
}

// interruptible cancels ctx on Ctrl-C, SIGTERM or the terminal closing
// (SIGHUP), so long waits stop and containers are removed: without it
// those signals kill the process before it cleans up.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
}

// confirmer asks the operator to type what a target is about to do
// (or reads it from TODOMGMT_CONFIRM): the AWS and lab targets that move
// traffic or delete share it.
func confirmer() console.Confirmer {
	return console.NewConfirmer(os.Stdin, os.Stdout, os.Getenv(console.ConfirmEnv))
}
