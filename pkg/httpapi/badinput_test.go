package httpapi_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestBadInput sends malformed requests and checks that each gets its own
// 4xx with a message naming the problem, and that none changes the store.
func TestBadInput(t *testing.T) {
	json := map[string]string{"Content-Type": "application/json"}
	with := func(k, v string) map[string]string { return map[string]string{k: v} }
	cursor := func(raw string) string { return base64.RawURLEncoding.EncodeToString([]byte(raw)) }
	tooBig := `{"task":"` + strings.Repeat("a", 16<<10) + `"}`
	atLimit := `{"task":"` + strings.Repeat("a", 16<<10-len(`{"task":""}`)) + `"}`

	for _, tt := range []struct {
		name        string
		req         request
		wantStatus  int
		wantCode    string
		wantMessage string // a substring of the error message
	}{
		// Bodies.
		{"empty body", request{method: "POST", target: "/v1/todos"}, 400, "invalid", "must be a JSON object"},
		{"whitespace body", request{method: "POST", target: "/v1/todos", body: " \n\t"}, 400, "invalid", "must be a JSON object"},
		{"null body", request{method: "POST", target: "/v1/todos", body: "null"}, 400, "invalid", "must be a JSON object"},
		{"array body", request{method: "POST", target: "/v1/todos", body: `[{"task":"a"}]`}, 400, "invalid", "must be a JSON object"},
		{"string body", request{method: "POST", target: "/v1/todos", body: `"a"`}, 400, "invalid", "must be a JSON object"},
		{"byte order mark", request{method: "POST", target: "/v1/todos", body: "\ufeff" + `{"task":"a"}`}, 400, "invalid", "must be a JSON object"},
		{"truncated JSON", request{method: "POST", target: "/v1/todos", body: `{"task":"a"`}, 400, "invalid", "ends too early"},
		{"syntax error", request{method: "POST", target: "/v1/todos", body: `{"task":'a'}`}, 400, "invalid", "malformed JSON at byte"},
		{"trailing object", request{method: "POST", target: "/v1/todos", body: `{"task":"a"} {"task":"b"}`}, 400, "invalid", "nothing after it"},
		{"trailing garbage", request{method: "POST", target: "/v1/todos", body: `{"task":"a"}x`}, 400, "invalid", "nothing after it"},
		{"unknown field", request{method: "POST", target: "/v1/todos", body: `{"task":"a","priority":1}`}, 400, "invalid", `unknown field "priority"`},
		{"id in a create on /v1/todos", request{method: "POST", target: "/v1/todos", body: `{"id":1,"task":"a"}`}, 400, "invalid", `unknown field "id"`},
		{"task of wrong type", request{method: "POST", target: "/v1/todos", body: `{"task":5}`}, 400, "invalid", "task must be a string, not number"},
		{"status of wrong type", request{method: "POST", target: "/v1/todos", body: `{"task":"a","status":true}`}, 400, "invalid", "status must be a string, not bool"},
		{"duplicate key, second of wrong type", request{method: "POST", target: "/v1/todos", body: `{"task":"a","task":[]}`}, 400, "invalid", "task must be a string"},
		{"missing task", request{method: "POST", target: "/v1/todos", body: `{}`}, 400, "invalid", "task is required"},
		{"null task", request{method: "POST", target: "/v1/todos", body: `{"task":null}`}, 400, "invalid", "task is required"},
		{"empty task", request{method: "POST", target: "/v1/todos", body: `{"task":""}`}, 400, "invalid", "task must not be empty"},
		{"blank task", request{method: "POST", target: "/v1/todos", body: `{"task":"  \t "}`}, 400, "invalid", "task must not be empty"},
		{"task of 201 characters", request{method: "POST", target: "/v1/todos", body: `{"task":"` + strings.Repeat("é", 201) + `"}`}, 400, "invalid", "201 characters"},
		{"control character in task", request{method: "POST", target: "/v1/todos", body: `{"task":"a\u0000b"}`}, 400, "invalid", "control characters"},
		{"unknown status", request{method: "POST", target: "/v1/todos", body: `{"task":"a","status":"later"}`}, 400, "invalid", "status must be one of"},
		{"empty status on create", request{method: "POST", target: "/v1/todos", body: `{"task":"a","status":""}`}, 400, "invalid", "status must be one of"},
		{"empty status on sample create", request{method: "POST", target: "/v1", body: `{"task":"a","status":""}`}, 400, "invalid", "status must be one of"},
		{"empty status on update", request{method: "PUT", target: "/v1/todos/1", body: `{"status":""}`}, 400, "invalid", "status must be one of"},
		{"empty status on sample update", request{method: "POST", target: "/v1", body: `{"id":1,"status":""}`}, 400, "invalid", "status must be one of"},
		{"invalid UTF-8", request{method: "POST", target: "/v1/todos", body: "{\"task\":\"a\xff\"}"}, 400, "invalid", "UTF-8"},
		{"body over 16 KiB", request{method: "POST", target: "/v1/todos", body: tooBig}, 413, "too_large", "larger than 16384 bytes"},
		{"body of exactly 16 KiB is read, then judged", request{method: "POST", target: "/v1/todos", body: atLimit}, 400, "invalid", "the limit is 200"},
		{"text content type", request{method: "POST", target: "/v1/todos", body: `{"task":"a"}`, header: with("Content-Type", "text/plain")}, 415, "unsupported_media_type", "application/json"},
		{"form content type", request{method: "PUT", target: "/v1/todos/1", body: `task=a`, header: with("Content-Type", "application/x-www-form-urlencoded")}, 415, "unsupported_media_type", "must be application/json, not application/x-www-form-urlencoded"},
		{"malformed content type", request{method: "POST", target: "/v1", body: `{"task":"a"}`, header: with("Content-Type", ";;;")}, 415, "unsupported_media_type", "this one is malformed"},

		// Idempotency-Key.
		{"key with a space", request{method: "POST", target: "/v1/todos", body: `{"task":"a"}`, header: with("Idempotency-Key", "a b")}, 400, "invalid", "Idempotency-Key"},
		{"key too long", request{method: "POST", target: "/v1/todos", body: `{"task":"a"}`, header: with("Idempotency-Key", strings.Repeat("k", 129))}, 400, "invalid", "Idempotency-Key must be 1 to 128"},
		{"empty key", request{method: "POST", target: "/v1", body: `{"task":"a"}`, header: with("Idempotency-Key", "")}, 400, "invalid", "Idempotency-Key must be 1 to 128"},

		// Ids in paths.
		{"id not a number", request{method: "GET", target: "/v1/todos/abc"}, 400, "invalid", "id must be a positive integer"},
		{"id zero", request{method: "GET", target: "/v1/todos/0"}, 400, "invalid", "id must be a positive integer"},
		{"id negative", request{method: "PUT", target: "/v1/todos/-1", body: `{"task":"a"}`}, 400, "invalid", "id must be a positive integer"},
		{"id fraction", request{method: "DELETE", target: "/v1/todos/1.5"}, 400, "invalid", "id must be a positive integer"},
		{"id overflow", request{method: "GET", target: "/v1/todos/9223372036854775808"}, 400, "invalid", "id must be a positive integer"},
		{"id with plus", request{method: "GET", target: "/v1/todos/+1"}, 400, "invalid", "id must be a positive integer"},
		{"id with escaped slash", request{method: "GET", target: "/v1/todos/1%2F2"}, 400, "invalid", "id must be a positive integer"},

		// Ids in bodies and queries of the sample's contract.
		{"sample delete without body", request{method: "DELETE", target: "/v1"}, 400, "invalid", "must be a JSON object"},
		{"sample delete without id", request{method: "DELETE", target: "/v1", body: `{}`}, 400, "invalid", "id is required"},
		{"sample delete id zero", request{method: "DELETE", target: "/v1", body: `{"id":0}`}, 400, "invalid", "id must be a positive integer"},
		{"sample delete id negative", request{method: "DELETE", target: "/v1", body: `{"id":-3}`}, 400, "invalid", "id must be a positive integer"},
		{"sample delete id fraction", request{method: "DELETE", target: "/v1", body: `{"id":1.5}`}, 400, "invalid", "id must be a positive integer"},
		{"sample delete id exponent", request{method: "DELETE", target: "/v1", body: `{"id":1e2}`}, 400, "invalid", "id must be a positive integer"},
		{"sample delete id overflow", request{method: "DELETE", target: "/v1", body: `{"id":99999999999999999999}`}, 400, "invalid", "id must be a positive integer"},
		{"sample delete id string overflow", request{method: "DELETE", target: "/v1", body: `{"id":"9223372036854775808"}`}, 400, "invalid", "id must be a positive integer"},
		{"sample delete id not a number", request{method: "DELETE", target: "/v1", body: `{"id":"abc"}`}, 400, "invalid", "id must be a positive integer"},
		{"sample delete id padded", request{method: "DELETE", target: "/v1", body: `{"id":" 1"}`}, 400, "invalid", "id must be a positive integer"},
		{"sample delete id boolean", request{method: "DELETE", target: "/v1", body: `{"id":true}`}, 400, "invalid", "id must be a positive integer"},
		{"sample delete id array", request{method: "DELETE", target: "/v1", body: `{"id":[1]}`}, 400, "invalid", "id must be a positive integer"},
		{"sample delete unknown field", request{method: "DELETE", target: "/v1", body: `{"id":1,"force":true}`}, 400, "invalid", `unknown field "force"`},
		{"sample post bad id", request{method: "POST", target: "/v1", body: `{"id":"x","task":"a"}`}, 400, "invalid", "id must be a positive integer"},
		{"sample post null id", request{method: "POST", target: "/v1", body: `{"id":null,"task":"a"}`}, 400, "invalid", "not null"},
		{"sample post null id alone", request{method: "POST", target: "/v1", body: `{"id":null}`}, 400, "invalid", "not null"},
		{"sample delete null id", request{method: "DELETE", target: "/v1", body: `{"id":null}`}, 400, "invalid", "not null"},
		{"sample post empty string id", request{method: "POST", target: "/v1", body: `{"id":"","task":"a"}`}, 400, "invalid", "id must be a positive integer"},
		{"sample post update with nothing", request{method: "POST", target: "/v1", body: `{"id":1}`}, 400, "invalid", "nothing to update"},
		{"sample get id not a number", request{method: "GET", target: "/v1?id=abc"}, 400, "invalid", "id must be a positive integer"},
		{"sample get empty id", request{method: "GET", target: "/v1?id="}, 400, "invalid", "id must be a positive integer"},
		{"sample get two ids", request{method: "GET", target: "/v1?id=1&id=2"}, 400, "invalid", "id is given 2 times"},

		// List parameters.
		{"limit zero", request{method: "GET", target: "/v1/todos?limit=0"}, 400, "invalid", "limit must be an integer from 1 to 100"},
		{"limit too big", request{method: "GET", target: "/v1/todos?limit=101"}, 400, "invalid", "limit must be an integer from 1 to 100"},
		{"limit not a number", request{method: "GET", target: "/v1/todos?limit=ten"}, 400, "invalid", "limit must be an integer"},
		{"limit empty", request{method: "GET", target: "/v1/todos?limit="}, 400, "invalid", "limit must be an integer"},
		{"limit twice", request{method: "GET", target: "/v1/todos?limit=1&limit=2"}, 400, "invalid", "limit is given 2 times"},
		{"cursor not base64", request{method: "GET", target: "/v1/todos?cursor=!!!"}, 400, "invalid", "bad cursor"},
		{"cursor with a bad id", request{method: "GET", target: "/v1/todos?cursor=" + cursor("after:abc")}, 400, "invalid", "bad cursor"},
		{"cursor of another kind", request{method: "GET", target: "/v1/todos?cursor=" + cursor("before:1")}, 400, "invalid", "bad cursor"},
		{"cursor at zero", request{method: "GET", target: "/v1?cursor=" + cursor("after:0")}, 400, "invalid", "bad cursor"},
		{"unknown status filter", request{method: "GET", target: "/v1/todos?status=later"}, 400, "invalid", "status must be one of"},
		{"empty status filter", request{method: "GET", target: "/v1/todos?status="}, 400, "invalid", "status must be one of"},
		{"malformed query", request{method: "GET", target: "/v1/todos?limit=%zz"}, 400, "invalid", "malformed query string"},
		{"semicolon in query", request{method: "GET", target: "/v1/todos?limit=1;status=wip"}, 400, "invalid", "malformed query string"},

		// Updates and preconditions.
		{"update with nothing", request{method: "PUT", target: "/v1/todos/1", body: `{}`, header: json}, 400, "invalid", "nothing to update"},
		{"update with nulls", request{method: "PUT", target: "/v1/todos/1", body: `{"task":null,"status":null}`}, 400, "invalid", "nothing to update"},
		{"update with id in body", request{method: "PUT", target: "/v1/todos/1", body: `{"id":1,"task":"a"}`}, 400, "invalid", `unknown field "id"`},
		{"update with empty task", request{method: "PUT", target: "/v1/todos/1", body: `{"task":""}`}, 400, "invalid", "task must not be empty"},
		{"If-Match unquoted", request{method: "PUT", target: "/v1/todos/1", body: `{"task":"a"}`, header: with("If-Match", "1")}, 400, "invalid", "If-Match must be one ETag"},
		{"If-Match weak", request{method: "PUT", target: "/v1/todos/1", body: `{"task":"a"}`, header: with("If-Match", `W/"1"`)}, 400, "invalid", "If-Match must be one ETag"},
		// A well-formed strong entity-tag that is not one of ours names no
		// write: the condition is false (412, RFC 9110 §13.1.1), not bad input.
		{"If-Match not one of our ETags", request{method: "DELETE", target: "/v1/todos/1", header: with("If-Match", `"abc"`)}, 412, "precondition_failed", "todo 1 is at version 1"},
		{"If-Match zero", request{method: "DELETE", target: "/v1", body: `{"id":1}`, header: with("If-Match", `"0"`)}, 412, "precondition_failed", "todo 1 is at version 1"},
		{"If-Match with a leading zero", request{method: "DELETE", target: "/v1/todos/1", header: with("If-Match", `"01-5eed0000000000a1"`)}, 412, "precondition_failed", "todo 1 is at version 1"},
		{"If-Match in upper-case hex", request{method: "DELETE", target: "/v1/todos/1", header: with("If-Match", `"1-5EED0000000000A1"`)}, 412, "precondition_failed", "todo 1 is at version 1"},
		{"If-Match with a space inside", request{method: "PUT", target: "/v1/todos/1", body: `{"task":"a"}`, header: with("If-Match", `"1 2"`)}, 400, "invalid", "If-Match must be one ETag"},
		{"If-Match unterminated", request{method: "PUT", target: "/v1/todos/1", body: `{"task":"a"}`, header: with("If-Match", `"1-5eed0000000000a1`)}, 400, "invalid", "If-Match must be one ETag"},
		{"If-Match list", request{method: "PUT", target: "/v1/todos/1", body: `{"task":"a"}`, header: with("If-Match", `"1", "2"`)}, 400, "invalid", "If-Match must be one ETag"},

		// Routing.
		{"PATCH a todo", request{method: "PATCH", target: "/v1/todos/1", body: `{"task":"a"}`}, 405, "method_not_allowed", "allowed: GET, HEAD, PUT, DELETE"},
		{"POST to a todo", request{method: "POST", target: "/v1/todos/1", body: `{"task":"a"}`}, 405, "method_not_allowed", "allowed: GET, HEAD, PUT, DELETE"},
		{"unknown version", request{method: "GET", target: "/v2/todos"}, 404, "not_found", "no route"},
		{"nested path", request{method: "GET", target: "/v1/todos/1/comments"}, 404, "not_found", "no route"},
		{"double slash", request{method: "GET", target: "//v1/todos"}, 404, "not_found", "no route"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.do(t, tt.req)
			if w.Code != tt.wantStatus {
				t.Fatalf("got %d, want %d; body %s", w.Code, tt.wantStatus, w.Body)
			}
			got := decodeError(t, w)
			if got.Error.Code != tt.wantCode {
				t.Errorf("code: got %q, want %q", got.Error.Code, tt.wantCode)
			}
			if !strings.Contains(got.Error.Message, tt.wantMessage) {
				t.Errorf("message: got %q, want it to contain %q", got.Error.Message, tt.wantMessage)
			}
			// Nothing changed: still three todos at version 1.
			list := e.do(t, request{method: "GET", target: "/v1/todos"})
			if n, v := strings.Count(list.Body.String(), `"id":`), strings.Count(list.Body.String(), `"version":1`); n != 3 || v != 3 {
				t.Errorf("store afterwards: %s; want the three seeded todos unchanged", list.Body)
			}
		})
	}
}
