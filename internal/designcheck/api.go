package designcheck

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ------------------------------------------------------------------ API

// Route is one method of the REST API.
type Route struct {
	Method, Path string
	// Scopes are the accepted OAuth scopes; nil means public (no authorizer).
	Scopes []string
}

var (
	readScopes  = []string{"api/read", "api/upsert-delete"}
	writeScopes = []string{"api/upsert-delete"}
)

// Routes are the API's routes and their scopes: the table of README's
// "The API" (a test compares the two).
var Routes = []Route{
	{"GET", "/v1/todos", readScopes},
	{"POST", "/v1/todos", writeScopes},
	{"GET", "/v1/todos/{id}", readScopes},
	{"PUT", "/v1/todos/{id}", writeScopes},
	{"DELETE", "/v1/todos/{id}", writeScopes},
	{"GET", "/v1", readScopes},
	{"POST", "/v1", writeScopes},
	{"DELETE", "/v1", writeScopes},
	{"GET", "/v1/health", nil},
}

// samNoAuthorizer is the security requirement SAM writes for an event
// with `Authorizer: NONE`: a name that is no security scheme of the API,
// so API Gateway applies no authorizer to the method.
const samNoAuthorizer = "NONE"

// cognitoAuthorizerType is x-amazon-apigateway-authorizer.type of a
// Cognito user pool authorizer.
const cognitoAuthorizerType = "cognito_user_pools"

func checkAPI(in *Input, r *report) {
	for _, d := range in.Deployments() {
		apis := d.OfType("AWS::ApiGateway::RestApi")
		if len(apis) != 1 {
			r.addIn(d, "Resources", "want exactly one AWS::ApiGateway::RestApi, got %d (an Api event without RestApiId makes SAM create an implicit API)", len(apis))
			continue
		}
		api := apis[0]
		where := "Resources." + api.Name
		if t := items(api.Prop("EndpointConfiguration", "Types")); len(t) != 1 || t[0].Value != "REGIONAL" {
			r.addIn(d, where, "EndpointConfiguration.Types must be [REGIONAL]")
		}
		checkStage(d, r, api)
		body := api.Prop("Body")
		if body == nil {
			r.addIn(d, where, "no OpenAPI Body")
			continue
		}
		schemes, cognito := checkAuthorizer(d, r, where, body)
		checkRoutes(in, d, r, where, body, schemes, cognito)
	}
}

// checkStage: one stage, prod, traced, throttled, with access logs.
func checkStage(d *Deployment, r *report, api *Resource) {
	var stages []*Resource
	for _, st := range d.OfType("AWS::ApiGateway::Stage") {
		if isRef(st.Prop("RestApiId"), api.Name) {
			stages = append(stages, st)
		}
	}
	if len(stages) != 1 {
		r.addIn(d, "Resources."+api.Name, "want one stage, got %d", len(stages))
		return
	}
	st := stages[0]
	where := "Resources." + st.Name
	if v, _ := str(st.Prop("StageName")); v != "prod" {
		r.addIn(d, where, "StageName %q, want prod", v)
	}
	if v, _ := str(st.Prop("TracingEnabled")); v != "true" {
		r.addIn(d, where, "TracingEnabled must be true")
	}
	throttled := false
	for _, ms := range items(st.Prop("MethodSettings")) {
		if get(ms, "ThrottlingRateLimit") != nil && get(ms, "ThrottlingBurstLimit") != nil {
			throttled = true
		}
	}
	if !throttled {
		r.addIn(d, where, "MethodSettings must set ThrottlingRateLimit and ThrottlingBurstLimit")
	}
	if st.Prop("AccessLogSetting", "DestinationArn") == nil || st.Prop("AccessLogSetting", "Format") == nil {
		r.addIn(d, where, "AccessLogSetting needs DestinationArn and Format")
	}
}

