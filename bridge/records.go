package bridge

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
)

// readPage is how many records one hub read asks the store for.
const readPage = 1000

// A HubRecord is a decrypted hub record and the time the store last wrote it.
type HubRecord struct {
	mapping.Record
	Modified store.Timestamp
}

// open decrypts a contacts payload, with the pending keys of an unfinished
// rotation as a fallback.
func (h *Hub) open(id, payload string) (mapping.Record, error) {
	r, err := mapping.OpenRecord(h.keys.For(mapping.ContactsCollection), id, payload)
	if errors.Is(err, mapping.ErrHMACMismatch) && h.pending != nil {
		if r2, err2 := mapping.OpenRecord(h.pending.For(mapping.ContactsCollection), id, payload); err2 == nil {
			return r2, nil
		}
	}
	return r, err
}

// Get reads and decrypts one contact record (store.ErrNotFound if absent).
func (h *Hub) Get(ctx context.Context, id string) (HubRecord, error) {
	bso, err := h.st.Get(ctx, h.user, mapping.ContactsCollection, id)
	if err != nil {
		return HubRecord{}, fmt.Errorf("hub: get %s: %w", id, err)
	}
	r, err := h.open(id, bso.Payload)
	if err != nil {
		return HubRecord{}, fmt.Errorf("hub: %w", err)
	}
	return HubRecord{Record: r, Modified: bso.Modified}, nil
}

// Read streams every contact record modified after newer, oldest first, to
// fn, and returns the newest modification time it saw (newer when nothing
// changed). A record that does not decrypt is passed to fn with its error
// and an empty Record, so one bad record never hides the others; fn decides
// whether to stop by returning an error.
func (h *Hub) Read(ctx context.Context, newer store.Timestamp, fn func(r HubRecord, err error) error) (store.Timestamp, error) {
	last := newer
	q := store.Query{Newer: newer, Sort: store.SortOldest, Limit: readPage}
	type result struct {
		page store.Page
		err  error
	}
	// The next page is read from the store while this one is decrypted.
	fetch := func(q store.Query) <-chan result {
		ch := make(chan result, 1)
		go func() {
			page, err := h.st.List(ctx, h.user, mapping.ContactsCollection, q)
			ch <- result{page, err}
		}()
		return ch
	}
	next := fetch(q)
	for {
		res := <-next
		if res.err != nil {
			return last, fmt.Errorf("hub: read newer than %s: %w", newer, res.err)
		}
		page := res.page
		if page.NextOffset != "" {
			q.Offset = page.NextOffset
			next = fetch(q)
		}
		recs, errs := h.openAll(page.Records)
		for i, bso := range page.Records {
			if err := fn(HubRecord{Record: recs[i], Modified: bso.Modified}, errs[i]); err != nil {
				if page.NextOffset != "" {
					<-next // let the prefetch finish before returning
				}
				return last, err
			}
			last = max(last, bso.Modified)
		}
		last = max(last, page.LastModified)
		if page.NextOffset == "" {
			return last, nil
		}
	}
}

// openAll decrypts a page of records on every core, keeping their order.
func (h *Hub) openAll(bsos []store.BSO) ([]mapping.Record, []error) {
	recs := make([]mapping.Record, len(bsos))
	errs := make([]error, len(bsos))
	parallel(len(bsos), func(i int) {
		r, err := h.open(bsos[i].ID, bsos[i].Payload)
		if err != nil {
			r, err = mapping.Record{ID: bsos[i].ID}, fmt.Errorf("hub: %w", err)
		}
		recs[i], errs[i] = r, err
	})
	return recs, errs
}

