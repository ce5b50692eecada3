package todo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestValidateTask(t *testing.T) {
	for _, tt := range []struct {
		name string
		task string
		ok   bool
	}{
		{"simple", "buy milk", true},
		{"one char", "x", true},
		{"200 ascii", strings.Repeat("a", 200), true},
		{"201 ascii", strings.Repeat("a", 201), false},
		{"200 emoji (4-byte utf8mb4)", strings.Repeat("😀", 200), true},
		{"201 emoji", strings.Repeat("😀", 201), false},
		{"tab inside", "a\tb", true},
		{"empty", "", false},
		{"blank", "   ", false},
		{"newline", "a\nb", false},
		{"NUL", "a\x00b", false},
		{"invalid utf8", "a\xffb", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateTask(tt.task)
			if got := err == nil; got != tt.ok {
				t.Fatalf("ValidateTask(%q) = %v, want ok=%v", tt.task, err, tt.ok)
			}
			if err != nil && ErrorCode(err) != Invalid {
				t.Errorf("code = %q, want %q", ErrorCode(err), Invalid)
			}
		})
	}
}

func TestDraftDefaultsAndFingerprint(t *testing.T) {
	d := Draft{Task: "x"}
	if err := d.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if got := d.Normalize().Status; got != StatusTodo {
		t.Errorf("default status = %q, want %q", got, StatusTodo)
	}
	if a, b := d.Fingerprint(), (Draft{Task: "x", Status: StatusTodo}).Fingerprint(); a != b {
		t.Errorf("fingerprint differs for the defaulted draft: %s vs %s", a, b)
	}
	if a, b := d.Fingerprint(), (Draft{Task: "x", Status: StatusDone}).Fingerprint(); a == b {
		t.Error("fingerprint same for different statuses")
	}
	// The separator keeps (status, task) pairs apart.
	if a, b := (Draft{Task: "o", Status: "d"}).Fingerprint(), (Draft{Task: "", Status: "do"}).Fingerprint(); a == b {
		t.Error("fingerprint collides across the field boundary")
	}
	if err := (Draft{Task: "x", Status: "later"}).Validate(); ErrorCode(err) != Invalid {
		t.Errorf("bad status: got %v, want invalid", err)
	}
}

