package todo

import (
	"context"
	"errors"
	"fmt"
)

// Code classifies an error. The set is closed: every adapter maps its
// failures onto one of these, and pkg/httpapi maps each to exactly one HTTP
// status in one function.
type Code string

// The error codes. Their string values appear in API error bodies.
const (
	// Invalid: the input breaks a rule (bad task, status, id, cursor, key).
	Invalid Code = "invalid"
	// NotFound: no todo has that id.
	NotFound Code = "not_found"
	// Conflict: the request clashes with existing state, such as an
	// idempotency key reused with a different request.
	Conflict Code = "conflict"
	// PreconditionFailed: the condition (If-Match) names a revision the
	// todo is not at.
	PreconditionFailed Code = "precondition_failed"
	// RegionPassive: this region's database is a read-only replica, or
	// (creates only) its writer was promoted but the id fence does not name
	// this region yet; writes must go to the active region or wait for the
	// failover to finish. Reads are still served.
	RegionPassive Code = "region_passive"
	// Unavailable: the database cannot be reached or did not answer in time.
	Unavailable Code = "unavailable"
	// Internal: anything else. Its cause is logged, never shown to clients.
	Internal Code = "internal"
)

// Error is the error type of the domain and its adapters. Message is safe
// to show to a client; Err is the cause, for logs only.
type Error struct {
	Code    Code
	Message string
	Err     error
}

// Errorf returns an *Error with the given code and a client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the given code and message whose cause is err.
func Wrap(err error, code Code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

func (e *Error) Error() string {
	switch {
	case e.Err == nil:
		return e.Message
	case e.Message == "":
		return e.Err.Error()
	default:
		return e.Message + ": " + e.Err.Error()
	}
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of the first *Error in err's chain. A deadline
// or cancellation without one is Unavailable: the caller ran out of time
// waiting for a dependency. Anything else is Internal.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return Unavailable
	}
	return Internal
}

// ErrorMessage returns a message for err that is safe to show to a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" && e.Code != Internal {
		return e.Message
	}
	switch ErrorCode(err) {
	case Unavailable:
		return "the database is unavailable; retry later"
	case RegionPassive:
		return "this region is passive and does not accept writes; retry against the active region"
	default:
		return "internal error"
	}
}
