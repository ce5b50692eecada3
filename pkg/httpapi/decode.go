package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// readJSON decodes the body of r, a single JSON object, into dst (a pointer
// to a struct). Every way a body can be wrong is a 4xx *todo.Error with a
// message that names the problem: wrong Content-Type (415), too large (413),
// not UTF-8, not an object, malformed, trailing data, unknown fields, wrong
// types (400).
func readJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		switch {
		case err != nil:
			return todo.Errorf(codeUnsupportedMediaType, "Content-Type must be application/json; this one is malformed")
		case mt != "application/json":
			// curl -d sends application/x-www-form-urlencoded unless told otherwise.
			return todo.Errorf(codeUnsupportedMediaType, "Content-Type must be application/json, not %s", mt)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return todo.Errorf(codeTooLarge, "the request body is larger than %d bytes", MaxBodyBytes)
		}
		return todo.Wrap(err, todo.Invalid, "the request body could not be read")
	}
	if !utf8.Valid(body) {
		return todo.Errorf(todo.Invalid, "the request body must be UTF-8")
	}
	if trimmed := trimJSONSpace(body); len(trimmed) == 0 || trimmed[0] != '{' {
		return todo.Errorf(todo.Invalid, "the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if rest := trimJSONSpace(body[dec.InputOffset():]); len(rest) != 0 {
		return todo.Errorf(todo.Invalid, "the request body must hold one JSON object and nothing after it")
	}
	return nil
}

// decodeError turns an encoding/json error into an Invalid *todo.Error.
func decodeError(err error) error {
	if e, ok := errors.AsType[*todo.Error](err); ok {
		return e // from an UnmarshalJSON method, such as jsonID's
	}
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return todo.Wrap(err, todo.Invalid, fmt.Sprintf("malformed JSON at byte %d", e.Offset))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return todo.Wrap(err, todo.Invalid, "malformed JSON: the body ends too early")
	}
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && e.Field != "" {
		return todo.Wrap(err, todo.Invalid, fmt.Sprintf("%s must be %s, not %s", e.Field, kindName(e.Type), e.Value))
	}
	// encoding/json reports unknown fields only as text.
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return todo.Wrap(err, todo.Invalid, "unknown field "+field)
	}
	return todo.Wrap(err, todo.Invalid, "malformed JSON")
}

func kindName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	default:
		return "a " + t.Kind().String()
	}
}

// trimJSONSpace drops leading JSON whitespace (which is narrower than
// Unicode's).
func trimJSONSpace(b []byte) []byte {
	return bytes.TrimLeft(b, " \t\r\n")
}

// jsonID is a todo id in a JSON body. Clients send it as a number (1) or a
// string ("1"); zero, negatives, fractions, exponents, overflow,
// non-numbers and null are Invalid. Set tells whether the body had an id.
//
// It is a struct, not a pointer field, because encoding/json sets a nil
// pointer for null without calling UnmarshalJSON: {"id":null,"task":"a"}
// on POST /v1 would then create a todo instead of being refused. A non-
// pointer Unmarshaler does see the null.
type jsonID struct {
	ID  int64
	Set bool
}

func (id *jsonID) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return errNullID
	}
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return errBadID
		}
	}
	n, err := todo.ParseID(s)
	if err != nil {
		return errBadID
	}
	*id = jsonID{ID: n, Set: true}
	return nil
}

var (
	errBadID  = todo.Errorf(todo.Invalid, `id must be a positive integer, as a number (1) or a string ("1")`)
	errNullID = todo.Errorf(todo.Invalid, `id must be a positive integer, not null (leave id out to create)`)
)

// pathID is the {id} of the path.
func pathID(r *http.Request) (int64, error) {
	return todo.ParseID(r.PathValue("id"))
}

// query parses the query string strictly: a malformed one is Invalid,
// where url.URL.Query would drop the bad parts silently.
func query(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, todo.Wrap(err, todo.Invalid, "malformed query string")
	}
	return q, nil
}

// single returns the one value of the query parameter name ("" when it is
// absent), or Invalid when it is given more than once.
func single(q url.Values, name string) (string, bool, error) {
	switch vs := q[name]; len(vs) {
	case 0:
		return "", false, nil
	case 1:
		return vs[0], true, nil
	default:
		return "", false, todo.Errorf(todo.Invalid, "query parameter %s is given %d times; give it once", name, len(vs))
	}
}

