package monitoring

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/pkg/readiness"
)

// alarmDimensions are the dimension names each metric family is published
// with; an alarm on other dimensions watches a metric nobody publishes and
// stays in INSUFFICIENT_DATA (or OK) forever. ToDoMgmt/Migrate is the
// metric filter's, which has no dimensions.
var alarmDimensions = map[string][]string{
	"AWS/ApiGateway":    {"ApiName", "Stage"},
	"AWS/Lambda":        {"FunctionName"},
	"AWS/RDS proxy":     {"ProxyName"},
	"ToDoMgmt/Routing":  {"AppName"},
	"ToDoMgmt/Migrate":  {},
	readiness.Namespace: {readiness.DimensionAppName, readiness.DimensionPlan},
}

// LagMetrics are the global database's lag metrics that must be alarmed
// on. Aurora publishes them only for a secondary cluster, in its region.
var LagMetrics = []string{"AuroraGlobalDBRPOLag", "AuroraGlobalDBReplicationLag"}

// lagQuery is the Metrics Insights query of a lag alarm, as written under
// Fn::Sub: the metric's maximum over every series of this cluster,
// whatever other dimensions (SourceRegion) Aurora publishes it with.
var lagQuery = regexp.MustCompile(`^SELECT MAX\((\w+)\) FROM "AWS/RDS" WHERE DBClusterIdentifier = '\$\{(\w+)\}'$`)

// lagMissingData is the TreatMissingData of the lag alarms: the writer's
// cluster publishes no lag, and must not be in ALARM for it (breaching),
// while a secondary whose metrics stop must not look healthy
// (notBreaching) nor keep whatever state it had when it was promoted
// (ignore). missing puts both in INSUFFICIENT_DATA, which notifies.
const lagMissingData = "missing"

// migrateErrorPattern is what the migrate function's error-log metric
// filter must match: the ERROR lines of its slog JSON output.
const migrateErrorPattern = `$.level = "ERROR"`

// checkAlarms: each deployment has one SNS topic, exported as
// AlarmTopicArn and subscribed by AlarmEmail when it is set; every alarm
// notifies it on ALARM and OK; the alarms the design needs exist, each on
// the dimensions of the resource it watches: API 5xx, the API function's
// errors and throttles, the migrate function's errors and error logs,
// RDS Proxy connection failures, and, wherever there is a peer region,
// the replication lag of this stack's cluster in BOTH roles (after a
// failover the secondary cluster is the one created as primary), quiet on
// the writer and loud on a secondary whose metrics stop.
func checkAlarms(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		topics := d.OfType("AWS::SNS::Topic")
		if len(topics) != 1 {
			r.AddIn(d, "Resources", "want one SNS topic that every alarm notifies, got %d", len(topics))
			continue
		}
		topic := topics[0]
		checkTopic(d, r, topic)
		have := map[string]bool{}
		lambda := map[string]bool{} // "<metric> <function>"
		for _, a := range d.OfType("AWS::CloudWatch::Alarm") {
			aw := "Resources." + a.Name
			for _, k := range []string{"AlarmActions", "OKActions"} {
				if acts := designcheck.Items(a.Prop(k)); len(acts) != 1 || !designcheck.IsRef(acts[0], topic.Name) {
					r.AddIn(d, aw, "%s must be [!Ref %s]: every alarm notifies the region's topic, on ALARM and on OK", k, topic.Name)
				}
			}
			if metric, ok := checkLagAlarm(d, r, aw, a, topic); ok {
				have["AWS/RDS "+metric] = true
				continue
			}
			ns, _ := designcheck.Str(a.Prop("Namespace"))
			metric, _ := designcheck.Str(a.Prop("MetricName"))
			have[ns+" "+metric] = true
			dims := map[string]*yaml.Node{}
			for _, dim := range designcheck.Items(a.Prop("Dimensions")) {
				dims[designcheck.StrValue(designcheck.Get(dim, "Name"))] = designcheck.Get(dim, "Value")
			}
			family := ns
			if ns == "AWS/RDS" {
				family = "AWS/RDS proxy"
			}
			want, known := alarmDimensions[family]
			if !known {
				r.AddIn(d, aw, "namespace %q: the alarm checks know no dimensions for it", ns)
				continue
			}
			if got := slices.Sorted(maps.Keys(dims)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
				r.AddIn(d, aw, "%s %s dimensions %v, want %v", ns, metric, got, want)
				continue
			}
			switch family {
			case "AWS/ApiGateway":
				checkAPIAlarm(d, r, aw, dims)
			case "AWS/Lambda":
				fn, _ := designcheck.RefTarget(dims["FunctionName"])
				if res := d.Resource(fn); res == nil || res.Type != "AWS::Lambda::Function" {
					r.AddIn(d, aw, "FunctionName must be !Ref of a function in this stack")
					continue
				}
				lambda[metric+" "+fn] = true
			case "AWS/RDS proxy":
				p, _ := designcheck.RefTarget(dims["ProxyName"])
				if res := d.Resource(p); res == nil || res.Type != "AWS::RDS::DBProxy" {
					r.AddIn(d, aw, "ProxyName must be !Ref of the stack's RDS Proxy")
				}
			case "ToDoMgmt/Migrate":
				if checkErrorLogAlarm(in, d, r, aw, a) {
					have["ToDoMgmt/Migrate error-logs"] = true
				}
			}
		}
		want := []string{"AWS/ApiGateway 5XXError", "AWS/Lambda Errors", "AWS/Lambda Throttles", "ToDoMgmt/Migrate error-logs"}
		if d.Params["PeerRegion"] != "" {
			for _, m := range LagMetrics {
				want = append(want, "AWS/RDS "+m)
			}
		}
		for _, w := range want {
			if !have[w] {
				r.AddIn(d, "Resources", "no alarm on %s", w)
			}
		}
		for _, fn := range d.OfType("AWS::Lambda::Function") {
			var metrics []string
			switch in.PackageOf(fn.Name) {
			case "handlers/api":
				metrics = []string{"Errors", "Throttles"}
			case "handlers/migrate":
				metrics = []string{"Errors"}
			}
			for _, m := range metrics {
				if !lambda[m+" "+fn.Name] {
					r.AddIn(d, "Resources", "no AWS/Lambda %s alarm on %s", m, fn.Name)
				}
			}
		}
		if !have["AWS/RDS DatabaseConnectionsSetupFailed"] && !have["AWS/RDS ClientConnectionsSetupFailedAuth"] {
			r.AddIn(d, "Resources", "no alarm on RDS Proxy connection failures")
		}
	}
}

