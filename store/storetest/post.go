package storetest

import (
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/store"
)

func postCases() []testCase {
	return []testCase{
		{name: "post stores every valid record with one timestamp", run: func(t *testing.T, e *env) {
			res, err := e.s.Post(e.ctx, e.user, "c", recs("a", "b", "c"), store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, "Post success", res.Success, "a", "b", "c")
			if len(res.Failed) != 0 || res.Failed == nil {
				t.Fatalf("Post failed = %#v, want an empty map", res.Failed)
			}
			for _, id := range []string{"a", "b", "c"} {
				if b := e.get(t, "c", id); b.Modified != res.Modified || b.Payload != "p-"+id {
					t.Fatalf("record %+v, want payload p-%s and modified %d", b, id, res.Modified)
				}
			}
			if u := e.info(t)["c"]; u.Modified != res.Modified {
				t.Fatalf("collection modified %d, Post returned %d", u.Modified, res.Modified)
			}
		}},
		{name: "post fails records beyond max_post_records with retry bso", opts: func(o *Options) {
			o.Limits.MaxPostRecords = 3
		}, run: func(t *testing.T, e *env) {
			res, err := e.s.Post(e.ctx, e.user, "c", recs("a", "b", "c", "d", "e"), store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, "Post success", res.Success, "a", "b", "c")
			if res.Failed["d"] != store.ReasonRetryBSO || res.Failed["e"] != store.ReasonRetryBSO || len(res.Failed) != 2 {
				t.Fatalf("Post failed = %v, want d and e: %q", res.Failed, store.ReasonRetryBSO)
			}
			wantSameIDs(t, "stored", e.listIDs(t, "c", store.Query{}), "a", "b", "c")
		}},
		{name: "post fails a payload over max_record_payload_bytes with retry bytes", opts: func(o *Options) {
			o.Limits.MaxRecordPayloadBytes = 10
		}, run: func(t *testing.T, e *env) {
			res, err := e.s.Post(e.ctx, e.user, "c",
				[]store.Write{rec("a", "small"), rec("big", strings.Repeat("x", 11)), rec("c", strings.Repeat("y", 10))}, store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, "Post success", res.Success, "a", "c")
			if res.Failed["big"] != store.ReasonRetryBytes || len(res.Failed) != 1 {
				t.Fatalf("Post failed = %v, want big: %q", res.Failed, store.ReasonRetryBytes)
			}
			_, err = e.s.Get(e.ctx, e.user, "c", "big")
			wantErr(t, "Get of the oversize record", err, store.ErrNotFound)
		}},
		{name: "post fails records past max_post_bytes with retry bytes", opts: func(o *Options) {
			o.Limits.MaxPostBytes = 10
		}, run: func(t *testing.T, e *env) {
			res, err := e.s.Post(e.ctx, e.user, "c",
				[]store.Write{rec("a", "1234"), rec("b", "1234"), rec("c", "1234"), rec("d", "1")}, store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Failed["c"] != store.ReasonRetryBytes || !hasIDs(res.Success, "a", "b") {
				t.Fatalf("Post: success %v, failed %v; want a and b stored, c failed %q", res.Success, res.Failed, store.ReasonRetryBytes)
			}
			if len(res.Success)+len(res.Failed) != 4 {
				t.Fatalf("Post: success %v, failed %v; every record must be in one of them", res.Success, res.Failed)
			}
			if u := e.info(t)["c"]; u.Bytes > 10 {
				t.Fatalf("a Post under a 10-byte limit stored %d bytes", u.Bytes)
			}
		}},
		{name: "post fails a record with an invalid id with invalid bso", run: func(t *testing.T, e *env) {
			long := strings.Repeat("a", 65)
			res, err := e.s.Post(e.ctx, e.user, "c", recs("ok", "has,comma", long, "tab\t"), store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, "Post success", res.Success, "ok")
			for _, id := range []string{"has,comma", long, "tab\t"} {
				if !hasPrefix(res.Failed[id], store.ReasonInvalid) {
					t.Fatalf("Post failed[%q] = %q, want %q…", id, res.Failed[id], store.ReasonInvalid)
				}
			}
		}},
		{name: "post fails a sortindex out of range with invalid bso", run: func(t *testing.T, e *env) {
			res, err := e.s.Post(e.ctx, e.user, "c", []store.Write{
				{ID: "max", Payload: str("x"), SortIndex: i64(store.MaxSortIndex)},
				{ID: "min", Payload: str("x"), SortIndex: i64(-store.MaxSortIndex)},
				{ID: "over", Payload: str("x"), SortIndex: i64(store.MaxSortIndex + 1)},
				{ID: "under", Payload: str("x"), SortIndex: i64(-store.MaxSortIndex - 1)},
			}, store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, "Post success", res.Success, "max", "min")
			if !hasPrefix(res.Failed["over"], store.ReasonInvalid) || !hasPrefix(res.Failed["under"], store.ReasonInvalid) {
				t.Fatalf("Post failed = %v, want over and under invalid", res.Failed)
			}
		}},
		{name: "post fails a ttl out of bounds with invalid bso", run: func(t *testing.T, e *env) {
			res, err := e.s.Post(e.ctx, e.user, "c", []store.Write{
				{ID: "max", Payload: str("x"), TTL: i64(store.MaxTTL)},
				{ID: "one", Payload: str("x"), TTL: i64(1)},
				{ID: "negative", Payload: str("x"), TTL: i64(-1)},
				{ID: "over", Payload: str("x"), TTL: i64(store.MaxTTL + 1)},
			}, store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, "Post success", res.Success, "max", "one")
			if !hasPrefix(res.Failed["negative"], store.ReasonInvalid) || !hasPrefix(res.Failed["over"], store.ReasonInvalid) {
				t.Fatalf("Post failed = %v, want negative and over invalid", res.Failed)
			}
		}},
		{name: "post with a duplicate or missing id fails as a whole", run: func(t *testing.T, e *env) {
			_, err := e.s.Post(e.ctx, e.user, "c", recs("a", "b", "a"), store.Precondition{})
			wantErr(t, "Post with id a twice", err, store.ErrInvalid)
			_, err = e.s.Post(e.ctx, e.user, "c", []store.Write{rec("a", "x"), {Payload: str("no id")}}, store.Precondition{})
			wantErr(t, "Post with a record without id", err, store.ErrInvalid)
			if info := e.info(t); len(info) != 0 {
				t.Fatalf("Info after rejected Posts: %v, want nothing", info)
			}
		}},
		{name: "post keeps the stored value of every absent field", run: func(t *testing.T, e *env) {
			e.put(t, "c", store.Write{ID: "a", Payload: str("one"), SortIndex: i64(7)})
			e.post(t, "c", rec("a", "two"), store.Write{ID: "b", SortIndex: i64(1)})
			if b := e.get(t, "c", "a"); b.Payload != "two" || b.SortIndex == nil || *b.SortIndex != 7 {
				t.Fatalf("after a Post of a payload: %+v, want payload two and sortindex 7", b)
			}
			if b := e.get(t, "c", "b"); b.Payload != "" || b.SortIndex == nil || *b.SortIndex != 1 {
				t.Fatalf("a Post of a sortindex alone created %+v, want an empty payload and sortindex 1", b)
			}
		}},
		{name: "post with no valid record changes nothing", run: func(t *testing.T, e *env) {
			ts := e.put(t, "c", rec("a", "x"))
			e.clock.Advance(1e9) // a second: a new timestamp would show
			res, err := e.s.Post(e.ctx, e.user, "c", recs("bad,id"), store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Success) != 0 || res.Success == nil || res.Modified != ts {
				t.Fatalf("Post of an invalid record: %+v, want no success and modified %d", res, ts)
			}
			if u := e.info(t)["c"]; u.Modified != ts {
				t.Fatalf("collection modified %d after a Post that stored nothing, want %d", u.Modified, ts)
			}
		}},
	}
}

// hasIDs reports whether list contains every id.
func hasIDs(list []string, ids ...string) bool {
	for _, id := range ids {
		if count(list, id) == 0 {
			return false
		}
	}
	return true
}
