package conntest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// An operation is one kind of change, made through the connector or behind
// its back, after which the next Changes must report exactly it.
type operation struct {
	name string
	// needs names the Instance hook the operation uses, "" for none.
	needs string
	// do makes the change to the seeded items and returns the id changed
	// and whether it is now deleted.
	do func(t *testing.T, in Instance, seeded []connectors.Item) (id string, deleted bool)
}

// operations returns the kinds of change, made through the connector or on
// the remote behind its back.
func operations() []operation {
	return []operation{
		{name: "Create", do: func(t *testing.T, in Instance, _ []connectors.Item) (string, bool) {
			return create(t, in.Connector, key("op-create"), person(50)).ID, false
		}},
		{name: "Update", do: func(t *testing.T, in Instance, seeded []connectors.Item) (string, bool) {
			it := seeded[1]
			if _, err := in.Connector.Update(context.Background(), it.ID, it.ETag, withNote(person(41), "updated")); err != nil {
				t.Fatalf("Update: %v", err)
			}
			return it.ID, false
		}},
		{name: "Delete", do: func(t *testing.T, in Instance, seeded []connectors.Item) (string, bool) {
			it := seeded[1]
			if err := in.Connector.Delete(context.Background(), it.ID, it.ETag); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			return it.ID, true
		}},
		{name: "RemoteEdit", needs: "Edit", do: func(t *testing.T, in Instance, seeded []connectors.Item) (string, bool) {
			id := seeded[1].ID
			if err := in.Edit(context.Background(), id, func(c *mapping.Card) { setNote(c, "edited elsewhere") }); err != nil {
				t.Fatalf("Edit: %v", err)
			}
			return id, false
		}},
		{name: "RemoteDelete", needs: "Delete", do: func(t *testing.T, in Instance, seeded []connectors.Item) (string, bool) {
			id := seeded[1].ID
			if err := in.Delete(context.Background(), id); err != nil {
				t.Fatalf("Delete on the remote: %v", err)
			}
			return id, true
		}},
		{name: "RemoteAdd", needs: "Add", do: func(t *testing.T, in Instance, _ []connectors.Item) (string, bool) {
			id, err := in.Add(context.Background(), person(51))
			if err != nil {
				t.Fatalf("Add on the remote: %v", err)
			}
			return id, false
		}},
	}
}

// hasHook reports whether in provides the hook named.
func hasHook(in Instance, name string) bool {
	switch name {
	case "":
		return true
	case "Edit":
		return in.Edit != nil
	case "Delete":
		return in.Delete != nil
	case "Add":
		return in.Add != nil
	case "ExpireTokens":
		return in.ExpireTokens != nil
	}
	return false
}

// seed creates n contacts through the connector and returns them as a
// full listing reports them, in creation order, with the listing.
func (s *suite) seed(t *testing.T, c connectors.Connector, prefix string, n int) ([]connectors.Item, listing) {
	t.Helper()
	made := make([]connectors.Item, n)
	for i := range n {
		made[i] = create(t, c, key(fmt.Sprintf("%s-%d", prefix, i)), person(40+i))
	}
	l := s.list(t, c, "")
	for i, it := range made {
		got, ok := l.items[it.ID]
		if !ok {
			t.Fatalf("full listing misses %s, just created", it.ID)
		}
		made[i].ETag = got.ETag
	}
	return made, l
}

// changesAfter: after each kind of change, Changes with the token from
// before reports exactly that change. A connector answering with a full
// listing must list the same items with the same etags except the one
// changed.
func (s *suite) changesAfter(t *testing.T) {
	for _, op := range operations() {
		t.Run(op.name, func(t *testing.T) {
			in := s.instance(t)
			if !hasHook(in, op.needs) {
				t.Skipf("the harness gives no %s hook", op.needs)
			}
			c := in.Connector
			seeded, before := s.seed(t, c, "chg", 3)
			id, deleted := op.do(t, in, seeded)
			after := s.list(t, c, before.token)

			if !after.full {
				changed := slices.Sorted(maps.Keys(after.changed()))
				if len(changed) != 1 || changed[0] != id {
					t.Fatalf("Changes after %s of %s reported %v, want exactly [%s]", op.name, id, changed, id)
				}
				if after.deleted[id] != deleted {
					t.Errorf("Changes after %s: Deleted = %v, want %v", op.name, after.deleted[id], deleted)
				}
			} else {
				want := before.etags()
				got := after.etags()
				for other, etag := range want {
					if other == id {
						continue
					}
					if got[other] != etag {
						t.Errorf("full listing after %s of %s: %s has etag %q, was %q", op.name, id, other, got[other], etag)
					}
				}
				_, listed := got[id]
				switch {
				case deleted && listed:
					t.Errorf("full listing after %s still lists %s", op.name, id)
				case !deleted && !listed:
					t.Errorf("full listing after %s misses %s", op.name, id)
				case !deleted && got[id] == want[id]:
					t.Errorf("full listing after %s: %s kept etag %q", op.name, id, got[id])
				}
				_, existed := want[id]
				wantLen := len(want)
				if deleted {
					wantLen--
				} else if !existed {
					wantLen++
				}
				if len(got) != wantLen {
					t.Errorf("full listing after %s holds %d items, want %d", op.name, len(got), wantLen)
				}
			}
			if !deleted {
				it := fetchOne(t, c, id)
				if e := after.items[id].ETag; e != "" && e != it.ETag {
					t.Errorf("Changes reports %s at etag %q, Fetch at %q", id, e, it.ETag)
				}
			} else {
				fetchGone(t, c, id)
			}

			// And then nothing more.
			quiet := s.list(t, c, after.token)
			if !quiet.full && len(quiet.changed()) != 0 {
				t.Errorf("Changes after the change was reported: %v, want none", slices.Sorted(maps.Keys(quiet.changed())))
			}
		})
	}
}

