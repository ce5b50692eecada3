package monitoring

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/pkg/failover/assess"
	"github.com/todomgmt/todomgmt/pkg/readiness"
)

// dashMetric is one metric (or Metrics Insights query) a dashboard widget
// graphs, in the region it reads it from.
type dashMetric struct {
	Namespace, Name string
	Dims            map[string]string
	Region          string
	Expression      string
}

// dashBody is what the checks read of a DashboardBody.
type dashBody struct {
	Widgets []struct {
		Type       string `json:"type"`
		Properties struct {
			Region  string  `json:"region"`
			Metrics [][]any `json:"metrics"`
			Alarms  []string
		} `json:"properties"`
	} `json:"widgets"`
}

// lagExpression is a replication-lag query of this cluster, once the body
// is evaluated (the cluster's identifier is <LogicalId>).
var lagExpression = regexp.MustCompile(`^SELECT MAX\((AuroraGlobalDB\w*Lag)\) FROM "AWS/RDS" WHERE DBClusterIdentifier = '<(\w+)>'$`)

// checkDashboard: each region has a dashboard, named with the region
// (dashboards are global to the account), exported as DashboardUrl, whose
// body (evaluated for the deployment: resources stand as <LogicalId> and
// <LogicalId.Attribute>) is valid JSON and graphs, for this stack's own
// resources: the API's requests, 4xx, 5xx and latency; errors and
// duration of both functions; the cluster's capacity (ACU); the proxy's
// connections; wherever there is a peer, this cluster's replication lag
// and the requests of both regions' APIs (where the front door sends
// traffic) and both plans' failover readiness; the routing metric in the
// standby region in Route 53 mode,
// the distribution's requests in the CloudFront front door's stack; and
// an alarm widget with every alarm of the stack.
func checkDashboard(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		dashes := d.OfType("AWS::CloudWatch::Dashboard")
		if len(dashes) != 1 {
			r.AddIn(d, "Resources", "want one CloudWatch dashboard per region, got %d", len(dashes))
			continue
		}
		dash := dashes[0]
		where := "Resources." + dash.Name
		if name, err := d.Value(dash.Prop("DashboardName")); err != nil || !strings.Contains(name, d.Set.Region) {
			r.AddIn(d, where, "DashboardName %q must contain the region (dashboards are global to the account; the two stacks' must differ)", name)
		}
		if o := d.Outputs["DashboardUrl"]; o == nil || !subUses(designcheck.Get(o, "Value"), dash.Name) {
			r.AddIn(d, "Outputs.DashboardUrl", "must be !Sub of a console URL naming ${%s}", dash.Name)
		}
		text, err := evalText(d, dash.Prop("DashboardBody"))
		if err != nil {
			r.AddIn(d, where, "DashboardBody: %v", err)
			continue
		}
		var body dashBody
		if err := json.Unmarshal([]byte(text), &body); err != nil {
			r.AddIn(d, where, "DashboardBody is not JSON once evaluated: %v", err)
			continue
		}
		metrics, alarms, err := dashContents(body)
		if err != nil {
			r.AddIn(d, where, "DashboardBody: %v", err)
			continue
		}
		for _, miss := range missingWidgets(in, d, metrics) {
			r.AddIn(d, where, "no widget graphs %s", miss)
		}
		for _, a := range d.OfType("AWS::CloudWatch::Alarm") {
			if !slices.Contains(alarms, "<"+a.Name+".Arn>") {
				r.AddIn(d, where, "the alarm widget lacks %s", a.Name)
			}
		}
	}
}

// subUses reports whether n is a Fn::Sub whose text names ${name}.
func subUses(n *yaml.Node, name string) bool {
	f, arg, ok := designcheck.Intrinsic(n)
	if !ok || f != "Fn::Sub" {
		return false
	}
	if arg.Kind == yaml.SequenceNode && len(arg.Content) > 0 {
		arg = arg.Content[0]
	}
	text, _ := designcheck.Str(arg)
	vars, _ := designcheck.SubVariables(text)
	return slices.Contains(vars, name)
}

