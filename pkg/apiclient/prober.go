package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

// RegionalTokenSource is a TokenSource that can ask one region's issuer
// first: awsfailover.Tokens asks the failover's target region's Cognito, since
// the other region may be the one that is lost.
type RegionalTokenSource interface {
	TokenSource
	// TokenFor returns a token, asking region's issuer first.
	TokenFor(ctx context.Context, region string) (string, error)
}

// Prober is the failover's probe of a deployment from outside, built on
// Client: each region's /v1/health directly, and verified writes through
// the front door. The AWS operations and the lab use it alike.
type Prober struct {
	// APIs are the regional APIs' base URLs, by region.
	APIs map[string]string
	// FrontDoor is the front door's base URL.
	FrontDoor string
	// Tokens supplies access tokens; nil sends none (the lab).
	Tokens TokenSource
	// HTTP sends the requests; nil is http.DefaultClient.
	HTTP *http.Client
	// Timeout bounds each call; zero leaves it to the caller's context.
	Timeout time.Duration
	// Clean deletes the verifying write's todo afterwards (best effort),
	// so that a deployment's table keeps no probe rows (AWS). The lab
	// keeps them: its tables are throwaway, and a kept row shows which
	// write verified a switch.
	Clean bool
}

var (
	_ failover.Prober        = (*Prober)(nil)
	_ failover.WritePreparer = (*Prober)(nil)
)

// Client returns a client of base with the prober's HTTP client, tokens
// and timeout.
func (p *Prober) Client(base string) *Client {
	return &Client{BaseURL: base, HTTP: p.HTTP, Tokens: p.Tokens, Timeout: p.Timeout}
}

// Health calls region's /v1/health directly (not through the front
// door). An API that does not answer, or answers anything but 200, is
// reported as not OK with the reason in Detail; only an unknown region
// is an error.
func (p *Prober) Health(ctx context.Context, region string) (failover.APIHealth, error) {
	base, ok := p.APIs[region]
	if !ok {
		return failover.APIHealth{}, fmt.Errorf("no API URL for region %q", region)
	}
	start := time.Now()
	hb, r, err := p.Client(base).Health(ctx)
	h := failover.APIHealth{Region: region, Latency: time.Since(start), Role: string(hb.Role)}
	var ae *Error
	switch {
	case err == nil:
		h.OK = true
	case errors.Is(err, ErrUndecodable):
		h.Detail = StatusLine(r.Status) + ": not a health answer"
	case errors.As(err, &ae):
		h.Detail = ae.Error()
	default:
		h.Detail = err.Error()
	}
	return h, nil
}

// PrepareWrite gets the access token VerifyWrite needs, from target's
// issuer first when the token source can (RegionalTokenSource): during a
// failover the other region may be the lost one. The orchestrator calls
// it before each write attempt under a deadline of its own, so getting
// the token does not eat the write's.
func (p *Prober) PrepareWrite(ctx context.Context, target string) error {
	switch ts := p.Tokens.(type) {
	case nil:
		return nil
	case RegionalTokenSource:
		_, err := ts.TokenFor(ctx, target)
		return err
	default:
		_, err := ts.Token(ctx)
		return err
	}
}

// VerifyWrite verifies a write through the front door (Client.VerifyWrite)
// and returns the region that served it; with Clean it then deletes the
// todo.
func (p *Prober) VerifyWrite(ctx context.Context) (string, error) {
	c := p.Client(p.FrontDoor)
	v, err := c.VerifyWrite(ctx)
	if p.Clean && v.ID != 0 {
		// Best effort: a leftover probe row harms nothing.
		_, _ = c.Delete(ctx, v.ID, "")
	}
	if err != nil {
		return "", fmt.Errorf("through the front door: %w", err)
	}
	return v.Region, nil
}
