package drill

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/drill/internal/drilltest"
	"github.com/todomgmt/todomgmt/pkg/drill/load"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

func TestAnalyzeSwitch(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	att := func(startMs, status int, code, region string) load.Attempt {
		return load.Attempt{Start: at(startMs), End: at(startMs + 5), Status: status, Code: code, Region: region}
	}
	create := func(key string, id int64, ms int, region string) load.Write {
		return load.Write{Key: key, Task: load.TaskPrefix + key, Acked: true, ID: id, Region: region, Attempts: []load.Attempt{att(ms, 201, "", region)}}
	}
	etag := func(v int64, tag uint64) string { return load.Held{Version: v, Tag: tag}.ETag() }
	res := load.Result{
		SwitchAt: at(1000),
		Writes: []load.Write{
			create("k1", 1, 0, "a"), create("k2", 2, 10, "a"), create("k3", 3, 900, "a"), // k3: lost with a
			create("k4", 3, 1500, "b"), // id 3 again: reused
			create("k5", 5, 1600, "b"),
		},
		Updates: []load.Update{
			{Key: "k1", ID: 1, Attempt: att(500, 200, "", "a"), ETag: etag(2, 0xa1), Version: 2}, // lost: b holds version 1
			{Key: "k2", ID: 2, Attempt: att(510, 200, "", "a"), ETag: etag(2, 0xb2), Version: 2}, // replicated
			{Key: "k3", ID: 3, Attempt: att(950, 200, "", "a"), ETag: etag(2, 0xc2), Version: 2}, // lost with its todo
			{Key: "k2", ID: 2, Attempt: att(960, 503, "region_passive", "a")},                    // refused
		},
		Conditional: []load.CondWrite{
			// lost update, caught up, refused, the todo as the catch-up left it
			{Key: "k1", ID: 1, Method: http.MethodPut, IfMatch: etag(2, 0xa1), Class: load.ETagLost, Held: etag(1, 0xa0),
				CatchUp: []load.Update{{Key: "k1", ID: 1, Attempt: att(2000, 200, "", "b"), ETag: etag(2, 0xa2), Version: 2}},
				Expect:  etag(2, 0xa2), ExpectKnown: true, Attempt: att(2010, 412, "precondition_failed", "b")},
			// current, deleted
			{Key: "k2", ID: 2, Method: http.MethodDelete, IfMatch: etag(2, 0xb2), Class: load.ETagCurrent, Held: etag(2, 0xb2),
				Expect: etag(2, 0xb2), ExpectKnown: true, Attempt: att(2020, 204, "", "b")},
			// the todo was lost; its id names k4 now
			{Key: "k3", ID: 3, Method: http.MethodPut, IfMatch: etag(2, 0xc2), Class: load.ETagLost, Held: etag(1, 0xd1),
				Expect: etag(1, 0xd1), ExpectKnown: true, Attempt: att(2030, 412, "precondition_failed", "b")},
		},
		Reads: []load.Read{
			{Key: "k1", ID: 1, Attempt: att(1100, 200, "", "")},
			{Key: "k3", ID: 3, Attempt: att(1110, 404, "not_found", "")},     // lost: fine
			{Key: "k5", ID: 5, Attempt: att(1700, 404, "not_found", "")},     // acknowledged by b at 1605: failure
			{Key: "k2", ID: 2, Attempt: att(2100, 404, "not_found", "")},     // deleted at 2020: fine
			{Key: "k1", ID: 1, Attempt: att(2200, 404, "not_found", "")},     // held since 1900: failure
			{Key: "k1", ID: 1, Attempt: att(2300, 503, "unavailable", "")},   // failure
			{Key: "k3", ID: 3, Attempt: att(2400, 200, "", ""), Other: true}, // k4's todo: failure
			{Key: "k5", ID: 5, Attempt: att(2500, 0, "timeout", "")},         // failure
		},
	}
	held := load.Holding{At: at(1900), ByID: map[int64]load.Held{
		1: {ID: 1, Task: "drill k1", Version: 1, Tag: 0xa0},
		2: {ID: 2, Task: "drill k2", Version: 2, Tag: 0xb2},
		3: {ID: 3, Task: "drill k4", Version: 1, Tag: 0xd1},
	}}
	final := load.Holding{At: at(3000), ByID: map[int64]load.Held{
		1: {ID: 1, Task: "drill k1", Version: 2, Tag: 0xa2},
		3: {ID: 3, Task: "drill k4", Version: 1, Tag: 0xd1},
		5: {ID: 5, Task: "drill k5", Version: 1, Tag: 0xe1},
	}}
	var ws WriteStats
	rs := analyzeSwitch(&ws, res, held, final, "b")
	want := WriteStats{
		Updates: 3, LostUpdates: 2, UpdateErrors: map[string]int{"503 region_passive": 1},
		ReusedIDs: 1, ReusedIDSample: []int64{3},
		StaleETagWrites: 2, LostETagWrites: 2, StaleETagOutcomes: map[string]int{"412 precondition_failed": 2},
		CurrentETagWrites: 1, ConditionalErrors: map[string]int{},
	}
	if diff := cmp.Diff(want, ws); diff != "" {
		t.Errorf("write stats (-want +got):\n%s", diff)
	}
	if rs.Reads != 8 || rs.Failures != 5 || rs.Region != "b" {
		t.Errorf("reads = %d in %s, %d failed (%v); want 8 in b, 5 failed", rs.Reads, rs.Region, rs.Failures, rs.FailureSample)
	}
	if diff := cmp.Diff(map[string]int{"200": 1, "404 not_found": 4, "503 unavailable": 1, "200 another todo": 1, "no response (timeout)": 1}, rs.Statuses); diff != "" {
		t.Errorf("read statuses (-want +got):\n%s", diff)
	}

	// A refused write whose todo changed anyway was applied: a match.
	res.Conditional[0].Attempt = att(2010, 0, "timeout", "b")
	final.ByID[1] = load.Held{ID: 1, Task: "drill k1", Version: 3, Tag: 0xa3}
	ws = WriteStats{}
	analyzeSwitch(&ws, res, held, final, "b")
	if ws.StaleETagAccepted != 1 || ws.StaleETagOutcomes["no response (timeout), yet the todo changed"] != 1 {
		t.Errorf("a stale write without an answer whose todo changed: accepted %d, outcomes %v; want 1 accepted", ws.StaleETagAccepted, ws.StaleETagOutcomes)
	}
	// And one the API accepted is a match whatever the todo holds.
	res.Conditional[2].Attempt = att(2030, 200, "", "b")
	ws = WriteStats{}
	analyzeSwitch(&ws, res, held, final, "b")
	if ws.StaleETagAccepted != 2 {
		t.Errorf("stale writes accepted = %d, want 2", ws.StaleETagAccepted)
	}
}

