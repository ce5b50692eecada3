// Package load is the drill's client-side load generator and the records
// it keeps: creates, updates, reads and conditional writes sent through a
// deployment's front door at a bounded rate, each call kept as an Attempt.
// The drill (pkg/drill) starts a Generator for each scenario, marks the
// switch, hands it what the writer held afterwards (a Holding) and
// analyses the Result; this package knows nothing of scenarios, reports
// or environments. It talks to the API only through pkg/apiclient.
package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// MaxRate is the highest Config.Rate: its ticker needs an interval of
// at least a millisecond, and a drill measures what clients see, not how
// much a deployment takes.
const MaxRate = 1000

// Config bounds the load generator.
type Config struct {
	// Rate is the number of new creates started per second (20), at most
	// MaxRate. The updates before the switch, the conditional writes
	// after it and the reads in the target region each run at the same
	// rate.
	Rate float64
	// MaxInFlight bounds the requests of each kind (creates, updates,
	// conditional writes) in progress at once (8); when it is reached,
	// new ones wait.
	MaxInFlight int
	// MaxWrites bounds the creates one Generator starts (2000), and
	// likewise its updates and its reads.
	MaxWrites int
	// AttemptTimeout bounds each HTTP attempt (5 s).
	AttemptTimeout time.Duration
	// RetryBackoff is the pause between attempts of one write (100 ms).
	RetryBackoff time.Duration
	// MaxDuration bounds how long one Generator starts requests (10
	// min): it stops by itself then, even if nobody calls Stop.
	MaxDuration time.Duration
}

// Validate reports a configuration the load generator refuses: a rate
// outside 1..MaxRate writes per second (0 takes the default) or a
// negative bound.
func (c Config) Validate() error {
	if math.IsNaN(c.Rate) || c.Rate < 0 || c.Rate > MaxRate || c.Rate > 0 && c.Rate < 1 {
		return fmt.Errorf("load rate %g writes/s: want 1 to %d", c.Rate, MaxRate)
	}
	if c.MaxInFlight < 0 || c.MaxWrites < 0 || c.AttemptTimeout < 0 || c.RetryBackoff < 0 || c.MaxDuration < 0 {
		return errors.New("load bounds must not be negative")
	}
	return nil
}

// WithDefaults returns c with each zero field set to its default (the
// values in parentheses above).
func (c Config) WithDefaults() Config {
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
	if c.MaxDuration <= 0 {
		c.MaxDuration = defaultMaxDuration
	}
	return c
}

// defaultMaxDuration is Config.MaxDuration's default.
const defaultMaxDuration = 10 * time.Minute

// expired reports whether the load has run for its MaxDuration: it starts
// no more requests.
func (l *Generator) expired() bool { return !time.Now().Before(l.deadline) }

// tracked is a todo the load created and knows the state of: its id from
// the acknowledged create, and the ETag of its last acknowledged write.
type tracked struct {
	key, task string
	id        int64
	etag      string
	status    todo.Status
	// written is when its last acknowledged write ended.
	written time.Time
	// busy is true while a write to it is in flight; uncertain once a
	// write got no answer (it may have been applied): it is not updated
	// again, since its ETag may be stale.
	busy, uncertain bool
}