// noChanges: a remote nobody touched reports no change, however often it
// is asked; a full listing reports the same etags.
func (s *suite) noChanges(t *testing.T) {
	c := s.instance(t).Connector
	_, first := s.seed(t, c, "quiet", 5)
	token := first.token
	for round := 1; round <= 3; round++ {
		l := s.list(t, c, token)
		if l.full {
			if !maps.Equal(l.etags(), first.etags()) {
				t.Errorf("round %d: full listing of an untouched remote changed:\nnow %v\nwas %v", round, l.etags(), first.etags())
			}
		} else if len(l.changed()) != 0 {
			t.Errorf("round %d: untouched remote reports changes %v", round, slices.Sorted(maps.Keys(l.changed())))
		}
		token = l.token
	}
	if l := s.list(t, c, ""); !maps.Equal(l.etags(), first.etags()) {
		t.Errorf("second full listing differs:\nnow %v\nwas %v", l.etags(), first.etags())
	}
}

// tokenExpired: an expired token gives ErrTokenExpired, and a full listing
// then works and hands out a token that works.
func (s *suite) tokenExpired(t *testing.T) {
	in := s.instance(t)
	if in.ExpireTokens == nil {
		t.Skip("the harness gives no ExpireTokens hook")
	}
	c := in.Connector
	_, first := s.seed(t, c, "exp", 3)
	if err := in.ExpireTokens(context.Background()); err != nil {
		t.Fatalf("ExpireTokens: %v", err)
	}
	calls := 0
	_, err := c.Changes(context.Background(), first.token, func(connectors.Page) error {
		calls++
		return nil
	})
	if !errors.Is(err, connectors.ErrTokenExpired) {
		t.Fatalf("Changes with an expired token: %v, want ErrTokenExpired", err)
	}
	if calls != 0 {
		t.Errorf("Changes with an expired token passed %d pages", calls)
	}
	full := s.list(t, c, "")
	if !maps.Equal(full.etags(), first.etags()) {
		t.Errorf("full listing after expiry: %v, want %v", full.etags(), first.etags())
	}
	if l := s.list(t, c, full.token); !l.full && len(l.changed()) != 0 {
		t.Errorf("Changes with the fresh token: %v, want none", slices.Sorted(maps.Keys(l.changed())))
	}
}

// paging: many contacts are listed completely, each once, in bounded
// pages, by a full listing and by an incremental one.
func (s *suite) paging(t *testing.T) {
	ctx := context.Background()
	c := s.instance(t).Connector
	empty := s.list(t, c, "")
	n := s.h.Many
	ids := make([]string, n)
	errs := make([]error, n)
	sem := make(chan struct{}, max(1, c.Capabilities().Concurrency))
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			it, err := c.Create(ctx, key(fmt.Sprintf("many-%d", i)), person(1000+i))
			ids[i], errs[i] = it.ID, err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("creating %d contacts: %v", n, err)
	}

	check := func(what string, l listing) {
		t.Helper()
		if len(l.items) != n {
			t.Errorf("%s lists %d items, want %d", what, len(l.items), n)
		}
		for _, id := range ids {
			if _, ok := l.items[id]; !ok {
				t.Errorf("%s misses %s", what, id)
				break
			}
		}
		if want := (n + s.h.PageSize - 1) / s.h.PageSize; l.pages < want {
			t.Errorf("%s came in %d pages, want at least %d of at most %d", what, l.pages, want, s.h.PageSize)
		}
	}
	check("full listing", s.list(t, c, ""))
	check("changes since empty", s.list(t, c, empty.token))
}
