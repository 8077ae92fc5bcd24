// Package store defines the hub's record store: collections of Basic Storage
// Objects (BSOs) per user, with the semantics of Firefox Sync Storage 1.5.
//
// The store only ever sees ciphertext, ids and timestamps. Every backend
// (store/sqlite, and later store/postgres and store/remote) implements Store
// and passes the conformance suite in store/storetest.
package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Backends wrap them with context; callers test with errors.Is.
var (
	// ErrNotFound is returned when a record does not exist (a missing
	// collection is not an error: it reads as empty).
	ErrNotFound = errors.New("not found")
	// ErrPreconditionFailed is returned when an X-If-Unmodified-Since
	// precondition does not hold: the resource changed after the given time.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrOverQuota is returned when a write would take a collection past the
	// user's quota (Sync error code 14). Nothing of the write is stored.
	ErrOverQuota = errors.New("over quota")
	// ErrInvalid is returned for a malformed request: a bad id, collection
	// name, sortindex, ttl, a duplicate id in one write, or an invalid offset.
	ErrInvalid = errors.New("invalid request")
	// ErrSizeLimit is returned when a request exceeds one of the Limits
	// (Sync error code 17).
	ErrSizeLimit = errors.New("size limit exceeded")
	// ErrBatchNotFound is returned for an unknown, expired or committed batch id.
	ErrBatchNotFound = errors.New("batch not found")
)

// Failure reasons reported per record in WriteResult.Failed, as Sync 1.5
// servers word them.
const (
	ReasonRetryBytes = "retry bytes" // record or request over a byte limit; send it again later
	ReasonRetryBSO   = "retry bso"   // beyond max_post_records; send it again later
	ReasonInvalid    = "invalid bso" // prefix; followed by ": " and the cause
)

// A Timestamp is a server time in milliseconds since the Unix epoch. Store
// timestamps are always multiples of 10 ms, as Sync servers keep them.
type Timestamp int64

// FromTime converts t to a Timestamp truncated to 10 ms.
func FromTime(t time.Time) Timestamp {
	ms := t.UnixMilli()
	return Timestamp(ms - ms%10)
}

// Time converts ts to a time.Time.
func (ts Timestamp) Time() time.Time { return time.UnixMilli(int64(ts)) }

// String formats ts as Sync does: seconds with exactly two decimals
// ("1388635807.40").
func (ts Timestamp) String() string {
	ms := int64(ts)
	neg := ms < 0
	if neg {
		ms = -ms
	}
	cs := ms / 10
	s := fmt.Sprintf("%d.%02d", cs/100, cs%100)
	if neg {
		return "-" + s
	}
	return s
}

// ParseTimestamp parses a decimal seconds value ("1388635807.4", "12") into a
// Timestamp, truncating to 10 ms. It rejects negative and non-numeric values.
func ParseTimestamp(s string) (Timestamp, error) {
	if s == "" || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("store: timestamp %q: %w", s, ErrInvalid)
	}
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || sec > 1<<40 {
		return 0, fmt.Errorf("store: timestamp %q: %w", s, ErrInvalid)
	}
	var cs int64
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("store: timestamp %q: %w", s, ErrInvalid)
		}
		if i < 2 {
			cs = cs*10 + int64(c-'0')
		}
	}
	if len(frac) == 1 {
		cs *= 10
	}
	return Timestamp(sec*1000 + cs*10), nil
}

// MarshalJSON writes ts as a JSON number with exactly two decimals, which
// encoding/json would not do for a float.
func (ts Timestamp) MarshalJSON() ([]byte, error) { return []byte(ts.String()), nil }

// UnmarshalJSON reads a JSON number of seconds.
func (ts *Timestamp) UnmarshalJSON(b []byte) error {
	v, err := ParseTimestamp(string(b))
	if err != nil {
		return err
	}
	*ts = v
	return nil
}

// A BSO is one stored record. Payload is opaque to the store (for the hub,
// an encrypted JSON envelope).
type BSO struct {
	ID       string    `json:"id"`
	Modified Timestamp `json:"modified"`
	// SortIndex is nil when the record has none.
	SortIndex *int64 `json:"sortindex,omitempty"`
	Payload   string `json:"payload"`
}

// A Write creates or updates one record. Nil fields keep the stored value on
// update and take the default on create (payload "", no sortindex, the
// default TTL), as a Sync 1.5 PUT does.
type Write struct {
	ID        string
	Payload   *string
	SortIndex *int64
	// TTL is the lifetime in seconds from the write; the record disappears
	// from every read once it expires.
	TTL *int64
}

// Sort orders the results of a List.
type Sort int

// Sort orders.
const (
	SortNone   Sort = iota // unspecified; backends return a stable order (paging works as for the others)
	SortNewest             // modified, descending; ties by id, descending
	SortOldest             // modified, ascending; ties by id, ascending
	SortIndex              // sortindex, descending (records without one last); ties by id, descending
)

