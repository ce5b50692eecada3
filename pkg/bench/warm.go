package bench

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	apievents "github.com/todomgmt/todomgmt/events"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/httpapi/apigw"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Proxy is the Lambda handler of the API: an API Gateway proxy event in,
// a proxy response out.
type Proxy func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// NewProxy returns the API as handlers/api wires it (aws-lambda-go-api-proxy
// in front of httpapi, scopes and request ids from API Gateway) over svc,
// with logs discarded (httpapi's nil Logger).
func NewProxy(svc todo.Service) Proxy {
	h := httpapi.New(httpapi.Config{
		Service:   svc,
		Region:    "bench",
		Scopes:    apigw.Scopes(false),
		RequestID: apigw.RequestID,
	})
	return httpadapter.New(h).ProxyWithContext
}

// Operation is one kind of request the warm benchmark sends.
type Operation struct {
	// Name is how the report shows it.
	Name string
	// Event is the events/ fixture sent.
	Event string
	// Status is the status every response must have.
	Status int
	// UniqueKey gives every request its own Idempotency-Key.
	UniqueKey bool
}

// Operations are the warm benchmark's requests. GET needs todo 1 to exist.
var Operations = []Operation{
	{Name: "GET /v1/todos/{id}", Event: "get", Status: 200},
	{Name: "POST /v1/todos", Event: "create", Status: 201},
	{Name: "POST /v1/todos + Idempotency-Key", Event: "create-idempotent", Status: 201, UniqueKey: true},
}

// Warm sends warmup unmeasured requests of op, then n measured ones, one
// after another (one execution environment serves one request at a time),
// and summarizes the measured ones. Any response other than op.Status is
// an error: a benchmark of failures measures nothing.
func Warm(ctx context.Context, proxy Proxy, op Operation, warmup, n int) (Latency, error) {
	base, err := apievents.Request(op.Event)
	if err != nil {
		return Latency{}, err
	}
	keyPrefix := "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-"
	latencies := make([]time.Duration, 0, n)
	for i := range warmup + n {
		req := base
		if op.UniqueKey {
			req = withHeader(base, "Idempotency-Key", keyPrefix+strconv.Itoa(i))
		}
		start := time.Now()
		resp, err := proxy(ctx, req)
		d := time.Since(start)
		if err != nil {
			return Latency{}, fmt.Errorf("%s: %w", op.Name, err)
		}
		if resp.StatusCode != op.Status {
			return Latency{}, fmt.Errorf("%s: got status %d, want %d; body %s", op.Name, resp.StatusCode, op.Status, resp.Body)
		}
		if i >= warmup {
			latencies = append(latencies, d)
		}
	}
	return summarize(latencies), nil
}

// withHeader returns req with header name set to value, in both header maps.
func withHeader(req events.APIGatewayProxyRequest, name, value string) events.APIGatewayProxyRequest {
	req.Headers = maps.Clone(req.Headers)
	req.MultiValueHeaders = maps.Clone(req.MultiValueHeaders)
	if req.Headers == nil {
		req.Headers = map[string]string{}
	}
	if req.MultiValueHeaders == nil {
		req.MultiValueHeaders = map[string][]string{}
	}
	req.Headers[name] = value
	req.MultiValueHeaders[name] = []string{value}
	return req
}
