package monitoring

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/pkg/failover/assess"
	"github.com/todomgmt/todomgmt/pkg/readiness"
)

// readinessActions are the only actions the readiness function's role
// may allow: describe, get and list, and its metric's put. The value says
// whether the action may name every resource ("*"): CloudWatch grants
// ListMetrics, GetMetricData and PutMetricData on * only, and the
// Service Authorization Reference we could read lists no resource types
// for DescribeGlobalClusters and DescribeDBClusterSnapshots; the others
// name their resources.
var readinessActions = map[string]bool{
	"rds:DescribeGlobalClusters":                     true,
	"rds:DescribeDBClusterSnapshots":                 true,
	"rds:DescribeDBClusters":                         false,
	"rds:DescribeDBProxyTargets":                     false,
	"cloudwatch:ListMetrics":                         true,
	"cloudwatch:GetMetricData":                       true,
	"cloudwatch:PutMetricData":                       true,
	"cloudwatch:DescribeAlarms":                      false,
	"cognito-idp:DescribeUserPool":                   false,
	"cloudfront-keyvaluestore:GetKey":                false,
	"cloudfront-keyvaluestore:DescribeKeyValueStore": false,
}

// readinessManagedPolicies are the managed policies SAM attaches to a
// traced function outside a VPC (logs, X-Ray): nothing else.
var readinessManagedPolicies = []string{"service-role/AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"}

// readinessCron is the schedule of an interval: the first minute of each
// interval, so each run's datapoint falls in the alarm period that starts
// with it.
var readinessCron = regexp.MustCompile(`^cron\((0|0/(\d+)) \* \* \* \? \*\)$`)

// checkReadiness: wherever the stack has a peer, exactly one function
// built from handlers/readiness: outside the VPC (it calls both regions'
// AWS APIs and public API endpoints; the VPC has no route out), on an
// enabled schedule of ReadinessIntervalMinutes aligned with its alarms'
// period, with its environment taken from this stack, a timeout that
// fits twice its probe timeout and within its interval, a role that may
// only describe, get and list, and put metric data in its namespace, and
// one alarm per plan on Ready with missing data breaching (a function that
// stopped is not "ready"). Without a peer, none of it.
func checkReadiness(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		var fns []*designcheck.Resource
		for _, fn := range d.OfType("AWS::Lambda::Function") {
			if in.PackageOf(fn.Name) == designcheck.ReadinessHandler {
				fns = append(fns, fn)
			}
		}
		alarms := readinessAlarms(d)
		if d.Params["PeerRegion"] == "" {
			if len(fns) != 0 || len(alarms) != 0 {
				r.AddIn(d, "Resources", "a readiness function or alarm without a peer region: there is nothing to fail over to")
			}
			continue
		}
		if len(fns) != 1 {
			r.AddIn(d, "Resources", "want one readiness function (%s) in every stack with a peer, got %d", designcheck.ReadinessHandler, len(fns))
			continue
		}
		fn := fns[0]
		where := "Resources." + fn.Name
		if fn.Prop("VpcConfig") != nil {
			r.AddIn(d, where, "must not be in the VPC: it calls both regions' AWS APIs and public API endpoints, and the VPC has no route out")
		}
		interval, err := strconv.Atoi(d.Params["ReadinessIntervalMinutes"])
		if err != nil || interval < 1 {
			r.AddIn(d, "Parameters.ReadinessIntervalMinutes", "%q is not a number of minutes", d.Params["ReadinessIntervalMinutes"])
			continue
		}
		checkReadinessSchedule(d, r, fn, interval)
		checkReadinessEnv(d, r, where, fn, interval)
		if role := d.FunctionRole(fn); role == nil {
			r.AddIn(d, where, "Role must be !GetAtt of a role in the stack (the one SAM generates from Policies)")
		} else {
			checkReadinessRole(d, r, role)
		}
		checkReadinessAlarms(d, r, alarms, interval)
	}
}

