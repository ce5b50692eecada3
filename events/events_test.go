package events_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/todomgmt/todomgmt/events"
)

// TestFixturesListed checks that the table and the directory agree.
func TestFixturesListed(t *testing.T) {
	files, err := filepath.Glob("*.json")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(f, ".json"))
	}
	var listed []string
	for _, f := range events.Fixtures {
		listed = append(listed, f.Name)
	}
	slices.Sort(listed)
	slices.Sort(names)
	if !slices.Equal(listed, names) {
		t.Errorf("Fixtures lists %v; the directory holds %v", listed, names)
	}
}

// TestSeedTags: put.json's If-Match is the ETag of todo 1 as a store
// taking its tags from SeedTags creates it (the first write), and each
// call of SeedTags starts over.
func TestSeedTags(t *testing.T) {
	tags := events.SeedTags()
	first, second := tags(), tags()
	if first == 0 || second == first {
		t.Fatalf("SeedTags gave %x then %x, want two distinct non-zero tags", first, second)
	}
	if again := events.SeedTags()(); again != first {
		t.Errorf("a new SeedTags starts at %x, want %x", again, first)
	}
	req, err := events.Request("put")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := req.Headers["If-Match"], fmt.Sprintf(`"1-%016x"`, first); got != want {
		t.Errorf("put.json If-Match %s, want %s (todo 1 at version 1, the first seed tag)", got, want)
	}
}

// TestFixturesWellFormed checks each event the way API Gateway would have
// built it: only known fields, single- and multi-value maps that agree,
// the stage in requestContext.path, and the authorizer's scope claim as a
// space-separated string.
func TestFixturesWellFormed(t *testing.T) {
	for _, f := range events.Fixtures {
		t.Run(f.Name, func(t *testing.T) {
			raw, err := events.Load(f.Name)
			if err != nil {
				t.Fatal(err)
			}
			var req awsevents.APIGatewayProxyRequest
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil {
				t.Fatalf("decode: %v", err)
			}
			rc := req.RequestContext
			if req.HTTPMethod == "" || rc.HTTPMethod != req.HTTPMethod {
				t.Errorf("httpMethod %q, requestContext.httpMethod %q: want equal and set", req.HTTPMethod, rc.HTTPMethod)
			}
			if want := "/" + rc.Stage + req.Path; rc.Path != want {
				t.Errorf("requestContext.path: got %q, want %q", rc.Path, want)
			}
			if rc.RequestID == "" || rc.DomainName == "" {
				t.Errorf("requestContext lacks requestId or domainName")
			}
			for k, v := range req.Headers {
				if got := req.MultiValueHeaders[k]; len(got) != 1 || got[0] != v {
					t.Errorf("header %s: headers %q, multiValueHeaders %q", k, v, got)
				}
			}
			if len(req.Headers) != len(req.MultiValueHeaders) {
				t.Errorf("headers and multiValueHeaders differ in size")
			}
			for k, v := range req.QueryStringParameters {
				if got := req.MultiValueQueryStringParameters[k]; len(got) != 1 || got[0] != v {
					t.Errorf("query %s: %q vs %q", k, v, got)
				}
			}
			if (req.Body != "") != (req.Headers["Content-Type"] != "") {
				t.Errorf("body %q with Content-Type %q: want both or neither", req.Body, req.Headers["Content-Type"])
			}
			_, hasAuth := req.Headers["Authorization"]
			if hasAuth != (rc.Authorizer != nil) {
				t.Errorf("Authorization header present %v, authorizer present %v: want both or neither", hasAuth, rc.Authorizer != nil)
			}
			if rc.Authorizer != nil {
				claims, _ := rc.Authorizer["claims"].(map[string]any)
				scope, _ := claims["scope"].(string)
				if !strings.HasPrefix(scope, "api/") {
					t.Errorf("authorizer.claims.scope: got %q, want space-separated api/ scopes", scope)
				}
			}
		})
	}
}
