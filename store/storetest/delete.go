package storetest

import (
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

func deleteCases() []testCase {
	return []testCase{
		{name: "delete removes one record and gives the collection a new timestamp", run: func(t *testing.T, e *env) {
			e.post(t, "c", rec("a", "12345"), rec("b", "678"))
			before := e.info(t)["c"]
			ts, err := e.s.Delete(e.ctx, e.user, "c", "a", store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			if ts <= before.Modified {
				t.Fatalf("Delete returned %d, not after the collection's %d", ts, before.Modified)
			}
			_, err = e.s.Get(e.ctx, e.user, "c", "a")
			wantErr(t, "Get of a deleted record", err, store.ErrNotFound)
			if u := e.info(t)["c"]; u.Modified != ts || u.Count != 1 || u.Bytes != 3 {
				t.Fatalf("Info after Delete = %+v, want modified %d, 1 record of 3 bytes", u, ts)
			}
			if p := e.list(t, "c", store.Query{}); p.LastModified != ts {
				t.Fatalf("List LastModified %d after Delete, want %d", p.LastModified, ts)
			}
			wantIDs(t, "newer than before the Delete", e.listIDs(t, "c", store.Query{Newer: before.Modified}))
		}},
		{name: "delete of a missing record is ErrNotFound and changes nothing", run: func(t *testing.T, e *env) {
			_, err := e.s.Delete(e.ctx, e.user, "c", "a", store.Precondition{})
			wantErr(t, "Delete in a missing collection", err, store.ErrNotFound)
			ts := e.put(t, "c", rec("b", "x"))
			e.clock.Advance(time.Second)
			_, err = e.s.Delete(e.ctx, e.user, "c", "a", store.Precondition{})
			wantErr(t, "Delete of a missing record", err, store.ErrNotFound)
			if u := e.info(t)["c"]; u.Modified != ts {
				t.Fatalf("collection modified %d after a failed Delete, want %d", u.Modified, ts)
			}
		}},
		{name: "delete ids removes those records, ignores missing ones and gives a new timestamp", run: func(t *testing.T, e *env) {
			e.post(t, "c", recs("a", "b", "c", "d")...)
			before := e.info(t)["c"].Modified
			e.clock.Advance(time.Second)
			ts, err := e.s.DeleteIDs(e.ctx, e.user, "c", []string{"a", "c", "missing"}, store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			if ts != store.FromTime(e.clock.Now()) || ts <= before {
				t.Fatalf("DeleteIDs returned %d, want the clock's %d", ts, store.FromTime(e.clock.Now()))
			}
			wantSameIDs(t, "records left", e.listIDs(t, "c", store.Query{}), "b", "d")
			if u := e.info(t)["c"]; u.Modified != ts || u.Count != 2 {
				t.Fatalf("Info after DeleteIDs = %+v, want modified %d and 2 records", u, ts)
			}
			ts2, err := e.s.DeleteIDs(e.ctx, e.user, "c", []string{"b", "d"}, store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			if u, ok := e.info(t)["c"]; !ok || u.Modified != ts2 || u.Count != 0 {
				t.Fatalf("Info after deleting every record by id = %+v (present %v), want the collection with modified %d and no record", u, ok, ts2)
			}
		}},
		{name: "delete collection removes it and its records", run: func(t *testing.T, e *env) {
			e.post(t, "c", recs("a", "b")...)
			tOther := e.put(t, "other", rec("a", "x"))
			e.clock.Advance(time.Second)
			ts, err := e.s.DeleteCollection(e.ctx, e.user, "c", store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			if ts <= tOther {
				t.Fatalf("DeleteCollection returned %d, not after the last write %d", ts, tOther)
			}
			if p := e.list(t, "c", store.Query{}); len(p.Records) != 0 || p.LastModified != 0 {
				t.Fatalf("List after DeleteCollection = %+v, want empty with LastModified 0", p)
			}
			info := e.info(t)
			if _, ok := info["c"]; ok || info["other"].Modified != tOther {
				t.Fatalf("Info after DeleteCollection = %v, want only other", info)
			}
			e.clock.Advance(-time.Hour)
			if again := e.put(t, "c", rec("a", "x")); again <= ts {
				t.Fatalf("a write after DeleteCollection got %d, not after the delete's %d", again, ts)
			}
		}},
		{name: "delete of a missing collection changes nothing", run: func(t *testing.T, e *env) {
			ts := e.put(t, "other", rec("a", "x"))
			e.clock.Advance(time.Second)
			got, err := e.s.DeleteCollection(e.ctx, e.user, "missing", store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			if got != ts {
				t.Fatalf("DeleteCollection of a missing collection returned %d, want the storage timestamp %d", got, ts)
			}
			if info := e.info(t); len(info) != 1 {
				t.Fatalf("Info = %v, want only other", info)
			}
		}},
		{name: "delete user removes all of that user's data and nobody else's", run: func(t *testing.T, e *env) {
			e.post(t, "c", recs("a", "b")...)
			last := e.put(t, "d", rec("a", "x"))
			if _, err := e.s.BeginBatch(e.ctx, e.user, "c"); err != nil {
				t.Fatal(err)
			}
			bob := e.as("bob")
			bob.put(t, "c", rec("a", "bob's"))
			if err := e.s.DeleteUser(e.ctx, e.user); err != nil {
				t.Fatal(err)
			}
			if info := e.info(t); len(info) != 0 {
				t.Fatalf("Info after DeleteUser = %v, want nothing", info)
			}
			_, err := e.s.Get(e.ctx, e.user, "c", "a")
			wantErr(t, "Get after DeleteUser", err, store.ErrNotFound)
			if b := bob.get(t, "c", "a"); b.Payload != "bob's" {
				t.Fatalf("bob's record = %+v after alice was deleted", b)
			}
			if ts := e.put(t, "c", rec("a", "x")); ts <= last {
				t.Fatalf("a write after DeleteUser got %d, not after the user's last %d", ts, last)
			}
		}},
	}
}
