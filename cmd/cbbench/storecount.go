package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/contactbridge/contactbridge/store"
)

// A countingStore is a store.Store that counts the write requests made
// through it, by collection kind, so that a phase can show exactly what it
// wrote: "the run writes nothing" is checked on the store's side, not taken
// from the engine's own report.
type countingStore struct {
	store.Store
	mu     sync.Mutex
	writes map[string]StoreWrites
}

// StoreWrites counts the write requests to one kind of collection, the
// records they carried and the bytes of those records' payloads.
type StoreWrites struct {
	Requests int   `json:"requests"`
	Records  int   `json:"records"`
	Bytes    int64 `json:"bytes"`
}

// newCountingStore wraps st.
func newCountingStore(st store.Store) *countingStore {
	return &countingStore{Store: st, writes: map[string]StoreWrites{}}
}

// collectionKind groups collections for counting: the bridge names each
// account's state "st.<tag>" and its bases "bs.<tag>", with a tag derived
// from the account name; the kinds are "st.*" and "bs.*", and other
// collections (contacts, crypto, conflicts, trash) count under their name.
func collectionKind(coll string) string {
	if prefix, _, ok := strings.Cut(coll, "."); ok {
		return prefix + ".*"
	}
	return coll
}

func (c *countingStore) count(coll string, records int, ws ...store.Write) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := collectionKind(coll)
	w := c.writes[k]
	w.Requests++
	w.Records += records
	for _, x := range ws {
		if x.Payload != nil {
			w.Bytes += int64(len(*x.Payload))
		}
	}
	c.writes[k] = w
}

// Take returns the counts since the last Take, by collection kind, and
// starts counting afresh.
func (c *countingStore) Take() map[string]StoreWrites {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.writes
	c.writes = map[string]StoreWrites{}
	return w
}

// addWrites adds the counts of b to a (allocating a when nil).
func addWrites(a, b map[string]StoreWrites) map[string]StoreWrites {
	if a == nil {
		a = map[string]StoreWrites{}
	}
	for k, v := range b {
		w := a[k]
		w.Requests += v.Requests
		w.Records += v.Records
		w.Bytes += v.Bytes
		a[k] = w
	}
	return a
}

// Put implements store.Store.
func (c *countingStore) Put(ctx context.Context, user, coll string, w store.Write, pre store.Precondition) (store.Timestamp, error) {
	c.count(coll, 1, w)
	return c.Store.Put(ctx, user, coll, w, pre)
}

// Post implements store.Store.
func (c *countingStore) Post(ctx context.Context, user, coll string, ws []store.Write, pre store.Precondition) (store.WriteResult, error) {
	c.count(coll, len(ws), ws...)
	return c.Store.Post(ctx, user, coll, ws, pre)
}

// BeginBatch implements store.Store.
func (c *countingStore) BeginBatch(ctx context.Context, user, coll string) (string, error) {
	c.count(coll, 0)
	return c.Store.BeginBatch(ctx, user, coll)
}

// AppendBatch implements store.Store.
func (c *countingStore) AppendBatch(ctx context.Context, user, coll, batch string, ws []store.Write) (store.WriteResult, error) {
	c.count(coll, len(ws), ws...)
	return c.Store.AppendBatch(ctx, user, coll, batch, ws)
}

// CommitBatch implements store.Store.
func (c *countingStore) CommitBatch(ctx context.Context, user, coll, batch string, ws []store.Write, pre store.Precondition) (store.WriteResult, error) {
	c.count(coll, len(ws), ws...)
	return c.Store.CommitBatch(ctx, user, coll, batch, ws, pre)
}

// Delete implements store.Store.
func (c *countingStore) Delete(ctx context.Context, user, coll, id string, pre store.Precondition) (store.Timestamp, error) {
	c.count(coll, 1)
	return c.Store.Delete(ctx, user, coll, id, pre)
}

// DeleteIDs implements store.Store.
func (c *countingStore) DeleteIDs(ctx context.Context, user, coll string, ids []string, pre store.Precondition) (store.Timestamp, error) {
	c.count(coll, len(ids))
	return c.Store.DeleteIDs(ctx, user, coll, ids, pre)
}

// DeleteCollection implements store.Store.
func (c *countingStore) DeleteCollection(ctx context.Context, user, coll string, pre store.Precondition) (store.Timestamp, error) {
	c.count(coll, 0)
	return c.Store.DeleteCollection(ctx, user, coll, pre)
}

// DeleteUser implements store.Store.
func (c *countingStore) DeleteUser(ctx context.Context, user string) error {
	c.count("(user)", 0)
	return c.Store.DeleteUser(ctx, user)
}

// fmtStoreWrites writes counts as "contacts 2/400/1.1 MiB, st.* 3/5/2 KiB"
// (requests / records / payload bytes), or "none".
func fmtStoreWrites(w map[string]StoreWrites) string {
	if len(w) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(w)) {
		parts = append(parts, fmt.Sprintf("%s %d/%d/%s", k, w[k].Requests, w[k].Records, fmtBytes(w[k].Bytes)))
	}
	return strings.Join(parts, ", ")
}

// storeRequests is the number of write requests in w.
func storeRequests(w map[string]StoreWrites) int {
	n := 0
	for _, v := range w {
		n += v.Requests
	}
	return n
}