// readinessAlarms are the deployment's alarms on the readiness metric.
func readinessAlarms(d *designcheck.Deployment) []*designcheck.Resource {
	var out []*designcheck.Resource
	for _, a := range d.OfType("AWS::CloudWatch::Alarm") {
		if designcheck.StrValue(a.Prop("Namespace")) == readiness.Namespace {
			out = append(out, a)
		}
	}
	return out
}

// checkReadinessSchedule: one enabled EventBridge rule (what SAM makes of
// a Schedule event) invokes the function, at the first minute of every
// ReadinessIntervalMinutes.
func checkReadinessSchedule(d *designcheck.Deployment, r *designcheck.Report, fn *designcheck.Resource, interval int) {
	found := 0
	for _, rule := range d.OfType("AWS::Events::Rule") {
		for _, t := range designcheck.Items(rule.Prop("Targets")) {
			if d.InvokedFunction(designcheck.Get(t, "Arn")) != fn.Name {
				continue
			}
			found++
			where := "Resources." + rule.Name
			if strings.EqualFold(designcheck.StrValue(rule.Prop("State")), "DISABLED") {
				r.AddIn(d, where, "the readiness schedule is disabled: the alarms would see only missing data")
			}
			expr, err := d.Value(rule.Prop("ScheduleExpression"))
			m := readinessCron.FindStringSubmatch(expr)
			every := 60
			if m != nil && m[2] != "" {
				every, _ = strconv.Atoi(m[2])
			}
			if err != nil || m == nil || every != interval {
				r.AddIn(d, where, "ScheduleExpression %q (%v): want cron(0/%d * * * ? *), the first minute of every ReadinessIntervalMinutes (%d), so each datapoint falls in its alarm period",
					expr, err, interval, interval)
			}
		}
	}
	if found != 1 {
		r.AddIn(d, "Resources."+fn.Name, "want one schedule invoking the readiness function, got %d", found)
	}
}

