package conntest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// capabilities: the connector says what it stores and how to size batches.
func (s *suite) capabilities(t *testing.T) {
	caps := s.instance(t).Connector.Capabilities()
	if caps.Version != mapping.Version30 && caps.Version != mapping.Version40 {
		t.Errorf("Capabilities().Version = %q, want 3.0 or 4.0", caps.Version)
	}
	if caps.BatchSize <= 0 {
		t.Errorf("Capabilities().BatchSize = %d, want > 0", caps.BatchSize)
	}
	if caps.Concurrency <= 0 {
		t.Errorf("Capabilities().Concurrency = %d, want > 0", caps.Concurrency)
	}
	for _, name := range []string{"FN", "N", "EMAIL", "TEL", "UID"} {
		switch {
		case name == "UID" && s.h.NoUID != "":
			if caps.Stores(name) {
				t.Errorf("Capabilities() claims UID, but the harness says the remote cannot keep it: %s", s.h.NoUID)
			}
		case !caps.Stores(name):
			t.Errorf("Capabilities() cannot store %s", name)
		}
	}
}

// emptyListing: a full listing of an empty remote is one empty Full page.
func (s *suite) emptyListing(t *testing.T) {
	c := s.instance(t).Connector
	l := s.list(t, c, "")
	if l.pages < 1 {
		t.Errorf("full listing of an empty remote passed %d pages, want at least 1", l.pages)
	}
	if len(l.items) != 0 {
		t.Errorf("full listing of an empty remote lists %d items", len(l.items))
	}
}

// roundTrip: create, fetch, update, fetch, delete, fetch.
func (s *suite) roundTrip(t *testing.T) {
	ctx := context.Background()
	c := s.instance(t).Connector
	v1 := person(1)
	created := create(t, c, key("rt"), v1)
	if created.Card != nil {
		s.checkContent(t, c, "Create result", v1, created.Card)
	}
	got := fetchOne(t, c, created.ID)
	s.checkContent(t, c, "Fetch after Create", v1, got.Card)
	if created.ETag != "" && got.ETag != created.ETag {
		t.Errorf("Fetch after Create: etag %q, Create returned %q", got.ETag, created.ETag)
	}
	if l := s.list(t, c, ""); len(l.items) != 1 || l.items[created.ID].ID == "" {
		t.Errorf("full listing after Create: %v, want just %s", l.etags(), created.ID)
	} else if created.ETag != "" && l.items[created.ID].ETag != created.ETag {
		t.Errorf("listing after Create: etag %q, Create returned %q", l.items[created.ID].ETag, created.ETag)
	}

	v2 := withNote(v1, "updated once")
	updated, err := c.Update(ctx, created.ID, got.ETag, v2)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if updated.ID != created.ID {
		t.Errorf("Update returned id %q, want %q", updated.ID, created.ID)
	}
	if updated.ETag == got.ETag {
		t.Errorf("Update kept etag %q", updated.ETag)
	}
	if updated.Card != nil {
		s.checkContent(t, c, "Update result", v2, updated.Card)
	}
	got2 := fetchOne(t, c, created.ID)
	s.checkContent(t, c, "Fetch after Update", v2, got2.Card)
	if updated.ETag != "" && got2.ETag != updated.ETag {
		t.Errorf("Fetch after Update: etag %q, Update returned %q", got2.ETag, updated.ETag)
	}
	if got.Card.Version != "" && got2.Card.Version != got.Card.Version {
		t.Errorf("Update changed the vCard version from %s to %s", got.Card.Version, got2.Card.Version)
	}

	if err := c.Delete(ctx, created.ID, got2.ETag); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	fetchGone(t, c, created.ID)
	if l := s.list(t, c, ""); len(l.items) != 0 {
		t.Errorf("full listing after Delete: %v, want none", l.etags())
	}
}

// staleETag: an update or delete naming an old etag changes nothing.
func (s *suite) staleETag(t *testing.T) {
	ctx := context.Background()
	c := s.instance(t).Connector
	created := create(t, c, key("stale"), person(2))
	v1 := fetchOne(t, c, created.ID)
	v2card := withNote(person(2), "second")
	if _, err := c.Update(ctx, created.ID, v1.ETag, v2card); err != nil {
		t.Fatalf("Update: %v", err)
	}
	v2 := fetchOne(t, c, created.ID)

	_, err := c.Update(ctx, created.ID, v1.ETag, withNote(person(2), "lost update"))
	if !errors.Is(err, connectors.ErrPreconditionFailed) {
		t.Errorf("Update with a stale etag: %v, want ErrPreconditionFailed", err)
	}
	err = c.Delete(ctx, created.ID, v1.ETag)
	if !errors.Is(err, connectors.ErrPreconditionFailed) {
		t.Errorf("Delete with a stale etag: %v, want ErrPreconditionFailed", err)
	}
	now := fetchOne(t, c, created.ID)
	if now.ETag != v2.ETag {
		t.Errorf("etag after refused writes: %q, want %q", now.ETag, v2.ETag)
	}
	s.checkContent(t, c, "card after refused writes", v2card, now.Card)
}

