package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/todo"
)

const todoColumns = "id, task, status, created_at, updated_at, version"

// Get returns the todo with the given id, or NotFound. Like List, it is a
// single statement, which is its own transaction.
func (s *Store) Get(ctx context.Context, id int64) (todo.Todo, error) {
	if err := todo.ValidateID(id); err != nil {
		return todo.Todo{}, err
	}
	var t todo.Todo
	err := s.read(ctx, func(db *sql.DB) error {
		var err error
		t, err = scanTodo(db.QueryRowContext(ctx, "SELECT "+todoColumns+" FROM todos WHERE id = ?", id))
		return err
	})
	if todo.ErrorCode(err) == todo.NotFound {
		return todo.Todo{}, notFound(id)
	}
	if err != nil {
		return todo.Todo{}, err
	}
	return t, nil
}

// List returns a page of todos ordered by id ascending: those with an id
// greater than q.After (and q.Status, when set). It fetches one row more
// than the page to know whether another page follows.
func (s *Store) List(ctx context.Context, q todo.ListQuery) (todo.Page, error) {
	if err := q.Validate(); err != nil {
		return todo.Page{}, err
	}
	q = q.Normalize()
	query := "SELECT " + todoColumns + " FROM todos WHERE id > ?"
	args := []any{q.After}
	if q.Status != "" {
		query += " AND status = ?"
		args = append(args, string(q.Status))
	}
	query += " ORDER BY id LIMIT ?"
	args = append(args, q.Limit+1)

	var page todo.Page
	err := s.read(ctx, func(db *sql.DB) error {
		items, err := queryTodos(ctx, db, query, args...)
		if err != nil {
			return err
		}
		page = todo.Page{Items: items}
		if len(items) > q.Limit {
			page.Items = items[:q.Limit]
			page.Next = page.Items[q.Limit-1].ID
		}
		return nil
	})
	if err != nil {
		return todo.Page{}, err
	}
	return page, nil
}

