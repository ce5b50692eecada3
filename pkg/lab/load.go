package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// MaxRate is the highest LoadConfig.Rate: the load generator is for a lab
// on one machine, and its ticker needs an interval of at least a
// millisecond.
const MaxRate = 1000

// LoadConfig bounds the load generator.
type LoadConfig struct {
	// Rate is the number of new writes started per second (20), at most
	// MaxRate.
	Rate float64
	// MaxInFlight bounds the writes in progress at once (8); when it is
	// reached, new writes wait.
	MaxInFlight int
	// MaxWrites bounds the writes one Load starts (2000).
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
	// Acked is true when an attempt got a 2xx; ID and Region are from it.
	Acked  bool   `json:"acked"`
	ID     int64  `json:"id,omitempty"`
	Region string `json:"region,omitempty"`
	// ReadBack is the status of reading the todo back through the front
	// door after the acknowledgement (0 when not acknowledged).
	ReadBack int `json:"readBack,omitempty"`
}

// Load writes through the front door at a bounded rate: each write is a
// POST /v1/todos with a fresh Idempotency-Key whose task carries the key,
// retried with the SAME key until acknowledged or the load is stopped,
// then read back with GET /v1/todos/{id}. It talks to loopback only.
type Load struct {
	cfg    LoadConfig
	base   string
	prefix string
	client *http.Client

	stopIssue chan struct{}
	issued    chan struct{}
	retryCtx  context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	mu     sync.Mutex
	writes []*Write
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
	l := &Load{
		cfg: cfg, base: frontDoor, prefix: prefix,
		client: &http.Client{
			Timeout: cfg.AttemptTimeout,
			Transport: &http.Transport{
				Proxy:               nil,
				MaxIdleConnsPerHost: cfg.MaxInFlight * 2,
				IdleConnTimeout:     10 * time.Second,
			},
		},
		stopIssue: make(chan struct{}),
		issued:    make(chan struct{}),
	}
	// Retries end with ctx too: after Ctrl-C, Stop must not spend its
	// settle time retrying against a lab that is about to be removed.
	l.retryCtx, l.cancel = context.WithCancel(ctx)
	go l.issue(ctx)
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

// run sends w until acknowledged or the load's retries are cancelled.
func (l *Load) run(w *Write) {
	body, _ := json.Marshal(map[string]string{"task": w.Task})
	for {
		a, id := l.attempt(body, w.Key)
		l.mu.Lock()
		w.Attempts = append(w.Attempts, a)
		if a.OK() {
			w.Acked, w.ID, w.Region = true, id, a.Region
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

// errorCode returns the API error code in an error response's body, ""
// when the body is not the API's error JSON (httpapi.ErrorBody).
func errorCode(raw []byte) string {
	var e httpapi.ErrorBody
	if json.Unmarshal(raw, &e) != nil {
		return ""
	}
	return string(e.Error.Code)
}

func (l *Load) attempt(body []byte, key string) (Attempt, int64) {
	a := Attempt{Start: time.Now()}
	req, err := http.NewRequestWithContext(l.retryCtx, http.MethodPost, l.base+"/v1/todos", bytes.NewReader(body))
	if err != nil {
		a.Code = "bad request"
		a.End = time.Now()
		return a, 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := l.client.Do(req)
	if err != nil {
		a.Code = transportReason(err)
		a.End = time.Now()
		return a, 0
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	a.End = time.Now()
	a.Status = resp.StatusCode
	a.Region = resp.Header.Get(RegionHeader)
	if !a.OK() {
		a.Code = errorCode(raw)
		return a, 0
	}
	var t todo.Todo
	if err := json.Unmarshal(raw, &t); err != nil || t.ID == 0 {
		a.Status, a.Code = 0, "undecodable 2xx body"
		return a, 0
	}
	return a, t.ID
}

func (l *Load) readBack(id int64) int {
	req, err := http.NewRequestWithContext(l.retryCtx, http.MethodGet, fmt.Sprintf("%s/v1/todos/%d", l.base, id), nil)
	if err != nil {
		return 0
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
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

// Stop stops starting new writes, lets the writes in progress retry for
// up to settle, then cancels what is left, and returns every write.
func (l *Load) Stop(settle time.Duration) []Write {
	close(l.stopIssue)
	<-l.issued
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(settle):
		l.cancel()
		<-done
	}
	l.cancel()
	l.client.CloseIdleConnections()
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Write, len(l.writes))
	for i, w := range l.writes {
		out[i] = *w
		out[i].Attempts = append([]Attempt(nil), w.Attempts...)
	}
	return out
}
