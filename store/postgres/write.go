package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

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
		err = s.write(ctx, user, func(w *wtx) error {
			c, err := w.collection(collection)
			if err != nil {
				return err
			}
			check := func(old map[string]stored) error {
				return checkPre(old[x.ID].modified, pre) // 0 when absent
			}
			t, err = w.apply(&c, []store.Write{x}, check)
			return err
		})
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: put %s/%s/%q: %w", user, collection, x.ID, err)
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
		err = s.write(ctx, user, func(w *wtx) error {
			c, err := w.collection(collection)
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
			res.Modified, err = w.apply(&c, ok, nil)
			return err
		})
	}
	if err != nil {
		return store.WriteResult{}, fmt.Errorf("postgres: post %s/%s: %w", user, collection, err)
	}
	return res, nil
}

// stored is what a write needs to know of a record that already exists.
type stored struct {
	modified  store.Timestamp
	sortindex *int64
	expiry    int64
	size      int64
}

// Statements of apply. The records go as arrays, one per column, so that
// one statement of a fixed text writes any number of them.
const (
	lookupSQL = `SELECT id, modified, sortindex, expiry, size FROM bso WHERE cid = $1 AND id = ANY($2::text[])`
	upsertSQL = `INSERT INTO bso (cid, id, modified, sortindex, expiry, size, payload)
		SELECT $1, u.id, $2, u.sortindex, u.expiry, u.size, u.payload
		FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bytea[]) AS u (id, sortindex, expiry, size, payload)
		ON CONFLICT (cid, id) DO UPDATE SET modified = excluded.modified, sortindex = excluded.sortindex,
			expiry = excluded.expiry, size = excluded.size, payload = excluded.payload`
	touchSQL = `UPDATE bso SET modified = $2, sortindex = u.sortindex, expiry = u.expiry
		FROM unnest($3::text[], $4::bigint[], $5::bigint[]) AS u (id, sortindex, expiry)
		WHERE bso.cid = $1 AND bso.id = u.id`
)

// apply stores ws (valid, ids distinct) in c with one new timestamp, which
// it returns. Nil fields keep the stored values. check, if not nil, sees the
// stored records among ws first and may refuse the write. The quota is
// checked before anything is written; the writes then go in one round trip.
func (w *wtx) apply(c *coll, ws []store.Write, check func(map[string]stored) error) (store.Timestamp, error) {
	old, err := w.lookup(c, ws)
	if err != nil {
		return 0, fmt.Errorf("lookup: %w", err)
	}
	if check != nil {
		if err := check(old); err != nil {
			return 0, err
		}
	}

	// Records with a payload are written whole; records without one that
	// exist keep their payload and only get new metadata.
	var dBytes, dCount int64
	var full, touch []store.Write
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

	t := w.next()
	if err := w.ensure(c); err != nil {
		return 0, fmt.Errorf("create collection: %w", err)
	}

	// sortindex and expiry of x after the write.
	meta := func(x store.Write) (*int64, int64) {
		o, exists := old[x.ID]
		si := x.SortIndex
		if si == nil && exists {
			si = o.sortindex
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

	var b pgx.Batch
	b.Queue(setUserSQL, w.user, int64(t))
	if len(full) > 0 {
		ids := make([]string, len(full))
		sis := make([]*int64, len(full))
		exps := make([]int64, len(full))
		sizes := make([]int64, len(full))
		payloads := make([][]byte, len(full))
		for i, x := range full {
			ids[i] = x.ID
			sis[i], exps[i] = meta(x)
			if x.Payload != nil {
				payloads[i] = []byte(*x.Payload)
			}
			if payloads[i] == nil {
				payloads[i] = []byte{} // nil would be NULL
			}
			sizes[i] = int64(len(payloads[i]))
		}
		b.Queue(upsertSQL, c.cid, int64(t), ids, sis, exps, sizes, payloads)
	}
	if len(touch) > 0 {
		ids := make([]string, len(touch))
		sis := make([]*int64, len(touch))
		exps := make([]int64, len(touch))
		for i, x := range touch {
			ids[i] = x.ID
			sis[i], exps[i] = meta(x)
		}
		b.Queue(touchSQL, c.cid, int64(t), ids, sis, exps)
	}
	c.modified = t
	c.count += dCount
	c.bytes += dBytes
	b.Queue(saveSQL, saveArgs(c)...)
	if err := w.tx.SendBatch(w.ctx, &b).Close(); err != nil {
		return 0, fmt.Errorf("write records: %w", err)
	}
	w.last = t
	return t, nil
}

// lookup returns the stored records of c among the ids of ws.
func (w *wtx) lookup(c *coll, ws []store.Write) (map[string]stored, error) {
	if c.cid == 0 || c.count == 0 {
		return nil, nil
	}
	ids := make([]string, len(ws))
	for i, x := range ws {
		ids[i] = x.ID
	}
	rows, err := w.tx.Query(w.ctx, lookupSQL, c.cid, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := make(map[string]stored)
	for rows.Next() {
		var id string
		var r stored
		var modified int64
		if err := rows.Scan(&id, &modified, &r.sortindex, &r.expiry, &r.size); err != nil {
			return nil, err
		}
		r.modified = store.Timestamp(modified)
		found[id] = r
	}
	return found, rows.Err()
}
