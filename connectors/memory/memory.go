// Package memory is a connector that keeps its contacts in memory, for the
// bridge's tests and the model-based tests.
//
// It behaves like a remote with a true change log (as CardDAV
// sync-collection, Google sync tokens and Graph delta links do): Changes with
// a token reports only what changed since. Tests drive it from both sides:
// through the connectors.Connector methods, as the bridge does, and "on the
// remote" (Put, Edit, Remove, PutBroken), as another client of the same
// account would. Knobs let a test bound page sizes, expire tokens, restrict
// what the remote stores (projection) and fail writes.
//
// A Connector is safe for concurrent use.
package memory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// DefaultPageSize is the page size when Config.PageSize is 0.
const DefaultPageSize = 100

// Config sets up a Connector. The zero value is a remote that stores
// everything, writes vCard 4.0 and pages by DefaultPageSize.
type Config struct {
	// PageSize is the most changes in one Page (default DefaultPageSize).
	PageSize int
	// Capabilities is what Capabilities reports. Properties, when non-nil,
	// is also enforced: a write keeps only the properties named, and at
	// most that many values of each, as a remote with a fixed schema does.
	// Zero Version, BatchSize and Concurrency default to 4.0, 50 and 4.
	Capabilities connectors.Capabilities
	// Stubs makes listings carry ids and etags only (Card nil), so the
	// bridge must Fetch, as with a plain CardDAV PROPFIND.
	Stubs bool
}

// Op names a kind of write.
type Op string

// The kinds of write.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// A Write describes one write the bridge asked for, to a fault hook.
type Write struct {
	Op Op
	// N counts the writes asked for so far through the Connector
	// methods, this one included (1 for the first).
	N int
	// Key is the create key (creates only); ID the item (updates and
	// deletes).
	Key, ID string
}

// A Fault is what a fault hook makes of a write.
type Fault struct {
	// Err is returned to the caller. Wrap it with connectors.Transient for
	// a failure worth retrying.
	Err error
	// Applied makes the write take effect before Err is returned: the
	// remote did the work but the response was lost.
	Applied bool
}

// Counts tallies what the bridge asked of the Connector. Writes made on the
// remote side (Put, Edit, Remove) are not counted.
type Counts struct {
	Creates, Updates, Deletes int // writes that took effect
	Fetched                   int // items passed to a Fetch callback
	Listings                  int // calls to Changes
}

// Writes is the number of writes that took effect.
func (c Counts) Writes() int { return c.Creates + c.Updates + c.Deletes }

// item is one stored contact. card is never modified after it is stored,
// so listings can hand out snapshots without copying under the lock.
type item struct {
	id, etag string
	key      string // the create key, "" for items made on the remote side
	card     *mapping.Card
	err      error // set for an item that cannot be read (PutBroken)
}

// Connector is an in-memory connectors.Connector. Create it with New.
type Connector struct {
	cfg  Config
	caps connectors.Capabilities

	mu      sync.Mutex
	items   map[string]*item
	keys    map[string]string // create key → id
	log     []string          // log[i] is the id changed at sequence i+1
	expired int               // tokens before this sequence are refused
	nextID  int
	nextTag int
	writes  int // writes asked for, for fault hooks
	fault   func(Write) *Fault
	counts  Counts
}

var _ connectors.Connector = (*Connector)(nil)

// New returns an empty Connector.
func New(cfg Config) *Connector {
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	caps := cfg.Capabilities
	if caps.Version == "" {
		caps.Version = mapping.Version40
	}
	if caps.BatchSize <= 0 {
		caps.BatchSize = 50
	}
	if caps.Concurrency <= 0 {
		caps.Concurrency = 4
	}
	return &Connector{
		cfg:   cfg,
		caps:  caps,
		items: make(map[string]*item),
		keys:  make(map[string]string),
	}
}

// Capabilities implements connectors.Connector.
func (c *Connector) Capabilities() connectors.Capabilities {
	caps := c.caps
	if caps.Properties != nil {
		caps.Properties = make(map[string]int, len(c.caps.Properties))
		for k, v := range c.caps.Properties {
			caps.Properties[k] = v
		}
	}
	return caps
}

// token formats the current sequence; the caller holds mu.
func (c *Connector) token() string { return "m" + strconv.Itoa(len(c.log)) }