// Query selects records of one collection. The zero value selects all.
type Query struct {
	// IDs restricts the result to these ids (at most MaxIDs).
	IDs []string
	// Newer selects records modified strictly after it (0: no bound).
	Newer Timestamp
	// Older selects records modified strictly before it (0: no bound).
	Older Timestamp
	// Limit caps the number of records returned (0: no cap). A truncated
	// result carries a NextOffset.
	Limit int
	// Offset continues a truncated result; it is the opaque NextOffset of
	// the previous page of the same query. It marks a position, not a count:
	// records written between pages neither shift the rest nor cause gaps
	// (a record rewritten between pages moves, with its new timestamp, to its
	// new place in the order). A malformed offset, or one from a query with
	// another Sort, is ErrInvalid.
	Offset string
	Sort   Sort
	// IDsOnly returns records with only ID set (Sync's default without
	// "full").
	IDsOnly bool
}

// MaxIDs is the most ids one Query or DeleteRecords may name.
const MaxIDs = 100

// Page is the result of a List.
type Page struct {
	Records []BSO
	// NextOffset is set when Limit truncated the result; pass it back as
	// Query.Offset to read on.
	NextOffset string
	// LastModified is the collection's timestamp (0 if it does not exist).
	LastModified Timestamp
}

// Precondition guards a write or delete, as X-If-Unmodified-Since does.
type Precondition struct {
	// IfUnmodifiedSince fails the request with ErrPreconditionFailed when the
	// resource (the record for single-record requests, the collection
	// otherwise) was modified after it. A zero Timestamp with Set means
	// "only if it does not exist".
	IfUnmodifiedSince Timestamp
	Set               bool
}

// Since returns a Precondition that holds while the resource is unmodified
// since ts.
func Since(ts Timestamp) Precondition { return Precondition{IfUnmodifiedSince: ts, Set: true} }

// WriteResult reports a multi-record write per record. Success and Failed
// are never nil, so that they encode as [] and {}.
type WriteResult struct {
	// Modified is the timestamp every stored record and the collection got.
	// A write that stores no record changes nothing and reports the
	// collection's current timestamp (0 if it does not exist).
	Modified Timestamp `json:"modified"`
	Success  []string  `json:"success"`
	// Failed maps record ids to a reason (ReasonRetryBytes, ReasonRetryBSO,
	// or ReasonInvalid with a cause).
	Failed map[string]string `json:"failed"`
}

// Limits are the request limits a store enforces, as published by a Sync
// server in info/configuration.
type Limits struct {
	MaxRequestBytes       int64 `json:"max_request_bytes"`
	MaxPostRecords        int   `json:"max_post_records"`
	MaxPostBytes          int64 `json:"max_post_bytes"`
	MaxTotalRecords       int   `json:"max_total_records"`
	MaxTotalBytes         int64 `json:"max_total_bytes"`
	MaxRecordPayloadBytes int64 `json:"max_record_payload_bytes"`
}

// DefaultLimits are syncstorage-rs's defaults.
func DefaultLimits() Limits {
	return Limits{
		MaxRequestBytes:       2_625_536,
		MaxPostRecords:        100,
		MaxPostBytes:          2_621_440,
		MaxTotalRecords:       10_000,
		MaxTotalBytes:         262_144_000,
		MaxRecordPayloadBytes: 2_621_440,
	}
}

// DefaultQuotaBytes is the default quota per user and collection: 2.5 GB.
const DefaultQuotaBytes int64 = 2_500_000_000

// DefaultTTL is the lifetime of a record written without a TTL, in seconds
// (syncstorage-rs's DEFAULT_BSO_TTL).
const DefaultTTL int64 = 2_100_000_000

// MaxTTL is the largest TTL a write may carry, in seconds.
const MaxTTL int64 = 999_999_999

// MaxSortIndex bounds a record's sortindex in both directions.
const MaxSortIndex int64 = 999_999_999

// BatchLifetime is how long an uncommitted batch lives.
const BatchLifetime = 2 * time.Hour

// Usage reports what one collection holds.
type Usage struct {
	Modified Timestamp
	Count    int64
	// Bytes is the sum of the payload sizes in bytes.
	Bytes int64
}

