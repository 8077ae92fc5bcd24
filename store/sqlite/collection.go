package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/contactbridge/contactbridge/store"
)

// coll is a collection's row as a write transaction sees it. After load its
// totals are exact: no stored record has expired.
type coll struct {
	cid       int64 // 0: the collection does not exist
	modified  store.Timestamp
	count     int64
	bytes     int64
	minExpiry int64 // lower bound of the records' expiry times
}

// collection loads the collection user/name, purging its expired records
// first if any may have expired.
func (w *wtx) collection(user, name string) (coll, error) {
	c := coll{minExpiry: noExpiry}
	var modified int64
	err := w.queryRow(w.st.collGet, user, name).Scan(&c.cid, &modified, &c.count, &c.bytes, &c.minExpiry)
	if errors.Is(err, sql.ErrNoRows) {
		return coll{minExpiry: noExpiry}, nil
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
	if _, err := w.exec(w.st.purge, c.cid, w.nowMS); err != nil {
		return err
	}
	if err := w.queryRow(w.st.totals, noExpiry, c.cid).Scan(&c.count, &c.bytes, &c.minExpiry); err != nil {
		return err
	}
	return w.save(c)
}

// ensure creates the collection if it does not exist yet.
func (w *wtx) ensure(user, name string, c *coll) error {
	if c.cid != 0 {
		return nil
	}
	r, err := w.exec(w.st.collNew, user, name, noExpiry)
	if err != nil {
		return err
	}
	c.cid, err = r.LastInsertId()
	return err
}

// save writes c's timestamp and totals back.
func (w *wtx) save(c *coll) error {
	_, err := w.exec(w.st.collSet, int64(c.modified), c.count, c.bytes, c.minExpiry, c.cid)
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
