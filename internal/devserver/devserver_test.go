package devserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// runServer starts Run in the background with opts and returns the base URL
// and a stop function that returns Run's error.
func runServer(tb testing.TB, opts Options) (string, func() error) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	opts.Addr = "127.0.0.1:0"
	opts.Ready = func(base string) { ready <- base }
	go func() { done <- Run(ctx, opts) }()
	select {
	case base := <-ready:
		stopped := false
		stop := func() error {
			if stopped {
				return nil
			}
			stopped = true
			cancel()
			return <-done
		}
		tb.Cleanup(func() { stop() })
		return base, stop
	case err := <-done:
		cancel()
		tb.Fatalf("Run ended before serving: %v", err)
	case <-time.After(3 * time.Minute):
		cancel()
		tb.Fatal("server not ready after 3 minutes")
	}
	return "", nil
}

func TestRunInMemory(t *testing.T) {
	var out bytes.Buffer
	base, stop := runServer(t, Options{Memory: true, Out: &out})
	CheckRoundTrip(t, base)
	if err := stop(); err != nil {
		t.Fatalf("Run returned %v after cancel, want nil", err)
	}
	for _, want := range []string{"in-memory store", base + "/v1/health", "curl -s -X POST " + base + "/v1/todos"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunRefusesBusyAddress(t *testing.T) {
	base, _ := runServer(t, Options{Memory: true})
	err := Run(context.Background(), Options{Addr: strings.TrimPrefix(base, "http://"), Memory: true})
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Run on a busy address = %v, want a listen error", err)
	}
}

// CheckRoundTrip creates a todo through base and reads it back and checks
// health: the smallest proof that a local API works end to end.
func CheckRoundTrip(tb testing.TB, base string) {
	tb.Helper()
	res, err := http.Post(base+"/v1/todos", "application/json", strings.NewReader(`{"task":"local"}`))
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		tb.Fatalf("POST /v1/todos = %d %s, want 201", res.StatusCode, body)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		tb.Fatal(err)
	}
	res, err = http.Get(res.Request.URL.ResolveReference(loc).String())
	if err != nil {
		tb.Fatal(err)
	}
	var got struct{ Task string }
	err = json.NewDecoder(res.Body).Decode(&got)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || got.Task != "local" {
		tb.Fatalf("GET %s = %d %+v (%v), want 200 with task local", loc, res.StatusCode, got, err)
	}
	res, err = http.Get(base + "/v1/health")
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("GET /v1/health = %d, want 200", res.StatusCode)
	}
}

// TestStopBudgetFitsMage: mage v1.17 exits 5 s after Ctrl-C whether or not
// the target has finished, and nothing removes a container left then.
func TestStopBudgetFitsMage(t *testing.T) {
	const mageCleanupWindow = 5 * time.Second
	if StopBudget >= mageCleanupWindow {
		t.Errorf("StopBudget = %v, want less than mage's %v", StopBudget, mageCleanupWindow)
	}
}
