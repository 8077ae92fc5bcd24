package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/contactbridge/contactbridge/store"
)

// expireBatches is how many expired batches one BeginBatch drops at most,
// so that none of them waits long on a backlog.
const expireBatches = 100

// Statements of the batch path.
const (
	// batchLockSQL finds an open batch of a user's collection and locks
	// it, so that appends and the commit of one batch take turns.
	batchLockSQL = `SELECT records, bytes FROM batches
		WHERE bid = $1 AND username = $2 AND name = $3 AND expires > $4 FOR UPDATE`
	batchStageSQL = `INSERT INTO batch_items (bid, pos, id, payload, sortindex, ttl)
		SELECT $1, $2 + u.n, u.id, u.payload, u.sortindex, u.ttl
		FROM unnest($3::text[], $4::bytea[], $5::bigint[], $6::bigint[]) WITH ORDINALITY AS u (id, payload, sortindex, ttl, n)`
	batchTotalsSQL = `UPDATE batches SET records = $2, bytes = $3 WHERE bid = $1`
	batchItemsSQL  = `SELECT id, payload, sortindex, ttl FROM batch_items WHERE bid = $1 ORDER BY pos`
	// Expired batches that another transaction holds are skipped, not
	// waited for: the next BeginBatch takes them.
	batchExpireSQL = `DELETE FROM batches WHERE bid IN (
		SELECT bid FROM batches WHERE expires <= $1 ORDER BY expires LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING bid`
	batchItemsDelSQL = `DELETE FROM batch_items WHERE bid = ANY($1::text[])`
)

// BeginBatch implements store.Store. It also drops expired batches.
func (s *Store) BeginBatch(ctx context.Context, user, collection string) (string, error) {
	var id string
	err := checkNames(user, collection)
	if err == nil {
		var raw [12]byte
		_, err = rand.Read(raw[:])
		id = base64.RawURLEncoding.EncodeToString(raw[:])
	}
	if err == nil {
		nowMS := s.now().UnixMilli()
		err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
			if err := dropBatches(ctx, tx, batchExpireSQL, nowMS, expireBatches); err != nil {
				return fmt.Errorf("drop expired batches: %w", err)
			}
			// Replicas beginning batches at the same moment may each
			// pass this count: the bound is a bound on abuse, not exact.
			var open int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM batches WHERE username = $1 AND name = $2 AND expires > $3`,
				user, collection, nowMS).Scan(&open); err != nil {
				return err
			}
			if open >= store.MaxOpenBatches {
				return fmt.Errorf("%d batches open, at most %d: %w", open, store.MaxOpenBatches, store.ErrSizeLimit)
			}
			_, err := tx.Exec(ctx, `INSERT INTO batches (bid, username, name, expires, records, bytes) VALUES ($1, $2, $3, $4, 0, 0)`,
				id, user, collection, nowMS+store.BatchLifetime.Milliseconds())
			return err
		})
	}
	if err != nil {
		return "", fmt.Errorf("postgres: begin batch %s/%s: %w", user, collection, err)
	}
	return id, nil
}

// dropBatches deletes the batches that query deletes (returning their ids),
// then their staged records. The records go in a statement of their own, so
// that it sees the records of an append that the batch delete waited for.
func dropBatches(ctx context.Context, tx pgx.Tx, query string, args ...any) error {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	bids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(bids) == 0 {
		return err
	}
	_, err = tx.Exec(ctx, batchItemsDelSQL, bids)
	return err
}

// AppendBatch implements store.Store. It locks the batch's row, not the
// user's: appends do not wait for the user's other writes.
func (s *Store) AppendBatch(ctx context.Context, user, collection, batch string, ws []store.Write) (store.WriteResult, error) {
	var res store.WriteResult
	err := checkNames(user, collection)
	var ok []store.Write
	var bytes int64
	if err == nil {
		ok, res, bytes, err = s.limits.Accept(ws)
	}
	if err == nil {
		nowMS := s.now().UnixMilli()
		err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
			b, err := lockBatch(ctx, tx, user, collection, batch, nowMS)
			if err != nil {
				return err
			}
			if err := s.limits.CheckBatch(b.records+int64(len(ok)), b.bytes+bytes, s.quota, true); err != nil {
				return err
			}
			if len(ok) == 0 {
				return nil
			}
			var q pgx.Batch
			q.Queue(batchStageSQL, stageArgs(batch, b.records, ok)...)
			q.Queue(batchTotalsSQL, batch, b.records+int64(len(ok)), b.bytes+bytes)
			return tx.SendBatch(ctx, &q).Close()
		})
	}
	if err != nil {
		return store.WriteResult{}, fmt.Errorf("postgres: append batch %s/%s: %w", user, collection, err)
	}
	return res, nil
}

// stageArgs are the arguments of batchStageSQL for ws appended after the
// batch's first records.
func stageArgs(batch string, records int64, ws []store.Write) []any {
	ids := make([]string, len(ws))
	payloads := make([][]byte, len(ws)) // nil: NULL, the stored payload stays
	sis := make([]*int64, len(ws))
	ttls := make([]*int64, len(ws))
	for i, x := range ws {
		ids[i], sis[i], ttls[i] = x.ID, x.SortIndex, x.TTL
		if x.Payload != nil {
			payloads[i] = []byte(*x.Payload)
			if payloads[i] == nil {
				payloads[i] = []byte{}
			}
		}
	}
	return []any{batch, records, ids, payloads, sis, ttls}
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
		err = s.write(ctx, user, func(w *wtx) error {
			b, err := lockBatch(ctx, w.tx, user, collection, batch, w.nowMS)
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
			c, err := w.collection(collection)
			if err != nil {
				return err
			}
			if err := checkPre(c.modified, pre); err != nil {
				return err
			}
			if err := dropBatches(ctx, w.tx, `DELETE FROM batches WHERE bid = $1 RETURNING bid`, batch); err != nil {
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
			res.Modified, err = w.apply(&c, all, nil)
			if errors.Is(err, store.ErrOverQuota) {
				w.commitOnError = true // nothing written but the batch's end
			}
			return err
		})
	}
	if err != nil {
		return store.WriteResult{}, fmt.Errorf("postgres: commit batch %s/%s: %w", user, collection, err)
	}
	return res, nil
}

// batchTotals is what a batch holds so far.
type batchTotals struct{ records, bytes int64 }

// lockBatch locks the open batch id of user/collection, or returns
// ErrBatchNotFound.
func lockBatch(ctx context.Context, tx pgx.Tx, user, collection, id string, nowMS int64) (batchTotals, error) {
	var b batchTotals
	err := tx.QueryRow(ctx, batchLockSQL, id, user, collection, nowMS).Scan(&b.records, &b.bytes)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, store.ErrBatchNotFound
	}
	return b, err
}

// batchItems returns the writes staged in batch, in order.
func (w *wtx) batchItems(batch string) ([]store.Write, error) {
	rows, err := w.tx.Query(w.ctx, batchItemsSQL, batch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ws []store.Write
	for rows.Next() {
		var x store.Write
		var payload []byte
		if err := rows.Scan(&x.ID, &payload, &x.SortIndex, &x.TTL); err != nil {
			return nil, err
		}
		if payload != nil {
			p := string(payload)
			x.Payload = &p
		}
		ws = append(ws, x)
	}
	return ws, rows.Err()
}
