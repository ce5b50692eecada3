// Package api checks the API side of the template: the REST API in the
// translator's output with its stage, routes, Cognito authorizer and
// scopes; the Lambda functions, how sam build builds them, their
// environment, roles and log groups; IAM without wildcards; the Cognito
// user pool that issues the tokens.
package api

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
)

// Checks are the API checks, in the order they report.
var Checks = []designcheck.Check{
	{Name: "build", Doc: "each AWS::Serverless::Function is built by `sam build` from one of the module's handlers: go1.x build method, CodeUri = the main package, Handler bootstrap", Translated: false, Run: checkBuild},
	{Name: "api", Doc: "REST API in the translator's output: stage prod, regional, tracing, throttling, access logs; exactly the routes of Routes, each with the Cognito authorizer (own pool and the peer's) and its scopes; health public; every route on the API function", Translated: true, Run: checkAPI},
	{Name: "iam", Doc: "no IAM statement (generated roles included) allows a wildcard action on a wildcard resource; no broad managed policies", Translated: true, Run: checkIAM},
	{Name: "functions", Doc: "Lambda functions: provided.al2023 arm64, traced, log groups first; the API and migrate functions in the VPC with the contract environment and least-privilege DB access in the generated role (the readiness check judges the readiness function)", Translated: true, Run: checkFunctions},
	{Name: "cognito", Doc: "user pool, domain, resource server api with read and upsert-delete, client-credentials client with a secret", Translated: true, Run: checkCognito},
}

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

func checkAPI(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		apis := d.OfType("AWS::ApiGateway::RestApi")
		if len(apis) != 1 {
			r.AddIn(d, "Resources", "want exactly one AWS::ApiGateway::RestApi, got %d (an Api event without RestApiId makes SAM create an implicit API)", len(apis))
			continue
		}
		api := apis[0]
		where := "Resources." + api.Name
		if t := designcheck.Items(api.Prop("EndpointConfiguration", "Types")); len(t) != 1 || t[0].Value != "REGIONAL" {
			r.AddIn(d, where, "EndpointConfiguration.Types must be [REGIONAL]")
		}
		checkStage(d, r, api)
		body := api.Prop("Body")
		if body == nil {
			r.AddIn(d, where, "no OpenAPI Body")
			continue
		}
		schemes, cognito := checkAuthorizer(d, r, where, body)
		checkRoutes(in, d, r, where, body, schemes, cognito)
	}
}

// checkStage: one stage, prod, traced, throttled, with access logs.
func checkStage(d *designcheck.Deployment, r *designcheck.Report, api *designcheck.Resource) {
	var stages []*designcheck.Resource
	for _, st := range d.OfType("AWS::ApiGateway::Stage") {
		if designcheck.IsRef(st.Prop("RestApiId"), api.Name) {
			stages = append(stages, st)
		}
	}
	if len(stages) != 1 {
		r.AddIn(d, "Resources."+api.Name, "want one stage, got %d", len(stages))
		return
	}
	st := stages[0]
	where := "Resources." + st.Name
	if v, _ := designcheck.Str(st.Prop("StageName")); v != "prod" {
		r.AddIn(d, where, "StageName %q, want prod", v)
	}
	if v, _ := designcheck.Str(st.Prop("TracingEnabled")); v != "true" {
		r.AddIn(d, where, "TracingEnabled must be true")
	}
	throttled := false
	for _, ms := range designcheck.Items(st.Prop("MethodSettings")) {
		if designcheck.Get(ms, "ThrottlingRateLimit") != nil && designcheck.Get(ms, "ThrottlingBurstLimit") != nil {
			throttled = true
		}
	}
	if !throttled {
		r.AddIn(d, where, "MethodSettings must set ThrottlingRateLimit and ThrottlingBurstLimit")
	}
	if st.Prop("AccessLogSetting", "DestinationArn") == nil || st.Prop("AccessLogSetting", "Format") == nil {
		r.AddIn(d, where, "AccessLogSetting needs DestinationArn and Format")
	}
}

