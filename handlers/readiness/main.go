// Command readiness is the scheduled Lambda function, one in each
// region, that says whether a planned switchover and an unplanned
// failover would work now, seen from its own region: every few minutes
// (an EventBridge schedule) it runs pkg/failover's planning code over the
// AWS adapters and publishes ToDoMgmt/Readiness Ready (1 or 0) per plan,
// with one JSON log line per plan naming the failing checks. It changes
// nothing. Logic: pkg/readiness; configuration: the TODOMGMT_* variables
// of readiness.Env, which template.yaml sets.
//
// Build (as lambdabuild does):
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags=-s -o bootstrap ./handlers/readiness
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/readiness"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := readiness.ConfigFromEnv(os.Getenv)
	if err != nil {
		logger.Error("configuration", "err", err)
		os.Exit(1)
	}
	// The execution role's credentials; every call names its region.
	awsCfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(cfg.Region))
	if err != nil {
		logger.Error("AWS configuration", "err", err)
		os.Exit(1)
	}
	c := readiness.New(cfg, awsclient.New(awsCfg), logger)
	lambda.Start(c.Handle)
}
