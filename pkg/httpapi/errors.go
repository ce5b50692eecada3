package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Codes of the HTTP layer. The domain's set (pkg/todo) is closed; these
// describe requests that never reach the domain: a missing OAuth scope, a
// method the path does not have, a body of the wrong type or size.
const (
	codeForbidden            todo.Code = "forbidden"
	codeMethodNotAllowed     todo.Code = "method_not_allowed"
	codeTooLarge             todo.Code = "too_large"
	codeUnsupportedMediaType todo.Code = "unsupported_media_type"
)

// statusFor is the one mapping from error codes to HTTP statuses.
func statusFor(code todo.Code) int {
	switch code {
	case todo.Invalid:
		return http.StatusBadRequest
	case todo.NotFound:
		return http.StatusNotFound
	case todo.Conflict:
		return http.StatusConflict
	case todo.PreconditionFailed:
		return http.StatusPreconditionFailed
	case todo.RegionPassive, todo.Unavailable:
		return http.StatusServiceUnavailable
	case codeForbidden:
		return http.StatusForbidden
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case codeTooLarge:
		return http.StatusRequestEntityTooLarge
	case codeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	default:
		return http.StatusInternalServerError
	}
}

// ErrorBody is the JSON of every error response:
// {"error":{"code":"not_found","message":"…","requestId":"…"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of an error response.
type ErrorDetail struct {
	Code      todo.Code `json:"code"`
	Message   string    `json:"message"`
	RequestID string    `json:"requestId"`
}

// detailOf returns the client-safe description of err.
func detailOf(err error, requestID string) ErrorDetail {
	code := todo.ErrorCode(err)
	if statusFor(code) == http.StatusInternalServerError {
		// An unknown code is an internal failure too, and its message may
		// carry the cause.
		return ErrorDetail{Code: todo.Internal, Message: "internal error", RequestID: requestID}
	}
	return ErrorDetail{Code: code, Message: todo.ErrorMessage(err), RequestID: requestID}
}

// writeError renders err and returns the status it wrote. Internal causes
// stay out of the body: todo.ErrorMessage gives "internal error" for them.
func (s *server) writeError(w http.ResponseWriter, requestID string, err error) int {
	d := detailOf(err, requestID)
	status := errorStatus(w, d)
	if werr := writeJSON(w, status, ErrorBody{Error: d}); werr != nil {
		// Encoding a struct of strings cannot fail; if it ever does, the
		// status still goes out.
		w.WriteHeader(status)
	}
	return status
}

// errorStatus returns the status of an error response about d and sets
// the header that goes with it: Retry-After on a 503.
func errorStatus(w http.ResponseWriter, d ErrorDetail) int {
	status := statusFor(d.Code)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
	}
	return status
}

// logError logs a failed request: server-side failures at Error level with
// their cause, client errors at Info level.
func (s *server) logError(r *http.Request, requestID string, status int, err error, elapsed time.Duration) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(r.Context(), level, "request failed",
		slog.String("requestId", requestID),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.String("code", string(detailOf(err, requestID).Code)),
		slog.String("cause", err.Error()),
		slog.Duration("elapsed", elapsed),
	)
}

// writeJSON encodes v into a buffer first, so that a failed encode cannot
// turn into a half-written 200, then writes status, headers and body.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return todo.Wrap(err, todo.Internal, "")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}
