package bridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/memory"
	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/sqlite"
)

type world struct {
	t   *testing.T
	st  store.Store
	hub *Hub
	e   *Engine
}

func newWorld(t *testing.T) *world {
	t.Helper()
	st := openStore(t, sqlite.Options{})
	h, _, err := InitHub(context.Background(), st, testUser, syncKey(1))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(h, syncKey(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, st: st, hub: h, e: e}
}

func (w *world) sync(name string, c connectors.Connector, opts Options) *Report {
	w.t.Helper()
	rep, err := w.e.Sync(context.Background(), Account{Name: name, Connector: c}, opts)
	if err != nil {
		w.t.Fatalf("sync %s: %v", name, err)
	}
	for _, f := range rep.Failed {
		w.t.Errorf("sync %s: failure %+v", name, f)
	}
	return rep
}

// hubCards returns the live hub contacts by FN.
func (w *world) hubCards() map[string]*mapping.Card {
	w.t.Helper()
	cards, dups := hubByFN(w.t, w.hub)
	for _, d := range dups {
		w.t.Errorf("hub has %s", d)
	}
	return cards
}

// hubByFN reads the live hub contacts by FN, and lists any FN found twice
// (with the record id of the second).
func hubByFN(t *testing.T, h *Hub) (map[string]*mapping.Card, []string) {
	t.Helper()
	out := map[string]*mapping.Card{}
	var dups []string
	_, err := h.Read(context.Background(), 0, func(r HubRecord, err error) error {
		if err != nil {
			return err
		}
		if r.Deleted {
			return nil
		}
		c, err := mapping.Parse([]byte(r.VCard))
		if err != nil {
			return err
		}
		fn := c.Value("FN")
		if out[fn] != nil {
			dups = append(dups, fmt.Sprintf("%s twice (%s)", fn, r.ID))
		}
		out[fn] = c
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, dups
}

func remoteCards(t *testing.T, c *memory.Connector) map[string]*mapping.Card {
	t.Helper()
	out := map[string]*mapping.Card{}
	for _, it := range c.Items() {
		fn := it.Card.Value("FN")
		if _, dup := out[fn]; dup {
			t.Errorf("remote has %q twice", fn)
		}
		out[fn] = it.Card
	}
	return out
}

func mustCard(t *testing.T, lines ...string) *mapping.Card {
	t.Helper()
	c, err := mapping.Parse([]byte("BEGIN:VCARD\r\nVERSION:4.0\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCARD\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func person(t *testing.T, name string, extra ...string) *mapping.Card {
	return mustCard(t, append([]string{"FN:" + name, "UID:uid-" + strings.ReplaceAll(name, " ", "-")}, extra...)...)
}

func names(m map[string]*mapping.Card) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func idOf(t *testing.T, c *memory.Connector, fn string) string {
	t.Helper()
	for _, it := range c.Items() {
		if it.Card.Value("FN") == fn {
			return it.ID
		}
	}
	t.Fatalf("no %q on the remote", fn)
	return ""
}

func assertQuiet(t *testing.T, w *world, name string, c *memory.Connector) {
	t.Helper()
	before := c.Counts()
	rep := w.sync(name, c, Options{})
	if rep.ToHub.Total() != 0 || rep.ToRemote.Total() != 0 || c.Counts().Writes() != before.Writes() {
		t.Errorf("converged sync of %s wrote: %+v / %+v", name, rep.ToHub, rep.ToRemote)
	}
}

func TestTwoWaySync(t *testing.T) {
	w := newWorld(t)
	a, b := memory.New(memory.Config{}), memory.New(memory.Config{Stubs: true})
	a.Put("", person(t, "Ann Lee", "EMAIL:ann@example.com"))
	a.Put("", person(t, "Bob Ray", "TEL:+1 555 0100"))
	b.Put("", person(t, "Cat Poe", "NOTE:from b"))

	w.sync("a", a, Options{})
	w.sync("b", b, Options{})
	w.sync("a", a, Options{})
	want := []string{"Ann Lee", "Bob Ray", "Cat Poe"}
	for label, got := range map[string][]string{"hub": names(w.hubCards()), "a": names(remoteCards(t, a)), "b": names(remoteCards(t, b))} {
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", label, got, want)
		}
	}
	assertQuiet(t, w, "a", a)
	assertQuiet(t, w, "b", b)

	t.Run("edit on one side reaches the other", func(t *testing.T) {
		if _, err := b.Edit(idOf(t, b, "Ann Lee"), func(c *mapping.Card) { c.Add(mapping.Property{Name: "TITLE", Value: "Pilot"}) }); err != nil {
			t.Fatal(err)
		}
		w.sync("b", b, Options{})
		w.sync("a", a, Options{})
		if got := remoteCards(t, a)["Ann Lee"].Value("TITLE"); got != "Pilot" {
			t.Errorf("a's Ann Lee TITLE = %q", got)
		}
		assertQuiet(t, w, "a", a)
		assertQuiet(t, w, "b", b)
	})
	t.Run("edits of different properties on both sides merge", func(t *testing.T) {
		a.Edit(idOf(t, a, "Bob Ray"), func(c *mapping.Card) { c.Add(mapping.Property{Name: "EMAIL", Value: "bob@a.example"}) })
		b.Edit(idOf(t, b, "Bob Ray"), func(c *mapping.Card) { c.Add(mapping.Property{Name: "NOTE", Value: "met in b"}) })
		w.sync("a", a, Options{})
		w.sync("b", b, Options{})
		w.sync("a", a, Options{})
		for label, c := range map[string]*mapping.Card{"a": remoteCards(t, a)["Bob Ray"], "b": remoteCards(t, b)["Bob Ray"], "hub": w.hubCards()["Bob Ray"]} {
			if c.Value("EMAIL") != "bob@a.example" || c.Value("NOTE") != "met in b" {
				t.Errorf("%s lost an edit: EMAIL %q NOTE %q", label, c.Value("EMAIL"), c.Value("NOTE"))
			}
		}
	})
	t.Run("true conflict is logged and the hub's value kept", func(t *testing.T) {
		w.sync("a", a, Options{})
		w.sync("b", b, Options{})
		a.Edit(idOf(t, a, "Cat Poe"), func(c *mapping.Card) { c.Get("NOTE").SetText("a says") })
		b.Edit(idOf(t, b, "Cat Poe"), func(c *mapping.Card) { c.Get("NOTE").SetText("b says") })
		w.sync("a", a, Options{})
		rep := w.sync("b", b, Options{})
		if rep.Conflicts != 1 {
			t.Errorf("conflicts = %d, want 1", rep.Conflicts)
		}
		w.sync("a", a, Options{})
		for label, c := range map[string]*mapping.Card{"a": remoteCards(t, a)["Cat Poe"], "b": remoteCards(t, b)["Cat Poe"]} {
			if got := c.Value("NOTE"); got != "a says" {
				t.Errorf("%s NOTE = %q, want the hub's %q", label, got, "a says")
			}
		}
		log, err := w.e.Conflicts(context.Background())
		if err != nil || len(log) != 1 || log[0].Property != "NOTE" || log[0].Account != "b" {
			t.Fatalf("conflict log = %+v, %v", log, err)
		}
		if !strings.Contains(strings.Join(log[0].Remote, ""), "b says") {
			t.Errorf("the losing value is not in the log: %+v", log[0])
		}
	})
	t.Run("deletion propagates and can be restored", func(t *testing.T) {
		w.sync("a", a, Options{})
		w.sync("b", b, Options{})
		if err := a.Remove(idOf(t, a, "Cat Poe")); err != nil {
			t.Fatal(err)
		}
		rep := w.sync("a", a, Options{})
		if rep.ToHub.Deleted != 1 {
			t.Errorf("hub deletes = %d", rep.ToHub.Deleted)
		}
		rep = w.sync("b", b, Options{})
		if rep.ToRemote.Deleted != 1 || remoteCards(t, b)["Cat Poe"] != nil {
			t.Fatalf("b still has the deleted contact")
		}
		trash, err := w.hub.Trash(context.Background())
		if err != nil || len(trash) != 1 || trash[0].Card.Value("FN") != "Cat Poe" {
			t.Fatalf("trash = %v, %v", trash, err)
		}
		if err := w.hub.Restore(context.Background(), trash[0].ID); err != nil {
			t.Fatal(err)
		}
		w.sync("a", a, Options{})
		w.sync("b", b, Options{})
		if remoteCards(t, a)["Cat Poe"] == nil || remoteCards(t, b)["Cat Poe"] == nil {
			t.Error("restored contact did not come back everywhere")
		}
		assertQuiet(t, w, "a", a)
		assertQuiet(t, w, "b", b)
	})
}

func TestFirstSyncLinksSamePerson(t *testing.T) {
	w := newWorld(t)
	a, b := memory.New(memory.Config{}), memory.New(memory.Config{})
	a.Put("", mustCard(t, "FN:Dana Kim", "N:Kim;Dana;;;", "EMAIL:dana@example.com"))
	a.Put("", mustCard(t, "FN:Family Account", "EMAIL:family@example.com"))
	// The same person on b, without a UID, with one more phone number.
	b.Put("", mustCard(t, "FN:Dana Kim", "N:Kim;Dana;;;", "EMAIL:DANA@example.com", "TEL:+44 20 7946 0000"))
	// A different person sharing the family address: never merged.
	b.Put("", mustCard(t, "FN:Eli Kim", "EMAIL:family@example.com"))
	w.sync("a", a, Options{})
	w.sync("b", b, Options{})
	w.sync("a", a, Options{})
	hub := w.hubCards()
	if got := names(hub); !slices.Equal(got, []string{"Dana Kim", "Eli Kim", "Family Account"}) {
		t.Fatalf("hub = %v", got)
	}
	if got := len(hub["Dana Kim"].All("TEL")); got != 1 {
		t.Errorf("merged Dana has %d phones, want 1", got)
	}
	if len(remoteCards(t, a)) != 3 || len(remoteCards(t, b)) != 3 {
		t.Errorf("a has %d, b has %d contacts; want 3 each", len(remoteCards(t, a)), len(remoteCards(t, b)))
	}
}

func TestProjectionKeepsWhatRemoteCannotStore(t *testing.T) {
	w := newWorld(t)
	full := memory.New(memory.Config{})
	narrow := memory.New(memory.Config{Capabilities: connectors.Capabilities{Properties: map[string]int{"FN": 1, "UID": 1, "EMAIL": 1, "TEL": 0}}})
	full.Put("", person(t, "Fay Wu", "EMAIL:fay@one.example", "EMAIL:fay@two.example", "NOTE:keep me", "X-CUSTOM:also me"))
	w.sync("full", full, Options{})
	w.sync("narrow", narrow, Options{})
	// narrow edits what it can store.
	narrow.Edit(idOf(t, narrow, "Fay Wu"), func(c *mapping.Card) { c.Add(mapping.Property{Name: "TEL", Value: "+1 555 0199"}) })
	w.sync("narrow", narrow, Options{})
	w.sync("full", full, Options{})
	c := w.hubCards()["Fay Wu"]
	if c.Value("NOTE") != "keep me" || c.Value("X-CUSTOM") != "also me" || len(c.All("EMAIL")) != 2 || c.Value("TEL") != "+1 555 0199" {
		t.Errorf("hub card lost data through the narrow account:\n%s", mustMarshal(t, c))
	}
	assertQuiet(t, w, "narrow", narrow)
	assertQuiet(t, w, "full", full)
}

func mustMarshal(t *testing.T, c *mapping.Card) string {
	b, err := c.Marshal(mapping.Version40)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMassDeleteBrake(t *testing.T) {
	w := newWorld(t)
	a, b := memory.New(memory.Config{}), memory.New(memory.Config{})
	for i := range 30 {
		a.Put("", person(t, fmt.Sprintf("P %02d", i)))
	}
	w.sync("a", a, Options{})
	w.sync("b", b, Options{})
	for _, it := range a.Items()[:12] {
		a.Remove(it.ID)
	}
	_, err := w.e.Sync(context.Background(), Account{Name: "a", Connector: a}, Options{})
	if !errors.Is(err, ErrMassDelete) || !strings.Contains(err.Error(), "--allow-mass-delete") {
		t.Fatalf("err = %v, want the brake", err)
	}
	if got := len(w.hubCards()); got != 30 {
		t.Errorf("the brake let %d deletions through", 30-got)
	}
	w.sync("a", a, Options{AllowMassDelete: true})
	if got := len(w.hubCards()); got != 18 {
		t.Errorf("hub has %d after an allowed mass delete, want 18", got)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	w := newWorld(t)
	a := memory.New(memory.Config{})
	a.Put("", person(t, "Gus Orr"))
	rep := w.sync("a", a, Options{DryRun: true})
	if rep.ToHub.Created != 1 {
		t.Errorf("dry run plan = %+v", rep.ToHub)
	}
	if len(w.hubCards()) != 0 {
		t.Error("dry run wrote to the hub")
	}
	rep = w.sync("a", a, Options{})
	if rep.ToHub.Created != 1 {
		t.Errorf("real run after a dry run = %+v", rep.ToHub)
	}
}

// countingStore counts the writes that reach the store, and the listings
// of account state ("st." collections).
type countingStore struct {
	store.Store
	writes     int
	stateLists int
}

func (c *countingStore) List(ctx context.Context, user, coll string, q store.Query) (store.Page, error) {
	if strings.HasPrefix(coll, "st.") {
		c.stateLists++
	}
	return c.Store.List(ctx, user, coll, q)
}

func (c *countingStore) Put(ctx context.Context, user, coll string, w store.Write, pre store.Precondition) (store.Timestamp, error) {
	c.writes++
	return c.Store.Put(ctx, user, coll, w, pre)
}

func (c *countingStore) Post(ctx context.Context, user, coll string, ws []store.Write, pre store.Precondition) (store.WriteResult, error) {
	c.writes++
	return c.Store.Post(ctx, user, coll, ws, pre)
}

func (c *countingStore) Delete(ctx context.Context, user, coll, id string, pre store.Precondition) (store.Timestamp, error) {
	c.writes++
	return c.Store.Delete(ctx, user, coll, id, pre)
}

func TestConvergedRunWritesNothingAnywhere(t *testing.T) {
	ctx := context.Background()
	cs := &countingStore{Store: openStore(t, sqlite.Options{})}
	h, _, err := InitHub(ctx, cs, testUser, syncKey(1))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := NewEngine(h, syncKey(1), nil)
	a, b := memory.New(memory.Config{}), memory.New(memory.Config{Stubs: true})
	for i := range 30 {
		a.Put("", person(t, fmt.Sprintf("Q %02d", i), "NOTE:n"))
	}
	for range 2 {
		for _, acct := range []Account{{Name: "a", Connector: a}, {Name: "b", Connector: b}} {
			if _, err := e.Sync(ctx, acct, Options{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	storeBefore, remoteBefore, listsBefore := cs.writes, a.Counts().Writes()+b.Counts().Writes(), cs.stateLists
	for _, acct := range []Account{{Name: "a", Connector: a}, {Name: "b", Connector: b}} {
		if _, err := e.Sync(ctx, acct, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	if cs.writes != storeBefore {
		t.Errorf("converged runs made %d store writes", cs.writes-storeBefore)
	}
	if got := a.Counts().Writes() + b.Counts().Writes(); got != remoteBefore {
		t.Errorf("converged runs made %d remote writes", got-remoteBefore)
	}
	// Nothing changed on either side: the links were not even read.
	if cs.stateLists != listsBefore {
		t.Errorf("converged runs listed account state %d times", cs.stateLists-listsBefore)
	}

	// After such runs a change still goes through on the links they left.
	id := idOf(t, a, "Q 07")
	a.Put(id, person(t, "Q 07", "NOTE:changed"))
	for _, acct := range []Account{{Name: "a", Connector: a}, {Name: "b", Connector: b}} {
		rep, err := e.Sync(ctx, acct, Options{})
		if err != nil || len(rep.Failed) > 0 {
			t.Fatalf("sync %s after the change: %v %+v", acct.Name, err, rep.Failed)
		}
	}
	got := remoteCards(t, b)
	if len(got) != 30 || got["Q 07"].Value("NOTE") != "changed" {
		t.Errorf("b after the change: %d contacts, Q 07 NOTE %q", len(got), got["Q 07"].Value("NOTE"))
	}
}

// versionSpy records the vCard version each Update is asked to keep.
type versionSpy struct {
	connectors.Connector
	mu      sync.Mutex // the bridge updates concurrently
	updates map[string]mapping.Version
}

func (s *versionSpy) Update(ctx context.Context, id, etag string, card *mapping.Card) (connectors.Item, error) {
	s.mu.Lock()
	s.updates[id] = card.Version
	s.mu.Unlock()
	return s.Connector.Update(ctx, id, etag, card)
}

func TestUpdateKeepsTheRemoteItemsVersion(t *testing.T) {
	w := newWorld(t)
	a := memory.New(memory.Config{})
	b := &versionSpy{Connector: memory.New(memory.Config{}), updates: map[string]mapping.Version{}}
	old := person(t, "Ann Lee")
	old.Version = mapping.Version30
	bm := b.Connector.(*memory.Connector)
	bm.Put("", old)
	bm.Put("", person(t, "Bob Ray"))
	w.sync("b", b, Options{})
	w.sync("a", a, Options{})

	// Edits made in a reach b in a run that does not read b's items.
	for _, fn := range []string{"Ann Lee", "Bob Ray"} {
		if _, err := a.Edit(idOf(t, a, fn), func(c *mapping.Card) { c.Add(mapping.Property{Name: "TITLE", Value: "Pilot"}) }); err != nil {
			t.Fatal(err)
		}
	}
	w.sync("a", a, Options{})
	w.sync("b", b, Options{})
	want := map[string]mapping.Version{idOf(t, bm, "Ann Lee"): mapping.Version30, idOf(t, bm, "Bob Ray"): mapping.Version40}
	if len(b.updates) != 2 || b.updates[idOf(t, bm, "Ann Lee")] != want[idOf(t, bm, "Ann Lee")] ||
		b.updates[idOf(t, bm, "Bob Ray")] != want[idOf(t, bm, "Bob Ray")] {
		t.Errorf("versions handed to Update = %v, want %v", b.updates, want)
	}
	// A card the bridge created has the connector's version on record too.
	a.Put("", person(t, "Cat Poe"))
	w.sync("a", a, Options{})
	w.sync("b", b, Options{})
	if _, err := a.Edit(idOf(t, a, "Cat Poe"), func(c *mapping.Card) { c.Add(mapping.Property{Name: "TITLE", Value: "Cook"}) }); err != nil {
		t.Fatal(err)
	}
	w.sync("a", a, Options{})
	w.sync("b", b, Options{})
	if got := b.updates[idOf(t, bm, "Cat Poe")]; got != mapping.Version40 {
		t.Errorf("version handed to Update for a card the bridge created = %q, want 4.0", got)
	}
}

// resumer keeps a session as a connectors.Resumer does.
type resumer struct {
	*memory.Connector
	resumed []string
	next    string
}

func (r *resumer) Resume(_ context.Context, session string) error {
	r.resumed = append(r.resumed, session)
	return nil
}

func (r *resumer) Session() string { return r.next }

func TestResumerGetsItsSessionBack(t *testing.T) {
	w := newWorld(t)
	c := &resumer{Connector: memory.New(memory.Config{}), next: "s1"}
	c.Put("", person(t, "Ann Lee"))
	w.sync("a", c, Options{})
	w.sync("a", c, Options{})
	c.next = "s2"
	c.Put("", person(t, "Bob Ray"))
	w.sync("a", c, Options{})
	w.sync("a", c, Options{DryRun: true})
	w.sync("a", c, Options{})
	if want := []string{"", "s1", "s1", "s2", "s2"}; !slices.Equal(c.resumed, want) {
		t.Errorf("Resume got %q, want %q", c.resumed, want)
	}
}

// batcher is a memory connector that takes writes in batches, and records
// each batch's op and size.
type batcher struct {
	*memory.Connector
	batches []string
}

func (b *batcher) Capabilities() connectors.Capabilities {
	c := b.Connector.Capabilities()
	c.BatchSize = 200
	return c
}

func (b *batcher) WriteBatch(ctx context.Context, ws []connectors.Write) []connectors.WriteResult {
	b.batches = append(b.batches, fmt.Sprintf("%d×%d", ws[0].Op, len(ws)))
	out := make([]connectors.WriteResult, len(ws))
	for i, w := range ws {
		if w.Op != ws[0].Op {
			panic("a batch of mixed ops")
		}
		switch w.Op {
		case connectors.OpCreate:
			out[i].Item, out[i].Err = b.Create(ctx, w.Key, w.Card)
		case connectors.OpUpdate:
			out[i].Item, out[i].Err = b.Update(ctx, w.ID, w.ETag, w.Card)
		case connectors.OpDelete:
			out[i].Err = b.Delete(ctx, w.ID, w.ETag)
		}
	}
	return out
}

// A BatchWriter gets the writes in batches of BatchSize, one op each, and
// ends up like any other account.
func TestBatchWriter(t *testing.T) {
	w := newWorld(t)
	a := memory.New(memory.Config{})
	for i := range 450 {
		a.Put("", person(t, fmt.Sprintf("B %03d", i)))
	}
	b := &batcher{Connector: memory.New(memory.Config{})}
	w.sync("a", a, Options{})
	w.sync("b", b, Options{})
	if want := []string{"1×200", "1×200", "1×50"}; !slices.Equal(b.batches, want) {
		t.Errorf("create batches %v, want %v", b.batches, want)
	}
	if got := remoteCards(t, b.Connector); len(got) != 450 {
		t.Fatalf("b holds %d contacts", len(got))
	}
	// Edits and deletions on a: one batch of updates, one of deletes.
	for i := range 10 {
		id := idOf(t, a, fmt.Sprintf("B %03d", i))
		if i < 5 {
			a.Put(id, person(t, fmt.Sprintf("B %03d", i), "NOTE:edited"))
		} else {
			a.Remove(id)
		}
	}
	b.batches = nil
	w.sync("a", a, Options{})
	w.sync("b", b, Options{})
	if want := []string{"2×5", "3×5"}; !slices.Equal(b.batches, want) {
		t.Errorf("batches %v, want %v", b.batches, want)
	}
	got := remoteCards(t, b.Connector)
	if len(got) != 445 || got["B 001"].Value("NOTE") != "edited" {
		t.Errorf("b after the edits: %d contacts, B 001 NOTE %q", len(got), got["B 001"].Value("NOTE"))
	}
	assertQuiet(t, w, "b", b.Connector)
}

// renamer is a memory connector whose items can get a new id, which the
// next incremental listing reports with the old one in PreviousIDs, as
// Google does when a contact is linked to a profile.
type renamer struct {
	*memory.Connector
	toMem   map[string]string // public id → memory id
	toPub   map[string]string // memory id → public id
	pending []connectors.Change
}

func newRenamer() *renamer {
	return &renamer{Connector: memory.New(memory.Config{}), toMem: map[string]string{}, toPub: map[string]string{}}
}

func (r *renamer) pub(id string) string {
	if p, ok := r.toPub[id]; ok {
		return p
	}
	return id
}

func (r *renamer) mem(id string) string {
	if m, ok := r.toMem[id]; ok {
		return m
	}
	return id
}

func (r *renamer) rename(t *testing.T, memID string) string {
	old := r.pub(memID)
	pub := "renamed-" + memID
	r.toMem[pub], r.toPub[memID] = memID, pub
	it, ok := r.Get(memID)
	if !ok {
		t.Fatalf("no item %s", memID)
	}
	it.ID = pub
	r.pending = append(r.pending, connectors.Change{Item: it, PreviousIDs: []string{old}})
	return pub
}

func (r *renamer) Changes(ctx context.Context, token string, fn func(connectors.Page) error) (string, error) {
	next, err := r.Connector.Changes(ctx, token, func(p connectors.Page) error {
		for i := range p.Changes {
			p.Changes[i].ID = r.pub(p.Changes[i].ID)
		}
		return fn(p)
	})
	if err == nil && token != "" && len(r.pending) > 0 {
		err = fn(connectors.Page{Changes: r.pending})
		r.pending = nil
	}
	return next, err
}

func (r *renamer) Fetch(ctx context.Context, ids []string, fn func(connectors.Item) error) error {
	mem := make([]string, len(ids))
	for i, id := range ids {
		mem[i] = r.mem(id)
	}
	return r.Connector.Fetch(ctx, mem, func(it connectors.Item) error {
		it.ID = r.pub(it.ID)
		return fn(it)
	})
}

func (r *renamer) Update(ctx context.Context, id, etag string, card *mapping.Card) (connectors.Item, error) {
	it, err := r.Connector.Update(ctx, r.mem(id), etag, card)
	it.ID = r.pub(it.ID)
	return it, err
}

func (r *renamer) Delete(ctx context.Context, id, etag string) error {
	return r.Connector.Delete(ctx, r.mem(id), etag)
}

// A renamed remote item keeps its link: no deletion and re-creation, and
// later edits go to it under its new id.
func TestRenamedRemoteItemKeepsItsLink(t *testing.T) {
	w := newWorld(t)
	a, b := newRenamer(), memory.New(memory.Config{})
	for _, n := range []string{"Ren A", "Ren B", "Ren C"} {
		a.Put("", person(t, n))
	}
	w.sync("a", a, Options{})
	w.sync("b", b, Options{})
	memID := idOf(t, a.Connector, "Ren B")
	newID := a.rename(t, memID)
	rep := w.sync("a", a, Options{})
	if rep.ToHub.Total() != 0 || rep.ToRemote.Total() != 0 {
		t.Fatalf("the rename synced as changes: to hub %+v, to account %+v", rep.ToHub, rep.ToRemote)
	}
	if cards, dups := hubByFN(t, w.hub); len(cards) != 3 || len(dups) > 0 {
		t.Fatalf("hub holds %d contacts after the rename (%v)", len(cards), dups)
	}
	// An edit on b reaches a's item under its new id.
	if _, err := b.Edit(idOf(t, b, "Ren B"), func(c *mapping.Card) { c.Add(mapping.Property{Name: "NOTE", Value: "after the rename"}) }); err != nil {
		t.Fatal(err)
	}
	w.sync("b", b, Options{})
	rep = w.sync("a", a, Options{})
	if rep.ToRemote.Updated != 1 || rep.ToRemote.Created != 0 || rep.ToRemote.Deleted != 0 {
		t.Fatalf("the edit reached a as %+v, want one update", rep.ToRemote)
	}
	if it, _ := a.Get(memID); it.Card.Value("NOTE") != "after the rename" {
		t.Errorf("a's renamed item %s: NOTE %q", newID, it.Card.Value("NOTE"))
	}
}

// lagging is a memory connector whose full listings leave out some items
// that exist, as a remote whose listings lag behind its writes does.
type lagging struct {
	*memory.Connector
	hidden map[string]bool
}

func (l *lagging) Changes(ctx context.Context, token string, fn func(connectors.Page) error) (string, error) {
	return l.Connector.Changes(ctx, token, func(p connectors.Page) error {
		if p.Full {
			p.Changes = slices.DeleteFunc(p.Changes, func(ch connectors.Change) bool { return l.hidden[ch.ID] })
		}
		return fn(p)
	})
}

// A full listing that does not name a known item does not delete it when
// the item is still there; one that is really gone is deleted.
func TestFullListingConfirmsDeletions(t *testing.T) {
	w := newWorld(t)
	a := &lagging{Connector: memory.New(memory.Config{}), hidden: map[string]bool{}}
	for _, n := range []string{"Lag A", "Lag B", "Lag C"} {
		a.Put("", person(t, n))
	}
	w.sync("a", a, Options{})
	a.hidden[idOf(t, a.Connector, "Lag B")] = true
	if err := a.Remove(idOf(t, a.Connector, "Lag C")); err != nil {
		t.Fatal(err)
	}
	a.ExpireTokens()
	rep := w.sync("a", a, Options{})
	if !rep.FullListing || rep.ToHub.Deleted != 1 {
		t.Errorf("full listing: %+v, want exactly Lag C deleted", rep.ToHub)
	}
	cards, _ := hubByFN(t, w.hub)
	if cards["Lag B"] == nil || cards["Lag C"] != nil || cards["Lag A"] == nil {
		t.Errorf("hub after the full listing: %v", names(cards))
	}
}

// An account's state remembers the bridge that syncs it: another owner
// is refused before it reads anything, the same owner or no owner passes.
func TestAccountOwner(t *testing.T) {
	w := newWorld(t)
	c := memory.New(memory.Config{})
	c.Put("", person(t, "Ola Oyelaran"))
	ctx := context.Background()
	if _, err := w.e.Sync(ctx, Account{Name: "phone", Connector: c, Owner: "laptop"}, Options{}); err != nil {
		t.Fatal(err)
	}
	other := memory.New(memory.Config{})
	if _, err := w.e.Sync(ctx, Account{Name: "phone", Connector: other, Owner: "server"}, Options{}); !errors.Is(err, ErrOtherOwner) {
		t.Fatalf("sync by another owner = %v, want ErrOtherOwner", err)
	}
	if _, ok := w.hubCards()["Ola Oyelaran"]; !ok {
		t.Fatal("the refused sync changed the hub")
	}
	for _, owner := range []string{"laptop", ""} {
		if _, err := w.e.Sync(ctx, Account{Name: "phone", Connector: c, Owner: owner}, Options{}); err != nil {
			t.Errorf("sync with owner %q: %v", owner, err)
		}
	}
}
