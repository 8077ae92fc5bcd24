package storetest

import (
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

func (e *env) begin(t *testing.T, coll string) string {
	t.Helper()
	b, err := e.s.BeginBatch(e.ctx, e.user, coll)
	if err != nil {
		t.Fatalf("BeginBatch %s: %v", coll, err)
	}
	return b
}

func (e *env) appendAll(t *testing.T, coll, batch string, ws ...store.Write) {
	t.Helper()
	res, err := e.s.AppendBatch(e.ctx, e.user, coll, batch, ws)
	if err != nil {
		t.Fatalf("AppendBatch %s: %v", coll, err)
	}
	if len(res.Failed) > 0 || len(res.Success) != len(ws) {
		t.Fatalf("AppendBatch %s: success %v, failed %v; want all %d to succeed", coll, res.Success, res.Failed, len(ws))
	}
}

func batchCases() []testCase {
	return []testCase{
		{name: "batch records stay invisible until commit, which stores them with one timestamp", run: func(t *testing.T, e *env) {
			before := e.put(t, "c", rec("old", "x"))
			b := e.begin(t, "c")
			if !urlSafe(b) || b == "" {
				t.Fatalf("batch id %q is not a non-empty URL-safe token", b)
			}
			e.appendAll(t, "c", b, recs("a", "b")...)
			e.clock.Advance(time.Second)
			e.appendAll(t, "c", b, recs("c")...)
			wantIDs(t, "records before commit", e.listIDs(t, "c", store.Query{}), "old")
			if u := e.info(t)["c"]; u.Modified != before || u.Count != 1 {
				t.Fatalf("Info before commit = %+v, want modified %d and 1 record", u, before)
			}
			e.clock.Advance(time.Second)
			res, err := e.s.CommitBatch(e.ctx, e.user, "c", b, recs("d"), store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Modified != store.FromTime(e.clock.Now()) {
				t.Fatalf("CommitBatch modified %d, want the commit's time %d", res.Modified, store.FromTime(e.clock.Now()))
			}
			wantSameIDs(t, "CommitBatch success", res.Success, "a", "b", "c", "d")
			for _, id := range []string{"a", "b", "c", "d"} {
				if r := e.get(t, "c", id); r.Modified != res.Modified || r.Payload != "p-"+id {
					t.Fatalf("committed record %+v, want payload p-%s and modified %d", r, id, res.Modified)
				}
			}
			if u := e.info(t)["c"]; u.Modified != res.Modified || u.Count != 5 {
				t.Fatalf("Info after commit = %+v, want modified %d and 5 records", u, res.Modified)
			}
		}},
		{name: "append validates records as post does", opts: func(o *Options) {
			o.Limits.MaxPostRecords = 3
			o.Limits.MaxRecordPayloadBytes = 5
		}, run: func(t *testing.T, e *env) {
			b := e.begin(t, "c")
			res, err := e.s.AppendBatch(e.ctx, e.user, "c", b, []store.Write{
				rec("ok", "x"), rec("bad,id", "x"), rec("big", "123456"), rec("fourth", "x"),
			})
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, "AppendBatch success", res.Success, "ok")
			if !hasPrefix(res.Failed["bad,id"], store.ReasonInvalid) || res.Failed["big"] != store.ReasonRetryBytes || res.Failed["fourth"] != store.ReasonRetryBSO {
				t.Fatalf("AppendBatch failed = %v", res.Failed)
			}
			_, err = e.s.AppendBatch(e.ctx, e.user, "c", b, recs("x", "x"))
			wantErr(t, "AppendBatch with a duplicate id", err, store.ErrInvalid)
			res, err = e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			wantIDs(t, "records after commit", e.listIDs(t, "c", store.Query{}), "ok")
		}},
		{name: "a later write to the same id in a batch wins field by field", run: func(t *testing.T, e *env) {
			b := e.begin(t, "c")
			e.appendAll(t, "c", b, store.Write{ID: "a", Payload: str("one"), SortIndex: i64(1)})
			e.appendAll(t, "c", b, store.Write{ID: "a", SortIndex: i64(2)})
			if _, err := e.s.CommitBatch(e.ctx, e.user, "c", b, []store.Write{{ID: "a", TTL: i64(100)}}, store.Precondition{}); err != nil {
				t.Fatal(err)
			}
			if r := e.get(t, "c", "a"); r.Payload != "one" || r.SortIndex == nil || *r.SortIndex != 2 {
				t.Fatalf("record after the batch = %+v, want payload one and sortindex 2", r)
			}
			e.clock.Advance(101 * time.Second)
			_, err := e.s.Get(e.ctx, e.user, "c", "a")
			wantErr(t, "Get after the commit's TTL ran out", err, store.ErrNotFound)
		}},
		{name: "an empty commit stores nothing and ends the batch", run: func(t *testing.T, e *env) {
			ts := e.put(t, "c", rec("a", "x"))
			b := e.begin(t, "c")
			e.clock.Advance(time.Second)
			res, err := e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Modified != ts || len(res.Success) != 0 {
				t.Fatalf("empty CommitBatch = %+v, want modified %d and no success", res, ts)
			}
			_, err = e.s.AppendBatch(e.ctx, e.user, "c", b, recs("b"))
			wantErr(t, "AppendBatch after the commit", err, store.ErrBatchNotFound)
		}},
		{name: "an unknown batch id is ErrBatchNotFound", run: func(t *testing.T, e *env) {
			_, err := e.s.AppendBatch(e.ctx, e.user, "c", "nope", recs("a"))
			wantErr(t, "AppendBatch to an unknown batch", err, store.ErrBatchNotFound)
			_, err = e.s.CommitBatch(e.ctx, e.user, "c", "nope", recs("a"), store.Precondition{})
			wantErr(t, "CommitBatch of an unknown batch", err, store.ErrBatchNotFound)
			if info := e.info(t); len(info) != 0 {
				t.Fatalf("Info = %v, want nothing", info)
			}
		}},
		{name: "a batch expires two hours after it began", run: func(t *testing.T, e *env) {
			b := e.begin(t, "c")
			e.clock.Advance(time.Hour)
			e.appendAll(t, "c", b, recs("a")...)
			e.clock.Advance(59 * time.Minute)
			e.appendAll(t, "c", b, recs("b")...)
			e.clock.Advance(2 * time.Minute)
			_, err := e.s.AppendBatch(e.ctx, e.user, "c", b, recs("c"))
			wantErr(t, "AppendBatch after two hours", err, store.ErrBatchNotFound)
			_, err = e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Precondition{})
			wantErr(t, "CommitBatch after two hours", err, store.ErrBatchNotFound)
			wantIDs(t, "records", e.listIDs(t, "c", store.Query{}))
		}},
		{name: "a committed batch id cannot be used again", run: func(t *testing.T, e *env) {
			b := e.begin(t, "c")
			e.appendAll(t, "c", b, recs("a")...)
			if _, err := e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Precondition{}); err != nil {
				t.Fatal(err)
			}
			_, err := e.s.AppendBatch(e.ctx, e.user, "c", b, recs("b"))
			wantErr(t, "AppendBatch after commit", err, store.ErrBatchNotFound)
			_, err = e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Precondition{})
			wantErr(t, "second CommitBatch", err, store.ErrBatchNotFound)
			if b2 := e.begin(t, "c"); b2 == b {
				t.Fatalf("a new batch reused the committed id %q", b)
			}
		}},
		{name: "a batch id works only for its own user and collection", run: func(t *testing.T, e *env) {
			b := e.begin(t, "c")
			_, err := e.s.AppendBatch(e.ctx, e.user, "other", b, recs("a"))
			wantErr(t, "AppendBatch in another collection", err, store.ErrBatchNotFound)
			_, err = e.s.AppendBatch(e.ctx, "bob", "c", b, recs("a"))
			wantErr(t, "AppendBatch as another user", err, store.ErrBatchNotFound)
			_, err = e.s.CommitBatch(e.ctx, "bob", "c", b, nil, store.Precondition{})
			wantErr(t, "CommitBatch as another user", err, store.ErrBatchNotFound)
			e.appendAll(t, "c", b, recs("a")...)
		}},
		{name: "a batch past max_total_records is ErrSizeLimit and keeps what it had", opts: func(o *Options) {
			o.Limits.MaxTotalRecords = 3
		}, run: func(t *testing.T, e *env) {
			b := e.begin(t, "c")
			e.appendAll(t, "c", b, recs("a", "b")...)
			_, err := e.s.AppendBatch(e.ctx, e.user, "c", b, recs("c", "d"))
			wantErr(t, "AppendBatch to 4 records", err, store.ErrSizeLimit)
			_, err = e.s.CommitBatch(e.ctx, e.user, "c", b, recs("c", "d"), store.Precondition{})
			wantErr(t, "CommitBatch to 4 records", err, store.ErrSizeLimit)
			e.appendAll(t, "c", b, recs("c")...)
			res, err := e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			wantSameIDs(t, "CommitBatch success", res.Success, "a", "b", "c")
		}},
		{name: "a batch past max_total_bytes is ErrSizeLimit", opts: func(o *Options) {
			o.Limits.MaxTotalBytes = 10
		}, run: func(t *testing.T, e *env) {
			b := e.begin(t, "c")
			e.appendAll(t, "c", b, rec("a", "123456"))
			_, err := e.s.AppendBatch(e.ctx, e.user, "c", b, []store.Write{rec("b", "12345")})
			wantErr(t, "AppendBatch to 11 bytes", err, store.ErrSizeLimit)
			e.appendAll(t, "c", b, rec("b", "1234"))
			if _, err := e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Precondition{}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "the precondition of a commit applies to the collection and keeps the batch open", run: func(t *testing.T, e *env) {
			ts := e.put(t, "c", rec("a", "x"))
			b := e.begin(t, "c")
			e.appendAll(t, "c", b, recs("b")...)
			e.clock.Advance(time.Second)
			e.put(t, "c", rec("a", "y"))
			_, err := e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Since(ts))
			wantErr(t, "CommitBatch after the collection changed", err, store.ErrPreconditionFailed)
			wantIDs(t, "records after the refused commit", e.listIDs(t, "c", store.Query{}), "a")
			if _, err := e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Precondition{}); err != nil {
				t.Fatalf("CommitBatch without precondition after a refused one: %v", err)
			}
			wantSameIDs(t, "records after the commit", e.listIDs(t, "c", store.Query{}), "a", "b")
		}},
		{name: "deleting a collection ends its open batches", run: func(t *testing.T, e *env) {
			e.put(t, "c", rec("a", "x"))
			b := e.begin(t, "c")
			e.appendAll(t, "c", b, recs("b")...)
			if _, err := e.s.DeleteCollection(e.ctx, e.user, "c", store.Precondition{}); err != nil {
				t.Fatal(err)
			}
			_, err := e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Precondition{})
			wantErr(t, "CommitBatch after DeleteCollection", err, store.ErrBatchNotFound)
		}},
	}
}