// missing: writes and reads of an item that is gone say ErrNotFound and
// create nothing.
func (s *suite) missing(t *testing.T) {
	ctx := context.Background()
	c := s.instance(t).Connector
	gone := create(t, c, key("gone"), person(3))
	goneItem := fetchOne(t, c, gone.ID)
	kept := create(t, c, key("kept"), person(4))
	if err := c.Delete(ctx, gone.ID, goneItem.ETag); err != nil {
		t.Fatalf("Delete: %v", err)
	}

	if err := c.Delete(ctx, gone.ID, goneItem.ETag); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Delete of a missing item: %v, want ErrNotFound", err)
	}
	if _, err := c.Update(ctx, gone.ID, goneItem.ETag, person(3)); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Update of a missing item: %v, want ErrNotFound", err)
	}
	items := fetch(t, c, gone.ID, kept.ID)
	if !errors.Is(items[gone.ID].Err, connectors.ErrNotFound) {
		t.Errorf("Fetch of a missing item: Err = %v, want ErrNotFound", items[gone.ID].Err)
	}
	if it := items[kept.ID]; it.Err != nil || it.Card == nil {
		t.Errorf("Fetch of an item beside a missing one: Err = %v, card %v", it.Err, it.Card != nil)
	}
	if l := s.list(t, c, ""); len(l.items) != 1 {
		t.Errorf("listing after writes to a missing item: %v, want just %s", l.etags(), kept.ID)
	}
}

// createRetry: a create retried with the same key returns the first item.
func (s *suite) createRetry(t *testing.T) {
	c := s.instance(t).Connector
	k := key("retry")
	first := create(t, c, k, person(5))
	second := create(t, c, k, person(5))
	if second.ID != first.ID {
		t.Errorf("Create retried: id %q, first %q", second.ID, first.ID)
	}
	// A retry whose card differs (the hub moved on) still finds the item;
	// the bridge then updates it.
	third := create(t, c, k, withNote(person(5), "changed meanwhile"))
	if third.ID != first.ID {
		t.Errorf("Create retried with another card: id %q, first %q", third.ID, first.ID)
	}
	if l := s.list(t, c, ""); len(l.items) != 1 {
		t.Errorf("listing after a retried create: %d items, want 1", len(l.items))
	}
	other := create(t, c, key("retry-other"), person(6))
	if other.ID == first.ID {
		t.Errorf("Create with another key returned the same id %q", other.ID)
	}
}

// createConcurrent: writes up to Capabilities().Concurrency at once.
func (s *suite) createConcurrent(t *testing.T) {
	ctx := context.Background()
	c := s.instance(t).Connector
	n := max(2, c.Capabilities().Concurrency) * 3
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, c.Capabilities().Concurrency))
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			it, err := c.Create(ctx, key(fmt.Sprintf("conc-%d", i)), person(100+i))
			ids[i], errs[i] = it.ID, err
		})
	}
	wg.Wait()
	seen := make(map[string]bool)
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Create %d: %v", i, errs[i])
			continue
		}
		if seen[ids[i]] {
			t.Errorf("two creates returned id %s", ids[i])
		}
		seen[ids[i]] = true
	}
	if l := s.list(t, c, ""); len(l.items) != n {
		t.Errorf("listing after %d concurrent creates: %d items", n, len(l.items))
	}
}

// callbackError: an error from a callback stops the call and is returned.
func (s *suite) callbackError(t *testing.T) {
	ctx := context.Background()
	c := s.instance(t).Connector
	a := create(t, c, key("cb-a"), person(7))
	b := create(t, c, key("cb-b"), person(8))
	stop := errors.New("stop here")

	calls := 0
	_, err := c.Changes(ctx, "", func(connectors.Page) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) {
		t.Errorf("Changes with a failing callback: %v, want the callback's error", err)
	}
	if calls != 1 {
		t.Errorf("Changes called a failing callback %d times, want 1", calls)
	}

	calls = 0
	err = c.Fetch(ctx, []string{a.ID, b.ID}, func(connectors.Item) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) {
		t.Errorf("Fetch with a failing callback: %v, want the callback's error", err)
	}
	if calls != 1 {
		t.Errorf("Fetch called a failing callback %d times, want 1", calls)
	}
}

// cancelled: a cancelled context stops every call, and a write it stops
// does not happen.
func (s *suite) cancelled(t *testing.T) {
	c := s.instance(t).Connector
	existing := create(t, c, key("cancel-existing"), person(9))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	if _, err := c.Changes(ctx, "", func(connectors.Page) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Changes with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := c.Create(ctx, key("cancel-new"), person(10)); !errors.Is(err, context.Canceled) {
		t.Errorf("Create with a cancelled context: %v, want context.Canceled", err)
	}
	it := fetchOne(t, c, existing.ID)
	if _, err := c.Update(ctx, existing.ID, it.ETag, withNote(person(9), "x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context: %v, want context.Canceled", err)
	}
	if err := c.Delete(ctx, existing.ID, it.ETag); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete with a cancelled context: %v, want context.Canceled", err)
	}
	l := s.list(t, c, "")
	if len(l.items) != 1 || l.items[existing.ID].ETag != it.ETag {
		t.Errorf("listing after cancelled writes: %v, want just %s at %s", l.etags(), existing.ID, it.ETag)
	}
}
