// Package todo is the domain of ToDoMgmt: the Todo type, its validation
// rules, the closed set of error codes, and the Service that stores todos.
//
// It imports no SQL, AWS, Lambda or HTTP code. Adapters (pkg/mysql,
// pkg/inmem, pkg/httpapi) depend on it, never the other way round.
package todo

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is the state of a todo.
type Status string

// The statuses a todo can have.
const (
	StatusTodo Status = "todo"
	StatusWIP  Status = "wip"
	StatusDone Status = "done"
)

// Limits on input.
const (
	// MaxTaskLength is the longest task, in characters (Unicode code points,
	// which is how MySQL counts utf8mb4 VARCHAR length).
	MaxTaskLength = 200
	// MaxIdempotencyKeyLength is the longest accepted Idempotency-Key.
	MaxIdempotencyKeyLength = 128
	// DefaultLimit is the page size when a list does not ask for one.
	DefaultLimit = 50
	// MaxLimit is the largest page size a list may ask for.
	MaxLimit = 100
)

// Todo is one item of work.
type Todo struct {
	ID        int64     `json:"id"`
	Task      string    `json:"task"`
	Status    Status    `json:"status"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Version starts at 1 and grows by one with every update.
	Version int64 `json:"version"`
	// Tag is the random 64-bit tag of the write (create or update) that
	// made this version. With the version it names that one write (a
	// Revision): the API sends both as the ETag and checks If-Match
	// against both, so a write lost in a failover can never share an ETag
	// with a later write that reuses its version number. It is not part of
	// the JSON body.
	Tag uint64 `json:"-"`
}

// Revision returns the revision t is at.
func (t Todo) Revision() Revision {
	return Revision{Version: t.Version, Tag: t.Tag}
}

// Revision names one write of a todo: the version it made and its tag.
// The zero Revision names no write: conditions on it always fail. The API
// passes it for a well-formed entity-tag that is not one of ours (such as
// the bare version number older releases sent as the ETag).
type Revision struct {
	Version int64
	Tag     uint64
}

// Matches reports whether t is at exactly revision r.
func (r Revision) Matches(t Todo) bool {
	return r.Version > 0 && r.Version == t.Version && r.Tag == t.Tag
}

// NewTag returns a random, non-zero write tag from crypto/rand.
func NewTag() uint64 {
	var b [8]byte
	for {
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
		if tag := binary.BigEndian.Uint64(b[:]); tag != 0 {
			return tag
		}
	}
}

// Draft is the content of a new todo.
type Draft struct {
	Task   string
	Status Status // empty means StatusTodo
}

// Normalize returns d with defaults applied.
func (d Draft) Normalize() Draft {
	if d.Status == "" {
		d.Status = StatusTodo
	}
	return d
}

// Validate reports whether d (after Normalize) may be stored. It returns an
// Invalid *Error naming the first broken rule.
func (d Draft) Validate() error {
	d = d.Normalize()
	if err := ValidateTask(d.Task); err != nil {
		return err
	}
	return ValidateStatus(d.Status)
}

// Fingerprint identifies the content of a create request, so that a replay
// with the same Idempotency-Key can be told apart from a different request
// reusing the key. It is a hex SHA-256 of the normalized draft.
func (d Draft) Fingerprint() string {
	d = d.Normalize()
	sum := sha256.Sum256([]byte(string(d.Status) + "\x00" + d.Task))
	return hex.EncodeToString(sum[:])
}

// CreateRequest asks a Service to create a todo.
type CreateRequest struct {
	Draft
	// IdempotencyKey, when set, makes the create safe to retry: the first
	// request with a key creates the todo, later ones with the same key and
	// the same Draft get the first response back, and a different Draft
	// with the same key is a Conflict.
	IdempotencyKey string
}

// Validate checks the draft and the idempotency key.
func (r CreateRequest) Validate() error {
	if err := r.Draft.Validate(); err != nil {
		return err
	}
	if r.IdempotencyKey != "" {
		return ValidateIdempotencyKey(r.IdempotencyKey)
	}
	return nil
}

// Created is the result of a create.
type Created struct {
	// Todo is the todo as it was when first created, also on a replay.
	Todo Todo
	// Replayed is true when an earlier request with the same idempotency
	// key created the todo and this call only returned its response.
	Replayed bool
}

// Update changes a todo. Nil fields are left as they are.
type Update struct {
	Task   *string
	Status *Status
	// IfMatch, when set, makes the update conditional: it fails with
	// PreconditionFailed unless the todo is at exactly that revision.
	IfMatch *Revision
}

// Validate reports whether u changes something and every given field is valid.
func (u Update) Validate() error {
	if u.Task == nil && u.Status == nil {
		return Errorf(Invalid, "nothing to update: give task, status or both")
	}
	if u.Task != nil {
		if err := ValidateTask(*u.Task); err != nil {
			return err
		}
	}
	if u.Status != nil {
		if err := ValidateStatus(*u.Status); err != nil {
			return err
		}
	}
	return ValidateRevision(u.IfMatch)
}

// ValidateRevision checks a condition: nil (none) or a revision whose
// version is not negative (the zero Revision is a condition that fails).
func ValidateRevision(r *Revision) error {
	if r != nil && r.Version < 0 {
		return Errorf(Invalid, "version must be positive")
	}
	return nil
}

// Stale is the PreconditionFailed error of a condition on want that the
// todo with the given id, at current, does not meet.
func Stale(id int64, current, want Revision) *Error {
	if want.Version == current.Version {
		return Errorf(PreconditionFailed, "todo %d is at version %d, but of another write than the one the condition names", id, current.Version)
	}
	return Errorf(PreconditionFailed, "todo %d is at version %d", id, current.Version)
}

// Apply returns t changed by u. It does not bump the version or the times.
func (u Update) Apply(t Todo) Todo {
	if u.Task != nil {
		t.Task = *u.Task
	}
	if u.Status != nil {
		t.Status = *u.Status
	}
	return t
}

// ListQuery selects a page of todos, ordered by id ascending.
type ListQuery struct {
	// Status, when set, keeps only todos with that status.
	Status Status
	// After is the keyset cursor: only todos with an id greater than it.
	After int64
	// Limit is the page size; 0 means DefaultLimit.
	Limit int
}

// Normalize returns q with defaults applied.
func (q ListQuery) Normalize() ListQuery {
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	return q
}

// Validate reports whether q (after Normalize) is acceptable.
func (q ListQuery) Validate() error {
	q = q.Normalize()
	if q.Limit < 1 || q.Limit > MaxLimit {
		return Errorf(Invalid, "limit must be between 1 and %d", MaxLimit)
	}
	if q.After < 0 {
		return Errorf(Invalid, "bad cursor")
	}
	if q.Status != "" {
		return ValidateStatus(q.Status)
	}
	return nil
}

// Page is one page of a list.
type Page struct {
	Items []Todo
	// Next is the cursor for the following page: the last item's id, or 0
	// when there are no more items.
	Next int64
}

// Service stores todos. Implementations are safe for concurrent use.
//
// Every method validates its input (Invalid) and returns *Error values:
// Unavailable when the store cannot be reached or the context ends first,
// RegionPassive when a write reaches a read-only replica, Internal otherwise.
type Service interface {
	// Get returns the todo with the given id, or NotFound.
	Get(ctx context.Context, id int64) (Todo, error)
	// List returns a page of todos.
	List(ctx context.Context, q ListQuery) (Page, error)
	// Create stores a new todo. See CreateRequest for idempotency; a
	// reused key with a different draft is Conflict.
	Create(ctx context.Context, r CreateRequest) (Created, error)
	// Update changes the todo with the given id and returns it with its new
	// version and tag. NotFound when absent; PreconditionFailed when
	// u.IfMatch is set and names another revision.
	Update(ctx context.Context, id int64, u Update) (Todo, error)
	// Delete removes the todo with the given id. NotFound when absent;
	// PreconditionFailed when ifMatch is set and names another revision.
	Delete(ctx context.Context, id int64, ifMatch *Revision) error
}

// Role is a region's role in the active-passive pair.
type Role string

// The roles of a region.
const (
	// RoleActive: the region's database takes writes.
	RoleActive Role = "active"
	// RolePassive: the region's database is a read-only replica.
	RolePassive Role = "passive"
)

// Health describes the database behind a Service.
type Health struct {
	Role    Role
	Latency time.Duration // of one round trip to the database
}

// Checker reports the health of the database behind a Service.
type Checker interface {
	// Health pings the database and reads its role. It returns an
	// Unavailable *Error when the database cannot be reached in time.
	Health(ctx context.Context) (Health, error)
}

// ValidateTask checks a task: valid UTF-8, not blank, at most MaxTaskLength
// characters, no control characters other than tab.
func ValidateTask(task string) error {
	if !utf8.ValidString(task) {
		return Errorf(Invalid, "task must be valid UTF-8")
	}
	if strings.TrimSpace(task) == "" {
		return Errorf(Invalid, "task must not be empty")
	}
	if n := utf8.RuneCountInString(task); n > MaxTaskLength {
		return Errorf(Invalid, "task is %d characters; the limit is %d", n, MaxTaskLength)
	}
	for _, r := range task {
		if unicode.IsControl(r) && r != '\t' {
			return Errorf(Invalid, "task must not contain control characters")
		}
	}
	return nil
}

// ValidateStatus checks that s is one of the known statuses.
func ValidateStatus(s Status) error {
	switch s {
	case StatusTodo, StatusWIP, StatusDone:
		return nil
	}
	return Errorf(Invalid, "status must be one of todo, wip, done")
}

// ValidateID checks that id can name a stored todo.
func ValidateID(id int64) error {
	if id < 1 {
		return Errorf(Invalid, "id must be a positive integer")
	}
	return nil
}

// ParseID parses an id given as a decimal string, as in a path or query.
func ParseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 || strings.HasPrefix(s, "+") {
		return 0, Errorf(Invalid, "id must be a positive integer")
	}
	return id, nil
}

// ValidateIdempotencyKey checks a key: 1 to MaxIdempotencyKeyLength
// printable ASCII characters.
func ValidateIdempotencyKey(key string) error {
	if key == "" || len(key) > MaxIdempotencyKeyLength {
		return Errorf(Invalid, "Idempotency-Key must be 1 to %d characters", MaxIdempotencyKeyLength)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return Errorf(Invalid, "Idempotency-Key must be printable ASCII without spaces")
		}
	}
	return nil
}

const cursorPrefix = "after:"

// EncodeCursor turns a Page.Next into the opaque cursor clients pass back.
// It returns "" for 0 (no more pages).
func EncodeCursor(after int64) string {
	if after == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(after, 10)))
}

// DecodeCursor parses a cursor made by EncodeCursor. "" decodes to 0.
func DecodeCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || !strings.HasPrefix(string(raw), cursorPrefix) {
		return 0, Errorf(Invalid, "bad cursor")
	}
	after, err := ParseID(strings.TrimPrefix(string(raw), cursorPrefix))
	if err != nil {
		return 0, Errorf(Invalid, "bad cursor")
	}
	return after, nil
}