// parseToken returns the sequence a token names, or an error wrapping
// connectors.ErrTokenExpired for one this Connector no longer accepts (or
// never issued); the caller holds mu.
func (c *Connector) parseToken(token string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(token, "m"))
	if !strings.HasPrefix(token, "m") || err != nil || n < 0 || n > len(c.log) {
		return 0, fmt.Errorf("memory: changes: unknown token: %w", connectors.ErrTokenExpired)
	}
	if n < c.expired {
		return 0, fmt.Errorf("memory: changes: token %s: %w", token, connectors.ErrTokenExpired)
	}
	return n, nil
}

// Changes implements connectors.Connector. An empty token gives a full
// listing in id order; a token gives each item changed since it once, in
// the order of its last change. The pages reflect the remote as it was when
// Changes was called; a change made while fn runs shows up next time.
func (c *Connector) Changes(ctx context.Context, token string, fn func(connectors.Page) error) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("memory: changes: %w", err)
	}
	c.mu.Lock()
	c.counts.Listings++
	full := token == ""
	var snap []connectors.Change
	if full {
		ids := make([]string, 0, len(c.items))
		for id := range c.items {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		snap = make([]connectors.Change, 0, len(ids))
		for _, id := range ids {
			snap = append(snap, connectors.Change{Item: c.items[id].snapshot()})
		}
	} else {
		from, err := c.parseToken(token)
		if err != nil {
			c.mu.Unlock()
			return "", err
		}
		// Report each id once, at the place of its last change.
		last := make(map[string]int)
		for i := from; i < len(c.log); i++ {
			last[c.log[i]] = i
		}
		for i := from; i < len(c.log); i++ {
			id := c.log[i]
			if id == "" || last[id] != i { // "" marks an ExpireTokens
				continue
			}
			if it, ok := c.items[id]; ok {
				snap = append(snap, connectors.Change{Item: it.snapshot()})
			} else {
				snap = append(snap, connectors.Change{Item: connectors.Item{ID: id}, Deleted: true})
			}
		}
	}
	next := c.token()
	c.mu.Unlock()

	for start := 0; start < len(snap) || (start == 0 && full); start += c.cfg.PageSize {
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("memory: changes: %w", err)
		}
		end := min(start+c.cfg.PageSize, len(snap))
		page := connectors.Page{Full: full, Changes: make([]connectors.Change, 0, end-start)}
		for _, ch := range snap[start:end] {
			switch {
			case c.cfg.Stubs:
				ch.Card = nil
			case ch.Card != nil:
				ch.Card = ch.Card.Clone()
			}
			page.Changes = append(page.Changes, ch)
		}
		if err := fn(page); err != nil {
			return "", err
		}
		if len(snap) == 0 {
			break // a full listing of an empty remote is one empty page
		}
	}
	return next, nil
}

// snapshot returns the item as a listing or Fetch reports it, sharing the
// stored card (the caller clones it before handing it out).
func (it *item) snapshot() connectors.Item {
	if it.err != nil {
		return connectors.Item{ID: it.id, ETag: it.etag, Key: it.key, Err: it.err}
	}
	return connectors.Item{ID: it.id, ETag: it.etag, Key: it.key, Card: it.card}
}

// Fetch implements connectors.Connector.
func (c *Connector) Fetch(ctx context.Context, ids []string, fn func(connectors.Item) error) error {
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("memory: fetch: %w", err)
		}
		c.mu.Lock()
		it, ok := c.items[id]
		var out connectors.Item
		if ok {
			out = it.snapshot()
		} else {
			out = connectors.Item{ID: id, Err: fmt.Errorf("memory: fetch %s: %w", id, connectors.ErrNotFound)}
		}
		c.counts.Fetched++
		c.mu.Unlock()
		if out.Card != nil {
			out.Card = out.Card.Clone()
		}
		if err := fn(out); err != nil {
			return err
		}
	}
	return nil
}

