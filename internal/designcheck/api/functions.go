package api

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
)

// -------------------------------------------------------------- build

// checkBuild: `sam build` reads the template as written. SAM's go1.x
// build method runs `go build -o <artifacts>/<Handler> <CodeUri>`, so
// CodeUri is the main package and Handler the binary's name, which the
// provided.* runtimes require to be bootstrap.
func checkBuild(in *designcheck.Input, r *designcheck.Report) {
	var built []string
	for _, fn := range in.Source.ResourcesOfType("AWS::Serverless::Function") {
		where := "Resources." + fn.Name
		h := designcheck.FunctionPackage(fn)
		built = append(built, h)
		if v, _ := designcheck.Str(fn.Prop("Handler")); v != "bootstrap" {
			r.Add(where, "Handler %q, want bootstrap (go1.x builds name the binary after Handler; provided.al2023 runs ./bootstrap)", v)
		}
		if v, _ := designcheck.Str(designcheck.Get(fn.Node, "Metadata", "BuildMethod")); v != "go1.x" {
			r.Add(where, "Metadata.BuildMethod %q, want go1.x", v)
		}
		if !slices.Contains(in.Handlers, h) {
			r.Add(where, "CodeUri %q is not one of the module's Lambda packages %v", h, in.Handlers)
		}
	}
	for _, h := range in.Handlers {
		if !slices.Contains(built, h) {
			r.Add("Resources", "no function builds %s", h)
		}
	}
}

// ------------------------------------------------------------ functions

// ContractEnv are the environment variables the handlers read.
var ContractEnv = []string{
	"TODOMGMT_REGION", "TODOMGMT_DB_DSN", "TODOMGMT_DB_HOST", "TODOMGMT_DB_READER_HOST", "TODOMGMT_DB_PORT",
	"TODOMGMT_DB_NAME", "TODOMGMT_DB_USER", "TODOMGMT_DB_MAX_OPEN_CONNS", "TODOMGMT_DB_CONN_MAX_LIFETIME",
	"TODOMGMT_DB_CONNECT_TIMEOUT", "TODOMGMT_REQUEST_TIMEOUT", "TODOMGMT_LOG_FORMAT", "TODOMGMT_APP_USER",
	"TODOMGMT_APP_SECRET_ARN", "TODOMGMT_IDEMPOTENCY_RETENTION",
}

// requiredEnv are the variables each handler must get from the template.
var requiredEnv = map[string][]string{
	"handlers/api": {"TODOMGMT_REGION", "TODOMGMT_DB_HOST", "TODOMGMT_DB_READER_HOST", "TODOMGMT_DB_NAME", "TODOMGMT_DB_USER"},
	// The migrate function reads the reader too: in a region without a
	// writer it finds the reader read-only and reports "skipped".
	"handlers/migrate": {"TODOMGMT_REGION", "TODOMGMT_DB_HOST", "TODOMGMT_DB_READER_HOST", "TODOMGMT_DB_NAME", "TODOMGMT_DB_USER", "TODOMGMT_APP_USER", "TODOMGMT_APP_SECRET_ARN"},
}

