package sqlite

// schema creates the tables on first open. Every statement is idempotent.
//
// Records live in a rowid table: payloads of a kilobyte or more fit a 4 KiB
// leaf page there, where a WITHOUT ROWID table would spill each one to an
// overflow page. Two small indexes find a record by id and walk a collection
// in (modified, id) order, which is also how paging resumes.
//
// collections keeps, per user and collection, the timestamp and running
// totals of the stored records (count, payload bytes) and min_expiry, a lower
// bound of their expiry times: while the clock is before it no record of the
// collection can have expired, so the totals are exact without a scan. Once
// it is reached, the next write purges expired records and recomputes them.
//
// users keeps each user's last timestamp, so that timestamps increase per
// user even across DeleteUser.
const schema = `
CREATE TABLE IF NOT EXISTS users (
	user     TEXT PRIMARY KEY,
	modified INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS collections (
	cid        INTEGER PRIMARY KEY,
	user       TEXT NOT NULL,
	name       TEXT NOT NULL,
	modified   INTEGER NOT NULL,
	count      INTEGER NOT NULL,
	bytes      INTEGER NOT NULL,
	min_expiry INTEGER NOT NULL,
	UNIQUE (user, name)
);

CREATE TABLE IF NOT EXISTS bso (
	cid       INTEGER NOT NULL,
	id        TEXT NOT NULL,
	modified  INTEGER NOT NULL,
	sortindex INTEGER,
	expiry    INTEGER NOT NULL,
	size      INTEGER NOT NULL,
	payload   TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS bso_id ON bso (cid, id);
CREATE INDEX IF NOT EXISTS bso_modified ON bso (cid, modified, id);

CREATE TABLE IF NOT EXISTS batches (
	bid     TEXT PRIMARY KEY,
	user    TEXT NOT NULL,
	name    TEXT NOT NULL,
	expires INTEGER NOT NULL,
	records INTEGER NOT NULL,
	bytes   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS batches_user ON batches (user, name);
CREATE INDEX IF NOT EXISTS batches_expires ON batches (expires);

CREATE TABLE IF NOT EXISTS batch_items (
	bid       TEXT NOT NULL,
	id        TEXT NOT NULL,
	payload   TEXT,
	sortindex INTEGER,
	ttl       INTEGER
);
CREATE INDEX IF NOT EXISTS batch_items_bid ON batch_items (bid);
`

// noExpiry is min_expiry of a collection without records.
const noExpiry int64 = 1<<63 - 1

// Connection settings. Writers and readers share the file; WAL lets readers
// run beside the one writer. synchronous=NORMAL is durable across process
// crashes under WAL and loses at most the last commits on power loss.
const (
	busyTimeoutMS = 10_000
	cacheKiB      = 16 * 1024 // page cache of a writing connection
	mmapBytes     = 256 << 20 // memory-mapped reads
	journalLimit  = 64 << 20  // WAL size kept after a checkpoint
	autoCheckpt   = 16000     // WAL pages that make the writer checkpoint itself
	readConns     = 4         // concurrent readers
	pageSize      = 4096      // for new databases
)
