package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// MaxRate is the highest LoadConfig.Rate: the load generator is for a lab
// on one machine, and its ticker needs an interval of at least a
// millisecond.
const MaxRate = 1000

// LoadConfig bounds the load generator.
type LoadConfig struct {
	// Rate is the number of new creates started per second (20), at most
	// MaxRate. The updates before the switch, the conditional writes
	// after it and the reads in the target region each run at the same
	// rate.
	Rate float64
	// MaxInFlight bounds the requests of each kind (creates, updates,
	// conditional writes) in progress at once (8); when it is reached,
	// new ones wait.
	MaxInFlight int
	// MaxWrites bounds the creates one Load starts (2000), and likewise
	// its updates and its reads.
	MaxWrites int
	// AttemptTimeout bounds each HTTP attempt (5 s).
	AttemptTimeout time.Duration
	// RetryBackoff is the pause between attempts of one write (100 ms).
	RetryBackoff time.Duration
}

// Validate reports a configuration the load generator refuses: a rate
// outside 1..MaxRate writes per second (0 takes the default) or a
// negative bound.
func (c LoadConfig) Validate() error {
	if math.IsNaN(c.Rate) || c.Rate < 0 || c.Rate > MaxRate || c.Rate > 0 && c.Rate < 1 {
		return fmt.Errorf("load rate %g writes/s: want 1 to %d", c.Rate, MaxRate)
	}
	if c.MaxInFlight < 0 || c.MaxWrites < 0 || c.AttemptTimeout < 0 || c.RetryBackoff < 0 {
		return errors.New("load bounds must not be negative")
	}
	return nil
}

func (c LoadConfig) withDefaults() LoadConfig {
	if c.Rate <= 0 {
		c.Rate = 20
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 8
	}
	if c.MaxWrites <= 0 {
		c.MaxWrites = 2000
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 5 * time.Second
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 100 * time.Millisecond
	}
	return c
}

// Attempt is one HTTP request of a write.
type Attempt struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Status is the HTTP status, 0 when no response arrived.
	Status int `json:"status"`
	// Code is the API's error code ("region_passive"), or a short reason
	// when no response arrived ("timeout", "connection").
	Code string `json:"code,omitempty"`
	// Region is the region the front door sent the request to.
	Region string `json:"region,omitempty"`
}

// OK reports whether the attempt was acknowledged (2xx).
func (a Attempt) OK() bool { return a.Status >= 200 && a.Status < 300 }

// Label names the outcome for the error tally: "503 region_passive".
func (a Attempt) Label() string {
	if a.Status == 0 {
		return "no response (" + a.Code + ")"
	}
	if a.Code == "" {
		return strconv.Itoa(a.Status)
	}
	return strconv.Itoa(a.Status) + " " + a.Code
}

// Write is one create sent by the load generator: one idempotency key,
// retried with the same key until acknowledged or the load ends.
type Write struct {
	Key      string    `json:"key"`
	Task     string    `json:"task"`
	Attempts []Attempt `json:"attempts"`
	// Acked is true when an attempt got a 2xx; ID, Region and ETag are
	// from it.
	Acked  bool   `json:"acked"`
	ID     int64  `json:"id,omitempty"`
	Region string `json:"region,omitempty"`
	ETag   string `json:"etag,omitempty"`
	// ReadBack is the status of reading the todo back through the front
	// door after the acknowledgement (0 when not acknowledged).
	ReadBack int `json:"readBack,omitempty"`
}

// Update is one update the load sent before the switch: a PUT of the
// todo's status with If-Match its last acknowledged ETag, one attempt (a
// retry could not tell its own earlier success from another write).
type Update struct {
	Key     string  `json:"key"`
	ID      int64   `json:"id"`
	IfMatch string  `json:"ifMatch,omitempty"`
	Attempt Attempt `json:"attempt"`
	// ETag and Version are the acknowledged write's (2xx only).
	ETag    string `json:"etag,omitempty"`
	Version int64  `json:"version,omitempty"`
}

// LoadResult is everything a Load sent and what it got back.
type LoadResult struct {
	// Writes are the creates, Updates the updates before the switch.
	Writes  []Write
	Updates []Update
	// SwitchAt is when MarkSwitch was called (zero if it was not).
	SwitchAt time.Time
	// Conditional are the writes after the switch with ETags from before
	// it, Reads the reads in the target region (AfterSwitch, MarkSwitch).
	Conditional []CondWrite
	Reads       []Read
}

