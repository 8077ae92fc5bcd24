// Package postgres implements store.Store on PostgreSQL (pgx, pgxpool): the
// backend for operators who run several replicas of the service against one
// database.
//
// Any number of Stores, in any number of processes, may share a database.
// Every write runs in one READ COMMITTED transaction that first locks the
// user's row in the users table (SELECT … FOR UPDATE). That row holds the
// user's last timestamp, so the writes of one user are serialised across
// replicas: each reads the timestamp its predecessor committed, takes a
// greater one, and sees every record its predecessor wrote when it checks
// preconditions and the quota. Writes of different users never wait for
// each other. Reads take no lock; a List reads the collection and its
// records in one REPEATABLE READ snapshot.
//
// Batches live in tables too (batches, batch_items), so a batch begun on one
// replica can be appended to and committed on another. A batch row is locked
// while records are staged or committed, and expires BatchLifetime after it
// began, by the clock of the replica that began it.
//
// Open creates the tables if they are missing; concurrent Opens of one
// database serialise on an advisory lock, so replicas may start together.
// Pool settings (pool_max_conns and the like) go in the DSN, as pgxpool
// reads them.
package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
	// batch expiry without sleeping. Timestamps come from this clock, not
	// the database's: the user's row keeps them increasing even when the
	// replicas' clocks disagree.
	Now func() time.Time
	// Schema is the schema that holds the tables ("": public). It is
	// created if missing, so tests can give each store its own.
	Schema string
}

// Store is a store.Store on a PostgreSQL database.
type Store struct {
	pool   *pgxpool.Pool
	schema string
	quota  int64 // 0: unlimited
	limits store.Limits
	now    func() time.Time

	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at dsn (a URL or keyword/value string, as
// pgx parses it) and creates the store's schema and tables if they are
// missing.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if opts.Schema != "" {
		// Set at connection start, so that every statement, prepared or
		// not, finds the tables in the store's schema.
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	s := &Store{
		schema: opts.Schema,
		quota:  store.QuotaOption(opts.QuotaBytes),
		limits: opts.Limits.WithDefaults(),
		now:    opts.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", cfg.ConnConfig.Host, err)
	}
	if err := migrate(ctx, s.pool, opts.Schema); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("postgres: open %s: schema %q: %w", cfg.ConnConfig.Host, opts.Schema, err)
	}
	return s, nil
}

// Quota implements store.Store.
func (s *Store) Quota() int64 { return s.quota }

// Limits implements store.Store.
func (s *Store) Limits() store.Limits { return s.limits }

// Close implements store.Store. It waits for the calls in flight to return
// their connections.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.Close)
	return nil
}
