package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

type sortOrder struct {
	name string
	sort store.Sort
}

// sortOrders are every store.Sort, named for case names.
func sortOrders() []sortOrder {
	return []sortOrder{
		{"none", store.SortNone},
		{"newest", store.SortNewest},
		{"oldest", store.SortOldest},
		{"index", store.SortIndex},
	}
}

// fill writes 30 records in Posts of 7, so that many share a timestamp,
// with sortindexes that repeat and some records without one.
func (e *env) fill(t *testing.T, coll string) []string {
	t.Helper()
	var all []string
	var ws []store.Write
	for i := range 30 {
		id := fmt.Sprintf("r%02d", (i*7)%30) // ids not in write order
		w := rec(id, "p-"+id)
		if i%4 != 0 {
			w.SortIndex = i64(int64(i % 5))
		}
		ws = append(ws, w)
		all = append(all, id)
		if len(ws) == 7 || i == 29 {
			e.post(t, coll, ws...)
			ws = nil
			e.clock.Advance(time.Second)
		}
	}
	return all
}

func pagingCases() []testCase {
	var cs []testCase
	for _, s := range sortOrders() {
		cs = append(cs, testCase{
			name: fmt.Sprintf("paging with limit covers every record once, sort %s", s.name),
			run: func(t *testing.T, e *env) {
				all := e.fill(t, "c")
				whole := e.list(t, "c", store.Query{Sort: s.sort})
				if whole.NextOffset != "" {
					t.Fatalf("a List without limit has a next offset %q", whole.NextOffset)
				}
				wantSameIDs(t, "unpaged List", ids(whole.Records), all...)
				for _, limit := range []int{1, 4, 7, 29} {
					paged := e.listAll(t, "c", store.Query{Sort: s.sort, Limit: limit})
					wantIDs(t, fmt.Sprintf("pages of %d", limit), ids(paged), ids(whole.Records)...)
				}
				// The filters combine with paging.
				newer := whole.Records[0].Modified
				if s.sort == store.SortNewest {
					newer = whole.Records[len(whole.Records)-1].Modified
				}
				filtered := e.list(t, "c", store.Query{Sort: s.sort, Newer: newer})
				paged := e.listAll(t, "c", store.Query{Sort: s.sort, Newer: newer, Limit: 3})
				wantIDs(t, "pages of 3 with newer", ids(paged), ids(filtered.Records)...)
				idsOnly := e.listAll(t, "c", store.Query{Sort: s.sort, IDsOnly: true, Limit: 4})
				wantIDs(t, "ids-only pages of 4", ids(idsOnly), ids(whole.Records)...)
			},
		})
	}
	for _, s := range sortOrders() {
		cs = append(cs, testCase{
			name: fmt.Sprintf("an offset stays valid when records are written between pages, sort %s", s.name),
			run: func(t *testing.T, e *env) {
				e.fill(t, "c")
				whole := ids(e.list(t, "c", store.Query{Sort: s.sort}).Records)
				first := e.list(t, "c", store.Query{Sort: s.sort, Limit: 10})
				seen := ids(first.Records)
				// Between pages: new records, and a rewrite of a record
				// not yet read.
				e.clock.Advance(time.Second)
				e.post(t, "c", store.Write{ID: "new1", Payload: str("x"), SortIndex: i64(2)}, rec("new2", "x"))
				rewritten := whole[len(whole)-1]
				e.put(t, "c", rec(rewritten, "changed"))
				rest := e.listAll(t, "c", store.Query{Sort: s.sort, Limit: 10, Offset: first.NextOffset})
				got := append(seen, ids(rest)...)
				for _, id := range whole {
					n := count(got, id)
					if id != rewritten && n != 1 {
						t.Fatalf("record %s, untouched since the first page, was read %d times (pages %v)", id, n, got)
					}
					if n > 1 {
						t.Fatalf("record %s was read %d times (pages %v)", id, n, got)
					}
				}
				if s.sort == store.SortOldest || s.sort == store.SortNone {
					// Written after the scan's position, they come on a later page.
					for _, id := range []string{"new1", "new2", rewritten} {
						if count(got, id) != 1 {
							t.Fatalf("record %s, written during an oldest-first scan, was read %d times, want once", id, count(got, id))
						}
					}
				}
			},
		})
	}
	cs = append(cs,
		testCase{name: "a malformed offset or one from another sort is ErrInvalid", run: func(t *testing.T, e *env) {
			e.fill(t, "c")
			for _, off := range []string{"garbage", "!!", "0", "MTox", "a:b:c"} {
				_, err := e.s.List(e.ctx, e.user, "c", store.Query{Limit: 5, Offset: off})
				wantErr(t, fmt.Sprintf("List with offset %q", off), err, store.ErrInvalid)
			}
			p := e.list(t, "c", store.Query{Limit: 5, Sort: store.SortNewest})
			_, err := e.s.List(e.ctx, e.user, "c", store.Query{Limit: 5, Sort: store.SortIndex, Offset: p.NextOffset})
			wantErr(t, "List sorted by index with an offset from a newest-first List", err, store.ErrInvalid)
		}},
		testCase{name: "a limit that does not cut the result gives no next offset", run: func(t *testing.T, e *env) {
			e.post(t, "c", recs("a", "b", "c")...)
			for _, limit := range []int{3, 4, 100} {
				if p := e.list(t, "c", store.Query{Limit: limit}); p.NextOffset != "" || len(p.Records) != 3 {
					t.Fatalf("limit %d over 3 records: %d records, next offset %q; want 3 and none", limit, len(p.Records), p.NextOffset)
				}
			}
			if p := e.list(t, "c", store.Query{Limit: 2}); p.NextOffset == "" || len(p.Records) != 2 {
				t.Fatalf("limit 2 over 3 records: %d records, next offset %q; want 2 and an offset", len(p.Records), p.NextOffset)
			}
		}},
		testCase{name: "next offsets use only URL-safe characters", run: func(t *testing.T, e *env) {
			e.post(t, "c", recs("a/b", "a+b", "a b", "a?b=c&d")...)
			for _, s := range sortOrders() {
				p := e.list(t, "c", store.Query{Limit: 1, Sort: s.sort})
				if !urlSafe(p.NextOffset) || p.NextOffset == "" {
					t.Fatalf("sort %s: next offset %q is not a non-empty URL-safe token", s.name, p.NextOffset)
				}
			}
		}},
	)
	return cs
}

func count(list []string, id string) int {
	n := 0
	for _, x := range list {
		if x == id {
			n++
		}
	}
	return n
}

// urlSafe reports whether s uses only unreserved URL characters.
func urlSafe(s string) bool {
	return !slices.ContainsFunc([]byte(s), func(c byte) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~')
	})
}
