package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	apievents "github.com/todomgmt/todomgmt/events"
	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// TestEvents feeds every events/ fixture through aws-lambda-go-api-proxy to
// the handler as main wires it, over an in-memory store holding the
// fixtures' seed.
func TestEvents(t *testing.T) {
	for _, f := range apievents.Fixtures {
		t.Run(f.Name, func(t *testing.T) {
			store := inmem.New(inmem.WithWriteTags(apievents.SeedTags()))
			for _, d := range apievents.Seed {
				if _, err := store.Create(t.Context(), todo.CreateRequest{Draft: d}); err != nil {
					t.Fatal(err)
				}
			}
			h := newHandler(store, store, config{Region: "us-east-1"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			req, err := apievents.Request(f.Name)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := httpadapter.New(h).ProxyWithContext(t.Context(), req)
			if err != nil {
				t.Fatalf("ProxyWithContext: %v", err)
			}
			if resp.StatusCode != f.Status {
				t.Fatalf("got status %d, want %d (%s); body %s", resp.StatusCode, f.Status, f.About, resp.Body)
			}
			if got := resp.MultiValueHeaders["X-Request-Id"]; len(got) != 1 || got[0] != req.RequestContext.RequestID {
				t.Errorf("X-Request-Id: got %q, want API Gateway's request id %q", got, req.RequestContext.RequestID)
			}
			if resp.IsBase64Encoded {
				t.Errorf("body is base64-encoded; want plain JSON")
			}
			if resp.StatusCode == 204 {
				if resp.Body != "" {
					t.Errorf("204 with body %q", resp.Body)
				}
				return
			}
			if !json.Valid([]byte(resp.Body)) {
				t.Errorf("body is not JSON: %s", resp.Body)
			}
			if resp.StatusCode >= 400 {
				var e struct {
					Error struct{ RequestID string } `json:"error"`
				}
				if err := json.Unmarshal([]byte(resp.Body), &e); err != nil || e.Error.RequestID != req.RequestContext.RequestID {
					t.Errorf("error body %s: want requestId %q", resp.Body, req.RequestContext.RequestID)
				}
			}
		})
	}
}