// checkAuthorizer finds the API's security schemes and its one Cognito
// authorizer, which must trust this region's user pool and, once known,
// the peer's (PeerUserPoolArn), nothing else.
func checkAuthorizer(d *Deployment, r *report, where string, body *yaml.Node) (schemes map[string]*yaml.Node, cognito string) {
	schemes = map[string]*yaml.Node{}
	for _, sec := range []*yaml.Node{get(body, "components", "securitySchemes"), get(body, "securityDefinitions")} {
		for _, name := range keys(sec) {
			schemes[name] = get(sec, name)
		}
	}
	var cognitos []string
	for name, s := range schemes {
		if v, _ := str(get(s, "x-amazon-apigateway-authorizer", "type")); v == cognitoAuthorizerType {
			cognitos = append(cognitos, name)
		}
	}
	if len(cognitos) != 1 {
		r.addIn(d, where, "want one Cognito user pool authorizer, got %v", cognitos)
		return schemes, ""
	}
	cognito = cognitos[0]
	own, peer := false, false
	for _, p := range items(get(schemes[cognito], "x-amazon-apigateway-authorizer", "providerARNs")) {
		rn, attr, isGetAtt := getAttTarget(p)
		v, isStr := str(p)
		switch {
		case isGetAtt && attr == "Arn" && d.Resource(rn) != nil && d.Resource(rn).Type == "AWS::Cognito::UserPool":
			own = true
		case isRef(p, "PeerUserPoolArn") || (isStr && v != "" && v == d.Params["PeerUserPoolArn"]):
			peer = true
		default:
			r.addIn(d, where, "authorizer %s trusts a provider that is neither this region's pool nor PeerUserPoolArn: %s", cognito, render(p))
		}
	}
	if wantPeer := d.Params["PeerUserPoolArn"] != ""; !own || peer != wantPeer {
		r.addIn(d, where, "authorizer %s pools: own=%v peer=%v, want own=true peer=%v", cognito, own, peer, wantPeer)
	}
	return schemes, cognito
}

// checkRoutes: the paths are exactly Routes; each method's security is
// the Cognito authorizer with the route's scopes, or nothing for a public
// route; each method is a proxy integration of the API function.
func checkRoutes(in *Input, d *Deployment, r *report, where string, body *yaml.Node, schemes map[string]*yaml.Node, cognito string) {
	paths := get(body, "paths")
	want := map[string]bool{}
	for _, rt := range Routes {
		want[rt.Method+" "+rt.Path] = true
	}
	for _, p := range keys(paths) {
		for _, m := range keys(get(paths, p)) {
			if key := strings.ToUpper(m) + " " + p; !want[key] {
				r.addIn(d, where, "%s is not a route of the API table (Routes)", key)
			}
		}
	}
	for _, rt := range Routes {
		key := rt.Method + " " + rt.Path
		op := get(paths, rt.Path, strings.ToLower(rt.Method))
		if op == nil {
			r.addIn(d, where, "%s: missing", key)
			continue
		}
		sec := get(op, "security")
		if rt.Scopes == nil {
			if !public(sec, schemes) {
				r.addIn(d, where, "%s must be public, its security is %s", key, render(sec))
			}
		} else if cognito != "" {
			reqs := items(sec)
			var got []string
			if len(reqs) == 1 && keys(reqs[0]) != nil && slices.Equal(keys(reqs[0]), []string{cognito}) {
				for _, s := range items(get(reqs[0], cognito)) {
					got = append(got, mustStr(s))
				}
				slices.Sort(got)
				if wantScopes := slices.Sorted(slices.Values(rt.Scopes)); !slices.Equal(got, wantScopes) {
					r.addIn(d, where, "%s scopes %v, want %v", key, got, wantScopes)
				}
			} else {
				r.addIn(d, where, "%s must require exactly the Cognito authorizer %s with its scopes, its security is %s", key, cognito, render(sec))
			}
		}
		integ := get(op, "x-amazon-apigateway-integration")
		fn := integrationTarget(op)
		if v, _ := str(get(integ, "type")); v != "aws_proxy" || in.packageOf(fn) != "handlers/api" {
			r.addIn(d, where, "%s must be a Lambda proxy integration of the API function (handlers/api), got type %q of %q", key, mustStr(get(integ, "type")), fn)
		}
	}
}

// public reports whether an operation's security requirements name no
// security scheme of the API: none at all, or only SAM's NONE marker.
func public(sec *yaml.Node, schemes map[string]*yaml.Node) bool {
	for _, req := range items(sec) {
		for _, name := range keys(req) {
			if name != samNoAuthorizer || schemes[name] != nil || len(items(get(req, name))) > 0 {
				return false
			}
		}
	}
	return true
}

