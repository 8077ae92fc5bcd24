package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

func putCases() []testCase {
	return []testCase{
		{name: "put creates a record with the defaults and get returns it", run: func(t *testing.T, e *env) {
			ts := e.put(t, "c", rec("a", "payload"))
			b := e.get(t, "c", "a")
			if b.ID != "a" || b.Payload != "payload" || b.Modified != ts || b.SortIndex != nil {
				t.Fatalf("Get = %+v, want id a, payload, modified %d, no sortindex", b, ts)
			}
			if _, err := e.s.Put(e.ctx, e.user, "c", store.Write{ID: "empty"}, store.Precondition{}); err != nil {
				t.Fatal(err)
			}
			if b := e.get(t, "c", "empty"); b.Payload != "" || b.SortIndex != nil {
				t.Fatalf("a Put without fields created %+v, want an empty payload and no sortindex", b)
			}
		}},
		{name: "put keeps the stored value of every absent field", run: func(t *testing.T, e *env) {
			e.put(t, "c", store.Write{ID: "a", Payload: str("one"), SortIndex: i64(5), TTL: i64(1000)})
			e.clock.Advance(100 * time.Second)
			e.put(t, "c", store.Write{ID: "a", SortIndex: i64(7)})
			if b := e.get(t, "c", "a"); b.Payload != "one" || b.SortIndex == nil || *b.SortIndex != 7 {
				t.Fatalf("after a sortindex-only Put: %+v, want payload one and sortindex 7", b)
			}
			e.put(t, "c", store.Write{ID: "a", Payload: str("two")})
			if b := e.get(t, "c", "a"); b.Payload != "two" || b.SortIndex == nil || *b.SortIndex != 7 {
				t.Fatalf("after a payload-only Put: %+v, want payload two and sortindex 7", b)
			}
			// The TTL of the first Put still holds: the record dies 1000 s after it.
			e.clock.Advance(899 * time.Second)
			e.get(t, "c", "a")
			e.clock.Advance(2 * time.Second)
			_, err := e.s.Get(e.ctx, e.user, "c", "a")
			wantErr(t, "Get once the first Put's TTL ran out", err, store.ErrNotFound)
		}},
		{name: "put with only a ttl keeps the payload and takes a new timestamp", run: func(t *testing.T, e *env) {
			t1 := e.put(t, "c", store.Write{ID: "a", Payload: str("one"), TTL: i64(10)})
			t2 := e.put(t, "c", store.Write{ID: "a", TTL: i64(100)})
			b := e.get(t, "c", "a")
			if b.Payload != "one" || b.Modified != t2 || t2 <= t1 {
				t.Fatalf("after a TTL-only Put: %+v (timestamps %d then %d), want payload one, modified %d", b, t1, t2, t2)
			}
			e.clock.Advance(50 * time.Second)
			e.get(t, "c", "a") // the new TTL replaced the old one
		}},
		{name: "put returns the timestamp of the record and of the collection", run: func(t *testing.T, e *env) {
			e.put(t, "c", rec("a", "x"))
			e.clock.Advance(time.Second)
			ts := e.put(t, "c", rec("b", "y"))
			if b := e.get(t, "c", "b"); b.Modified != ts {
				t.Fatalf("record modified %d, Put returned %d", b.Modified, ts)
			}
			if p := e.list(t, "c", store.Query{}); p.LastModified != ts {
				t.Fatalf("List LastModified %d, Put returned %d", p.LastModified, ts)
			}
			if u := e.info(t)["c"]; u.Modified != ts {
				t.Fatalf("Info modified %d, Put returned %d", u.Modified, ts)
			}
		}},
		{name: "put rejects an invalid id, sortindex or ttl and stores nothing", run: func(t *testing.T, e *env) {
			for what, w := range map[string]store.Write{
				"id with a comma":       rec("a,b", "x"),
				"id of 65 characters":   rec(strings.Repeat("a", 65), "x"),
				"id with a newline":     rec("a\n", "x"),
				"id with a non-ASCII":   rec("é", "x"),
				"sortindex 1000000000":  {ID: "a", Payload: str("x"), SortIndex: i64(store.MaxSortIndex + 1)},
				"sortindex -1000000000": {ID: "a", Payload: str("x"), SortIndex: i64(-store.MaxSortIndex - 1)},
				"negative ttl":          {ID: "a", Payload: str("x"), TTL: i64(-1)},
				"ttl over the maximum":  {ID: "a", Payload: str("x"), TTL: i64(store.MaxTTL + 1)},
			} {
				_, err := e.s.Put(e.ctx, e.user, "c", w, store.Precondition{})
				wantErr(t, "Put with "+what, err, store.ErrInvalid)
			}
			if info := e.info(t); len(info) != 0 {
				t.Fatalf("Info after rejected Puts: %v, want nothing", info)
			}
			e.put(t, "c", store.Write{ID: strings.Repeat("z", 64), Payload: str("x"), SortIndex: i64(-store.MaxSortIndex), TTL: i64(store.MaxTTL)})
		}},
		{name: "put rejects a payload over max_record_payload_bytes", opts: func(o *Options) {
			o.Limits.MaxRecordPayloadBytes = 10
		}, run: func(t *testing.T, e *env) {
			_, err := e.s.Put(e.ctx, e.user, "c", rec("a", strings.Repeat("x", 11)), store.Precondition{})
			wantErr(t, "Put of 11 bytes under a 10-byte limit", err, store.ErrSizeLimit)
			e.put(t, "c", rec("a", strings.Repeat("x", 10)))
		}},
		{name: "get of a missing record is ErrNotFound", run: func(t *testing.T, e *env) {
			_, err := e.s.Get(e.ctx, e.user, "c", "a")
			wantErr(t, "Get in a missing collection", err, store.ErrNotFound)
			e.put(t, "c", rec("b", "x"))
			_, err = e.s.Get(e.ctx, e.user, "c", "a")
			wantErr(t, "Get of a missing id", err, store.ErrNotFound)
		}},
		{name: "invalid names are ErrInvalid", run: func(t *testing.T, e *env) {
			for _, coll := range []string{"", "a/b", "a b", strings.Repeat("c", 33)} {
				_, err := e.s.Put(e.ctx, e.user, coll, rec("a", "x"), store.Precondition{})
				wantErr(t, "Put to collection "+coll, err, store.ErrInvalid)
				_, err = e.s.Post(e.ctx, e.user, coll, recs("a"), store.Precondition{})
				wantErr(t, "Post to collection "+coll, err, store.ErrInvalid)
				_, err = e.s.List(e.ctx, e.user, coll, store.Query{})
				wantErr(t, "List of collection "+coll, err, store.ErrInvalid)
				_, err = e.s.BeginBatch(e.ctx, e.user, coll)
				wantErr(t, "BeginBatch in collection "+coll, err, store.ErrInvalid)
			}
			_, err := e.s.Put(e.ctx, "", "c", rec("a", "x"), store.Precondition{})
			wantErr(t, "Put for an empty user", err, store.ErrInvalid)
			_, err = e.s.Info(e.ctx, "")
			wantErr(t, "Info for an empty user", err, store.ErrInvalid)
			_, err = e.s.Get(e.ctx, e.user, "c", "a,b")
			wantErr(t, "Get of an invalid id", err, store.ErrInvalid)
			e.put(t, "Valid_name-1.x", rec("a", "x"))
		}},
	}
}
