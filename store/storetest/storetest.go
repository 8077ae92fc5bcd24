// Package storetest is the conformance suite every store.Store backend
// passes: the Sync Storage 1.5 semantics of the hub, written once against
// the interface.
//
// A backend runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, opts storetest.Options) store.Store {
//			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"),
//				sqlite.Options{QuotaBytes: opts.QuotaBytes, Limits: opts.Limits, Now: opts.Now})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// Every case opens a fresh, empty store. A backend that serves the store
// from elsewhere (over HTTP) passes the Options on to the server it starts.
package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

// Options configure the store a case opens. The opener must honour all of
// them: the suite tests quotas, limits, TTL and batch expiry through them.
type Options struct {
	// QuotaBytes is the quota per user and collection: 0 means the
	// backend's default, negative means unlimited.
	QuotaBytes int64
	// Limits are the request limits; zero fields take their defaults
	// (store.DefaultLimits).
	Limits store.Limits
	// Now is the clock the store must read for every timestamp, TTL and
	// batch expiry. It is never nil.
	Now func() time.Time
}

// A Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time; it moves only when told to.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t, backwards too.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock by d, which may be negative.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// start is where every case's clock starts: deliberately not on a 10 ms
// boundary, so that truncation shows.
func start() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 123_456_789, time.UTC) }

// A testCase is one rule, checked on a fresh store.
type testCase struct {
	name string
	// opts adjusts the Options of the store the case opens.
	opts func(*Options)
	run  func(t *testing.T, e *env)
}

// Run runs every case of the suite, each in its own t.Run with a fresh
// store from open. The suite closes each store when its case ends (it
// ignores that Close's result: a case may have closed the store already).
func Run(t *testing.T, open func(t *testing.T, opts Options) store.Store) {
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock(start())
			opts := Options{Now: clock.Now}
			if tc.opts != nil {
				tc.opts(&opts)
			}
			s := open(t, opts)
			t.Cleanup(func() { _ = s.Close() })
			tc.run(t, &env{s: s, clock: clock, ctx: context.Background(), user: "alice"})
		})
	}
}

// cases lists the suite, rule by rule.
func cases() []testCase {
	var all []testCase
	for _, group := range [][]testCase{
		timestampCases(),
		putCases(),
		listCases(),
		pagingCases(),
		postCases(),
		preconditionCases(),
		deleteCases(),
		infoCases(),
		ttlCases(),
		quotaCases(),
		batchCases(),
		isolationCases(),
		edgeCases(),
	} {
		all = append(all, group...)
	}
	return all
}
