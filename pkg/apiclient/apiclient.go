// Package apiclient is the one Go client of the ToDoMgmt REST API: the
// wire types (a todo, a page of todos, the health answer, the error body,
// the ETag and region headers), one call per operation
// (Create/Get/List/Update/Delete/Health, with Idempotency-Key, If-Match
// and If-None-Match), a pluggable source of access tokens, and the one
// definition of a verified write (VerifyWrite). Prober builds the
// failover's probe of the regions on it.
//
// Everything that calls the API goes through it: the AWS operations
// (pkg/awsfailover: the failover's write check; pkg/awsops: smoke), the
// lab (internal/lab: its prober and checks) and the drill (pkg/drill: its
// load). It knows the API only by its wire contract and never imports the server (pkg/httpapi); a test runs
// the real handler against every call, so the two cannot drift apart.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Headers of the API's wire contract.
const (
	// RegionHeader names the region whose API served a response. Every
	// answer of a regional API carries it; the lab's front door adds it
	// to the answers it forwards.
	RegionHeader = "X-Todomgmt-Region"
	// IdempotencyKeyHeader makes a create safe to retry: a replay with
	// the same key answers as the first request did.
	IdempotencyKeyHeader = "Idempotency-Key"
	// ReplayedHeader is "true" on the answer to a replayed create.
	ReplayedHeader = "Idempotent-Replayed"
	// RequestIDHeader is the request's id, echoed on every answer.
	RequestIDHeader = "X-Request-Id"
)

// MaxAnswerBytes bounds the body read from one answer: a page of 100
// todos is a few tens of KiB.
const MaxAnswerBytes = 1 << 20

// TokenSource supplies the OAuth access token a call sends as
// "Authorization: Bearer". In AWS it is Cognito's client-credentials
// grant (awsfailover.Tokens); the lab's APIs need none.
type TokenSource interface {
	// Token returns a valid access token, from a cache when it can.
	Token(ctx context.Context) (string, error)
}

// Client calls one base URL of the API: a regional API (API Gateway's
// stage URL, ending in /prod, or a lab API) or the front door. Its zero
// value is not usable: BaseURL is required. A Client is safe for
// concurrent use.
type Client struct {
	// BaseURL is the URL the API's paths (/v1/...) are appended to.
	BaseURL string
	// HTTP sends the requests; nil is http.DefaultClient.
	HTTP *http.Client
	// Tokens supplies the access token; nil sends none.
	Tokens TokenSource
	// Timeout bounds each call (the token, the request and reading the
	// answer) on top of the caller's context; zero adds no bound.
	Timeout time.Duration
}

// Response is what an answer carried besides its body. A call returns it
// whenever an answer arrived, errors included; Status is 0 when none did.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Region is RegionHeader: the region that served the call.
	Region string
	// ETag names the write that made the todo's current version.
	ETag string
	// RequestID is the API's id of the request (X-Request-Id).
	RequestID string
	// Replayed is true when a create was answered from its
	// Idempotency-Key's record rather than run again.
	Replayed bool
}

// NotModified reports a 304 answer to a Get with If-None-Match.
func (r Response) NotModified() bool { return r.Status == http.StatusNotModified }

// request is one call: method, path under BaseURL, optional JSON body and
// headers (an empty value is not sent). A public call sends no token.
type request struct {
	method, path string
	body         any
	header       map[string]string
	public       bool
}

// do sends req and returns the answer's metadata and body. Only a failure
// to send (no answer at all) returns a nil body and Status 0; any answer,
// whatever its status, comes back for the caller to judge.
func (c *Client) do(ctx context.Context, req request) (Response, []byte, error) {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	var body io.Reader
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return Response{}, nil, fmt.Errorf("%s %s: encode the body: %w", req.method, req.path, err)
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, strings.TrimSuffix(c.BaseURL, "/")+req.path, body)
	if err != nil {
		return Response{}, nil, err
	}
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range req.header {
		if v != "" {
			hr.Header.Set(k, v)
		}
	}
	if c.Tokens != nil && !req.public {
		tok, err := c.Tokens.Token(ctx)
		if err != nil {
			return Response{}, nil, err
		}
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return Response{}, nil, err
	}
	defer resp.Body.Close()
	r := Response{
		Status:    resp.StatusCode,
		Region:    resp.Header.Get(RegionHeader),
		ETag:      resp.Header.Get("ETag"),
		RequestID: resp.Header.Get(RequestIDHeader),
		Replayed:  resp.Header.Get(ReplayedHeader) == "true",
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes))
	if err != nil {
		return r, raw, fmt.Errorf("%s %s: read the answer: %w", req.method, hr.URL.Redacted(), err)
	}
	return r, raw, nil
}