// checkReadinessEnv: the variables are the ones the function reads, each
// required one set, and the ones this stack knows taken from it; the
// timeout leaves room for two probe phases and a put, within an interval.
func checkReadinessEnv(d *designcheck.Deployment, r *designcheck.Report, where string, fn *designcheck.Resource, interval int) {
	env := fn.Prop("Environment", "Variables")
	for _, k := range designcheck.Keys(env) {
		if !slices.Contains(readiness.Env, k) {
			r.AddIn(d, where, "environment variable %s is not one the readiness function reads (readiness.Env)", k)
		}
	}
	for _, k := range readiness.RequiredEnv {
		if designcheck.Get(env, k) == nil {
			r.AddIn(d, where, "environment variable %s missing for %s", k, designcheck.ReadinessHandler)
		}
	}
	want := map[string]func(*yaml.Node) bool{
		readiness.EnvRegion:             func(n *yaml.Node) bool { return designcheck.IsRef(n, "AWS::Region") },
		readiness.EnvPeerRegion:         func(n *yaml.Node) bool { return designcheck.IsRef(n, "PeerRegion") },
		readiness.EnvAppName:            func(n *yaml.Node) bool { return designcheck.IsRef(n, "AppName") },
		readiness.EnvGlobalCluster:      func(n *yaml.Node) bool { return designcheck.IsRef(n, "GlobalClusterIdentifier") },
		readiness.EnvDeletionProtection: func(n *yaml.Node) bool { return designcheck.IsRef(n, "DeletionProtection") },
		readiness.EnvPeerUserPoolARN:    func(n *yaml.Node) bool { return designcheck.IsRef(n, "PeerUserPoolArn") },
		readiness.EnvProxyName: func(n *yaml.Node) bool {
			name, _ := designcheck.RefTarget(n)
			res := d.Resource(name)
			return res != nil && res.Type == "AWS::RDS::DBProxy"
		},
		readiness.EnvUserPoolID: func(n *yaml.Node) bool {
			name, _ := designcheck.RefTarget(n)
			res := d.Resource(name)
			return res != nil && res.Type == "AWS::Cognito::UserPool"
		},
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if v := designcheck.Get(env, k); v != nil && !want[k](v) {
			r.AddIn(d, where, "%s is %s: it must come from this stack (%s)", k, designcheck.Render(v), readinessEnvSource[k])
		}
	}
	// The backups it checks are the ones the clusters keep.
	days := designcheck.StrValue(designcheck.Get(env, readiness.EnvBackupRetention))
	for _, c := range d.OfType("AWS::RDS::DBCluster") {
		if got := designcheck.StrValue(c.Prop("BackupRetentionPeriod")); got != days {
			r.AddIn(d, where, "%s %q, but %s keeps backups %q days", readiness.EnvBackupRetention, days, c.Name, got)
		}
	}
	// The front door it reads is the stack's.
	if mode := d.Outputs["FrontDoorMode"]; mode != nil && !designcheck.EqualNodes(designcheck.Get(env, readiness.EnvFrontDoorMode), designcheck.Get(mode, "Value")) {
		r.AddIn(d, where, "%s must be the FrontDoorMode output's expression", readiness.EnvFrontDoorMode)
	}
	for _, kvs := range d.OfType("AWS::CloudFront::KeyValueStore") {
		if rn, attr, ok := designcheck.GetAttTarget(designcheck.Get(env, readiness.EnvKVSARN)); !ok || rn != kvs.Name || attr != "Arn" {
			r.AddIn(d, where, "%s must be !GetAtt %s.Arn in the stack that owns the front door", readiness.EnvKVSARN, kvs.Name)
		}
	}
	probe := readiness.DefaultProbeTimeout
	if v := designcheck.Get(env, readiness.EnvProbeTimeout); v != nil {
		p, err := time.ParseDuration(designcheck.StrValue(v))
		if err != nil || p <= 0 {
			r.AddIn(d, where, "%s %q is not a positive duration", readiness.EnvProbeTimeout, designcheck.StrValue(v))
			return
		}
		probe = p
	}
	timeout, err := strconv.Atoi(designcheck.StrValue(fn.Prop("Timeout")))
	if err != nil || time.Duration(timeout)*time.Second < 2*probe+10*time.Second || timeout > interval*60 {
		r.AddIn(d, where, "Timeout %q: want at least two probe phases (%s each) and the put (10 s), and at most the interval (%d s)", designcheck.StrValue(fn.Prop("Timeout")), probe, interval*60)
	}
}

// readinessEnvSource says where each variable of checkReadinessEnv must
// come from.
var readinessEnvSource = map[string]string{
	readiness.EnvRegion: "!Ref AWS::Region", readiness.EnvPeerRegion: "!Ref PeerRegion", readiness.EnvAppName: "!Ref AppName",
	readiness.EnvGlobalCluster: "!Ref GlobalClusterIdentifier", readiness.EnvDeletionProtection: "!Ref DeletionProtection",
	readiness.EnvPeerUserPoolARN: "!Ref PeerUserPoolArn", readiness.EnvProxyName: "!Ref of the stack's RDS Proxy",
	readiness.EnvUserPoolID: "!Ref of the stack's user pool",
}

