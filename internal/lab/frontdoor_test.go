package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// fakeRegion is one region's real API handler over an in-memory store.
type fakeRegion struct {
	store *inmem.Store
	srv   *httptest.Server
}

// fakeRegions starts lab-a (active) and lab-b (passive) APIs on loopback
// and a front door over them, sending traffic to lab-a.
func fakeRegions(tb testing.TB) (map[string]*fakeRegion, *FrontDoor) {
	tb.Helper()
	regions := map[string]*fakeRegion{}
	apis := map[string]string{}
	for _, name := range []string{"lab-a", "lab-b"} {
		s := inmem.New()
		s.SetPassive(name == "lab-b")
		srv := httptest.NewServer(httpapi.New(httpapi.Config{Service: s, Region: name}))
		tb.Cleanup(srv.Close)
		regions[name] = &fakeRegion{store: s, srv: srv}
		apis[name] = srv.URL
	}
	fd, err := NewFrontDoor(apis, "lab-a")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { fd.Close(context.Background()) })
	return regions, fd
}

func TestFrontDoorRoutesEveryMethodToTheActiveRegion(t *testing.T) {
	regions, fd := fakeRegions(t)
	ctx := context.Background()
	regions["lab-b"].store.SetPassive(false)
	for _, tt := range []struct {
		name   string
		active string
		method string
		path   string
		body   string
		want   int
	}{
		{"post to a", "lab-a", http.MethodPost, "/v1/todos", `{"task":"one"}`, http.StatusCreated},
		{"get from a", "lab-a", http.MethodGet, "/v1/todos/1", "", http.StatusOK},
		{"put to a", "lab-a", http.MethodPut, "/v1/todos/1", `{"status":"done"}`, http.StatusOK},
		{"b has no todo 1", "lab-b", http.MethodGet, "/v1/todos/1", "", http.StatusNotFound},
		{"post to b", "lab-b", http.MethodPost, "/v1/todos", `{"task":"two"}`, http.StatusCreated},
		{"delete on b", "lab-b", http.MethodDelete, "/v1/todos/1", "", http.StatusNoContent},
		{"back to a", "lab-a", http.MethodGet, "/v1/todos/1", "", http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := fd.Route(ctx, tt.active); err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(tt.method, fd.URL()+tt.path, bytes.NewBufferString(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s via the front door = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
			}
			if got := resp.Header.Get(RegionHeader); got != tt.active {
				t.Errorf("%s = %q, want %q", RegionHeader, got, tt.active)
			}
		})
	}
}

func TestFrontDoorRoute(t *testing.T) {
	_, fd := fakeRegions(t)
	ctx := context.Background()
	if err := fd.Route(ctx, "lab-z"); err == nil {
		t.Errorf("Route(lab-z) = nil, want an error for an unknown region")
	}
	client := RouterClient{AdminURL: fd.AdminURL()}
	for _, region := range []string{"lab-b", "lab-b", "lab-a"} {
		if err := client.Route(ctx, region); err != nil {
			t.Fatalf("RouterClient.Route(%s): %v", region, err)
		}
		if got, _ := fd.Active(ctx); got != region {
			t.Errorf("after Route(%s), FrontDoor.Active = %q", region, got)
		}
		if got, err := client.Active(ctx); err != nil || got != region {
			t.Errorf("RouterClient.Active = %q, %v; want %q", got, err, region)
		}
	}
	if err := client.Route(ctx, "lab-z"); err == nil {
		t.Errorf("RouterClient.Route(lab-z) = nil, want an error")
	}
}

func TestFrontDoorBadGateway(t *testing.T) {
	regions, fd := fakeRegions(t)
	regions["lab-a"].srv.Close()
	resp, err := http.Get(fd.URL() + "/v1/todos")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body httpapi.ErrorBody
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusBadGateway || body.Error.Code != "bad_gateway" {
		t.Errorf("front door to a dead API = %d %q, want 502 bad_gateway", resp.StatusCode, body.Error.Code)
	}
}

func TestProberHealth(t *testing.T) {
	regions, fd := fakeRegions(t)
	p := &apiclient.Prober{APIs: map[string]string{"lab-a": regions["lab-a"].srv.URL, "lab-b": regions["lab-b"].srv.URL, "lab-c": "http://127.0.0.1:1"}, FrontDoor: fd.URL()}
	regions["lab-b"].store.SetDown(false)
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		region   string
		down     bool
		wantOK   bool
		wantRole string
	}{
		{name: "active", region: "lab-a", wantOK: true, wantRole: "active"},
		{name: "passive", region: "lab-b", wantOK: true, wantRole: "passive"},
		{name: "database down", region: "lab-b", down: true, wantOK: false},
		{name: "API not listening", region: "lab-c", wantOK: false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r, ok := regions[tt.region]; ok {
				r.store.SetDown(tt.down)
			}
			h, err := p.Health(ctx, tt.region)
			if err != nil {
				t.Fatalf("Health(%s) error = %v, want an unhealthy report instead", tt.region, err)
			}
			if h.OK != tt.wantOK || h.Role != tt.wantRole {
				t.Errorf("Health(%s) = OK %v role %q (%s), want OK %v role %q", tt.region, h.OK, h.Role, h.Detail, tt.wantOK, tt.wantRole)
			}
			if !h.OK && h.Detail == "" {
				t.Errorf("Health(%s) not OK without a detail", tt.region)
			}
		})
	}
	if _, err := p.Health(ctx, "lab-x"); err == nil {
		t.Errorf("Health(lab-x) = nil error, want one for an unknown region")
	}
}

func TestProberVerifyWrite(t *testing.T) {
	regions, fd := fakeRegions(t)
	p := &apiclient.Prober{FrontDoor: fd.URL()}
	ctx := context.Background()
	got, err := p.VerifyWrite(ctx)
	if err != nil || got != "lab-a" {
		t.Fatalf("VerifyWrite = %q, %v; want lab-a", got, err)
	}
	// Routed to the passive region: the write is refused.
	if err := fd.Route(ctx, "lab-b"); err != nil {
		t.Fatal(err)
	}
	if got, err := p.VerifyWrite(ctx); err == nil {
		t.Errorf("VerifyWrite to a passive region = %q, nil; want an error", got)
	}
	regions["lab-b"].store.SetPassive(false)
	if got, err := p.VerifyWrite(ctx); err != nil || got != "lab-b" {
		t.Errorf("VerifyWrite after promotion = %q, %v; want lab-b", got, err)
	}
	page, err := regions["lab-b"].store.List(ctx, todo.ListQuery{})
	if err != nil || len(page.Items) != 1 {
		t.Errorf("lab-b holds %d todos (%v), want the one verified write", len(page.Items), err)
	}
}
