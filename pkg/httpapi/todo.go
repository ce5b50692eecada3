package httpapi

import (
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

// listResponse is a page of todos. NextCursor is absent on the last page.
type listResponse struct {
	Items      []todo.Todo `json:"items"`
	NextCursor string      `json:"nextCursor,omitempty"`
}

// todoBody is the body of POST /v1/todos (task required) and of
// PUT /v1/todos/{id} (task, status or both).
type todoBody struct {
	Task   *string      `json:"task"`
	Status *todo.Status `json:"status"`
}

// sampleBody is the body of POST /v1: without id it creates, with id it
// updates.
type sampleBody struct {
	ID     jsonID       `json:"id"`
	Task   *string      `json:"task"`
	Status *todo.Status `json:"status"`
}

// sampleDeleteBody is the body of DELETE /v1.
type sampleDeleteBody struct {
	ID jsonID `json:"id"`
}

// GET /v1/todos?limit=&cursor=&status=
func (s *server) listTodos(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	return s.list(w, r, q)
}

// POST /v1/todos
func (s *server) createTodo(w http.ResponseWriter, r *http.Request) error {
	var body todoBody
	if err := readJSON(w, r, &body); err != nil {
		return err
	}
	return s.create(w, r, body.Task, body.Status)
}

// GET /v1/todos/{id}
func (s *server) getTodo(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.get(w, r, id)
}

// PUT /v1/todos/{id}
func (s *server) putTodo(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var body todoBody
	if err := readJSON(w, r, &body); err != nil {
		return err
	}
	return s.update(w, r, id, body.Task, body.Status)
}

// DELETE /v1/todos/{id}
func (s *server) deleteTodo(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.delete(w, r, id)
}

// GET /v1?id=N, or GET /v1 (a list, with the same parameters as /v1/todos).
func (s *server) sampleGet(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	raw, ok, err := single(q, "id")
	if err != nil {
		return err
	}
	if !ok {
		return s.list(w, r, q)
	}
	id, err := todo.ParseID(raw)
	if err != nil {
		return err
	}
	return s.get(w, r, id)
}

// POST /v1 with {"task", "status"} creates (201); with "id" it updates (200).
func (s *server) samplePost(w http.ResponseWriter, r *http.Request) error {
	var body sampleBody
	if err := readJSON(w, r, &body); err != nil {
		return err
	}
	if !body.ID.Set {
		return s.create(w, r, body.Task, body.Status)
	}
	return s.update(w, r, body.ID.ID, body.Task, body.Status)
}

// DELETE /v1 with {"id": N}.
func (s *server) sampleDelete(w http.ResponseWriter, r *http.Request) error {
	var body sampleDeleteBody
	if err := readJSON(w, r, &body); err != nil {
		return err
	}
	if !body.ID.Set {
		return todo.Errorf(todo.Invalid, "id is required")
	}
	return s.delete(w, r, body.ID.ID)
}

func (s *server) list(w http.ResponseWriter, r *http.Request, q url.Values) error {
	lq, err := listQuery(q)
	if err != nil {
		return err
	}
	page, err := s.svc.List(r.Context(), lq)
	if err != nil {
		return err
	}
	resp := listResponse{Items: page.Items, NextCursor: todo.EncodeCursor(page.Next)}
	if resp.Items == nil {
		resp.Items = []todo.Todo{}
	}
	return writeJSON(w, http.StatusOK, resp)
}

// create answers 201 with Location and ETag. With an Idempotency-Key, a
// replay answers exactly as the first request did, plus
// Idempotent-Replayed: true.
//
// An absent (or null) status means todo; an empty one is Invalid, as it is
// on an update: the domain's Draft reads "" as "the default", so it is
// checked here, where absent and empty can still be told apart.
func (s *server) create(w http.ResponseWriter, r *http.Request, task *string, status *todo.Status) error {
	if task == nil {
		return todo.Errorf(todo.Invalid, "task is required")
	}
	if status != nil {
		if err := todo.ValidateStatus(*status); err != nil {
			return err
		}
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	req := todo.CreateRequest{Draft: todo.Draft{Task: *task}, IdempotencyKey: key}
	if status != nil {
		req.Status = *status
	}
	created, err := s.svc.Create(r.Context(), req)
	if err != nil {
		return err
	}
	t := created.Todo
	w.Header().Set("Location", location(r, t.ID))
	w.Header().Set("ETag", etag(t))
	if created.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	return writeJSON(w, http.StatusCreated, t)
}

// location returns the Location of todo id as a reference relative to the
// request's URL ("todos/7" for POST /v1/todos, "v1/todos/7" for POST /v1).
// A relative reference resolves right wherever the API is mounted: under
// the stage on an execute-api URL (/prod/v1/todos/7), and at the root
// behind the front door or a custom domain (/v1/todos/7). An absolute path
// would be wrong on one of them.
func location(r *http.Request, id int64) string {
	dir := path.Dir(r.URL.Path) // "/v1" or "/"
	return strings.TrimPrefix("/v1/todos/"+strconv.FormatInt(id, 10), strings.TrimSuffix(dir, "/")+"/")
}

// get answers 200 with the todo and its ETag, or 304 when If-None-Match
// names the current one.
func (s *server) get(w http.ResponseWriter, r *http.Request, id int64) error {
	t, err := s.svc.Get(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(t))
	if notModified(r, t) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return writeJSON(w, http.StatusOK, t)
}

// update answers 200 with the changed todo; If-Match makes it conditional.
func (s *server) update(w http.ResponseWriter, r *http.Request, id int64, task *string, status *todo.Status) error {
	cond, err := ifMatch(r)
	if err != nil {
		return err
	}
	t, err := s.svc.Update(r.Context(), id, todo.Update{Task: task, Status: status, IfMatch: cond})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(t))
	return writeJSON(w, http.StatusOK, t)
}

// delete answers 204; If-Match makes it conditional.
func (s *server) delete(w http.ResponseWriter, r *http.Request, id int64) error {
	cond, err := ifMatch(r)
	if err != nil {
		return err
	}
	if err := s.svc.Delete(r.Context(), id, cond); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
