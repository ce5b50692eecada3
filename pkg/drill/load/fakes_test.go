package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/inmem"
)

// The same two regions and front door as pkg/drill's tests use (there
// they drive the load whose records the analysis reads): test files are
// not shared between packages.

// fakeRegion is one region's real API handler over an in-memory store.
type fakeRegion struct {
	store *inmem.Store
	srv   *httptest.Server
}

// fakeFrontDoor sends every request to the active region's API and names
// it in the region header, as the lab's front door does.
type fakeFrontDoor struct {
	srv    *httptest.Server
	active atomic.Pointer[string]
}

func (f *fakeFrontDoor) URL() string { return f.srv.URL }

// Route sends new requests to region.
func (f *fakeFrontDoor) Route(_ context.Context, region string) error {
	f.active.Store(&region)
	return nil
}

// fakeRegions starts lab-a (active) and lab-b (passive) APIs on loopback
// and a front door over them, sending traffic to lab-a.
func fakeRegions(tb testing.TB) (map[string]*fakeRegion, *fakeFrontDoor) {
	tb.Helper()
	regions := map[string]*fakeRegion{}
	for _, name := range []string{"lab-a", "lab-b"} {
		s := inmem.New()
		s.SetPassive(name == "lab-b")
		srv := httptest.NewServer(httpapi.New(httpapi.Config{Service: s, Region: name}))
		tb.Cleanup(srv.Close)
		regions[name] = &fakeRegion{store: s, srv: srv}
	}
	fd := &fakeFrontDoor{}
	fd.Route(context.Background(), "lab-a")
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		region := *fd.active.Load()
		u, _ := url.Parse(regions[region].srv.URL)
		pr.SetURL(u)
		pr.Out.Header.Set(apiclient.RegionHeader, region)
	}, ModifyResponse: func(resp *http.Response) error {
		resp.Header.Set(apiclient.RegionHeader, resp.Request.Header.Get(apiclient.RegionHeader))
		return nil
	}}
	fd.srv = httptest.NewServer(proxy)
	tb.Cleanup(fd.srv.Close)
	return regions, fd
}
