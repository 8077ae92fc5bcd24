package storetest

import (
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/store"
)

// quota10 gives the store a quota of 10 bytes per user and collection.
func quota10(o *Options) { o.QuotaBytes = 10 }

func quotaCases() []testCase {
	return []testCase{
		{name: "the store reports the quota and limits it was given", opts: func(o *Options) {
			o.QuotaBytes = 12345
			o.Limits = store.Limits{MaxRequestBytes: 1, MaxPostRecords: 2, MaxPostBytes: 3, MaxTotalRecords: 4, MaxTotalBytes: 5, MaxRecordPayloadBytes: 6}
		}, run: func(t *testing.T, e *env) {
			if q := e.s.Quota(); q != 12345 {
				t.Fatalf("Quota() = %d, want 12345", q)
			}
			want := store.Limits{MaxRequestBytes: 1, MaxPostRecords: 2, MaxPostBytes: 3, MaxTotalRecords: 4, MaxTotalBytes: 5, MaxRecordPayloadBytes: 6}
			if l := e.s.Limits(); l != want {
				t.Fatalf("Limits() = %+v, want %+v", l, want)
			}
		}},
		{name: "the default quota is 2.5 GB and the default limits syncstorage-rs's", run: func(t *testing.T, e *env) {
			if q := e.s.Quota(); q != store.DefaultQuotaBytes {
				t.Fatalf("Quota() = %d, want %d", q, store.DefaultQuotaBytes)
			}
			if l := e.s.Limits(); l != store.DefaultLimits() {
				t.Fatalf("Limits() = %+v, want %+v", l, store.DefaultLimits())
			}
		}},
		{name: "a post past the quota stores nothing", opts: quota10, run: func(t *testing.T, e *env) {
			_, err := e.s.Post(e.ctx, e.user, "c", []store.Write{rec("a", "1234"), rec("b", "1234"), rec("c", "1234")}, store.Precondition{})
			wantErr(t, "Post of 12 bytes under a 10-byte quota", err, store.ErrOverQuota)
			if info := e.info(t); len(info) != 0 {
				t.Fatalf("Info after the refused Post = %v, want nothing", info)
			}
			e.post(t, "c", rec("a", "1234"), rec("b", "123456"))
		}},
		{name: "a put past the quota stores nothing", opts: quota10, run: func(t *testing.T, e *env) {
			ts := e.put(t, "c", rec("a", "12345678"))
			_, err := e.s.Put(e.ctx, e.user, "c", rec("b", "123"), store.Precondition{})
			wantErr(t, "Put past the quota", err, store.ErrOverQuota)
			_, err = e.s.Get(e.ctx, e.user, "c", "b")
			wantErr(t, "Get of the refused record", err, store.ErrNotFound)
			if u := e.info(t)["c"]; u.Modified != ts || u.Bytes != 8 {
				t.Fatalf("Info after the refused Put = %+v, want modified %d and 8 bytes", u, ts)
			}
		}},
		{name: "a replaced record counts at its new size only", opts: quota10, run: func(t *testing.T, e *env) {
			e.put(t, "c", rec("a", "12345678"))
			e.put(t, "c", rec("a", "123456789"))
			e.put(t, "c", rec("a", "1234567890"))
			_, err := e.s.Put(e.ctx, e.user, "c", rec("a", "12345678901"), store.Precondition{})
			wantErr(t, "Put of 11 bytes over a record of 10", err, store.ErrOverQuota)
			if b := e.get(t, "c", "a"); b.Payload != "1234567890" {
				t.Fatalf("record after the refused Put = %q", b.Payload)
			}
		}},
		{name: "writes that do not grow a full collection still pass", opts: quota10, run: func(t *testing.T, e *env) {
			e.put(t, "c", store.Write{ID: "a", Payload: str("1234567890"), SortIndex: i64(1)})
			e.put(t, "c", store.Write{ID: "a", SortIndex: i64(2), TTL: i64(1000)})
			e.put(t, "c", rec("a", "123"))
			if _, err := e.s.Delete(e.ctx, e.user, "c", "a", store.Precondition{}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "the quota holds per collection", opts: quota10, run: func(t *testing.T, e *env) {
			e.put(t, "one", rec("a", "12345678"))
			e.put(t, "two", rec("a", "12345678"))
			_, err := e.s.Put(e.ctx, e.user, "two", rec("b", "123"), store.Precondition{})
			wantErr(t, "Put past the quota of the second collection", err, store.ErrOverQuota)
		}},
		{name: "the quota holds per user", opts: quota10, run: func(t *testing.T, e *env) {
			e.put(t, "c", rec("a", "12345678"))
			e.as("bob").put(t, "c", rec("a", "12345678"))
			_, err := e.s.Put(e.ctx, "bob", "c", rec("b", "123"), store.Precondition{})
			wantErr(t, "Put past bob's quota", err, store.ErrOverQuota)
		}},
		{name: "a batch commit past the quota stores nothing and ends the batch", opts: quota10, run: func(t *testing.T, e *env) {
			ts := e.put(t, "c", rec("a", "1234"))
			b, err := e.s.BeginBatch(e.ctx, e.user, "c")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.AppendBatch(e.ctx, e.user, "c", b, []store.Write{rec("b", "1234")}); err != nil {
				t.Fatal(err)
			}
			_, err = e.s.CommitBatch(e.ctx, e.user, "c", b, []store.Write{rec("c", "1234")}, store.Precondition{})
			wantErr(t, "CommitBatch past the quota", err, store.ErrOverQuota)
			wantIDs(t, "records after the refused commit", e.listIDs(t, "c", store.Query{}), "a")
			if u := e.info(t)["c"]; u.Modified != ts || u.Bytes != 4 {
				t.Fatalf("Info after the refused commit = %+v, want modified %d and 4 bytes", u, ts)
			}
			_, err = e.s.CommitBatch(e.ctx, e.user, "c", b, nil, store.Precondition{})
			wantErr(t, "CommitBatch of the ended batch", err, store.ErrBatchNotFound)
		}},
		{name: "a negative quota means unlimited", opts: func(o *Options) { o.QuotaBytes = -1 }, run: func(t *testing.T, e *env) {
			if q := e.s.Quota(); q != 0 {
				t.Fatalf("Quota() = %d, want 0 (unlimited)", q)
			}
			// Printable, as a record's payload (JSON text) is: a NUL
			// would take six bytes on the wire of a server's API.
			e.post(t, "c", rec("a", strings.Repeat("x", 1<<20)))
		}},
	}
}
