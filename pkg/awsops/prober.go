package awsops

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
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
// Pools are tried in order, so losing one region does not stop token
// issuance (each region's authorizer trusts both pools).
type Tokens struct {
	Pools   []Pool
	Clients *Clients

	mu      sync.Mutex
	secrets map[string]string // by pool id
	token   string
	expires time.Time
}

// Token returns a cached token, or a new one from the first pool that
// issues one.
func (t *Tokens) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && time.Now().Before(t.expires) {
		return t.token, nil
	}
	var errs []error
	for _, p := range t.Pools {
		tok, ttl, err := t.fetch(ctx, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Region, err))
			continue
		}
		t.token, t.expires = tok, time.Now().Add(ttl-time.Minute)
		return tok, nil
	}
	if len(errs) == 0 {
		return "", errors.New("no Cognito user pool to get a token from")
	}
	return "", fmt.Errorf("get an access token: %w", oneLine(errs))
}

// TokenFrom gets a new token from pool, whatever the cache holds.
func (t *Tokens) TokenFrom(ctx context.Context, p Pool) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, _, err := t.fetch(ctx, p)
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

// Prober checks the regional APIs directly and writes through the front
// door, as a client would.
type Prober struct {
	// APIs are the regional API base URLs (stack output ApiUrl, ending in
	// /prod), by region.
	APIs map[string]string
	// FrontDoor is the front door's base URL (FrontDoorUrl).
	FrontDoor string
	Tokens    *Tokens
	HTTP      *http.Client
}

var _ failover.Prober = (*Prober)(nil)

// Health calls region's /v1/health directly (no token needed).
func (p *Prober) Health(ctx context.Context, region string) (failover.APIHealth, error) {
	base, ok := p.APIs[region]
	if !ok {
		return failover.APIHealth{}, fmt.Errorf("no API URL for %s", region)
	}
	h, _, err := p.health(ctx, base)
	h.Region = region
	if err != nil {
		h.Detail = err.Error()
	}
	return h, nil
}

func (p *Prober) health(ctx context.Context, base string) (failover.APIHealth, httpapi.HealthResponse, error) {
	start := time.Now()
	resp, body, err := p.do(ctx, http.MethodGet, base+"/v1/health", "", nil, nil)
	h := failover.APIHealth{Latency: time.Since(start)}
	if err != nil {
		return h, httpapi.HealthResponse{}, err
	}
	var hb httpapi.HealthResponse
	if err := json.Unmarshal(body, &hb); err != nil {
		return h, hb, fmt.Errorf("%s: not a health answer: %w", resp.Status, err)
	}
	h.Role = string(hb.Role)
	if resp.StatusCode != http.StatusOK {
		msg := resp.Status
		if hb.Error != nil {
			msg += " " + string(hb.Error.Code) + ": " + hb.Error.Message
		}
		return h, hb, errors.New(msg)
	}
	h.OK = true
	return h, hb, nil
}

// VerifyWrite creates a todo through the front door, learns which region
// served it (the API's httpapi.RegionHeader, else the front door's health),
// and deletes it again. A write only succeeds in the region
// whose database is the writer (the passive one answers 503
// region_passive), and the front door's /v1/health, read right after,
// names the region it routes to.
func (p *Prober) VerifyWrite(ctx context.Context) (string, error) {
	tok, err := p.Tokens.Token(ctx)
	if err != nil {
		return "", err
	}
	key := randomKey()
	body := fmt.Sprintf(`{"task":"failover check %s"}`, time.Now().UTC().Format(time.RFC3339))
	resp, rb, err := p.do(ctx, http.MethodPost, p.FrontDoor+"/v1/todos", tok, strings.NewReader(body), map[string]string{"Idempotency-Key": key})
	if err != nil {
		return "", fmt.Errorf("write through the front door: %w", err)
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("write through the front door: %s", describe(resp, rb))
	}
	var created struct {
		ID json.Number `json:"id"`
	}
	_ = json.Unmarshal(rb, &created)
	if created.ID != "" {
		// Best effort: the check leaves no todo behind.
		_, _, _ = p.do(ctx, http.MethodDelete, p.FrontDoor+"/v1/todos/"+created.ID.String(), tok, nil, nil)
	}
	if r := resp.Header.Get(httpapi.RegionHeader); r != "" {
		return r, nil
	}
	_, hb, err := p.health(ctx, p.FrontDoor)
	if err != nil {
		return "", fmt.Errorf("the write succeeded; the front door's health did not answer: %w", err)
	}
	if hb.Role != "" && hb.Role != "active" {
		return "", fmt.Errorf("the write succeeded but the front door now routes to %s, which reports role %s", hb.Region, hb.Role)
	}
	return hb.Region, nil
}

func randomKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "failover-check-" + hex.EncodeToString(b)
}

// do sends one request and reads the body (bounded).
func (p *Prober) do(ctx context.Context, method, u, token string, body io.Reader, headers map[string]string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	c := p.HTTP
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, b, err
}

// describe renders an error answer: status and the API's error code and
// message when the body has them.
func describe(resp *http.Response, body []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Message string `json:"message"` // API Gateway's own errors
	}
	_ = json.Unmarshal(body, &e)
	switch {
	case e.Error.Code != "":
		return fmt.Sprintf("%s %s: %s", resp.Status, e.Error.Code, e.Error.Message)
	case e.Message != "":
		return fmt.Sprintf("%s: %s", resp.Status, e.Message)
	}
	return resp.Status + " " + string(bytes.TrimSpace(body[:min(len(body), 200)]))
}