// dashContents returns the metrics and the alarm ARNs of a dashboard.
func dashContents(body dashBody) ([]dashMetric, []string, error) {
	var metrics []dashMetric
	var alarms []string
	for i, w := range body.Widgets {
		alarms = append(alarms, w.Properties.Alarms...)
		for j, row := range w.Properties.Metrics {
			m := dashMetric{Dims: map[string]string{}, Region: w.Properties.Region}
			var names []string
			for _, v := range row {
				switch x := v.(type) {
				case string:
					names = append(names, x)
				case map[string]any:
					if reg, ok := x["region"].(string); ok {
						m.Region = reg
					}
					if e, ok := x["expression"].(string); ok {
						m.Expression = e
					}
				default:
					return nil, nil, fmt.Errorf("widget %d, metric %d: %v is neither a name nor options", i, j, v)
				}
			}
			if m.Expression == "" {
				if len(names) < 2 || len(names)%2 != 0 {
					return nil, nil, fmt.Errorf("widget %d, metric %d: %q is not [namespace, name, dimension, value...] (the \"...\" shorthand is not used here)", i, j, names)
				}
				m.Namespace, m.Name = names[0], names[1]
				for k := 2; k+1 < len(names); k += 2 {
					m.Dims[names[k]] = names[k+1]
				}
			}
			metrics = append(metrics, m)
		}
	}
	return metrics, alarms, nil
}

// missingWidgets lists what the deployment's dashboard must graph and
// does not.
func missingWidgets(in *designcheck.Input, d *designcheck.Deployment, metrics []dashMetric) []string {
	has := func(ns, name, region string, dims map[string]string) bool {
		return slices.ContainsFunc(metrics, func(m dashMetric) bool {
			return m.Namespace == ns && m.Name == name && m.Region == region && equalDims(m.Dims, dims)
		})
	}
	var missing []string
	need := func(what, ns, name, region string, dims map[string]string) {
		if !has(ns, name, region, dims) {
			missing = append(missing, fmt.Sprintf("%s (%s %s %v in %s)", what, ns, name, dims, region))
		}
	}
	own := d.Set.Region
	if api, stage := dashAPI(d); api != "" {
		dims := map[string]string{"ApiName": api, "Stage": stage}
		need("the API's requests", "AWS/ApiGateway", "Count", own, dims)
		need("the API's 4xx", "AWS/ApiGateway", "4XXError", own, dims)
		need("the API's 5xx", "AWS/ApiGateway", "5XXError", own, dims)
		need("the API's latency", "AWS/ApiGateway", "Latency", own, dims)
		if peer := d.Params["PeerRegion"]; peer != "" {
			need("the peer region's API requests (where the front door sends traffic)", "AWS/ApiGateway", "Count", peer, dims)
		}
	}
	for _, fn := range d.OfType("AWS::Lambda::Function") {
		if pkg := in.PackageOf(fn.Name); pkg == "handlers/api" || pkg == "handlers/migrate" {
			dims := map[string]string{"FunctionName": "<" + fn.Name + ">"}
			need(fn.Name+"'s errors", "AWS/Lambda", "Errors", own, dims)
			need(fn.Name+"'s duration", "AWS/Lambda", "Duration", own, dims)
		}
	}
	for _, c := range d.OfType("AWS::RDS::DBCluster") {
		need("the database capacity", "AWS/RDS", "ServerlessDatabaseCapacity", own, map[string]string{"DBClusterIdentifier": "<" + c.Name + ">"})
		if d.Params["PeerRegion"] != "" && !slices.ContainsFunc(metrics, func(m dashMetric) bool {
			q := lagExpression.FindStringSubmatch(m.Expression)
			return q != nil && q[2] == c.Name && m.Region == own
		}) {
			missing = append(missing, fmt.Sprintf("the replication lag of %s (a Metrics Insights query on AuroraGlobalDB*Lag)", c.Name))
		}
	}
	for _, p := range d.OfType("AWS::RDS::DBProxy") {
		dims := map[string]string{"ProxyName": "<" + p.Name + ">"}
		if !has("AWS/RDS", "ClientConnections", own, dims) && !has("AWS/RDS", "DatabaseConnections", own, dims) {
			missing = append(missing, "the proxy's connections (AWS/RDS ClientConnections or DatabaseConnections)")
		}
	}
	if designcheck.Route53Mode(d.Set) && d.Params["PeerRegion"] != "" {
		standby := own
		if d.Set.Role() == "primary" {
			standby = d.Params["PeerRegion"]
		}
		need("the front door's route (the routing metric, in the standby region)", "ToDoMgmt/Routing", "PrimaryEnabled", standby, map[string]string{"AppName": d.Params["AppName"]})
	}
	if d.Params["PeerRegion"] != "" {
		for _, kind := range assess.Kinds {
			need("the "+string(kind)+" plan's readiness", readiness.Namespace, readiness.MetricName, own,
				map[string]string{readiness.DimensionAppName: d.Params["AppName"], readiness.DimensionPlan: string(kind)})
		}
	}
	for _, dist := range d.OfType("AWS::CloudFront::Distribution") {
		need("the front door's requests", "AWS/CloudFront", "Requests", "us-east-1", map[string]string{"DistributionId": "<" + dist.Name + ">", "Region": "Global"})
	}
	return missing
}

