package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// upsertSizes is the number of multi-row upsert statements: they insert
// 1, 2, 4, … 1<<(upsertSizes-1) records, so any count takes at most
// upsertSizes executions and typically two or three.
const upsertSizes = 8

// writeStmts are the statements of the write path, prepared once on the
// write connection. Every write statement has a fixed text, so none needs
// preparing while a transaction holds the only write connection.
type writeStmts struct {
	userGet, userSet                         *sql.Stmt
	collGet, collNew, collSet, collDel       *sql.Stmt
	collsDel                                 *sql.Stmt
	purge, totals                            *sql.Stmt
	recGet, recLookup, recTouch              *sql.Stmt
	recDel, recDelIDs, recDelAll, recsDelAll *sql.Stmt
	upsert                                   [upsertSizes]*sql.Stmt

	batchNew, batchGet, batchSet, batchDel  *sql.Stmt
	batchOpen                               *sql.Stmt
	batchExpire, batchExpireItems           *sql.Stmt
	batchCollDel, batchCollItemsDel         *sql.Stmt
	batchUserDel, batchUserItemsDel         *sql.Stmt
	batchItemAdd, batchItems, batchItemsDel *sql.Stmt
}

// readStmts are the fixed statements of the read path.
type readStmts struct {
	collGet, recGet, info, infoScan *sql.Stmt
}

// idsParam is how a statement takes a list of ids: one JSON array argument,
// so that the text does not depend on the count.
const idsParam = `(SELECT value FROM json_each(?))`

func (st *writeStmts) list() []stmtDef {
	defs := []stmtDef{
		{&st.userGet, `SELECT modified FROM users WHERE user = ?`},
		{&st.userSet, `INSERT INTO users (user, modified) VALUES (?, ?)
			ON CONFLICT (user) DO UPDATE SET modified = excluded.modified`},
		{&st.collGet, `SELECT cid, modified, count, bytes, min_expiry FROM collections WHERE user = ? AND name = ?`},
		{&st.collNew, `INSERT INTO collections (user, name, modified, count, bytes, min_expiry) VALUES (?, ?, 0, 0, 0, ?)`},
		{&st.collSet, `UPDATE collections SET modified = ?, count = ?, bytes = ?, min_expiry = ? WHERE cid = ?`},
		{&st.collDel, `DELETE FROM collections WHERE cid = ?`},
		{&st.collsDel, `DELETE FROM collections WHERE user = ?`},
		{&st.purge, `DELETE FROM bso WHERE cid = ? AND expiry <= ?`},
		{&st.totals, `SELECT count(*), coalesce(sum(size), 0), coalesce(min(expiry), ?) FROM bso WHERE cid = ?`},
		{&st.recGet, `SELECT modified FROM bso WHERE cid = ? AND id = ?`},
		{&st.recLookup, `SELECT id, sortindex, expiry, size FROM bso WHERE cid = ? AND id IN ` + idsParam},
		{&st.recTouch, `UPDATE bso SET modified = ?, sortindex = ?, expiry = ? WHERE cid = ? AND id = ?`},
		{&st.recDel, `DELETE FROM bso WHERE cid = ? AND id = ? RETURNING size`},
		{&st.recDelIDs, `DELETE FROM bso WHERE cid = ? AND id IN ` + idsParam + ` RETURNING size`},
		{&st.recDelAll, `DELETE FROM bso WHERE cid = ?`},
		{&st.recsDelAll, `DELETE FROM bso WHERE cid IN (SELECT cid FROM collections WHERE user = ?)`},

		{&st.batchNew, `INSERT INTO batches (bid, user, name, expires, records, bytes) VALUES (?, ?, ?, ?, 0, 0)`},
		{&st.batchGet, `SELECT records, bytes FROM batches WHERE bid = ? AND user = ? AND name = ? AND expires > ?`},
		{&st.batchOpen, `SELECT count(*) FROM batches WHERE user = ? AND name = ?`},
		{&st.batchSet, `UPDATE batches SET records = ?, bytes = ? WHERE bid = ?`},
		{&st.batchDel, `DELETE FROM batches WHERE bid = ?`},
		{&st.batchExpireItems, `DELETE FROM batch_items WHERE bid IN (SELECT bid FROM batches WHERE expires <= ?)`},
		{&st.batchExpire, `DELETE FROM batches WHERE expires <= ?`},
		{&st.batchCollItemsDel, `DELETE FROM batch_items WHERE bid IN (SELECT bid FROM batches WHERE user = ? AND name = ?)`},
		{&st.batchCollDel, `DELETE FROM batches WHERE user = ? AND name = ?`},
		{&st.batchUserItemsDel, `DELETE FROM batch_items WHERE bid IN (SELECT bid FROM batches WHERE user = ?)`},
		{&st.batchUserDel, `DELETE FROM batches WHERE user = ?`},
		{&st.batchItemAdd, `INSERT INTO batch_items (bid, id, payload, sortindex, ttl) VALUES (?, ?, ?, ?, ?)`},
		{&st.batchItems, `SELECT id, payload, sortindex, ttl FROM batch_items WHERE bid = ? ORDER BY rowid`},
		{&st.batchItemsDel, `DELETE FROM batch_items WHERE bid = ?`},
	}
	for k := range st.upsert {
		defs = append(defs, stmtDef{&st.upsert[k], upsertSQL(1 << k)})
	}
	return defs
}

// upsertCols is the column count of one upserted record.
const upsertCols = 7

// upsertSQL inserts or replaces n records whose every field is known.
func upsertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO bso (cid, id, modified, sortindex, expiry, size, payload) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?,?,?)`)
	}
	b.WriteString(` ON CONFLICT (cid, id) DO UPDATE SET modified = excluded.modified,
		sortindex = excluded.sortindex, expiry = excluded.expiry,
		size = excluded.size, payload = excluded.payload`)
	return b.String()
}

func (st *readStmts) list() []stmtDef {
	return []stmtDef{
		{&st.collGet, `SELECT cid, modified FROM collections WHERE user = ? AND name = ?`},
		{&st.recGet, `SELECT b.modified, b.sortindex, b.payload
			FROM collections c JOIN bso b ON b.cid = c.cid
			WHERE c.user = ? AND c.name = ? AND b.id = ? AND b.expiry > ?`},
		{&st.info, `SELECT cid, name, modified, count, bytes, min_expiry FROM collections WHERE user = ?`},
		{&st.infoScan, `SELECT count(*), coalesce(sum(size), 0) FROM bso WHERE cid = ? AND expiry > ?`},
	}
}

type stmtDef struct {
	dst   **sql.Stmt
	query string
}

func (st *writeStmts) prepare(ctx context.Context, db *sql.DB) error {
	return prepareAll(ctx, db, st.list())
}

func (st *writeStmts) close() { closeAll(st.list()) }

func (st *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	return prepareAll(ctx, db, st.list())
}

func (st *readStmts) close() { closeAll(st.list()) }

func prepareAll(ctx context.Context, db *sql.DB, defs []stmtDef) error {
	for _, d := range defs {
		s, err := db.PrepareContext(ctx, d.query)
		if err != nil {
			closeAll(defs)
			return fmt.Errorf("prepare %q: %w", firstLine(d.query), err)
		}
		*d.dst = s
	}
	return nil
}

func closeAll(defs []stmtDef) {
	for _, d := range defs {
		if *d.dst != nil {
			(*d.dst).Close() // a closed Stmt fails every later use
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
