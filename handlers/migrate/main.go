// Command migrate is the schema Lambda: it applies the embedded migrations
// of pkg/mysql and creates or updates the least-privilege application user.
//
// It answers two kinds of invocation:
//
//   - a CloudFormation custom resource event (Custom::Migration): on
//     Create and Update it runs; on Delete it does nothing (the data stay);
//     it always PUTs SUCCESS or FAILED to the ResponseURL, also on error,
//     panic or an approaching timeout;
//   - a direct invoke {"action":"migrate"} or the original sample's
//     {"action":"CREATE_TABLE"}: it runs and returns the result as JSON.
//
// On a read-only server (the secondary region) it changes nothing and
// reports "skipped: read-only replica" as a success.
//
// Configuration: pkg/dbconn's TODOMGMT_DB_* (TODOMGMT_DB_USER is the master
// user here), TODOMGMT_APP_USER and TODOMGMT_APP_SECRET_ARN.
package main

import (
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	h := newHandler(newMigrator(os.Getenv).Run, newLogger(os.Getenv))
	lambda.Start(h.Handle)
}

// newLogger logs JSON in Lambda (or when TODOMGMT_LOG_FORMAT=json), text
// otherwise.
func newLogger(getenv func(string) string) *slog.Logger {
	format := strings.ToLower(getenv("TODOMGMT_LOG_FORMAT"))
	if format == "" && getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		format = "json"
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stdout, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stdout, nil))
}
