package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/contactbridge/contactbridge/store"
)

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, user, collection, id string) (store.BSO, error) {
	b := store.BSO{ID: id}
	err := checkNames(user, collection)
	if err == nil && !store.ValidID(id) {
		err = fmt.Errorf("invalid id: %w", store.ErrInvalid)
	}
	if err == nil {
		err = s.read(ctx, func(tx *sql.Tx, nowMS int64) error {
			var modified int64
			var si sql.NullInt64
			err := tx.StmtContext(ctx, s.rstmts.recGet).QueryRowContext(ctx, user, collection, id, nowMS).
				Scan(&modified, &si, &b.Payload)
			if errors.Is(err, sql.ErrNoRows) {
				return store.ErrNotFound
			}
			b.Modified = store.Timestamp(modified)
			if si.Valid {
				b.SortIndex = &si.Int64
			}
			return err
		})
	}
	if err != nil {
		return store.BSO{}, fmt.Errorf("sqlite: get %s/%s/%q: %w", user, collection, id, err)
	}
	return b, nil
}

// List implements store.Store. store.SortNone reads in store.SortOldest
// order, the one the (cid, modified, id) index gives without sorting.
func (s *Store) List(ctx context.Context, user, collection string, q store.Query) (store.Page, error) {
	page, err := s.list(ctx, user, collection, q)
	if err != nil {
		return store.Page{}, fmt.Errorf("sqlite: list %s/%s: %w", user, collection, err)
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
	text, args := listSQL(q, after)
	stmt, err := s.listStmt(ctx, text)
	if err != nil {
		return store.Page{}, err
	}
	var page store.Page
	err = s.read(ctx, func(tx *sql.Tx, nowMS int64) error {
		var cid, modified int64
		err := tx.StmtContext(ctx, s.rstmts.collGet).QueryRowContext(ctx, user, collection).Scan(&cid, &modified)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		page.LastModified = store.Timestamp(modified)
		args[0], args[1] = cid, nowMS
		rows, err := tx.StmtContext(ctx, stmt).QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		page.Records, page.NextOffset, err = scanPage(rows, q)
		return err
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
		return fmt.Sprintf("coalesce(sortindex, %d)", store.NoSortIndex)
	}
	return "modified"
}

// listSQL builds the query for q. Its first two arguments, the collection
// id and the time, are left for the caller to fill in.
func listSQL(q store.Query, after *store.Position) (string, []any) {
	var b strings.Builder
	args := []any{nil, nil}
	b.WriteString(`SELECT id, modified, sortindex`)
	if !q.IDsOnly {
		b.WriteString(`, payload`)
	}
	b.WriteString(` FROM bso`)
	if len(q.IDs) > 0 {
		// At most MaxIDs lookups, then a small sort; without the hint
		// SQLite walks the whole collection in the order's index.
		b.WriteString(` INDEXED BY bso_id`)
	}
	b.WriteString(` WHERE cid = ? AND expiry > ?`)
	if q.Newer > 0 {
		b.WriteString(` AND modified > ?`)
		args = append(args, int64(q.Newer))
	}
	if q.Older > 0 {
		b.WriteString(` AND modified < ?`)
		args = append(args, int64(q.Older))
	}
	if len(q.IDs) > 0 {
		list, _ := json.Marshal(q.IDs) // []string always marshals
		b.WriteString(` AND id IN ` + idsParam)
		args = append(args, string(list))
	}
	key := sortKey(q.Sort)
	desc := q.Sort == store.SortNewest || q.Sort == store.SortIndex
	if after != nil {
		// Written so that SQLite can seek the index on the key's bound.
		if desc {
			fmt.Fprintf(&b, ` AND %[1]s <= ? AND (%[1]s < ? OR id < ?)`, key)
		} else {
			fmt.Fprintf(&b, ` AND %[1]s >= ? AND (%[1]s > ? OR id > ?)`, key)
		}
		args = append(args, after.Key, after.Key, after.ID)
	}
	if desc {
		fmt.Fprintf(&b, ` ORDER BY %s DESC, id DESC`, key)
	} else {
		fmt.Fprintf(&b, ` ORDER BY %s, id`, key)
	}
	if q.Limit > 0 {
		b.WriteString(` LIMIT ?`)
		args = append(args, q.Limit+1) // one more tells whether a next page exists
	}
	return b.String(), args
}

// scanPage reads the records of one page and, when q.Limit cut it short,
// the offset of the next.
func scanPage(rows *sql.Rows, q store.Query) ([]store.BSO, string, error) {
	var recs []store.BSO
	if q.Limit > 0 {
		recs = make([]store.BSO, 0, min(q.Limit, 1024))
	}
	var last store.Position
	for rows.Next() {
		if q.Limit > 0 && len(recs) == q.Limit {
			return recs, store.EncodeOffset(q.Sort, last), rows.Close()
		}
		var b store.BSO
		var modified int64
		var si sql.NullInt64
		var err error
		if q.IDsOnly {
			err = rows.Scan(&b.ID, &modified, &si)
		} else {
			err = rows.Scan(&b.ID, &modified, &si, &b.Payload)
		}
		if err != nil {
			return nil, "", err
		}
		last = store.Position{Key: modified, ID: b.ID}
		if q.Sort == store.SortIndex {
			last.Key = store.NoSortIndex
			if si.Valid {
				last.Key = si.Int64
			}
		}
		if !q.IDsOnly {
			b.Modified = store.Timestamp(modified)
			if si.Valid {
				b.SortIndex = &si.Int64
			}
		}
		recs = append(recs, b)
	}
	return recs, "", rows.Err()
}

// listStmt returns the prepared statement for a List query text.
func (s *Store) listStmt(ctx context.Context, text string) (*sql.Stmt, error) {
	s.listMu.Lock()
	defer s.listMu.Unlock()
	if s.lists == nil {
		return nil, errors.New("store closed")
	}
	if st, ok := s.lists[text]; ok {
		return st, nil
	}
	st, err := s.rdb.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	s.lists[text] = st
	return st, nil
}
