package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/contactbridge/contactbridge/store"
)

// BeginBatch implements store.Store. It also drops every expired batch.
// Serialised with every write, it keeps the MaxOpenBatches bound exactly.
func (s *Store) BeginBatch(ctx context.Context, user, collection string) (string, error) {
	var id string
	err := checkNames(user, collection)
	if err == nil {
		var raw [12]byte
		_, err = rand.Read(raw[:])
		id = base64.RawURLEncoding.EncodeToString(raw[:])
	}
	if err == nil {
		err = s.write(ctx, func(w *wtx) error {
			if _, err := w.exec(w.st.batchExpireItems, w.nowMS); err != nil {
				return err
			}
			if _, err := w.exec(w.st.batchExpire, w.nowMS); err != nil {
				return err
			}
			var open int
			if err := w.queryRow(w.st.batchOpen, user, collection).Scan(&open); err != nil {
				return err
			}
			if open >= store.MaxOpenBatches {
				return fmt.Errorf("%d batches open, at most %d: %w", open, store.MaxOpenBatches, store.ErrSizeLimit)
			}
			_, err := w.exec(w.st.batchNew, id, user, collection, w.nowMS+store.BatchLifetime.Milliseconds())
			return err
		})
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: begin batch %s/%s: %w", user, collection, err)
	}
	return id, nil
}

// AppendBatch implements store.Store.
func (s *Store) AppendBatch(ctx context.Context, user, collection, batch string, ws []store.Write) (store.WriteResult, error) {
	var res store.WriteResult
	err := checkNames(user, collection)
	var ok []store.Write
	var bytes int64
	if err == nil {
		ok, res, bytes, err = s.limits.Accept(ws)
	}
	if err == nil {
		err = s.write(ctx, func(w *wtx) error {
			b, err := w.batch(user, collection, batch)
			if err != nil {
				return err
			}
			if err := s.limits.CheckBatch(b.records+int64(len(ok)), b.bytes+bytes, s.quota, true); err != nil {
				return err
			}
			for _, x := range ok {
				if _, err := w.exec(w.st.batchItemAdd, batch, x.ID, nullable(x.Payload), nullable(x.SortIndex), nullable(x.TTL)); err != nil {
					return err
				}
			}
			_, err = w.exec(w.st.batchSet, b.records+int64(len(ok)), b.bytes+bytes, batch)
			return err
		})
	}
	if err != nil {
		return store.WriteResult{}, fmt.Errorf("sqlite: append batch %s/%s: %w", user, collection, err)
	}
	return res, nil
}

// CommitBatch implements store.Store.
func (s *Store) CommitBatch(ctx context.Context, user, collection, batch string, ws []store.Write, pre store.Precondition) (store.WriteResult, error) {
	var res store.WriteResult
	err := checkNames(user, collection)
	var ok []store.Write
	var bytes int64
	if err == nil {
		ok, res, bytes, err = s.limits.Accept(ws)
	}
	if err == nil {
		err = s.write(ctx, func(w *wtx) error {
			b, err := w.batch(user, collection, batch)
			if err != nil {
				return err
			}
			if err := s.limits.CheckBatch(b.records+int64(len(ok)), b.bytes+bytes, s.quota, false); err != nil {
				return err
			}
			staged, err := w.batchItems(batch)
			if err != nil {
				return err
			}
			all := store.MergeWrites(append(staged, ok...))
			c, err := w.collection(user, collection)
			if err != nil {
				return err
			}
			if err := checkPre(c.modified, pre); err != nil {
				return err
			}
			if _, err := w.exec(w.st.batchItemsDel, batch); err != nil {
				return err
			}
			if _, err := w.exec(w.st.batchDel, batch); err != nil {
				return err
			}
			res.Success = make([]string, 0, len(all))
			for _, x := range all {
				res.Success = append(res.Success, x.ID)
			}
			res.Modified = c.modified
			if len(all) == 0 {
				return nil
			}
			res.Modified, err = w.apply(user, collection, &c, all)
			if errors.Is(err, store.ErrOverQuota) {
				w.commitOnError = true // nothing written but the batch's end
			}
			return err
		})
	}
	if err != nil {
		return store.WriteResult{}, fmt.Errorf("sqlite: commit batch %s/%s: %w", user, collection, err)
	}
	return res, nil
}

// batchTotals is what a batch holds so far.
type batchTotals struct{ records, bytes int64 }

// batch loads the open batch id of user/collection, or ErrBatchNotFound.
func (w *wtx) batch(user, collection, id string) (batchTotals, error) {
	var b batchTotals
	err := w.queryRow(w.st.batchGet, id, user, collection, w.nowMS).Scan(&b.records, &b.bytes)
	if errors.Is(err, sql.ErrNoRows) {
		return b, store.ErrBatchNotFound
	}
	return b, err
}

// batchItems returns the writes staged in batch, in order.
func (w *wtx) batchItems(batch string) ([]store.Write, error) {
	rows, err := w.query(w.st.batchItems, batch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ws []store.Write
	for rows.Next() {
		var x store.Write
		var payload sql.NullString
		var si, ttl sql.NullInt64
		if err := rows.Scan(&x.ID, &payload, &si, &ttl); err != nil {
			return nil, err
		}
		if payload.Valid {
			x.Payload = &payload.String
		}
		if si.Valid {
			x.SortIndex = &si.Int64
		}
		if ttl.Valid {
			x.TTL = &ttl.Int64
		}
		ws = append(ws, x)
	}
	return ws, rows.Err()
}

// nullable turns a nil pointer into SQL NULL.
func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
