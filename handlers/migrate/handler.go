package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/cfn"
)

// PhysicalResourceID names the Custom::Migration resource. It never
// changes, so an Update never makes CloudFormation delete "the old one".
const PhysicalResourceID = "todomgmt-schema-migrations"

// Result is what a run reports: the direct invoke's answer, and the
// custom resource's Data.
type Result struct {
	// Status is "ok", or "skipped" in a region without a writer (the
	// secondary region), where there is nothing to do.
	Status string `json:"status"`
	// Message says what happened in a sentence.
	Message string `json:"message"`
	// Applied lists every recorded migration version; NewlyApplied those
	// this run applied.
	Applied      []int `json:"applied"`
	NewlyApplied []int `json:"newlyApplied"`
	// AppUser is the application user created or updated, if any.
	AppUser string `json:"appUser,omitempty"`
}

// runFunc does the work: migrations and the application user.
type runFunc func(ctx context.Context) (Result, error)

// purgeFunc deletes expired idempotency keys.
type purgeFunc func(ctx context.Context) (PurgeResult, error)

// handler answers the two kinds of invocation: CloudFormation custom
// resource events, and direct invokes with {"action": ...}.
type handler struct {
	run   runFunc
	purge purgeFunc
	// fence runs the id fence (fence-ids); main sets it.
	fence fenceFunc
	// fenceState reads the id fence (fence-state); main sets it.
	fenceState fenceStateFunc
	client     *http.Client
	log        *slog.Logger
	// reserve is the time kept back from the invocation deadline to send
	// the custom resource response: without it CloudFormation waits an
	// hour for a function that timed out.
	reserve time.Duration
	// retryWait is the pause between attempts to send the response.
	retryWait time.Duration
}

func newHandler(run runFunc, purge purgeFunc, log *slog.Logger) *handler {
	return &handler{
		run:       run,
		purge:     purge,
		client:    &http.Client{Timeout: 10 * time.Second},
		log:       log,
		reserve:   10 * time.Second,
		retryWait: time.Second,
	}
}

// invocation holds the fields that tell the two event kinds apart.
type invocation struct {
	RequestType string          `json:"RequestType"`
	ResponseURL string          `json:"ResponseURL"`
	Action      string          `json:"action"`
	Fence       json.RawMessage `json:"fence"`
}