func checkFunctions(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		apiFns := d.APIFunctions()
		packages := map[string]bool{}
		for _, fn := range d.OfType("AWS::Lambda::Function") {
			where := "Resources." + fn.Name
			h := in.PackageOf(fn.Name)
			packages[h] = true
			if h == "" {
				r.AddIn(d, where, "no AWS::Serverless::Function %s in the template builds it", fn.Name)
			}
			if v, _ := designcheck.Str(fn.Prop("Runtime")); v != "provided.al2023" {
				r.AddIn(d, where, "Runtime %q, want provided.al2023", v)
			}
			if v, _ := designcheck.Str(fn.Prop("Handler")); v != "bootstrap" {
				r.AddIn(d, where, "Handler %q, want bootstrap", v)
			}
			if a := designcheck.Items(fn.Prop("Architectures")); len(a) != 1 || a[0].Value != "arm64" {
				r.AddIn(d, where, "Architectures must be [arm64]")
			}
			if v, _ := designcheck.Str(fn.Prop("TracingConfig", "Mode")); v != "Active" {
				r.AddIn(d, where, "TracingConfig.Mode must be Active")
			}
			env := fn.Prop("Environment", "Variables")
			if h == designcheck.ReadinessHandler {
				// Not in the VPC, no database access: the readiness check
				// judges its placement, environment and role.
				checkLogGroupFirst(d, r, where, fn)
				continue
			}
			if fn.Prop("VpcConfig", "SubnetIds") == nil || fn.Prop("VpcConfig", "SecurityGroupIds") == nil {
				r.AddIn(d, where, "VpcConfig needs SubnetIds and SecurityGroupIds")
			}
			if apiFns[fn.Name] {
				timeout := designcheck.StrValue(fn.Prop("Timeout"))
				n, err := strconv.Atoi(timeout)
				if err != nil || n >= designcheck.APIGatewayTimeout {
					r.AddIn(d, where, "Timeout %q: an API function must finish before API Gateway's %d s", timeout, designcheck.APIGatewayTimeout)
				}
				// The handler's own deadline must fire first, so a slow request
				// ends as the API's 503 rather than a Lambda timeout (502).
				rt, _ := designcheck.Str(designcheck.Get(env, "TODOMGMT_REQUEST_TIMEOUT"))
				if dl, derr := time.ParseDuration(rt); err == nil && (derr != nil || time.Duration(n)*time.Second <= dl) {
					r.AddIn(d, where, "Timeout %ds must exceed TODOMGMT_REQUEST_TIMEOUT %q", n, rt)
				}
			}
			for _, k := range designcheck.Keys(env) {
				if !slices.Contains(ContractEnv, k) {
					r.AddIn(d, where, "environment variable %s is not one the handlers read (ContractEnv)", k)
				}
			}
			for _, k := range requiredEnv[h] {
				if designcheck.Get(env, k) == nil {
					r.AddIn(d, where, "environment variable %s missing for %s", k, h)
				}
			}
			checkHostEnv(d, r, where, env)
			if dsn := designcheck.Get(env, "TODOMGMT_DB_DSN"); dsn != nil && designcheck.StrValue(dsn) != "" {
				r.AddIn(d, where, "TODOMGMT_DB_DSN (password auth) must be empty in AWS; only env.json sets it")
			}
			role := d.FunctionRole(fn)
			if role == nil {
				r.AddIn(d, where, "Role must be !GetAtt of a role in the stack (the one SAM generates from Policies)")
			} else {
				checkFunctionPolicies(d, r, "Resources."+role.Name, role, env)
			}
			checkLogGroupFirst(d, r, where, fn)
		}
		for _, h := range in.Handlers {
			if !packages[h] && h != designcheck.ReadinessHandler {
				r.AddIn(d, "Resources", "no function runs %s", h)
			}
		}
	}
}

// checkLogGroupFirst: the function's log group exists before it, named
// after it, so Lambda never creates one without retention.
func checkLogGroupFirst(d *designcheck.Deployment, r *designcheck.Report, where string, fn *designcheck.Resource) {
	name, err := d.Value(fn.Prop("FunctionName"))
	if err != nil {
		r.AddIn(d, where, "FunctionName must be set from parameters (its log group is created first, with retention)")
		return
	}
	for _, dep := range fn.DependsOn {
		lg := d.Resource(dep)
		if lg == nil || lg.Type != "AWS::Logs::LogGroup" {
			continue
		}
		if v, err := d.Value(lg.Prop("LogGroupName")); err == nil && v == "/aws/lambda/"+name && lg.Prop("RetentionInDays") != nil {
			return
		}
	}
	r.AddIn(d, where, "must DependsOn a log group /aws/lambda/%s with RetentionInDays", name)
}

