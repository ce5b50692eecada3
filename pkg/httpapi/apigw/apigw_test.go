package apigw_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/todomgmt/todomgmt/pkg/httpapi/apigw"
)

// gatewayRequest turns an event into the *http.Request the adapter hands
// the handler, API Gateway context included.
func gatewayRequest(tb testing.TB, authorizer map[string]any) *http.Request {
	tb.Helper()
	var ra core.RequestAccessor
	r, err := ra.EventToRequestWithContext(context.Background(), events.APIGatewayProxyRequest{
		HTTPMethod: "GET",
		Path:       "/v1/todos",
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID:  "gw-req-1",
			DomainName: "abc.execute-api.us-east-1.amazonaws.com",
			Authorizer: authorizer,
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func TestScopes(t *testing.T) {
	for _, tt := range []struct {
		name       string
		samLocal   bool
		req        *http.Request
		wantScopes []string
		wantOK     bool
	}{
		{
			name:       "access token claims",
			req:        gatewayRequest(t, map[string]any{"claims": map[string]any{"scope": "api/read api/upsert-delete", "token_use": "access"}}),
			wantScopes: []string{"api/read", "api/upsert-delete"},
			wantOK:     true,
		},
		{
			name:       "claims as strings, extra spaces",
			req:        gatewayRequest(t, map[string]any{"claims": map[string]string{"scope": " api/read  "}}),
			wantScopes: []string{"api/read"},
			wantOK:     true,
		},
		{
			name:   "claims without scope (an ID token)",
			req:    gatewayRequest(t, map[string]any{"claims": map[string]any{"token_use": "id"}}),
			wantOK: true,
		},
		{
			name:   "no authorizer behind API Gateway: no scopes",
			req:    gatewayRequest(t, nil),
			wantOK: true,
		},
		{
			name:     "no authorizer under sam local: no check",
			samLocal: true,
			req:      gatewayRequest(t, nil),
			wantOK:   false,
		},
		{
			name:       "sam local with claims: checked",
			samLocal:   true,
			req:        gatewayRequest(t, map[string]any{"claims": map[string]any{"scope": "api/read"}}),
			wantScopes: []string{"api/read"},
			wantOK:     true,
		},
		{
			name:   "not behind API Gateway: no check",
			req:    httptest.NewRequest("GET", "/v1/todos", nil),
			wantOK: false,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := apigw.Scopes(tt.samLocal)(tt.req)
			if ok != tt.wantOK || !slices.Equal(got, tt.wantScopes) {
				t.Errorf("got %q, %v; want %q, %v", got, ok, tt.wantScopes, tt.wantOK)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	if got := apigw.RequestID(gatewayRequest(t, nil)); got != "gw-req-1" {
		t.Errorf("behind API Gateway: got %q, want gw-req-1", got)
	}
	if got := apigw.RequestID(httptest.NewRequest("GET", "/", nil)); got != "" {
		t.Errorf("outside API Gateway: got %q, want empty", got)
	}
}
