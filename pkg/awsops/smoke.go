package awsops

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Smoke runs create/read/update/delete round trips as a client would:
// through the front door, and through each region's API directly. The
// active region (its API reports role active) must do the full round
// trip; the passive one must serve a read of a todo written through the
// front door (after replication) and refuse a write with 503
// region_passive.
type Smoke struct {
	Prober *apiclient.Prober
	Out    io.Writer
	// Clock paces the replication wait; nil is the wall clock.
	Clock failover.Clock
	// ReplicationWait bounds the wait for a write to reach the passive
	// region; zero means 30s.
	ReplicationWait time.Duration
}

func (s *Smoke) printf(format string, args ...any) {
	if s.Out != nil {
		fmt.Fprintf(s.Out, format, args...)
	}
}

// Run runs every check and returns an error naming those that failed.
func (s *Smoke) Run(ctx context.Context) error {
	p := s.Prober
	// One clear error when no token can be had, rather than one per check.
	if p.Tokens != nil {
		if _, err := p.Tokens.Token(ctx); err != nil {
			return err
		}
	}
	var failed []string
	check := func(name string, f func() (string, error)) {
		start := time.Now()
		detail, err := f()
		if err != nil {
			failed = append(failed, name)
			s.printf("FAIL %-40s %v\n", name, err)
			return
		}
		s.printf("ok   %-40s %s (%s)\n", name, detail, time.Since(start).Round(time.Millisecond))
	}
	if p.FrontDoor != "" {
		check("front door "+p.FrontDoor, func() (string, error) { return s.roundTrip(ctx, p.Client(p.FrontDoor)) })
	} else {
		failed = append(failed, "front door")
		s.printf("FAIL %-40s no front door URL (deploy's second pass creates it)\n", "front door")
	}
	for _, region := range slices.Sorted(maps.Keys(p.APIs)) {
		base := p.APIs[region]
		h, err := p.Health(ctx, region)
		switch {
		case err != nil || !h.OK:
			failed = append(failed, region)
			s.printf("FAIL %-40s health: %s\n", region, h.Detail)
		case h.Role == string(todo.RoleActive):
			check(region+" (active) "+base, func() (string, error) { return s.roundTrip(ctx, p.Client(base)) })
		default:
			check(region+" (passive) "+base, func() (string, error) { return s.passive(ctx, p.Client(base)) })
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("smoke failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// RunSmoke runs the smoke test over both stacks' APIs and front door
// (Smoke over e's prober), writing each check to w.
func RunSmoke(ctx context.Context, e *Env, w io.Writer) error {
	if err := e.RequireStacks(); err != nil {
		return err
	}
	return (&Smoke{Prober: e.Prober().Prober, Out: w}).Run(ctx)
}

// smokeKey is a fresh Idempotency-Key.
func smokeKey() string { return "smoke-" + rand.Text() }

// roundTrip creates, reads, updates and deletes a todo through c, then
// checks it is gone.
func (s *Smoke) roundTrip(ctx context.Context, c *apiclient.Client) (string, error) {
	task := "smoke " + time.Now().UTC().Format(time.RFC3339Nano)
	t, r, err := c.Create(ctx, apiclient.NewTodo{Task: task}, smokeKey())
	if err != nil {
		return "", fmt.Errorf("POST %s/v1/todos: %w", c.BaseURL, err)
	}
	if r.Status != http.StatusCreated {
		return "", fmt.Errorf("POST %s/v1/todos: %s, want 201", c.BaseURL, apiclient.StatusLine(r.Status))
	}
	item := fmt.Sprintf("%s/v1/todos/%d", c.BaseURL, t.ID)
	got, r, err := c.Get(ctx, t.ID, "")
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", item, err)
	}
	if got.Task != task {
		return "", fmt.Errorf("read back: task %q, want %q", got.Task, task)
	}
	done := todo.StatusDone
	up, _, err := c.Update(ctx, t.ID, apiclient.Change{Status: &done}, r.ETag)
	if err != nil {
		return "", fmt.Errorf("PUT %s: %w", item, err)
	}
	if up.Status != done {
		return "", fmt.Errorf("update: status %q, want done", up.Status)
	}
	if r, err := c.Delete(ctx, t.ID, ""); err != nil || r.Status != http.StatusNoContent {
		return "", fmt.Errorf("DELETE %s: %s, want 204", item, orStatus(r, err))
	}
	if _, r, err := c.Get(ctx, t.ID, ""); apiclient.StatusOf(err) != http.StatusNotFound {
		return "", fmt.Errorf("GET %s after the delete: %s, want 404", item, orStatus(r, err))
	}
	return fmt.Sprintf("todo %d created, read, updated, deleted", t.ID), nil
}

// orStatus describes an answer: the error when there is one, else the
// status.
func orStatus(r apiclient.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return apiclient.StatusLine(r.Status)
}

// passive checks a passive region (through c): a write is refused with
// region_passive, and a todo written through the front door is readable
// once replicated.
func (s *Smoke) passive(ctx context.Context, c *apiclient.Client) (string, error) {
	_, r, err := c.Create(ctx, apiclient.NewTodo{Task: "smoke passive write"}, smokeKey())
	if apiclient.StatusOf(err) != http.StatusServiceUnavailable || apiclient.ErrorCode(err) != todo.RegionPassive {
		return "", fmt.Errorf("a write in the passive region: %s, want 503 region_passive", orStatus(r, err))
	}
	if s.Prober.FrontDoor == "" {
		return "write refused (region_passive); no front door to write the read check through", nil
	}
	fd := s.Prober.Client(s.Prober.FrontDoor)
	t, _, err := fd.Create(ctx, apiclient.NewTodo{Task: "smoke replication check"}, smokeKey())
	if err != nil {
		return "", fmt.Errorf("POST %s/v1/todos: %w", fd.BaseURL, err)
	}
	defer fd.Delete(context.WithoutCancel(ctx), t.ID, "")
	clock := s.Clock
	if clock == nil {
		clock = failover.RealClock
	}
	wait := s.ReplicationWait
	if wait <= 0 {
		wait = 30 * time.Second
	}
	began := clock.Now()
	for {
		_, _, err := c.Get(ctx, t.ID, "")
		if err == nil {
			return fmt.Sprintf("write refused (region_passive); todo %d replicated and read after %s", t.ID, clock.Now().Sub(began).Round(time.Millisecond)), nil
		}
		if clock.Now().Sub(began) > wait {
			return "", fmt.Errorf("todo %d not readable in the passive region after %s: %w", t.ID, wait, err)
		}
		if errors.Is(err, context.Canceled) {
			return "", err
		}
		if err := clock.Sleep(ctx, 500*time.Millisecond); err != nil {
			return "", err
		}
	}
}
