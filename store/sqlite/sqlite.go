// Package sqlite implements store.Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go): the single-process default of ContactBridge.
//
// The database runs in WAL mode with one writer: writes are serialised in
// the process and run in BEGIN IMMEDIATE transactions on one connection,
// while reads run concurrently on a small pool of read-only connections,
// each in its own snapshot. The file and its -wal and -shm companions are
// created with mode 0600.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"modernc.org/sqlite"

	"github.com/contactbridge/contactbridge/store"
)

// Options configure a Store.
type Options struct {
	// QuotaBytes is the quota per user and collection in bytes: 0 means
	// store.DefaultQuotaBytes, a negative value means unlimited.
	QuotaBytes int64
	// Limits are the request limits; each zero field takes its value from
	// store.DefaultLimits.
	Limits store.Limits
	// Now is the clock (nil: time.Now). Tests inject one to test TTL and
	// batch expiry without sleeping.
	Now func() time.Time
}

// LocalLimits are the request limits for a store used in-process, where no
// network request carries the writes (the embedded hub): a thousand records
// per write makes fewer, larger transactions, which SQLite commits several
// times faster than many small ones. A store served over HTTP keeps
// store.DefaultLimits, which Sync clients expect.
func LocalLimits() store.Limits {
	l := store.DefaultLimits()
	l.MaxPostRecords = 1000
	l.MaxPostBytes = 64 << 20
	l.MaxRequestBytes = l.MaxPostBytes + 4096
	return l
}

// Store is a store.Store on one SQLite database file.
type Store struct {
	path   string
	rdb    *sql.DB // read-only connections
	wdb    *sql.DB // the one write connection
	ckpt   *checkpointer
	quota  int64 // 0: unlimited
	limits store.Limits
	now    func() time.Time

	// wmu serialises writes, and guards wready.
	wmu sync.Mutex
	// wready says stmts are prepared: on the first write, not at Open,
	// so that a process that only reads (a sync that finds nothing to do)
	// never parses the write statements.
	wready bool
	stmts  writeStmts // prepared on wdb
	rstmts readStmts  // prepared on rdb

	// lists caches the prepared List queries by their text; there are a
	// few hundred shapes at most.
	listMu sync.Mutex
	lists  map[string]*sql.Stmt

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens the database at path, creating it (mode 0600) and its schema if
// needed.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// SQLite gives the -wal and -shm files the mode of the database file, so
	// creating it 0600 first keeps all three private.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	s := &Store{
		path:   abs,
		quota:  store.QuotaOption(opts.QuotaBytes),
		limits: opts.Limits.WithDefaults(),
		now:    opts.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.lists = map[string]*sql.Stmt{}

	if s.wdb, err = openDB(abs, false); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	// page_size takes effect only on a new database, and only before it
	// switches to WAL; both settings then persist in the file.
	init := "PRAGMA page_size = " + strconv.Itoa(pageSize) + "; PRAGMA journal_mode = WAL;" + schema
	if _, err := s.wdb.ExecContext(ctx, init); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: schema: %w", path, err)
	}
	if s.rdb, err = openDB(abs, true); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.rdb.SetMaxOpenConns(readConns)
	s.rdb.SetMaxIdleConns(readConns)
	if err := s.rstmts.prepare(ctx, s.rdb); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.rdb.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	cdb, err := openDB(abs, false)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	cdb.SetMaxOpenConns(1)
	s.ckpt = startCheckpointer(cdb, abs+"-wal")
	return s, nil
}

// openDB opens a pool on the file at abs with the store's pragmas.
func openDB(abs string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(busyTimeoutMS)+")")
	q.Add("_pragma", "mmap_size("+strconv.Itoa(mmapBytes)+")")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// Readers read through the memory map; the writer keeps the pages it
		// changes (the id index above all) in its own cache.
		q.Add("_pragma", "cache_size(-"+strconv.Itoa(cacheKiB)+")")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "journal_size_limit("+strconv.Itoa(journalLimit)+")")
		q.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(autoCheckpt)+")")
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	c, err := sqlite.NewConnector(u.String())
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// Quota implements store.Store.
func (s *Store) Quota() int64 { return s.quota }

// Limits implements store.Store.
func (s *Store) Limits() store.Limits { return s.limits }

// Close implements store.Store. The last connection to close checkpoints
// the WAL into the database file.
func (s *Store) Close() error {
	first := false
	s.closeOnce.Do(func() {
		first = true
		s.wmu.Lock()
		defer s.wmu.Unlock()
		s.stmts.close()
		s.rstmts.close()
		s.listMu.Lock()
		for _, st := range s.lists {
			st.Close()
		}
		s.lists = nil
		s.listMu.Unlock()
		var errs []error
		if s.ckpt != nil {
			errs = append(errs, s.ckpt.stop())
		}
		if s.rdb != nil {
			errs = append(errs, s.rdb.Close())
		}
		errs = append(errs, s.wdb.Close())
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("sqlite: close %s: %w", s.path, err)
		}
	})
	if !first {
		return nil
	}
	return s.closeErr
}