// tracked is a todo the load created and knows the state of: its id from
// the acknowledged create, and the ETag of its last acknowledged write.
type tracked struct {
	key, task string
	id        int64
	ackAt     time.Time
	ackRegion string
	etag      string
	version   int64
	status    todo.Status
	// written is when its last acknowledged write ended.
	written time.Time
	// busy is true while a write to it is in flight; uncertain once a
	// write got no answer (it may have been applied): it is not updated
	// again, since its ETag may be stale.
	busy, uncertain bool
}

// Load writes through the front door at a bounded rate: each create is a
// POST /v1/todos with a fresh Idempotency-Key whose task carries the key,
// retried with the SAME key until acknowledged or the load is stopped,
// then read back with GET /v1/todos/{id}. Until MarkSwitch it also updates
// the todos it created, each with If-Match its last acknowledged ETag;
// after it, see MarkSwitch and AfterSwitch. It talks to loopback only,
// through apiclient; what it keeps of each call is an Attempt.
type Load struct {
	cfg    LoadConfig
	prefix string
	// http is shared by api (the front door) and the reads in the target
	// region, each call bounded by AttemptTimeout.
	http *http.Client
	api  *apiclient.Client

	stopIssue   chan struct{}
	issued      chan struct{}
	stopUpdates chan struct{}
	updated     chan struct{}
	stopOnce    sync.Once
	stopReads   chan struct{}
	retryCtx    context.Context
	cancel      context.CancelFunc
	wg          sync.WaitGroup // creates in flight
	uwg         sync.WaitGroup // updates in flight
	cwg         sync.WaitGroup // the conditional writes after the switch
	rwg         sync.WaitGroup // the reader in the target region

	mu       sync.Mutex
	writes   []*Write
	todos    []*tracked // acknowledged creates, in the order of their acknowledgements
	updates  []Update
	switchAt time.Time
	before   []*tracked // the todos acknowledged before the switch
	conds    []CondWrite
	reads    []Read
}

// TaskPrefix is the start of every task the load generator writes; the
// key follows it, so a stored todo names the key that created it.
const TaskPrefix = "drill "

// StartLoad starts writing to frontDoor (a loopback base URL). Keys are
// prefix-<n>. The load runs until Stop, or until ctx ends, which also ends
// the retries of the writes in progress.
func StartLoad(ctx context.Context, frontDoor, prefix string, cfg LoadConfig) (*Load, error) {
	u, err := url.Parse(frontDoor)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("the load generator only talks to loopback, not %q", u.Host)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	hc := &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: cfg.MaxInFlight * 2,
		IdleConnTimeout:     10 * time.Second,
	}}
	l := &Load{
		cfg: cfg, prefix: prefix, http: hc,
		api:         loadClient(frontDoor, hc, cfg),
		stopIssue:   make(chan struct{}),
		issued:      make(chan struct{}),
		stopUpdates: make(chan struct{}),
		updated:     make(chan struct{}),
		stopReads:   make(chan struct{}),
	}
	// Retries end with ctx too: after Ctrl-C, Stop must not spend its
	// settle time retrying against a lab that is about to be removed.
	l.retryCtx, l.cancel = context.WithCancel(ctx)
	go l.issue(ctx)
	go l.updateLoop(ctx)
	return l, nil
}

func (l *Load) issue(ctx context.Context) {
	defer close(l.issued)
	sem := make(chan struct{}, l.cfg.MaxInFlight)
	tick := time.NewTicker(time.Duration(float64(time.Second) / l.cfg.Rate))
	defer tick.Stop()
	for n := 1; n <= l.cfg.MaxWrites; n++ {
		select {
		case <-ctx.Done():
			return
		case <-l.stopIssue:
			return
		case <-tick.C:
		}
		select {
		case <-ctx.Done():
			return
		case <-l.stopIssue:
			return
		case sem <- struct{}{}:
		}
		key := fmt.Sprintf("%s-%d", l.prefix, n)
		w := &Write{Key: key, Task: TaskPrefix + key}
		l.mu.Lock()
		l.writes = append(l.writes, w)
		l.mu.Unlock()
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer func() { <-sem }()
			l.run(w)
		}()
	}
}

