// Package drilltest gives the drill's tests two regions and a front door
// on loopback: each region the real API handler (pkg/httpapi) over an
// in-memory store, the front door a reverse proxy that sends every request
// to the active region and names it in the region header, as the lab's
// front door does. It is for tests of pkg/drill and pkg/drill/load only.
package drilltest

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

// Region is one region's real API handler over an in-memory store.
type Region struct {
	Store  *inmem.Store
	Server *httptest.Server
}

// FrontDoor sends every request to the active region's API and names it
// in the region header.
type FrontDoor struct {
	srv    *httptest.Server
	active atomic.Pointer[string]
}

// URL is the front door's base URL.
func (f *FrontDoor) URL() string { return f.srv.URL }

// Route sends new requests to region.
func (f *FrontDoor) Route(_ context.Context, region string) error {
	f.active.Store(&region)
	return nil
}

// Regions starts lab-a (active) and lab-b (passive) APIs on loopback and a
// front door over them, sending traffic to lab-a. Everything stops when
// the test ends.
func Regions(tb testing.TB) (map[string]*Region, *FrontDoor) {
	tb.Helper()
	regions := map[string]*Region{}
	for _, name := range []string{"lab-a", "lab-b"} {
		s := inmem.New()
		s.SetPassive(name == "lab-b")
		srv := httptest.NewServer(httpapi.New(httpapi.Config{Service: s, Region: name}))
		tb.Cleanup(srv.Close)
		regions[name] = &Region{Store: s, Server: srv}
	}
	fd := &FrontDoor{}
	fd.Route(context.Background(), "lab-a")
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		region := *fd.active.Load()
		u, _ := url.Parse(regions[region].Server.URL)
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