func TestStoredUnion(t *testing.T) {
	held := load.Holding{ByID: map[int64]load.Held{1: {ID: 1, Task: "drill k1"}, 2: {ID: 2, Task: "drill k2"}, 9: {ID: 9, Task: "not the load's"}}}
	final := load.Holding{ByID: map[int64]load.Held{2: {ID: 2, Task: "drill k2"}, 3: {ID: 3, Task: "drill k3"}, 4: {ID: 4, Task: "drill k3"}}}
	want := map[string]int{"k1": 1, "k2": 1, "k3": 2}
	if diff := cmp.Diff(want, storedUnion(held, final)); diff != "" {
		t.Errorf("storedUnion (-want +got):\n%s", diff)
	}
}

// holdingOf reads what the in-memory store holds, as the drill reads the
// writer as root.
func holdingOf(tb testing.TB, s todo.Service) load.Holding {
	tb.Helper()
	h := load.Holding{At: time.Now(), ByID: map[int64]load.Held{}}
	var after int64
	for {
		page, err := s.List(context.Background(), todo.ListQuery{After: after, Limit: todo.MaxLimit})
		if err != nil {
			tb.Fatal(err)
		}
		for _, it := range page.Items {
			h.ByID[it.ID] = load.Held{ID: it.ID, Task: it.Task, Version: it.Version, Tag: it.Tag}
		}
		if page.Next == 0 {
			return h
		}
		after = page.Next
	}
}

