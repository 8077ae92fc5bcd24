package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/contactbridge/contactbridge/store"
)

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, user, collection string, x store.Write, pre store.Precondition) (store.Timestamp, error) {
	var t store.Timestamp
	err := checkNames(user, collection)
	if err == nil {
		err = s.limits.CheckWrite(x)
	}
	if err == nil {
		err = s.write(ctx, func(w *wtx) error {
			c, err := w.collection(user, collection)
			if err != nil {
				return err
			}
			if pre.Set {
				cur, err := w.recordModified(c.cid, x.ID)
				if err != nil {
					return err
				}
				if err := checkPre(cur, pre); err != nil {
					return err
				}
			}
			t, err = w.apply(user, collection, &c, []store.Write{x})
			return err
		})
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: put %s/%s/%q: %w", user, collection, x.ID, err)
	}
	return t, nil
}

// Post implements store.Store.
func (s *Store) Post(ctx context.Context, user, collection string, ws []store.Write, pre store.Precondition) (store.WriteResult, error) {
	var res store.WriteResult
	err := checkNames(user, collection)
	var ok []store.Write
	if err == nil {
		ok, res, _, err = s.limits.Accept(ws)
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
			res.Modified = c.modified
			if len(ok) == 0 {
				return nil
			}
			res.Modified, err = w.apply(user, collection, &c, ok)
			return err
		})
	}
	if err != nil {
		return store.WriteResult{}, fmt.Errorf("sqlite: post %s/%s: %w", user, collection, err)
	}
	return res, nil
}

// recordModified returns the timestamp of record id of collection cid, 0 if
// it does not exist. Only unexpired records remain after coll loaded.
func (w *wtx) recordModified(cid int64, id string) (store.Timestamp, error) {
	if cid == 0 {
		return 0, nil
	}
	var m int64
	err := w.queryRow(w.st.recGet, cid, id).Scan(&m)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return store.Timestamp(m), err
}

// stored is what a write needs to know of a record that already exists.
type stored struct {
	sortindex sql.NullInt64
	expiry    int64
	size      int64
}

// apply stores ws (valid, ids distinct) in c with one new timestamp, which
// it returns. Nil fields keep the stored values. It checks the quota before
// it writes anything.
func (w *wtx) apply(user, name string, c *coll, ws []store.Write) (store.Timestamp, error) {
	old, err := w.lookup(c, ws)
	if err != nil {
		return 0, fmt.Errorf("lookup: %w", err)
	}

	// Records with a payload are written whole; records without one that
	// exist keep their payload and only get new metadata.
	var dBytes, dCount int64
	full := make([]store.Write, 0, len(ws))
	var touch []store.Write
	for _, x := range ws {
		o, exists := old[x.ID]
		switch {
		case exists && x.Payload == nil:
			touch = append(touch, x)
		case exists:
			dBytes += x.PayloadSize() - o.size
			full = append(full, x)
		default:
			dBytes += x.PayloadSize()
			dCount++
			full = append(full, x)
		}
	}
	if q := w.s.quota; q > 0 && dBytes > 0 && c.bytes+dBytes > q {
		return 0, fmt.Errorf("collection would hold %d bytes, quota %d: %w", c.bytes+dBytes, q, store.ErrOverQuota)
	}

	t, err := w.timestamp(user)
	if err != nil {
		return 0, fmt.Errorf("timestamp: %w", err)
	}
	if err := w.ensure(user, name, c); err != nil {
		return 0, fmt.Errorf("create collection: %w", err)
	}

	// sortindex and expiry of x after the write.
	meta := func(x store.Write) (any, int64) {
		o, exists := old[x.ID]
		var si any
		switch {
		case x.SortIndex != nil:
			si = *x.SortIndex
		case exists && o.sortindex.Valid:
			si = o.sortindex.Int64
		}
		var exp int64
		switch {
		case x.TTL != nil:
			exp = int64(t) + *x.TTL*1000
		case exists:
			exp = o.expiry
		default:
			exp = int64(t) + store.DefaultTTL*1000
		}
		c.minExpiry = min(c.minExpiry, exp)
		return si, exp
	}

	args := make([]any, 0, upsertCols*min(len(full), 1<<(upsertSizes-1)))
	for len(full) > 0 {
		k := upsertSizes - 1
		for 1<<k > len(full) {
			k--
		}
		args = args[:0]
		for _, x := range full[:1<<k] {
			si, exp := meta(x)
			payload := ""
			if x.Payload != nil {
				payload = *x.Payload
			}
			args = append(args, c.cid, x.ID, int64(t), si, exp, int64(len(payload)), payload)
		}
		if _, err := w.exec(w.st.upsert[k], args...); err != nil {
			return 0, fmt.Errorf("upsert: %w", err)
		}
		full = full[1<<k:]
	}
	for _, x := range touch {
		si, exp := meta(x)
		if _, err := w.exec(w.st.recTouch, int64(t), si, exp, c.cid, x.ID); err != nil {
			return 0, fmt.Errorf("update: %w", err)
		}
	}

	c.modified = t
	c.count += dCount
	c.bytes += dBytes
	if err := w.save(c); err != nil {
		return 0, fmt.Errorf("update collection: %w", err)
	}
	return t, nil
}

// lookup returns the stored records of c among the ids of ws.
func (w *wtx) lookup(c *coll, ws []store.Write) (map[string]stored, error) {
	if c.cid == 0 || c.count == 0 {
		return nil, nil
	}
	found := make(map[string]stored)
	ids := make([]string, 0, min(len(ws), store.MaxIDs))
	for len(ws) > 0 {
		n := min(len(ws), store.MaxIDs)
		ids = ids[:0]
		for _, x := range ws[:n] {
			ids = append(ids, x.ID)
		}
		ws = ws[n:]
		if err := w.lookupIDs(c.cid, ids, found); err != nil {
			return nil, err
		}
	}
	return found, nil
}

func (w *wtx) lookupIDs(cid int64, ids []string, found map[string]stored) error {
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	rows, err := w.query(w.st.recLookup, cid, string(list))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var r stored
		if err := rows.Scan(&id, &r.sortindex, &r.expiry, &r.size); err != nil {
			return err
		}
		found[id] = r
	}
	return rows.Err()
}
