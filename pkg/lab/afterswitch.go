package lab

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
)

// What the load does across a switch (issue 10 item 7): it stops updating
// at MarkSwitch (right before the fault, or before a planned switchover)
// and starts reading the todos it knows in the target region; once the
// orchestrator is done, AfterSwitch sends every todo acknowledged before
// the switch one conditional write, PUT or DELETE with If-Match the last
// ETag acknowledged before the switch, through the front door. What the
// new writer held then (a Holding, read as root) says which of those
// ETags name a write that was lost: such a write must get 412 (or 404 when
// the todo itself was lost), never a match.

// maxCatchUp bounds the catch-up writes of one todo.
const maxCatchUp = 10

// Held is one todo as a server holds it, read as root.
type Held struct {
	ID      int64  `json:"id"`
	Task    string `json:"task"`
	Version int64  `json:"version"`
	Tag     uint64 `json:"tag"`
}

// ETag is the API's ETag of the write that made this version,
// "<version>-<write tag as 16 lower-case hex digits>" (README, The API).
func (h Held) ETag() string { return fmt.Sprintf(`"%d-%016x"`, h.Version, h.Tag) }

// Holding is what the writer held of the load's todos at one moment.
type Holding struct {
	At   time.Time
	ByID map[int64]Held
}

// countByKey counts the held todos per load-generator key.
func (h Holding) countByKey() map[string]int {
	out := map[string]int{}
	for _, t := range h.ByID {
		if key, ok := keyOfTask(t.Task); ok {
			out[key]++
		}
	}
	return out
}

// etagVersion reads the version out of one of the API's ETags; false
// when it is not one.
func etagVersion(etag string) (int64, bool) {
	inner, ok := strings.CutPrefix(etag, `"`)
	if !ok {
		return 0, false
	}
	inner, ok = strings.CutSuffix(inner, `"`)
	if !ok {
		return 0, false
	}
	v, tag, ok := strings.Cut(inner, "-")
	if !ok || len(tag) != 16 {
		return 0, false
	}
	if _, err := strconv.ParseUint(tag, 16, 64); err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n > 0
}

// ETagClass says how an ETag the load sends relates to what the new
// writer held after the switch.
type ETagClass string

const (
	// ETagCurrent names the write the writer holds: a condition on it
	// must hold.
	ETagCurrent ETagClass = "current"
	// ETagLost names a write the writer never got (lost with the old
	// writer), or a todo the writer does not hold.
	ETagLost ETagClass = "lost"
	// ETagSuperseded names an older write of the todo: a later one the
	// load sent without an answer was applied after all.
	ETagSuperseded ETagClass = "superseded"
)

// classify says how etag, the last ETag the load acknowledged for its
// todo id (created with task), relates to what h holds.
func classify(id int64, task, etag string, h Holding) ETagClass {
	held, ok := h.ByID[id]
	if !ok || held.Task != task {
		return ETagLost // the create was lost (and the id, if held, names another todo)
	}
	if held.ETag() == etag {
		return ETagCurrent
	}
	if v, ok := etagVersion(etag); ok && held.Version > v {
		return ETagSuperseded
	}
	return ETagLost
}

// CondWrite is one conditional write after the switch.
type CondWrite struct {
	Key    string `json:"key"`
	ID     int64  `json:"id"`
	Method string `json:"method"`
	// IfMatch is the last ETag acknowledged before the switch.
	IfMatch string    `json:"ifMatch"`
	Class   ETagClass `json:"class"`
	// Held is the ETag the writer held after the switch, "" when it held
	// no row with this id.
	Held string `json:"held,omitempty"`
	// CatchUp are the writes sent first, as another client would (PUT
	// without If-Match), to a todo whose last acknowledged update was
	// lost, until it is at that update's version again: a condition that
	// compared versions alone would then match. The write tag must not.
	CatchUp []Update `json:"catchUp,omitempty"`
	// Expect is the ETag the todo must still have at the end if this
	// write was refused; ExpectKnown is false when a catch-up got no
	// answer, or the writer held no row with this id.
	Expect      string  `json:"expect,omitempty"`
	ExpectKnown bool    `json:"expectKnown"`
	Attempt     Attempt `json:"attempt"`
}

// Read is one read in the target region.
type Read struct {
	Key     string  `json:"key"`
	ID      int64   `json:"id"`
	Attempt Attempt `json:"attempt"`
	// Other is true when a 200 answered with another todo than the one
	// the load created under this id.
	Other bool `json:"other,omitempty"`
}

// MarkSwitch marks the start of a switch: call it right before the fault,
// or before a planned switchover. The load stops starting updates,
// remembers the todos acknowledged so far (AfterSwitch writes to them),
// and from now until Stop reads the todos it knows, in turn and at its
// rate, straight from the target region's API at targetAPI (a loopback
// base URL). It returns the time it marked.
func (l *Load) MarkSwitch(targetAPI string) (time.Time, error) {
	u, err := url.Parse(targetAPI)
	if err != nil {
		return time.Time{}, err
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return time.Time{}, fmt.Errorf("the load generator only talks to loopback, not %q", u.Host)
	}
	l.stopOnce.Do(func() { close(l.stopUpdates) })
	l.mu.Lock()
	if !l.switchAt.IsZero() {
		l.mu.Unlock()
		return time.Time{}, fmt.Errorf("the switch was marked already, at %s", l.switchAt.Format(time.RFC3339Nano))
	}
	l.switchAt = time.Now()
	l.before = slices.Clone(l.todos)
	at := l.switchAt
	l.mu.Unlock()
	l.rwg.Add(1)
	go l.readLoop(targetAPI)
	return at, nil
}