// loadClient is an API client of base for the load: its HTTP client, each
// call bounded by the attempt timeout.
func loadClient(base string, hc *http.Client, cfg LoadConfig) *apiclient.Client {
	return &apiclient.Client{BaseURL: base, HTTP: hc, Timeout: cfg.AttemptTimeout}
}

// run sends w until acknowledged or the load's retries are cancelled.
func (l *Load) run(w *Write) {
	for {
		a, t, etag := l.create(w)
		id := t.ID
		l.mu.Lock()
		w.Attempts = append(w.Attempts, a)
		if a.OK() {
			w.Acked, w.ID, w.Region, w.ETag = true, id, a.Region, etag
			l.todos = append(l.todos, &tracked{key: w.Key, task: w.Task, id: id, ackAt: a.End, ackRegion: a.Region,
				etag: etag, version: t.Version, status: t.Status, written: a.End})
		}
		l.mu.Unlock()
		if a.OK() {
			rb := l.readBack(id)
			l.mu.Lock()
			w.ReadBack = rb
			l.mu.Unlock()
			return
		}
		if a.Status >= 400 && a.Status < 500 && a.Status != http.StatusTooManyRequests {
			return // retrying a rejected request cannot help
		}
		select {
		case <-l.retryCtx.Done():
			return
		case <-time.After(l.cfg.RetryBackoff):
		}
	}
}

// create sends one attempt of w and returns the todo and ETag it got.
func (l *Load) create(w *Write) (Attempt, apiclient.Todo, string) {
	start := time.Now()
	t, r, err := l.api.Create(l.retryCtx, apiclient.NewTodo{Task: w.Task}, w.Key)
	a := attemptOf(start, r, err)
	if errors.Is(err, apiclient.ErrUndecodable) {
		a.Status, a.Code = 0, "undecodable 2xx body"
	}
	if !a.OK() {
		return a, apiclient.Todo{}, ""
	}
	return a, t, r.ETag
}

// attemptOf records one call that started at start and ended now: its
// status and region, the API's error code of an error answer, or (no
// answer: status 0) a short reason. An undecodable 2xx answer keeps its
// status; the caller decides what it means.
func attemptOf(start time.Time, r apiclient.Response, err error) Attempt {
	a := Attempt{Start: start, End: time.Now(), Status: r.Status, Region: r.Region}
	var ae *apiclient.Error
	switch {
	case err == nil, errors.Is(err, apiclient.ErrUndecodable):
	case errors.As(err, &ae):
		a.Code = string(ae.Code)
	default:
		a.Status, a.Code = 0, transportReason(err)
	}
	return a
}

// nextStatus is the status an update moves a todo to.
func nextStatus(s todo.Status) todo.Status {
	switch s {
	case todo.StatusTodo:
		return todo.StatusWIP
	case todo.StatusWIP:
		return todo.StatusDone
	default:
		return todo.StatusTodo
	}
}

// updateLoop updates, at the load's rate, the todos created so far, the
// one written longest ago first, until MarkSwitch or Stop: each update a
// PUT with If-Match the todo's last acknowledged ETag. When replication
// was cut before a fault, the updates the old writer acknowledged during
// the cut are lost; since the oldest todos are updated first, most of
// them are updates of todos whose create did replicate, the case in which
// the new writer can reach the lost update's version with another write.
// The conditional writes after the switch send their ETags again.
func (l *Load) updateLoop(ctx context.Context) {
	defer close(l.updated)
	sem := make(chan struct{}, l.cfg.MaxInFlight)
	tick := time.NewTicker(time.Duration(float64(time.Second) / l.cfg.Rate))
	defer tick.Stop()
	for n := 0; n < l.cfg.MaxWrites; {
		select {
		case <-ctx.Done():
			return
		case <-l.stopUpdates:
			return
		case <-tick.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			continue // as many updates in flight as allowed: skip this tick
		}
		t := l.pickIdle()
		if t == nil {
			<-sem
			continue
		}
		n++
		l.uwg.Add(1)
		go func() {
			defer l.uwg.Done()
			defer func() { <-sem }()
			l.update(t)
		}()
	}
}

