package drill

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/drill/internal/drilltest"
	"github.com/todomgmt/todomgmt/pkg/drill/load"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

func TestAnalyze(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ok := func(start, end int, region string) load.Attempt {
		return load.Attempt{Start: at(start), End: at(end), Status: 201, Region: region}
	}
	fail := func(start, end, status int, code string) load.Attempt {
		return load.Attempt{Start: at(start), End: at(end), Status: status, Code: code}
	}
	writes := []load.Write{
		{Key: "k1", Acked: true, ReadBack: 200, Attempts: []load.Attempt{ok(0, 10, "a")}},
		// fails from 100 ms, acknowledged by b at 900 ms
		{Key: "k2", Acked: true, ReadBack: 200, Attempts: []load.Attempt{fail(100, 110, 503, "region_passive"), fail(210, 220, 503, "region_passive"), ok(880, 900, "b")}},
		{Key: "k3", Acked: true, ReadBack: 404, Attempts: []load.Attempt{fail(150, 160, 0, "connection"), ok(950, 1000, "b")}},
		// acknowledged but missing afterwards
		{Key: "k4", Acked: true, ReadBack: 200, Attempts: []load.Attempt{ok(50, 60, "a")}},
		// never acknowledged, but stored
		{Key: "k5", Attempts: []load.Attempt{fail(300, 310, 502, "bad_gateway")}},
		// stored twice
		{Key: "k6", Acked: true, ReadBack: 200, Attempts: []load.Attempt{ok(1100, 1110, "b")}},
	}
	stored := map[string]int{"k1": 1, "k2": 1, "k3": 1, "k5": 1, "k6": 2}
	got := analyze(writes, stored)
	want := WriteStats{
		Writes: 6, Acked: 5, Attempts: 9,
		Lost: 1, LostKeys: []string{"k4"},
		Duplicates: 1, DuplicateKeys: []string{"k6"},
		AppliedUnacked: 1, Unacked: 1,
		ServedBy:         map[string]int{"a": 2, "b": 3},
		Errors:           map[string]int{"503 region_passive": 2, "no response (connection)": 1, "502 bad_gateway": 1},
		ReadBackFailures: 1,
		WriteGap:         800 * time.Millisecond, // 100 ms → 900 ms
		MaxAckSilence:    840 * time.Millisecond, // 60 ms → 900 ms
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("analyze (-want +got):\n%s", diff)
	}

	if ts, ok := firstAck(writes, at(100), "b"); !ok || !ts.Equal(at(900)) {
		t.Errorf("firstAck(after 100 ms, b) = %v, %v; want %v", ts, ok, at(900))
	}
	if _, ok := firstAck(writes, at(2000), ""); ok {
		t.Errorf("firstAck(after the last ack) found one, want none")
	}
}

func TestAnalyzeNeverRecovered(t *testing.T) {
	t0 := time.Now()
	writes := []load.Write{
		{Key: "k1", Acked: true, ReadBack: 200, Attempts: []load.Attempt{{Start: t0, End: t0.Add(time.Millisecond), Status: 201}}},
		{Key: "k2", Attempts: []load.Attempt{
			{Start: t0.Add(time.Second), End: t0.Add(2 * time.Second), Code: "timeout"},
			{Start: t0.Add(3 * time.Second), End: t0.Add(4 * time.Second), Code: "timeout"},
		}},
	}
	got := analyze(writes, map[string]int{"k1": 1})
	if want := 3 * time.Second; got.WriteGap != want {
		t.Errorf("write gap without recovery = %s, want %s (first failure to the last attempt)", got.WriteGap, want)
	}
}

func TestAnalyzeNoFailures(t *testing.T) {
	if got := analyze(nil, nil); got.WriteGap != 0 || got.MaxAckSilence != 0 || got.Writes != 0 {
		t.Errorf("analyze(nil) = %+v, want zeros", got)
	}
}

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// storedKeys counts the load generator's todos per key in stores.
func storedKeys(tb testing.TB, stores ...todo.Service) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for _, s := range stores {
		var after int64
		for {
			page, err := s.List(context.Background(), todo.ListQuery{After: after, Limit: todo.MaxLimit})
			if err != nil {
				tb.Fatal(err)
			}
			for _, it := range page.Items {
				if k, ok := keyOfTask(it.Task); ok {
					out[k]++
				}
			}
			if page.Next == 0 {
				break
			}
			after = page.Next
		}
	}
	return out
}

// TestLoadRetriesWithTheSameKeyAcrossASwitch fences the active region in
// the middle of the load, moves the route and promotes the other region:
// every write must end acknowledged exactly once, after 503 region_passive
// answers in between.
func TestLoadRetriesWithTheSameKeyAcrossASwitch(t *testing.T) {
	regions, fd := drilltest.Regions(t)
	ctx := context.Background()
	gen, err := load.Start(ctx, load.Access{FrontDoor: fd.URL()}, "t", load.Config{Rate: 100, MaxWrites: 60, RetryBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	regions["lab-a"].Store.SetPassive(true)
	time.Sleep(100 * time.Millisecond)
	if err := fd.Route(ctx, "lab-b"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	regions["lab-b"].Store.SetPassive(false)
	time.Sleep(400 * time.Millisecond)
	writes := gen.Stop(5 * time.Second).Writes

	st := analyze(writes, storedKeys(t, regions["lab-a"].Store, regions["lab-b"].Store))
	if st.Writes == 0 || st.Acked != st.Writes {
		t.Errorf("acked %d of %d writes, want all", st.Acked, st.Writes)
	}
	if st.Duplicates != 0 || st.Lost != 0 {
		t.Errorf("duplicates %d, lost %d; want 0 and 0", st.Duplicates, st.Lost)
	}
	if st.Errors["503 region_passive"] == 0 {
		t.Errorf("errors = %v, want some 503 region_passive while no region was writable", st.Errors)
	}
	if st.WriteGap <= 0 {
		t.Errorf("write gap = %s, want > 0 after failures", st.WriteGap)
	}
	retried := 0
	for _, w := range writes {
		if len(w.Attempts) > 1 {
			retried++
		}
		if w.Acked && w.ReadBack != 200 {
			t.Errorf("write %s read back %d, want 200", w.Key, w.ReadBack)
		}
	}
	if retried == 0 {
		t.Errorf("no write needed a retry; the test did not exercise the switch")
	}
}