// A Store keeps collections of records for many users. Implementations are
// safe for concurrent use. Every method takes the user first; users never see
// each other's data.
//
// Every write takes one server timestamp T = max(now truncated to 10 ms,
// the user's last timestamp + 10 ms): timestamps increase strictly per user
// (and so per collection) even when the clock stands still or steps back,
// also across DeleteCollection and DeleteUser. Every record of one write, and
// the collection, get T.
//
// A record whose TTL has run out is gone: no read returns it, Info does not
// count it, and a write to its id creates it afresh.
//
// An empty user, an invalid collection name (ValidCollection) or an invalid
// record id (ValidID) is ErrInvalid, except inside Post and batches, where an
// invalid record fails alone.
type Store interface {
	// Get returns one record, or ErrNotFound.
	Get(ctx context.Context, user, collection, id string) (BSO, error)

	// List returns the records of a collection that match q. A missing
	// collection reads as empty, never as ErrNotFound.
	List(ctx context.Context, user, collection string, q Query) (Page, error)

	// Put creates or updates one record; nil fields of w keep their stored
	// value. The record's modified changes on every Put, even a TTL-only one.
	// The precondition applies to the record. It returns the new timestamp
	// of the record and the collection. An invalid id, sortindex or ttl is
	// ErrInvalid; a payload over Limits.MaxRecordPayloadBytes is ErrSizeLimit.
	Put(ctx context.Context, user, collection string, w Write, pre Precondition) (Timestamp, error)

	// Post creates or updates many records in one atomic write. Records
	// beyond Limits.MaxPostRecords, or past a byte limit, fail with a retry
	// reason instead of failing the request; invalid records fail with
	// ReasonInvalid. A missing (empty) or duplicate id fails the whole
	// request with ErrInvalid. The precondition applies to the collection. A
	// write that would exceed the quota stores nothing and returns
	// ErrOverQuota.
	Post(ctx context.Context, user, collection string, ws []Write, pre Precondition) (WriteResult, error)

	// BeginBatch opens a batch upload to collection and returns its id, an
	// opaque string of URL-safe characters. Batches expire after
	// BatchLifetime. A batch id is valid only for the user and collection
	// that opened it; anywhere else it is ErrBatchNotFound. A user with
	// MaxOpenBatches open in the collection gets ErrSizeLimit.
	BeginBatch(ctx context.Context, user, collection string) (string, error)

	// AppendBatch validates ws as Post does and stages the valid ones in the
	// batch; nothing becomes visible until CommitBatch. The WriteResult has
	// no Modified. Totals past MaxTotalRecords or MaxTotalBytes fail with
	// ErrSizeLimit, and staged payload bytes past the quota with
	// ErrOverQuota; either stages nothing and leaves the batch open. An id staged twice takes the later
	// write's fields over the earlier's, as two Puts would.
	AppendBatch(ctx context.Context, user, collection, batch string, ws []Write) (WriteResult, error)

	// CommitBatch applies every staged write, and ws, atomically with one
	// timestamp, and ends the batch. The precondition applies to the
	// collection. A commit that would exceed the quota stores nothing,
	// returns ErrOverQuota and ends the batch; any other error (precondition,
	// size limit) leaves the batch open. Success lists every id stored;
	// Failed lists the failures among ws.
	CommitBatch(ctx context.Context, user, collection, batch string, ws []Write, pre Precondition) (WriteResult, error)

	// Delete removes one record (ErrNotFound if absent) and returns the new
	// collection timestamp. The precondition applies to the record.
	Delete(ctx context.Context, user, collection, id string, pre Precondition) (Timestamp, error)

	// DeleteIDs removes up to MaxIDs records of a collection (missing ids are
	// ignored); the collection remains (it is created if missing) and gets a
	// new timestamp, which is returned. The precondition applies to the
	// collection.
	DeleteIDs(ctx context.Context, user, collection string, ids []string, pre Precondition) (Timestamp, error)

	// DeleteCollection removes a collection, its records and its open
	// batches, and returns the new storage timestamp. Deleting a missing
	// collection changes nothing and returns the user's current storage
	// timestamp (0 for a user who never wrote). The precondition applies to
	// the collection.
	DeleteCollection(ctx context.Context, user, collection string, pre Precondition) (Timestamp, error)

	// DeleteUser removes everything the user stored, open batches included.
	// Only the user's last timestamp is kept, so that later writes still get
	// greater timestamps.
	DeleteUser(ctx context.Context, user string) error

	// Info reports every collection of the user that exists (written and
	// not deleted since), by name, with its timestamp and its unexpired
	// records' count and payload bytes.
	Info(ctx context.Context, user string) (map[string]Usage, error)

	// Quota returns the quota per user and collection in bytes (0:
	// unlimited): the most payload bytes of unexpired records one collection
	// may hold. A write that would raise a collection's bytes past it fails
	// with ErrOverQuota; a write that does not raise them always passes.
	Quota() int64

	// Limits returns the request limits this store enforces.
	Limits() Limits

	// Close releases the store's resources. Calls after Close fail; a second
	// Close returns nil.
	Close() error
}

var (
	idPattern         = regexp.MustCompile(`^[ -~]{1,64}$`)
	collectionPattern = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,32}$`)
)

// ValidID reports whether id is a valid record id: 1–64 printable ASCII
// characters, no comma (so that it can be listed in ids=).
func ValidID(id string) bool {
	return idPattern.MatchString(id) && !strings.Contains(id, ",")
}

// ValidCollection reports whether name is a valid collection name: 1–32
// characters of [a-zA-Z0-9._-].
func ValidCollection(name string) bool { return collectionPattern.MatchString(name) }
