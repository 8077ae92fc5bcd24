package conntest

import (
	"context"
	"errors"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// suite holds the harness for the cases.
type suite struct {
	h Harness
}

// instance makes a fresh connector for one case.
func (s *suite) instance(t *testing.T) Instance {
	t.Helper()
	in := s.h.New(t)
	if in.Connector == nil {
		t.Fatal("Harness.New returned no Connector")
	}
	return in
}

// A listing is what one call of Changes reported.
type listing struct {
	full    bool
	pages   int
	token   string
	items   map[string]connectors.Item // changed or listed, not deleted
	deleted map[string]bool
}

// ids returns the ids listed or changed, deleted ones included.
func (l listing) changed() map[string]bool {
	out := make(map[string]bool, len(l.items)+len(l.deleted))
	for id := range l.items {
		out[id] = true
	}
	for id := range l.deleted {
		out[id] = true
	}
	return out
}

// list calls Changes(token) and checks the contract of every page: bounded
// size, no id twice, Full on all pages or none, at least one page for a
// full listing, deletions only in incremental pages.
func (s *suite) list(t *testing.T, c connectors.Connector, token string) listing {
	t.Helper()
	l := listing{items: make(map[string]connectors.Item), deleted: make(map[string]bool)}
	next, err := c.Changes(context.Background(), token, func(p connectors.Page) error {
		l.pages++
		if l.pages == 1 {
			l.full = p.Full
		} else if p.Full != l.full {
			t.Errorf("Changes(%q): page %d has Full=%v, page 1 Full=%v", token, l.pages, p.Full, l.full)
		}
		if len(p.Changes) > s.h.PageSize {
			t.Errorf("Changes(%q): page %d holds %d changes, want at most %d", token, l.pages, len(p.Changes), s.h.PageSize)
		}
		for _, ch := range p.Changes {
			if ch.ID == "" {
				t.Errorf("Changes(%q): page %d: change without an id", token, l.pages)
				continue
			}
			if _, ok := l.items[ch.ID]; ok || l.deleted[ch.ID] {
				t.Errorf("Changes(%q): %s reported twice", token, ch.ID)
			}
			if ch.Deleted {
				if p.Full {
					t.Errorf("Changes(%q): a full listing reports %s as deleted", token, ch.ID)
				}
				l.deleted[ch.ID] = true
				continue
			}
			l.items[ch.ID] = ch.Item
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Changes(%q): %v", token, err)
	}
	if token == "" && !l.full {
		t.Errorf("Changes(\"\") gave no page marked Full (%d pages)", l.pages)
	}
	if next == "" {
		t.Errorf("Changes(%q) returned an empty next token", token)
	}
	l.token = next
	return l
}

// etags returns id → etag of the items listed.
func (l listing) etags() map[string]string {
	out := make(map[string]string, len(l.items))
	for id, it := range l.items {
		out[id] = it.ETag
	}
	return out
}

// fetch reads the items ids and fails t on an error that is not an item's.
func fetch(t *testing.T, c connectors.Connector, ids ...string) map[string]connectors.Item {
	t.Helper()
	out := make(map[string]connectors.Item, len(ids))
	err := c.Fetch(context.Background(), ids, func(it connectors.Item) error {
		if _, ok := out[it.ID]; ok {
			t.Errorf("Fetch passed %s twice", it.ID)
		}
		out[it.ID] = it
		return nil
	})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			t.Errorf("Fetch did not pass %s", id)
		}
	}
	return out
}

// fetchOne reads the item id, which must exist and be readable.
func fetchOne(t *testing.T, c connectors.Connector, id string) connectors.Item {
	t.Helper()
	it := fetch(t, c, id)[id]
	if it.Err != nil {
		t.Fatalf("Fetch %s: %v", id, it.Err)
	}
	if it.Card == nil {
		t.Fatalf("Fetch %s: no card", id)
	}
	return it
}

// fetchGone checks that id no longer exists.
func fetchGone(t *testing.T, c connectors.Connector, id string) {
	t.Helper()
	it := fetch(t, c, id)[id]
	if !errors.Is(it.Err, connectors.ErrNotFound) {
		t.Errorf("Fetch %s: Err = %v, want ErrNotFound", id, it.Err)
	}
	if it.Card != nil {
		t.Errorf("Fetch %s of a missing item passed a card", id)
	}
}

// create stores card under key, failing t on error.
func create(t *testing.T, c connectors.Connector, key string, card *mapping.Card) connectors.Item {
	t.Helper()
	it, err := c.Create(context.Background(), key, card)
	if err != nil {
		t.Fatalf("Create %s: %v", key, err)
	}
	if it.ID == "" {
		t.Fatalf("Create %s returned no id", key)
	}
	return it
}

// sameContent reports whether the remote's copy got is what it should keep
// of want.
func (s *suite) sameContent(c connectors.Connector, want, got *mapping.Card) bool {
	return s.h.Project(c.Capabilities(), want).Hash() == got.Hash()
}

// checkContent fails t unless got is what the remote should keep of want.
func (s *suite) checkContent(t *testing.T, c connectors.Connector, what string, want, got *mapping.Card) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: no card", what)
		return
	}
	if !s.sameContent(c, want, got) {
		t.Errorf("%s: card differs by canonical hash\nwant:\n%s\ngot:\n%s", what, marshal(s.h.Project(c.Capabilities(), want)), marshal(got))
	}
}

// marshal renders card for a failure message. Test cards hold no personal
// data, so printing them is fine.
func marshal(card *mapping.Card) string {
	b, err := card.Marshal(mapping.Version40)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	if len(b) > 4000 {
		return string(b[:4000]) + "…"
	}
	return string(b)
}