// checkTopic: the topic is the AlarmTopicArn output, and AlarmEmail, when
// set, is subscribed to it.
func checkTopic(d *designcheck.Deployment, r *designcheck.Report, topic *designcheck.Resource) {
	if o := d.Outputs["AlarmTopicArn"]; o == nil || !designcheck.IsRef(designcheck.Get(o, "Value"), topic.Name) {
		r.AddIn(d, "Outputs.AlarmTopicArn", "must be !Ref %s (where to subscribe pagers and chat)", topic.Name)
	}
	subs := 0
	for _, s := range d.OfType("AWS::SNS::Subscription") {
		if designcheck.IsRef(s.Prop("TopicArn"), topic.Name) && designcheck.StrValue(s.Prop("Protocol")) == "email" && designcheck.IsRef(s.Prop("Endpoint"), "AlarmEmail") {
			subs++
		}
	}
	if want := map[bool]int{true: 1, false: 0}[d.Params["AlarmEmail"] != ""]; subs != want {
		r.AddIn(d, "Resources."+topic.Name, "%d e-mail subscription(s) of AlarmEmail, want %d (AlarmEmail=%q)", subs, want, d.Params["AlarmEmail"])
	}
}

// checkLagAlarm checks a Metrics Insights alarm on a lag metric and
// returns the metric; ok is false for an alarm that is not one.
func checkLagAlarm(d *designcheck.Deployment, r *designcheck.Report, where string, a *designcheck.Resource, topic *designcheck.Resource) (metric string, ok bool) {
	queries := designcheck.Items(a.Prop("Metrics"))
	if len(queries) != 1 {
		return "", false
	}
	f, arg, isFn := designcheck.Intrinsic(designcheck.Get(queries[0], "Expression"))
	text, _ := designcheck.Str(arg)
	m := lagQuery.FindStringSubmatch(text)
	if !isFn || f != "Fn::Sub" || m == nil || !slices.Contains(LagMetrics, m[1]) {
		r.AddIn(d, where, "a Metrics alarm must be !Sub \"SELECT MAX(<lag metric>) FROM \\\"AWS/RDS\\\" WHERE DBClusterIdentifier = '${<cluster>}'\", got %s", designcheck.Render(designcheck.Get(queries[0], "Expression")))
		return "", false
	}
	if c := d.Resource(m[2]); c == nil || c.Type != "AWS::RDS::DBCluster" {
		r.AddIn(d, where, "%s must be measured on this stack's cluster, not ${%s}", m[1], m[2])
	}
	if d.Params["PeerRegion"] == "" {
		r.AddIn(d, where, "%s alarm without a peer region: there is no replication to measure", m[1])
	}
	if v := designcheck.StrValue(a.Prop("TreatMissingData")); v != lagMissingData {
		r.AddIn(d, where, "TreatMissingData %q, want %s: the writer publishes no lag and must stay out of ALARM, a secondary whose metrics stop must not look healthy", v, lagMissingData)
	}
	if acts := designcheck.Items(a.Prop("InsufficientDataActions")); len(acts) != 1 || !designcheck.IsRef(acts[0], topic.Name) {
		r.AddIn(d, where, "InsufficientDataActions must be [!Ref %s]: a secondary whose lag metrics stop shows as INSUFFICIENT_DATA", topic.Name)
	}
	return m[1], true
}

