package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/contactbridge/contactbridge/store"
)

// payload scans a bytea column into a string with a single copy, straight
// from the connection's buffer.
type payload struct{ dst *string }

// ScanBytes implements pgtype.BytesScanner.
func (p payload) ScanBytes(v []byte) error {
	*p.dst = string(v)
	return nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, user, collection, id string) (store.BSO, error) {
	b := store.BSO{ID: id}
	err := checkNames(user, collection)
	if err == nil && !store.ValidID(id) {
		err = fmt.Errorf("invalid id: %w", store.ErrInvalid)
	}
	if err == nil {
		var modified int64
		err = s.pool.QueryRow(ctx, `SELECT b.modified, b.sortindex, b.payload
			FROM collections c JOIN bso b ON b.cid = c.cid
			WHERE c.username = $1 AND c.name = $2 AND b.id = $3 AND b.expiry > $4`,
			user, collection, id, s.now().UnixMilli()).Scan(&modified, &b.SortIndex, payload{&b.Payload})
		if errors.Is(err, pgx.ErrNoRows) {
			err = store.ErrNotFound
		}
		b.Modified = store.Timestamp(modified)
	}
	if err != nil {
		return store.BSO{}, fmt.Errorf("postgres: get %s/%s/%q: %w", user, collection, id, err)
	}
	return b, nil
}

// List implements store.Store. store.SortNone reads in store.SortOldest
// order, the one the (cid, modified, id) index gives without sorting.
func (s *Store) List(ctx context.Context, user, collection string, q store.Query) (store.Page, error) {
	page, err := s.list(ctx, user, collection, q)
	if err != nil {
		return store.Page{}, fmt.Errorf("postgres: list %s/%s: %w", user, collection, err)
	}
	return page, nil
}

func (s *Store) list(ctx context.Context, user, collection string, q store.Query) (store.Page, error) {
	if err := checkNames(user, collection); err != nil {
		return store.Page{}, err
	}
	if err := q.Check(); err != nil {
		return store.Page{}, err
	}
	var after *store.Position
	if q.Offset != "" {
		p, err := store.DecodeOffset(q.Offset, q.Sort)
		if err != nil {
			return store.Page{}, err
		}
		after = &p
	}
	text, args := listSQL(q, after, user, collection, s.now().UnixMilli())
	var page store.Page
	// One snapshot for the collection's timestamp and its records: the
	// timestamp a client takes as its next newer= must not be of a write
	// whose records the page missed.
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(`SELECT modified FROM collections WHERE username = $1 AND name = $2`, user, collection).
			QueryRow(func(row pgx.Row) error {
				var modified int64
				err := row.Scan(&modified)
				if errors.Is(err, pgx.ErrNoRows) {
					return nil
				}
				page.LastModified = store.Timestamp(modified)
				return err
			})
		b.Queue(text, args...).Query(func(rows pgx.Rows) error {
			var err error
			page.Records, page.NextOffset, err = scanPage(rows, q)
			return err
		})
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return store.Page{}, err
	}
	if page.Records == nil {
		page.Records = []store.BSO{}
	}
	return page, nil
}

// sortKey is the SQL of a record's key in q's order, the key a store.Position
// holds.
func sortKey(sort store.Sort) string {
	if sort == store.SortIndex {
		return "coalesce(sortindex, " + strconv.FormatInt(store.NoSortIndex, 10) + ")"
	}
	return "modified"
}

// listSQL builds the query for q: the records of the user's collection
// that match it, in its order.
func listSQL(q store.Query, after *store.Position, user, collection string, nowMS int64) (string, []any) {
	var b strings.Builder
	args := []any{user, collection, nowMS}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	b.WriteString(`SELECT id, modified, sortindex`)
	if !q.IDsOnly {
		b.WriteString(`, payload`)
	}
	b.WriteString(` FROM bso WHERE cid = (SELECT cid FROM collections WHERE username = $1 AND name = $2) AND expiry > $3`)
	if q.Newer > 0 {
		b.WriteString(` AND modified > ` + arg(int64(q.Newer)))
	}
	if q.Older > 0 {
		b.WriteString(` AND modified < ` + arg(int64(q.Older)))
	}
	if len(q.IDs) > 0 {
		b.WriteString(` AND id = ANY(` + arg(q.IDs) + `::text[])`)
	}
	key := sortKey(q.Sort)
	desc := q.Sort == store.SortNewest || q.Sort == store.SortIndex
	if after != nil {
		// A row comparison, which the index can seek to.
		op := ">"
		if desc {
			op = "<"
		}
		// The key is bigint whatever the column: an offset's key of any
		// int64 compares, and is not refused as out of a column's range.
		fmt.Fprintf(&b, ` AND (%s, id) %s (%s::bigint, %s::text)`, key, op, arg(after.Key), arg(after.ID))
	}
	if desc {
		fmt.Fprintf(&b, ` ORDER BY %s DESC, id DESC`, key)
	} else {
		fmt.Fprintf(&b, ` ORDER BY %s, id`, key)
	}
	if q.Limit > 0 {
		b.WriteString(` LIMIT ` + arg(q.Limit+1)) // one more tells whether a next page exists
	}
	return b.String(), args
}

// scanPage reads the records of one page and, when q.Limit cut it short,
// the offset of the next.
func scanPage(rows pgx.Rows, q store.Query) ([]store.BSO, string, error) {
	defer rows.Close()
	var recs []store.BSO
	if q.Limit > 0 {
		recs = make([]store.BSO, 0, min(q.Limit, 1024))
	}
	var last store.Position
	for rows.Next() {
		if q.Limit > 0 && len(recs) == q.Limit {
			rows.Close()
			return recs, store.EncodeOffset(q.Sort, last), rows.Err()
		}
		var b store.BSO
		var modified int64
		var si *int64
		var err error
		if q.IDsOnly {
			err = rows.Scan(&b.ID, &modified, &si)
		} else {
			err = rows.Scan(&b.ID, &modified, &si, payload{&b.Payload})
		}
		if err != nil {
			return nil, "", err
		}
		last = store.Position{Key: modified, ID: b.ID}
		if q.Sort == store.SortIndex {
			last.Key = store.NoSortIndex
			if si != nil {
				last.Key = *si
			}
		}
		if !q.IDsOnly {
			b.Modified = store.Timestamp(modified)
			b.SortIndex = si
		}
		recs = append(recs, b)
	}
	return recs, "", rows.Err()
}
