package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/contactbridge/contactbridge/store"
)

// config returns user's limits and quota, reading info/configuration the
// first time.
func (s *Store) config(ctx context.Context, user string) (*serverConfig, error) {
	s.mu.Lock()
	c := s.conf[user]
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	r, err := s.do(ctx, &call{op: "info/configuration", user: user, method: http.MethodGet, path: "info/configuration", safe: true})
	if err != nil {
		return nil, err
	}
	if r.status != http.StatusOK {
		return nil, fail("info/configuration", r)
	}
	var w struct {
		store.Limits
		MaxQuotaLimit int64 `json:"max_quota_limit"`
	}
	if err := json.Unmarshal(r.body, &w); err != nil {
		return nil, fmt.Errorf("remote: info/configuration: %w", err)
	}
	// A key the server leaves out takes Sync's default.
	l := w.Limits.WithDefaults()
	c = &serverConfig{limits: l, quota: max(w.MaxQuotaLimit, 0)}
	s.mu.Lock()
	s.conf[user] = c
	s.mu.Unlock()
	return c, nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, user, collection, id string) (store.BSO, error) {
	op := "get " + collection + "/" + id
	if err := check(op, collection, id, true); err != nil {
		return store.BSO{}, err
	}
	r, err := s.do(ctx, &call{op: op, user: user, method: http.MethodGet, path: itemPath(collection, id), safe: true})
	if err != nil {
		return store.BSO{}, err
	}
	if r.status != http.StatusOK {
		return store.BSO{}, fail(op, r)
	}
	var b store.BSO
	if err := json.Unmarshal(r.body, &b); err != nil {
		return store.BSO{}, fmt.Errorf("remote: %s: %w", op, err)
	}
	return b, nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, user, collection string, q store.Query) (store.Page, error) {
	op := "list " + collection
	if err := check(op, collection, "", false); err != nil {
		return store.Page{}, err
	}
	if q.Newer < 0 || q.Older < 0 || q.Limit < 0 || q.Sort < store.SortNone || q.Sort > store.SortIndex {
		return store.Page{}, fmt.Errorf("remote: %s: query %+v: %w", op, q, store.ErrInvalid)
	}
	if len(q.IDs) > store.MaxIDs {
		return store.Page{}, fmt.Errorf("remote: %s: %d ids, at most %d: %w", op, len(q.IDs), store.MaxIDs, store.ErrInvalid)
	}
	v := url.Values{}
	if len(q.IDs) > 0 {
		for _, id := range q.IDs {
			if !store.ValidID(id) {
				return store.Page{}, fmt.Errorf("remote: %s: id %q: %w", op, id, store.ErrInvalid)
			}
		}
		v.Set("ids", strings.Join(q.IDs, ","))
	}
	if q.Newer > 0 {
		v.Set("newer", q.Newer.String())
	}
	if q.Older > 0 {
		v.Set("older", q.Older.String())
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset != "" {
		v.Set("offset", q.Offset)
	}
	switch q.Sort {
	case store.SortNewest:
		v.Set("sort", "newest")
	case store.SortOldest:
		v.Set("sort", "oldest")
	case store.SortIndex:
		v.Set("sort", "index")
	}
	if !q.IDsOnly {
		v.Set("full", "1")
	}
	r, err := s.do(ctx, &call{op: op, user: user, method: http.MethodGet, path: "storage/" + collection, query: v, safe: true})
	if err != nil {
		return store.Page{}, err
	}
	if r.status != http.StatusOK {
		return store.Page{}, fail(op, r)
	}
	page := store.Page{NextOffset: r.header.Get("X-Weave-Next-Offset"), LastModified: r.lastModified()}
	if q.IDsOnly {
		var ids []string
		if err := json.Unmarshal(r.body, &ids); err != nil {
			return store.Page{}, fmt.Errorf("remote: %s: %w", op, err)
		}
		page.Records = make([]store.BSO, len(ids))
		for i, id := range ids {
			page.Records[i].ID = id
		}
		return page, nil
	}
	if err := json.Unmarshal(r.body, &page.Records); err != nil {
		return store.Page{}, fmt.Errorf("remote: %s: %w", op, err)
	}
	return page, nil
}

// Info implements store.Store, from info/collections, info/collection_counts
// and info/collection_usage (three requests: Sync has no one endpoint for
// all three).
func (s *Store) Info(ctx context.Context, user string) (map[string]store.Usage, error) {
	var (
		mods   map[string]store.Timestamp
		counts map[string]int64
		usage  map[string]float64
	)
	for _, q := range []struct {
		path string
		into any
	}{{"info/collections", &mods}, {"info/collection_counts", &counts}, {"info/collection_usage", &usage}} {
		r, err := s.do(ctx, &call{op: q.path, user: user, method: http.MethodGet, path: q.path, safe: true})
		if err != nil {
			return nil, err
		}
		if r.status != http.StatusOK {
			return nil, fail(q.path, r)
		}
		if err := json.Unmarshal(r.body, q.into); err != nil {
			return nil, fmt.Errorf("remote: %s: %w", q.path, err)
		}
	}
	out := make(map[string]store.Usage, len(mods))
	for name, ts := range mods {
		// Usage is in KB (bytes / 1024): exact in a float64 for any size a
		// collection can reach.
		out[name] = store.Usage{Modified: ts, Count: counts[name], Bytes: int64(math.Round(usage[name] * 1024))}
	}
	return out, nil
}

// check validates a collection name and, with withID, a record id, so
// that no request goes out with a path the server would read otherwise.
func check(op, collection, id string, withID bool) error {
	// "." and ".." are valid names, but a proxy that tidies paths would
	// make storage/.. the user's root, so they are never sent.
	if !store.ValidCollection(collection) || collection == "." || collection == ".." {
		return fmt.Errorf("remote: %s: collection name %q: %w", op, collection, store.ErrInvalid)
	}
	if withID && (!store.ValidID(id) || id == "." || id == "..") {
		return fmt.Errorf("remote: %s: id %q: %w", op, id, store.ErrInvalid)
	}
	return nil
}
