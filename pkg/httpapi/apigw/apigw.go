// Package apigw connects pkg/httpapi to API Gateway (REST API, payload v1)
// behind aws-lambda-go-api-proxy: it reads the caller's OAuth scopes and
// API Gateway's request id from the request context the adapter sets
// (core.GetAPIGatewayContextFromContext), for httpapi.Config's Scopes and
// RequestID.
package apigw

import (
	"net/http"
	"strings"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"
)

// Scopes returns the httpapi.Config.Scopes function: the OAuth scopes
// of the Cognito access token, which API Gateway's authorizer puts in the
// request context as claims.scope, a space-separated string.
//
// Behind API Gateway a request without claims reached a route without an
// authorizer; it gets no scopes, so only health answers it. That is the
// defence in depth: a method left without authorizer by mistake is closed,
// not open. Under `sam local` (samLocal) there is no authorizer at all, and
// outside API Gateway (no request context) there is no gateway to trust:
// both skip the check.
func Scopes(samLocal bool) func(*http.Request) ([]string, bool) {
	return func(r *http.Request) ([]string, bool) {
		rc, ok := core.GetAPIGatewayContextFromContext(r.Context())
		if !ok {
			return nil, false
		}
		var scope string
		switch claims := rc.Authorizer["claims"].(type) {
		case map[string]any:
			scope, _ = claims["scope"].(string)
		case map[string]string:
			scope = claims["scope"]
		default:
			if samLocal {
				return nil, false
			}
		}
		return strings.Fields(scope), true
	}
}

// RequestID returns API Gateway's request id (the one in its access
// logs and in the x-amzn-RequestId response header), or "" outside API
// Gateway.
func RequestID(r *http.Request) string {
	rc, ok := core.GetAPIGatewayContextFromContext(r.Context())
	if !ok {
		return ""
	}
	return rc.RequestID
}