// TestLoadAcrossASwitch runs the load's phases against the real handler
// over an in-memory store that both regions share (nothing is lost): it
// updates before the switch, reads in the target region from the switch
// on, and sends every todo from before the switch one conditional write.
// One todo is reported to the load as held one version back (its last
// update "lost"): it gets a catch-up write first, then its stale ETag is
// refused. Another is changed behind the load's back (superseded).
func TestLoadAcrossASwitch(t *testing.T) {
	regions, fd := drilltest.Regions(t)
	store := regions["lab-a"].Store
	regions["lab-b"].Server.Config.Handler = regions["lab-a"].Server.Config.Handler // one store, as replication with nothing lost
	ctx := context.Background()
	gen, err := load.Start(ctx, load.Access{FrontDoor: fd.URL()}, "t", load.Config{Rate: 100, MaxWrites: 30, RetryBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	if _, err := gen.MarkSwitch(regions["lab-b"].Server.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := gen.MarkSwitch(regions["lab-b"].Server.URL); err == nil {
		t.Errorf("a second MarkSwitch = nil error, want one")
	}
	if err := fd.Route(ctx, "lab-b"); err != nil {
		t.Fatal(err)
	}
	gen.AwaitUpdates()
	held := holdingOf(t, store)
	before := gen.IDs()
	if len(before) < 4 {
		t.Fatalf("%d todos before the switch, want at least 4", len(before))
	}
	// Pretend the writer lost the one update of a todo updated once: it
	// holds version 1. And change another behind the load's back.
	var lostID, otherID int64
	for _, id := range before {
		switch {
		case lostID == 0 && held.ByID[id].Version == 2:
			lostID = id
		case otherID == 0:
			otherID = id
		}
	}
	if lostID == 0 || otherID == 0 {
		t.Fatalf("no todo updated exactly once before the switch, or no other: %+v", held.ByID)
	}
	h := held.ByID[lostID]
	h.Version, h.Tag = 1, h.Tag^1
	held.ByID[lostID] = h
	status := todo.StatusDone
	if _, err := store.Update(ctx, otherID, todo.Update{Status: &status}); err != nil {
		t.Fatal(err)
	}
	o := held.ByID[otherID]
	cur, _ := store.Get(ctx, otherID)
	o.Version, o.Tag = cur.Version, cur.Tag
	held.ByID[otherID] = o

	gen.AfterSwitch(held)
	time.Sleep(200 * time.Millisecond)
	res := gen.Stop(10 * time.Second)

	if len(res.Updates) == 0 {
		t.Errorf("no update before the switch")
	}
	for _, u := range res.Updates {
		if u.Attempt.Start.After(res.SwitchAt) {
			t.Errorf("update of %s started %s after the switch, want none", u.Key, u.Attempt.Start.Sub(res.SwitchAt))
		}
	}
	byID := map[int64]load.CondWrite{}
	for _, c := range res.Conditional {
		if _, dup := byID[c.ID]; dup {
			t.Errorf("todo %d got two conditional writes", c.ID)
		}
		byID[c.ID] = c
	}
	if len(byID) != len(before) {
		t.Errorf("%d todos got a conditional write, want the %d from before the switch", len(byID), len(before))
	}
	for id, c := range byID {
		var want load.ETagClass
		var wantStatus int
		switch id {
		case lostID:
			want, wantStatus = load.ETagLost, http.StatusPreconditionFailed
			if len(c.CatchUp) != 1 || !c.CatchUp[0].Attempt.OK() || c.CatchUp[0].IfMatch != "" {
				t.Errorf("todo %d: catch-up writes %+v, want one unconditional, acknowledged", id, c.CatchUp)
			}
		case otherID:
			want, wantStatus = load.ETagSuperseded, http.StatusPreconditionFailed
		default:
			want, wantStatus = load.ETagCurrent, http.StatusOK
			if c.Method == http.MethodDelete {
				wantStatus = http.StatusNoContent
			}
		}
		if c.Class != want || c.Attempt.Status != wantStatus {
			t.Errorf("todo %d (%s): class %s, answer %s; want %s, %d", id, c.Method, c.Class, c.Attempt.Label(), want, wantStatus)
		}
	}

	final := holdingOf(t, store)
	var ws WriteStats
	rs := analyzeSwitch(&ws, res, held, final, "lab-b")
	if ws.StaleETagWrites != 2 || ws.StaleETagAccepted != 0 || ws.CurrentETagRefused != 0 || ws.CurrentETagWrites != len(before)-2 {
		t.Errorf("stale %d (accepted %d), current %d (refused %d); want 2 (0), %d (0)",
			ws.StaleETagWrites, ws.StaleETagAccepted, ws.CurrentETagWrites, ws.CurrentETagRefused, len(before)-2)
	}
	if ws.ReusedIDs != 0 || ws.LostUpdates != 1 {
		t.Errorf("reused ids %d, lost updates %d; want 0 and 1 (the one reported lost)", ws.ReusedIDs, ws.LostUpdates)
	}
	if rs.Reads == 0 || rs.Failures != 0 {
		t.Errorf("reads in the target region: %d, %d failed (%v); want some, none failed", rs.Reads, rs.Failures, rs.FailureSample)
	}
	for _, r := range res.Reads {
		if r.Attempt.Start.Before(res.SwitchAt) {
			t.Errorf("read of %s before the switch", r.Key)
		}
	}
}
