package storetest

import (
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

func preconditionCases() []testCase {
	return []testCase{
		{name: "a write succeeds while the collection is unmodified since the precondition", run: func(t *testing.T, e *env) {
			ts := e.put(t, "c", rec("a", "x"))
			e.clock.Advance(time.Second)
			if _, err := e.s.Post(e.ctx, e.user, "c", recs("b"), store.Since(ts)); err != nil {
				t.Fatalf("Post unmodified since the collection's timestamp: %v", err)
			}
		}},
		{name: "a write to a collection modified since the precondition fails and stores nothing", run: func(t *testing.T, e *env) {
			ts := e.put(t, "c", rec("a", "x"))
			e.clock.Advance(time.Second)
			_, err := e.s.Post(e.ctx, e.user, "c", recs("b"), store.Since(ts-10))
			wantErr(t, "Post unmodified since 10 ms before the collection's timestamp", err, store.ErrPreconditionFailed)
			wantIDs(t, "records after the failed Post", e.listIDs(t, "c", store.Query{}), "a")
			if u := e.info(t)["c"]; u.Modified != ts {
				t.Fatalf("collection modified %d after a failed Post, want %d", u.Modified, ts)
			}
		}},
		{name: "the precondition of put applies to the record, not the collection", run: func(t *testing.T, e *env) {
			ta := e.put(t, "c", rec("a", "x"))
			e.clock.Advance(time.Second)
			e.put(t, "c", rec("b", "x")) // the collection is now newer than a
			if _, err := e.s.Put(e.ctx, e.user, "c", rec("a", "y"), store.Since(ta)); err != nil {
				t.Fatalf("Put of a unmodified since its own timestamp: %v", err)
			}
			_, err := e.s.Put(e.ctx, e.user, "c", rec("b", "y"), store.Since(ta))
			wantErr(t, "Put of b, modified after the precondition", err, store.ErrPreconditionFailed)
			if b := e.get(t, "c", "b"); b.Payload != "x" {
				t.Fatalf("record b = %+v after a failed Put, want payload x", b)
			}
		}},
		{name: "a precondition of zero allows only creation", run: func(t *testing.T, e *env) {
			if _, err := e.s.Put(e.ctx, e.user, "c", rec("a", "x"), store.Since(0)); err != nil {
				t.Fatalf("Put of a new record if absent: %v", err)
			}
			_, err := e.s.Put(e.ctx, e.user, "c", rec("a", "y"), store.Since(0))
			wantErr(t, "Put of an existing record if absent", err, store.ErrPreconditionFailed)
			if _, err := e.s.Post(e.ctx, e.user, "d", recs("a"), store.Since(0)); err != nil {
				t.Fatalf("Post to a new collection if absent: %v", err)
			}
			_, err = e.s.Post(e.ctx, e.user, "d", recs("b"), store.Since(0))
			wantErr(t, "Post to an existing collection if absent", err, store.ErrPreconditionFailed)
			if _, err := e.s.Put(e.ctx, e.user, "d", rec("new", "x"), store.Since(0)); err != nil {
				t.Fatalf("Put of a new record if absent in an existing collection: %v", err)
			}
		}},
		{name: "a zero precondition is no precondition", run: func(t *testing.T, e *env) {
			e.put(t, "c", rec("a", "x"))
			if _, err := e.s.Put(e.ctx, e.user, "c", rec("a", "y"), store.Precondition{}); err != nil {
				t.Fatalf("Put without precondition over an existing record: %v", err)
			}
		}},
		{name: "deletes honour their preconditions and delete nothing when they fail", run: func(t *testing.T, e *env) {
			ta := e.put(t, "c", rec("a", "x"))
			e.clock.Advance(time.Second)
			tb := e.put(t, "c", rec("b", "x"))
			_, err := e.s.Delete(e.ctx, e.user, "c", "b", store.Since(ta))
			wantErr(t, "Delete of b unmodified since a's timestamp", err, store.ErrPreconditionFailed)
			_, err = e.s.DeleteIDs(e.ctx, e.user, "c", []string{"a", "b"}, store.Since(ta))
			wantErr(t, "DeleteIDs with the collection modified since", err, store.ErrPreconditionFailed)
			_, err = e.s.DeleteCollection(e.ctx, e.user, "c", store.Since(ta))
			wantErr(t, "DeleteCollection with the collection modified since", err, store.ErrPreconditionFailed)
			wantSameIDs(t, "records after failed deletes", e.listIDs(t, "c", store.Query{}), "a", "b")
			if _, err := e.s.Delete(e.ctx, e.user, "c", "a", store.Since(ta)); err != nil {
				t.Fatalf("Delete of a unmodified since its timestamp: %v", err)
			}
			e.clock.Advance(time.Second)
			ts, err := e.s.DeleteIDs(e.ctx, e.user, "c", []string{"b"}, store.Since(tb+10))
			if err != nil {
				t.Fatalf("DeleteIDs unmodified since the collection's timestamp: %v", err)
			}
			if _, err := e.s.DeleteCollection(e.ctx, e.user, "c", store.Since(ts)); err != nil {
				t.Fatalf("DeleteCollection unmodified since its timestamp: %v", err)
			}
		}},
	}
}
