package bridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/sqlite"
)

const testUser = "alice"

func openStore(t testing.TB, opts sqlite.Options) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func syncKey(b byte) []byte { return bytes.Repeat([]byte{b}, mapping.SyncKeySize) }

func card(i int) string {
	return fmt.Sprintf("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:%08d\r\nFN:Person %d\r\nEND:VCARD\r\n", i, i)
}

func records(n int) []mapping.Record {
	rs := make([]mapping.Record, n)
	for i := range rs {
		rs[i] = mapping.Record{ID: fmt.Sprintf("rec%09d", i), VCard: card(i)}
	}
	return rs
}

func readAll(t *testing.T, h *Hub, newer store.Timestamp) (map[string]HubRecord, map[string]error, store.Timestamp) {
	t.Helper()
	got, bad := map[string]HubRecord{}, map[string]error{}
	last, err := h.Read(context.Background(), newer, func(r HubRecord, err error) error {
		if err != nil {
			bad[r.ID] = err
			return nil
		}
		got[r.ID] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, bad, last
}

func TestInitHub(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, sqlite.Options{})
	if _, err := OpenHub(ctx, st, testUser, syncKey(1)); !errors.Is(err, ErrNoKeys) {
		t.Fatalf("OpenHub on an empty store: err = %v, want ErrNoKeys", err)
	}
	h, created, err := InitHub(ctx, st, testUser, syncKey(1))
	if err != nil || !created {
		t.Fatalf("InitHub = created %v, %v", created, err)
	}
	bso, err := st.Get(ctx, testUser, mapping.KeysCollection, mapping.KeysID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(bso.Payload, "default") {
		t.Error("crypto/keys is stored in cleartext")
	}
	again, created, err := InitHub(ctx, st, testUser, syncKey(1))
	if err != nil || created {
		t.Fatalf("second InitHub = created %v, %v", created, err)
	}
	if again.Keys().Default != h.Keys().Default {
		t.Error("second InitHub replaced the keys")
	}
	if _, err := OpenHub(ctx, st, testUser, syncKey(2)); !errors.Is(err, ErrWrongKey) {
		t.Errorf("OpenHub with another Sync Key: err = %v, want ErrWrongKey", err)
	}
	if _, _, err := InitHub(ctx, st, testUser, syncKey(2)); !errors.Is(err, ErrWrongKey) {
		t.Errorf("InitHub with another Sync Key: err = %v, want ErrWrongKey", err)
	}
	if _, err := OpenHub(ctx, st, "bob", syncKey(1)); !errors.Is(err, ErrNoKeys) {
		t.Errorf("another user's hub: err = %v, want ErrNoKeys", err)
	}
}

func TestInitHubConcurrentAgree(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, sqlite.Options{})
	const n = 8
	hubs := make([]*Hub, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			h, _, err := InitHub(ctx, st, testUser, syncKey(1))
			if err != nil {
				t.Error(err)
			}
			hubs[i] = h
		})
	}
	wg.Wait()
	for _, h := range hubs[1:] {
		if h != nil && hubs[0] != nil && h.Keys().Default != hubs[0].Keys().Default {
			t.Fatal("concurrent InitHub calls ended with different keys")
		}
	}
}

