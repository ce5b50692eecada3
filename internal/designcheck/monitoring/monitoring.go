// Package monitoring checks what watches the deployment: log groups that
// expire, the alarms and the topic they notify, the dashboard, and the
// readiness function with its schedule, role and alarms.
package monitoring

import (
	"github.com/todomgmt/todomgmt/internal/designcheck"
)

// Checks are the monitoring checks, in the order they report.
var Checks = []designcheck.Check{
	{Name: "logs", Doc: "every log group sets RetentionInDays (CloudWatch Logs keeps logs forever otherwise)", Translated: true, Run: checkLogs},
	{Name: "alarms", Doc: "one SNS topic per region (AlarmTopicArn, AlarmEmail subscribed when set) that every alarm notifies on ALARM and OK; alarms on API 5xx, the API function's errors and throttles, the migrate function's errors and error logs, proxy connection failures, and the replication lag of this stack's cluster in both roles (missing data: INSUFFICIENT_DATA, notified), each on the dimensions of the resource it watches", Translated: true, Run: checkAlarms},
	{Name: "dashboard", Doc: "a CloudWatch dashboard per region (DashboardUrl) graphing this stack's API requests, 4xx/5xx and latency, both functions' errors and duration, DB capacity, proxy connections, replication lag, both plans' failover readiness, the front door's route as measured, and every alarm", Translated: true, Run: checkDashboard},
	{Name: "readiness", Doc: "wherever there is a peer, one readiness function outside the VPC on a schedule of ReadinessIntervalMinutes (cron, aligned with its alarms' period), its environment from this stack, a role that may only describe, get and list (and put its metric, in its namespace only), and one alarm per plan on its metric with missing data breaching; none without a peer", Translated: true, Run: checkReadiness},
}