// Create implements connectors.Connector. Ids are assigned by the remote
// (never equal to key), as most servers do.
func (c *Connector) Create(ctx context.Context, key string, card *mapping.Card) (connectors.Item, error) {
	if err := ctx.Err(); err != nil {
		return connectors.Item{}, fmt.Errorf("memory: create %s: %w", key, err)
	}
	if card == nil {
		return connectors.Item{}, fmt.Errorf("memory: create %s: nil card", key)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.faultFor(Write{Op: OpCreate, Key: key})
	if f != nil && !f.Applied {
		return connectors.Item{}, f.Err
	}
	if id, ok := c.keys[key]; ok {
		if it, ok := c.items[id]; ok {
			if f != nil {
				return connectors.Item{}, f.Err
			}
			if it.err != nil {
				return connectors.Item{}, fmt.Errorf("memory: create %s: existing item %s: %w", key, id, it.err)
			}
			return connectors.Item{ID: it.id, ETag: it.etag, Key: key, Card: it.card.Clone()}, nil
		}
	}
	it := &item{id: c.newID(), key: key, card: c.store(card, "")}
	c.put(it)
	c.keys[key] = it.id
	c.counts.Creates++
	if f != nil {
		return connectors.Item{}, f.Err
	}
	return connectors.Item{ID: it.id, ETag: it.etag, Key: key, Card: it.card.Clone()}, nil
}

// Update implements connectors.Connector. The item keeps its vCard version.
func (c *Connector) Update(ctx context.Context, id, etag string, card *mapping.Card) (connectors.Item, error) {
	if err := ctx.Err(); err != nil {
		return connectors.Item{}, fmt.Errorf("memory: update %s: %w", id, err)
	}
	if card == nil {
		return connectors.Item{}, fmt.Errorf("memory: update %s: nil card", id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.faultFor(Write{Op: OpUpdate, ID: id})
	if f != nil && !f.Applied {
		return connectors.Item{}, f.Err
	}
	it, ok := c.items[id]
	if !ok {
		return connectors.Item{}, fmt.Errorf("memory: update %s: %w", id, connectors.ErrNotFound)
	}
	if it.etag != etag {
		return connectors.Item{}, fmt.Errorf("memory: update %s: %w", id, connectors.ErrPreconditionFailed)
	}
	var version mapping.Version
	if it.card != nil {
		version = it.card.Version
	}
	nit := &item{id: id, key: it.key, card: c.store(card, version)}
	c.put(nit)
	c.counts.Updates++
	if f != nil {
		return connectors.Item{}, f.Err
	}
	return connectors.Item{ID: id, ETag: nit.etag, Card: nit.card.Clone()}, nil
}

// Delete implements connectors.Connector.
func (c *Connector) Delete(ctx context.Context, id, etag string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: delete %s: %w", id, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.faultFor(Write{Op: OpDelete, ID: id})
	if f != nil && !f.Applied {
		return f.Err
	}
	it, ok := c.items[id]
	if !ok {
		return fmt.Errorf("memory: delete %s: %w", id, connectors.ErrNotFound)
	}
	if it.etag != etag {
		return fmt.Errorf("memory: delete %s: %w", id, connectors.ErrPreconditionFailed)
	}
	c.remove(id)
	c.counts.Deletes++
	if f != nil {
		return f.Err
	}
	return nil
}

// faultFor counts a write and asks the fault hook about it; the caller
// holds mu.
func (c *Connector) faultFor(w Write) *Fault {
	c.writes++
	w.N = c.writes
	if c.fault == nil {
		return nil
	}
	f := c.fault(w)
	if f != nil && f.Err == nil {
		f = nil
	}
	return f
}

// store returns the copy of card the remote keeps: projected on the
// capabilities, in version (the item's existing one) or else the default.
// The caller holds mu.
func (c *Connector) store(card *mapping.Card, version mapping.Version) *mapping.Card {
	out := c.caps.Project(card)
	if version != mapping.Version30 && version != mapping.Version40 {
		version = c.caps.Version
	}
	out.Version = version
	return out
}

// newID returns a fresh remote id; the caller holds mu.
func (c *Connector) newID() string {
	c.nextID++
	return fmt.Sprintf("item-%06d", c.nextID)
}

// put stores it under a fresh etag and logs the change; the caller holds mu.
func (c *Connector) put(it *item) {
	c.nextTag++
	it.etag = `"` + strconv.Itoa(c.nextTag) + `"`
	c.items[it.id] = it
	c.log = append(c.log, it.id)
}

// remove deletes id and logs the change; the caller holds mu.
func (c *Connector) remove(id string) {
	if it, ok := c.items[id]; ok && it.key != "" && c.keys[it.key] == id {
		delete(c.keys, it.key)
	}
	delete(c.items, id)
	c.log = append(c.log, id)
}

// Put creates or replaces the item id on the remote side, as another client
// would; an empty id makes a new item. The card is projected and versioned
// as a write through Create or Update would be.
func (c *Connector) Put(id string, card *mapping.Card) connectors.Item {
	c.mu.Lock()
	defer c.mu.Unlock()
	var (
		key     string
		version mapping.Version
	)
	if id == "" {
		id = c.newID()
	} else if old, ok := c.items[id]; ok {
		key = old.key
		if old.card != nil {
			version = old.card.Version
		}
	}
	if card.Version == mapping.Version30 || card.Version == mapping.Version40 {
		version = card.Version
	}
	it := &item{id: id, key: key, card: c.store(card, version)}
	c.put(it)
	return connectors.Item{ID: it.id, ETag: it.etag, Card: it.card.Clone()}
}

// PutBroken makes the item id (a new one when id is "") unreadable on the
// remote side: listings and Fetch report it with Err wrapping err.
func (c *Connector) PutBroken(id string, err error) connectors.Item {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := ""
	if id == "" {
		id = c.newID()
	} else if old, ok := c.items[id]; ok {
		key = old.key
	}
	it := &item{id: id, key: key, err: fmt.Errorf("memory: item %s: %w", id, err)}
	c.put(it)
	return it.snapshot()
}

// Edit changes the item id on the remote side, as another client would:
// edit gets a copy of the card to change in place.
func (c *Connector) Edit(id string, edit func(*mapping.Card)) (connectors.Item, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.items[id]
	if !ok || old.card == nil {
		return connectors.Item{}, fmt.Errorf("memory: edit %s: %w", id, connectors.ErrNotFound)
	}
	card := old.card.Clone()
	edit(card)
	it := &item{id: id, key: old.key, card: c.store(card, old.card.Version)}
	c.put(it)
	return connectors.Item{ID: it.id, ETag: it.etag, Card: it.card.Clone()}, nil
}

// Remove deletes the item id on the remote side, as another client would.
func (c *Connector) Remove(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[id]; !ok {
		return fmt.Errorf("memory: remove %s: %w", id, connectors.ErrNotFound)
	}
	c.remove(id)
	return nil
}

// Get returns the item id as the remote holds it, and whether it exists.
func (c *Connector) Get(id string) (connectors.Item, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[id]
	if !ok {
		return connectors.Item{}, false
	}
	out := it.snapshot()
	if out.Card != nil {
		out.Card = out.Card.Clone()
	}
	return out, true
}

// Items returns every item the remote holds, in id order, with its card.
func (c *Connector) Items() []connectors.Item {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]connectors.Item, 0, len(c.items))
	for _, it := range c.items {
		s := it.snapshot()
		if s.Card != nil {
			s.Card = s.Card.Clone()
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b connectors.Item) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Len returns the number of items the remote holds.
func (c *Connector) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// ExpireTokens makes every token issued so far unacceptable: Changes with
// one returns connectors.ErrTokenExpired, as a remote does once its change
// log was trimmed.
func (c *Connector) ExpireTokens() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expired = len(c.log) + 1
	// A fresh sequence number so the token issued next is accepted.
	c.log = append(c.log, "")
}

// SetFault installs hook, consulted before every write through Create,
// Update or Delete; a non-nil Fault with an Err fails that write. A nil hook
// removes it. The hook runs with the Connector locked: it must not call the
// Connector.
func (c *Connector) SetFault(hook func(Write) *Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fault = hook
}

// FailNth fails the nth write from now (1 for the next) with err, after
// applying it when applied is set. Wrap err with connectors.Transient for a
// transient failure. It replaces any fault hook.
func (c *Connector) FailNth(n int, err error, applied bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	target := c.writes + n
	c.fault = func(w Write) *Fault {
		if w.N == target {
			return &Fault{Err: err, Applied: applied}
		}
		return nil
	}
}

// Counts returns what the bridge asked of the Connector so far.
func (c *Connector) Counts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts
}
