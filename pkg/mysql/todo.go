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

// Every operation below is written for the fewest round trips to the
// server its guarantees allow
// (docs/development.md#round-trips-per-operation): with
// interpolateParams=true (pkg/dbconn) a statement with arguments is one
// round trip, and multiStatements stays off. Nothing is session-scoped
// (no user variables, no SET): RDS Proxy would pin the session.

const todoColumns = "id, task, status, created_at, updated_at, version, write_tag"

// insertTodo creates a todo only where the id fence names the store's
// region, in the same statement: zero rows affected means this writer may
// not hand out ids (yet). The last argument is the region.
const insertTodo = "INSERT INTO todos (task, status, created_at, updated_at, version, write_tag) " +
	"SELECT ?, ?, ?, ?, 1, ? FROM id_fence WHERE id = 1 AND writer_region = ?"

// Get returns the todo with the given id, or NotFound: one statement, one
// round trip.
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
// than the page to know whether another page follows: one round trip.
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

// Create stores a new todo, gated by the id fence (insertTodo).
//
// Without an idempotency key it is that one autocommit INSERT … SELECT:
// one round trip. The id comes back in the OK packet (LastInsertId), and
// every other field of the response is set here.
//
// With a key, the todo and the key row (holding the first response) must
// commit together, and the key row needs the todo's id: START
// TRANSACTION, the gated INSERT, INSERT of the key row, COMMIT — four round
// trips. A concurrent create with the same key blocks on the key row's
// unique index entry until this transaction ends, then gets a duplicate
// key: it rolls back its own todo and answers from the committed key row
// (replay), so one key never makes two todos. A replay therefore costs
// five round trips and one unused id; reading the key first would make a
// replay one round trip but every first create with a key five.
func (s *Store) Create(ctx context.Context, r todo.CreateRequest) (todo.Created, error) {
	if err := r.Validate(); err != nil {
		return todo.Created{}, err
	}
	if err := ValidateRegion(s.region); err != nil {
		return todo.Created{}, todo.Wrap(err, todo.Internal, msgInternal)
	}
	r.Draft = r.Draft.Normalize()
	if r.IdempotencyKey == "" {
		var out todo.Created
		err := s.write(ctx, func(db *sql.DB) error {
			t, err := s.insertTodo(ctx, db, r.Draft)
			out = todo.Created{Todo: t}
			return err
		})
		if err != nil {
			return todo.Created{}, err
		}
		return out, nil
	}

	fingerprint := r.Fingerprint()
	var out todo.Created
	err := s.write(ctx, func(db *sql.DB) error {
		err := inTx(ctx, db, func(tx *sql.Tx) error {
			t, err := s.insertTodo(ctx, tx, r.Draft)
			if err != nil {
				return err
			}
			response, err := json.Marshal(t)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx,
				"INSERT INTO idempotency_keys (idempotency_key, fingerprint, todo_id, write_tag, response, created_at) VALUES (?, ?, ?, ?, ?, ?)",
				r.IdempotencyKey, fingerprint, t.ID, t.Tag, string(response), t.CreatedAt)
			if isMySQLError(err, errDupEntry) {
				return errKeyTaken
			}
			if err != nil {
				return err
			}
			out = todo.Created{Todo: t}
			return nil
		})
		if errors.Is(err, errKeyTaken) {
			// The key row is committed (the duplicate was reported once
			// the other transaction ended): a plain read sees it.
			out, err = replay(ctx, db, r.IdempotencyKey, fingerprint)
		}
		return err
	})
	if err != nil {
		return todo.Created{}, err
	}
	return out, nil
}

// errKeyTaken: another create committed the idempotency key first.
var errKeyTaken = errors.New("idempotency key already stored")

// execer is a pool or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// insertTodo runs the gated INSERT and returns the todo it made, or the
// fence's refusal (notFenced).
func (s *Store) insertTodo(ctx context.Context, q execer, d todo.Draft) (todo.Todo, error) {
	now := s.timestamp()
	tag := s.newTag()
	res, err := q.ExecContext(ctx, insertTodo, d.Task, string(d.Status), now, now, tag, s.region)
	if err != nil {
		return todo.Todo{}, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return todo.Todo{}, err
	}
	if n == 0 {
		return todo.Todo{}, s.notFenced(ctx, q)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return todo.Todo{}, err
	}
	return todo.Todo{ID: id, Task: d.Task, Status: d.Status, CreatedAt: now, UpdatedAt: now, Version: 1, Tag: tag}, nil
}

// replay answers a create whose idempotency key is already stored, from
// the key row: the first response, even after the todo changed or was
// deleted; a Conflict when the key came with another request.
func replay(ctx context.Context, db *sql.DB, key, fingerprint string) (todo.Created, error) {
	var stored string
	var tag uint64
	var response sql.NullString
	err := db.QueryRowContext(ctx,
		"SELECT fingerprint, write_tag, response FROM idempotency_keys WHERE idempotency_key = ?",
		key).Scan(&stored, &tag, &response)
	if errors.Is(err, sql.ErrNoRows) {
		// Purged between the duplicate and this read (after its
		// retention): the key is forgotten, and the client retries a new
		// create. Unavailable says "retry".
		return todo.Created{}, todo.Errorf(todo.Unavailable, "the Idempotency-Key expired while this request ran; retry")
	}
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
	t.Tag = tag
	return todo.Created{Todo: t, Replayed: true}, nil
}