// integrationTarget returns the function an OpenAPI operation's
// integration invokes: F of "...:lambda:path/.../functions/${F.Arn}/invocations".
func integrationTarget(op *yaml.Node) string {
	f, arg, ok := intrinsic(get(op, "x-amazon-apigateway-integration", "uri"))
	if !ok || f != "Fn::Sub" {
		return ""
	}
	if arg.Kind == yaml.SequenceNode && len(arg.Content) > 0 {
		arg = arg.Content[0]
	}
	text, _ := str(arg)
	vars, _ := SubVariables(text)
	for _, v := range vars {
		if name, found := strings.CutSuffix(v, ".Arn"); found && strings.Contains(text, "functions/${"+v+"}/invocations") {
			return name
		}
	}
	return ""
}

// APIFunctions are the functions the deployment's REST APIs invoke.
func (d *Deployment) APIFunctions() map[string]bool {
	fns := map[string]bool{}
	for _, api := range d.OfType("AWS::ApiGateway::RestApi") {
		paths := api.Prop("Body", "paths")
		for _, p := range keys(paths) {
			for _, m := range keys(get(paths, p)) {
				if fn := integrationTarget(get(paths, p, m)); fn != "" {
					fns[fn] = true
				}
			}
		}
	}
	return fns
}

// render writes a node as compact YAML for a message.
func render(n *yaml.Node) string {
	if n == nil {
		return "(none)"
	}
	c := clone(n)
	walk(c, func(x *yaml.Node) { x.Style = yaml.FlowStyle })
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return strings.TrimSpace(string(b))
}

// -------------------------------------------------------------- build

// checkBuild: `sam build` reads the template as written. SAM's go1.x
// build method runs `go build -o <artifacts>/<Handler> <CodeUri>`, so
// CodeUri is the main package and Handler the binary's name, which the
// provided.* runtimes require to be bootstrap.
func checkBuild(in *Input, r *report) {
	var built []string
	for _, fn := range in.Source.ResourcesOfType("AWS::Serverless::Function") {
		where := "Resources." + fn.Name
		h := FunctionPackage(fn)
		built = append(built, h)
		if v, _ := str(fn.Prop("Handler")); v != "bootstrap" {
			r.add(where, "Handler %q, want bootstrap (go1.x builds name the binary after Handler; provided.al2023 runs ./bootstrap)", v)
		}
		if v, _ := str(get(fn.Node, "Metadata", "BuildMethod")); v != "go1.x" {
			r.add(where, "Metadata.BuildMethod %q, want go1.x", v)
		}
		if !slices.Contains(in.Handlers, h) {
			r.add(where, "CodeUri %q is not one of the module's Lambda packages %v", h, in.Handlers)
		}
	}
	for _, h := range in.Handlers {
		if !slices.Contains(built, h) {
			r.add("Resources", "no function builds %s", h)
		}
	}
}

// ------------------------------------------------------------------ IAM

// broadManagedPolicies may not be attached anywhere.
var broadManagedPolicies = []string{"AdministratorAccess", "PowerUserAccess", "FullAccess", "IAMFullAccess"}

func checkIAM(in *Input, r *report) {
	for _, d := range in.Deployments() {
		for _, res := range d.Resources {
			where := "Resources." + res.Name
			walk(res.Properties, func(n *yaml.Node) {
				for i, st := range items(get(n, "Statement")) {
					if st.Kind != yaml.MappingNode {
						continue
					}
					if e, _ := str(get(st, "Effect")); e != "Allow" {
						continue
					}
					anyAction := get(st, "NotAction") != nil || containsStar(get(st, "Action"), true)
					anyResource := get(st, "NotResource") != nil || containsStar(get(st, "Resource"), false)
					if anyAction && anyResource {
						sid, _ := str(get(st, "Sid"))
						r.addIn(d, where, "statement %d %q allows a wildcard action on a wildcard resource", i, sid)
					}
				}
			})
			for _, m := range items(res.Prop("ManagedPolicyArns")) {
				text := mustStr(m)
				if f, arg, ok := intrinsic(m); ok && f == "Fn::Sub" {
					text, _ = str(arg)
				}
				for _, bad := range broadManagedPolicies {
					if strings.Contains(text, bad) {
						r.addIn(d, where, "managed policy %q is too broad", text)
					}
				}
			}
		}
	}
}