// Generator writes through the front door at a bounded rate: each create
// is a POST /v1/todos with a fresh Idempotency-Key whose task carries the
// key, retried with the SAME key until acknowledged or the load is stopped,
// then read back with GET /v1/todos/{id}. Until MarkSwitch it also updates
// the todos it created, each with If-Match its last acknowledged ETag;
// after it, see MarkSwitch and AfterSwitch. It talks to the deployment
// only through apiclient (Access says where, and with which tokens);
// what it keeps of each call is an Attempt. It stops by itself after
// Config's bounds.
type Generator struct {
	cfg    Config
	access Access
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
	// writeCtx is what each write attempt is sent under: it ends
	// writeGrace after retryCtx (Ctrl-C, or Stop's settle running out),
	// so a write already sent gets its answer and the drill knows whether
	// it was stored, instead of abandoning a create the server then stores
	// after the clean-up has looked.
	writeCtx    context.Context
	cancelWrite context.CancelFunc
	// deadline is when the load stops starting requests by itself
	// (Config.MaxDuration after its start).
	deadline time.Time
	wg       sync.WaitGroup // creates in flight
	uwg      sync.WaitGroup // updates in flight
	cwg      sync.WaitGroup // the conditional writes after the switch
	rwg      sync.WaitGroup // the reader in the target region

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

// Access is how the load reaches a deployment's API.
type Access struct {
	// FrontDoor is the front door's base URL, where clients send
	// requests; APIs are the regional APIs' base URLs, by region.
	FrontDoor string
	APIs      map[string]string
	// Tokens supplies the access token every call sends; nil sends none
	// (the lab).
	Tokens apiclient.TokenSource
	// Remote lets the load reach a deployment on the network, over HTTPS
	// only, so that tokens never travel in clear text; without it (the
	// lab) it talks to loopback only.
	Remote bool
}

// check refuses a base URL the load must not send requests to.
func (a Access) check(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	ip := net.ParseIP(u.Hostname())
	loopback := ip != nil && ip.IsLoopback()
	switch {
	case loopback:
		return nil
	case !a.Remote:
		return fmt.Errorf("the load generator only talks to loopback, not %q", u.Host)
	case u.Scheme != "https":
		return fmt.Errorf("the load generator talks to a deployment over https only, not %q", base)
	}
	return nil
}

// Start starts writing through access's front door. Keys are
// prefix-<n>. The load runs until Stop, or until ctx ends, which also ends
// the retries of the writes in progress; it stops starting requests by
// itself after MaxWrites of each kind or MaxDuration.
func Start(ctx context.Context, access Access, prefix string, cfg Config) (*Generator, error) {
	if err := access.check(access.FrontDoor); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: cfg.MaxInFlight * 2,
		IdleConnTimeout:     10 * time.Second,
	}
	if access.Remote {
		tr.Proxy = http.ProxyFromEnvironment
		tr.TLSHandshakeTimeout = 10 * time.Second
		tr.ForceAttemptHTTP2 = true
	}
	hc := &http.Client{Transport: tr}
	l := &Generator{
		cfg: cfg, access: access, prefix: prefix, http: hc,
		stopIssue:   make(chan struct{}),
		issued:      make(chan struct{}),
		stopUpdates: make(chan struct{}),
		updated:     make(chan struct{}),
		stopReads:   make(chan struct{}),
		deadline:    time.Now().Add(cfg.MaxDuration),
	}
	l.api = l.client(access.FrontDoor)
	// Retries end with ctx too: after Ctrl-C, Stop must not spend its
	// settle time retrying against a lab that is about to be removed.
	l.retryCtx, l.cancel = context.WithCancel(ctx)
	l.writeCtx, l.cancelWrite = context.WithCancel(context.WithoutCancel(ctx))
	context.AfterFunc(l.retryCtx, func() { time.AfterFunc(writeGrace, l.cancelWrite) })
	go l.issue(ctx)
	go l.updateLoop(ctx)
	return l, nil
}