// AwaitUpdates waits until the updates in flight at MarkSwitch have
// their answers, at most the attempt timeout and a second: what the
// writer holds must be read after them.
func (l *Load) AwaitUpdates() {
	l.haltUpdates()
	done := make(chan struct{})
	go func() { l.uwg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(l.cfg.AttemptTimeout + time.Second):
	}
}

// IDs returns the ids of the todos whose create was acknowledged so far.
func (l *Load) IDs() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]int64, len(l.todos))
	for i, t := range l.todos {
		ids[i] = t.id
	}
	return ids
}

// AfterSwitch sends, at the load's rate and in the background until Stop,
// one conditional write to every todo acknowledged before MarkSwitch:
// PUT and DELETE in turn, with If-Match the last ETag acknowledged before
// the switch, through the front door. held is what the new writer held
// after the switch (read after AwaitUpdates); a todo whose last
// acknowledged update it lacks is first brought back to that update's
// version by catch-up writes (CondWrite.CatchUp). Call it once, after
// MarkSwitch and before Stop.
func (l *Load) AfterSwitch(held Holding) {
	l.mu.Lock()
	before := slices.Clone(l.before)
	l.mu.Unlock()
	l.cwg.Add(1)
	go func() {
		defer l.cwg.Done()
		l.conditional(before, held)
	}()
}

func (l *Load) conditional(before []*tracked, held Holding) {
	sem := make(chan struct{}, l.cfg.MaxInFlight)
	tick := time.NewTicker(time.Duration(float64(time.Second) / l.cfg.Rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for i, t := range before {
		select {
		case <-l.retryCtx.Done():
			return
		case <-tick.C:
		}
		select {
		case <-l.retryCtx.Done():
			return
		case sem <- struct{}{}:
		}
		method := http.MethodPut
		if i%2 == 1 {
			method = http.MethodDelete
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := l.condWrite(t, method, held)
			l.mu.Lock()
			l.conds = append(l.conds, c)
			l.mu.Unlock()
		}()
	}
}

// condWrite sends t's conditional write (after its catch-up writes).
func (l *Load) condWrite(t *tracked, method string, h Holding) CondWrite {
	l.mu.Lock()
	etag, status := t.etag, t.status
	l.mu.Unlock()
	c := CondWrite{Key: t.key, ID: t.id, Method: method, IfMatch: etag, Class: classify(t.id, t.task, etag, h)}
	if held, ok := h.ByID[t.id]; ok {
		c.Held, c.Expect, c.ExpectKnown = held.ETag(), held.ETag(), true
		if v, vok := etagVersion(etag); c.Class == ETagLost && held.Task == t.task && vok {
			for cur := held.Version; cur < v && len(c.CatchUp) < maxCatchUp; {
				status = nextStatus(status)
				u, _ := l.put(t, "", status, time.Now())
				c.CatchUp = append(c.CatchUp, u)
				if !u.Attempt.OK() {
					c.ExpectKnown = refusedUnapplied(u.Attempt)
					break
				}
				cur, c.Expect = u.Version, u.ETag
			}
		}
	}
	start := time.Now()
	if method == http.MethodDelete {
		r, err := l.api.Delete(l.retryCtx, t.id, etag)
		c.Attempt = attemptOf(start, r, err)
	} else {
		next := nextStatus(status)
		_, r, err := l.api.Update(l.retryCtx, t.id, apiclient.Change{Status: &next}, etag)
		c.Attempt = attemptOf(start, r, err)
	}
	return c
}

// readLoop reads the todos the load knows, in turn, from the target
// region's API until Stop, at most MaxWrites reads.
func (l *Load) readLoop(target string) {
	defer l.rwg.Done()
	api := loadClient(target, l.http, l.cfg)
	tick := time.NewTicker(time.Duration(float64(time.Second) / l.cfg.Rate))
	defer tick.Stop()
	next := 0
	for n := 0; n < l.cfg.MaxWrites; {
		select {
		case <-l.stopReads:
			return
		case <-l.retryCtx.Done():
			return
		case <-tick.C:
		}
		l.mu.Lock()
		if len(l.todos) == 0 {
			l.mu.Unlock()
			continue
		}
		t := l.todos[next%len(l.todos)]
		next++
		l.mu.Unlock()
		n++
		r := Read{Key: t.key, ID: t.id}
		start := time.Now()
		got, resp, err := api.Get(l.retryCtx, t.id, "")
		r.Attempt = attemptOf(start, resp, err)
		// A 200 that is not the todo the load created under this id (the
		// client refuses an answer about another id as undecodable).
		if r.Attempt.Status == http.StatusOK && (err != nil || got.Task != t.task) {
			r.Other = true
		}
		l.mu.Lock()
		l.reads = append(l.reads, r)
		l.mu.Unlock()
	}
}
