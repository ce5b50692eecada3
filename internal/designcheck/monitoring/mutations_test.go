package monitoring

import (
	"strings"
	"testing"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/designcheck/checktest"
)

var mutations = []checktest.Mutation{
	// logs
	{Name: "log group without retention", Check: "logs", Want: "Resources.ApiAccessLogGroup: RetentionInDays must be set", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ApiAccessLogGroup", "Properties", "RetentionInDays")
	}},

	// alarms
	{Name: "no 5xx alarm", Check: "alarms", Want: "AWS/ApiGateway 5XXError", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelResource(tb, in, "Api5xxAlarm")
	}},
	{Name: "no RPO lag alarm", Check: "alarms", Want: "no alarm on AWS/RDS AuroraGlobalDBRPOLag", Sets: []string{"primary", "secondary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReplicationRpoLagAlarm", []string{"Properties", "Metrics", "0", "Expression"}, `!Sub "SELECT MAX(CPUUtilization) FROM \"AWS/RDS\" WHERE DBClusterIdentifier = '${DbCluster}'"`)
	}},
	{Name: "no proxy alarm", Check: "alarms", Want: "RDS Proxy connection failures", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelResource(tb, in, "ProxyDatabaseConnectionsFailedAlarm")
		checktest.DelResource(tb, in, "ProxyClientAuthFailedAlarm")
	}},
	{Name: "alarm that notifies nobody", Check: "alarms", Want: "Resources.ApiFunctionThrottlesAlarm: AlarmActions must be [!Ref AlarmTopic]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ApiFunctionThrottlesAlarm", "Properties", "AlarmActions")
	}},
	{Name: "alarm that does not say it recovered", Check: "alarms", Want: "Resources.Api5xxAlarm: OKActions must be [!Ref AlarmTopic]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "Api5xxAlarm", "Properties", "OKActions")
	}},
	{Name: "alarm on another topic", Check: "alarms", Want: "Resources.ProxyClientAuthFailedAlarm: AlarmActions must be", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ProxyClientAuthFailedAlarm", []string{"Properties", "AlarmActions"}, `[!Sub "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:ops"]`)
	}},
	{Name: "topic only with an e-mail address", Check: "alarms", Want: "want one SNS topic that every alarm notifies, got 0", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "AlarmTopic", []string{"Condition"}, "HasAlarmEmail")
	}},
	{Name: "topic not exported", Check: "alarms", Want: "Outputs.AlarmTopicArn: must be !Ref AlarmTopic", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Del(in.Source.Section("Outputs"), "AlarmTopicArn")
	}},
	{Name: "e-mail subscription without an address", Check: "alarms", Want: "1 e-mail subscription(s) of AlarmEmail, want 0", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "AlarmEmailSubscription", "Condition")
	}},
	{Name: "routing alarm that notifies nobody", Check: "alarms", Want: "Resources.RoutingAlarm: AlarmActions must be", Sets: []string{"secondary-route53"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "RoutingAlarm", "Properties", "AlarmActions")
	}},
	{Name: "lag alarms only where the stack was created secondary", Check: "alarms", Want: "no alarm on AWS/RDS AuroraGlobalDBReplicationLag", Sets: []string{"primary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReplicationLagAlarm", []string{"Condition"}, "IsSecondary")
	}},
	{Name: "lag alarm in ALARM wherever the cluster is the writer", Check: "alarms", Want: `TreatMissingData "breaching"`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReplicationRpoLagAlarm", []string{"Properties", "TreatMissingData"}, "breaching")
	}},
	{Name: "lag alarm silent when a secondary's metrics stop", Check: "alarms", Want: `TreatMissingData "notBreaching"`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReplicationLagAlarm", []string{"Properties", "TreatMissingData"}, "notBreaching")
	}},
	{Name: "stopped lag metrics notify nobody", Check: "alarms", Want: "InsufficientDataActions must be [!Ref AlarmTopic]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ReplicationLagAlarm", "Properties", "InsufficientDataActions")
	}},
	{Name: "lag alarm on the global cluster's name", Check: "alarms", Want: "must be measured on this stack's cluster, not ${GlobalClusterIdentifier}", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReplicationRpoLagAlarm", []string{"Properties", "Metrics", "0", "Expression"}, `!Sub "SELECT MAX(AuroraGlobalDBRPOLag) FROM \"AWS/RDS\" WHERE DBClusterIdentifier = '${GlobalClusterIdentifier}'"`)
	}},
	{Name: "lag alarm in the single-region stack", Check: "alarms", Want: "alarm without a peer region", Sets: []string{"default"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ReplicationLagAlarm", "Condition")
	}},
	{Name: "no alarm on the migrate function's errors", Check: "alarms", Want: "no AWS/Lambda Errors alarm on MigrateFunction", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelResource(tb, in, "MigrateFunctionErrorsAlarm")
	}},
	{Name: "failed migrations under CloudFormation not counted", Check: "alarms", Want: "no metric filter publishes ToDoMgmt/Migrate", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelResource(tb, in, "MigrateErrorLogsMetricFilter")
	}},
	{Name: "error-log filter on the API's log group", Check: "alarms", Want: "must read the migrate function's log group", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "MigrateErrorLogsMetricFilter", []string{"Properties", "LogGroupName"}, "!Ref ApiFunctionLogGroup")
	}},
	{Name: "error-log filter counting warnings", Check: "alarms", Want: `must count $.level = "ERROR" lines`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "MigrateErrorLogsMetricFilter", []string{"Properties", "FilterPattern"}, `'{ $.level = "WARN" }'`)
	}},
	{Name: "5xx alarm on a hand-typed API name", Check: "alarms", Want: "ApiName must be the same expression as Api's Name", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Api5xxAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt-api")
	}},
	{Name: "5xx alarm after the API was renamed", Check: "alarms", Want: "ApiName must be the same expression as Api's Name", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Api", []string{"Properties", "Name"}, `!Sub "${AppName}-rest-api"`)
	}},
	{Name: "5xx alarm on another stage", Check: "alarms", Want: "Stage must be !Ref Api.Stage", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Api5xxAlarm", []string{"Properties", "Dimensions", "1", "Value"}, "beta")
	}},
	{Name: "throttles alarm on the migrate function", Check: "alarms", Want: "no AWS/Lambda Throttles alarm on ApiFunction", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunctionThrottlesAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "!Ref MigrateFunction")
	}},
	{Name: "errors alarm on a typed function name", Check: "alarms", Want: "FunctionName must be !Ref of a function", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunctionErrorsAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt-api")
	}},
	{Name: "alarm dimension misnamed", Check: "alarms", Want: "dimensions [Function], want [FunctionName]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunctionErrorsAlarm", []string{"Properties", "Dimensions", "0", "Name"}, "Function")
	}},
	{Name: "proxy alarm on a typed proxy name", Check: "alarms", Want: "ProxyName must be !Ref of the stack's RDS Proxy", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ProxyClientAuthFailedAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt-proxy")
	}},

	// dashboard
	{Name: "a dashboard without the proxy's connections", Check: "dashboard", Want: "no widget graphs the proxy's connections", Mutate: func(tb testing.TB, in *designcheck.Input) {
		editDashboard(tb, in, `"ClientConnections", "ProxyName"`, `"ClientConnections", "Proxy"`)
		editDashboard(tb, in, `"DatabaseConnections", "ProxyName"`, `"DatabaseConnections", "Proxy"`)
	}},
	{Name: "a dashboard without the migrate function's duration", Check: "dashboard", Want: "no widget graphs MigrateFunction's duration", Mutate: func(tb testing.TB, in *designcheck.Input) {
		editDashboard(tb, in, `["AWS/Lambda", "Duration", "FunctionName", "${MigrateFunction}"`, `["AWS/Lambda", "Duration", "FunctionName", "${ApiFunction}"`)
	}},
	{Name: "a dashboard on a typed API name", Check: "dashboard", Want: "no widget graphs the API's requests", Sets: []string{"default"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Dashboard", []string{"Properties", "DashboardBody", "Fn::Sub", "1", "ApiName"}, "todomgmt-api")
	}},
	{Name: "a dashboard without the database capacity", Check: "dashboard", Want: "no widget graphs the database capacity", Mutate: func(tb testing.TB, in *designcheck.Input) {
		editDashboard(tb, in, `"ServerlessDatabaseCapacity"`, `"CPUUtilization"`)
	}},
	{Name: "a dashboard without the replication lag", Check: "dashboard", Want: "no widget graphs the replication lag of DbCluster", Mutate: func(tb testing.TB, in *designcheck.Input) {
		v := checktest.At(tb, checktest.ResNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "1", "PeerWidgets", "Fn::If", "1", "Fn::Sub", "0")
		v.Value = strings.ReplaceAll(v.Value, "SELECT MAX(AuroraGlobalDB", "SELECT MAX(Aurora")
	}},
	{Name: "a dashboard that does not show where traffic lands", Check: "dashboard", Want: "no widget graphs the peer region's API requests", Sets: []string{"primary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		v := checktest.At(tb, checktest.ResNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "1", "PeerWidgets", "Fn::If", "1", "Fn::Sub", "0")
		v.Value = strings.ReplaceAll(v.Value, `"region": "${PeerRegion}"`, `"region": "${AWS::Region}"`)
	}},
	{Name: "the routing metric read in the primary region", Check: "dashboard", Want: "no widget graphs the front door's route", Sets: []string{"primary-route53"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Dashboard", []string{"Properties", "DashboardBody", "Fn::Sub", "1", "RouteWidget", "Fn::If", "1", "Fn::Sub", "1", "Standby"}, "!Ref AWS::Region")
	}},
	{Name: "a dashboard without the distribution", Check: "dashboard", Want: "no widget graphs the front door's requests", Sets: []string{"primary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		branches := checktest.At(tb, checktest.ResNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "1", "RouteWidget", "Fn::If")
		branches.Content[2] = checktest.Node(tb, `""`)
	}},
	{Name: "an alarm missing from the alarm widget", Check: "dashboard", Want: "the alarm widget lacks ReplicationLagAlarm", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Dashboard", []string{"Properties", "DashboardBody", "Fn::Sub", "1", "LagAlarms"}, `!If [HasPeer, !Sub ', "${ReplicationRpoLagAlarm.Arn}"', ""]`)
	}},
	{Name: "a dashboard body that is not JSON", Check: "dashboard", Want: "is not JSON once evaluated", Mutate: func(tb testing.TB, in *designcheck.Input) {
		editDashboard(tb, in, `"start": "-PT3H",`, `"start": "-PT3H"`)
	}},
	{Name: "one dashboard name for both regions", Check: "dashboard", Want: "must contain the region", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Dashboard", []string{"Properties", "DashboardName"}, `!Sub "${AppName}"`)
	}},
	{Name: "no dashboard URL", Check: "dashboard", Want: "Outputs.DashboardUrl: must be !Sub", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Del(in.Source.Section("Outputs"), "DashboardUrl")
	}},

	// readiness
	{Name: "readiness function in the VPC", Check: "readiness", Want: "must not be in the VPC", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReadinessFunction", []string{"Properties", "VpcConfig"}, "{SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB], SecurityGroupIds: [!Ref ApiFunctionSecurityGroup]}")
	}},
	{Name: "readiness function without a peer", Check: "readiness", Want: "a readiness function or alarm without a peer region", Sets: []string{"default"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ReadinessFunction", "Condition")
		checktest.DelAt(tb, in, "ReadinessFunctionLogGroup", "Condition")
	}},
	{Name: "readiness function not scheduled", Check: "readiness", Want: "want one schedule invoking the readiness function, got 0", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ReadinessFunction", "Properties", "Events")
	}},
	{Name: "readiness scheduled by rate (drifts across the alarm periods)", Check: "readiness", Want: `ScheduleExpression "rate(5 minutes)"`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(checktest.At(tb, in.Source.Section("Mappings"), "ReadinessInterval", "5"), "Schedule", designcheck.Scalar(0, "rate(5 minutes)"))
	}},
	{Name: "readiness scheduled less often than its alarms' period", Check: "readiness", Want: "want cron(0/5 * * * ? *)", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(checktest.At(tb, in.Source.Section("Mappings"), "ReadinessInterval", "5"), "Schedule", designcheck.Scalar(0, "cron(0/10 * * * ? *)"))
	}},
	{Name: "readiness schedule disabled", Check: "readiness", Want: "the readiness schedule is disabled", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReadinessFunction", []string{"Properties", "Events", "Evaluate", "Properties", "Enabled"}, "false")
	}},
	{Name: "readiness role may modify the cluster", Check: "readiness", Want: "allows rds:ModifyDBCluster", Mutate: func(tb testing.TB, in *designcheck.Input) {
		st := checktest.At(tb, checktest.ResNode(tb, in, "ReadinessFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, checktest.Node(tb, `{Effect: Allow, Action: rds:ModifyDBCluster, Resource: !Sub "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster:${AppName}-${AWS::Region}"}`))
	}},
	{Name: "readiness role may move the front door", Check: "readiness", Want: "allows cloudfront-keyvaluestore:PutKey", Sets: []string{"primary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		st := checktest.At(tb, checktest.ResNode(tb, in, "ReadinessFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, checktest.Node(tb, `{Effect: Allow, Action: cloudfront-keyvaluestore:PutKey, Resource: !GetAtt FrontDoorKvs.Arn}`))
	}},
	{Name: "readiness role puts metrics in any namespace", Check: "readiness", Want: "allows cloudwatch:PutMetricData without the condition StringEquals cloudwatch:namespace ToDoMgmt/Readiness", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ReadinessFunction", "Properties", "Policies", "0", "Statement", "4", "Condition")
	}},
	{Name: "readiness role describes every cluster", Check: "readiness", Want: "allows rds:DescribeDBClusters on every resource", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReadinessFunction", []string{"Properties", "Policies", "0", "Statement", "1", "Resource"}, `"*"`)
	}},
	{Name: "readiness role with a VPC policy", Check: "readiness", Want: "AWSLambdaVPCAccessExecutionRole", Mutate: func(tb testing.TB, in *designcheck.Input) {
		pols := checktest.At(tb, checktest.ResNode(tb, in, "ReadinessFunction"), "Properties", "Policies")
		pols.Content = append(pols.Content, designcheck.Scalar(0, "AWSLambdaVPCAccessExecutionRole"))
	}},
	{Name: "no readiness alarm for the unplanned failover", Check: "readiness", Want: "want one readiness alarm for the unplanned plan, got 0", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReadinessUnplannedAlarm", []string{"Properties", "Dimensions", "1", "Value"}, "Unplanned")
	}},
	{Name: "readiness alarm silent when the function stops", Check: "readiness", Want: `TreatMissingData "notBreaching", want breaching`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReadinessPlannedAlarm", []string{"Properties", "TreatMissingData"}, "notBreaching")
	}},
	{Name: "readiness alarm on another period than the schedule's", Check: "readiness", Want: `Period "60"`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReadinessPlannedAlarm", []string{"Properties", "Period"}, "60")
	}},
	{Name: "readiness alarm on the average", Check: "readiness", Want: `Statistic "Average", want Minimum`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReadinessUnplannedAlarm", []string{"Properties", "Statistic"}, "Average")
	}},
	{Name: "readiness alarm on another app's metric", Check: "readiness", Want: "dimension AppName must be !Ref AppName", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReadinessPlannedAlarm", []string{"Properties", "Dimensions", "0", "Value"}, "todomgmt")
	}},
	{Name: "readiness checks other backups than the clusters keep", Check: "readiness", Want: `TODOMGMT_BACKUP_RETENTION_DAYS "14", but DbCluster keeps backups "7" days`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReadinessFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_BACKUP_RETENTION_DAYS"}, `"14"`)
	}},
	{Name: "readiness peer region hard-coded", Check: "readiness", Want: "TODOMGMT_PEER_REGION is", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReadinessFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_PEER_REGION"}, "us-west-2")
	}},
	{Name: "readiness reads another store than the front door's", Check: "readiness", Want: "TODOMGMT_KVS_ARN must be !GetAtt FrontDoorKvs.Arn", Sets: []string{"primary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReadinessFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_KVS_ARN"}, "!Ref FrontDoorKeyValueStoreArn")
	}},
	{Name: "readiness variable it does not read", Check: "readiness", Want: "TODOMGMT_DB_HOST is not one the readiness function reads", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReadinessFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOST"}, "!GetAtt DbProxy.Endpoint")
	}},
	{Name: "readiness without its global cluster", Check: "readiness", Want: "TODOMGMT_GLOBAL_CLUSTER missing", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ReadinessFunction", "Properties", "Environment", "Variables", "TODOMGMT_GLOBAL_CLUSTER")
	}},
	{Name: "readiness timeout shorter than its probes", Check: "readiness", Want: `Timeout "10"`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ReadinessFunction", []string{"Properties", "Timeout"}, "10")
	}},

	// The readiness parts of other checks: its alarms notify the topic and
	// show on the dashboard, its log group exists first, its output and
	// the secondary-only parameter's rule.
	{Name: "readiness alarm that does not notify on OK", Check: "alarms", Want: "Resources.ReadinessUnplannedAlarm: OKActions must be [!Ref AlarmTopic]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ReadinessUnplannedAlarm", "Properties", "OKActions")
	}},
	{Name: "readiness alarms off the dashboard", Check: "dashboard", Want: "the alarm widget lacks ReadinessPlannedAlarm", Mutate: func(tb testing.TB, in *designcheck.Input) {
		editDashboard(tb, in, "${LagAlarms}${ReadinessAlarms}", "${LagAlarms}")
	}},
	{Name: "dashboard without the readiness graph", Check: "dashboard", Want: "no widget graphs the unplanned plan's readiness", Mutate: func(tb testing.TB, in *designcheck.Input) {
		v := checktest.At(tb, checktest.ResNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "1", "PeerWidgets", "Fn::If", "1", "Fn::Sub", "0")
		if !strings.Contains(v.Value, `"Plan", "unplanned"`) {
			tb.Fatalf("no readiness graph to remove")
		}
		v.Value = strings.ReplaceAll(v.Value, `"Plan", "unplanned"`, `"Plan", "failback"`)
	}},
}

// editDashboard replaces old with new in the dashboard body's text.
func editDashboard(tb testing.TB, in *designcheck.Input, old, new string) {
	tb.Helper()
	v := checktest.At(tb, checktest.ResNode(tb, in, "Dashboard"), "Properties", "DashboardBody", "Fn::Sub", "0")
	if !strings.Contains(v.Value, old) {
		tb.Fatalf("the dashboard body has no %q", old)
	}
	v.Value = strings.ReplaceAll(v.Value, old, new)
}
