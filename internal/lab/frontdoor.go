package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
)

// RegionHeader is the response header naming the region whose API served
// a request. The regional APIs set it themselves; the front door also sets
// it on every response it forwards, including its own 502s, so a client
// always knows which origin the request went to.
const RegionHeader = httpapi.RegionHeader

// FrontDoor is the lab's CloudFront: a reverse proxy on 127.0.0.1 that
// forwards every request, whatever the method, to the active region's
// API. Switching regions is one atomic store, like writing the
// KeyValueStore key; requests already forwarded finish where they went.
// It implements failover.Router. A second listener (the admin URL) lets
// another process read and switch the route: GET and PUT /route.
type FrontDoor struct {
	targets map[string]*url.URL
	active  atomic.Pointer[string]
	proxy   *httputil.ReverseProxy

	srv, admin    *http.Server
	ln, adminLn   net.Listener
	url, adminURL string
	transport     *http.Transport
}

var _ failover.Router = (*FrontDoor)(nil)

// NewFrontDoor starts a front door on loopback over the regions' API base
// URLs, sending traffic to active.
func NewFrontDoor(apis map[string]string, active string) (*FrontDoor, error) {
	f := &FrontDoor{targets: map[string]*url.URL{}}
	for region, raw := range apis {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("region %s: %w", region, err)
		}
		f.targets[region] = u
	}
	if _, ok := f.targets[active]; !ok {
		return nil, fmt.Errorf("unknown region %q", active)
	}
	f.active.Store(&active)
	f.transport = &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	f.proxy = &httputil.ReverseProxy{
		Transport: f.transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			region := *f.active.Load()
			pr.SetURL(f.targets[region])
			pr.SetXForwarded()
			pr.Out.Header.Set(RegionHeader, region)
		},
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Set(RegionHeader, resp.Request.Header.Get(RegionHeader))
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// The region's API did not answer: what CloudFront shows as 502.
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set(RegionHeader, *f.active.Load())
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, `{"error":{"code":"bad_gateway","message":"the active region's API did not answer"}}`+"\n")
		},
	}
	var err error
	if f.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	if f.adminLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		f.ln.Close()
		return nil, err
	}
	f.url = "http://" + f.ln.Addr().String()
	f.adminURL = "http://" + f.adminLn.Addr().String()
	f.srv = &http.Server{Handler: f.proxy, ReadHeaderTimeout: 5 * time.Second}
	f.admin = &http.Server{Handler: http.HandlerFunc(f.serveAdmin), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.srv.Serve(f.ln) }()
	go func() { _ = f.admin.Serve(f.adminLn) }()
	return f, nil
}

// URL is the front door's base URL, where clients send requests.
func (f *FrontDoor) URL() string { return f.url }

// AdminURL is where RouterClient reads and switches the route.
func (f *FrontDoor) AdminURL() string { return f.adminURL }

// Active returns the region that takes traffic.
func (f *FrontDoor) Active(context.Context) (string, error) { return *f.active.Load(), nil }

// Route sends all new requests to region.
func (f *FrontDoor) Route(_ context.Context, region string) error {
	if _, ok := f.targets[region]; !ok {
		return fmt.Errorf("front door: unknown region %q", region)
	}
	f.active.Store(&region)
	return nil
}

// Close stops both listeners.
func (f *FrontDoor) Close(ctx context.Context) error {
	err := errors.Join(f.srv.Shutdown(ctx), f.admin.Shutdown(ctx))
	if err != nil {
		err = errors.Join(f.srv.Close(), f.admin.Close())
	}
	f.transport.CloseIdleConnections()
	return err
}

type routeBody struct {
	Active  string   `json:"active,omitempty"`
	Region  string   `json:"region,omitempty"`
	Regions []string `json:"regions,omitempty"`
}

func (f *FrontDoor) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/route" {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPut:
		var b routeBody
		if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&b); err != nil {
			http.Error(w, "bad body: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := f.Route(r.Context(), b.Region); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	default:
		w.Header().Set("Allow", "GET, PUT")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var regions []string
	for k := range f.targets {
		regions = append(regions, k)
	}
	slices.Sort(regions)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(routeBody{Active: *f.active.Load(), Regions: regions})
}

// RouterClient is failover.Router over a front door's admin URL, for a
// process other than the one running the lab (lab:failover, lab:status).
type RouterClient struct {
	AdminURL string
	HTTP     *http.Client
}

var _ failover.Router = RouterClient{}

func (c RouterClient) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 5 * time.Second}
}

// Active asks the front door which region takes traffic.
func (c RouterClient) Active(ctx context.Context) (string, error) {
	return c.do(ctx, http.MethodGet, nil)
}

// Route switches the front door to region.
func (c RouterClient) Route(ctx context.Context, region string) error {
	b, _ := json.Marshal(routeBody{Region: region})
	_, err := c.do(ctx, http.MethodPut, b)
	return err
}

func (c RouterClient) do(ctx context.Context, method string, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.AdminURL+"/route", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	resp, err := c.client().Do(req)
	if err != nil {
		return "", fmt.Errorf("front door: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("front door: %s: %s", resp.Status, bytes.TrimSpace(raw))
	}
	var b routeBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return "", fmt.Errorf("front door: %w", err)
	}
	return b.Active, nil
}
