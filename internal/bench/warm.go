package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"sync/atomic"
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
	// Event is the events/ fixture each request starts from.
	Event string
	// Status is the status every response must have.
	Status int
	// Target is true for the operations whose ratio to the floor has a
	// target (TargetRatio).
	Target bool

	// prepare, when set, sends what the operation's requests need before
	// them (not measured).
	prepare func(ctx context.Context, s *session, n int) error
	// request returns the i-th request of a run from the fixture.
	request func(s *session, base events.APIGatewayProxyRequest, i int) events.APIGatewayProxyRequest
	// check checks a response beyond its status and keeps what later
	// requests need.
	check func(s *session, resp events.APIGatewayProxyResponse) error
}

// TargetRatio is the largest ratio of our p50 to the floor's that the
// operations with Target meet.
const TargetRatio = 1.15

// Operations are the warm benchmark's requests, in the order a run sends
// them: the creates leave the todos the deletes remove.
var Operations = []Operation{
	{Name: "GET /v1/todos/{id}", Event: "get", Status: http.StatusOK, Target: true},
	{Name: "GET /v1/todos (list page)", Event: "list-page", Status: http.StatusOK},
	{Name: "POST /v1/todos", Event: "create", Status: http.StatusCreated, Target: true, check: keepCreated},
	{
		Name: "POST /v1/todos + Idempotency-Key", Event: "create-idempotent", Status: http.StatusCreated,
		request: func(s *session, base events.APIGatewayProxyRequest, i int) events.APIGatewayProxyRequest {
			return withHeader(base, "Idempotency-Key", s.newKey())
		},
		check: func(s *session, resp events.APIGatewayProxyResponse) error {
			if header(resp, "Idempotent-Replayed") != "" {
				return fmt.Errorf("a create with a new key was answered as a replay")
			}
			return keepCreated(s, resp)
		},
	},
	{
		Name: "replayed create (same Idempotency-Key)", Event: "create-idempotent", Status: http.StatusCreated,
		prepare: func(ctx context.Context, s *session, n int) error {
			// The first create with the key; every request after it is a
			// replay.
			s.replayKey = s.newKey()
			req := withHeader(s.base["create-idempotent"], "Idempotency-Key", s.replayKey)
			resp, err := s.send(ctx, req, false)
			if err == nil && resp.StatusCode != http.StatusCreated {
				err = fmt.Errorf("the first create with the replayed key: got status %d; body %s", resp.StatusCode, resp.Body)
			}
			if err == nil {
				err = keepCreated(s, resp)
			}
			return err
		},
		request: func(s *session, base events.APIGatewayProxyRequest, i int) events.APIGatewayProxyRequest {
			return withHeader(base, "Idempotency-Key", s.replayKey)
		},
		check: func(s *session, resp events.APIGatewayProxyResponse) error {
			if header(resp, "Idempotent-Replayed") != "true" {
				return fmt.Errorf("a create with a used key was not answered as a replay")
			}
			return nil
		},
	},
	{
		Name: "PUT /v1/todos/{id} + If-Match", Event: "put", Status: http.StatusOK,
		prepare: func(ctx context.Context, s *session, n int) error {
			// The todo's current ETag; each update then names the one the
			// previous update answered.
			resp, err := s.send(ctx, s.base["get"], false)
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("GET before the updates: got status %d; body %s", resp.StatusCode, resp.Body)
			}
			if err == nil {
				err = keepETag(s, resp)
			}
			return err
		},
		request: func(s *session, base events.APIGatewayProxyRequest, i int) events.APIGatewayProxyRequest {
			return withHeader(base, "If-Match", s.etag)
		},
		check: keepETag,
	},
	{
		Name: "DELETE /v1/todos/{id}", Event: "delete", Status: http.StatusNoContent,
		prepare: func(ctx context.Context, s *session, n int) error {
			// The creates of the run leave enough todos; run alone, the
			// operation makes its own.
			for len(s.created) < n {
				resp, err := s.send(ctx, s.base["create"], false)
				if err == nil && resp.StatusCode != http.StatusCreated {
					err = fmt.Errorf("create before the deletes: got status %d; body %s", resp.StatusCode, resp.Body)
				}
				if err == nil {
					err = keepCreated(s, resp)
				}
				if err != nil {
					return err
				}
			}
			return nil
		},
		request: func(s *session, base events.APIGatewayProxyRequest, i int) events.APIGatewayProxyRequest {
			id := strconv.FormatInt(s.created[0], 10)
			s.created = s.created[1:]
			base.Path = "/v1/todos/" + id
			base.PathParameters = map[string]string{"id": id}
			return base
		},
	},
}

// session is one run of the operations over one proxy: what the requests
// carry from one to the next, and, with a wire, what each sent to the
// database.
type session struct {
	proxy Proxy
	// wire records the database traffic of each request (nil: none).
	wire *wire
	// prefix and keys make this session's idempotency keys unique.
	prefix string
	keys   int
	// replayKey is the key the replayed creates of a run send.
	replayKey string
	base      map[string]events.APIGatewayProxyRequest
	// created are ids of todos created in this session, not yet deleted.
	created []int64
	// etag is the current ETag of the todo the updates change.
	etag string
	// units are the requests sent since the last take, with their
	// database traffic, in order.
	units []unit
}

