package memory_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/memory"
	"github.com/contactbridge/contactbridge/mapping"
)

func card(fn string) *mapping.Card {
	c := &mapping.Card{}
	c.Add(mapping.Property{Name: "FN", Value: mapping.EscapeText(fn)})
	return c
}

// changes returns the ids a Changes call reports, and the next token.
func changes(t *testing.T, m *memory.Connector, token string) ([]connectors.Change, string) {
	t.Helper()
	var out []connectors.Change
	next, err := m.Changes(context.Background(), token, func(p connectors.Page) error {
		out = append(out, p.Changes...)
		return nil
	})
	if err != nil {
		t.Fatalf("Changes(%q): %v", token, err)
	}
	return out, next
}

func TestFaults(t *testing.T) {
	errBoom := errors.New("boom")
	cases := []struct {
		name      string
		err       error
		applied   bool
		transient bool
	}{
		{"transient, not applied", connectors.Transient(errBoom), false, true},
		{"permanent, not applied", errBoom, false, false},
		{"transient, response lost", connectors.Transient(errBoom), true, true},
		{"permanent, response lost", errBoom, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			m := memory.New(memory.Config{})
			first, err := m.Create(ctx, "k1", card("One"))
			if err != nil {
				t.Fatal(err)
			}
			m.FailNth(2, tc.err, tc.applied)

			// Write 1 from now passes, write 2 fails, write 3 passes.
			if _, err := m.Create(ctx, "k2", card("Two")); err != nil {
				t.Fatalf("write 1: %v", err)
			}
			_, err = m.Update(ctx, first.ID, first.ETag, card("One, updated"))
			if !errors.Is(err, errBoom) || connectors.IsTransient(err) != tc.transient {
				t.Fatalf("write 2: %v, want boom (transient %v)", err, tc.transient)
			}
			got, _ := m.Get(first.ID)
			if updated := got.Card.Value("FN") == "One, updated"; updated != tc.applied {
				t.Errorf("failed update applied = %v, want %v", updated, tc.applied)
			}
			if c := m.Counts(); c.Updates != map[bool]int{true: 1, false: 0}[tc.applied] {
				t.Errorf("Counts().Updates = %d", c.Updates)
			}
			if _, err := m.Create(ctx, "k3", card("Three")); err != nil {
				t.Fatalf("write 3: %v", err)
			}
		})
	}
}

func TestCreateRetryAfterLostResponse(t *testing.T) {
	ctx := context.Background()
	m := memory.New(memory.Config{})
	m.FailNth(1, connectors.Transient(errors.New("connection reset")), true)
	if _, err := m.Create(ctx, "key", card("Ann")); err == nil {
		t.Fatal("Create did not fail")
	}
	it, err := m.Create(ctx, "key", card("Ann"))
	if err != nil {
		t.Fatalf("retried Create: %v", err)
	}
	if n := m.Len(); n != 1 {
		t.Errorf("remote holds %d items after a retried create, want 1", n)
	}
	if c := m.Counts(); c.Creates != 1 {
		t.Errorf("Counts().Creates = %d, want 1", c.Creates)
	}
	if items := m.Items(); items[0].ID != it.ID {
		t.Errorf("Items()[0] = %s, want %s", items[0].ID, it.ID)
	}
}

func TestSetFaultSeesWrites(t *testing.T) {
	ctx := context.Background()
	m := memory.New(memory.Config{})
	var seen []memory.Write
	m.SetFault(func(w memory.Write) *memory.Fault {
		seen = append(seen, w)
		if w.Op == memory.OpDelete {
			return &memory.Fault{Err: errors.New("no deletes today")}
		}
		return nil
	})
	it, _ := m.Create(ctx, "k", card("A"))
	it, _ = m.Update(ctx, it.ID, it.ETag, card("B"))
	if err := m.Delete(ctx, it.ID, it.ETag); err == nil {
		t.Error("Delete passed the fault hook")
	}
	want := []memory.Write{{Op: memory.OpCreate, N: 1, Key: "k"}, {Op: memory.OpUpdate, N: 2, ID: it.ID}, {Op: memory.OpDelete, N: 3, ID: it.ID}}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("hook saw %v, want %v", seen, want)
	}
	if m.Len() != 1 {
		t.Error("the refused delete happened")
	}
}

func TestRemoteSideChangesAreLogged(t *testing.T) {
	ctx := context.Background()
	m := memory.New(memory.Config{})
	a, _ := m.Create(ctx, "a", card("A"))
	b, _ := m.Create(ctx, "b", card("B"))
	_, token := changes(t, m, "")

	c := m.Put("", card("C"))
	if _, err := m.Edit(a.ID, func(c *mapping.Card) { c.Add(mapping.Property{Name: "NOTE", Value: "x"}) }); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove(b.ID); err != nil {
		t.Fatal(err)
	}
	broken := m.PutBroken("", errors.New("unparsable"))
	if _, err := m.Edit(a.ID, func(c *mapping.Card) { c.Remove("NOTE") }); err != nil {
		t.Fatal(err)
	}

	got, _ := changes(t, m, token)
	want := []string{c.ID + " ", b.ID + " deleted", broken.ID + " err", a.ID + " "}
	var gotS []string
	for _, ch := range got {
		s := ch.ID + " "
		switch {
		case ch.Deleted:
			s += "deleted"
		case ch.Err != nil:
			s += "err"
		}
		gotS = append(gotS, s)
	}
	if fmt.Sprint(gotS) != fmt.Sprint(want) {
		t.Errorf("changes %q, want %q (each id once, in order of its last change)", gotS, want)
	}
	if err := m.Remove(b.ID); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Remove of a missing item: %v", err)
	}
	if _, err := m.Edit(b.ID, func(*mapping.Card) {}); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Edit of a missing item: %v", err)
	}
}