// checkAuthorizer finds the API's security schemes and its one Cognito
// authorizer, which must trust this region's user pool and, once known,
// the peer's (PeerUserPoolArn), nothing else.
func checkAuthorizer(d *designcheck.Deployment, r *designcheck.Report, where string, body *yaml.Node) (schemes map[string]*yaml.Node, cognito string) {
	schemes = map[string]*yaml.Node{}
	for _, sec := range []*yaml.Node{designcheck.Get(body, "components", "securitySchemes"), designcheck.Get(body, "securityDefinitions")} {
		for _, name := range designcheck.Keys(sec) {
			schemes[name] = designcheck.Get(sec, name)
		}
	}
	var cognitos []string
	for name, s := range schemes {
		if v, _ := designcheck.Str(designcheck.Get(s, "x-amazon-apigateway-authorizer", "type")); v == cognitoAuthorizerType {
			cognitos = append(cognitos, name)
		}
	}
	if len(cognitos) != 1 {
		r.AddIn(d, where, "want one Cognito user pool authorizer, got %v", cognitos)
		return schemes, ""
	}
	cognito = cognitos[0]
	own, peer := false, false
	for _, p := range designcheck.Items(designcheck.Get(schemes[cognito], "x-amazon-apigateway-authorizer", "providerARNs")) {
		rn, attr, isGetAtt := designcheck.GetAttTarget(p)
		v, isStr := designcheck.Str(p)
		switch {
		case isGetAtt && attr == "Arn" && d.Resource(rn) != nil && d.Resource(rn).Type == "AWS::Cognito::UserPool":
			own = true
		case designcheck.IsRef(p, "PeerUserPoolArn") || (isStr && v != "" && v == d.Params["PeerUserPoolArn"]):
			peer = true
		default:
			r.AddIn(d, where, "authorizer %s trusts a provider that is neither this region's pool nor PeerUserPoolArn: %s", cognito, designcheck.Render(p))
		}
	}
	if wantPeer := d.Params["PeerUserPoolArn"] != ""; !own || peer != wantPeer {
		r.AddIn(d, where, "authorizer %s pools: own=%v peer=%v, want own=true peer=%v", cognito, own, peer, wantPeer)
	}
	return schemes, cognito
}

// checkRoutes: the paths are exactly Routes; each method's security is
// the Cognito authorizer with the route's scopes, or nothing for a public
// route; each method is a proxy integration of the API function.
func checkRoutes(in *designcheck.Input, d *designcheck.Deployment, r *designcheck.Report, where string, body *yaml.Node, schemes map[string]*yaml.Node, cognito string) {
	paths := designcheck.Get(body, "paths")
	want := map[string]bool{}
	for _, rt := range Routes {
		want[rt.Method+" "+rt.Path] = true
	}
	for _, p := range designcheck.Keys(paths) {
		for _, m := range designcheck.Keys(designcheck.Get(paths, p)) {
			if key := strings.ToUpper(m) + " " + p; !want[key] {
				r.AddIn(d, where, "%s is not a route of the API table (Routes)", key)
			}
		}
	}
	for _, rt := range Routes {
		key := rt.Method + " " + rt.Path
		op := designcheck.Get(paths, rt.Path, strings.ToLower(rt.Method))
		if op == nil {
			r.AddIn(d, where, "%s: missing", key)
			continue
		}
		sec := designcheck.Get(op, "security")
		if rt.Scopes == nil {
			if !public(sec, schemes) {
				r.AddIn(d, where, "%s must be public, its security is %s", key, designcheck.Render(sec))
			}
		} else if cognito != "" {
			reqs := designcheck.Items(sec)
			var got []string
			if len(reqs) == 1 && designcheck.Keys(reqs[0]) != nil && slices.Equal(designcheck.Keys(reqs[0]), []string{cognito}) {
				for _, s := range designcheck.Items(designcheck.Get(reqs[0], cognito)) {
					got = append(got, designcheck.StrValue(s))
				}
				slices.Sort(got)
				if wantScopes := slices.Sorted(slices.Values(rt.Scopes)); !slices.Equal(got, wantScopes) {
					r.AddIn(d, where, "%s scopes %v, want %v", key, got, wantScopes)
				}
			} else {
				r.AddIn(d, where, "%s must require exactly the Cognito authorizer %s with its scopes, its security is %s", key, cognito, designcheck.Render(sec))
			}
		}
		integ := designcheck.Get(op, "x-amazon-apigateway-integration")
		fn := designcheck.IntegrationTarget(op)
		if v, _ := designcheck.Str(designcheck.Get(integ, "type")); v != "aws_proxy" || in.PackageOf(fn) != "handlers/api" {
			r.AddIn(d, where, "%s must be a Lambda proxy integration of the API function (handlers/api), got type %q of %q", key, designcheck.StrValue(designcheck.Get(integ, "type")), fn)
		}
	}
}

// public reports whether an operation's security requirements name no
// security scheme of the API: none at all, or only SAM's NONE marker.
func public(sec *yaml.Node, schemes map[string]*yaml.Node) bool {
	for _, req := range designcheck.Items(sec) {
		for _, name := range designcheck.Keys(req) {
			if name != samNoAuthorizer || schemes[name] != nil || len(designcheck.Items(designcheck.Get(req, name))) > 0 {
				return false
			}
		}
	}
	return true
}
