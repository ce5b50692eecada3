package load

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Held is one todo as the writer holds it: read as root on the server in
// the lab, through the writer region's API in AWS.
type Held struct {
	ID      int64  `json:"id"`
	Task    string `json:"task"`
	Version int64  `json:"version"`
	Tag     uint64 `json:"tag"`
}

// ETag is the API's ETag of the write that made this version,
// "<version>-<write tag as 16 lower-case hex digits>"
// (docs/api.md#etags-and-conditional-requests).
func (h Held) ETag() string { return fmt.Sprintf(`"%d-%016x"`, h.Version, h.Tag) }

// Holding is what the writer held of the load's todos at one moment.
type Holding struct {
	At   time.Time
	ByID map[int64]Held
}

// ParseETag reads the version and the write tag out of one of the API's
// ETags, "<version>-<write tag as 16 lower-case hex digits>" in quotes;
// false when it is not one.
func ParseETag(etag string) (version int64, tag uint64, ok bool) {
	inner, ok := strings.CutPrefix(etag, `"`)
	if !ok {
		return 0, 0, false
	}
	inner, ok = strings.CutSuffix(inner, `"`)
	if !ok {
		return 0, 0, false
	}
	v, t, ok := strings.Cut(inner, "-")
	if !ok || len(t) != 16 {
		return 0, 0, false
	}
	tag, err := strconv.ParseUint(t, 16, 64)
	if err != nil {
		return 0, 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, 0, false
	}
	return n, tag, true
}

// etagVersion reads the version out of one of the API's ETags; false
// when it is not one.
func etagVersion(etag string) (int64, bool) {
	v, _, ok := ParseETag(etag)
	return v, ok
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