// Handle is the Lambda handler.
func (h *handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var inv invocation
	if err := json.Unmarshal(raw, &inv); err != nil {
		return nil, fmt.Errorf("event is not a JSON object: %w", err)
	}
	if inv.RequestType != "" || inv.ResponseURL != "" {
		var ev cfn.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("custom resource event: %w", err)
		}
		return h.customResource(ctx, ev)
	}
	switch strings.ToLower(strings.TrimSpace(inv.Action)) {
	case "create_table", "migrate":
		h.log.InfoContext(ctx, "direct invoke", "action", inv.Action)
		res, err := bounded(ctx, ctx, h.run)
		if err != nil {
			h.log.ErrorContext(ctx, "migration failed", "err", err)
			return nil, err
		}
		h.log.InfoContext(ctx, "migration done", "status", res.Status, "applied", res.Applied, "newlyApplied", res.NewlyApplied)
		return res, nil
	case "purge-idempotency-keys":
		h.log.InfoContext(ctx, "direct invoke", "action", inv.Action)
		res, err := bounded(ctx, ctx, h.purge)
		if err != nil {
			h.log.ErrorContext(ctx, "purge failed", "err", err)
			return nil, err
		}
		h.log.InfoContext(ctx, "purge done", "status", res.Status, "deleted", res.Deleted, "cutoff", res.Cutoff)
		return res, nil
	case "fence-ids":
		req, err := parseFence(inv.Fence)
		if err != nil {
			return nil, err
		}
		h.log.InfoContext(ctx, "direct invoke", "action", inv.Action, "region", req.Region, "dataLoss", req.DataLoss, "lagSeconds", req.LagSeconds, "minGap", req.MinGap)
		var fence func(context.Context) (FenceResponse, error)
		if h.fence != nil {
			fence = func(ctx context.Context) (FenceResponse, error) { return h.fence(ctx, req) }
		}
		res, err := bounded(ctx, ctx, fence)
		if err != nil {
			h.log.ErrorContext(ctx, "fence failed", "err", err)
			return nil, err
		}
		h.log.InfoContext(ctx, "fence done", "region", res.Region, "term", res.Term, "skipped", res.Skipped, "floor", res.Floor, "gap", res.Gap, "reason", res.Reason)
		return res, nil
	case "fence-state":
		// A read: it takes nothing, and a fence given by mistake is not
		// silently ignored.
		if len(inv.Fence) > 0 {
			return nil, errors.New(`fence-state reads the fence and takes no "fence": to fence, use {"action":"fence-ids"}`)
		}
		h.log.InfoContext(ctx, "direct invoke", "action", inv.Action)
		res, err := bounded(ctx, ctx, h.fenceState)
		if errors.Is(err, errNotConfigured) || errors.Is(err, errPanicked) {
			h.log.ErrorContext(ctx, "fence read failed", "err", err)
			return nil, err
		}
		if err != nil {
			// Said in the answer and logged as a warning: a read-only
			// look at a database that does not answer must not set off
			// the function's error alarms.
			h.log.WarnContext(ctx, "fence unreadable", "err", err)
			return FenceStateResponse{Unread: err.Error()}, nil
		}
		h.log.InfoContext(ctx, "fence read", "region", res.Region, "term", res.Term, "endpoint", res.Endpoint)
		return res, nil
	case "":
		return nil, errors.New(`unknown event: want a CloudFormation custom resource event or {"action":"migrate"} (or "CREATE_TABLE", "purge-idempotency-keys", "fence-ids", "fence-state")`)
	default:
		return nil, fmt.Errorf("unknown action %q: want \"migrate\", \"CREATE_TABLE\", \"purge-idempotency-keys\", \"fence-ids\" or \"fence-state\"", inv.Action)
	}
}

// cfnResponse is the body CloudFormation expects at ResponseURL.
type cfnResponse struct {
	Status             cfn.StatusType    `json:"Status"`
	Reason             string            `json:"Reason,omitempty"`
	PhysicalResourceID string            `json:"PhysicalResourceId"`
	StackID            string            `json:"StackId"`
	RequestID          string            `json:"RequestId"`
	LogicalResourceID  string            `json:"LogicalResourceId"`
	Data               map[string]string `json:"Data,omitempty"`
}

// maxReason keeps the response well under CloudFormation's 4 KiB limit.
const maxReason = 1000