// dashAPI returns the REST API's name and its stage as the evaluated body
// writes them.
func dashAPI(d *designcheck.Deployment) (name, stage string) {
	apis := d.OfType("AWS::ApiGateway::RestApi")
	if len(apis) != 1 {
		return "", ""
	}
	name, err := evalText(d, apis[0].Prop("Name"))
	if err != nil {
		return "", ""
	}
	for _, st := range d.OfType("AWS::ApiGateway::Stage") {
		if designcheck.IsRef(st.Prop("RestApiId"), apis[0].Name) {
			return name, "<" + st.Name + ">"
		}
	}
	return name, ""
}

func equalDims(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// evalText evaluates a string expression of the deployment: scalars;
// parameters and pseudo parameters by value; a resource (Ref or ${Name})
// as <Name> and an attribute (Fn::GetAtt or ${Name.Attr}) as <Name.Attr>;
// Fn::FindInMap by its entry; Fn::Sub in both forms, its variables
// evaluated the same way. Fn::If is already resolved in a deployment.
func evalText(d *designcheck.Deployment, n *yaml.Node) (string, error) {
	if s, ok := designcheck.Str(n); ok {
		return s, nil
	}
	f, arg, ok := designcheck.Intrinsic(n)
	if !ok {
		return "", fmt.Errorf("line %d: not a string expression", n.Line)
	}
	switch f {
	case "Ref":
		name, _ := designcheck.Str(arg)
		return evalName(d, name, nil)
	case "Fn::GetAtt":
		res, attr, ok := designcheck.GetAttTarget(n)
		if !ok {
			return "", fmt.Errorf("line %d: malformed Fn::GetAtt", n.Line)
		}
		return evalName(d, res+"."+attr, nil)
	case "Fn::Sub":
		text, isStr := designcheck.Str(arg)
		vars := map[string]string{}
		if !isStr {
			if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
				return "", fmt.Errorf("line %d: Fn::Sub needs a string or [string, map]", n.Line)
			}
			text, _ = designcheck.Str(arg.Content[0])
			for _, k := range designcheck.Keys(arg.Content[1]) {
				v, err := evalText(d, designcheck.Get(arg.Content[1], k))
				if err != nil {
					return "", fmt.Errorf("variable %s: %w", k, err)
				}
				vars[k] = v
			}
		}
		return substitute(d, text, vars)
	case "Fn::FindInMap":
		return d.Value(n)
	}
	return "", fmt.Errorf("line %d: %s is not evaluated here", n.Line, f)
}

// substitute replaces each ${X} of an Fn::Sub text; ${!X} stands for the
// literal ${X}.
func substitute(d *designcheck.Deployment, text string, vars map[string]string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			b.WriteString(text)
			return b.String(), nil
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", text)
		}
		b.WriteString(text[:i])
		name := text[i+2 : i+j]
		text = text[i+j+1:]
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			b.WriteString("${" + lit + "}")
			continue
		}
		v, err := evalName(d, name, vars)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
}

// evalName is the value of a Fn::Sub variable or Ref target.
func evalName(d *designcheck.Deployment, name string, vars map[string]string) (string, error) {
	if v, ok := vars[name]; ok {
		return v, nil
	}
	if v, err := d.Named(name, 0); err == nil {
		return v, nil
	}
	res, _, _ := strings.Cut(name, ".")
	if d.Resource(res) == nil {
		return "", fmt.Errorf("${%s} names no parameter, variable or resource of this deployment", name)
	}
	return "<" + name + ">", nil
}
