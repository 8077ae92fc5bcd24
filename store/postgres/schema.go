package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// schemaVersion is the version of the tables this code reads and writes.
// A later version that changes them adds its steps to migrate and refuses
// to run on a database of a version it does not know.
const schemaVersion = 1

// tables creates the tables on first open. Every statement is idempotent.
//
// users keeps each user's last timestamp. Its row is the lock that
// serialises the user's writes across replicas, and it outlives DeleteUser,
// so that timestamps keep increasing.
//
// collections keeps, per user and collection, the timestamp and running
// totals of the stored records (count, payload bytes) and min_expiry, a lower
// bound of their expiry times: while the clock is before it no record of the
// collection can have expired, so the totals are exact without a scan. Once
// it is reached, the next write purges expired records and recomputes them.
// Only writers holding the user's lock change a user's collections.
//
// bso holds the records; ids sort bytewise (COLLATE "C") whatever the
// database's locale, as they do in every other backend. Payloads are bytea:
// opaque bytes, never checked as UTF-8 or refused for a NUL. The (cid,
// modified, id) index walks a collection in the order newer= and paging
// need.
//
// batches and batch_items hold open batch uploads, so that any replica can
// append to or commit them; pos keeps the staging order.
//
// There are no foreign keys: a check per inserted record would cost more
// than the deletes that the code does itself, in the order the locks need.
const tables = `
CREATE TABLE IF NOT EXISTS store_schema (
	version integer NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
	username text PRIMARY KEY,
	modified bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS collections (
	cid        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	username   text NOT NULL,
	name       text NOT NULL,
	modified   bigint NOT NULL,
	count      bigint NOT NULL,
	bytes      bigint NOT NULL,
	min_expiry bigint NOT NULL,
	UNIQUE (username, name)
);

CREATE TABLE IF NOT EXISTS bso (
	cid       bigint NOT NULL,
	id        text COLLATE "C" NOT NULL,
	modified  bigint NOT NULL,
	sortindex integer,
	expiry    bigint NOT NULL,
	size      integer NOT NULL,
	payload   bytea NOT NULL,
	PRIMARY KEY (cid, id)
);
CREATE INDEX IF NOT EXISTS bso_modified ON bso (cid, modified, id);

CREATE TABLE IF NOT EXISTS batches (
	bid      text PRIMARY KEY,
	username text NOT NULL,
	name     text NOT NULL,
	expires  bigint NOT NULL,
	records  integer NOT NULL,
	bytes    bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_collection ON batches (username, name);
CREATE INDEX IF NOT EXISTS batches_expires ON batches (expires);

CREATE TABLE IF NOT EXISTS batch_items (
	bid       text NOT NULL,
	pos       integer NOT NULL,
	id        text NOT NULL,
	payload   bytea,
	sortindex integer,
	ttl       bigint,
	PRIMARY KEY (bid, pos)
);
`

// noExpiry is min_expiry of a collection without records.
const noExpiry int64 = 1<<63 - 1

// migrate creates the schema and its tables if they are missing, and checks
// that the database is not of a later version. Replicas starting together
// take turns on an advisory lock: CREATE … IF NOT EXISTS alone is not safe
// against a concurrent CREATE.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('contactbridge store schema ' || $1))`, schema); err != nil {
			return err
		}
		if schema != "" {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
				return err
			}
		}
		// Without arguments Exec runs the whole text, every statement of it.
		if _, err := tx.Exec(ctx, tables); err != nil {
			return err
		}
		var version int
		err := tx.QueryRow(ctx, `SELECT version FROM store_schema`).Scan(&version)
		if errors.Is(err, pgx.ErrNoRows) {
			_, err = tx.Exec(ctx, `INSERT INTO store_schema (version) VALUES ($1)`, schemaVersion)
			return err
		}
		if err != nil {
			return err
		}
		if version > schemaVersion {
			return fmt.Errorf("the database has schema version %d, newer than this program's %d: upgrade the program", version, schemaVersion)
		}
		return nil
	})
}
