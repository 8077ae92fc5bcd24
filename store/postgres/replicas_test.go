package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/postgres"
	"github.com/contactbridge/contactbridge/store/postgres/pgtest"
	"github.com/contactbridge/contactbridge/store/storetest"
)

// replicas opens n stores on one database and schema, as n replicas of the
// service would, each with its own clock: the first stands still at
// base, each other one stands an hour further behind, so that every
// timestamp after the first comes from the user's row, not a clock.
func replicas(t *testing.T, n int, opts postgres.Options) []*postgres.Store {
	t.Helper()
	dsn := pgtest.Start(t)
	opts.Schema = newSchema()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var ss []*postgres.Store
	for i := range n {
		o := opts
		o.Now = storetest.NewClock(base.Add(-time.Duration(i) * time.Hour)).Now
		ss = append(ss, open(t, dsn, o))
	}
	return ss
}

// A write is one successful write of the replica test: what it stored and
// the timestamp it got.
type write struct {
	ids []string
	ts  store.Timestamp
}

// TestReplicasWritingOneUser has two stores on one database write to the
// same user at once, near the quota: the timestamps of the writes that
// succeed increase strictly (and in each writer's order), each of their
// records is stored with its write's timestamp, the refused ones store
// nothing, and the collection never passes the quota.
func TestReplicasWritingOneUser(t *testing.T) {
	const (
		perReplica = 4  // writers per replica
		writes     = 25 // writes per writer
		payload    = "0123456789"
		quota      = 1000 // bytes: room for 100 of the 200 records tried
	)
	ss := replicas(t, 2, postgres.Options{QuotaBytes: quota})
	ctx := context.Background()

	var mu sync.Mutex
	var stored []write
	var refused []string
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(ss)*perReplica*writes)
	for r, s := range ss {
		for g := range perReplica {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var last store.Timestamp
				for i := range writes {
					id := fmt.Sprintf("r%d-w%d-%02d", r, g, i)
					var ts store.Timestamp
					var err error
					switch i % 3 {
					case 0:
						ts, err = s.Put(ctx, "alice", "c", store.Write{ID: id, Payload: ptr(payload)}, store.Precondition{})
					case 1:
						var res store.WriteResult
						res, err = s.Post(ctx, "alice", "c", []store.Write{{ID: id, Payload: ptr(payload)}}, store.Precondition{})
						ts = res.Modified
					default:
						ts, err = commitOne(ctx, s, id, payload)
					}
					mu.Lock()
					switch {
					case errors.Is(err, store.ErrOverQuota):
						refused = append(refused, id)
					case err != nil:
						errs <- fmt.Errorf("write %s: %w", id, err)
					default:
						stored = append(stored, write{ids: []string{id}, ts: ts})
						if ts <= last {
							errs <- fmt.Errorf("writer r%d-w%d: timestamp %d does not follow its previous write's %d", r, g, ts, last)
						}
						last = ts
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	slices.SortFunc(stored, func(a, b write) int { return int(a.ts - b.ts) })
	for i := 1; i < len(stored); i++ {
		if stored[i].ts == stored[i-1].ts {
			t.Fatalf("writes %v and %v got the same timestamp", stored[i-1].ids, stored[i].ids)
		}
	}
	if len(stored)*len(payload) != quota || len(refused) != len(ss)*perReplica*writes-len(stored) {
		t.Fatalf("%d writes stored, %d refused; want exactly %d stored (the quota's worth) and the rest refused",
			len(stored), len(refused), quota/len(payload))
	}
	for _, s := range ss {
		all, err := s.List(ctx, "alice", "c", store.Query{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]store.Timestamp{}
		for _, b := range all.Records {
			got[b.ID] = b.Modified
		}
		for _, w := range stored {
			if ts, ok := got[w.ids[0]]; !ok || ts != w.ts {
				t.Fatalf("record %s: stored at %d (present %v), want its write's %d", w.ids[0], ts, ok, w.ts)
			}
		}
		for _, id := range refused {
			if _, ok := got[id]; ok {
				t.Fatalf("record %s was refused over quota but is stored", id)
			}
		}
		info, err := s.Info(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		last := stored[len(stored)-1].ts
		if u := info["c"]; u.Bytes != quota || u.Count != int64(len(stored)) || u.Modified != last || all.LastModified != last {
			t.Fatalf("Info %+v, List LastModified %d; want %d records of %d bytes in all, modified %d", u, all.LastModified, len(stored), quota, last)
		}
	}
}

// commitOne stores one record through a batch: begun, appended and
// committed.
func commitOne(ctx context.Context, s store.Store, id, payload string) (store.Timestamp, error) {
	b, err := s.BeginBatch(ctx, "alice", "c")
	if err != nil {
		return 0, err
	}
	if _, err := s.AppendBatch(ctx, "alice", "c", b, []store.Write{{ID: id, Payload: &payload}}); err != nil {
		return 0, err
	}
	res, err := s.CommitBatch(ctx, "alice", "c", b, nil, store.Precondition{})
	return res.Modified, err
}

// TestReplicasShareABatch has a batch begun on one replica, appended to on
// every replica at once, and committed on another: it stores every record
// appended, with one timestamp.
func TestReplicasShareABatch(t *testing.T) {
	ss := replicas(t, 3, postgres.Options{})
	ctx := context.Background()
	b, err := ss[0].BeginBatch(ctx, "alice", "c")
	if err != nil {
		t.Fatal(err)
	}
	const appends = 10
	var wg sync.WaitGroup
	errs := make(chan error, len(ss)*appends)
	var want []string
	for r, s := range ss {
		for i := range appends {
			id := fmt.Sprintf("r%d-%d", r, i)
			want = append(want, id)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.AppendBatch(ctx, "alice", "c", b, []store.Write{{ID: id, Payload: ptr("p-" + id)}}); err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	res, err := ss[2].CommitBatch(ctx, "alice", "c", b, nil, store.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(res.Success)
	slices.Sort(want)
	if !slices.Equal(res.Success, want) {
		t.Fatalf("commit stored %v, want %v", res.Success, want)
	}
	p, err := ss[1].List(ctx, "alice", "c", store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Records {
		if r.Modified != res.Modified || r.Payload != "p-"+r.ID {
			t.Fatalf("record %+v, want payload p-%s and the commit's timestamp %d", r, r.ID, res.Modified)
		}
	}
	if len(p.Records) != len(want) {
		t.Fatalf("%d records stored, want %d", len(p.Records), len(want))
	}
	if _, err := ss[1].AppendBatch(ctx, "alice", "c", b, []store.Write{{ID: "late"}}); !errors.Is(err, store.ErrBatchNotFound) {
		t.Fatalf("AppendBatch on another replica after the commit: %v, want ErrBatchNotFound", err)
	}
}

func ptr[T any](v T) *T { return &v }