func TestStubsAndPageSize(t *testing.T) {
	ctx := context.Background()
	m := memory.New(memory.Config{PageSize: 3, Stubs: true})
	for i := range 10 {
		if _, err := m.Create(ctx, fmt.Sprint(i), card(fmt.Sprint("P", i))); err != nil {
			t.Fatal(err)
		}
	}
	var sizes []int
	_, err := m.Changes(ctx, "", func(p connectors.Page) error {
		sizes = append(sizes, len(p.Changes))
		for _, ch := range p.Changes {
			if ch.Card != nil || ch.ETag == "" {
				t.Errorf("stub listing: %s has card %v, etag %q", ch.ID, ch.Card != nil, ch.ETag)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[3 3 3 1]" {
		t.Errorf("page sizes %v, want [3 3 3 1]", sizes)
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	m := memory.New(memory.Config{})
	_, t0 := changes(t, m, "")
	if _, err := m.Create(ctx, "k", card("A")); err != nil {
		t.Fatal(err)
	}
	_, t1 := changes(t, m, t0)
	m.ExpireTokens()
	for _, token := range []string{t0, t1, "garbage", "m999"} {
		if _, err := m.Changes(ctx, token, func(connectors.Page) error { return nil }); !errors.Is(err, connectors.ErrTokenExpired) {
			t.Errorf("Changes(%q) after ExpireTokens: %v, want ErrTokenExpired", token, err)
		}
	}
	all, t2 := changes(t, m, "")
	if len(all) != 1 {
		t.Errorf("full listing after expiry: %d items", len(all))
	}
	if got, _ := changes(t, m, t2); len(got) != 0 {
		t.Errorf("Changes with a fresh token: %v", got)
	}
}

func TestProjectionAndVersion(t *testing.T) {
	ctx := context.Background()
	m := memory.New(memory.Config{Capabilities: connectors.Capabilities{
		Version:    mapping.Version30,
		Properties: map[string]int{"FN": 1, "EMAIL": 2},
	}})
	c := card("Ann")
	for i := range 3 {
		c.Add(mapping.Property{Name: "EMAIL", Value: fmt.Sprintf("ann%d@example.org", i)})
	}
	c.Add(mapping.Property{Name: "X-CUSTOM", Value: "dropped"})
	it, err := m.Create(ctx, "k", c)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(it.Card.All("EMAIL")); n != 2 {
		t.Errorf("stored %d EMAIL, want 2", n)
	}
	if it.Card.Get("X-CUSTOM") != nil {
		t.Error("stored a property the remote cannot")
	}
	if it.Card.Version != mapping.Version30 {
		t.Errorf("new item version %q, want 3.0", it.Card.Version)
	}
	// An item made 4.0 on the remote side keeps 4.0 through updates.
	c4 := card("Bob")
	c4.Version = mapping.Version40
	put := m.Put("", c4)
	up, err := m.Update(ctx, put.ID, put.ETag, card("Bob 2"))
	if err != nil {
		t.Fatal(err)
	}
	if up.Card.Version != mapping.Version40 {
		t.Errorf("updated item version %q, want 4.0 kept", up.Card.Version)
	}
}

func TestCardsAreCopied(t *testing.T) {
	ctx := context.Background()
	m := memory.New(memory.Config{})
	c := card("Ann")
	it, _ := m.Create(ctx, "k", c)
	c.Add(mapping.Property{Name: "NOTE", Value: "caller's edit"})
	it.Card.Add(mapping.Property{Name: "NOTE", Value: "result's edit"})
	got, _ := m.Get(it.ID)
	if got.Card.Get("NOTE") != nil {
		t.Error("an edit of a card passed in or handed out reached the remote")
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	m := memory.New(memory.Config{PageSize: 7})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				it, err := m.Create(ctx, fmt.Sprint(w, "-", i), card("X"))
				if err != nil {
					t.Error(err)
					return
				}
				if i%2 == 0 {
					if _, err := m.Update(ctx, it.ID, it.ETag, card("Y")); err != nil {
						t.Error(err)
					}
				}
				m.Edit(it.ID, func(c *mapping.Card) { c.Add(mapping.Property{Name: "NOTE", Value: "z"}) })
			}
		})
		wg.Go(func() {
			token := ""
			for range 50 {
				next, err := m.Changes(ctx, token, func(connectors.Page) error { return nil })
				if err != nil {
					t.Error(err)
					return
				}
				token = next
			}
		})
	}
	wg.Wait()
	if m.Len() != 200 {
		t.Errorf("remote holds %d items, want 200", m.Len())
	}
}