func TestUpdateValidate(t *testing.T) {
	task, blank := "new", " "
	done, bad := StatusDone, Status("nope")
	for _, tt := range []struct {
		name string
		u    Update
		ok   bool
	}{
		{"task", Update{Task: &task}, true},
		{"status", Update{Status: &done}, true},
		{"both with a condition", Update{Task: &task, Status: &done, IfMatch: &Revision{Version: 3, Tag: 9}}, true},
		{"the zero revision (a foreign ETag)", Update{Task: &task, IfMatch: &Revision{}}, true},
		{"nothing", Update{}, false},
		{"blank task", Update{Task: &blank}, false},
		{"bad status", Update{Status: &bad}, false},
		{"negative version", Update{Task: &task, IfMatch: &Revision{Version: -1}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.u.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	got := Update{Status: &done}.Apply(Todo{Task: "keep", Status: StatusTodo})
	if got.Task != "keep" || got.Status != StatusDone {
		t.Errorf("Apply = %+v, want task kept and status done", got)
	}
}

func TestRevision(t *testing.T) {
	at := Todo{ID: 1, Version: 2, Tag: 0xabc}
	for _, tt := range []struct {
		name string
		r    Revision
		want bool
	}{
		{"the same write", Revision{Version: 2, Tag: 0xabc}, true},
		{"same version, another write (a lost one)", Revision{Version: 2, Tag: 0xabd}, false},
		{"another version, same tag", Revision{Version: 1, Tag: 0xabc}, false},
		{"the zero revision", Revision{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Matches(at); got != tt.want {
				t.Errorf("%+v.Matches(%+v) = %v, want %v", tt.r, at, got, tt.want)
			}
		})
	}
	if got := at.Revision(); got != (Revision{Version: 2, Tag: 0xabc}) {
		t.Errorf("Revision() = %+v, want version 2, tag 0xabc", got)
	}
	// The zero revision never matches, not even a todo without a tag.
	if (Revision{}).Matches(Todo{}) {
		t.Error("the zero revision matched the zero todo")
	}
}

func TestStale(t *testing.T) {
	for _, tt := range []struct {
		name          string
		current, want Revision
		wantMessage   string
	}{
		{"older version", Revision{Version: 3, Tag: 1}, Revision{Version: 2, Tag: 1}, "todo 7 is at version 3"},
		{"same version, another write", Revision{Version: 3, Tag: 1}, Revision{Version: 3, Tag: 2}, "todo 7 is at version 3, but of another write"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Stale(7, tt.current, tt.want)
			if ErrorCode(err) != PreconditionFailed || !strings.HasPrefix(err.Message, tt.wantMessage) {
				t.Errorf("got %q (%s), want precondition_failed starting %q", err.Message, err.Code, tt.wantMessage)
			}
		})
	}
}

func TestNewTag(t *testing.T) {
	seen := map[uint64]bool{}
	for range 1000 {
		tag := NewTag()
		if tag == 0 {
			t.Fatal("NewTag returned 0, which names no write")
		}
		if seen[tag] {
			t.Fatalf("NewTag repeated %x within 1000 draws", tag)
		}
		seen[tag] = true
	}
}

func TestListQueryValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		q    ListQuery
		ok   bool
	}{
		{"defaults", ListQuery{}, true},
		{"max", ListQuery{Limit: MaxLimit}, true},
		{"over max", ListQuery{Limit: MaxLimit + 1}, false},
		{"negative limit", ListQuery{Limit: -1}, false},
		{"status", ListQuery{Status: StatusWIP}, true},
		{"bad status", ListQuery{Status: "x"}, false},
		{"negative cursor", ListQuery{After: -5}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.q.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	if got := (ListQuery{}).Normalize().Limit; got != DefaultLimit {
		t.Errorf("default limit = %d, want %d", got, DefaultLimit)
	}
}

func TestParseID(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1", 1, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false},
		{"0", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1.0", 0, false},
		{"abc", 0, false},
		{"", 0, false},
		{" 1", 0, false},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseID(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("ParseID(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestIdempotencyKey(t *testing.T) {
	for _, tt := range []struct {
		key string
		ok  bool
	}{
		{"abc-123", true},
		{strings.Repeat("k", MaxIdempotencyKeyLength), true},
		{strings.Repeat("k", MaxIdempotencyKeyLength+1), false},
		{"", false},
		{"has space", false},
		{"tab\t", false},
		{"ünïcode", false},
	} {
		if err := ValidateIdempotencyKey(tt.key); (err == nil) != tt.ok {
			t.Errorf("ValidateIdempotencyKey(%q) = %v, want ok=%v", tt.key, err, tt.ok)
		}
	}
	r := CreateRequest{Draft: Draft{Task: "x"}, IdempotencyKey: "bad key"}
	if err := r.Validate(); ErrorCode(err) != Invalid {
		t.Errorf("CreateRequest with bad key: got %v, want invalid", err)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, after := range []int64{1, 42, 9223372036854775807} {
		c := EncodeCursor(after)
		got, err := DecodeCursor(c)
		if err != nil || got != after {
			t.Errorf("DecodeCursor(EncodeCursor(%d)) = %d, %v", after, got, err)
		}
	}
	if EncodeCursor(0) != "" {
		t.Error("EncodeCursor(0) should be empty: no next page")
	}
	if got, err := DecodeCursor(""); got != 0 || err != nil {
		t.Errorf(`DecodeCursor("") = %d, %v; want 0, nil`, got, err)
	}
	for _, bad := range []string{"!!", "YWZ0ZXI6", "eHl6", EncodeCursor(5) + "x", "YWZ0ZXI6LTE"} {
		if _, err := DecodeCursor(bad); ErrorCode(err) != Invalid {
			t.Errorf("DecodeCursor(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.1:3306: connection refused")
	for _, tt := range []struct {
		name     string
		err      error
		code     Code
		message  string
		leaksNot string
	}{
		{"invalid", Errorf(Invalid, "task must not be empty"), Invalid, "task must not be empty", ""},
		{"wrapped once more", fmt.Errorf("store: %w", Errorf(NotFound, "todo 3 not found")), NotFound, "todo 3 not found", ""},
		{"unavailable with cause", Wrap(cause, Unavailable, ""), Unavailable, "the database is unavailable; retry later", "10.0.0.1"},
		{"internal hides message", Wrap(cause, Internal, "scan row: bad column"), Internal, "internal error", "scan row"},
		{"plain error", cause, Internal, "internal error", "10.0.0.1"},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), Unavailable, "the database is unavailable; retry later", ""},
		{"passive", Wrap(cause, RegionPassive, ""), RegionPassive, "this region is passive and does not accept writes; retry against the active region", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.code {
				t.Errorf("ErrorCode = %q, want %q", got, tt.code)
			}
			msg := ErrorMessage(tt.err)
			if msg != tt.message {
				t.Errorf("ErrorMessage = %q, want %q", msg, tt.message)
			}
			if tt.leaksNot != "" && strings.Contains(msg, tt.leaksNot) {
				t.Errorf("ErrorMessage %q leaks %q", msg, tt.leaksNot)
			}
		})
	}
	if ErrorCode(nil) != "" {
		t.Error("ErrorCode(nil) should be empty")
	}
	if !errors.Is(Wrap(cause, Unavailable, "x"), cause) {
		t.Error("Wrap should keep the cause for errors.Is")
	}
}
