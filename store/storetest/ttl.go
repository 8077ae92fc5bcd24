package storetest

import (
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

func ttlCases() []testCase {
	return []testCase{
		{name: "a record is visible until its ttl runs out and then to no read", run: func(t *testing.T, e *env) {
			ts := e.post(t, "c", store.Write{ID: "short", Payload: str("12345"), TTL: i64(10)}, rec("long", "123"))
			e.clock.Advance(9 * time.Second)
			e.get(t, "c", "short")
			e.clock.Advance(2 * time.Second)
			_, err := e.s.Get(e.ctx, e.user, "c", "short")
			wantErr(t, "Get of an expired record", err, store.ErrNotFound)
			wantIDs(t, "List", e.listIDs(t, "c", store.Query{}), "long")
			wantIDs(t, "List by ids", e.listIDs(t, "c", store.Query{IDs: []string{"short"}}))
			wantIDs(t, "List newer", e.listIDs(t, "c", store.Query{Newer: ts - 10, Sort: store.SortNewest}), "long")
			if u := e.info(t)["c"]; u.Count != 1 || u.Bytes != 3 || u.Modified != ts {
				t.Fatalf("Info after expiry = %+v, want 1 record of 3 bytes, modified %d", u, ts)
			}
			_, err = e.s.Delete(e.ctx, e.user, "c", "short", store.Precondition{})
			wantErr(t, "Delete of an expired record", err, store.ErrNotFound)
		}},
		{name: "a ttl of zero expires the record at once", run: func(t *testing.T, e *env) {
			e.post(t, "c", store.Write{ID: "a", Payload: str("x"), TTL: i64(0)})
			e.clock.Advance(10 * time.Millisecond)
			_, err := e.s.Get(e.ctx, e.user, "c", "a")
			wantErr(t, "Get of a record with ttl 0", err, store.ErrNotFound)
		}},
		{name: "a write to an expired record's id creates it afresh", run: func(t *testing.T, e *env) {
			e.put(t, "c", store.Write{ID: "a", Payload: str("old"), SortIndex: i64(3), TTL: i64(10)})
			e.clock.Advance(20 * time.Second)
			e.put(t, "c", store.Write{ID: "a", TTL: i64(100)})
			if b := e.get(t, "c", "a"); b.Payload != "" || b.SortIndex != nil {
				t.Fatalf("a TTL-only write over an expired record gave %+v, want an empty payload and no sortindex", b)
			}
			if u := e.info(t)["c"]; u.Count != 1 || u.Bytes != 0 {
				t.Fatalf("Info = %+v, want 1 record of 0 bytes", u)
			}
		}},
		{name: "records written without a ttl do not expire", run: func(t *testing.T, e *env) {
			e.put(t, "c", rec("a", "x"))
			e.clock.Advance(10 * 365 * 24 * time.Hour)
			e.get(t, "c", "a")
		}},
		{name: "expired records free their share of the quota", opts: func(o *Options) {
			o.QuotaBytes = 10
		}, run: func(t *testing.T, e *env) {
			e.put(t, "c", store.Write{ID: "a", Payload: str("12345678"), TTL: i64(10)})
			_, err := e.s.Put(e.ctx, e.user, "c", rec("b", "12345678"), store.Precondition{})
			wantErr(t, "Put past the quota", err, store.ErrOverQuota)
			e.clock.Advance(11 * time.Second)
			e.put(t, "c", rec("b", "12345678"))
		}},
	}
}
