package awstest

import "testing"

// NewDeployment is the AWS fakes and the fake HTTP surface, linked: the
// stacks' outputs point at the API server, its front door follows the
// KeyValueStore, writes succeed in the writer's region only, and creates
// only where the id fence names. Clients it builds need HTTP set to
// api.Server.Client().
func NewDeployment(tb testing.TB, writer string) (*AWS, *API) {
	tb.Helper()
	f := New(tb, writer)
	a := NewAPI(tb, writer)
	a.RouteOf = func() string {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.KVSValue == nil {
			return East
		}
		return *f.KVSValue
	}
	a.WriterOf = func() string {
		f.mu.Lock()
		defer f.mu.Unlock()
		w, _ := splitARN(f.Global.Writer)
		return w
	}
	a.FencedOf = func() string {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.Fence.Region
	}
	wireAPI(f, a)
	return f, a
}
