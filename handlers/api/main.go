// Command api is the ToDoMgmt REST API as a Lambda function behind API
// Gateway (REST API, proxy integration, payload v1).
//
// It is wiring only: configuration from the environment (pkg/dbconn and
// the TODOMGMT_* variables below), the connection pools, the MySQL store,
// the net/http handler of pkg/httpapi with API Gateway's scopes and request
// id, and aws-lambda-go-api-proxy in front. Everything is built once per
// execution environment, in main, never per request; the pools close on
// SIGTERM.
//
// Build (as lambdabuild does):
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags=-s -o bootstrap ./handlers/api
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/httpapi/apigw"
	"github.com/todomgmt/todomgmt/pkg/logformat"
	"github.com/todomgmt/todomgmt/pkg/mysql"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

func main() {
	cfg, err := loadConfig(os.Getenv)
	logger := logformat.New(os.Stdout, cfg.LogFormat)
	if err != nil {
		logger.Error("configuration", "err", err)
		os.Exit(1)
	}
	pools, err := dbconn.Open(context.Background(), cfg.DB)
	if err != nil {
		logger.Error("database pools", "db", cfg.DB.Redacted(), "err", err)
		os.Exit(1)
	}
	store := mysql.New(pools.Writer, mysql.WithReader(pools.Reader), mysql.WithRegion(cfg.Region))
	logger.Info("ready", "region", cfg.Region, "db", cfg.DB.Redacted(), "requestTimeout", cfg.RequestTimeout.String())

	h := newHandler(store, store, cfg, logger)
	lambda.StartWithOptions(httpadapter.New(h).ProxyWithContext,
		lambda.WithEnableSIGTERM(func() {
			logger.Info("SIGTERM: closing the database pools")
			if err := pools.Close(); err != nil {
				logger.Error("close the database pools", "err", err)
			}
		}))
}

// newHandler is the API as API Gateway reaches it: scopes and request ids
// come from the API Gateway request context.
func newHandler(svc todo.Service, checker todo.Checker, cfg config, logger *slog.Logger) http.Handler {
	return httpapi.New(httpapi.Config{
		Service:        svc,
		Checker:        checker,
		Region:         cfg.Region,
		Logger:         logger,
		RequestTimeout: cfg.RequestTimeout,
		Scopes:         apigw.Scopes(cfg.SAMLocal),
		RequestID:      apigw.RequestID,
	})
}
