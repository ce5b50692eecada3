package apiclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

func TestProberHealth(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	t.Cleanup(bad.Close)
	p := &apiclient.Prober{APIs: map[string]string{region: s.url, "gone-1": gone.URL, "proxy-1": bad.URL}}
	for _, tt := range []struct {
		name, region string
		passive      bool
		down         bool
		wantOK       bool
		wantRole     string
		wantDetail   string
	}{
		{name: "active", region: region, wantOK: true, wantRole: "active"},
		{name: "passive", region: region, passive: true, wantOK: true, wantRole: "passive"},
		{name: "database down", region: region, down: true, wantDetail: "503 Service Unavailable unavailable: "},
		{name: "not listening", region: "gone-1", wantDetail: "connect"},
		{name: "not the API", region: "proxy-1", wantDetail: "502 Bad Gateway: not a health answer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s.store.SetPassive(tt.passive)
			s.store.SetDown(tt.down)
			h, err := p.Health(ctx, tt.region)
			if err != nil {
				t.Fatalf("Health(%s) error = %v, want an unhealthy report instead", tt.region, err)
			}
			if h.OK != tt.wantOK || h.Role != tt.wantRole || h.Region != tt.region || h.Latency <= 0 {
				t.Errorf("Health(%s) = %+v, want OK %t role %q", tt.region, h, tt.wantOK, tt.wantRole)
			}
			if !strings.Contains(h.Detail, tt.wantDetail) || (!h.OK && h.Detail == "") {
				t.Errorf("Health(%s) detail %q, want it to contain %q", tt.region, h.Detail, tt.wantDetail)
			}
		})
	}
	if _, err := p.Health(ctx, "nowhere-1"); err == nil {
		t.Errorf("Health of an unknown region: no error")
	}
}

func TestProberVerifyWrite(t *testing.T) {
	ctx := context.Background()
	for _, clean := range []bool{false, true} {
		s := newServer(t)
		p := &apiclient.Prober{FrontDoor: s.url, Tokens: staticToken(token), Clean: clean}
		got, err := p.VerifyWrite(ctx)
		if err != nil || got != region {
			t.Fatalf("VerifyWrite (clean %t) = %q, %v; want %s", clean, got, err, region)
		}
		page, err := s.store.List(ctx, todo.ListQuery{})
		if want := map[bool]int{false: 1, true: 0}[clean]; err != nil || len(page.Items) != want {
			t.Errorf("clean %t: the store holds %d todos (%v), want %d", clean, len(page.Items), err, want)
		}
		s.store.SetPassive(true)
		if _, err := p.VerifyWrite(ctx); err == nil || !strings.Contains(err.Error(), "front door") || !strings.Contains(err.Error(), "503 Service Unavailable region_passive") {
			t.Errorf("VerifyWrite to a passive region: %v, want 503 region_passive through the front door", err)
		}
	}
}

// TestVerifyWriteWithoutTheRegionHeader: an edge that drops the region
// header leaves the front door's health to name the region, which must
// report role active.
func TestVerifyWriteWithoutTheRegionHeader(t *testing.T) {
	ctx := context.Background()
	store := inmem.New()
	var api atomic.Pointer[http.Handler]
	serve := func(svc todo.Service) {
		h := httpapi.New(httpapi.Config{Service: svc, Region: region})
		api.Store(&h)
	}
	serve(store)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/health" {
			(*api.Load()).ServeHTTP(w, r)
			return
		}
		(*api.Load()).ServeHTTP(dropHeader{w}, r)
	}))
	t.Cleanup(srv.Close)
	c := &apiclient.Client{BaseURL: srv.URL}
	v, err := c.VerifyWrite(ctx)
	if err != nil || v.Region != region {
		t.Fatalf("VerifyWrite = %+v, %v; want %s from the health", v, err, region)
	}
	// Promoted elsewhere while the write went through: the health now
	// says passive, and the write is not verified.
	serve(passiveHealth{store})
	if _, err := c.VerifyWrite(ctx); err == nil || !strings.Contains(err.Error(), "role passive") {
		t.Errorf("VerifyWrite with a passive health: %v, want a refusal naming the role", err)
	}
}

// dropHeader removes the region header from an answer.
type dropHeader struct{ http.ResponseWriter }

func (d dropHeader) WriteHeader(status int) {
	d.Header().Del(apiclient.RegionHeader)
	d.ResponseWriter.WriteHeader(status)
}

// passiveHealth writes to its store but reports role passive.
type passiveHealth struct{ *inmem.Store }

func (p passiveHealth) Health(ctx context.Context) (todo.Health, error) {
	h, err := p.Store.Health(ctx)
	h.Role = todo.RolePassive
	return h, err
}

// regionalTokens records the region PrepareWrite asks first.
type regionalTokens struct{ asked []string }

func (r *regionalTokens) Token(context.Context) (string, error) { return token, nil }
func (r *regionalTokens) TokenFor(_ context.Context, region string) (string, error) {
	r.asked = append(r.asked, region)
	return token, nil
}

func TestPrepareWriteAsksTheTargetFirst(t *testing.T) {
	ts := &regionalTokens{}
	p := &apiclient.Prober{Tokens: ts}
	if err := p.PrepareWrite(context.Background(), "us-west-2"); err != nil || len(ts.asked) != 1 || ts.asked[0] != "us-west-2" {
		t.Errorf("PrepareWrite = %v, asked %q; want us-west-2 first", err, ts.asked)
	}
	if err := (&apiclient.Prober{}).PrepareWrite(context.Background(), "us-west-2"); err != nil {
		t.Errorf("PrepareWrite without tokens = %v, want nothing to do", err)
	}
}
