package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// Todo is a todo as the API sends it. Its ETag travels in the answer's
// header (Response.ETag), not in the body.
type Todo struct {
	ID        int64       `json:"id"`
	Task      string      `json:"task"`
	Status    todo.Status `json:"status"`
	CreatedAt time.Time   `json:"createdAt"`
	UpdatedAt time.Time   `json:"updatedAt"`
	// Version starts at 1 and grows by one with every update.
	Version int64 `json:"version"`
}

// Page is one page of a list. NextCursor is empty on the last page.
type Page struct {
	Items      []Todo `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// NewTodo is the body of a create. An empty Status is left out: the API
// then stores todo.StatusTodo.
type NewTodo struct {
	Task   string      `json:"task"`
	Status todo.Status `json:"status,omitempty"`
}

// Change is the body of an update: the fields to change (nil leaves one
// as it is).
type Change struct {
	Task   *string      `json:"task,omitempty"`
	Status *todo.Status `json:"status,omitempty"`
}

// ListQuery selects a page: at most Limit todos (0: the API's default),
// after Cursor (a previous page's NextCursor), with Status if set.
type ListQuery struct {
	Limit  int
	Cursor string
	Status todo.Status
}

// Create sends POST /v1/todos. A key that is not empty is the
// Idempotency-Key: retrying with it can never create twice.
func (c *Client) Create(ctx context.Context, in NewTodo, key string) (Todo, Response, error) {
	r, raw, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/todos", body: in,
		header: map[string]string{IdempotencyKeyHeader: key}})
	if err != nil {
		return Todo{}, r, err
	}
	return decodeTodo(r, raw, 0)
}

// Get sends GET /v1/todos/{id}. With ifNoneMatch set (an ETag), an
// unchanged todo answers 304: the zero Todo and Response.NotModified.
func (c *Client) Get(ctx context.Context, id int64, ifNoneMatch string) (Todo, Response, error) {
	r, raw, err := c.do(ctx, request{method: http.MethodGet, path: todoPath(id),
		header: map[string]string{"If-None-Match": ifNoneMatch}})
	if err != nil {
		return Todo{}, r, err
	}
	if ifNoneMatch != "" && r.NotModified() {
		return Todo{}, r, nil
	}
	return decodeTodo(r, raw, id)
}

// List sends GET /v1/todos with the query's parameters.
func (c *Client) List(ctx context.Context, q ListQuery) (Page, Response, error) {
	v := url.Values{}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	if q.Status != "" {
		v.Set("status", string(q.Status))
	}
	path := "/v1/todos"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	r, raw, err := c.do(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return Page{}, r, err
	}
	if !ok2xx(r.Status) {
		return Page{}, r, apiError(r, raw)
	}
	var p Page
	if err := json.Unmarshal(raw, &p); err != nil {
		return Page{}, r, undecodable(r, "a page of todos", err)
	}
	return p, r, nil
}

// Update sends PUT /v1/todos/{id} with the change. With ifMatch set (an
// ETag), the update applies only to the write that ETag names: any other
// answers 412 precondition_failed.
func (c *Client) Update(ctx context.Context, id int64, ch Change, ifMatch string) (Todo, Response, error) {
	r, raw, err := c.do(ctx, request{method: http.MethodPut, path: todoPath(id), body: ch,
		header: map[string]string{"If-Match": ifMatch}})
	if err != nil {
		return Todo{}, r, err
	}
	return decodeTodo(r, raw, id)
}

// Delete sends DELETE /v1/todos/{id}, conditional on ifMatch when set.
func (c *Client) Delete(ctx context.Context, id int64, ifMatch string) (Response, error) {
	r, raw, err := c.do(ctx, request{method: http.MethodDelete, path: todoPath(id),
		header: map[string]string{"If-Match": ifMatch}})
	if err != nil {
		return r, err
	}
	if !ok2xx(r.Status) {
		return r, apiError(r, raw)
	}
	return r, nil
}

func todoPath(id int64) string { return "/v1/todos/" + strconv.FormatInt(id, 10) }

func ok2xx(status int) bool { return status >= 200 && status < 300 }

// decodeTodo reads a 2xx answer's todo: it must have an id, and id's
// when the call named one.
func decodeTodo(r Response, raw []byte, id int64) (Todo, Response, error) {
	if !ok2xx(r.Status) {
		return Todo{}, r, apiError(r, raw)
	}
	var t Todo
	if err := json.Unmarshal(raw, &t); err != nil {
		return Todo{}, r, undecodable(r, "a todo", err)
	}
	switch {
	case t.ID == 0:
		return Todo{}, r, undecodable(r, "a todo without an id", nil)
	case id != 0 && t.ID != id:
		return Todo{}, r, undecodable(r, fmt.Sprintf("todo %d in the answer for todo %d", t.ID, id), nil)
	}
	return t, r, nil
}
