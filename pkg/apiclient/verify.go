package apiclient

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Verified is a write the API took: created, acknowledged and read back.
type Verified struct {
	// ID and ETag are the created todo's.
	ID   int64
	ETag string
	// Region is the region that served the create.
	Region string
	// Task is the task written.
	Task string
}

// VerifyWrite is the one definition of a verified write, which the
// failover's write check uses in AWS and in the lab (through Prober; the
// smoke test goes further, a whole create/read/update/delete): a create
// with a fresh Idempotency-Key is acknowledged (2xx) with an id, the todo
// reads back through the same URL with the task written, and the region
// that served the create is known: the answer's RegionHeader, else (an
// edge that drops the header) the region the same URL's /v1/health names,
// which must then report role active. A write succeeds only in the region
// whose database is the writer: a passive one answers 503 region_passive.
//
// The todo stays; Verified.ID names it (a caller that must leave nothing
// behind deletes it). On an error after the create was acknowledged,
// Verified.ID is set too.
func (c *Client) VerifyWrite(ctx context.Context) (Verified, error) {
	v := Verified{Task: "failover check " + time.Now().UTC().Format(time.RFC3339Nano)}
	key := "verify-" + rand.Text()
	t, r, err := c.Create(ctx, NewTodo{Task: v.Task}, key)
	v.Region = r.Region
	if err != nil {
		return v, fmt.Errorf("write%s: %w", to(r.Region), err)
	}
	v.ID, v.ETag = t.ID, r.ETag
	got, _, err := c.Get(ctx, t.ID, "")
	if err != nil {
		return v, fmt.Errorf("read back todo %d%s: %w", t.ID, to(r.Region), err)
	}
	if got.Task != v.Task {
		return v, fmt.Errorf("read back todo %d%s: task %q, want %q", t.ID, to(r.Region), got.Task, v.Task)
	}
	if v.Region != "" {
		return v, nil
	}
	h, _, err := c.Health(ctx)
	if err != nil {
		return v, fmt.Errorf("the write succeeded; the health of %s did not answer: %w", c.BaseURL, err)
	}
	if h.Role != "" && h.Role != todo.RoleActive {
		return v, fmt.Errorf("the write succeeded but %s now reaches %s, which reports role %s", c.BaseURL, h.Region, h.Role)
	}
	v.Region = h.Region
	return v, nil
}

// to names the region that served an answer, for error messages.
func to(region string) string {
	if region == "" {
		return ""
	}
	return " (to " + region + ")"
}
