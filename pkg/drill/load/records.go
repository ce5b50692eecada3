package load

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
)

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

// Result is everything a Generator sent and what it got back.
type Result struct {
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

// AttemptOf records one call that started at start and ended now: its
// status and region, the API's error code of an error answer, or (no
// answer: status 0) a short reason. An undecodable 2xx answer keeps its
// status; the caller decides what it means.
func AttemptOf(start time.Time, r apiclient.Response, err error) Attempt {
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
