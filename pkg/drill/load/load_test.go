package load

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/pkg/drill/internal/drilltest"
)

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, u := range []string{"http://example.com", "http://10.0.0.1:80", "http://localhost:80"} {
		if l, err := Start(context.Background(), Access{FrontDoor: u}, "x", Config{}); err == nil {
			l.Stop(time.Second)
			t.Errorf("Start(%s) = nil error, want a refusal", u)
		}
	}
}

// TestLoadEndsWithItsContext cancels the load's context while every write
// is failing: the writes in flight must stop retrying at once, not after
// Stop's settle time, so that Ctrl-C leaves time to remove the lab.
func TestLoadEndsWithItsContext(t *testing.T) {
	regions, fd := drilltest.Regions(t)
	regions["lab-a"].Store.SetPassive(true) // every write: 503 region_passive
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	load, err := Start(ctx, Access{FrontDoor: fd.URL()}, "t", Config{Rate: 50, MaxWrites: 20, RetryBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	done := make(chan []Write, 1)
	go func() { done <- load.Stop(time.Hour).Writes }()
	select {
	case writes := <-done:
		if len(writes) == 0 {
			t.Errorf("no write was started before the cancellation; the test did not exercise retries")
		}
		for _, w := range writes {
			if w.Acked {
				t.Errorf("write %s acknowledged by a passive region", w.Key)
			}
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Stop(1h) still retrying 30s after the load's context ended, want the retries to end with it")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{name: "zero takes the defaults", cfg: Config{}},
		{name: "one per second", cfg: Config{Rate: 1}},
		{name: "the maximum", cfg: Config{Rate: MaxRate}},
		{name: "over the maximum", cfg: Config{Rate: MaxRate + 1}, wantErr: true},
		{name: "huge", cfg: Config{Rate: 1e12}, wantErr: true},
		{name: "infinite", cfg: Config{Rate: math.Inf(1)}, wantErr: true},
		{name: "not a number", cfg: Config{Rate: math.NaN()}, wantErr: true},
		{name: "negative", cfg: Config{Rate: -5}, wantErr: true},
		{name: "below one", cfg: Config{Rate: 0.5}, wantErr: true},
		{name: "negative bound", cfg: Config{MaxWrites: -1}, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// TestStartRefusesAHugeRate: a rate whose ticker interval would be 0
// used to panic inside the load generator.
func TestStartRefusesAHugeRate(t *testing.T) {
	l, err := Start(context.Background(), Access{FrontDoor: "http://127.0.0.1:1"}, "x", Config{Rate: 2e9})
	if err == nil {
		l.Stop(time.Second)
		t.Fatal("Start with 2e9 writes/s = nil error, want a refusal")
	}
}

func TestRefusedUnapplied(t *testing.T) {
	for _, tt := range []struct {
		a    Attempt
		want bool
	}{
		{Attempt{Status: 503, Code: "region_passive"}, true},
		{Attempt{Status: 503, Code: "unavailable"}, false}, // a deadline may come after the commit
		{Attempt{Status: 412, Code: "precondition_failed"}, false},
		{Attempt{Status: 404, Code: "not_found"}, true},
		{Attempt{Status: 400, Code: "invalid"}, true},
		{Attempt{Status: 500, Code: "internal"}, false},
		{Attempt{Code: "timeout"}, false},
	} {
		if got := refusedUnapplied(tt.a); got != tt.want {
			t.Errorf("refusedUnapplied(%s) = %v, want %v", tt.a.Label(), got, tt.want)
		}
	}
}

// TestPickIdleWrittenLongestAgo: updates go to the todo written longest
// ago that has no write in flight and whose ETag the load trusts.
func TestPickIdleWrittenLongestAgo(t *testing.T) {
	t0 := time.Now()
	l := &Generator{todos: []*tracked{
		{key: "busy", etag: `"1-0000000000000001"`, written: t0, busy: true},
		{key: "uncertain", etag: `"1-0000000000000001"`, written: t0.Add(time.Millisecond), uncertain: true},
		{key: "newer", etag: `"1-0000000000000001"`, written: t0.Add(3 * time.Millisecond)},
		{key: "oldest idle", etag: `"1-0000000000000001"`, written: t0.Add(2 * time.Millisecond)},
	}}
	first := l.pickIdle()
	second := l.pickIdle()
	if first == nil || first.key != "oldest idle" || second == nil || second.key != "newer" {
		t.Fatalf("picked %v then %v, want oldest idle then newer", first, second)
	}
	if !first.busy || l.pickIdle() != nil {
		t.Errorf("a picked todo must be busy, and nothing is left to pick")
	}
}

// TestAccessCheck: the lab's load talks to loopback only; a deployment's
// over HTTPS only, so that its tokens never travel in clear text.
func TestAccessCheck(t *testing.T) {
	for _, tt := range []struct {
		base    string
		remote  bool
		wantErr bool
	}{
		{base: "http://127.0.0.1:8080"},
		{base: "http://[::1]:8080"},
		{base: "http://localhost:8080", wantErr: true}, // a name could resolve anywhere
		{base: "https://d111.cloudfront.net", wantErr: true},
		{base: "https://d111.cloudfront.net", remote: true},
		{base: "https://api.example.com/prod", remote: true},
		{base: "http://d111.cloudfront.net", remote: true, wantErr: true},
		{base: "http://127.0.0.1:8080", remote: true}, // the fakes of the AWS adapter's tests
		{base: "://bad", remote: true, wantErr: true},
	} {
		err := Access{Remote: tt.remote}.check(tt.base)
		if (err != nil) != tt.wantErr {
			t.Errorf("Access{Remote: %v}.check(%q) = %v, want error %v", tt.remote, tt.base, err, tt.wantErr)
		}
	}
}

// TestLoadStopsByItself: after MaxDuration the load starts no more
// requests, even if nobody calls Stop.
func TestLoadStopsByItself(t *testing.T) {
	_, fd := drilltest.Regions(t)
	load, err := Start(context.Background(), Access{FrontDoor: fd.URL()}, "t",
		Config{Rate: 100, MaxWrites: 1000, MaxDuration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer load.Stop(time.Second)
	count := func() int {
		load.mu.Lock()
		defer load.mu.Unlock()
		return len(load.writes) + len(load.updates)
	}
	time.Sleep(time.Second)
	n := count()
	time.Sleep(500 * time.Millisecond)
	if got := count(); got != n || n == 0 || n >= 200 {
		t.Errorf("writes and updates: %d a second in, %d half a second later; want some, and no more after MaxDuration", n, got)
	}
}

func TestMarkSwitchRefusesNonLoopback(t *testing.T) {
	_, fd := drilltest.Regions(t)
	load, err := Start(context.Background(), Access{FrontDoor: fd.URL()}, "t", Config{MaxWrites: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer load.Stop(time.Second)
	for _, u := range []string{"http://example.com", "http://10.0.0.1:80"} {
		if _, err := load.MarkSwitch(u); err == nil {
			t.Errorf("MarkSwitch(%s) = nil error, want a refusal", u)
		}
	}
}
