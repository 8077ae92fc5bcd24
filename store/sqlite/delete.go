package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/contactbridge/contactbridge/store"
)

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, user, collection, id string, pre store.Precondition) (store.Timestamp, error) {
	var t store.Timestamp
	err := checkNames(user, collection)
	if err == nil && !store.ValidID(id) {
		err = fmt.Errorf("invalid id: %w", store.ErrInvalid)
	}
	if err == nil {
		err = s.write(ctx, func(w *wtx) error {
			c, err := w.collection(user, collection)
			if err != nil {
				return err
			}
			cur, err := w.recordModified(c.cid, id)
			if err != nil {
				return err
			}
			if err := checkPre(cur, pre); err != nil {
				return err
			}
			if cur == 0 {
				return store.ErrNotFound
			}
			var size int64
			if err := w.queryRow(w.st.recDel, c.cid, id).Scan(&size); err != nil {
				return err
			}
			c.count--
			c.bytes -= size
			t, err = w.touch(user, &c)
			return err
		})
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete %s/%s/%q: %w", user, collection, id, err)
	}
	return t, nil
}

// DeleteIDs implements store.Store.
func (s *Store) DeleteIDs(ctx context.Context, user, collection string, ids []string, pre store.Precondition) (store.Timestamp, error) {
	var t store.Timestamp
	err := checkNames(user, collection)
	if err == nil {
		err = store.Query{IDs: ids}.Check()
	}
	if err == nil {
		err = s.write(ctx, func(w *wtx) error {
			c, err := w.collection(user, collection)
			if err != nil {
				return err
			}
			if err := checkPre(c.modified, pre); err != nil {
				return err
			}
			if err := w.ensure(user, collection, &c); err != nil {
				return err
			}
			if err := w.deleteIDs(&c, ids); err != nil {
				return err
			}
			t, err = w.touch(user, &c)
			return err
		})
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete ids %s/%s: %w", user, collection, err)
	}
	return t, nil
}

func (w *wtx) deleteIDs(c *coll, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	rows, err := w.query(w.st.recDelIDs, c.cid, string(list))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var size int64
		if err := rows.Scan(&size); err != nil {
			return err
		}
		c.count--
		c.bytes -= size
	}
	return rows.Err()
}

// touch gives c a new timestamp and saves its totals.
func (w *wtx) touch(user string, c *coll) (store.Timestamp, error) {
	t, err := w.timestamp(user)
	if err != nil {
		return 0, err
	}
	c.modified = t
	return t, w.save(c)
}

// DeleteCollection implements store.Store.
func (s *Store) DeleteCollection(ctx context.Context, user, collection string, pre store.Precondition) (store.Timestamp, error) {
	var t store.Timestamp
	err := checkNames(user, collection)
	if err == nil {
		err = s.write(ctx, func(w *wtx) error {
			c, err := w.collection(user, collection)
			if err != nil {
				return err
			}
			if err := checkPre(c.modified, pre); err != nil {
				return err
			}
			if c.cid == 0 {
				var last int64
				err := w.queryRow(w.st.userGet, user).Scan(&last)
				if errors.Is(err, sql.ErrNoRows) {
					err = nil
				}
				t = store.Timestamp(last)
				return err
			}
			for _, step := range []struct {
				stmt *sql.Stmt
				args []any
			}{
				{w.st.recDelAll, []any{c.cid}},
				{w.st.collDel, []any{c.cid}},
				{w.st.batchCollItemsDel, []any{user, collection}},
				{w.st.batchCollDel, []any{user, collection}},
			} {
				if _, err := w.exec(step.stmt, step.args...); err != nil {
					return err
				}
			}
			t, err = w.timestamp(user)
			return err
		})
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete collection %s/%s: %w", user, collection, err)
	}
	return t, nil
}

// DeleteUser implements store.Store.
func (s *Store) DeleteUser(ctx context.Context, user string) error {
	err := checkUser(user)
	if err == nil {
		err = s.write(ctx, func(w *wtx) error {
			for _, st := range []*sql.Stmt{w.st.recsDelAll, w.st.collsDel, w.st.batchUserItemsDel, w.st.batchUserDel} {
				if _, err := w.exec(st, user); err != nil {
					return err
				}
			}
			_, err := w.timestamp(user)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("sqlite: delete user %s: %w", user, err)
	}
	return nil
}