func TestHubWriteRead(t *testing.T) {
	ctx := context.Background()
	// A small post limit makes Write split and exercises the retry path.
	lim := store.DefaultLimits()
	lim.MaxPostRecords = 7
	st := openStore(t, sqlite.Options{Limits: lim})
	h, _, err := InitHub(ctx, st, testUser, syncKey(1))
	if err != nil {
		t.Fatal(err)
	}
	recs := records(50)
	recs = append(recs, mapping.Record{ID: "tombstone001", Deleted: true})
	t1, err := h.Write(ctx, recs, store.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	got, bad, last := readAll(t, h, 0)
	if len(bad) > 0 || len(got) != len(recs) {
		t.Fatalf("read %d records, %d bad; want %d", len(got), len(bad), len(recs))
	}
	if last != t1 {
		t.Errorf("Read returned %s, last write was %s", last, t1)
	}
	for _, r := range recs {
		if got[r.ID].Record != r {
			t.Errorf("record %s = %+v, want %+v", r.ID, got[r.ID].Record, r)
		}
	}
	// Nothing is newer than the last read.
	if got, _, last2 := readAll(t, h, last); len(got) != 0 || last2 != last {
		t.Errorf("incremental read after no change: %d records, last %s", len(got), last2)
	}
	// One change shows up alone.
	if _, err := h.Write(ctx, []mapping.Record{{ID: recs[3].ID, VCard: card(1000)}}, store.Since(last)); err != nil {
		t.Fatal(err)
	}
	got, _, _ = readAll(t, h, last)
	if len(got) != 1 || got[recs[3].ID].VCard != card(1000) {
		t.Errorf("incremental read = %v", got)
	}
	// A stale precondition refuses the write.
	if _, err := h.Write(ctx, recs[:1], store.Since(last)); !errors.Is(err, store.ErrPreconditionFailed) {
		t.Errorf("stale write: err = %v, want ErrPreconditionFailed", err)
	}
	one, err := h.Get(ctx, recs[0].ID)
	if err != nil || one.Record != recs[0] {
		t.Errorf("Get = %+v, %v", one, err)
	}
	if _, err := h.Get(ctx, "nosuchrecord"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get missing: err = %v", err)
	}
}

func TestHubReadReportsBadRecordAndGoesOn(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, sqlite.Options{})
	h, _, _ := InitHub(ctx, st, testUser, syncKey(1))
	if _, err := h.Write(ctx, records(5), store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	// Tamper with one record and move another under a different id.
	junk := `{"ciphertext":"AAAA","IV":"AAAAAAAAAAAAAAAAAAAAAA==","hmac":"` + strings.Repeat("0", 64) + `"}`
	if _, err := st.Put(ctx, testUser, mapping.ContactsCollection, store.Write{ID: "rec000000002", Payload: &junk}, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	moved, _ := st.Get(ctx, testUser, mapping.ContactsCollection, "rec000000003")
	if _, err := st.Put(ctx, testUser, mapping.ContactsCollection, store.Write{ID: "replayed0001", Payload: &moved.Payload}, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	got, bad, _ := readAll(t, h, 0)
	if len(got) != 4 {
		t.Errorf("%d good records, want 4", len(got))
	}
	if err := bad["rec000000002"]; !errors.Is(err, mapping.ErrHMACMismatch) || !strings.Contains(err.Error(), "rec000000002") {
		t.Errorf("tampered record: %v", err)
	}
	if err := bad["replayed0001"]; !errors.Is(err, mapping.ErrIDMismatch) {
		t.Errorf("replayed record: %v", err)
	}
}

// failingStore fails Post after a number of successful calls, to kill a
// rotation half-way.
type failingStore struct {
	store.Store
	posts int
}

func (f *failingStore) Post(ctx context.Context, user, coll string, ws []store.Write, pre store.Precondition) (store.WriteResult, error) {
	if f.posts == 0 {
		return store.WriteResult{}, errors.New("injected failure")
	}
	f.posts--
	return f.Store.Post(ctx, user, coll, ws, pre)
}

func TestRotateKeys(t *testing.T) {
	ctx := context.Background()
	lim := store.DefaultLimits()
	lim.MaxPostRecords = 10
	st := openStore(t, sqlite.Options{Limits: lim})
	h, _, _ := InitHub(ctx, st, testUser, syncKey(1))
	recs := records(45)
	if _, err := h.Write(ctx, recs, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	oldKeys := *h.Keys()

	// Killed after two of five posts: some records are under the new keys.
	broken := &failingStore{Store: st, posts: 2}
	hb, err := OpenHub(ctx, broken, testUser, syncKey(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := hb.RotateKeys(ctx); err == nil {
		t.Fatal("rotation did not report the injected failure")
	}
	// Every record still reads, from a fresh process.
	h2, err := OpenHub(ctx, st, testUser, syncKey(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, bad, _ := readAll(t, h2, 0); len(got) != len(recs) || len(bad) != 0 {
		t.Fatalf("half-rotated hub: %d readable, %d bad", len(got), len(bad))
	}
	// Resuming finishes with the staged keys, not a third set.
	staged := *h2.pending
	if err := h2.RotateKeys(ctx); err != nil {
		t.Fatal(err)
	}
	h3, err := OpenHub(ctx, st, testUser, syncKey(1))
	if err != nil {
		t.Fatal(err)
	}
	if h3.pending != nil {
		t.Error("staged keys left after the rotation finished")
	}
	if h3.Keys().Default != staged.Default || h3.Keys().Default == oldKeys.Default {
		t.Error("rotation did not make the staged keys current")
	}
	got, bad, _ := readAll(t, h3, 0)
	if len(got) != len(recs) || len(bad) != 0 {
		t.Fatalf("rotated hub: %d readable, %d bad", len(got), len(bad))
	}
	// Every record is under the new key alone.
	page, _ := st.List(ctx, testUser, mapping.ContactsCollection, store.Query{})
	for _, b := range page.Records {
		if _, err := mapping.OpenRecord(oldKeys.For(mapping.ContactsCollection), b.ID, b.Payload); err == nil {
			t.Errorf("record %s still opens with the old key", b.ID)
		}
	}
}

// refusingStore refuses one record id in every Post, as a store refuses an
// invalid record.
type refusingStore struct {
	store.Store
	bad string
}

func (r *refusingStore) Post(ctx context.Context, user, coll string, ws []store.Write, pre store.Precondition) (store.WriteResult, error) {
	var kept []store.Write
	for _, w := range ws {
		if w.ID != r.bad {
			kept = append(kept, w)
		}
	}
	res, err := r.Store.Post(ctx, user, coll, kept, pre)
	if err == nil && len(kept) < len(ws) {
		res.Failed[r.bad] = store.ReasonInvalid + ": test"
	}
	return res, err
}

func TestHubWriteReportsRefusedRecordAndWritesTheRest(t *testing.T) {
	ctx := context.Background()
	lim := store.DefaultLimits()
	lim.MaxPostRecords = 7
	rs := &refusingStore{Store: openStore(t, sqlite.Options{Limits: lim}), bad: "rec000000002"}
	h, _, err := InitHub(ctx, rs, testUser, syncKey(1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Write(ctx, records(50), store.Precondition{})
	if err == nil || !strings.Contains(err.Error(), "rec000000002") {
		t.Fatalf("err = %v, want one naming the refused record", err)
	}
	got, bad, _ := readAll(t, h, 0)
	if len(got) != 49 || len(bad) != 0 {
		t.Errorf("%d records written, want the other 49", len(got))
	}
}