// pickIdle returns the todo written longest ago that has no write in
// flight and a known ETag, marked busy; nil when none.
func (l *Load) pickIdle() *tracked {
	l.mu.Lock()
	defer l.mu.Unlock()
	var pick *tracked
	for _, t := range l.todos {
		if !t.busy && !t.uncertain && t.etag != "" && (pick == nil || t.written.Before(pick.written)) {
			pick = t
		}
	}
	if pick != nil {
		pick.busy = true
	}
	return pick
}

// update sends one conditional update of t's status.
func (l *Load) update(t *tracked) {
	l.mu.Lock()
	if !l.switchAt.IsZero() {
		// MarkSwitch came between the pick and this goroutine: an update
		// starts before the switch or not at all. The start is taken
		// under the lock MarkSwitch sets switchAt under.
		t.busy = false
		l.mu.Unlock()
		return
	}
	ifMatch, status, start := t.etag, nextStatus(t.status), time.Now()
	l.mu.Unlock()
	u, st := l.put(t, ifMatch, status, start)
	l.mu.Lock()
	defer l.mu.Unlock()
	t.busy = false
	t.written = u.Attempt.End
	if u.Attempt.OK() {
		t.etag, t.version, t.status = u.ETag, u.Version, st
	} else if !refusedUnapplied(u.Attempt) {
		// It may have been applied (no answer, a deadline), or the load's
		// own ETag was refused (something it does not know of changed
		// the todo): its ETag may be stale from now on.
		t.uncertain = true
	}
	l.updates = append(l.updates, u)
}

// refusedUnapplied reports whether a failed write certainly changed
// nothing: a 4xx other than 412 (the request itself was refused), or 503
// region_passive (the server is read-only, or creates are fenced). A 503
// unavailable may come from a deadline after the commit.
func refusedUnapplied(a Attempt) bool {
	switch {
	case a.Status == http.StatusServiceUnavailable:
		return a.Code == "region_passive"
	case a.Status == http.StatusPreconditionFailed:
		return false
	default:
		return a.Status >= 400 && a.Status < 500
	}
}

// put sends one PUT of t's status, with If-Match ifMatch unless it is
// empty, and returns it as an Update whose attempt started at start.
func (l *Load) put(t *tracked, ifMatch string, status todo.Status, start time.Time) (Update, todo.Status) {
	got, r, err := l.api.Update(l.retryCtx, t.id, apiclient.Change{Status: &status}, ifMatch)
	u := Update{Key: t.key, ID: t.id, IfMatch: ifMatch, Attempt: attemptOf(start, r, err)}
	if u.Attempt.OK() {
		if err != nil || r.ETag == "" {
			u.Attempt.Status, u.Attempt.Code = 0, "undecodable 2xx answer"
			return u, status
		}
		u.ETag, u.Version = r.ETag, got.Version
	}
	return u, status
}

// readBack reads the todo back through the front door and returns the
// answer's status, 0 when none came.
func (l *Load) readBack(id int64) int {
	_, r, _ := l.api.Get(l.retryCtx, id, "")
	return r.Status
}

func transportReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	default:
		return "connection"
	}
}

// haltUpdates stops starting updates (once) and waits for the update loop.
func (l *Load) haltUpdates() {
	l.stopOnce.Do(func() { close(l.stopUpdates) })
	<-l.updated
}

// Stop stops starting new creates and updates, lets the writes in
// progress (and the conditional writes after the switch) go on for up to
// settle, then cancels what is left, stops the reads, and returns
// everything the load did.
func (l *Load) Stop(settle time.Duration) LoadResult {
	close(l.stopIssue)
	<-l.issued
	l.haltUpdates()
	done := make(chan struct{})
	go func() { l.wg.Wait(); l.uwg.Wait(); l.cwg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(settle):
		l.cancel()
		<-done
	}
	close(l.stopReads)
	l.rwg.Wait()
	l.cancel()
	l.http.CloseIdleConnections()
	l.mu.Lock()
	defer l.mu.Unlock()
	res := LoadResult{
		Writes:      make([]Write, len(l.writes)),
		Updates:     slices.Clone(l.updates),
		SwitchAt:    l.switchAt,
		Conditional: slices.Clone(l.conds),
		Reads:       slices.Clone(l.reads),
	}
	for i, w := range l.writes {
		res.Writes[i] = *w
		res.Writes[i].Attempts = slices.Clone(w.Attempts)
	}
	return res
}
