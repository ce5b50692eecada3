// Package events holds API Gateway REST API (payload v1) proxy events for
// every route of the API, as `sam local invoke -e events/<name>.json`
// expects them, and the table of what each should answer.
//
// The expected statuses assume the store holds Seed, in order (ids 1 and
// 2), created with the write tags of SeedTags, before each event runs on its
// own. The tests of handlers/api and integration/ feed every event through
// aws-lambda-go-api-proxy to the real handler and check them.
package events

import (
	"embed"
	"encoding/json"
	"fmt"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

//go:embed *.json
var files embed.FS

// Fixture is one event file and the status the API answers it with.
type Fixture struct {
	// Name is the file name without ".json".
	Name string
	// Status is the expected HTTP status, with Seed in the store.
	Status int
	// About says what the event shows.
	About string
}

// Seed is the state the fixtures' statuses assume: todos 1 and 2.
var Seed = []todo.Draft{
	{Task: "buy milk", Status: todo.StatusTodo},
	{Task: "call the plumber", Status: todo.StatusWIP},
}

// SeedTags returns a source of write tags for the store that creates Seed
// (mysql.WithWriteTags, inmem.WithWriteTags): 0x5eed000000000001, …02 and
// so on, so that todo 1 is at ETag "1-5eed000000000001", which put.json's
// If-Match names. Production stores draw random tags; deterministic ones are
// for fixtures and tests only.
func SeedTags() func() uint64 {
	var n atomic.Uint64
	return func() uint64 { return seedTagBase + n.Add(1) }
}

const seedTagBase = 0x5eed000000000000

// Fixtures lists every event in this directory.
var Fixtures = []Fixture{
	{"list", 200, "GET /v1/todos with the api/read scope"},
	{"list-page", 200, "GET /v1/todos?limit=1&cursor=…&status=wip: keyset pagination and a status filter"},
	{"create", 201, "POST /v1/todos: 201 with Location and ETag"},
	{"create-idempotent", 201, "POST /v1/todos with an Idempotency-Key: a retry answers the first response"},
	{"create-base64", 201, "POST /v1/todos with a base64-encoded body (binary media types)"},
	{"get", 200, "GET /v1/todos/1: the todo and its ETag"},
	{"put", 200, `PUT /v1/todos/1 with If-Match: "1-5eed000000000001", the ETag of the seeded todo 1`},
	{"put-stale", 412, `PUT /v1/todos/1 with If-Match: "7", a bare version as older releases sent: it names no write`},
	{"delete", 204, "DELETE /v1/todos/2"},
	{"sample-get", 200, "the sample's GET /v1?id=1"},
	{"sample-list", 200, "the sample's GET /v1 without id: a list"},
	{"sample-create", 201, "the sample's POST /v1 without id: a create"},
	{"sample-update", 200, `the sample's POST /v1 with "id": "1": an update`},
	{"sample-delete", 204, `the sample's DELETE /v1 with {"id": 2}`},
	{"health", 200, "GET /v1/health, without authorizer (no auth on health)"},
	{"bad-id", 400, "GET /v1/todos/abc: a bad id is a 400, never a 5xx"},
	{"bad-body", 400, "POST /v1/todos with an unknown field: 400"},
	{"forbidden", 403, "DELETE /v1/todos/1 with only api/read: the handler's own scope check"},
}

// Load returns the raw JSON of the named event, as Lambda would pass it.
func Load(name string) ([]byte, error) {
	b, err := files.ReadFile(name + ".json")
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", name, err)
	}
	return b, nil
}

// Request returns the named event decoded.
func Request(name string) (events.APIGatewayProxyRequest, error) {
	var req events.APIGatewayProxyRequest
	b, err := Load(name)
	if err != nil {
		return req, err
	}
	if err := json.Unmarshal(b, &req); err != nil {
		return req, fmt.Errorf("event %s: %w", name, err)
	}
	return req, nil
}
