// Package connectors defines how the bridge talks to a place where contacts
// live: a folder of vCard files, a CardDAV address book, Google Contacts,
// Outlook. Each implementation lives in its own folder and passes the
// conformance suite in connectors/conntest.
package connectors

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/contactbridge/contactbridge/mapping"
)

// Sentinel errors. Implementations wrap them with context; the bridge tests
// them with errors.Is.
var (
	// ErrTokenExpired means the remote no longer accepts a change token; the
	// bridge asks again with an empty token (a full listing).
	ErrTokenExpired = errors.New("change token expired")
	// ErrPreconditionFailed means an update or delete named a stale etag, or
	// a create found the item already there: the bridge re-reads and
	// re-merges, never overwrites blindly.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrNotFound means the item does not exist (any more).
	ErrNotFound = errors.New("not found")
)

// An Item is one contact as the remote holds it.
type Item struct {
	// ID names the item on the remote: a file name, an href, a
	// resourceName, a Graph id. Stable until the item is deleted.
	ID string
	// ETag is the item's version; Update and Delete take it as a
	// precondition.
	ETag string
	// Key is the key the item was created with by Create, when the remote
	// remembers it (a file or resource name derived from it, a stored
	// property); "" for items made elsewhere. It lets the bridge recognise
	// its own create whose answer was lost, even after the contact it was
	// made for has been deleted from the hub.
	Key string
	// Card is the contact. It is nil in a listing that carries only ids and
	// etags (the bridge then Fetches the items whose etag it does not know),
	// and when Err is set.
	Card *mapping.Card
	// Err is set when the item exists but cannot be read as one contact
	// (malformed, several cards in one file, too large). The bridge reports
	// it by ID and leaves the item alone; it is never taken for a deletion.
	Err error
}

// A Change is an item created or changed on the remote, or deleted (then
// only Item.ID is set).
type Change struct {
	Item
	Deleted bool
	// PreviousIDs are ids the item had before this change (Google gives a
	// contact a new resourceName when it gets linked to a profile): the
	// bridge moves what it knew under them to Item.ID, so that the change
	// is not taken for a deletion and a creation.
	PreviousIDs []string
}

// A Page is one batch of changes. A connector keeps pages small enough that
// memory stays bounded whatever the number of contacts.
type Page struct {
	Changes []Change
	// Full is true on the pages of a full listing (an empty token): the
	// items listed are all the remote has, and an item the bridge knows but
	// no page of the listing names has been deleted.
	Full bool
}

// Capabilities say what a remote can store and how to talk to it.
type Capabilities struct {
	// Properties maps the vCard property names the remote can store to the
	// most values it keeps of each (0: any number). Nil means it stores
	// every property, X- ones included. What a remote cannot store is never
	// deleted from the hub because that remote's copy lacks it.
	Properties map[string]int
	// Version is the vCard version to give new items (existing items keep
	// theirs).
	Version mapping.Version
	// BatchSize is the most writes worth sending together.
	BatchSize int
	// Concurrency is the most requests to have in flight at once.
	Concurrency int
	// ListingDelay is how long a write may take to show in Changes (Google
	// documents "several minutes"; 0: at once). A create whose answer a
	// crash lost may not be listed before then, so the bridge waits this
	// long before it concludes the create did not happen and sends it
	// again.
	ListingDelay time.Duration
}

// Stores reports whether the remote keeps property name.
func (c Capabilities) Stores(name string) bool {
	if c.Properties == nil {
		return true
	}
	_, ok := c.Properties[name]
	return ok
}

// Project returns a copy of card holding only what the remote can store:
// everything when Properties is nil, else the properties it names, at most
// Properties[name] values of each (in card order) when that is not 0. The
// bridge compares a remote's copy with the hub's card projected so, and a
// connector that cannot store a property drops it the same way.
func (c Capabilities) Project(card *mapping.Card) *mapping.Card {
	out := card.Clone()
	if c.Properties == nil {
		return out
	}
	seen := make(map[string]int, len(c.Properties))
	kept := out.Props[:0]
	for _, p := range out.Props {
		name := strings.ToUpper(p.Name)
		limit, ok := c.Properties[name]
		if !ok || (limit > 0 && seen[name] >= limit) {
			continue
		}
		seen[name]++
		kept = append(kept, p)
	}
	clear(out.Props[len(kept):])
	out.Props = kept
	return out
}

