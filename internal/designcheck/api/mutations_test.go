package api

import (
	"testing"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/designcheck/checktest"
)

var mutations = []checktest.Mutation{
	// build
	{Name: "CodeUri at the module root (no main package there)", Check: "build", Want: "CodeUri \".\" is not one of the module's Lambda packages", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "CodeUri"}, ".")
	}},
	{Name: "CodeUri that is no package", Check: "build", Want: "not one of the module's Lambda packages", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "MigrateFunction", []string{"Properties", "CodeUri"}, "handlers/worker")
	}},
	{Name: "Handler is a package path (binary not named bootstrap)", Check: "build", Want: "want bootstrap", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Handler"}, "handlers/api")
	}},
	{Name: "no go build method", Check: "build", Want: "BuildMethod", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "MigrateFunction", "Metadata", "BuildMethod")
	}},

	// api
	{Name: "route on the migrate function", Check: "api", Want: "GET /v1/health must be a Lambda proxy integration of the API function (handlers/api)", Mutate: func(tb testing.TB, in *designcheck.Input) {
		health := checktest.At(tb, checktest.ResNode(tb, in, "ApiFunction"), "Properties", "Events", "Health")
		checktest.DelAt(tb, in, "ApiFunction", "Properties", "Events", "Health")
		designcheck.Set(checktest.At(tb, checktest.ResNode(tb, in, "MigrateFunction"), "Properties", "Events"), "Health", health)
	}},
	{Name: "authorizer trusts a third pool", Check: "api", Want: "trusts a provider that is neither this region's pool nor PeerUserPoolArn", Mutate: func(tb testing.TB, in *designcheck.Input) {
		arns := checktest.At(tb, checktest.ResNode(tb, in, "Api"), "Properties", "Auth", "Authorizers", "CognitoAuthorizer", "UserPoolArn")
		arns.Content = append(arns.Content, designcheck.Scalar(0, "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Other"))
	}},
	{Name: "route without scopes", Check: "api", Want: "PUT /v1/todos/{id} scopes [], want [api/upsert-delete]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ApiFunction", "Properties", "Events", "PutTodo", "Properties", "Auth")
	}},
	{Name: "mutating route with the read scope", Check: "api", Want: "DELETE /v1/todos/{id} scopes [api/read], want [api/upsert-delete]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Events", "DeleteTodo", "Properties", "Auth", "AuthorizationScopes"}, "[api/read]")
	}},
	{Name: "route without the authorizer", Check: "api", Want: "POST /v1 must require exactly the Cognito authorizer CognitoAuthorizer", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Events", "SamplePost", "Properties", "Auth", "Authorizer"}, "NONE")
	}},
	{Name: "health behind the authorizer", Check: "api", Want: "GET /v1/health must be public", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ApiFunction", "Properties", "Events", "Health", "Properties", "Auth")
	}},
	{Name: "route missing", Check: "api", Want: "GET /v1: missing", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ApiFunction", "Properties", "Events", "SampleGet")
	}},
	{Name: "extra route", Check: "api", Want: "PATCH /v1/todos/{id} is not a route", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Events", "PatchTodo"},
			"{Type: Api, Properties: {RestApiId: !Ref Api, Path: '/v1/todos/{id}', Method: PATCH, Auth: {Authorizer: CognitoAuthorizer, AuthorizationScopes: [api/upsert-delete]}}}")
	}},
	// An event without RestApiId makes SAM create an implicit API; with
	// an authorizer the translator itself refuses it (the implicit API has
	// none), so the public route shows it.
	{Name: "implicit API", Check: "api", Want: "want exactly one AWS::ApiGateway::RestApi, got 2", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ApiFunction", "Properties", "Events", "Health", "Properties", "RestApiId")
		checktest.DelAt(tb, in, "ApiFunction", "Properties", "Events", "Health", "Properties", "Auth")
	}},
	{Name: "peer pool not trusted", Check: "api", Want: "pools: own=true peer=false, want own=true peer=true", Sets: []string{"primary-cloudfront", "secondary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Api", []string{"Properties", "Auth", "Authorizers", "CognitoAuthorizer", "UserPoolArn"}, "[!GetAtt UserPool.Arn]")
	}},
	{Name: "no tracing", Check: "api", Want: "TracingEnabled must be true", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Api", []string{"Properties", "TracingEnabled"}, "false")
	}},
	{Name: "no throttling", Check: "api", Want: "MethodSettings must set", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "Api", "Properties", "MethodSettings")
	}},
	{Name: "edge endpoint", Check: "api", Want: "EndpointConfiguration.Types must be [REGIONAL]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Api", []string{"Properties", "EndpointConfiguration"}, "{Type: EDGE}")
	}},

	// iam
	{Name: "SAM managed policy AdministratorAccess on a function", Check: "iam", Want: `managed policy "arn:aws:iam::aws:policy/AdministratorAccess" is too broad`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		p := checktest.At(tb, checktest.ResNode(tb, in, "ApiFunction"), "Properties", "Policies")
		p.Content = append(p.Content, designcheck.Scalar(0, "AdministratorAccess"))
	}},
	{Name: "star on star in a function policy", Check: "iam", Want: "wildcard action on a wildcard resource", Mutate: func(tb testing.TB, in *designcheck.Input) {
		st := checktest.At(tb, checktest.ResNode(tb, in, "ApiFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, checktest.Node(tb, `{Effect: Allow, Action: "*", Resource: "*"}`))
	}},
	{Name: "star list in a role", Check: "iam", Want: "wildcard action on a wildcard resource", Mutate: func(tb testing.TB, in *designcheck.Input) {
		st := checktest.At(tb, checktest.ResNode(tb, in, "ProxyRole"), "Properties", "Policies", "0", "PolicyDocument", "Statement")
		st.Content = append(st.Content, checktest.Node(tb, `{Effect: Allow, Action: ["*"], Resource: ["*"]}`))
	}},
	{Name: "NotAction on star", Check: "iam", Want: "wildcard action on a wildcard resource", Mutate: func(tb testing.TB, in *designcheck.Input) {
		st := checktest.At(tb, checktest.ResNode(tb, in, "MigrateFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, checktest.Node(tb, `{Effect: Allow, NotAction: "iam:*", Resource: "*"}`))
	}},
	{Name: "administrator managed policy", Check: "iam", Want: "too broad", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ProxyRole", []string{"Properties", "ManagedPolicyArns"}, `[!Sub "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"]`)
	}},

	// functions
	{Name: "function not traced", Check: "functions", Want: "TracingConfig.Mode must be Active", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "MigrateFunction", []string{"Properties", "Tracing"}, "PassThrough")
	}},
	{Name: "wrong runtime", Check: "functions", Want: "provided.al2023", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Runtime"}, "provided.al2")
	}},
	{Name: "x86", Check: "functions", Want: "Architectures must be [arm64]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "MigrateFunction", []string{"Properties", "Architectures"}, "[x86_64]")
	}},
	{Name: "outside the VPC", Check: "functions", Want: "VpcConfig", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ApiFunction", "Properties", "VpcConfig")
	}},
	{Name: "API timeout not above the request deadline", Check: "functions", Want: "must exceed TODOMGMT_REQUEST_TIMEOUT", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Timeout"}, "8")
	}},
	{Name: "API timeout at API Gateway's limit", Check: "functions", Want: "API Gateway's 29 s", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Timeout"}, "29")
	}},
	{Name: "env variable not in the contract", Check: "functions", Want: "TODOMGMT_DB_HOSTS is not one the handlers read", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOSTS"}, "x")
	}},
	{Name: "required env variable missing", Check: "functions", Want: "TODOMGMT_DB_READER_HOST missing", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ApiFunction", "Properties", "Environment", "Variables", "TODOMGMT_DB_READER_HOST")
	}},
	{Name: "migrate function without the reader", Check: "functions", Want: "TODOMGMT_DB_READER_HOST missing for handlers/migrate", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "MigrateFunction", "Properties", "Environment", "Variables", "TODOMGMT_DB_READER_HOST")
	}},
	{Name: "reader host is the writer endpoint", Check: "functions", Want: "TODOMGMT_DB_READER_HOST must be !GetAtt <READ_ONLY proxy endpoint>.Endpoint", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "MigrateFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_READER_HOST"}, "!GetAtt DbProxy.Endpoint")
	}},
	{Name: "writer host is the read-only endpoint", Check: "functions", Want: "TODOMGMT_DB_HOST must be !GetAtt <proxy>.Endpoint", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_HOST"}, "!GetAtt DbProxyReadOnlyEndpoint.Endpoint")
	}},
	{Name: "password DSN in AWS", Check: "functions", Want: "TODOMGMT_DB_DSN", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_DB_DSN"}, "root:pw@tcp(x)/y")
	}},
	{Name: "API connects as the master user", Check: "functions", Want: "must be the function's TODOMGMT_DB_USER", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Policies", "0", "Statement", "0", "Resource", "Fn::Sub", "1", "User"}, "!FindInMap [Constants, Database, MasterUser]")
	}},
	{Name: "rds-db:connect on any user", Check: "functions", Want: "rds-db:connect Resource must be", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Policies", "0", "Statement", "0", "Resource"}, `!Sub "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:*/*"`)
	}},
	{Name: "proxy id taken from the wrong field", Check: "functions", Want: "prx-", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "MigrateFunction", []string{"Properties", "Policies", "0", "Statement", "0", "Resource", "Fn::Sub", "1", "ProxyId"}, `!Select [5, !Split [":", !GetAtt DbProxy.DBProxyArn]]`)
	}},
	{Name: "API reads a secret", Check: "functions", Want: "may read only the secret named by its TODOMGMT_APP_SECRET_ARN", Mutate: func(tb testing.TB, in *designcheck.Input) {
		st := checktest.At(tb, checktest.ResNode(tb, in, "ApiFunction"), "Properties", "Policies", "0", "Statement")
		st.Content = append(st.Content, checktest.Node(tb, `{Effect: Allow, Action: secretsmanager:GetSecretValue, Resource: !If [IsPrimary, !Ref MasterSecret, !Ref PrimaryMasterSecretArn]}`))
	}},
	{Name: "log group not created first", Check: "functions", Want: "must DependsOn a log group", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ApiFunction", "DependsOn")
	}},
	{Name: "API timeout above API Gateway's", Check: "functions", Want: "Timeout \"30\"", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Timeout"}, "30")
	}},

	// cognito
	{Name: "client without secret", Check: "cognito", Want: "GenerateSecret", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "AppClient", []string{"Properties", "GenerateSecret"}, "false")
	}},
	{Name: "resource server without upsert-delete", Check: "cognito", Want: "scopes [read]", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiResourceServer", []string{"Properties", "Scopes"}, "[{ScopeName: read, ScopeDescription: r}]")
	}},
	{Name: "authorization code flow", Check: "cognito", Want: "client_credentials", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "AppClient", []string{"Properties", "AllowedOAuthFlows"}, "[code]")
	}},
	{Name: "client before its scopes", Check: "cognito", Want: "must DependsOn ApiResourceServer", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "AppClient", "DependsOn")
	}},
	{Name: "no user pool domain", Check: "cognito", Want: "user pool domain", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelResource(tb, in, "UserPoolDomain")
	}},
	{Name: "readiness function's log group not created first", Check: "functions", Want: "must DependsOn a log group /aws/lambda/todomgmt-readiness", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ReadinessFunction", "DependsOn")
	}},
}