func (l *Generator) issue(ctx context.Context) {
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
		if l.expired() {
			return
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

// client is an API client of base for the load: its HTTP client and
// tokens, each call bounded by the attempt timeout.
func (l *Generator) client(base string) *apiclient.Client {
	return &apiclient.Client{BaseURL: base, HTTP: l.http, Tokens: l.access.Tokens, Timeout: l.cfg.AttemptTimeout}
}

// writeGrace is how long a write already sent may still take to answer
// once the load is interrupted or stopped: short, because after Ctrl-C
// mage waits 5 s in all, and the clean-up follows.
const writeGrace = time.Second

// run sends w until acknowledged or the load's retries are cancelled.
func (l *Generator) run(w *Write) {
	for {
		a, t, etag := l.create(w)
		id := t.ID
		l.mu.Lock()
		w.Attempts = append(w.Attempts, a)
		if a.OK() {
			w.Acked, w.ID, w.Region, w.ETag = true, id, a.Region, etag
			l.todos = append(l.todos, &tracked{key: w.Key, task: w.Task, id: id, etag: etag, status: t.Status, written: a.End})
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
func (l *Generator) create(w *Write) (Attempt, apiclient.Todo, string) {
	start := time.Now()
	t, r, err := l.api.Create(l.writeCtx, apiclient.NewTodo{Task: w.Task}, w.Key)
	a := AttemptOf(start, r, err)
	if errors.Is(err, apiclient.ErrUndecodable) {
		a.Status, a.Code = 0, "undecodable 2xx body"
	}
	if !a.OK() {
		return a, apiclient.Todo{}, ""
	}
	return a, t, r.ETag
}

// updateLoop updates, at the load's rate, the todos created so far, the
// one written longest ago first, until MarkSwitch or Stop: each update a
// PUT with If-Match the todo's last acknowledged ETag. When replication
// was cut before a fault, the updates the old writer acknowledged during
// the cut are lost; since the oldest todos are updated first, most of
// them are updates of todos whose create did replicate, the case in which
// the new writer can reach the lost update's version with another write.
// The conditional writes after the switch send their ETags again.
func (l *Generator) updateLoop(ctx context.Context) {
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
		if l.expired() {
			return
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
func (l *Generator) pickIdle() *tracked {
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
func (l *Generator) update(t *tracked) {
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
	u := l.put(t, ifMatch, status, start)
	l.mu.Lock()
	defer l.mu.Unlock()
	t.busy = false
	t.written = u.Attempt.End
	if u.Attempt.OK() {
		t.etag, t.status = u.ETag, status
	} else if !refusedUnapplied(u.Attempt) {
		// It may have been applied (no answer, a deadline), or the load's
		// own ETag was refused (something it does not know of changed
		// the todo): its ETag may be stale from now on.
		t.uncertain = true
	}
	l.updates = append(l.updates, u)
}

// put sends one PUT of t's status, with If-Match ifMatch unless it is
// empty, and returns it as an Update whose attempt started at start.
func (l *Generator) put(t *tracked, ifMatch string, status todo.Status, start time.Time) Update {
	got, r, err := l.api.Update(l.writeCtx, t.id, apiclient.Change{Status: &status}, ifMatch)
	u := Update{Key: t.key, ID: t.id, IfMatch: ifMatch, Attempt: AttemptOf(start, r, err)}
	if u.Attempt.OK() {
		if err != nil || r.ETag == "" {
			u.Attempt.Status, u.Attempt.Code = 0, "undecodable 2xx answer"
			return u
		}
		u.ETag, u.Version = r.ETag, got.Version
	}
	return u
}

// readBack reads the todo back through the front door and returns the
// answer's status, 0 when none came.
func (l *Generator) readBack(id int64) int {
	_, r, _ := l.api.Get(l.retryCtx, id, "")
	return r.Status
}

// haltUpdates stops starting updates (once) and waits for the update loop.
func (l *Generator) haltUpdates() {
	l.stopOnce.Do(func() { close(l.stopUpdates) })
	<-l.updated
}

// Stop stops starting new creates and updates, lets the writes in
// progress (and the conditional writes after the switch) go on for up to
// settle, then cancels what is left, stops the reads, and returns
// everything the load did.
func (l *Generator) Stop(settle time.Duration) Result {
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
	l.cancelWrite()
	l.http.CloseIdleConnections()
	l.mu.Lock()
	defer l.mu.Unlock()
	res := Result{
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

// What the load does across a switch: it stops updating
// at MarkSwitch (right before the fault, or before a planned switchover)
// and starts reading the todos it knows in the target region; once the
// orchestrator is done, AfterSwitch sends every todo acknowledged before
// the switch one conditional write, PUT or DELETE with If-Match the last
// ETag acknowledged before the switch, through the front door. What the
// new writer held then (a Holding, which the caller reads from the
// database itself) says which of those ETags name a write that was lost:
// such a write must get 412 (or 404 when the todo itself was lost), never
// a match.

// maxCatchUp bounds the catch-up writes of one todo.
const maxCatchUp = 10

// MarkSwitch marks the start of a switch: call it right before the fault,
// or before a planned switchover. The load stops starting updates,
// remembers the todos acknowledged so far (AfterSwitch writes to them),
// and from now until Stop reads the todos it knows, in turn and at its
// rate, straight from the target region's API at targetAPI (a base URL
// the Access allows: loopback, or https with Access.Remote). It returns
// the time it marked.
func (l *Generator) MarkSwitch(targetAPI string) (time.Time, error) {
	if err := l.access.check(targetAPI); err != nil {
		return time.Time{}, err
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
func (l *Generator) AwaitUpdates() {
	l.haltUpdates()
	done := make(chan struct{})
	go func() { l.uwg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(l.cfg.AttemptTimeout + time.Second):
	}
}

// IDs returns the ids of the todos whose create was acknowledged so far.
func (l *Generator) IDs() []int64 {
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
func (l *Generator) AfterSwitch(held Holding) {
	l.mu.Lock()
	before := slices.Clone(l.before)
	l.mu.Unlock()
	l.cwg.Add(1)
	go func() {
		defer l.cwg.Done()
		l.conditional(before, held)
	}()
}

func (l *Generator) conditional(before []*tracked, held Holding) {
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
		if l.expired() {
			return
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
func (l *Generator) condWrite(t *tracked, method string, h Holding) CondWrite {
	l.mu.Lock()
	etag, status := t.etag, t.status
	l.mu.Unlock()
	c := CondWrite{Key: t.key, ID: t.id, Method: method, IfMatch: etag, Class: classify(t.id, t.task, etag, h)}
	if held, ok := h.ByID[t.id]; ok {
		c.Held, c.Expect, c.ExpectKnown = held.ETag(), held.ETag(), true
		if v, vok := etagVersion(etag); c.Class == ETagLost && held.Task == t.task && vok {
			for cur := held.Version; cur < v && len(c.CatchUp) < maxCatchUp; {
				status = nextStatus(status)
				u := l.put(t, "", status, time.Now())
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
		r, err := l.api.Delete(l.writeCtx, t.id, etag)
		c.Attempt = AttemptOf(start, r, err)
	} else {
		next := nextStatus(status)
		_, r, err := l.api.Update(l.writeCtx, t.id, apiclient.Change{Status: &next}, etag)
		c.Attempt = AttemptOf(start, r, err)
	}
	return c
}

// readLoop reads the todos the load knows, in turn, from the target
// region's API until Stop, at most MaxWrites reads.
func (l *Generator) readLoop(target string) {
	defer l.rwg.Done()
	api := l.client(target)
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
		if l.expired() {
			return
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
		r.Attempt = AttemptOf(start, resp, err)
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
