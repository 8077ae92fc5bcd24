package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

// threeWrites writes a, b, c in three writes a second apart and returns
// their timestamps.
func (e *env) threeWrites(t *testing.T) (ta, tb, tc store.Timestamp) {
	t.Helper()
	ta = e.put(t, "c", rec("a", "x"))
	e.clock.Advance(time.Second)
	tb = e.put(t, "c", rec("b", "x"))
	e.clock.Advance(time.Second)
	tc = e.put(t, "c", rec("c", "x"))
	return ta, tb, tc
}

func listCases() []testCase {
	return []testCase{
		{name: "a missing collection reads as empty, not as an error", run: func(t *testing.T, e *env) {
			p := e.list(t, "nothing", store.Query{Limit: 10, Sort: store.SortNewest})
			if len(p.Records) != 0 || p.LastModified != 0 || p.NextOffset != "" {
				t.Fatalf("List of a missing collection = %+v, want empty with LastModified 0", p)
			}
		}},
		{name: "newer selects records modified strictly after it", run: func(t *testing.T, e *env) {
			ta, tb, _ := e.threeWrites(t)
			wantIDs(t, "newer=b's timestamp", e.listIDs(t, "c", store.Query{Newer: tb, Sort: store.SortOldest}), "c")
			wantIDs(t, "newer=a's timestamp", e.listIDs(t, "c", store.Query{Newer: ta, Sort: store.SortOldest}), "b", "c")
			wantIDs(t, "newer=a's timestamp-10ms", e.listIDs(t, "c", store.Query{Newer: ta - 10, Sort: store.SortOldest}), "a", "b", "c")
		}},
		{name: "older selects records modified strictly before it", run: func(t *testing.T, e *env) {
			_, tb, tc := e.threeWrites(t)
			wantIDs(t, "older=b's timestamp", e.listIDs(t, "c", store.Query{Older: tb, Sort: store.SortOldest}), "a")
			wantIDs(t, "older=c's timestamp", e.listIDs(t, "c", store.Query{Older: tc, Sort: store.SortOldest}), "a", "b")
		}},
		{name: "newer and older together select the records between", run: func(t *testing.T, e *env) {
			ta, _, tc := e.threeWrites(t)
			wantIDs(t, "newer=a, older=c", e.listIDs(t, "c", store.Query{Newer: ta, Older: tc}), "b")
			wantIDs(t, "newer=a, older=a+10ms", e.listIDs(t, "c", store.Query{Newer: ta, Older: ta + 10}))
		}},
		{name: "ids selects only the named records and ignores missing ones", run: func(t *testing.T, e *env) {
			e.post(t, "c", recs("a", "b", "c", "d")...)
			wantSameIDs(t, "ids=a,c,zz", e.listIDs(t, "c", store.Query{IDs: []string{"a", "c", "zz"}}), "a", "c")
			wantIDs(t, "ids=zz, only a missing id", e.listIDs(t, "c", store.Query{IDs: []string{"zz"}, Sort: store.SortIndex}))
		}},
		{name: "more than 100 ids is ErrInvalid", run: func(t *testing.T, e *env) {
			many := make([]string, store.MaxIDs+1)
			for i := range many {
				many[i] = fmt.Sprintf("id%d", i)
			}
			_, err := e.s.List(e.ctx, e.user, "c", store.Query{IDs: many})
			wantErr(t, "List with 101 ids", err, store.ErrInvalid)
			_, err = e.s.DeleteIDs(e.ctx, e.user, "c", many, store.Precondition{})
			wantErr(t, "DeleteIDs with 101 ids", err, store.ErrInvalid)
			e.list(t, "c", store.Query{IDs: many[:store.MaxIDs]})
		}},
		{name: "invalid queries are ErrInvalid", run: func(t *testing.T, e *env) {
			e.put(t, "c", rec("a", "x"))
			for what, q := range map[string]store.Query{
				"a negative limit":   {Limit: -1},
				"an invalid id":      {IDs: []string{"a,b"}},
				"an unknown sort":    {Sort: store.SortIndex + 1},
				"a negative newer":   {Newer: -10},
				"a malformed offset": {Offset: "%%%"},
			} {
				_, err := e.s.List(e.ctx, e.user, "c", q)
				wantErr(t, "List with "+what, err, store.ErrInvalid)
			}
		}},
		{name: "sort newest orders by modified, latest first", run: func(t *testing.T, e *env) {
			e.put(t, "c", rec("b", "x"))
			e.clock.Advance(time.Second)
			e.put(t, "c", rec("a", "x"))
			e.clock.Advance(time.Second)
			e.put(t, "c", rec("c", "x"))
			wantIDs(t, "sort=newest", e.listIDs(t, "c", store.Query{Sort: store.SortNewest}), "c", "a", "b")
		}},
		{name: "sort oldest orders by modified, earliest first", run: func(t *testing.T, e *env) {
			e.put(t, "c", rec("b", "x"))
			e.put(t, "c", rec("a", "x"))
			e.put(t, "c", rec("c", "x"))
			e.put(t, "c", rec("b", "y")) // rewriting moves b last
			wantIDs(t, "sort=oldest", e.listIDs(t, "c", store.Query{Sort: store.SortOldest}), "a", "c", "b")
		}},
		{name: "sort index orders by sortindex, highest first, records without one last", run: func(t *testing.T, e *env) {
			e.post(t, "c",
				store.Write{ID: "low", Payload: str("x"), SortIndex: i64(-5)},
				store.Write{ID: "none", Payload: str("x")},
				store.Write{ID: "high", Payload: str("x"), SortIndex: i64(100)},
				store.Write{ID: "mid", Payload: str("x"), SortIndex: i64(0)},
			)
			wantIDs(t, "sort=index", e.listIDs(t, "c", store.Query{Sort: store.SortIndex}), "high", "mid", "low", "none")
		}},
		{name: "ids only returns ids without payload or metadata", run: func(t *testing.T, e *env) {
			e.post(t, "c", store.Write{ID: "a", Payload: str("x"), SortIndex: i64(1)}, rec("b", "y"))
			p := e.list(t, "c", store.Query{IDsOnly: true, Sort: store.SortOldest})
			wantIDs(t, "ids only", ids(p.Records), "a", "b")
			for _, b := range p.Records {
				if b.Payload != "" || b.Modified != 0 || b.SortIndex != nil {
					t.Fatalf("ids-only record %+v carries more than its id", b)
				}
			}
			if p.LastModified == 0 {
				t.Fatal("ids-only page has no LastModified")
			}
		}},
		{name: "full records carry payload, modified and sortindex", run: func(t *testing.T, e *env) {
			ts := e.put(t, "c", store.Write{ID: "a", Payload: str("data"), SortIndex: i64(3)})
			p := e.list(t, "c", store.Query{})
			if len(p.Records) != 1 {
				t.Fatalf("List = %+v, want one record", p)
			}
			b := p.Records[0]
			if b.ID != "a" || b.Payload != "data" || b.Modified != ts || b.SortIndex == nil || *b.SortIndex != 3 {
				t.Fatalf("List record %+v, want a, data, modified %d, sortindex 3", b, ts)
			}
		}},
	}
}