// customResource runs the request and always answers CloudFormation,
// whatever happened: error, panic, or a deadline about to pass.
func (h *handler) customResource(ctx context.Context, ev cfn.Event) (any, error) {
	if ev.ResponseURL == "" {
		return nil, errors.New("custom resource event without ResponseURL: cannot answer CloudFormation")
	}
	log := h.log.With("requestType", ev.RequestType, "logicalResourceId", ev.LogicalResourceID, "requestId", ev.RequestID)
	resp := cfnResponse{
		Status:             cfn.StatusSuccess,
		PhysicalResourceID: ev.PhysicalResourceID,
		StackID:            ev.StackID,
		RequestID:          ev.RequestID,
		LogicalResourceID:  ev.LogicalResourceID,
	}
	if resp.PhysicalResourceID == "" {
		resp.PhysicalResourceID = PhysicalResourceID
	}

	switch ev.RequestType {
	case cfn.RequestCreate, cfn.RequestUpdate:
		workCtx, cancel := h.workContext(ctx)
		res, err := bounded(ctx, workCtx, h.run)
		cancel()
		if err != nil {
			log.ErrorContext(ctx, "migration failed", "err", err)
			resp.Status = cfn.StatusFailed
			resp.Reason = truncate("migration failed: "+err.Error(), maxReason)
		} else {
			log.InfoContext(ctx, "migration done", "status", res.Status, "applied", res.Applied, "newlyApplied", res.NewlyApplied)
			resp.Reason = truncate(res.Message, maxReason)
			resp.Data = map[string]string{
				"Status":       res.Status,
				"Applied":      joinInts(res.Applied),
				"NewlyApplied": joinInts(res.NewlyApplied),
				"AppUser":      res.AppUser,
			}
		}
	case cfn.RequestDelete:
		// The schema holds the data: deleting the resource (or the stack,
		// or rolling back a failed create) must never drop it.
		log.InfoContext(ctx, "delete: nothing to do, the schema and data stay")
		resp.Reason = "nothing deleted: the schema and its data are kept"
	default:
		resp.Status = cfn.StatusFailed
		resp.Reason = truncate(fmt.Sprintf("unknown RequestType %q", ev.RequestType), maxReason)
	}

	if err := h.send(ctx, ev.ResponseURL, resp); err != nil {
		log.ErrorContext(ctx, "could not answer CloudFormation", "err", err, "responseHost", hostOf(ev.ResponseURL))
		return nil, err
	}
	log.InfoContext(ctx, "answered CloudFormation", "status", resp.Status)
	return resp, nil
}

// workContext ends reserve before ctx does, so a slow run still leaves
// time to answer. With little time left it keeps half for the answer.
func (h *handler) workContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	reserve := h.reserve
	if left := time.Until(deadline); left < 2*reserve {
		reserve = left / 2
	}
	return context.WithDeadline(ctx, deadline.Add(-reserve))
}

// errNotConfigured and errPanicked are bounded's own failures: a build
// without the action, and a panic in it (a bug, never an answer).
var (
	errNotConfigured = errors.New("this action is not configured in this build")
	errPanicked      = errors.New("panic")
)

// bounded runs fn with workCtx and returns when it finishes, panics or
// workCtx ends, whichever comes first. A run still going after its
// deadline is abandoned (its queries are cancelled with workCtx).
func bounded[T any](ctx, workCtx context.Context, fn func(context.Context) (T, error)) (T, error) {
	type outcome struct {
		res T
		err error
	}
	var zero T
	if fn == nil {
		return zero, errNotConfigured
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- outcome{err: fmt.Errorf("%w: %v", errPanicked, r)}
			}
		}()
		res, err := fn(workCtx)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-workCtx.Done():
		if errors.Is(workCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			return zero, errors.New("timed out: stopped early to leave time for the answer")
		}
		return zero, fmt.Errorf("stopped: %w", workCtx.Err())
	}
}

// send PUTs the response to the presigned URL, retrying a few times while
// ctx lasts. The URL is signed without a Content-Type, so none is sent.
func (h *handler) send(ctx context.Context, responseURL string, resp cfnResponse) error {
	body, err := json.Marshal(resp)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	const attempts = 3
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("send response: %w (last attempt: %v)", ctx.Err(), last)
			case <-time.After(h.retryWait * time.Duration(i)):
			}
		}
		if last = h.put(ctx, responseURL, body); last == nil {
			return nil
		}
	}
	return fmt.Errorf("send response after %d attempts: %w", attempts, last)
}

// put sends one attempt. Its errors name the URL's host only: net/http
// quotes the whole URL in a *url.Error, and the presigned query string is
// a credential that must not reach the logs.
func (h *handler) put(ctx context.Context, responseURL string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, responseURL, bytes.NewReader(body))
	if err != nil {
		return redactURL(err)
	}
	res, err := h.client.Do(req)
	if err != nil {
		return redactURL(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("response URL answered %s", res.Status)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}

// redactURL replaces the URL a *url.Error quotes with its host.
func redactURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		ue.URL = hostOf(ue.URL)
	}
	return err
}

// hostOf returns the host of a URL, for logs: the presigned query string
// is a credential.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Host
}