func queryTodos(ctx context.Context, db *sql.DB, query string, args ...any) ([]todo.Todo, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []todo.Todo{}
	for rows.Next() {
		t, err := scanTodo(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return items, nil
}

// Create stores a new todo. With an idempotency key, the key row is
// inserted first: a concurrent create with the same key blocks on it until
// this transaction ends, then finds it (duplicate key) and answers from it,
// so one key never makes two todos.
func (s *Store) Create(ctx context.Context, r todo.CreateRequest) (todo.Created, error) {
	if err := r.Validate(); err != nil {
		return todo.Created{}, err
	}
	r.Draft = r.Draft.Normalize()
	fingerprint := r.Fingerprint()

	var out todo.Created
	err := s.write(ctx, func(tx *sql.Tx) error {
		now := s.timestamp()
		if r.IdempotencyKey != "" {
			_, err := tx.ExecContext(ctx,
				"INSERT INTO idempotency_keys (idempotency_key, fingerprint, created_at) VALUES (?, ?, ?)",
				r.IdempotencyKey, fingerprint, now)
			if isMySQLError(err, errDupEntry) {
				out, err = replay(ctx, tx, r.IdempotencyKey, fingerprint)
				return err
			}
			if err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx,
			"INSERT INTO todos (task, status, created_at, updated_at, version) VALUES (?, ?, ?, ?, 1)",
			r.Task, string(r.Status), now, now)
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		t := todo.Todo{ID: id, Task: r.Task, Status: r.Status, CreatedAt: now, UpdatedAt: now, Version: 1}
		if r.IdempotencyKey != "" {
			response, err := json.Marshal(t)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx,
				"UPDATE idempotency_keys SET todo_id = ?, response = ? WHERE idempotency_key = ?",
				id, string(response), r.IdempotencyKey); err != nil {
				return err
			}
		}
		out = todo.Created{Todo: t}
		return nil
	})
	if err != nil {
		return todo.Created{}, err
	}
	return out, nil
}

// replay answers a create whose idempotency key is already stored, from
// the committed key row. The locking read sees the latest committed row
// whatever the transaction's snapshot; a shared lock, because the failed
// insert already holds one and concurrent replays must not deadlock.
func replay(ctx context.Context, tx *sql.Tx, key, fingerprint string) (todo.Created, error) {
	var stored string
	var response sql.NullString
	err := tx.QueryRowContext(ctx,
		"SELECT fingerprint, response FROM idempotency_keys WHERE idempotency_key = ? LOCK IN SHARE MODE",
		key).Scan(&stored, &response)
	if err != nil {
		return todo.Created{}, fmt.Errorf("read idempotency key: %w", err)
	}
	if stored != fingerprint {
		return todo.Created{}, todo.Errorf(todo.Conflict, "Idempotency-Key was already used with a different request")
	}
	if !response.Valid || response.String == "" {
		return todo.Created{}, fmt.Errorf("idempotency key %q has no stored response", key)
	}
	var t todo.Todo
	if err := json.Unmarshal([]byte(response.String), &t); err != nil {
		return todo.Created{}, fmt.Errorf("decode stored response: %w", err)
	}
	return todo.Created{Todo: t, Replayed: true}, nil
}

// Update changes the todo with the given id. It locks the row, checks the
// version, and bumps it in the same UPDATE ... WHERE version = ?, so two
// updates of one version cannot both succeed even without IfVersion.
func (s *Store) Update(ctx context.Context, id int64, u todo.Update) (todo.Todo, error) {
	if err := todo.ValidateID(id); err != nil {
		return todo.Todo{}, err
	}
	if err := u.Validate(); err != nil {
		return todo.Todo{}, err
	}
	var out todo.Todo
	err := s.write(ctx, func(tx *sql.Tx) error {
		t, err := scanTodo(tx.QueryRowContext(ctx, "SELECT "+todoColumns+" FROM todos WHERE id = ? FOR UPDATE", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(id)
		}
		if err != nil {
			return err
		}
		if u.IfVersion != 0 && u.IfVersion != t.Version {
			return stale(id, t.Version)
		}
		t = u.Apply(t)
		t.UpdatedAt = s.timestamp()
		if t.UpdatedAt.Before(t.CreatedAt) {
			t.UpdatedAt = t.CreatedAt // a clock step back must not make a todo older than itself
		}
		res, err := tx.ExecContext(ctx,
			"UPDATE todos SET task = ?, status = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
			t.Task, string(t.Status), t.UpdatedAt, id, t.Version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return stale(id, t.Version)
		}
		t.Version++
		out = t
		return nil
	})
	if err != nil {
		return todo.Todo{}, err
	}
	return out, nil
}

// Delete removes the todo with the given id. NotFound when absent;
// PreconditionFailed when ifVersion is non-zero and stale.
func (s *Store) Delete(ctx context.Context, id int64, ifVersion int64) error {
	if err := todo.ValidateID(id); err != nil {
		return err
	}
	if ifVersion < 0 {
		return todo.Errorf(todo.Invalid, "version must be positive")
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var version int64
		err := tx.QueryRowContext(ctx, "SELECT version FROM todos WHERE id = ? FOR UPDATE", id).Scan(&version)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(id)
		}
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != version {
			return stale(id, version)
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM todos WHERE id = ? AND version = ?", id, version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return stale(id, version)
		}
		return nil
	})
}

type scanner interface {
	Scan(dest ...any) error
}

func scanTodo(row scanner) (todo.Todo, error) {
	var t todo.Todo
	var status string
	var created, updated timeValue
	if err := row.Scan(&t.ID, &t.Task, &status, &created, &updated, &t.Version); err != nil {
		return todo.Todo{}, err
	}
	t.Status = todo.Status(status)
	t.CreatedAt, t.UpdatedAt = created.t, updated.t
	return t, nil
}

// timeValue scans a DATETIME whether or not the DSN has parseTime=true,
// so a pool opened with a hand-written DSN still works. Times are UTC.
type timeValue struct{ t time.Time }

func (v *timeValue) Scan(src any) error {
	switch x := src.(type) {
	case time.Time:
		v.t = x.UTC()
		return nil
	case []byte:
		return v.parse(string(x))
	case string:
		return v.parse(x)
	}
	return fmt.Errorf("cannot scan %T into a time", src)
}

func (v *timeValue) parse(s string) error {
	s = strings.TrimSpace(s)
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", s, time.UTC)
	if err != nil {
		return fmt.Errorf("parse time %q: %w", s, err)
	}
	v.t = t
	return nil
}
