package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/inmem"
	"github.com/todomgmt/todomgmt/pkg/todo"
)

// FuzzAPI sends arbitrary methods, targets, bodies and headers to the
// handler and checks that none gets a 5xx, that every error body has the
// documented shape, and that every other body is JSON. The seed corpus
// runs with go test; `go tool mage fuzz` runs the fuzzer.
func FuzzAPI(f *testing.F) {
	for _, seed := range []struct {
		method, target, body, contentType, ifMatch, key string
	}{
		{"GET", "/v1/todos", "", "", "", ""},
		{"GET", "/v1/todos?limit=2&cursor=YWZ0ZXI6MQ&status=wip", "", "", "", ""},
		{"POST", "/v1/todos", `{"task":"a","status":"wip"}`, "application/json", "", "key-1"},
		{"POST", "/v1/todos", `{"task":"a"} {"task":"b"}`, "", "", ""},
		{"POST", "/v1/todos", `{"task":"a","x":1}`, "application/json; charset=utf-8", "", ""},
		{"GET", "/v1/todos/1", "", "", "", ""},
		{"PUT", "/v1/todos/1", `{"status":"done"}`, "", `"1"`, ""},
		{"PUT", "/v1/todos/1", `{"task":5}`, "", `W/"1"`, ""},
		{"DELETE", "/v1/todos/2", "", "", `"1"`, ""},
		{"DELETE", "/v1/todos/2", "", "", `"1-0000000000000002"`, ""},
		{"PUT", "/v1/todos/1", `{"task":"b"}`, "", `"9223372036854775808-ffffffffffffffff"`, ""},
		{"GET", "/v1?id=1", "", "", "", ""},
		{"POST", "/v1", `{"id":"1","task":"b"}`, "", "", ""},
		{"POST", "/v1", `{"id":1.5}`, "", "", ""},
		{"POST", "/v1", `{"id":null,"task":"a","status":""}`, "", "", ""},
		{"DELETE", "/v1", `{"id":1e400}`, "", "", ""},
		{"DELETE", "/v1", `{"id":"-1"}`, "text/plain", "", ""},
		{"GET", "/v1/health", "", "", "", ""},
		{"PATCH", "/v1/todos/1", "", "", "", ""},
		{"GET", "/v1/todos/..%2f..%2fhealth", "", "", "", ""},
		{"GET", "/v1/todos?%zz", "", "", "", "a b"},
	} {
		f.Add(seed.method, seed.target, []byte(seed.body), seed.contentType, seed.ifMatch, seed.key)
	}
	f.Fuzz(func(t *testing.T, method, target string, body []byte, contentType, ifMatch, key string) {
		r, err := http.NewRequest(method, "http://api.test"+target, bytes.NewReader(body))
		if err != nil {
			return // not a request a server could receive
		}
		for name, v := range map[string]string{"Content-Type": contentType, "If-Match": ifMatch, "Idempotency-Key": key} {
			if v != "" {
				r.Header.Set(name, v)
			}
		}
		store := inmem.New()
		for _, task := range []string{"one", "two"} {
			if _, err := store.Create(t.Context(), todo.CreateRequest{Draft: todo.Draft{Task: task}}); err != nil {
				t.Fatal(err)
			}
		}
		w := httptest.NewRecorder()
		httpapi.New(httpapi.Config{Service: store, Region: "fuzz"}).ServeHTTP(w, r)

		if w.Code >= 500 {
			t.Fatalf("%s %q: got %d, want < 500; body %s", method, target, w.Code, w.Body)
		}
		if w.Body.Len() == 0 {
			return
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %q: Content-Type %q, want application/json", method, target, ct)
		}
		if w.Code < 400 {
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("%s %q: body is not JSON: %s", method, target, w.Body)
			}
			return
		}
		var e errorResponse
		if err := jsonStrict(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" || e.Error.RequestID == "" {
			t.Fatalf("%s %q: got error body %s (%v), want {\"error\":{code, message, requestId}}", method, target, w.Body, err)
		}
	})
}
