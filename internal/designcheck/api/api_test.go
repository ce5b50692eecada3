package api

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/designcheck/checktest"
)

// readmeRoutes reads the API table of README's "The API": method, path
// (the first `code` of the cell, without its query) and scopes. README
// spells out the read scopes on the first row (`api/read` or
// `api/upsert-delete`) and writes "read" for them below; "none" is a
// public route.
func readmeRoutes(tb testing.TB) []Route {
	tb.Helper()
	data, err := os.ReadFile(checktest.Path(tb, "README.md"))
	if err != nil {
		tb.Fatal(err)
	}
	_, section, found := strings.Cut(string(data), "\n## The API\n")
	if !found {
		tb.Fatal(`README has no "## The API" section`)
	}
	code := regexp.MustCompile("`([^`]*)`")
	var routes []Route
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || !regexp.MustCompile(`^ (GET|POST|PUT|PATCH|DELETE) $`).MatchString(cells[1]) {
			if len(routes) > 0 && !strings.HasPrefix(line, "|") {
				break // the end of the table
			}
			continue
		}
		m := code.FindStringSubmatch(cells[2])
		if m == nil {
			tb.Fatalf("README API table: no `path` in %q", line)
		}
		path, _, _ := strings.Cut(m[1], "?")
		rt := Route{Method: strings.TrimSpace(cells[1]), Path: path}
		switch scope := cells[3]; {
		case strings.Contains(scope, "none"):
		case strings.Contains(scope, "read"):
			rt.Scopes = readScopes
		case strings.Contains(scope, "upsert-delete"):
			rt.Scopes = writeScopes
		default:
			tb.Fatalf("README API table: scope %q of %s %s is none of none, read, upsert-delete", scope, rt.Method, rt.Path)
		}
		routes = append(routes, rt)
	}
	if len(routes) == 0 {
		tb.Fatal("README has no API table")
	}
	return routes
}

// TestOpenAPIScopesAreREADMEs reads the translator's output: in every
// parameter set, each method of the REST API's OpenAPI body requires the
// Cognito authorizer with exactly the scopes of README's API table, and
// GET /v1/health requires no security scheme at all. This is what API
// Gateway enforces; a template the translator refuses, or one whose
// events lose their scopes, fails here.
func TestOpenAPIScopesAreREADMEs(t *testing.T) {
	readme := readmeRoutes(t)
	if !slices.EqualFunc(readme, Routes, func(a, b Route) bool {
		return a.Method == b.Method && a.Path == b.Path && slices.Equal(a.Scopes, b.Scopes)
	}) {
		t.Errorf("Routes differ from README's API table:\n got %v\nwant %v", Routes, readme)
	}
	in := checktest.Translated(t)
	ds := in.Deployments()
	if len(ds) != len(in.Sets) {
		t.Fatalf("%d deployments for %d parameter sets: %v", len(ds), len(in.Sets), in.DeploymentErrors())
	}
	for _, d := range ds {
		apis := d.OfType("AWS::ApiGateway::RestApi")
		if len(apis) != 1 {
			t.Fatalf("%s: %d REST APIs", d.Set.Name, len(apis))
		}
		body := apis[0].Prop("Body")
		schemes := designcheck.Get(body, "components", "securitySchemes")
		paths := designcheck.Get(body, "paths")
		methods := 0
		for _, p := range designcheck.Keys(paths) {
			methods += len(designcheck.Keys(designcheck.Get(paths, p)))
		}
		if methods != len(readme) {
			t.Errorf("%s: the OpenAPI body has %d methods, README's table %d", d.Set.Name, methods, len(readme))
		}
		for _, rt := range readme {
			op := designcheck.Get(paths, rt.Path, strings.ToLower(rt.Method))
			if op == nil {
				t.Errorf("%s: %s %s: not in the OpenAPI body", d.Set.Name, rt.Method, rt.Path)
				continue
			}
			sec := designcheck.Get(op, "security")
			if rt.Scopes == nil {
				// SAM writes `Authorizer: NONE` as the requirement {NONE: []},
				// a name that is no security scheme of the API: API Gateway
				// applies no authorizer.
				for _, req := range designcheck.Items(sec) {
					for _, name := range designcheck.Keys(req) {
						if name != "NONE" || designcheck.Get(schemes, name) != nil || len(designcheck.Items(designcheck.Get(req, name))) > 0 {
							t.Errorf("%s: %s %s requires security %s, want none", d.Set.Name, rt.Method, rt.Path, checktest.JSON(sec))
						}
					}
				}
				continue
			}
			want := map[string][]string{"CognitoAuthorizer": rt.Scopes}
			wantJSON, _ := json.Marshal([]map[string][]string{want})
			if got := checktest.JSON(sec); got != string(wantJSON) {
				t.Errorf("%s: %s %s: security %s, want %s", d.Set.Name, rt.Method, rt.Path, got, wantJSON)
			}
		}
		if typ := designcheck.StrValue(designcheck.Get(schemes, "CognitoAuthorizer", "x-amazon-apigateway-authorizer", "type")); typ != "cognito_user_pools" {
			t.Errorf("%s: CognitoAuthorizer is of type %q, want cognito_user_pools", d.Set.Name, typ)
		}
	}
}
