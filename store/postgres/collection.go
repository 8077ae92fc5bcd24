package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/contactbridge/contactbridge/store"
)

// coll is a collection's row as a write transaction sees it. After load its
// totals are exact: no stored record has expired.
type coll struct {
	cid       int64 // 0: the collection does not exist
	name      string
	modified  store.Timestamp
	count     int64
	bytes     int64
	minExpiry int64 // lower bound of the records' expiry times
}

// collection loads the user's collection name, purging its expired records
// first if any may have expired. The user's lock makes the row stable for
// the rest of the transaction.
func (w *wtx) collection(name string) (coll, error) {
	c := coll{name: name, minExpiry: noExpiry}
	var modified int64
	err := w.tx.QueryRow(w.ctx, `SELECT cid, modified, count, bytes, min_expiry FROM collections WHERE username = $1 AND name = $2`,
		w.user, name).Scan(&c.cid, &modified, &c.count, &c.bytes, &c.minExpiry)
	if errors.Is(err, pgx.ErrNoRows) {
		return coll{name: name, minExpiry: noExpiry}, nil
	}
	if err != nil {
		return c, err
	}
	c.modified = store.Timestamp(modified)
	if c.minExpiry <= w.nowMS {
		if err := w.purge(&c); err != nil {
			return c, fmt.Errorf("purge: %w", err)
		}
	}
	return c, nil
}

// purge deletes the expired records of c and recomputes its totals. It runs
// once each time the clock passes the collection's earliest expiry.
func (w *wtx) purge(c *coll) error {
	if _, err := w.tx.Exec(w.ctx, `DELETE FROM bso WHERE cid = $1 AND expiry <= $2`, c.cid, w.nowMS); err != nil {
		return err
	}
	err := w.tx.QueryRow(w.ctx, `SELECT count(*), coalesce(sum(size), 0), coalesce(min(expiry), $2) FROM bso WHERE cid = $1`,
		c.cid, noExpiry).Scan(&c.count, &c.bytes, &c.minExpiry)
	if err != nil {
		return err
	}
	return w.save(c)
}

// ensure creates the collection if it does not exist yet.
func (w *wtx) ensure(c *coll) error {
	if c.cid != 0 {
		return nil
	}
	return w.tx.QueryRow(w.ctx, `INSERT INTO collections (username, name, modified, count, bytes, min_expiry)
		VALUES ($1, $2, 0, 0, 0, $3) RETURNING cid`, w.user, c.name, noExpiry).Scan(&c.cid)
}

// saveSQL writes a collection's timestamp and totals back.
const saveSQL = `UPDATE collections SET modified = $2, count = $3, bytes = $4, min_expiry = $5 WHERE cid = $1`

func saveArgs(c *coll) []any {
	return []any{c.cid, int64(c.modified), c.count, c.bytes, c.minExpiry}
}

// save writes c's timestamp and totals back.
func (w *wtx) save(c *coll) error {
	_, err := w.tx.Exec(w.ctx, saveSQL, saveArgs(c)...)
	return err
}

// checkNames validates a user and a collection name.
func checkNames(user, name string) error {
	if err := checkUser(user); err != nil {
		return err
	}
	if !store.ValidCollection(name) {
		return fmt.Errorf("collection name: %w", store.ErrInvalid)
	}
	return nil
}

func checkUser(user string) error {
	if user == "" {
		return fmt.Errorf("empty user: %w", store.ErrInvalid)
	}
	return nil
}