// checkHostEnv: TODOMGMT_DB_HOST is a proxy's default (read/write)
// endpoint and TODOMGMT_DB_READER_HOST a READ_ONLY proxy endpoint.
func checkHostEnv(d *designcheck.Deployment, r *designcheck.Report, where string, env *yaml.Node) {
	if h := designcheck.Get(env, "TODOMGMT_DB_HOST"); h != nil {
		rn, attr, ok := designcheck.GetAttTarget(h)
		if res := d.Resource(rn); !ok || attr != "Endpoint" || res == nil || res.Type != "AWS::RDS::DBProxy" {
			r.AddIn(d, where, "TODOMGMT_DB_HOST must be !GetAtt <proxy>.Endpoint (read/write)")
		}
	}
	if h := designcheck.Get(env, "TODOMGMT_DB_READER_HOST"); h != nil {
		rn, attr, ok := designcheck.GetAttTarget(h)
		res := d.Resource(rn)
		if !ok || attr != "Endpoint" || res == nil || res.Type != "AWS::RDS::DBProxyEndpoint" || designcheck.StrValue(res.Prop("TargetRole")) != "READ_ONLY" {
			r.AddIn(d, where, "TODOMGMT_DB_READER_HOST must be !GetAtt <READ_ONLY proxy endpoint>.Endpoint")
		}
	}
}

// checkFunctionPolicies: the function's role may rds-db:connect as the
// function's own DB user on the stack's proxy only, and read only the
// secret the function is told about.
func checkFunctionPolicies(d *designcheck.Deployment, r *designcheck.Report, where string, role *designcheck.Resource, env *yaml.Node) {
	connects := 0
	designcheck.Walk(role.Prop("Policies"), func(n *yaml.Node) {
		for _, st := range designcheck.Items(designcheck.Get(n, "Statement")) {
			for _, a := range designcheck.Items(designcheck.Get(st, "Action")) {
				action, _ := designcheck.Str(a)
				switch {
				case action == "rds-db:connect" || action == "rds-db:*":
					connects++
					checkConnectResource(d, r, where, designcheck.Get(st, "Resource"), designcheck.Get(env, "TODOMGMT_DB_USER"))
				case strings.HasPrefix(action, "secretsmanager:"):
					secret := designcheck.Get(env, "TODOMGMT_APP_SECRET_ARN")
					res := designcheck.Items(designcheck.Get(st, "Resource"))
					if action != "secretsmanager:GetSecretValue" || secret == nil || len(res) != 1 || !designcheck.EqualNodes(res[0], secret) {
						r.AddIn(d, where, "%s: a function may read only the secret named by its TODOMGMT_APP_SECRET_ARN", action)
					}
				}
			}
		}
	})
	if connects != 1 {
		r.AddIn(d, where, "want exactly one rds-db:connect statement, got %d", connects)
	}
}

// checkConnectResource wants
// !Sub [".../dbuser:${ProxyId}/${User}", {ProxyId: !Select [6, !Split [":", !GetAtt Proxy.DBProxyArn]], User: <the TODOMGMT_DB_USER value>}].
func checkConnectResource(d *designcheck.Deployment, r *designcheck.Report, where string, res, dbUser *yaml.Node) {
	f, arg, ok := designcheck.Intrinsic(res)
	if !ok || f != "Fn::Sub" || arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		r.AddIn(d, where, "rds-db:connect Resource must be !Sub [arn...:dbuser:${ProxyId}/${User}, {...}]")
		return
	}
	s, _ := designcheck.Str(arg.Content[0])
	if !strings.HasPrefix(s, "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:") || !strings.HasSuffix(s, ":dbuser:${ProxyId}/${User}") {
		r.AddIn(d, where, "rds-db:connect Resource %q: want arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${ProxyId}/${User}", s)
	}
	vars := arg.Content[1]
	if !designcheck.EqualNodes(designcheck.Get(vars, "User"), dbUser) {
		r.AddIn(d, where, "rds-db:connect User must be the function's TODOMGMT_DB_USER")
	}
	pf, parg, ok := designcheck.Intrinsic(designcheck.Get(vars, "ProxyId"))
	valid := ok && pf == "Fn::Select" && len(parg.Content) == 2 && parg.Content[0].Value == "6"
	if valid {
		sf, sarg, ok := designcheck.Intrinsic(parg.Content[1])
		valid = ok && sf == "Fn::Split" && len(sarg.Content) == 2 && sarg.Content[0].Value == ":"
		if valid {
			rn, attr, ok := designcheck.GetAttTarget(sarg.Content[1])
			valid = ok && attr == "DBProxyArn" && d.Resource(rn) != nil
		}
	}
	if !valid {
		r.AddIn(d, where, "rds-db:connect ProxyId must be !Select [6, !Split [\":\", !GetAtt <proxy>.DBProxyArn]] (the prx-... resource id)")
	}
}