// parallel calls fn(0) … fn(n-1) on up to GOMAXPROCS goroutines, in
// contiguous shares, and returns when all are done.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(n/64, 1))
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	share := (n + workers - 1) / workers
	for start := 0; start < n; start += share {
		end := min(start+share, n)
		wg.Go(func() {
			for i := start; i < end; i++ {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// Write encrypts recs and stores them, in as few requests as the store's
// limits allow, and returns the time of the last write. The precondition
// guards the first request (the collection unmodified since the caller last
// read it) and each further request is conditional on the one before, so
// ErrPreconditionFailed means someone else wrote in between; records the
// store asks to send again are sent again. A record the
// store refuses is reported by id, and the others are still written.
func (h *Hub) Write(ctx context.Context, recs []mapping.Record, pre store.Precondition) (store.Timestamp, error) {
	kb := h.keys.For(mapping.ContactsCollection)
	chunk := max(h.st.Limits().MaxPostRecords, 1)
	// Seal the next chunk while the store writes this one: encryption and
	// the store's work overlap on two cores.
	type sealed struct {
		ws  []store.Write
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan sealed, 2)
	go func() {
		defer close(ch)
		for i := 0; i < len(recs); i += chunk {
			part := recs[i:min(i+chunk, len(recs))]
			ws := make([]store.Write, len(part))
			var err error
			for j, r := range part {
				p, serr := mapping.SealRecord(kb, r)
				ws[j], err = store.Write{ID: r.ID, Payload: &p}, errors.Join(err, serr)
			}
			select {
			case ch <- sealed{ws, err}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var last store.Timestamp
	var refused []string
	for s := range ch {
		if s.err != nil {
			return last, fmt.Errorf("hub: %w", s.err)
		}
		ts, bad, err := h.post(ctx, s.ws, pre)
		last, refused = max(last, ts), append(refused, bad...)
		if err != nil {
			return last, err
		}
		if pre.Set {
			pre = store.Since(ts)
		}
	}
	return last, refusedError(refused)
}

func refusedError(refused []string) error {
	if len(refused) == 0 {
		return nil
	}
	return fmt.Errorf("hub: the store refused %d records: %s", len(refused), strings.Join(refused, ", "))
}

// post writes queue in requests the store's limits allow, sending again what
// the store asks to retry, and returns the records it refused.
func (h *Hub) post(ctx context.Context, queue []store.Write, pre store.Precondition) (store.Timestamp, []string, error) {
	var last store.Timestamp
	var refused []string
	chunk := max(h.st.Limits().MaxPostRecords, 1)
	for len(queue) > 0 {
		batch := queue[:min(chunk, len(queue))]
		queue = queue[len(batch):]
		res, err := h.st.Post(ctx, h.user, mapping.ContactsCollection, batch, pre)
		if err != nil {
			return last, refused, fmt.Errorf("hub: write %d records: %w", len(batch), err)
		}
		if pre.Set {
			// Chain the precondition, so that nobody else's write can
			// slip in between two requests of this one unnoticed.
			pre = store.Since(res.Modified)
		}
		last = max(last, res.Modified)
		ok := make(map[string]bool, len(res.Success))
		for _, id := range res.Success {
			ok[id] = true
		}
		var retry []store.Write
		for _, w := range batch {
			reason, failed := res.Failed[w.ID]
			switch {
			case failed && (reason == store.ReasonRetryBSO || reason == store.ReasonRetryBytes):
				retry = append(retry, w)
			case failed:
				refused = append(refused, fmt.Sprintf("%s (%s)", w.ID, reason))
			case !ok[w.ID]: // in neither list: Sync counts it as failed
				refused = append(refused, fmt.Sprintf("%s (not acknowledged)", w.ID))
			}
		}
		if len(retry) == len(batch) {
			return last, refused, fmt.Errorf("hub: the store asked to retry every record of a write of %d", len(batch))
		}
		queue = append(retry, queue...)
	}
	return last, refused, nil
}

// RotateKeys replaces the collection keys with fresh ones and re-encrypts
// every contact record under them. A rotation killed half-way is resumed by
// the next call, and every record stays readable meanwhile.
func (h *Hub) RotateKeys(ctx context.Context) error {
	if h.pending == nil {
		next, err := mapping.NewCollectionKeys(mapping.ContactsCollection)
		if err != nil {
			return fmt.Errorf("hub: rotate: %w", err)
		}
		if err := h.putKeys(ctx, pendingKeysID, next); err != nil {
			return err
		}
		h.pending = next
	}
	kb := h.pending.For(mapping.ContactsCollection)
	var ws []store.Write
	_, err := h.Read(ctx, 0, func(r HubRecord, err error) error {
		if err != nil {
			return fmt.Errorf("hub: rotate: %w", err)
		}
		p, err := mapping.SealRecord(kb, r.Record)
		if err != nil {
			return fmt.Errorf("hub: rotate: %w", err)
		}
		ws = append(ws, store.Write{ID: r.ID, Payload: &p})
		return nil
	})
	if err != nil {
		return err
	}
	if _, refused, err := h.post(ctx, ws, store.Precondition{}); err != nil || len(refused) > 0 {
		return fmt.Errorf("hub: rotate: %w", errors.Join(err, refusedError(refused)))
	}
	if err := h.putKeys(ctx, mapping.KeysID, h.pending); err != nil {
		return err
	}
	h.keys, h.pending = h.pending, nil
	if _, err := h.st.Delete(ctx, h.user, mapping.KeysCollection, pendingKeysID, store.Precondition{}); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("hub: rotate: remove staged keys: %w", err)
	}
	return nil
}

func (h *Hub) putKeys(ctx context.Context, id string, ck *mapping.CollectionKeys) error {
	p, err := ck.SealAs(h.sync, id)
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if _, err := h.st.Put(ctx, h.user, mapping.KeysCollection, store.Write{ID: id, Payload: &p}, store.Precondition{}); err != nil {
		return fmt.Errorf("hub: upload crypto/%s: %w", id, err)
	}
	return nil
}