// listQuery reads limit, cursor and status from q. An empty cursor means
// the first page, so a client may pass back an absent nextCursor as "".
func listQuery(q url.Values) (todo.ListQuery, error) {
	var lq todo.ListQuery
	limit, ok, err := single(q, "limit")
	if err != nil {
		return lq, err
	}
	if ok {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > todo.MaxLimit || strings.HasPrefix(limit, "+") {
			return lq, todo.Errorf(todo.Invalid, "limit must be an integer from 1 to %d", todo.MaxLimit)
		}
		lq.Limit = n
	}
	cursor, _, err := single(q, "cursor")
	if err != nil {
		return lq, err
	}
	if lq.After, err = todo.DecodeCursor(cursor); err != nil {
		return lq, todo.Errorf(todo.Invalid, "bad cursor: pass back the nextCursor of the previous page")
	}
	status, ok, err := single(q, "status")
	if err != nil {
		return lq, err
	}
	if ok {
		lq.Status = todo.Status(status)
		if err := todo.ValidateStatus(lq.Status); err != nil {
			return lq, err
		}
	}
	return lq, lq.Validate()
}

// header returns the one value of header name, ok == false when it is
// absent, or Invalid when it is given more than once.
func header(r *http.Request, name string) (string, bool, error) {
	switch vs := r.Header.Values(name); len(vs) {
	case 0:
		return "", false, nil
	case 1:
		return vs[0], true, nil
	default:
		return "", false, todo.Errorf(todo.Invalid, "header %s is given %d times; give it once", name, len(vs))
	}
}

// idempotencyKey returns the Idempotency-Key header, "" when absent.
func idempotencyKey(r *http.Request) (string, error) {
	key, ok, err := header(r, "Idempotency-Key")
	if err != nil || !ok {
		return "", err
	}
	if err := todo.ValidateIdempotencyKey(key); err != nil {
		return "", err
	}
	return key, nil
}

// ifMatch returns the condition of the If-Match header: nil when the header
// is absent or "*" (any revision), the revision a strong entity-tag names
// otherwise. A well-formed strong entity-tag that is not one of ours (the
// bare version "3" older releases sent, "abc", "0") names no write: it
// becomes the zero Revision, on which the condition fails with 412 (RFC
// 9110 §13.1.1: If-Match uses the strong comparison, and a tag that
// matches nothing is a false condition, never a guess). Weak tags never
// match under If-Match either, so they are refused as malformed rather
// than failing every time; so are lists and anything that is not an
// entity-tag.
func ifMatch(r *http.Request) (*todo.Revision, error) {
	v, ok, err := header(r, "If-Match")
	if err != nil || !ok {
		return nil, err
	}
	v = strings.TrimSpace(v)
	if v == "*" {
		return nil, nil
	}
	opaque, ok := strongETag(v)
	if !ok {
		return nil, todo.Errorf(todo.Invalid, `If-Match must be one ETag, such as "3-5f0c2e9d1a7b4c68", or *`)
	}
	rev, _ := parseETag(opaque) // not one of ours: the zero Revision
	return &rev, nil
}

// notModified reports whether the If-None-Match header of r matches the
// ETag of t (weak comparison, lists and "*" allowed). A malformed header
// matches nothing.
func notModified(r *http.Request, t todo.Todo) bool {
	current := etagOpaque(t)
	for _, v := range r.Header.Values("If-None-Match") {
		for tag := range strings.SplitSeq(v, ",") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			if tag == "*" {
				return true
			}
			if opaque, ok := strongETag(tag); ok && opaque == current {
				return true
			}
		}
	}
	return false
}

// etag is the ETag of the write that made t's current version:
// "<version>-<tag as 16 lower-case hex digits>", such as "3-5f0c2e9d1a7b4c68".
func etag(t todo.Todo) string {
	return `"` + etagOpaque(t) + `"`
}

func etagOpaque(t todo.Todo) string {
	return strconv.FormatInt(t.Version, 10) + "-" + fmt.Sprintf("%016x", t.Tag)
}

// strongETag returns the opaque-tag of a strong entity-tag (RFC 9110
// §8.8.3: a double-quoted string of etagc = %x21 / %x23-7E / obs-text).
func strongETag(tag string) (string, bool) {
	inner, ok := strings.CutPrefix(tag, `"`)
	if !ok {
		return "", false
	}
	inner, ok = strings.CutSuffix(inner, `"`)
	if !ok {
		return "", false
	}
	for i := 0; i < len(inner); i++ {
		if c := inner[i]; c < 0x21 || c == '"' || c == 0x7f {
			return "", false
		}
	}
	return inner, true
}

// parseETag reads the revision out of one of our opaque-tags, exactly as
// etag writes it: a positive decimal version without sign or leading
// zero, "-", 16 lower-case hex digits. Anything else is not ours.
func parseETag(opaque string) (todo.Revision, bool) {
	version, tag, ok := strings.Cut(opaque, "-")
	if !ok || len(tag) != 16 || version == "" || version[0] == '0' {
		return todo.Revision{}, false
	}
	v, err := todo.ParseID(version)
	if err != nil {
		return todo.Revision{}, false
	}
	for i := 0; i < len(tag); i++ {
		if c := tag[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return todo.Revision{}, false
		}
	}
	n, err := strconv.ParseUint(tag, 16, 64)
	if err != nil {
		return todo.Revision{}, false
	}
	return todo.Revision{Version: v, Tag: n}, true
}
