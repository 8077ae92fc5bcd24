package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

// A wtx is one write transaction. Writes are serialised by Store.wmu, and
// BEGIN IMMEDIATE takes SQLite's write lock at once, so a transaction never
// fails half-way for a lock another process took.
type wtx struct {
	s     *Store
	ctx   context.Context
	tx    *sql.Tx
	st    *writeStmts
	now   time.Time
	nowMS int64
	// commitOnError commits the transaction even though fn failed (an
	// over-quota batch commit still ends the batch).
	commitOnError bool
}

// write runs fn in a write transaction, committed when fn returns nil.
func (s *Store) write(ctx context.Context, fn func(w *wtx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if !s.wready {
		// Before the transaction: it holds the only write connection.
		if err := s.stmts.prepare(ctx, s.wdb); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		s.wready = true
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	now := s.now()
	w := &wtx{s: s, ctx: ctx, tx: tx, st: &s.stmts, now: now, nowMS: now.UnixMilli()}
	if err := fn(w); err != nil {
		if w.commitOnError {
			return errors.Join(err, tx.Commit())
		}
		return errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if s.ckpt != nil {
		s.ckpt.poke()
	}
	return nil
}

// stmt binds a prepared statement to the transaction.
func (w *wtx) stmt(s *sql.Stmt) *sql.Stmt { return w.tx.StmtContext(w.ctx, s) }

func (w *wtx) exec(s *sql.Stmt, args ...any) (sql.Result, error) {
	return w.stmt(s).ExecContext(w.ctx, args...)
}

func (w *wtx) queryRow(s *sql.Stmt, args ...any) *sql.Row {
	return w.stmt(s).QueryRowContext(w.ctx, args...)
}

func (w *wtx) query(s *sql.Stmt, args ...any) (*sql.Rows, error) {
	return w.stmt(s).QueryContext(w.ctx, args...)
}

// timestamp takes the next timestamp of user: the clock truncated to 10 ms,
// or 10 ms past the user's last timestamp if the clock has not passed it.
func (w *wtx) timestamp(user string) (store.Timestamp, error) {
	var last int64
	err := w.queryRow(w.st.userGet, user).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	t := store.FromTime(w.now)
	if t <= store.Timestamp(last) {
		t = store.Timestamp(last + 10)
	}
	if _, err := w.exec(w.st.userSet, user, int64(t)); err != nil {
		return 0, err
	}
	return t, nil
}

// read runs fn in a read-only transaction: one consistent snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx, nowMS int64) error) error {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx, s.now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// checkPre applies a precondition to a resource last modified at ts (0:
// absent).
func checkPre(ts store.Timestamp, pre store.Precondition) error {
	if pre.Set && ts > pre.IfUnmodifiedSince {
		return store.ErrPreconditionFailed
	}
	return nil
}
