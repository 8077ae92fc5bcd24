package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/contactbridge/contactbridge/store"
)

func isolationCases() []testCase {
	return []testCase{
		{name: "users do not see or change each other's data", run: func(t *testing.T, e *env) {
			bob := e.as("bob")
			e.put(t, "c", rec("a", "alice's"))
			bob.put(t, "c", rec("a", "bob's"))
			bob.put(t, "c", rec("b", "bob's"))
			if r := e.get(t, "c", "a"); r.Payload != "alice's" {
				t.Fatalf("alice's record = %+v", r)
			}
			wantIDs(t, "alice's records", e.listIDs(t, "c", store.Query{}), "a")
			if _, err := e.s.DeleteCollection(e.ctx, "bob", "c", store.Precondition{}); err != nil {
				t.Fatal(err)
			}
			if r := e.get(t, "c", "a"); r.Payload != "alice's" {
				t.Fatalf("alice's record after bob deleted his collection = %+v", r)
			}
			if info := bob.info(t); len(info) != 0 {
				t.Fatalf("bob's Info = %v, want nothing", info)
			}
			if u := e.info(t)["c"]; u.Count != 1 {
				t.Fatalf("alice's Info = %+v, want 1 record", u)
			}
		}},
		{name: "concurrent writers keep timestamps strictly increasing and lose no write", run: func(t *testing.T, e *env) {
			const writers, writes = 8, 20
			var mu sync.Mutex
			var stamps []store.Timestamp
			var wg sync.WaitGroup
			errs := make(chan error, writers*writes)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range writes {
						var ts store.Timestamp
						var err error
						id := fmt.Sprintf("w%d-%d", w, i)
						if i%2 == 0 {
							ts, err = e.s.Put(e.ctx, e.user, "c", rec(id, "x"), store.Precondition{})
						} else {
							var res store.WriteResult
							res, err = e.s.Post(e.ctx, e.user, "c", recs(id), store.Precondition{})
							ts = res.Modified
						}
						if err == nil {
							_, err = e.s.List(e.ctx, e.user, "c", store.Query{Newer: ts - 10, IDsOnly: true})
						}
						if err != nil {
							errs <- err
							return
						}
						mu.Lock()
						stamps = append(stamps, ts)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			slices.Sort(stamps)
			for i := 1; i < len(stamps); i++ {
				if stamps[i] == stamps[i-1] {
					t.Fatalf("two writes got the same timestamp %d", stamps[i])
				}
			}
			if u := e.info(t)["c"]; u.Count != writers*writes || u.Modified != stamps[len(stamps)-1] {
				t.Fatalf("Info after %d concurrent writes = %+v, want that many records and modified %d", writers*writes, u, stamps[len(stamps)-1])
			}
			if got := len(e.listAll(t, "c", store.Query{Limit: 7})); got != writers*writes {
				t.Fatalf("List read %d records, want %d", got, writers*writes)
			}
		}},
		{name: "close releases the store and later calls fail", run: func(t *testing.T, e *env) {
			e.put(t, "c", rec("a", "x"))
			if err := e.s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if _, err := e.s.Get(e.ctx, e.user, "c", "a"); err == nil {
				t.Fatal("Get after Close succeeded")
			}
			if _, err := e.s.Put(e.ctx, e.user, "c", rec("b", "x"), store.Precondition{}); err == nil {
				t.Fatal("Put after Close succeeded")
			}
			if _, err := e.s.List(e.ctx, e.user, "c", store.Query{}); err == nil {
				t.Fatal("List after Close succeeded")
			}
			if err := e.s.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
		}},
	}
}
