//go:build mage

// Benchmarks and fuzzing of the API (internal/bench, pkg/httpapi). Glue only.
// (Not a package comment: magefile.go has that.)

package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/magefile/mage/sh"

	"github.com/todomgmt/todomgmt/internal/bench"
)

// Bench prints the api bootstrap's size against its limit, its cold start and peak memory (AWS mode with TLS and an IAM token, local mode, bare) and, for every kind of request, the database round trips, latency and throughput beside its floor (the same SQL without our code), against MySQL in a container (TODOMGMT_BENCH_RUNS, TODOMGMT_BENCH_REQUESTS and TODOMGMT_BENCH_COLD_STARTS adjust the counts).
func Bench(ctx context.Context) error {
	opts, err := bench.OptionsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	opts.Progress = os.Stdout
	report, err := bench.Run(ctx, opts)
	if err != nil {
		return err
	}
	return report.Print(os.Stdout)
}

// Fuzz runs the API's fuzz target FuzzAPI for TODOMGMT_FUZZ_TIME (a Go duration, default 30s); failures land in pkg/httpapi/testdata/fuzz.
func Fuzz(ctx context.Context) error {
	fuzzTime := os.Getenv("TODOMGMT_FUZZ_TIME")
	if fuzzTime == "" {
		fuzzTime = "30s"
	}
	if d, err := time.ParseDuration(fuzzTime); err != nil || d <= 0 {
		return fmt.Errorf("TODOMGMT_FUZZ_TIME: %q is not a positive Go duration such as 30s", fuzzTime)
	}
	return sh.RunV("go", "test", "-run", "^$", "-fuzz", "^FuzzAPI$", "-fuzztime", fuzzTime, "./pkg/httpapi")
}
