package apiclient

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Health is the body of GET /v1/health: the region, its role (absent when
// the database cannot be reached) and the database round trip; Error is
// present exactly when the answer is not 200.
type Health struct {
	Region string       `json:"region"`
	Role   todo.Role    `json:"role,omitempty"`
	DB     DBHealth     `json:"db"`
	Error  *ErrorDetail `json:"error,omitempty"`
}

// DBHealth is the database part of Health.
type DBHealth struct {
	Reachable bool    `json:"reachable"`
	LatencyMs float64 `json:"latencyMs"`
}

// Health sends GET /v1/health without a token: it needs none, and a
// probe of a region must not wait on an issuer. A health answer
// that is not 200 (503 when the database does not answer) returns the
// Health it carries and an *Error; any other body is ErrUndecodable.
func (c *Client) Health(ctx context.Context) (Health, Response, error) {
	r, raw, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/health", public: true})
	if err != nil {
		return Health{}, r, err
	}
	var h Health
	if err := json.Unmarshal(raw, &h); err != nil {
		return Health{}, r, undecodable(r, "not a health answer", err)
	}
	if r.Status != http.StatusOK {
		return h, r, apiError(r, raw)
	}
	return h, r, nil
}
