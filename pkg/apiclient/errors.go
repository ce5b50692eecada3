package apiclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// ErrorBody is the JSON of every error answer of the API:
// {"error":{"code":"not_found","message":"…","requestId":"…"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of an error answer. Code is one of the
// domain's codes (pkg/todo) or one of the HTTP layer's (forbidden,
// method_not_allowed, too_large, unsupported_media_type).
type ErrorDetail struct {
	Code      todo.Code `json:"code"`
	Message   string    `json:"message"`
	RequestID string    `json:"requestId"`
}

// Error is an answer the call did not want: any status outside 2xx (304
// is not an error for a Get with If-None-Match). Code and Message come
// from the API's error body, or from API Gateway's {"message": "..."}
// (Code empty then); Body keeps the start of any other body (a proxy's
// page).
type Error struct {
	Response
	Code    todo.Code
	Message string
	Body    string
}

func (e *Error) Error() string {
	s := StatusLine(e.Status)
	switch {
	case e.Code != "":
		s += " " + string(e.Code) + ": " + e.Message
	case e.Message != "":
		s += ": " + e.Message
	case e.Body != "":
		s += " " + e.Body
	}
	return s
}

// StatusLine renders a status code as a status line does: "503 Service
// Unavailable".
func StatusLine(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

// apiError builds the *Error of an unwanted answer.
func apiError(r Response, raw []byte) *Error {
	e := &Error{Response: r}
	var body struct {
		Error *ErrorDetail `json:"error"`
		// API Gateway's own answers (401, 403, 429, 504) say only this.
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &body) == nil {
		switch {
		case body.Error != nil && body.Error.Code != "":
			e.Code, e.Message = body.Error.Code, body.Error.Message
			if e.RequestID == "" {
				e.RequestID = body.Error.RequestID
			}
			return e
		case body.Message != "":
			e.Message = body.Message
			return e
		}
	}
	e.Body = string(bytes.TrimSpace(raw[:min(len(raw), 200)]))
	return e
}

// ErrUndecodable is wrapped by the error of a 2xx answer whose body is not
// what the call expects (not JSON, or a todo without the id asked for).
var ErrUndecodable = errors.New("undecodable answer")

func undecodable(r Response, what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w: %s: %v", StatusLine(r.Status), ErrUndecodable, what, err)
	}
	return fmt.Errorf("%s: %w: %s", StatusLine(r.Status), ErrUndecodable, what)
}

// ErrorCode returns the API's error code of err: the Code of an *Error in
// its chain, "" for any other error (no answer, an undecodable one).
func ErrorCode(err error) todo.Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// StatusOf returns the HTTP status of the *Error in err's chain, 0 when
// there is none.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}
