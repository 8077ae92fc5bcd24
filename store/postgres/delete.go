package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

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
		err = s.write(ctx, user, func(w *wtx) error {
			c, err := w.collection(collection)
			if err != nil {
				return err
			}
			var modified, size int64
			if c.cid != 0 {
				err = w.tx.QueryRow(ctx, `SELECT modified, size FROM bso WHERE cid = $1 AND id = $2`, c.cid, id).Scan(&modified, &size)
				if errors.Is(err, pgx.ErrNoRows) {
					err = nil
				}
				if err != nil {
					return err
				}
			}
			if err := checkPre(store.Timestamp(modified), pre); err != nil {
				return err
			}
			if modified == 0 {
				return store.ErrNotFound
			}
			c.count--
			c.bytes -= size
			var b pgx.Batch
			b.Queue(`DELETE FROM bso WHERE cid = $1 AND id = $2`, c.cid, id)
			t = w.touch(&b, &c)
			return w.tx.SendBatch(ctx, &b).Close()
		})
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: delete %s/%s/%q: %w", user, collection, id, err)
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
		err = s.write(ctx, user, func(w *wtx) error {
			c, err := w.collection(collection)
			if err != nil {
				return err
			}
			if err := checkPre(c.modified, pre); err != nil {
				return err
			}
			if err := w.ensure(&c); err != nil {
				return err
			}
			if len(ids) > 0 {
				var n, size int64
				err := w.tx.QueryRow(ctx, `WITH gone AS (DELETE FROM bso WHERE cid = $1 AND id = ANY($2::text[]) RETURNING size)
					SELECT count(*), coalesce(sum(size), 0) FROM gone`, c.cid, ids).Scan(&n, &size)
				if err != nil {
					return err
				}
				c.count -= n
				c.bytes -= size
			}
			var b pgx.Batch
			t = w.touch(&b, &c)
			return w.tx.SendBatch(ctx, &b).Close()
		})
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: delete ids %s/%s: %w", user, collection, err)
	}
	return t, nil
}

// touch gives c the write's timestamp, which it returns, and queues the
// statements that store it and c's totals.
func (w *wtx) touch(b *pgx.Batch, c *coll) store.Timestamp {
	t := w.next()
	w.last = t
	c.modified = t
	b.Queue(setUserSQL, w.user, int64(t))
	b.Queue(saveSQL, saveArgs(c)...)
	return t
}

// DeleteCollection implements store.Store.
func (s *Store) DeleteCollection(ctx context.Context, user, collection string, pre store.Precondition) (store.Timestamp, error) {
	var t store.Timestamp
	err := checkNames(user, collection)
	if err == nil {
		err = s.write(ctx, user, func(w *wtx) error {
			var cid, modified int64
			err := w.tx.QueryRow(ctx, `SELECT cid, modified FROM collections WHERE username = $1 AND name = $2`, user, collection).Scan(&cid, &modified)
			if errors.Is(err, pgx.ErrNoRows) {
				err = nil
			}
			if err != nil {
				return err
			}
			if err := checkPre(store.Timestamp(modified), pre); err != nil {
				return err
			}
			if cid == 0 {
				t = w.last
				return nil
			}
			if _, err := w.tx.Exec(ctx, `DELETE FROM bso WHERE cid = $1`, cid); err != nil {
				return err
			}
			if _, err := w.tx.Exec(ctx, `DELETE FROM collections WHERE cid = $1`, cid); err != nil {
				return err
			}
			if err := dropBatches(ctx, w.tx, `DELETE FROM batches WHERE username = $1 AND name = $2 RETURNING bid`, user, collection); err != nil {
				return err
			}
			t, err = w.timestamp()
			return err
		})
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: delete collection %s/%s: %w", user, collection, err)
	}
	return t, nil
}

// DeleteUser implements store.Store.
func (s *Store) DeleteUser(ctx context.Context, user string) error {
	err := checkUser(user)
	if err == nil {
		err = s.write(ctx, user, func(w *wtx) error {
			if _, err := w.tx.Exec(ctx, `DELETE FROM bso WHERE cid IN (SELECT cid FROM collections WHERE username = $1)`, user); err != nil {
				return err
			}
			if _, err := w.tx.Exec(ctx, `DELETE FROM collections WHERE username = $1`, user); err != nil {
				return err
			}
			if err := dropBatches(ctx, w.tx, `DELETE FROM batches WHERE username = $1 RETURNING bid`, user); err != nil {
				return err
			}
			_, err := w.timestamp()
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("postgres: delete user %s: %w", user, err)
	}
	return nil
}
