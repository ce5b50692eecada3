package awsfailover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/awsclient"
)

// TokenScopes are the scopes a client-credentials token asks for: all the
// API's scopes, so one token reads and writes.
const TokenScopes = "api/read api/upsert-delete"

// Pool is one region's Cognito user pool and app client (stack outputs).
type Pool struct {
	Region     string
	UserPoolID string
	ClientID   string
	TokenURL   string
}

// Tokens gets client-credentials access tokens from Cognito. It reads the
// app client's secret with DescribeUserPoolClient and never prints it.
// Any pool will do (each region's authorizer trusts both pools), so losing
// one region does not stop token issuance: each pool gets its own short
// timeout, the region the caller names (the failover's target) is asked
// first, and a pool that failed is passed over for a while.
type Tokens struct {
	Pools   []Pool
	Clients *awsclient.Clients
	// PoolTimeout bounds each pool's attempt (the secret and the token
	// request); zero means DefaultPoolTimeout. A lost region's pool then
	// costs at most this, not the caller's whole budget.
	PoolTimeout time.Duration
	// PassOver is how long a pool that failed is tried only after every
	// other pool; zero means DefaultPassOver.
	PassOver time.Duration
	// Now tells time; nil is time.Now.
	Now func() time.Time

	mu      sync.Mutex
	secrets map[string]string // by pool id
	token   string
	expires time.Time
	failed  map[string]time.Time // by pool id: when it last failed
	prefer  string               // the region last asked for first
}

// Tokens is the API client's token source, and asks the failover's
// target region first when the prober prepares a write.
var _ apiclient.RegionalTokenSource = (*Tokens)(nil)

// Defaults of Tokens.PoolTimeout and Tokens.PassOver. Two pools fit in
// the orchestrator's 30 s per-call bound.
const (
	DefaultPoolTimeout = 10 * time.Second
	DefaultPassOver    = 2 * time.Minute
)

func (t *Tokens) now() time.Time {
	if t.Now == nil {
		return time.Now()
	}
	return t.Now()
}

// Token returns a cached token, or a new one from the first pool that
// issues one, asking the region last named to TokenFor first.
func (t *Tokens) Token(ctx context.Context) (string, error) {
	return t.TokenFor(ctx, "")
}

// TokenFor returns a cached token, or a new one, asking region's pool
// first (and remembering it for Token). Pools that failed within PassOver
// come last.
func (t *Tokens) TokenFor(ctx context.Context, region string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if region != "" {
		t.prefer = region
	}
	now := t.now()
	if t.token != "" && now.Before(t.expires) {
		return t.token, nil
	}
	var errs []error
	for _, p := range t.order(now) {
		tok, ttl, err := t.fetchBounded(ctx, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Region, err))
			if ctx.Err() != nil {
				// The caller's deadline, not the pool's fault.
				break
			}
			if t.failed == nil {
				t.failed = map[string]time.Time{}
			}
			t.failed[p.UserPoolID] = t.now()
			continue
		}
		delete(t.failed, p.UserPoolID)
		t.token, t.expires = tok, t.now().Add(ttl-time.Minute)
		return tok, nil
	}
	if len(errs) == 0 {
		return "", errors.New("no Cognito user pool to get a token from")
	}
	return "", fmt.Errorf("get an access token: %w", oneLine(errs))
}

// order returns the pools to try: the preferred region's first, the rest
// in configuration order, and those that failed within PassOver last.
func (t *Tokens) order(now time.Time) []Pool {
	passOver := t.PassOver
	if passOver <= 0 {
		passOver = DefaultPassOver
	}
	var fresh, failed []Pool
	for _, p := range t.Pools {
		if at, ok := t.failed[p.UserPoolID]; ok && now.Sub(at) < passOver {
			failed = append(failed, p)
		} else {
			fresh = append(fresh, p)
		}
	}
	first := func(ps []Pool) {
		slices.SortStableFunc(ps, func(a, b Pool) int {
			switch {
			case a.Region == b.Region:
				return 0
			case a.Region == t.prefer:
				return -1
			case b.Region == t.prefer:
				return 1
			}
			return 0
		})
	}
	first(fresh)
	first(failed)
	return append(fresh, failed...)
}

// fetchBounded is fetch within PoolTimeout.
func (t *Tokens) fetchBounded(ctx context.Context, p Pool) (string, time.Duration, error) {
	timeout := t.PoolTimeout
	if timeout <= 0 {
		timeout = DefaultPoolTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return t.fetch(ctx, p)
}

// TokenFrom gets a new token from pool, whatever the cache holds.
func (t *Tokens) TokenFrom(ctx context.Context, p Pool) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, _, err := t.fetchBounded(ctx, p)
	return tok, err
}

// Secret returns the pool's app client secret, for the operator who asks
// for it explicitly.
func (t *Tokens) Secret(ctx context.Context, p Pool) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.secret(ctx, p)
}

func (t *Tokens) secret(ctx context.Context, p Pool) (string, error) {
	if s, ok := t.secrets[p.UserPoolID]; ok {
		return s, nil
	}
	out, err := t.Clients.Cognito(p.Region).DescribeUserPoolClient(ctx, &cognitoidentityprovider.DescribeUserPoolClientInput{
		UserPoolId: aws.String(p.UserPoolID),
		ClientId:   aws.String(p.ClientID),
	})
	if err != nil {
		return "", fmt.Errorf("DescribeUserPoolClient %s in %s: %w", p.ClientID, p.Region, err)
	}
	if out.UserPoolClient == nil || aws.ToString(out.UserPoolClient.ClientSecret) == "" {
		return "", fmt.Errorf("app client %s in %s has no secret", p.ClientID, p.Region)
	}
	if t.secrets == nil {
		t.secrets = map[string]string{}
	}
	t.secrets[p.UserPoolID] = aws.ToString(out.UserPoolClient.ClientSecret)
	return t.secrets[p.UserPoolID], nil
}

func (t *Tokens) fetch(ctx context.Context, p Pool) (string, time.Duration, error) {
	secret, err := t.secret(ctx, p)
	if err != nil {
		return "", 0, err
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {TokenScopes}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(p.ClientID, secret)
	resp, err := t.Clients.HTTP.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("POST %s: %w", p.TokenURL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
	}
	_ = json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		// The token endpoint's error is a code like invalid_client; the
		// body never holds the secret.
		return "", 0, fmt.Errorf("POST %s: %s %s", p.TokenURL, resp.Status, tr.Error)
	}
	ttl := time.Duration(tr.ExpiresIn) * time.Second
	if ttl < 2*time.Minute {
		ttl = 2 * time.Minute
	}
	return tr.AccessToken, ttl, nil
}
