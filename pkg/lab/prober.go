package lab

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Prober checks the lab's regional APIs directly and writes through the
// front door. It implements failover.Prober.
type Prober struct {
	// APIs maps each region to its API's base URL.
	APIs map[string]string
	// FrontDoor is the front door's base URL.
	FrontDoor string
	// HTTP is the client; nil means one with a 5 s timeout.
	HTTP *http.Client
}

var _ failover.Prober = (*Prober)(nil)

func (p *Prober) client() *http.Client {
	if p.HTTP != nil {
		return p.HTTP
	}
	return &http.Client{Timeout: 5 * time.Second}
}

// Health calls the region's /v1/health directly. An API that does not
// answer, or answers with an error, is reported as not OK.
func (p *Prober) Health(ctx context.Context, region string) (failover.APIHealth, error) {
	base, ok := p.APIs[region]
	if !ok {
		return failover.APIHealth{}, fmt.Errorf("no API for region %q", region)
	}
	h := failover.APIHealth{Region: region}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/health", nil)
	if err != nil {
		return h, err
	}
	start := time.Now()
	resp, err := p.client().Do(req)
	h.Latency = time.Since(start)
	if err != nil {
		h.Detail = err.Error()
		return h, nil
	}
	defer resp.Body.Close()
	var b httpapi.HealthResponse
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err := json.Unmarshal(raw, &b); err != nil {
		h.Detail = fmt.Sprintf("%s: undecodable body", resp.Status)
		return h, nil
	}
	h.Role = string(b.Role)
	h.OK = resp.StatusCode == http.StatusOK
	if !h.OK {
		h.Detail = resp.Status
		if b.Error != nil {
			h.Detail += ": " + string(b.Error.Code) + ": " + b.Error.Message
		}
	}
	return h, nil
}

// VerifyWrite creates a todo through the front door with an idempotency
// key, reads it back through the front door, and returns the region that
// served the write (the front door's RegionHeader).
func (p *Prober) VerifyWrite(ctx context.Context) (string, error) {
	key := "verify-" + rand.Text()
	task := "failover check " + time.Now().UTC().Format(time.RFC3339Nano)
	body, _ := json.Marshal(map[string]string{"task": task})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.FrontDoor+"/v1/todos", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := p.client().Do(req)
	if err != nil {
		return "", fmt.Errorf("write through the front door: %w", err)
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	region := resp.Header.Get(RegionHeader)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("write through the front door (to %s): %s: %s", orQuestion(region), resp.Status, bytes.TrimSpace(raw))
	}
	var created todo.Todo
	if err := json.Unmarshal(raw, &created); err != nil || created.ID == 0 {
		return "", fmt.Errorf("write through the front door: decode %q: %v", bytes.TrimSpace(raw), err)
	}
	id := created.ID
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/v1/todos/%d", p.FrontDoor, id), nil)
	if err != nil {
		return "", err
	}
	resp, err = p.client().Do(req)
	if err != nil {
		return "", fmt.Errorf("read back todo %d: %w", id, err)
	}
	raw, _ = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("read back todo %d: %s: %s", id, resp.Status, bytes.TrimSpace(raw))
	}
	var got todo.Todo
	if err := json.Unmarshal(raw, &got); err != nil || got.Task != task {
		return "", fmt.Errorf("read back todo %d: got task %q, want %q", id, got.Task, task)
	}
	return region, nil
}

func orQuestion(s string) string {
	if s == "" {
		return "?"
	}
	return s
}