// A Connector reads and writes the contacts of one remote account as vCards.
// Implementations must be safe for use by one run at a time; the bridge never
// calls one Connector concurrently from two runs, though it may issue writes
// concurrently up to Capabilities.Concurrency.
type Connector interface {
	// Capabilities reports what this remote can store, so the bridge can keep
	// what it cannot (projection) and size its batches.
	Capabilities() Capabilities

	// Changes streams what changed since token, page by page, to fn, and
	// returns the token to ask with next time. An empty token asks for a
	// full listing (pages marked Full); a full listing passes at least one
	// page, empty for an empty remote, so the bridge always learns it was
	// full. A remote without a change log may answer any token with a full
	// listing. When the remote no longer accepts token, Changes returns
	// ErrTokenExpired and the bridge asks again with an empty token. An
	// error from fn stops the listing and is returned.
	Changes(ctx context.Context, token string, fn func(Page) error) (next string, err error)

	// Fetch reads the items ids, in batches the remote handles well, and
	// passes each to fn in any order. An id that no longer exists is passed
	// as an Item with Err wrapping ErrNotFound; an item that cannot be read
	// as one contact is passed with Err set. Neither stops the others.
	Fetch(ctx context.Context, ids []string, fn func(Item) error) error

	// Create stores a new contact, as a vCard of Capabilities.Version. key
	// is stable across retries (the hub record id), so a create retried
	// after a crash finds the first one instead of making a second: it then
	// returns that item, not an error.
	Create(ctx context.Context, key string, card *mapping.Card) (Item, error)

	// Update replaces the contact id if its version is still etag, else
	// returns ErrPreconditionFailed; ErrNotFound if it is gone (never
	// re-creating it). The item keeps the vCard version it has: card.Version,
	// when not empty, is the version the item had when the bridge last read
	// or wrote it, for a remote that cannot see it without a request.
	Update(ctx context.Context, id, etag string, card *mapping.Card) (Item, error)

	// Delete removes the contact id if its version is still etag, else
	// returns ErrPreconditionFailed; ErrNotFound if it is already gone.
	Delete(ctx context.Context, id, etag string) error
}

// A Flusher is a Connector whose writes become durable only when flushed —
// a folder that syncs its files to disk once per batch rather than once per
// file. The bridge calls Flush after each batch of writes, before it
// commits the links that rely on them, so a crash can lose only writes the
// bridge has not recorded yet (and redoes).
type Flusher interface {
	Flush(ctx context.Context) error
}

// A Resumer is a Connector that keeps a little state of its own between
// runs — what it learnt by discovery, say — so that a run which finds
// nothing changed costs a single request. The bridge keeps that state
// encrypted with the account's: it calls Resume before any other method of
// a run, with what Session returned when the last complete run ended (""
// the first time), and Resume prepares the connector, from that state when
// it still fits the account's configuration, else by asking the remote.
type Resumer interface {
	Resume(ctx context.Context, session string) error
	// Session returns the state to hand to the next run's Resume.
	Session() string
}

// A WriteOp is the kind of one write of a batch.
type WriteOp int

// The kinds of write.
const (
	OpCreate WriteOp = iota + 1
	OpUpdate
	OpDelete
)

// A Write is one write of a batch, with the arguments Create (Key, Card),
// Update (ID, ETag, Card) or Delete (ID, ETag) would take.
type Write struct {
	Op   WriteOp
	Key  string
	ID   string
	ETag string
	Card *mapping.Card
}

// A WriteResult is the outcome of one Write: what Create or Update would
// return (Item is zero for a delete), with the same errors.
type WriteResult struct {
	Item Item
	Err  error
}

// A BatchWriter is a Connector whose remote takes many writes per request
// (Google's batchCreateContacts, Graph's $batch). The bridge hands it the
// writes of a chunk in groups of at most Capabilities.BatchSize, one group
// at a time, all of one Op, instead of calling Create, Update and Delete
// one by one. WriteBatch returns one result per write, in order; the
// semantics of each are those of the single call (keys make creates
// idempotent, etags guard updates and deletes). An error of the whole
// request is in every result.
type BatchWriter interface {
	WriteBatch(ctx context.Context, ws []Write) []WriteResult
}

// A TransientError is a failure worth retrying later (a timeout, a 5xx, a
// 429): the bridge retries the item on the next run instead of reporting it
// as permanent.
type TransientError struct {
	Err error
}

// Error returns the message of the wrapped error.
func (e *TransientError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *TransientError) Unwrap() error { return e.Err }

// Transient marks err as worth retrying.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &TransientError{Err: err}
}

// IsTransient reports whether err, or an error it wraps, is transient.
func IsTransient(err error) bool {
	var t *TransientError
	return errors.As(err, &t)
}

// An ItemError is a failure about one remote item, named by its id so the
// user can find it (never by a person's name).
type ItemError struct {
	Account string
	ID      string
	Err     error
}

// Error names the account and the item, then says what failed.
func (e *ItemError) Error() string {
	return fmt.Sprintf("account %s: item %s: %v", e.Account, e.ID, e.Err)
}

// Unwrap returns the wrapped error.
func (e *ItemError) Unwrap() error { return e.Err }

// A Normalizer knows, without I/O, what the remote keeps of a card: the
// card it would give back after writing it (values and parameters it has
// no room for dropped, others rewritten). When the remote's copy of a
// contact changes, the bridge keeps the hub's version of every property
// the user did not touch there, instead of what the remote made of it —
// a parameter the remote dropped is not the user's edit.
type Normalizer interface {
	// Normalize returns what the remote keeps of card, which it must not
	// modify. Normalize(Normalize(c)) equals Normalize(c).
	Normalize(card *mapping.Card) *mapping.Card
}

// A KeyFinder is a Connector whose listings may not carry Item.Key (Graph's
// delta query returns no extended properties) but that can look items up
// by the keys they were created with, seeing its own writes at once. The
// bridge asks it about the creates whose outcome a run did not learn (a
// crash, a timeout): those found are linked to their records instead of
// being created again, and those not found did not happen, so the bridge
// sends them again at once rather than after Capabilities.ListingDelay.
type KeyFinder interface {
	// FindKeys returns the items created with any of keys, complete (Card
	// set, Key set), in any order; a key without an item is left out.
	FindKeys(ctx context.Context, keys []string) ([]Item, error)
}
