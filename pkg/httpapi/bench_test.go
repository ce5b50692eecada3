package httpapi_test

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// The handler's own cost over the in-memory store; `go tool mage bench`
// measures the whole path against MySQL.

func BenchmarkGet(b *testing.B) {
	e := newEnv(b)
	for b.Loop() {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/todos/2", nil))
		if w.Code != 200 {
			b.Fatalf("got %d", w.Code)
		}
	}
}

func BenchmarkCreate(b *testing.B) {
	e := newEnv(b)
	i := 0
	for b.Loop() {
		i++
		r := httptest.NewRequest("POST", "/v1/todos", strings.NewReader(`{"task":"benchmark","status":"wip"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", "k-"+strconv.Itoa(i))
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		if w.Code != 201 {
			b.Fatalf("got %d", w.Code)
		}
	}
}

func BenchmarkBadInput(b *testing.B) {
	e := newEnv(b)
	for b.Loop() {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, httptest.NewRequest("DELETE", "/v1", strings.NewReader(`{"id":"abc"}`)))
		if w.Code != 400 {
			b.Fatalf("got %d", w.Code)
		}
	}
}