// casAttempts is how many times an update without a condition reads the
// row and tries its compare-and-set before it falls back to a locking
// transaction (only under contention on one todo).
const casAttempts = 3

// Update changes the todo with the given id in two round trips: it reads
// the row, then writes the change with a compare-and-set on the revision it
// read (UPDATE … WHERE id = ? AND version = ? AND write_tag = ?), so the
// version moves by exactly one per update and the response, built from the
// read plus the change (MySQL has no UPDATE … RETURNING), is exactly the
// state this write made. If another write got in between (zero rows):
// with a condition, one more read tells 404 from 412; without one, it reads
// and tries again, and after casAttempts it locks the row in a transaction
// instead.
func (s *Store) Update(ctx context.Context, id int64, u todo.Update) (todo.Todo, error) {
	if err := todo.ValidateID(id); err != nil {
		return todo.Todo{}, err
	}
	if err := u.Validate(); err != nil {
		return todo.Todo{}, err
	}
	var out todo.Todo
	err := s.write(ctx, func(db *sql.DB) error {
		for range casAttempts {
			cur, err := readForWrite(ctx, db, id, "")
			if err != nil {
				return err
			}
			if u.IfMatch != nil && !u.IfMatch.Matches(cur) {
				return todo.Stale(id, cur.Revision(), *u.IfMatch)
			}
			next := s.apply(cur, u)
			ok, err := compareAndSet(ctx, db, cur, next)
			if err != nil {
				return err
			}
			if ok {
				out = next
				return nil
			}
			if u.IfMatch != nil {
				// The revision the client named was current a moment ago
				// and is not any more: 412, or 404 if it was deleted.
				now, err := readForWrite(ctx, db, id, "")
				if err != nil {
					return err
				}
				return todo.Stale(id, now.Revision(), *u.IfMatch)
			}
		}
		return inTx(ctx, db, func(tx *sql.Tx) error {
			cur, err := readForWrite(ctx, tx, id, " FOR UPDATE")
			if err != nil {
				return err
			}
			next := s.apply(cur, u)
			ok, err := compareAndSet(ctx, tx, cur, next)
			if err == nil && !ok {
				err = fmt.Errorf("update todo %d: the locked row changed", id)
			}
			out = next
			return err
		})
	})
	if err != nil {
		return todo.Todo{}, err
	}
	return out, nil
}

// readForWrite reads the todo with the given id on the writer (lock is
// "" or " FOR UPDATE"); an absent todo is NotFound.
func readForWrite(ctx context.Context, q execer, id int64, lock string) (todo.Todo, error) {
	t, err := scanTodo(q.QueryRowContext(ctx, "SELECT "+todoColumns+" FROM todos WHERE id = ?"+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return todo.Todo{}, notFound(id)
	}
	return t, err
}

// apply returns cur changed by u as the next revision: version + 1, a new
// tag, updated now (never before its creation: a clock step back must not
// make a todo older than itself).
func (s *Store) apply(cur todo.Todo, u todo.Update) todo.Todo {
	next := u.Apply(cur)
	next.Version = cur.Version + 1
	next.Tag = s.newTag()
	next.UpdatedAt = s.timestamp()
	if next.UpdatedAt.Before(next.CreatedAt) {
		next.UpdatedAt = next.CreatedAt
	}
	return next
}

// compareAndSet writes next over the row if it is still at cur's
// revision, and reports whether it did. The version and tag always
// change, so a matched row is a changed row (RowsAffected counts changed
// rows).
func compareAndSet(ctx context.Context, q execer, cur, next todo.Todo) (bool, error) {
	res, err := q.ExecContext(ctx,
		"UPDATE todos SET task = ?, status = ?, updated_at = ?, version = ?, write_tag = ? WHERE id = ? AND version = ? AND write_tag = ?",
		next.Task, string(next.Status), next.UpdatedAt, next.Version, next.Tag, cur.ID, cur.Version, cur.Tag)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Delete removes the todo with the given id in one round trip: DELETE …
// WHERE id = ? (AND version = ? AND write_tag = ? with a condition). Only
// when a conditional delete removes nothing does one more read tell 404
// from 412.
func (s *Store) Delete(ctx context.Context, id int64, ifMatch *todo.Revision) error {
	if err := todo.ValidateID(id); err != nil {
		return err
	}
	if err := todo.ValidateRevision(ifMatch); err != nil {
		return err
	}
	return s.write(ctx, func(db *sql.DB) error {
		query, args := "DELETE FROM todos WHERE id = ?", []any{id}
		if ifMatch != nil {
			query += " AND version = ? AND write_tag = ?"
			args = append(args, ifMatch.Version, ifMatch.Tag)
		}
		res, err := db.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 1 {
			return err
		}
		if ifMatch == nil {
			return notFound(id)
		}
		cur, err := readForWrite(ctx, db, id, "")
		if err != nil {
			return err
		}
		return todo.Stale(id, cur.Revision(), *ifMatch)
	})
}

type scanner interface {
	Scan(dest ...any) error
}

func scanTodo(row scanner) (todo.Todo, error) {
	var t todo.Todo
	var status string
	var created, updated timeValue
	if err := row.Scan(&t.ID, &t.Task, &status, &created, &updated, &t.Version, &t.Tag); err != nil {
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
