package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactbridge/contactbridge/store"
)

// A wtx is one write transaction of one user. It holds the lock on the
// user's row from its first statement to its end, so the writes of a user
// run one at a time across every replica, and each statement after the lock
// sees what the previous writer committed (READ COMMITTED takes a snapshot
// per statement).
type wtx struct {
	s     *Store
	ctx   context.Context
	tx    pgx.Tx
	user  string
	now   time.Time
	nowMS int64
	// last is the user's last timestamp (0: none yet), as locked.
	last store.Timestamp
	// commitOnError commits the transaction even though fn failed (an
	// over-quota batch commit still ends the batch).
	commitOnError bool
}

// write runs fn in a write transaction of user, committed when fn returns
// nil. The clock is read once the lock is held, so that a write that waited
// for another still gets a timestamp of its own time.
func (s *Store) write(ctx context.Context, user string, fn func(w *wtx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite})
	if err != nil {
		return err
	}
	w := &wtx{s: s, ctx: ctx, tx: tx, user: user}
	if err := w.lockUser(); err != nil {
		return errors.Join(err, tx.Rollback(ctx))
	}
	w.now = s.now()
	w.nowMS = w.now.UnixMilli()
	if err := fn(w); err != nil {
		if w.commitOnError {
			return errors.Join(err, tx.Commit(ctx))
		}
		return errors.Join(err, tx.Rollback(ctx))
	}
	return tx.Commit(ctx)
}

// lockUser locks the user's row, creating it for a user who never wrote,
// and reads the user's last timestamp.
func (w *wtx) lockUser() error {
	const lock = `SELECT modified FROM users WHERE username = $1 FOR UPDATE`
	var last int64
	err := w.tx.QueryRow(w.ctx, lock, w.user).Scan(&last)
	if errors.Is(err, pgx.ErrNoRows) {
		// Two first writes of a user may race here: one inserts, the
		// other waits for it and then inserts nothing; both then lock.
		if _, err := w.tx.Exec(w.ctx, `INSERT INTO users (username, modified) VALUES ($1, 0) ON CONFLICT (username) DO NOTHING`, w.user); err != nil {
			return err
		}
		err = w.tx.QueryRow(w.ctx, lock, w.user).Scan(&last)
	}
	w.last = store.Timestamp(last)
	return err
}

// next is the timestamp the write takes: the clock truncated to 10 ms, or
// 10 ms past the user's last timestamp if the clock has not passed it.
// setUser stores it.
func (w *wtx) next() store.Timestamp {
	t := store.FromTime(w.now)
	if t <= w.last {
		t = w.last + 10
	}
	return t
}

// setUserSQL records a user's new last timestamp.
const setUserSQL = `UPDATE users SET modified = $2 WHERE username = $1`

// timestamp takes the next timestamp of the user and stores it.
func (w *wtx) timestamp() (store.Timestamp, error) {
	t := w.next()
	if _, err := w.tx.Exec(w.ctx, setUserSQL, w.user, int64(t)); err != nil {
		return 0, err
	}
	w.last = t
	return t, nil
}

// checkPre applies a precondition to a resource last modified at ts (0:
// absent).
func checkPre(ts store.Timestamp, pre store.Precondition) error {
	if pre.Set && ts > pre.IfUnmodifiedSince {
		return store.ErrPreconditionFailed
	}
	return nil
}