// unit is one request sent through the proxy and what it did.
type unit struct {
	measured bool
	d        time.Duration
	rt       int64 // round trips to the database
	dials    int64 // connections opened
	stmts    []statement
}

// sessions numbers the sessions, for their keys.
var sessions atomic.Int64

func newSession(proxy Proxy, w *wire) (*session, error) {
	s := &session{proxy: proxy, wire: w, base: map[string]events.APIGatewayProxyRequest{}}
	s.prefix = "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatInt(sessions.Add(1), 10) + "-"
	for _, op := range Operations {
		for _, name := range []string{op.Event, "get", "create", "create-idempotent"} {
			if _, ok := s.base[name]; ok {
				continue
			}
			req, err := apievents.Request(name)
			if err != nil {
				return nil, err
			}
			s.base[name] = req
		}
	}
	return s, nil
}

// newKey returns an idempotency key no request has sent.
func (s *session) newKey() string {
	s.keys++
	return s.prefix + strconv.Itoa(s.keys)
}

// send sends one request and records it as a unit.
func (s *session) send(ctx context.Context, req events.APIGatewayProxyRequest, measured bool) (events.APIGatewayProxyResponse, error) {
	var m mark
	if s.wire != nil {
		m = s.wire.mark()
	}
	start := time.Now()
	resp, err := s.proxy(ctx, req)
	u := unit{measured: measured, d: time.Since(start)}
	if err != nil {
		return resp, err
	}
	if s.wire != nil {
		if u.rt, u.dials, u.stmts, err = s.wire.since(m); err != nil {
			return resp, err
		}
	}
	s.units = append(s.units, u)
	return resp, nil
}

// take returns the units recorded so far and forgets them.
func (s *session) take() []unit {
	u := s.units
	s.units = nil
	return u
}

// begin readies a run of op for total requests (its prepare, not
// measured).
func (s *session) begin(ctx context.Context, op Operation, total int) error {
	if op.prepare != nil {
		if err := op.prepare(ctx, s, total); err != nil {
			return fmt.Errorf("%s: %w", op.Name, err)
		}
	}
	return nil
}

// sendN sends requests from to from+count-1 of op's run, one after another
// (one execution environment serves one request at a time), and returns
// the wall time from the first one's start to the last one's end. Any
// response other than op.Status is an error: a benchmark of failures
// measures nothing.
func (s *session) sendN(ctx context.Context, op Operation, from, count int, measured bool) (time.Duration, error) {
	base := s.base[op.Event]
	start := time.Now()
	for i := from; i < from+count; i++ {
		req := base
		if op.request != nil {
			req = op.request(s, base, i)
		}
		resp, err := s.send(ctx, req, measured)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", op.Name, err)
		}
		if resp.StatusCode != op.Status {
			return 0, fmt.Errorf("%s: got status %d, want %d; body %s", op.Name, resp.StatusCode, op.Status, resp.Body)
		}
		if op.check != nil {
			if err := op.check(s, resp); err != nil {
				return 0, fmt.Errorf("%s: %w", op.Name, err)
			}
		}
	}
	return time.Since(start), nil
}

// latencies returns the latencies of the measured units.
func latencies(units []unit) []time.Duration {
	var ds []time.Duration
	for _, u := range units {
		if u.measured {
			ds = append(ds, u.d)
		}
	}
	return ds
}

// Warm sends warmup unmeasured requests of op through proxy, then n
// measured ones, and summarizes the measured ones (with no database
// figures: the proxy's store is whatever it is).
func Warm(ctx context.Context, proxy Proxy, op Operation, warmup, n int) (Latency, error) {
	s, err := newSession(proxy, nil)
	if err != nil {
		return Latency{}, err
	}
	if err := s.begin(ctx, op, warmup+n); err != nil {
		return Latency{}, err
	}
	if _, err := s.sendN(ctx, op, 0, warmup, false); err != nil {
		return Latency{}, err
	}
	wall, err := s.sendN(ctx, op, warmup, n, true)
	if err != nil {
		return Latency{}, err
	}
	return summarize(latencies(s.take()), wall), nil
}

// keepCreated keeps the id of the todo a create answered, for the deletes.
func keepCreated(s *session, resp events.APIGatewayProxyResponse) error {
	var t struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &t); err != nil || t.ID <= 0 {
		return fmt.Errorf("create answered %q: no id", resp.Body)
	}
	s.created = append(s.created, t.ID)
	return nil
}

// keepETag keeps the ETag of a response, for the next If-Match.
func keepETag(s *session, resp events.APIGatewayProxyResponse) error {
	s.etag = header(resp, "ETag")
	if s.etag == "" {
		return fmt.Errorf("no ETag in the response")
	}
	return nil
}

// header returns the response header name from either header map.
func header(resp events.APIGatewayProxyResponse, name string) string {
	name = http.CanonicalHeaderKey(name)
	for k, v := range resp.Headers {
		if http.CanonicalHeaderKey(k) == name {
			return v
		}
	}
	for k, v := range resp.MultiValueHeaders {
		if http.CanonicalHeaderKey(k) == name && len(v) > 0 {
			return v[0]
		}
	}
	return ""
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