// containsStar reports whether an Action or Resource value holds "*" (or,
// for actions, "*:*"). A service wildcard such as "s3:*" does not count.
func containsStar(n *yaml.Node, action bool) bool {
	for _, it := range items(n) {
		if v, ok := str(it); ok && (v == "*" || (action && v == "*:*")) {
			return true
		}
	}
	return false
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

// apiGatewayTimeout is API Gateway's integration timeout for a REST API.
const apiGatewayTimeout = 29

func checkFunctions(in *Input, r *report) {
	for _, d := range in.Deployments() {
		apiFns := d.APIFunctions()
		packages := map[string]bool{}
		for _, fn := range d.OfType("AWS::Lambda::Function") {
			where := "Resources." + fn.Name
			h := in.packageOf(fn.Name)
			packages[h] = true
			if h == "" {
				r.addIn(d, where, "no AWS::Serverless::Function %s in the template builds it", fn.Name)
			}
			if v, _ := str(fn.Prop("Runtime")); v != "provided.al2023" {
				r.addIn(d, where, "Runtime %q, want provided.al2023", v)
			}
			if v, _ := str(fn.Prop("Handler")); v != "bootstrap" {
				r.addIn(d, where, "Handler %q, want bootstrap", v)
			}
			if a := items(fn.Prop("Architectures")); len(a) != 1 || a[0].Value != "arm64" {
				r.addIn(d, where, "Architectures must be [arm64]")
			}
			if v, _ := str(fn.Prop("TracingConfig", "Mode")); v != "Active" {
				r.addIn(d, where, "TracingConfig.Mode must be Active")
			}
			env := fn.Prop("Environment", "Variables")
			if h == ReadinessHandler {
				// Not in the VPC, no database access: the readiness check
				// judges its placement, environment and role.
				checkLogGroupFirst(d, r, where, fn)
				continue
			}
			if fn.Prop("VpcConfig", "SubnetIds") == nil || fn.Prop("VpcConfig", "SecurityGroupIds") == nil {
				r.addIn(d, where, "VpcConfig needs SubnetIds and SecurityGroupIds")
			}
			if apiFns[fn.Name] {
				timeout := mustStr(fn.Prop("Timeout"))
				n, err := strconv.Atoi(timeout)
				if err != nil || n >= apiGatewayTimeout {
					r.addIn(d, where, "Timeout %q: an API function must finish before API Gateway's %d s", timeout, apiGatewayTimeout)
				}
				// The handler's own deadline must fire first, so a slow request
				// ends as the API's 503 rather than a Lambda timeout (502).
				rt, _ := str(get(env, "TODOMGMT_REQUEST_TIMEOUT"))
				if dl, derr := time.ParseDuration(rt); err == nil && (derr != nil || time.Duration(n)*time.Second <= dl) {
					r.addIn(d, where, "Timeout %ds must exceed TODOMGMT_REQUEST_TIMEOUT %q", n, rt)
				}
			}
			for _, k := range keys(env) {
				if !slices.Contains(ContractEnv, k) {
					r.addIn(d, where, "environment variable %s is not one the handlers read (ContractEnv)", k)
				}
			}
			for _, k := range requiredEnv[h] {
				if get(env, k) == nil {
					r.addIn(d, where, "environment variable %s missing for %s", k, h)
				}
			}
			checkHostEnv(d, r, where, env)
			if dsn := get(env, "TODOMGMT_DB_DSN"); dsn != nil && mustStr(dsn) != "" {
				r.addIn(d, where, "TODOMGMT_DB_DSN (password auth) must be empty in AWS; only env.json sets it")
			}
			role := d.FunctionRole(fn)
			if role == nil {
				r.addIn(d, where, "Role must be !GetAtt of a role in the stack (the one SAM generates from Policies)")
			} else {
				checkFunctionPolicies(d, r, "Resources."+role.Name, role, env)
			}
			checkLogGroupFirst(d, r, where, fn)
		}
		for _, h := range in.Handlers {
			if !packages[h] && h != ReadinessHandler {
				r.addIn(d, "Resources", "no function runs %s", h)
			}
		}
	}
}

// FunctionRole returns the role a function runs with.
func (d *Deployment) FunctionRole(fn *Resource) *Resource {
	name, attr, ok := getAttTarget(fn.Prop("Role"))
	if role := d.Resource(name); ok && attr == "Arn" && role != nil && role.Type == "AWS::IAM::Role" {
		return role
	}
	return nil
}

// checkLogGroupFirst: the function's log group exists before it, named
// after it, so Lambda never creates one without retention.
func checkLogGroupFirst(d *Deployment, r *report, where string, fn *Resource) {
	name, err := d.Value(fn.Prop("FunctionName"))
	if err != nil {
		r.addIn(d, where, "FunctionName must be set from parameters (its log group is created first, with retention)")
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
	r.addIn(d, where, "must DependsOn a log group /aws/lambda/%s with RetentionInDays", name)
}

// checkHostEnv: TODOMGMT_DB_HOST is a proxy's default (read/write)
// endpoint and TODOMGMT_DB_READER_HOST a READ_ONLY proxy endpoint.
func checkHostEnv(d *Deployment, r *report, where string, env *yaml.Node) {
	if h := get(env, "TODOMGMT_DB_HOST"); h != nil {
		rn, attr, ok := getAttTarget(h)
		if res := d.Resource(rn); !ok || attr != "Endpoint" || res == nil || res.Type != "AWS::RDS::DBProxy" {
			r.addIn(d, where, "TODOMGMT_DB_HOST must be !GetAtt <proxy>.Endpoint (read/write)")
		}
	}
	if h := get(env, "TODOMGMT_DB_READER_HOST"); h != nil {
		rn, attr, ok := getAttTarget(h)
		res := d.Resource(rn)
		if !ok || attr != "Endpoint" || res == nil || res.Type != "AWS::RDS::DBProxyEndpoint" || mustStr(res.Prop("TargetRole")) != "READ_ONLY" {
			r.addIn(d, where, "TODOMGMT_DB_READER_HOST must be !GetAtt <READ_ONLY proxy endpoint>.Endpoint")
		}
	}
}

// checkFunctionPolicies: the function's role may rds-db:connect as the
// function's own DB user on the stack's proxy only, and read only the
// secret the function is told about.
func checkFunctionPolicies(d *Deployment, r *report, where string, role *Resource, env *yaml.Node) {
	connects := 0
	walk(role.Prop("Policies"), func(n *yaml.Node) {
		for _, st := range items(get(n, "Statement")) {
			for _, a := range items(get(st, "Action")) {
				action, _ := str(a)
				switch {
				case action == "rds-db:connect" || action == "rds-db:*":
					connects++
					checkConnectResource(d, r, where, get(st, "Resource"), get(env, "TODOMGMT_DB_USER"))
				case strings.HasPrefix(action, "secretsmanager:"):
					secret := get(env, "TODOMGMT_APP_SECRET_ARN")
					res := items(get(st, "Resource"))
					if action != "secretsmanager:GetSecretValue" || secret == nil || len(res) != 1 || !equal(res[0], secret) {
						r.addIn(d, where, "%s: a function may read only the secret named by its TODOMGMT_APP_SECRET_ARN", action)
					}
				}
			}
		}
	})
	if connects != 1 {
		r.addIn(d, where, "want exactly one rds-db:connect statement, got %d", connects)
	}
}

// checkConnectResource wants
// !Sub [".../dbuser:${ProxyId}/${User}", {ProxyId: !Select [6, !Split [":", !GetAtt Proxy.DBProxyArn]], User: <the TODOMGMT_DB_USER value>}].
func checkConnectResource(d *Deployment, r *report, where string, res, dbUser *yaml.Node) {
	f, arg, ok := intrinsic(res)
	if !ok || f != "Fn::Sub" || arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		r.addIn(d, where, "rds-db:connect Resource must be !Sub [arn...:dbuser:${ProxyId}/${User}, {...}]")
		return
	}
	s, _ := str(arg.Content[0])
	if !strings.HasPrefix(s, "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:") || !strings.HasSuffix(s, ":dbuser:${ProxyId}/${User}") {
		r.addIn(d, where, "rds-db:connect Resource %q: want arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${ProxyId}/${User}", s)
	}
	vars := arg.Content[1]
	if !equal(get(vars, "User"), dbUser) {
		r.addIn(d, where, "rds-db:connect User must be the function's TODOMGMT_DB_USER")
	}
	pf, parg, ok := intrinsic(get(vars, "ProxyId"))
	valid := ok && pf == "Fn::Select" && len(parg.Content) == 2 && parg.Content[0].Value == "6"
	if valid {
		sf, sarg, ok := intrinsic(parg.Content[1])
		valid = ok && sf == "Fn::Split" && len(sarg.Content) == 2 && sarg.Content[0].Value == ":"
		if valid {
			rn, attr, ok := getAttTarget(sarg.Content[1])
			valid = ok && attr == "DBProxyArn" && d.Resource(rn) != nil
		}
	}
	if !valid {
		r.addIn(d, where, "rds-db:connect ProxyId must be !Select [6, !Split [\":\", !GetAtt <proxy>.DBProxyArn]] (the prx-... resource id)")
	}
}

// -------------------------------------------------------------- cognito

func checkCognito(in *Input, r *report) {
	for _, d := range in.Deployments() {
		pools := d.OfType("AWS::Cognito::UserPool")
		if len(pools) != 1 {
			r.addIn(d, "Resources", "want one user pool, got %d", len(pools))
			continue
		}
		pool := pools[0].Name
		domains, servers, clients := 0, 0, 0
		for _, dom := range d.OfType("AWS::Cognito::UserPoolDomain") {
			if isRef(dom.Prop("UserPoolId"), pool) {
				domains++
			}
		}
		if domains != 1 {
			r.addIn(d, "Resources", "want one user pool domain, got %d", domains)
		}
		serverName := ""
		for _, rs := range d.OfType("AWS::Cognito::UserPoolResourceServer") {
			where := "Resources." + rs.Name
			if !isRef(rs.Prop("UserPoolId"), pool) {
				continue
			}
			servers++
			serverName = rs.Name
			if v, _ := str(rs.Prop("Identifier")); v != "api" {
				r.addIn(d, where, "Identifier %q, want api", v)
			}
			var scopes []string
			for _, s := range items(rs.Prop("Scopes")) {
				scopes = append(scopes, mustStr(get(s, "ScopeName")))
			}
			slices.Sort(scopes)
			if !slices.Equal(scopes, []string{"read", "upsert-delete"}) {
				r.addIn(d, where, "scopes %v, want [read upsert-delete]", scopes)
			}
		}
		if servers != 1 {
			r.addIn(d, "Resources", "want one resource server, got %d", servers)
		}
		for _, c := range d.OfType("AWS::Cognito::UserPoolClient") {
			where := "Resources." + c.Name
			if !isRef(c.Prop("UserPoolId"), pool) {
				continue
			}
			clients++
			if v, _ := str(c.Prop("GenerateSecret")); v != "true" {
				r.addIn(d, where, "GenerateSecret must be true")
			}
			if v, _ := str(c.Prop("AllowedOAuthFlowsUserPoolClient")); v != "true" {
				r.addIn(d, where, "AllowedOAuthFlowsUserPoolClient must be true")
			}
			if f := items(c.Prop("AllowedOAuthFlows")); len(f) != 1 || f[0].Value != "client_credentials" {
				r.addIn(d, where, "AllowedOAuthFlows must be [client_credentials]")
			}
			var scopes []string
			for _, s := range items(c.Prop("AllowedOAuthScopes")) {
				scopes = append(scopes, mustStr(s))
			}
			slices.Sort(scopes)
			if !slices.Equal(scopes, []string{"api/read", "api/upsert-delete"}) {
				r.addIn(d, where, "AllowedOAuthScopes %v, want [api/read api/upsert-delete]", scopes)
			}
			if serverName != "" && !slices.Contains(c.DependsOn, serverName) {
				r.addIn(d, where, "must DependsOn %s (its scopes must exist first)", serverName)
			}
		}
		if clients != 1 {
			r.addIn(d, "Resources", "want one app client, got %d", clients)
		}
	}
}