// checkReadinessRole: the role may only describe, get and list (and put
// the readiness metric, in its namespace only); an action that supports
// resource-level permissions names its resources; no other managed
// policy than the logs' and X-Ray's.
func checkReadinessRole(d *designcheck.Deployment, r *designcheck.Report, role *designcheck.Resource) {
	where := "Resources." + role.Name
	for _, m := range designcheck.Items(role.Prop("ManagedPolicyArns")) {
		text := designcheck.StrValue(m)
		if f, arg, ok := designcheck.Intrinsic(m); ok && f == "Fn::Sub" {
			text, _ = designcheck.Str(arg)
		}
		if !slices.ContainsFunc(readinessManagedPolicies, func(p string) bool { return strings.HasSuffix(text, ":policy/"+p) }) {
			r.AddIn(d, where, "managed policy %q: the readiness role gets the logs' and X-Ray's only", text)
		}
	}
	for _, pol := range designcheck.Items(role.Prop("Policies")) {
		for i, st := range designcheck.Items(designcheck.Get(pol, "PolicyDocument", "Statement")) {
			sid := designcheck.StrValue(designcheck.Get(st, "Sid"))
			at := fmt.Sprintf("statement %d %q", i, sid)
			if designcheck.StrValue(designcheck.Get(st, "Effect")) != "Allow" {
				continue
			}
			if designcheck.Get(st, "NotAction") != nil || designcheck.Get(st, "NotResource") != nil {
				r.AddIn(d, where, "%s: NotAction or NotResource grants more than it names", at)
				continue
			}
			star := designcheck.ContainsStar(designcheck.Get(st, "Resource"), false)
			for _, a := range designcheck.Items(designcheck.Get(st, "Action")) {
				action := designcheck.StrValue(a)
				mayStar, ok := readinessActions[action]
				switch {
				case !ok:
					r.AddIn(d, where, "%s allows %s: the readiness function may only describe, get and list (and put its metric)", at, action)
				case star && !mayStar:
					r.AddIn(d, where, "%s allows %s on every resource: name the resources", at, action)
				case action == "cloudwatch:PutMetricData":
					if ns := designcheck.StrValue(designcheck.Get(st, "Condition", "StringEquals", "cloudwatch:namespace")); ns != readiness.Namespace {
						r.AddIn(d, where, "%s allows cloudwatch:PutMetricData without the condition StringEquals cloudwatch:namespace %s", at, readiness.Namespace)
					}
				}
			}
		}
	}
}

// checkReadinessAlarms: one alarm per plan on the function's metric, as
// the function publishes it (the app's and the plan's dimensions), not
// ready below 1, missing data breaching, with the schedule's period.
func checkReadinessAlarms(d *designcheck.Deployment, r *designcheck.Report, alarms []*designcheck.Resource, interval int) {
	for _, kind := range assess.Kinds {
		var mine []*designcheck.Resource
		for _, a := range alarms {
			for _, dim := range designcheck.Items(a.Prop("Dimensions")) {
				if designcheck.StrValue(designcheck.Get(dim, "Name")) == readiness.DimensionPlan && designcheck.StrValue(designcheck.Get(dim, "Value")) == string(kind) {
					mine = append(mine, a)
				}
			}
		}
		if len(mine) != 1 {
			r.AddIn(d, "Resources", "want one readiness alarm for the %s plan, got %d", kind, len(mine))
			continue
		}
		a := mine[0]
		where := "Resources." + a.Name
		if v := designcheck.StrValue(a.Prop("MetricName")); v != readiness.MetricName {
			r.AddIn(d, where, "MetricName %q, want %s", v, readiness.MetricName)
		}
		for _, dim := range designcheck.Items(a.Prop("Dimensions")) {
			if designcheck.StrValue(designcheck.Get(dim, "Name")) == readiness.DimensionAppName && !designcheck.IsRef(designcheck.Get(dim, "Value"), "AppName") {
				r.AddIn(d, where, "dimension %s must be !Ref AppName, as the function publishes it", readiness.DimensionAppName)
			}
		}
		for prop, want := range map[string]string{"Statistic": "Minimum", "ComparisonOperator": "LessThanThreshold", "Threshold": "1", "TreatMissingData": "breaching"} {
			if v := designcheck.StrValue(a.Prop(prop)); v != want {
				r.AddIn(d, where, "%s %q, want %s (not ready below 1; a function that stopped publishing is not ready)", prop, v, want)
			}
		}
		if p, err := d.Value(a.Prop("Period")); err != nil || p != strconv.Itoa(interval*60) {
			r.AddIn(d, where, "Period %q (%v), want %d s: the schedule's interval, one datapoint per period", p, err, interval*60)
		}
	}
}