// checkErrorLogAlarm: the alarm watches the metric of a metric filter
// that counts the ERROR lines of the migrate function's log group.
func checkErrorLogAlarm(in *designcheck.Input, d *designcheck.Deployment, r *designcheck.Report, where string, a *designcheck.Resource) bool {
	for _, mf := range d.OfType("AWS::Logs::MetricFilter") {
		for _, t := range designcheck.Items(mf.Prop("MetricTransformations")) {
			if !designcheck.EqualNodes(designcheck.Get(t, "MetricNamespace"), a.Prop("Namespace")) || !designcheck.EqualNodes(designcheck.Get(t, "MetricName"), a.Prop("MetricName")) {
				continue
			}
			group, _ := designcheck.RefTarget(mf.Prop("LogGroupName"))
			ok := false
			for _, fn := range d.OfType("AWS::Lambda::Function") {
				if in.PackageOf(fn.Name) == "handlers/migrate" && slices.Contains(fn.DependsOn, group) {
					ok = true
				}
			}
			if !ok {
				r.AddIn(d, where, "its metric filter %s must read the migrate function's log group", mf.Name)
				return false
			}
			if !strings.Contains(designcheck.StrValue(mf.Prop("FilterPattern")), migrateErrorPattern) {
				r.AddIn(d, where, "its metric filter %s must count %s lines, got %q", mf.Name, migrateErrorPattern, designcheck.StrValue(mf.Prop("FilterPattern")))
				return false
			}
			return true
		}
	}
	r.AddIn(d, where, "no metric filter publishes %s %s", designcheck.StrValue(a.Prop("Namespace")), designcheck.Render(a.Prop("MetricName")))
	return false
}

// checkAPIAlarm: REST API metrics are keyed by the API's name and stage.
// No Fn::GetAtt returns a REST API's name, so the alarm must use the very
// expression of the API's Name (a hand-typed copy drifts when AppName or
// the Name changes), and the stage by !Ref of its stage (what SAM makes
// of !Ref Api.Stage) or the stage's name.
func checkAPIAlarm(d *designcheck.Deployment, r *designcheck.Report, where string, dims map[string]*yaml.Node) {
	apis := d.OfType("AWS::ApiGateway::RestApi")
	if len(apis) != 1 {
		return // the api check reports it
	}
	api := apis[0]
	name := api.Prop("Name")
	if name == nil || !designcheck.EqualNodes(dims["ApiName"], name) {
		r.AddIn(d, where, "ApiName must be the same expression as %s's Name", api.Name)
	}
	for _, st := range d.OfType("AWS::ApiGateway::Stage") {
		if designcheck.IsRef(st.Prop("RestApiId"), api.Name) && (designcheck.IsRef(dims["Stage"], st.Name) || designcheck.EqualNodes(dims["Stage"], st.Prop("StageName"))) {
			return
		}
	}
	r.AddIn(d, where, "Stage must be !Ref %s.Stage (the stage of %s)", api.Name, api.Name)
}
