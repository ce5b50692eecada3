package httpapi

import (
	"math"
	"net/http"
	"time"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// HealthResponse is the body of GET /v1/health. Role is absent when the
// database cannot be reached; Error is present exactly then. Clients
// decode it with pkg/apiclient's Health, whose tests hold the two alike.
type HealthResponse struct {
	Region string       `json:"region"`
	Role   todo.Role    `json:"role,omitempty"`
	DB     DBHealth     `json:"db"`
	Error  *ErrorDetail `json:"error,omitempty"`
}

// DBHealth is the database part of HealthResponse.
type DBHealth struct {
	Reachable bool    `json:"reachable"`
	LatencyMs float64 `json:"latencyMs"`
}

// GET /v1/health: 200 with the region's role and the database round trip,
// or 503 (with Retry-After) when the database cannot be reached in time.
func (s *server) health(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	h, err := s.checker.Health(r.Context())
	if err != nil {
		d := detailOf(err, w.Header().Get("X-Request-Id"))
		status := errorStatus(w, d)
		if status >= 500 {
			s.logError(r, d.RequestID, status, err, time.Since(start))
		}
		return writeJSON(w, status, HealthResponse{Region: s.region, Error: &d})
	}
	ms := math.Round(float64(h.Latency.Microseconds())/10) / 100 // milliseconds, two decimals
	return writeJSON(w, http.StatusOK, HealthResponse{
		Region: s.region,
		Role:   h.Role,
		DB:     DBHealth{Reachable: true, LatencyMs: ms},
	})
}
