package designcheck

import (
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

// Routes are ARCHITECTURE.md §3's routes and their scopes.
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

func checkAPI(in *Input, r *report) {
	t := in.Template
	apis := t.ResourcesOfType("AWS::Serverless::Api")
	if len(apis) != 1 {
		r.add("Resources", "want exactly one AWS::Serverless::Api, got %d", len(apis))
		return
	}
	api := apis[0]
	where := "Resources." + api.Name
	if v, _ := str(api.Prop("StageName")); v != "prod" {
		r.add(where, "StageName %q, want prod", v)
	}
	ec := api.Prop("EndpointConfiguration")
	if v, _ := str(get(ec, "Type")); v != "REGIONAL" {
		if v2, _ := str(ec); v2 != "REGIONAL" {
			r.add(where, "EndpointConfiguration must be REGIONAL")
		}
	}
	if v, _ := str(api.Prop("TracingEnabled")); v != "true" {
		r.add(where, "TracingEnabled must be true")
	}
	throttled := false
	for _, ms := range items(api.Prop("MethodSettings")) {
		if get(ms, "ThrottlingRateLimit") != nil && get(ms, "ThrottlingBurstLimit") != nil {
			throttled = true
		}
	}
	if !throttled {
		r.add(where, "MethodSettings must set ThrottlingRateLimit and ThrottlingBurstLimit")
	}
	if api.Prop("AccessLogSetting", "DestinationArn") == nil || api.Prop("AccessLogSetting", "Format") == nil {
		r.add(where, "AccessLogSetting needs DestinationArn and Format")
	}
	defAuth, _ := str(api.Prop("Auth", "DefaultAuthorizer"))
	if defAuth == "" {
		r.add(where, "Auth.DefaultAuthorizer must be the Cognito authorizer")
	} else {
		pools := api.Prop("Auth", "Authorizers", defAuth, "UserPoolArn")
		if pools == nil || pools.Kind != yaml.SequenceNode {
			r.add(where, "the authorizer %s must be Cognito with UserPoolArn as a list (own pool + peer pool)", defAuth)
		}
	}
	// Per deployment: own pool always, the peer's exactly when given.
	for _, d := range in.Deployments() {
		res := d.Resource(api.Name)
		if res == nil || defAuth == "" {
			continue
		}
		list := res.Prop("Auth", "Authorizers", defAuth, "UserPoolArn")
		own, peer := false, false
		for _, it := range items(list) {
			if rn, attr, ok := getAttTarget(it); ok && attr == "Arn" && d.Resource(rn) != nil && d.Resource(rn).Type == "AWS::Cognito::UserPool" {
				own = true
			}
			if isRef(it, "PeerUserPoolArn") {
				peer = true
			}
		}
		wantPeer := d.Params["PeerUserPoolArn"] != ""
		if !own || peer != wantPeer {
			r.add(d.Scenario.Name+": "+where, "authorizer pools: own=%v peer=%v, want own=true peer=%v", own, peer, wantPeer)
		}
	}

	type got struct {
		fn, event  string
		authorizer string
		scopes     []string
	}
	seen := map[string][]got{}
	for _, fn := range t.ResourcesOfType("AWS::Serverless::Function") {
		events := fn.Prop("Events")
		for _, ev := range keys(events) {
			e := get(events, ev)
			if typ, _ := str(get(e, "Type")); typ != "Api" {
				continue
			}
			ewhere := "Resources." + fn.Name + ".Events." + ev
			p := get(e, "Properties")
			if !isRef(get(p, "RestApiId"), api.Name) {
				r.add(ewhere, "RestApiId must be !Ref %s (otherwise SAM creates an implicit API)", api.Name)
			}
			method, _ := str(get(p, "Method"))
			path, _ := str(get(p, "Path"))
			g := got{fn: fn.Name, event: ev, authorizer: defAuth}
			if a, ok := str(get(p, "Auth", "Authorizer")); ok {
				g.authorizer = a
			}
			for _, s := range items(get(p, "Auth", "AuthorizationScopes")) {
				v, _ := str(s)
				g.scopes = append(g.scopes, v)
			}
			key := strings.ToUpper(method) + " " + path
			seen[key] = append(seen[key], g)
		}
	}
	want := map[string]bool{}
	for _, rt := range Routes {
		key := rt.Method + " " + rt.Path
		want[key] = true
		gs := seen[key]
		if len(gs) != 1 {
			r.add("routes", "%s: defined %d times, want once", key, len(gs))
			continue
		}
		g := gs[0]
		ewhere := "Resources." + g.fn + ".Events." + g.event
		if rt.Scopes == nil {
			if g.authorizer != "NONE" {
				r.add(ewhere, "%s must be public (Auth.Authorizer: NONE)", key)
			}
			continue
		}
		if g.authorizer == "" || g.authorizer == "NONE" || g.authorizer != defAuth {
			r.add(ewhere, "%s must use the Cognito authorizer %s, got %q", key, defAuth, g.authorizer)
		}
		gotScopes := slices.Clone(g.scopes)
		slices.Sort(gotScopes)
		wantScopes := slices.Clone(rt.Scopes)
		slices.Sort(wantScopes)
		if !slices.Equal(gotScopes, wantScopes) {
			r.add(ewhere, "%s scopes %v, want %v", key, g.scopes, rt.Scopes)
		}
	}
	for _, key := range sortedKeys(seen) {
		if !want[key] {
			r.add("routes", "%s is not a route of ARCHITECTURE.md §3", key)
		}
	}
}

// ------------------------------------------------------------------ IAM

// broadManagedPolicies may not be attached anywhere.
var broadManagedPolicies = []string{"AdministratorAccess", "PowerUserAccess", "FullAccess", "IAMFullAccess"}

func checkIAM(in *Input, r *report) {
	for _, res := range in.Template.Resources() {
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
					r.add(where, "statement %d %q allows a wildcard action on a wildcard resource (line %d)", i, sid, st.Line)
				}
			}
		})
		var managed []*yaml.Node
		managed = append(managed, items(res.Prop("ManagedPolicyArns"))...)
		if res.Type == "AWS::Serverless::Function" {
			managed = append(managed, items(res.Prop("Policies"))...)
		}
		for _, m := range managed {
			text := ""
			if s, ok := str(m); ok {
				text = s
			} else if f, arg, ok := intrinsic(m); ok && f == "Fn::Sub" {
				text, _ = str(arg)
			}
			for _, bad := range broadManagedPolicies {
				if strings.Contains(text, bad) {
					r.add(where, "managed policy %q is too broad", text)
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

// ContractEnv are the environment variables of CONTRACTS.md.
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

func checkFunctions(in *Input, r *report) {
	t := in.Template
	fns := t.ResourcesOfType("AWS::Serverless::Function")
	var handlers []string
	for _, fn := range fns {
		where := "Resources." + fn.Name
		// SAM's go1.x build runs `go build -o <artifacts>/<Handler>
		// <CodeUri>`: CodeUri is the main package, Handler the binary name,
		// which provided.* runtimes require to be bootstrap.
		h := FunctionPackage(fn)
		handlers = append(handlers, h)
		if v, _ := str(fn.Prop("Handler")); v != "bootstrap" {
			r.add(where, "Handler %q, want bootstrap (go1.x builds name the binary after Handler; provided.al2023 runs ./bootstrap)", v)
		}
		if v, _ := str(fn.Prop("Runtime")); v != "provided.al2023" {
			r.add(where, "Runtime %q, want provided.al2023", v)
		}
		if a := items(fn.Prop("Architectures")); len(a) != 1 || a[0].Value != "arm64" {
			r.add(where, "Architectures must be [arm64]")
		}
		if v, _ := str(get(fn.Node, "Metadata", "BuildMethod")); v != "go1.x" {
			r.add(where, "Metadata.BuildMethod %q, want go1.x", v)
		}
		if v, _ := str(fn.Prop("Tracing")); v != "Active" {
			r.add(where, "Tracing must be Active")
		}
		if fn.Prop("VpcConfig", "SubnetIds") == nil || fn.Prop("VpcConfig", "SecurityGroupIds") == nil {
			r.add(where, "VpcConfig needs SubnetIds and SecurityGroupIds")
		}
		if fn.Prop("FunctionName") == nil {
			r.add(where, "FunctionName must be set (its log group is created first, with retention)")
		}
		if !slices.Contains(in.Handlers, h) {
			r.add(where, "CodeUri %q is not one of the module's Lambda packages %v", h, in.Handlers)
		}
		env := fn.Prop("Environment", "Variables")
		if timeout, _ := str(fn.Prop("Timeout")); len(apiEvents(fn)) > 0 {
			n, err := strconv.Atoi(timeout)
			if err != nil || n >= 29 {
				r.add(where, "Timeout %q: an API function must finish before API Gateway's 29 s", timeout)
			}
			// The handler's own deadline must fire first, so a slow request
			// ends as the API's 503 rather than a Lambda timeout (502).
			rt, _ := str(get(env, "TODOMGMT_REQUEST_TIMEOUT"))
			if d, derr := time.ParseDuration(rt); err == nil && (derr != nil || time.Duration(n)*time.Second <= d) {
				r.add(where, "Timeout %ds must exceed TODOMGMT_REQUEST_TIMEOUT %q", n, rt)
			}
		}
		for _, k := range keys(env) {
			if !slices.Contains(ContractEnv, k) {
				r.add(where, "environment variable %s is not in CONTRACTS.md", k)
			}
		}
		for _, k := range requiredEnv[h] {
			if get(env, k) == nil {
				r.add(where, "environment variable %s missing for %s", k, h)
			}
		}
		checkHostEnv(r, where, t, env)
		if dsn := get(env, "TODOMGMT_DB_DSN"); dsn != nil && mustStr(dsn) != "" {
			r.add(where, "TODOMGMT_DB_DSN (password auth) must be empty in AWS; only env.json sets it")
		}
		checkFunctionPolicies(r, where, fn, env)
	}
	for _, h := range in.Handlers {
		if !slices.Contains(handlers, h) {
			r.add("Resources", "no function builds %s", h)
		}
	}
	// Each function's log group exists first, named after it, with retention.
	for _, d := range in.Deployments() {
		for _, fn := range d.OfType("AWS::Serverless::Function") {
			where := d.Scenario.Name + ": Resources." + fn.Name
			name, err := d.Value(fn.Prop("FunctionName"))
			if err != nil {
				continue
			}
			found := false
			for _, dep := range fn.DependsOn {
				lg := d.Resource(dep)
				if lg == nil || lg.Type != "AWS::Logs::LogGroup" {
					continue
				}
				if v, err := d.Value(lg.Prop("LogGroupName")); err == nil && v == "/aws/lambda/"+name && lg.Prop("RetentionInDays") != nil {
					found = true
				}
			}
			if !found {
				r.add(where, "must DependsOn a log group /aws/lambda/%s with RetentionInDays", name)
			}
		}
	}
}

// checkHostEnv: TODOMGMT_DB_HOST is a proxy's default (read/write)
// endpoint and TODOMGMT_DB_READER_HOST a READ_ONLY proxy endpoint.
func checkHostEnv(r *report, where string, t *Template, env *yaml.Node) {
	if h := get(env, "TODOMGMT_DB_HOST"); h != nil {
		rn, attr, ok := getAttTarget(h)
		if res := t.Resource(rn); !ok || attr != "Endpoint" || res == nil || res.Type != "AWS::RDS::DBProxy" {
			r.add(where, "TODOMGMT_DB_HOST must be !GetAtt <proxy>.Endpoint (read/write)")
		}
	}
	if h := get(env, "TODOMGMT_DB_READER_HOST"); h != nil {
		rn, attr, ok := getAttTarget(h)
		res := t.Resource(rn)
		if !ok || attr != "Endpoint" || res == nil || res.Type != "AWS::RDS::DBProxyEndpoint" || mustStr(res.Prop("TargetRole")) != "READ_ONLY" {
			r.add(where, "TODOMGMT_DB_READER_HOST must be !GetAtt <READ_ONLY proxy endpoint>.Endpoint")
		}
	}
}

// FunctionPackage is the Go main package a function builds: its CodeUri,
// without a leading "./" or trailing "/".
func FunctionPackage(fn *Resource) string {
	v, _ := str(fn.Prop("CodeUri"))
	return strings.TrimSuffix(strings.TrimPrefix(v, "./"), "/")
}

func apiEvents(fn *Resource) []string {
	var evs []string
	for _, ev := range keys(fn.Prop("Events")) {
		if typ, _ := str(get(fn.Prop("Events"), ev, "Type")); typ == "Api" {
			evs = append(evs, ev)
		}
	}
	return evs
}

// checkFunctionPolicies: rds-db:connect for the function's own DB user on
// the stack's proxy only; secrets only the one the function is told about.
func checkFunctionPolicies(r *report, where string, fn *Resource, env *yaml.Node) {
	connects := 0
	walk(fn.Prop("Policies"), func(n *yaml.Node) {
		for _, st := range items(get(n, "Statement")) {
			for _, a := range items(get(st, "Action")) {
				action, _ := str(a)
				switch {
				case action == "rds-db:connect" || action == "rds-db:*":
					connects++
					checkConnectResource(r, where, get(st, "Resource"), get(env, "TODOMGMT_DB_USER"))
				case strings.HasPrefix(action, "secretsmanager:"):
					secret := get(env, "TODOMGMT_APP_SECRET_ARN")
					res := items(get(st, "Resource"))
					if action != "secretsmanager:GetSecretValue" || secret == nil || len(res) != 1 || !equal(res[0], secret) {
						r.add(where, "%s: a function may read only the secret named by its TODOMGMT_APP_SECRET_ARN", action)
					}
				}
			}
		}
	})
	if connects != 1 {
		r.add(where, "want exactly one rds-db:connect statement, got %d", connects)
	}
}

// checkConnectResource wants
// !Sub [".../dbuser:${ProxyId}/${User}", {ProxyId: !Select [6, !Split [":", !GetAtt Proxy.DBProxyArn]], User: <the TODOMGMT_DB_USER value>}].
func checkConnectResource(r *report, where string, res, dbUser *yaml.Node) {
	f, arg, ok := intrinsic(res)
	if !ok || f != "Fn::Sub" || arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		r.add(where, "rds-db:connect Resource must be !Sub [arn...:dbuser:${ProxyId}/${User}, {...}]")
		return
	}
	s, _ := str(arg.Content[0])
	if !strings.HasPrefix(s, "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:") || !strings.HasSuffix(s, ":dbuser:${ProxyId}/${User}") {
		r.add(where, "rds-db:connect Resource %q: want arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${ProxyId}/${User}", s)
	}
	vars := arg.Content[1]
	if !equal(get(vars, "User"), dbUser) {
		r.add(where, "rds-db:connect User must be the function's TODOMGMT_DB_USER")
	}
	pf, parg, ok := intrinsic(get(vars, "ProxyId"))
	valid := ok && pf == "Fn::Select" && len(parg.Content) == 2 && parg.Content[0].Value == "6"
	if valid {
		sf, sarg, ok := intrinsic(parg.Content[1])
		valid = ok && sf == "Fn::Split" && len(sarg.Content) == 2 && sarg.Content[0].Value == ":"
		if valid {
			_, attr, ok := getAttTarget(sarg.Content[1])
			valid = ok && attr == "DBProxyArn"
		}
	}
	if !valid {
		r.add(where, "rds-db:connect ProxyId must be !Select [6, !Split [\":\", !GetAtt <proxy>.DBProxyArn]] (the prx-... resource id)")
	}
}

// -------------------------------------------------------------- cognito

func checkCognito(in *Input, r *report) {
	for _, d := range in.Deployments() {
		pools := d.OfType("AWS::Cognito::UserPool")
		if len(pools) != 1 {
			r.add(d.Scenario.Name, "want one user pool, got %d", len(pools))
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
			r.add(d.Scenario.Name, "want one user pool domain, got %d", domains)
		}
		serverName := ""
		for _, rs := range d.OfType("AWS::Cognito::UserPoolResourceServer") {
			where := d.Scenario.Name + ": Resources." + rs.Name
			if !isRef(rs.Prop("UserPoolId"), pool) {
				continue
			}
			servers++
			serverName = rs.Name
			if v, _ := str(rs.Prop("Identifier")); v != "api" {
				r.add(where, "Identifier %q, want api", v)
			}
			var scopes []string
			for _, s := range items(rs.Prop("Scopes")) {
				scopes = append(scopes, mustStr(get(s, "ScopeName")))
			}
			slices.Sort(scopes)
			if !slices.Equal(scopes, []string{"read", "upsert-delete"}) {
				r.add(where, "scopes %v, want [read upsert-delete]", scopes)
			}
		}
		if servers != 1 {
			r.add(d.Scenario.Name, "want one resource server, got %d", servers)
		}
		for _, c := range d.OfType("AWS::Cognito::UserPoolClient") {
			where := d.Scenario.Name + ": Resources." + c.Name
			if !isRef(c.Prop("UserPoolId"), pool) {
				continue
			}
			clients++
			if v, _ := str(c.Prop("GenerateSecret")); v != "true" {
				r.add(where, "GenerateSecret must be true")
			}
			if v, _ := str(c.Prop("AllowedOAuthFlowsUserPoolClient")); v != "true" {
				r.add(where, "AllowedOAuthFlowsUserPoolClient must be true")
			}
			if f := items(c.Prop("AllowedOAuthFlows")); len(f) != 1 || f[0].Value != "client_credentials" {
				r.add(where, "AllowedOAuthFlows must be [client_credentials]")
			}
			var scopes []string
			for _, s := range items(c.Prop("AllowedOAuthScopes")) {
				scopes = append(scopes, mustStr(s))
			}
			slices.Sort(scopes)
			if !slices.Equal(scopes, []string{"api/read", "api/upsert-delete"}) {
				r.add(where, "AllowedOAuthScopes %v, want [api/read api/upsert-delete]", scopes)
			}
			if serverName != "" && !slices.Contains(c.DependsOn, serverName) {
				r.add(where, "must DependsOn %s (its scopes must exist first)", serverName)
			}
		}
		if clients != 1 {
			r.add(d.Scenario.Name, "want one app client, got %d", clients)
		}
	}
}
