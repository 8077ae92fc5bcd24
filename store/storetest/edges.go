package storetest

import (
	"testing"

	"github.com/contactbridge/contactbridge/store"
)

// edgeCases are rules of the interface that the other groups do not reach:
// what DeleteUser and DeleteIDs leave behind, the failures a commit reports
// for its own records, and an empty payload that is a value, not an
// absence.
func edgeCases() []testCase {
	return []testCase{
		{name: "a batch stages no more than the quota", opts: quota10, run: func(t *testing.T, e *env) {
			b := e.begin(t, "c")
			e.appendAll(t, "c", b, rec("a", "123456"))
			_, err := e.s.AppendBatch(e.ctx, e.user, "c", b, []store.Write{rec("b", "123456")})
			wantErr(t, "AppendBatch past the quota", err, store.ErrOverQuota)
			res, err := e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Precondition{})
			if err != nil {
				t.Fatalf("CommitBatch after the refused append: %v (the batch stays open)", err)
			}
			wantIDs(t, "committed", res.Success, "a")
		}},
		{name: "a user opens at most MaxOpenBatches batches in a collection", run: func(t *testing.T, e *env) {
			var open []string
			for range store.MaxOpenBatches {
				open = append(open, e.begin(t, "c"))
			}
			_, err := e.s.BeginBatch(e.ctx, e.user, "c")
			wantErr(t, "BeginBatch beyond MaxOpenBatches", err, store.ErrSizeLimit)
			e.begin(t, "other")       // another collection has its own
			e.as("bob").begin(t, "c") // and another user
			if _, err := e.s.CommitBatch(e.ctx, e.user, "c", open[0], nil, store.Precondition{}); err != nil {
				t.Fatal(err)
			}
			e.begin(t, "c") // a committed batch frees its place
			e.clock.Advance(store.BatchLifetime)
			e.begin(t, "c") // so do expired ones
		}},
		{name: "delete user ends the user's open batches", run: func(t *testing.T, e *env) {
			b := e.begin(t, "c")
			e.appendAll(t, "c", b, recs("a")...)
			if err := e.s.DeleteUser(e.ctx, e.user); err != nil {
				t.Fatal(err)
			}
			_, err := e.s.AppendBatch(e.ctx, e.user, "c", b, recs("b"))
			wantErr(t, "AppendBatch after DeleteUser", err, store.ErrBatchNotFound)
			_, err = e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Precondition{})
			wantErr(t, "CommitBatch after DeleteUser", err, store.ErrBatchNotFound)
			if info := e.info(t); len(info) != 0 {
				t.Fatalf("Info after DeleteUser and a refused commit = %v, want nothing", info)
			}
		}},
		{name: "delete ids of a missing collection creates it with a new timestamp", run: func(t *testing.T, e *env) {
			before := e.put(t, "other", rec("a", "x"))
			ts, err := e.s.DeleteIDs(e.ctx, e.user, "c", []string{"a"}, store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			if ts <= before {
				t.Fatalf("DeleteIDs returned %d, not after the user's last write %d", ts, before)
			}
			if u, ok := e.info(t)["c"]; !ok || u.Modified != ts || u.Count != 0 || u.Bytes != 0 {
				t.Fatalf("Info[c] after DeleteIDs = %+v (present %v), want the collection, empty, modified %d", u, ok, ts)
			}
			if p := e.list(t, "c", store.Query{}); p.LastModified != ts || len(p.Records) != 0 {
				t.Fatalf("List after DeleteIDs = %+v, want no record and LastModified %d", p, ts)
			}
		}},
		{name: "a commit reports the failures among its own records and stores the rest", opts: func(o *Options) {
			o.Limits.MaxRecordPayloadBytes = 5
		}, run: func(t *testing.T, e *env) {
			b := e.begin(t, "c")
			e.appendAll(t, "c", b, recs("a")...)
			res, err := e.s.CommitBatch(e.ctx, e.user, "c", b, []store.Write{rec("b", "x"), rec("bad,id", "x"), rec("big", "123456")}, store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			wantSameIDs(t, "CommitBatch success", res.Success, "a", "b")
			if len(res.Failed) != 2 || !hasPrefix(res.Failed["bad,id"], store.ReasonInvalid) || res.Failed["big"] != store.ReasonRetryBytes {
				t.Fatalf("CommitBatch failed = %v, want bad,id invalid and big %q", res.Failed, store.ReasonRetryBytes)
			}
			wantSameIDs(t, "records after the commit", e.listIDs(t, "c", store.Query{}), "a", "b")
		}},
		{name: "an empty payload replaces a stored one, in a put, a post and a batch", run: func(t *testing.T, e *env) {
			e.post(t, "c", recs("put", "post", "batch", "staged")...)
			e.put(t, "c", rec("put", ""))
			e.post(t, "c", rec("post", ""))
			b := e.begin(t, "c")
			e.appendAll(t, "c", b, rec("batch", ""), rec("staged", ""))
			// A later write without a payload keeps the staged empty one.
			e.appendAll(t, "c", b, store.Write{ID: "staged", SortIndex: i64(1)})
			if _, err := e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Precondition{}); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"put", "post", "batch", "staged"} {
				if r := e.get(t, "c", id); r.Payload != "" {
					t.Fatalf("record %s = %+v after a write of an empty payload, want the payload empty", id, r)
				}
			}
			if u := e.info(t)["c"]; u.Count != 4 || u.Bytes != 0 {
				t.Fatalf("Info = %+v, want 4 records of 0 bytes", u)
			}
		}},
	}
}
