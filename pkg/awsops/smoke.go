package awsops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

// Smoke runs create/read/update/delete round trips as a client would:
// through the front door, and through each region's API directly. The
// active region (its API reports role active) must do the full round
// trip; the passive one must serve a read of a todo written through the
// front door (after replication) and refuse a write with 503
// region_passive.
type Smoke struct {
	Prober *Prober
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
	tok, err := p.Tokens.Token(ctx)
	if err != nil {
		return err
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
		check("front door "+p.FrontDoor, func() (string, error) { return s.roundTrip(ctx, p.FrontDoor, tok) })
	} else {
		failed = append(failed, "front door")
		s.printf("FAIL %-40s no front door URL (deploy's second pass creates it)\n", "front door")
	}
	for _, region := range sortedKeys(p.APIs) {
		base := p.APIs[region]
		h, err := p.Health(ctx, region)
		switch {
		case err != nil || !h.OK:
			failed = append(failed, region)
			s.printf("FAIL %-40s health: %s\n", region, h.Detail)
		case h.Role == "active":
			check(region+" (active) "+base, func() (string, error) { return s.roundTrip(ctx, base, tok) })
		default:
			check(region+" (passive) "+base, func() (string, error) { return s.passive(ctx, base, tok) })
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("smoke failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

type todoBody struct {
	ID      json.Number `json:"id"`
	Task    string      `json:"task"`
	Status  string      `json:"status"`
	Version int64       `json:"version"`
}

// call sends one request and checks its status.
func (s *Smoke) call(ctx context.Context, method, url, tok, body string, want int, headers map[string]string) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	resp, b, err := s.Prober.do(ctx, method, url, tok, rd, headers)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	if resp.StatusCode != want {
		return resp, b, fmt.Errorf("%s %s: %s, want %d", method, url, describe(resp, b), want)
	}
	return resp, b, nil
}

// roundTrip creates, reads, updates and deletes a todo at base.
func (s *Smoke) roundTrip(ctx context.Context, base, tok string) (string, error) {
	task := "smoke " + time.Now().UTC().Format(time.RFC3339Nano)
	resp, b, err := s.call(ctx, http.MethodPost, base+"/v1/todos", tok, fmt.Sprintf(`{"task":%q}`, task), http.StatusCreated,
		map[string]string{"Idempotency-Key": randomKey()})
	if err != nil {
		return "", err
	}
	var t todoBody
	if err := json.Unmarshal(b, &t); err != nil || t.ID == "" {
		return "", fmt.Errorf("create: no id in %s", b)
	}
	item := base + "/v1/todos/" + t.ID.String()
	resp, b, err = s.call(ctx, http.MethodGet, item, tok, "", http.StatusOK, nil)
	if err != nil {
		return "", err
	}
	var got todoBody
	if err := json.Unmarshal(b, &got); err != nil || got.Task != task {
		return "", fmt.Errorf("read back: task %q, want %q", got.Task, task)
	}
	etag := resp.Header.Get("ETag")
	_, b, err = s.call(ctx, http.MethodPut, item, tok, `{"status":"done"}`, http.StatusOK, map[string]string{"If-Match": etag})
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(b, &got); err != nil || got.Status != "done" {
		return "", fmt.Errorf("update: status %q, want done", got.Status)
	}
	if _, _, err := s.call(ctx, http.MethodDelete, item, tok, "", http.StatusNoContent, nil); err != nil {
		return "", err
	}
	if _, _, err := s.call(ctx, http.MethodGet, item, tok, "", http.StatusNotFound, nil); err != nil {
		return "", err
	}
	return fmt.Sprintf("todo %s created, read, updated, deleted", t.ID), nil
}

// passive checks a passive region: a write is refused with
// region_passive, and a todo written through the front door is readable
// once replicated.
func (s *Smoke) passive(ctx context.Context, base, tok string) (string, error) {
	resp, b, err := s.call(ctx, http.MethodPost, base+"/v1/todos", tok, `{"task":"smoke passive write"}`, http.StatusServiceUnavailable,
		map[string]string{"Idempotency-Key": randomKey()})
	if err != nil {
		return "", fmt.Errorf("a write in the passive region: %w", err)
	}
	if !strings.Contains(describe(resp, b), "region_passive") {
		return "", fmt.Errorf("a write in the passive region: %s, want region_passive", describe(resp, b))
	}
	if s.Prober.FrontDoor == "" {
		return "write refused (region_passive); no front door to write the read check through", nil
	}
	_, b, err = s.call(ctx, http.MethodPost, s.Prober.FrontDoor+"/v1/todos", tok, `{"task":"smoke replication check"}`, http.StatusCreated,
		map[string]string{"Idempotency-Key": randomKey()})
	if err != nil {
		return "", err
	}
	var t todoBody
	if err := json.Unmarshal(b, &t); err != nil || t.ID == "" {
		return "", fmt.Errorf("create: no id in %s", b)
	}
	defer s.call(context.WithoutCancel(ctx), http.MethodDelete, s.Prober.FrontDoor+"/v1/todos/"+t.ID.String(), tok, "", http.StatusNoContent, nil)
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
		_, _, err := s.call(ctx, http.MethodGet, base+"/v1/todos/"+t.ID.String(), tok, "", http.StatusOK, nil)
		if err == nil {
			return fmt.Sprintf("write refused (region_passive); todo %s replicated and read after %s", t.ID, clock.Now().Sub(began).Round(time.Millisecond)), nil
		}
		if clock.Now().Sub(began) > wait {
			return "", fmt.Errorf("todo %s not readable in the passive region after %s: %w", t.ID, wait, err)
		}
		if err := clock.Sleep(ctx, 500*time.Millisecond); err != nil {
			return "", err
		}
	}
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
