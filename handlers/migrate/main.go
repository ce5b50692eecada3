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
//     {"action":"CREATE_TABLE"}: it runs and returns the result as JSON;
//   - a direct invoke {"action":"purge-idempotency-keys"} (hourly, from an
//     EventBridge schedule): it deletes the idempotency keys older than
//     TODOMGMT_IDEMPOTENCY_RETENTION (default 24h, at least 1h) on the
//     writer, without retrying a database that does not answer, and
//     returns how many it deleted and the cutoff;
//   - a direct invoke {"action":"fence-ids","fence":{"region":…,
//     "dataLoss":…,"lagSeconds":…,"minGap":…}} (the failover orchestrator,
//     once this region's cluster is the writer): it runs the id fence
//     (pkg/mysql.FenceIDs) on the writer, so that this region may create
//     todos with ids past any the old writer can have issued, and returns
//     {"region","term","skipped","maxId","floor","gap","rate",
//     "windowSeconds","reason"}. It fails on a read-only server, and for a
//     region other than its own;
//   - a direct invoke {"action":"fence-state"} (the failover orchestrator
//     in every region when it evaluates: status and every plan): it reads
//     the id fence (pkg/mysql.ReadFence) and changes nothing, from the
//     read/write endpoint or, when that refuses the connection (no writer
//     in this region), from the read-only one, and returns {"region",
//     "term","fencedAt","endpoint"}: the region whose writer may create,
//     and which endpoint answered; or {"unread": why} when neither
//     answers (logged as a warning: a look must not raise the function's
//     error alarms).
//
// In a region without a writer (a global database's secondary) a migration
// or purge changes nothing and reports a success: "skipped: read-only replica" when the
// read/write endpoint reaches a read-only server, and "skipped: read-only
// replica (no writer in this region)" when the read/write endpoint refuses
// the connection (RDS Proxy with no writer behind it) and the read-only
// endpoint, TODOMGMT_DB_READER_HOST, reaches a read-only server. Unless
// that server says the global database's writer is in this very region
// (Aurora's information_schema.aurora_global_db_instance_status): an
// in-region failover is under way, and a migration waits for the new
// writer (the purge reports "skipped" for the next hourly run). When
// neither endpoint answers so, the run fails.
//
// Configuration: pkg/dbconn's TODOMGMT_DB_* (TODOMGMT_DB_USER is the master
// user here; TODOMGMT_DB_READER_HOST the proxy's read-only endpoint),
// TODOMGMT_REGION (else AWS_REGION; the migration seeds the id fence with
// it, and it must be the API's), TODOMGMT_APP_USER,
// TODOMGMT_APP_SECRET_ARN and TODOMGMT_IDEMPOTENCY_RETENTION.
package main

import (
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/todomgmt/todomgmt/pkg/logformat"
)

func main() {
	m := newMigrator(os.Getenv)
	h := newHandler(m.Run, m.Purge, newLogger(os.Getenv))
	h.fence, h.fenceState = m.Fence, m.FenceState
	lambda.Start(h.Handle)
}

// newLogger logs JSON in Lambda (or when TODOMGMT_LOG_FORMAT=json), text
// otherwise. Unlike the API, which refuses an unknown format at init, it
// reads the value case-insensitively and takes an unknown one for text.
func newLogger(getenv func(string) string) *slog.Logger {
	format := strings.ToLower(getenv(logformat.Env))
	if format == "" {
		format = logformat.Default(getenv)
	}
	return logformat.New(os.Stdout, format)
}
